"""``releasekit init``: set a project up for releasekit, changing nothing a second time.

Writes noxfile.py from the template and enables the build hook in pyproject.toml:
``releasekit`` in ``[build-system] requires``, a ``[tool.hatch.build.hooks.releasekit]``
table, and a commented ``[tool.releasekit]`` table to fill in. pyproject.toml is edited with
tomlkit (comments and layout kept) and new tables are appended, never rewritten.
"""

from __future__ import annotations

from pathlib import Path

from releasekit.errors import ConfigError

__all__ = ["init_project", "template_text"]

HOOK_TABLE = """
[tool.hatch.build.hooks.releasekit]
# Refuse a release build whose git tag and version disagree (see the releasekit README).
# require-tag = true    # or RELEASEKIT_REQUIRE_TAG=1 in the CI release job
"""

CONFIG_TABLE = """
[tool.releasekit]
# version-files = ["pyproject.toml", "src/PACKAGE/__init__.py"]  # the first is the truth
# tag-prefix = "v"              # default: an optional "v"; a monorepo uses e.g. "api-v"
# changelog = "CHANGELOG.md"    # default: CHANGELOG.md when present
# pre-release = "both"          # or "test-only": rc/beta go to the test index only
# check-commands = ["pytest -q"]
#
# [tool.releasekit.smoke]
# pythons = ["3.9", "3.13"]
# commands = ["PACKAGE --version"]
"""


def template_text() -> str:
    """The noxfile template, from the installed package or this source checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (
        here / "templates" / "noxfile.py",
        here.parent.parent / "templates" / "noxfile.py",
    ):
        if candidate.is_file():
            return candidate.read_text(encoding="utf-8")
    raise ConfigError(
        "releasekit's noxfile template is missing from this installation", "reinstall releasekit"
    )


def init_project(root: Path, *, force: bool = False) -> list[str]:
    """Set up ``root``; returns one line per file saying what was done."""
    import tomlkit

    pyproject = root / "pyproject.toml"
    if not pyproject.is_file():
        raise ConfigError(
            f"no pyproject.toml in {root}", "run `releasekit init` in the project's root directory"
        )
    noxfile = root / "noxfile.py"
    template = template_text()
    write_noxfile = not noxfile.exists() or (
        force and noxfile.read_text(encoding="utf-8") != template
    )
    if noxfile.exists() and not force and noxfile.read_text(encoding="utf-8") != template:
        raise ConfigError(
            "noxfile.py exists and is not releasekit's template; nothing was changed",
            "add `import releasekit.sessions; releasekit.sessions.register()` to it, "
            "or run `releasekit init --force` to replace it",
        )

    text = pyproject.read_text(encoding="utf-8")
    doc = tomlkit.parse(text)
    changes = []
    build_system = doc.get("build-system")
    backend = build_system.get("build-backend", "") if build_system else ""
    if build_system is not None:
        requires = build_system.setdefault("requires", tomlkit.array())
        if not any(_req_name(str(r)) == "releasekit" for r in requires):
            requires.append("releasekit")
            changes.append("releasekit added to [build-system] requires")
    tool = doc.get("tool", {})
    hooks = tool.get("hatch", {}).get("build", {}).get("hooks", {})
    new_text = tomlkit.dumps(doc)
    if "releasekit" not in hooks:
        if backend == "hatchling.build":
            new_text = new_text.rstrip("\n") + "\n" + HOOK_TABLE
            changes.append("[tool.hatch.build.hooks.releasekit] added")
        else:
            changes.append(
                f"build hook not added: the build backend is {backend or 'unset'}, not hatchling"
            )
    if "releasekit" not in tool:
        new_text = new_text.rstrip("\n") + "\n" + CONFIG_TABLE
        changes.append("commented [tool.releasekit] added")
    tomlkit.parse(new_text)  # never write a pyproject.toml that does not parse

    lines = []
    if write_noxfile:
        noxfile.write_text(template, encoding="utf-8")
        lines.append("noxfile.py: written from releasekit's template")
    else:
        lines.append("noxfile.py: unchanged")
    if new_text != text:
        pyproject.write_text(new_text, encoding="utf-8")
        lines.append("pyproject.toml: " + "; ".join(changes))
    else:
        lines.append("pyproject.toml: unchanged")
    return lines


def _req_name(requirement: str) -> str:
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    try:
        return canonicalize_name(Requirement(requirement).name)
    except InvalidRequirement:
        return requirement
