"""A newcomer's first hour (issue 17): what following the README literally ran into.

Each test is one stumble: ``-C`` after the subcommand, the commented ``[tool.releasekit]``
that ``init`` writes (every key the config reads, and tests in a session of their own),
the words of ``check`` on a dirty untagged tree, ``yank`` without a GitHub remote, and the
help texts that say what a command prints and commits.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from releasekit._compat import tomllib
from releasekit.cli import _parser, main, pyproject_edit
from releasekit.core import config
from tests.helpers.projects import Project, write_project

# The required arguments of each subcommand, so that each can be parsed with -C after it.
_ARGUMENTS = {"bump": ["patch"], "yank": ["1.2.0"]}


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    actions = [a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(actions[0].choices)


@pytest.mark.parametrize("command", sorted(_subcommands()))
def test_dash_c_after_every_subcommand(command: str, tmp_path: Path) -> None:
    """`releasekit init -C DIR` as the README's "with -C DIR" reads: before or after."""
    rest = _ARGUMENTS.get(command, [])
    after = _parser().parse_args([command, *rest, "-C", str(tmp_path)])
    before = _parser().parse_args(["-C", str(tmp_path), command, *rest])
    plain = _parser().parse_args([command, *rest])
    assert after.root == before.root == tmp_path
    assert plain.root == Path(".")


def test_init_with_dash_c_after_the_subcommand(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = write_project(tmp_path / "demo", build_requires=("hatchling",), hook=False)
    assert main(["init", "-C", str(project.path)]) == 0
    out = capsys.readouterr().out
    assert "noxfile.py: written from releasekit's template" in out
    assert (project.path / "noxfile.py").is_file()
    assert "[tool.hatch.build.hooks.releasekit]" in (project.path / "pyproject.toml").read_text()


def _uncommented(table: str) -> dict[str, object]:
    """The commented ``[tool.releasekit]`` of init with every example line switched on."""
    lines = []
    for line in table.splitlines():
        body = line[2:] if line.startswith("# ") else line
        if re.match(r"^(\[|[a-z-]+ = )", body):
            lines.append(body)
    data = tomllib.loads("\n".join(lines))
    section: dict[str, object] = data["tool"]["releasekit"]
    return section


def test_init_comments_every_config_key(tmp_path: Path) -> None:
    """Every key `[tool.releasekit]` reads is shown, and each uncommented parses as TOML."""
    project = write_project(tmp_path / "demo", build_requires=("hatchling",), hook=False)
    table = pyproject_edit._config_table(
        pyproject_edit.parse((project.path / "pyproject.toml").read_text()), project.path
    )
    shown = _uncommented(table)
    assert sorted(shown) == sorted(config._TOP_KEYS)
    indexes = shown["indexes"]
    assert isinstance(indexes, dict)
    assert sorted(indexes) == sorted(config._INDEX_NAMES)
    for name in config._INDEX_NAMES:
        assert sorted(indexes[name]) == sorted(config._INDEX_KEYS), name
    smoke = shown["smoke"]
    assert isinstance(smoke, dict)
    assert sorted(smoke) == sorted(config._SMOKE_KEYS)


def test_init_suggests_check_sessions_for_tests(tmp_path: Path) -> None:
    """The README warns that check-commands run without the project installed: init's
    example must not be a bare pytest there."""
    project = write_project(tmp_path / "demo", build_requires=("hatchling",), hook=False)
    assert main(["-C", str(project.path), "init"]) == 0
    text = (project.path / "pyproject.toml").read_text()
    assert "pytest -q" not in text
    assert '# check-sessions = ["tests"]\n' in text
    assert 'session.install(".", "pytest"); session.run("pytest")' in text
    assert "# check-commands = " in text
    assert "neither your project nor pytest is installed" in text


def test_help_says_what_version_prints_and_what_bump_commits(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["version", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "Print the project's name and version" in text
    assert "its channel" in text
    assert "Exits 1 when a version file or the tag disagrees" in text
    assert main(["bump", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "with the message 'Bump version to X'" in text
    assert "the commit is then 'Release X'" in text


def _project(tmp_path: Path) -> Project:
    return write_project(tmp_path / "demo", build_requires=("hatchling",), hook=False)
