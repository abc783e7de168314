"""No test module imports another: what tests share lives in ``tests/helpers``.

A test module imported by another drags its module-level fixtures into the importer (a
session fixture imported this way is set up once per module that imports it, not once per
session), and moving or renaming it breaks unrelated files. So every file under ``tests/`` is
parsed here, and one that imports a test module (``tests.unit.*``, ``tests.integration.*``,
a ``test_*`` or ``conftest`` module; absolute or relative; at the top or in a function)
fails the test, named with its line.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the directory that holds the `tests` package


def _module_name(path: Path, root: Path) -> str:
    """``ROOT/tests/integration/test_npm.py`` -> ``tests.integration.test_npm``."""
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(path: Path, root: Path = ROOT) -> Iterator[tuple[int, str]]:
    """Every module ``path`` imports, anywhere in it, as absolute names with their line.

    For ``from X import a, b`` both ``X`` and ``X.a``, ``X.b`` are given, since ``a`` may be a
    submodule (``from tests.integration import test_npm``).
    """
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = _module_name(path, root).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            yield node.lineno, module
            for alias in node.names:
                yield node.lineno, f"{module}.{alias.name}"


def _is_test_module(module: str) -> bool:
    """Whether ``module`` (or the module a name is taken from) is a test module."""
    parts = module.split(".")
    if parts[0] != "tests":
        return False
    in_a_test_directory = len(parts) > 2 and parts[1] in ("unit", "integration")
    return in_a_test_directory or parts[-1].startswith("test_") or parts[-1] == "conftest"


def test_the_rule_tells_test_modules_from_helpers() -> None:
    """A checker that can never fail proves nothing: the rule itself, on names."""
    assert _is_test_module("tests.integration.test_release_sessions")
    assert _is_test_module("tests.unit.test_attest")
    assert _is_test_module("tests.integration.test_npm.write_cjs")
    assert _is_test_module("tests.conftest")
    assert not _is_test_module("tests.helpers.sessions")
    assert not _is_test_module("tests.helpers.npm.write_cjs")
    assert not _is_test_module("tests.integration")
    assert not _is_test_module("releasekit.test_helpers")


def test_relative_and_nested_imports_are_seen(tmp_path: Path) -> None:
    """``from .test_npm import x`` in tests/integration is ``tests.integration.test_npm``."""
    probe = tmp_path / "tests" / "integration" / "test_probe.py"
    probe.parent.mkdir(parents=True)
    probe.write_text(
        "from .test_npm import write_cjs\n"
        "def test_x():\n"
        "    from ..unit import test_attest\n"
        "    import tests.unit.test_plan\n",
        encoding="utf-8",
    )

    found = {module: line for line, module in _imported(probe, tmp_path)}

    assert found["tests.integration.test_npm"] == 1
    assert found["tests.unit.test_attest"] == 3
    assert found["tests.unit.test_plan"] == 4


def test_no_test_module_imports_another_test_module() -> None:
    files = sorted((ROOT / "tests").rglob("*.py"))
    assert len(files) > 40, files  # the tree was found
    offenders = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in files
        for line, module in _imported(path)
        if _is_test_module(module)
    ]
    assert not offenders, (
        "test modules must not import each other; move what they share into tests/helpers:\n"
        + "\n".join(offenders)
    )
