"""The light core: what the hatch plugin runs in every build of every user project.

Versions and tags, the validated ``[tool.releasekit]`` table, the URL rules, git, the
release rules and the files that carry the version. Standard library and ``packaging``
only at import time (``tomlkit`` where a file is written); nothing here imports nox, an
HTTP client, the engine, a kind or a target (the import-linter contracts check it).
"""
