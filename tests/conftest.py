pytest_plugins = ["tests.fixtures_projects", "tests.fixtures_index"]
