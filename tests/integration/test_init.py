"""``releasekit init`` on real projects in real git repositories.

Through :func:`releasekit.cli.main` in-process (output through capsys), and as
``python -m releasekit`` where file permissions matter. Every refusal must be one
``releasekit: ...`` line naming the value, a ``hint:`` line, exit status 1, no traceback, and
every file of the project exactly as it was.
"""

from __future__ import annotations

import errno
import importlib.metadata
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from releasekit.cli import init, init_advice, main, pyproject_edit
from releasekit.cli.init import template_text
from tests.helpers.projects import run

HATCH_PYPROJECT = """\
[build-system]
requires = ["hatchling"]  # the backend
build-backend = "hatchling.build"

[project]
name = "demo-app"
version = "1.2.0"
description = "A sample project"
readme = "README.md"
requires-python = ">=3.9"

[project.scripts]
demo-app = "demo_app.cli:main"
"""

SETUPTOOLS_PYPROJECT = HATCH_PYPROJECT.replace(
    'requires = ["hatchling"]  # the backend\nbuild-backend = "hatchling.build"',
    'requires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"',
)

PROJECT = HATCH_PYPROJECT.split("\n\n", 1)[1]  # without [build-system]

REHEARSE = (
    "next: nox -s release -- --rehearse   "
    "(the whole release against local indexes: nothing leaves this machine)"
)
VERSION_FILES = (
    "next: src/demo_app/__init__.py carries the version too: set [tool.releasekit] "
    'version-files = ["pyproject.toml", "src/demo_app/__init__.py"]'
)
COMMIT_ALL = (
    "next: commit noxfile.py, pyproject.toml and .gitignore "
    "(the release is built from HEAD, and `nox -s check` wants a clean tree)"
)
HATCH_DONE = (
    "pyproject.toml: [tool.hatch.build.hooks.releasekit] added; commented [tool.releasekit] added"
)
REQUIREMENT = pyproject_edit.releasekit_requirement()  # releasekit>= this version
INSTALLED_FROM = init.installed_from  # before the fixture below replaces it
NOTHING_CHANGED = "nothing changed: noxfile.py, pyproject.toml and .gitignore are set up already"


@dataclass
class Result:
    code: int
    out: list[str]
    err: list[str]


@pytest.fixture(autouse=True)
def _installed_from_an_index(monkeypatch: pytest.MonkeyPatch) -> None:
    """Output that does not depend on how the test environment installed releasekit."""
    monkeypatch.setattr(init, "installed_from", lambda: None)
    monkeypatch.delenv("PIP_FIND_LINKS", raising=False)
    monkeypatch.delenv("UV_FIND_LINKS", raising=False)


def make(root: Path, pyproject: str = HATCH_PYPROJECT, *, git: bool = True) -> Path:
    """A small project: pyproject.toml, a README, a package with ``__version__``, one commit."""
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text(pyproject, encoding="utf-8")
    (root / "README.md").write_text("# demo-app\n", encoding="utf-8")
    package = root / "src" / "demo_app"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text('"""demo-app."""\n\n__version__ = "1.2.0"\n')
    (package / "cli.py").write_text(
        "from demo_app import __version__\n\n\ndef main() -> None:\n    print(__version__)\n"
    )
    if git:
        commit(root, "initial", init_repo=True)
    return root


def commit(root: Path, message: str, *, init_repo: bool = False) -> None:
    if init_repo:
        run("git", "init", "-q", "-b", "main", cwd=root)
    run("git", "add", "-A", cwd=root)
    run("git", "commit", "-q", "-m", message, cwd=root)


def releasekit_init(capsys: pytest.CaptureFixture[str], root: Path, *args: str) -> Result:
    code = main(["-C", str(root), "init", *args])
    out, err = capsys.readouterr()
    return Result(code, out.splitlines(), err.splitlines())


def snapshot(root: Path) -> dict[str, bytes | None]:
    """Every path under ``root`` but .git, with its bytes (``None`` for a directory)."""
    return {
        p.relative_to(root).as_posix(): None if p.is_dir() else p.read_bytes()
        for p in sorted(root.rglob("*"))
        if ".git" not in p.relative_to(root).parts
    }


def assert_refused(result: Result, message: str, hint: str) -> None:
    assert result.code == 1, result
    assert result.out == [], result
    assert result.err == [f"releasekit: {message}", f"  hint: {hint}"], result


# --- a hatchling project -------------------------------------------------------------------


def test_hatchling_project_gets_the_hook_with_its_dependency(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make(tmp_path / "demo-app")

    result = releasekit_init(capsys, root)

    assert result.code == 0, result
    assert result.err == []
    assert result.out == [
        "noxfile.py: written from releasekit's template",
        ".gitignore: created with dist/ and .nox/",
        HATCH_DONE,
        VERSION_FILES,
        COMMIT_ALL,
        REHEARSE,
    ]
    text = (root / "pyproject.toml").read_text()
    # [build-system] keeps only the backend (the published sdist builds without releasekit);
    # releasekit comes in as the hook's dependency; everything is appended
    assert text.startswith(HATCH_PYPROJECT + "\n[tool.hatch.build.hooks.releasekit]\n")
    assert f'\ndependencies = ["{REQUIREMENT}"]\n' in text
    assert REQUIREMENT.startswith("releasekit>=")
    assert '# version-files = ["pyproject.toml", "src/demo_app/__init__.py"]' in text
    assert '# commands = ["demo-app --version"]' in text
    for key in ("tag-prefix", "changelog", "pre-release", "check-sessions", "check-commands",
                "prepare-commands", "version-from-tag", "pythons", "timeout"):  # fmt: skip
        assert f"# {key} = " in text, key
    assert "# [tool.releasekit.smoke]" in text
    assert (root / "noxfile.py").read_text() == template_text()
    assert (root / ".gitignore").read_text() == "dist/\n.nox/\n"
    # what releasekit itself reads: the hook is on, [tool.releasekit] is empty
    assert main(["-C", str(root), "version"]) == 0


def test_running_init_twice_changes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make(tmp_path / "demo-app")
    assert releasekit_init(capsys, root).code == 0
    after_first = snapshot(root)

    again = releasekit_init(capsys, root)

    assert again.code == 0, again
    assert again.out == [NOTHING_CHANGED, VERSION_FILES, COMMIT_ALL, REHEARSE]
    assert snapshot(root) == after_first

    commit(root, "releasekit")
    committed = releasekit_init(capsys, root)
    assert committed.out == [NOTHING_CHANGED, VERSION_FILES, REHEARSE]
    assert snapshot(root) == after_first


def test_a_requirement_array_over_several_lines_and_crlf_line_ends_are_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pyproject = HATCH_PYPROJECT.replace(
        'requires = ["hatchling"]  # the backend',
        'requires = [\n    "hatchling>=1.27",  # the backend\n    "hatch-vcs",\n]',
    ).replace("\n", "\r\n")
    root = make(tmp_path / "demo-app", pyproject)

    assert releasekit_init(capsys, root).code == 0

    text = (root / "pyproject.toml").read_bytes().decode()
    assert text.startswith(pyproject)  # the requirement array as it was
    assert f'\r\ndependencies = ["{REQUIREMENT}"]\r\n' in text
    assert "\n" not in text.replace("\r\n", "")


def test_existing_releasekit_setup_is_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A project set up by hand: hook with its dependency (another spelling), config, own
    noxfile."""
    pyproject = HATCH_PYPROJECT + (
        '\n[tool.hatch.build.hooks.releasekit]\ndependencies = ["ReleaseKit>=0.1"]\n\n'
        '[tool.releasekit]\nversion-files = ["pyproject.toml", "src/demo_app/__init__.py"]\n'
    )
    root = make(tmp_path / "demo-app", pyproject)
    noxfile = "import nox\nfrom releasekit import sessions\n\nsessions.register()\n"
    (root / "noxfile.py").write_text(noxfile)
    (root / ".gitignore").write_text("/dist\n.nox/*\n*.pyc")
    commit(root, "set up by hand")
    before = snapshot(root)

    result = releasekit_init(capsys, root)

    assert result.out == [NOTHING_CHANGED, REHEARSE]
    assert snapshot(root) == before


def test_force_replaces_a_noxfile(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make(tmp_path / "demo-app")
    (root / "noxfile.py").write_text("import nox\n")

    refused = releasekit_init(capsys, root)
    assert_refused(
        refused,
        "noxfile.py exists and does not register releasekit's sessions; nothing was changed",
        "add `import releasekit.sessions` and `releasekit.sessions.register()` to it, "
        "or run `releasekit init --force` to replace it with releasekit's template",
    )
    forced = releasekit_init(capsys, root, "--force")

    assert forced.code == 0
    assert forced.out[0] == "noxfile.py: replaced by releasekit's template (--force)"
    assert (root / "noxfile.py").read_text() == template_text()


# --- other build backends ------------------------------------------------------------------


def test_setuptools_project_gets_no_build_requirement(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make(tmp_path / "demo-app", SETUPTOOLS_PYPROJECT)

    result = releasekit_init(capsys, root)

    assert result.code == 0, result
    assert result.out == [
        "noxfile.py: written from releasekit's template",
        ".gitignore: created with dist/ and .nox/",
        "pyproject.toml: commented [tool.releasekit] added",
        f"note: setuptools (setuptools.build_meta): {init_advice.SESSIONS}; the build hook "
        "is hatch-only, so a plain `python -m build` does not compare the tag with the "
        "version; `nox -s check` and `nox -s build` do, with the version the backend reports "
        "(releasekit was not added to the build requirements); `releasekit bump PART` writes "
        "[project] version, and every file in [tool.releasekit] version-files",
        VERSION_FILES,
        COMMIT_ALL,
        REHEARSE,
    ]
    text = (root / "pyproject.toml").read_text()
    assert text.startswith(SETUPTOOLS_PYPROJECT + "\n[tool.releasekit]\n")
    assert "hatch" not in text.replace("hatch-only", "")
    assert (root / "noxfile.py").read_text() == template_text()


# What each backend is told: (build-system and tool tables, what only its note says).
BACKENDS = {
    "setuptools-scm": (
        'requires = ["setuptools>=64", "setuptools-scm>=8"]\n'
        'build-backend = "setuptools.build_meta"',
        "[tool.setuptools_scm]\n",
        "note: setuptools (setuptools.build_meta): ",
        "the version comes from git tags (setuptools-scm): the tag is the version, so there "
        "is no file for `releasekit bump` to write: release by tagging the commit",
    ),
    "flit": (
        'requires = ["flit_core>=3.4"]\nbuild-backend = "flit_core.buildapi"',
        "",
        "note: flit (flit_core.buildapi): ",
        "`releasekit bump PART` writes [project] version",
    ),
    "pdm-backend": (
        'requires = ["pdm-backend"]\nbuild-backend = "pdm.backend"',
        "",
        "note: pdm-backend (pdm.backend): ",
        "`releasekit bump PART` writes [project] version",
    ),
    "pdm scm": (
        'requires = ["pdm-backend"]\nbuild-backend = "pdm.backend"',
        '[tool.pdm.version]\nsource = "scm"\n',
        "note: pdm-backend (pdm.backend): ",
        "the version comes from git tags (pdm-backend's scm source): the tag is the version",
    ),
    "poetry-core": (
        'requires = ["poetry-core"]\nbuild-backend = "poetry.core.masonry.api"',
        "",
        "note: poetry-core (poetry.core.masonry.api): ",
        "`releasekit bump PART` writes [project] version",
    ),
    "maturin": (
        'requires = ["maturin>=1.5"]\nbuild-backend = "maturin"',
        "",
        "note: maturin (maturin) builds compiled wheels: ",
        "build the platform wheels in a CI matrix (cibuildwheel, maturin-action)",
    ),
    "scikit-build-core": (
        'requires = ["scikit-build-core"]\nbuild-backend = "scikit_build_core.build"',
        "",
        "note: scikit-build-core (scikit_build_core.build) builds compiled wheels: ",
        "`nox -s build` makes the sdist and a wheel for this machine only",
    ),
    "hatch-vcs": (
        'requires = ["hatchling", "hatch-vcs"]\nbuild-backend = "hatchling.build"',
        '[tool.hatch.version]\nsource = "vcs"\n',
        "note: hatchling with hatch-vcs: the build hook checks tag against version in every "
        "build; ",
        "the version comes from git tags (hatch-vcs): the tag is the version",
    ),
    "no build-system": (
        None,
        "",
        "note: this project has no [build-system] build-backend (pip builds it with setuptools): ",
        "`releasekit bump PART` writes [project] version",
    ),
}


def test_each_backend_gets_its_own_advice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One note per backend: the sessions work, who checks the tag, where the version lives."""
    notes = {}
    for name, (build_system, tool, starts, says) in BACKENDS.items():
        pyproject = (f"[build-system]\n{build_system}\n\n" if build_system else "") + PROJECT
        if "git tags" in says:
            pyproject = pyproject.replace('version = "1.2.0"', 'dynamic = ["version"]')
        root = make(tmp_path / name.replace(" ", "-"), pyproject + "\n" + tool)

        result = releasekit_init(capsys, root)

        assert result.code == 0, result
        (note,) = [line for line in result.out if line.startswith("note: ")]
        assert note.startswith(starts), (name, note)
        assert says in note, (name, note)
        if name != "hatch-vcs":
            assert init_advice.SESSIONS in note, name
            assert "`nox -s check` and `nox -s build` do" in note, name
            text = (root / "pyproject.toml").read_text()
            assert text.startswith(pyproject) and 'releasekit"' not in text
            assert "[tool.hatch.build" not in text
        notes[name] = note
    assert len(set(notes.values())) == len(BACKENDS)  # each its own


def test_a_plain_hatchling_project_gets_no_backend_note(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make(tmp_path / "demo-app")
    assert not [line for line in releasekit_init(capsys, root).out if line.startswith("note:")]


# --- .gitignore ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after", "line"),
    [
        ("/dist/\n", "/dist/\n.nox/\n", ".gitignore: added .nox/"),
        ("dist\n.nox\n", None, None),
        ("**/dist/\n.nox/*\n", None, None),
        ("*.pyc", "*.pyc\ndist/\n.nox/\n", ".gitignore: added dist/ and .nox/"),
        ("dist/\n!dist/\n.nox/\n", "dist/\n!dist/\n.nox/\ndist/\n", ".gitignore: added dist/"),
        ("# dist/\n.nox/\r\n", "# dist/\n.nox/\r\ndist/\r\n", ".gitignore: added dist/"),
    ],
    ids=["/dist/", "no slashes", "globs", "no final newline", "negated", "comment, crlf"],
)
def test_gitignore_gets_only_what_it_lacks(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    before: str,
    after: str | None,
    line: str | None,
) -> None:
    root = make(tmp_path / "demo-app")
    (root / ".gitignore").write_bytes(before.encode())

    result = releasekit_init(capsys, root)

    assert result.code == 0, result
    assert (root / ".gitignore").read_bytes().decode() == (after or before)
    assert [x for x in result.out if x.startswith(".gitignore")] == ([line] if line else [])


# --- what is left to do --------------------------------------------------------------------

LOCAL = ("file:///home/me/src/releasekit", "/home/me/src/releasekit")


def findable_steps(out: list[str]) -> list[str]:
    start = next((i for i, x in enumerate(out) if "find releasekit" in x), None)
    if start is None:
        return []
    return [out[start], *(x for x in out[start + 1 :] if x.startswith("        "))]


def test_a_releasekit_from_a_checkout_is_made_findable_by_builds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(init, "installed_from", lambda: LOCAL)
    root = make(tmp_path / "demo-app")

    result = releasekit_init(capsys, root)

    assert findable_steps(result.out) == [
        "next: let this project's builds find releasekit (the build hook needs it): it is "
        "installed from file:///home/me/src/releasekit, where no build frontend looks; put "
        "its wheel where they do:",
        '        pip wheel --no-deps --wheel-dir "$HOME/.cache/releasekit-wheels" '
        "/home/me/src/releasekit",
        '        export PIP_FIND_LINKS="$HOME/.cache/releasekit-wheels" '
        'UV_FIND_LINKS="$HOME/.cache/releasekit-wheels"   # in your shell profile and CI too',
    ]
    assert result.out[-1] == REHEARSE


def test_a_wheelhouse_in_find_links_is_enough(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(init, "installed_from", lambda: LOCAL)
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    (wheels / "releasekit-0.1.0-py3-none-any.whl").write_bytes(b"")
    root = make(tmp_path / "demo-app")

    monkeypatch.setenv("PIP_FIND_LINKS", f"https://example.invalid/links {wheels}")
    only_pip = releasekit_init(capsys, root)
    assert findable_steps(only_pip.out)[1:] == [
        f'        export UV_FIND_LINKS="{wheels}"   # in your shell profile and CI too'
    ]

    monkeypatch.setenv("UV_FIND_LINKS", f"{tmp_path / 'missing'},{wheels.as_uri()}")
    both = releasekit_init(capsys, root)
    assert findable_steps(both.out) == []


def test_a_setuptools_project_needs_no_findable_releasekit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(init, "installed_from", lambda: LOCAL)
    root = make(tmp_path / "demo-app", SETUPTOOLS_PYPROJECT)

    assert findable_steps(releasekit_init(capsys, root).out) == []


@pytest.mark.parametrize(
    ("direct_url", "expected"),
    [
        ('{"url": "file:///home/me/src/releasekit", "dir_info": {"editable": true}}', LOCAL),
        ('{"url": "file:///home/me/src/releasekit", "dir_info": {}}', LOCAL),
        (
            '{"url": "file:///tmp/w/releasekit-0.1.0-py3-none-any.whl", "archive_info": {}}',
            ("file:///tmp/w/releasekit-0.1.0-py3-none-any.whl",
             "/tmp/w/releasekit-0.1.0-py3-none-any.whl"),
        ),
        (
            '{"url": "https://github.com/o/releasekit", '
            '"vcs_info": {"vcs": "git", "commit_id": "abc123"}}',
            ("https://github.com/o/releasekit", "git+https://github.com/o/releasekit@abc123"),
        ),
        (None, None),
        ("not json", None),
    ],
    ids=["editable", "directory", "wheel file", "git", "index install", "unreadable"],
)  # fmt: skip
def test_direct_source(direct_url: str | None, expected: tuple[str, str] | None) -> None:
    assert init.direct_source(direct_url) == expected


def test_installed_from_reads_this_installation() -> None:
    """The real lookup reads this environment's own direct_url.json (if any)."""
    raw = importlib.metadata.distribution("releasekit").read_text("direct_url.json")
    assert INSTALLED_FROM() == init.direct_source(raw)


def test_steps_for_a_project_without_git_readme_or_static_version(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pyproject = (
        HATCH_PYPROJECT.replace('readme = "README.md"\n', "").replace(
            'version = "1.2.0"', 'dynamic = ["version"]'
        )
        + '\n[tool.hatch.version]\nsource = "releasekit"\n'
    )
    root = make(tmp_path / "demo-app", pyproject, git=False)
    (root / "README.md").unlink()

    result = releasekit_init(capsys, root)

    assert result.code == 0, result
    assert result.out[3:] == [
        'next: set version-files = ["src/demo_app/__init__.py"] in [tool.releasekit]: '
        '[tool.hatch.version] source = "releasekit" reads the version from the first',
        'next: set [project] readme = "README.md" (and write it): `nox -s build` runs '
        "`twine check --strict`, which refuses a package without a long description",
        "next: make the project a git repository and commit it (git init; git add; "
        "git commit): the release is built from a clean export of HEAD",
        REHEARSE,
    ]
    assert '# version-files = ["src/demo_app/__init__.py"]' in (root / "pyproject.toml").read_text()


# --- refusals: one line naming the value, a hint, exit 1, nothing written -----------------

REFUSALS = {
    "invalid TOML": (
        HATCH_PYPROJECT + "oops =\n",
        "pyproject.toml is not valid TOML: Invalid value (at line 14, column 7)",
        "fix the syntax there (pip and build refuse it too), then run releasekit init again",
    ),
    "[build-system] not a table": (
        'build-system = "hatchling"\n\n' + PROJECT,
        "[build-system] in pyproject.toml is a string ('hatchling'), not a table",
        'write it as a table: [build-system] requires = ["hatchling"] '
        'build-backend = "hatchling.build"',
    ),
    "requires not a list": (
        HATCH_PYPROJECT.replace('["hatchling"]', '"hatchling"'),
        "[build-system] requires is a string ('hatchling'), not an array of strings",
        'write it as an array: requires = ["hatchling"]',
    ),
    "requires holds a number": (
        HATCH_PYPROJECT.replace('["hatchling"]', '["hatchling", 3]'),
        "[build-system] requires holds an integer (3), not a requirement string",
        'quote each requirement: requires = ["hatchling>=1.27"]',
    ),
    "build-backend not a string": (
        HATCH_PYPROJECT.replace('"hatchling.build"', "1"),
        "[build-system] build-backend is an integer (1), not a string",
        'write it as a string: build-backend = "hatchling.build"',
    ),
    "hatchling without requires": (
        HATCH_PYPROJECT.replace('requires = ["hatchling"]  # the backend\n', ""),
        "[build-system] has a build-backend but no requires",
        'add requires = ["hatchling"] (every build frontend needs it)',
    ),
    "[tool] not a table": (
        "tool = 1\n" + HATCH_PYPROJECT,
        "[tool] in pyproject.toml is an integer (1), not a table",
        "write it as a [tool] table (or remove it)",
    ),
    "[tool.hatch] not a table": (
        HATCH_PYPROJECT + '\n[tool]\nhatch = "yes"\n',
        "[tool.hatch] in pyproject.toml is a string ('yes'), not a table",
        "write it as a [tool.hatch] table (or remove it)",
    ),
    "[[tool.hatch.build]]": (
        HATCH_PYPROJECT + "\n[[tool.hatch.build]]\nx = 1\n",
        '[tool.hatch.build] in pyproject.toml is an array ([{"x": 1}]), not a table',
        "write it as a [tool.hatch.build] table (or remove it)",
    ),
    "hook table is a boolean": (
        HATCH_PYPROJECT + "\n[tool.hatch.build.hooks]\nreleasekit = true\n",
        "[tool.hatch.build.hooks.releasekit] in pyproject.toml is a boolean (true), not a table",
        "write it as a [tool.hatch.build.hooks.releasekit] table (or remove it)",
    ),
    "inline hooks table": (
        HATCH_PYPROJECT + "\n[tool.hatch.build]\nhooks = { custom = {} }\n",
        "cannot add [tool.hatch.build.hooks.releasekit] to pyproject.toml: "
        "[tool.hatch.build.hooks] is an inline table (written as { ... }); nothing was changed",
        "write it as a [tool.hatch.build.hooks] section, or add releasekit = {} inside it by hand",
    ),
    "[tool.releasekit] not a table": (
        HATCH_PYPROJECT + '\n[tool]\nreleasekit = "yes"\n',
        "[tool.releasekit] in pyproject.toml is a string ('yes'), not a table",
        "write it as a [tool.releasekit] table (or remove it: init writes one)",
    ),
    "existing [tool.releasekit] with a typo": (
        HATCH_PYPROJECT + '\n[tool.releasekit]\nversion-file = ["pyproject.toml"]\n',
        "unknown key 'version-file' in [tool.releasekit]",
        "did you mean 'version-files'?",
    ),
}


@pytest.mark.parametrize("case", list(REFUSALS.values()), ids=list(REFUSALS))
def test_odd_pyproject_shapes_are_refused_and_nothing_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: tuple[str, str, str]
) -> None:
    pyproject, message, hint = case
    root = make(tmp_path / "demo-app", pyproject)
    before = snapshot(root)

    result = releasekit_init(capsys, root)

    assert_refused(result, message, hint)
    assert snapshot(root) == before


@pytest.mark.parametrize("name", ["noxfile.py", ".gitignore", "pyproject.toml"])
def test_a_directory_where_a_file_belongs_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    root = make(tmp_path / "demo-app")
    target = root / name
    if target.exists():
        target.unlink()
    target.mkdir()
    (target / "keep").write_text("")
    before = snapshot(root)

    result = releasekit_init(capsys, root)

    assert_refused(
        result,
        f"{name} in {root} is a directory, not a file",
        f"move the directory away: releasekit init reads and writes {name} there",
    )
    assert snapshot(root) == before


def test_no_pyproject(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = releasekit_init(capsys, tmp_path)

    assert_refused(
        result, f"no pyproject.toml in {tmp_path}", "run `releasekit init` in the project's root"
    )
    assert list(tmp_path.iterdir()) == []


def test_a_failed_write_names_the_files_already_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A disk that fills up half-way: stand in for it at the last write."""
    root = make(tmp_path / "demo-app")
    real_write = Path.write_bytes

    def write_bytes(self: Path, data: bytes) -> int:
        if self.name == "pyproject.toml":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(self, data)

    monkeypatch.setattr(Path, "write_bytes", write_bytes)

    result = releasekit_init(capsys, root)

    assert_refused(
        result,
        "writing pyproject.toml failed: No space left on device; "
        "already written: noxfile.py, .gitignore",
        "fix the cause and run releasekit init again: it adds only what is still missing",
    )
    assert (root / "pyproject.toml").read_text() == HATCH_PYPROJECT
    monkeypatch.undo()
    assert releasekit_init(capsys, root).out[0] == HATCH_DONE  # the rerun finishes the job


# --- file permissions: in a subprocess that file modes bind, even as root -----------------


def unprivileged(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """``python -m releasekit ARGS`` as this user, or as root without CAP_DAC_OVERRIDE."""
    prefix: list[str] = []
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("root ignores file modes, and setpriv is not there to drop that")
        prefix = [setpriv, "--inh-caps=-dac_override", "--bounding-set=-dac_override"]
    return subprocess.run(
        [*prefix, sys.executable, "-m", "releasekit", *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize("read_only", ["pyproject.toml", "directory"])
def test_read_only_files_are_refused_before_anything_is_written(
    tmp_path: Path, read_only: str
) -> None:
    root = make(tmp_path / "demo-app")
    target = root if read_only == "directory" else root / read_only
    mode = target.stat().st_mode
    before = snapshot(root)
    target.chmod(0o555 if target.is_dir() else 0o444)
    try:
        proc = unprivileged("-C", root, "init")
    finally:
        target.chmod(mode)

    assert proc.returncode == 1, proc
    assert proc.stdout == ""
    if read_only == "directory":
        expected = [
            f"releasekit: cannot create noxfile.py in {root}: the directory is not writable; "
            "nothing was changed",
            f"  hint: make the directory writable (chmod u+w {root}) and run releasekit init again",
        ]
    else:
        expected = [
            "releasekit: cannot write pyproject.toml: Permission denied; nothing was changed",
            "  hint: make it writable (chmod u+w pyproject.toml) and run releasekit init again",
        ]
    assert proc.stderr.splitlines() == expected
    assert snapshot(root) == before


# --- the proof: an init'ed project builds, and its build runs the hook ---------------------


@pytest.mark.slow
def test_an_initialised_project_builds_with_releasekit_from_find_links(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], build_env: dict[str, str]
) -> None:
    root = make(tmp_path / "demo-app")
    assert releasekit_init(capsys, root).code == 0
    commit(root, "releasekit")

    out = tmp_path / "dist"
    env = {**build_env, "RELEASEKIT_TAG": "v1.2.0", "PIP_CONFIG_FILE": os.devnull}
    run(sys.executable, "-m", "build", "--outdir", out, root, env=env)
    assert (out / "demo_app-1.2.0.tar.gz").is_file()
    assert (out / "demo_app-1.2.0-py3-none-any.whl").is_file()

    # the hook runs in the isolated build (releasekit came from the wheelhouse): it refuses
    # a tag that names another version
    env["RELEASEKIT_TAG"] = "v9.9.9"
    refused = run(sys.executable, "-m", "build", "--outdir", out, root, env=env, check=False)
    assert refused.returncode != 0
    assert "release tag v9.9.9 (from RELEASEKIT_TAG) is version 9.9.9" in refused.stdout


def test_readme_commands_match_what_init_prints() -> None:
    """The setup guide's wheelhouse lines are the ones init prints as next steps."""
    guide = Path(__file__).resolve().parents[2] / "docs" / "guides" / "setup.md"
    section = guide.read_text(encoding="utf-8").split("\n## ", 1)[0]
    assert f'pip wheel --no-deps --wheel-dir "{init.WHEELHOUSE}" "$RELEASEKIT_SRC"' in section
    assert f'export PIP_FIND_LINKS="{init.WHEELHOUSE}" UV_FIND_LINKS="{init.WHEELHOUSE}"' in section
    assert "\nreleasekit init " in section


# --- the old form, hook order, version files, a frontend hook ------------------------------

JUPYTER_HOOK = """
# the frontend
[tool.hatch.build.hooks.jupyter-builder]
dependencies = ["hatch-jupyter-builder>=0.5"]
build-function = "hatch_jupyter_builder.npm_builder"
ensured-targets = ["demo_app/labextension/static/style.js", "demo_app/labextension/package.json"]

[tool.hatch.build.hooks.jupyter-builder.build-kwargs]
build_cmd = "build:prod"
npm = ["jlpm"]
"""
OLD_HOOK = "\n[tool.hatch.build.hooks.releasekit]\n# the guard\nrequire-tag = false\n"
OLD_FORM = (
    HATCH_PYPROJECT.replace('["hatchling"]', '["hatchling", "releasekit"]')
    + JUPYTER_HOOK
    + OLD_HOOK
    + '\n[tool.releasekit]\nversion-files = ["pyproject.toml"]\n'
)


def test_the_old_form_is_migrated_and_the_hook_moved_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make(tmp_path / "demo-app", OLD_FORM)

    result = releasekit_init(capsys, root)

    assert result.code == 0, result
    assert (
        "pyproject.toml: releasekit moved from [build-system] requires to the dependencies "
        "of [tool.hatch.build.hooks.releasekit] (the published sdist then builds without it); "
        "[tool.hatch.build.hooks.releasekit] moved before [tool.hatch.build.hooks.jupyter-builder] "
        "(hooks run in the order of their tables: a wrong tag is refused before the others run)"
    ) in result.out
    text = (root / "pyproject.toml").read_text()
    moved = OLD_HOOK.lstrip("\n") + f'dependencies = ["{REQUIREMENT}"]\n'
    assert text == (
        HATCH_PYPROJECT
        + "\n"
        + moved
        + JUPYTER_HOOK
        + '\n[tool.releasekit]\nversion-files = ["pyproject.toml"]\n'
    )
    again = releasekit_init(capsys, root)
    assert again.out[0] == NOTHING_CHANGED


def test_a_frontend_hook_gets_the_hook_first_and_the_once_per_release_route(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make(tmp_path / "demo-app", HATCH_PYPROJECT + JUPYTER_HOOK)
    (root / "package.json").write_text('{"name": "demo-app", "version": "1.1.0"}\n')

    result = releasekit_init(capsys, root)

    assert result.code == 0, result
    text = (root / "pyproject.toml").read_text()
    assert text.index("[tool.hatch.build.hooks.releasekit]") < text.index(
        "# the frontend\n[tool.hatch.build.hooks.jupyter-builder]"
    )
    assert text.startswith(HATCH_PYPROJECT + "\n[tool.hatch.build.hooks.releasekit]\n")
    assert [
        line for line in result.out if "version" in line and line.startswith(("next", "note"))
    ] == [
        "next: src/demo_app/__init__.py, package.json carry the version too: set "
        '[tool.releasekit] version-files = ["pyproject.toml", "src/demo_app/__init__.py", '
        '"package.json"]',
        "note: package.json says 1.1.0, but pyproject.toml says 1.2.0: align it before "
        "listing it (`nox -s check` refuses version files that disagree)",
    ]
    start = result.out.index(
        "next: [tool.hatch.build.hooks.jupyter-builder] builds the frontend inside every build: "
        "in a release that is the sdist, the wheel built from it and smoke-install's sdist "
        "build, each a full JavaScript build. Build it once per release, in the sdist's build:"
    )
    assert result.out[start + 1 : start + 4] == [
        '        [tool.hatch.build.targets.sdist] artifacts = ["demo_app/labextension"] '
        "(git ignores it; the sdist must ship it)",
        '        skip-if-exists = ["demo_app/labextension/static/style.js"] in '
        "[tool.hatch.build.hooks.jupyter-builder] (the wheel built from the sdist, and a "
        "user's build of it, then reuse it)",
        '        (or before the sdist, with [tool.releasekit] prepare-commands = ["jlpm install", '
        '"jlpm run build:prod"]: then jlpm must be on the PATH of every machine and CI job '
        "that builds the release)",
    ]


def test_a_frontend_set_up_for_one_build_is_told_so() -> None:
    data = {
        "tool": {
            "hatch": {
                "build": {
                    "targets": {"sdist": {"artifacts": ["pkg/labextension"]}},
                    "hooks": {
                        "jupyter-builder": {
                            "ensured-targets": ["pkg/labextension/package.json"],
                            "skip-if-exists": ["pkg/labextension/package.json"],
                        }
                    },
                }
            },
        }
    }
    assert init_advice.frontend_steps(data) == [
        "note: [tool.hatch.build.hooks.jupyter-builder]: the frontend is built once per "
        "release, in the sdist's build (artifacts and skip-if-exists are set)"
    ]


def test_hooks_in_dotted_keys_and_tags_without_v_are_spoken_of_as_they_are(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """As tox-dev/filelock writes it: hatch-vcs, its version-file hook as dotted keys under
    [tool.hatch], release tags without a v."""
    pyproject = (
        HATCH_PYPROJECT.replace('["hatchling"]', '["hatchling", "hatch-vcs"]').replace(
            'version = "1.2.0"', 'dynamic = ["version"]'
        )
        + '\n[tool.hatch]\nversion.source = "vcs"\n'
        + 'build.hooks.vcs.version-file = "src/demo_app/_version.py"\n'
    )
    root = make(tmp_path / "demo-app", pyproject)
    run("git", "tag", "1.1.0", cwd=root)

    result = releasekit_init(capsys, root)

    assert result.code == 0, result
    notes = [line for line in result.out if line.startswith("note: ")]
    assert notes == [
        "note: hatchling with hatch-vcs: the build hook checks tag against version in every "
        "build; the version comes from git tags (hatch-vcs): the tag is the version, so there "
        "is no file for `releasekit bump` to write: release by tagging the commit (git tag "
        "1.2.3) (`hatch version X` cannot set it either)",
        "note: [tool.hatch.build.hooks.vcs] runs before releasekit's hook (hatchling runs "
        "hooks in the order of their tables): a wrong tag is refused only after; move "
        "[tool.hatch.build.hooks.releasekit] above them by hand",
    ]


def test_a_version_kept_in_package_json_by_hatch_nodejs_version_is_offered(
    tmp_path: Path,
) -> None:
    """As jupyterlab/extension-examples write it: [tool.hatch.version] source = "nodejs"."""
    (tmp_path / "package.json").write_text('{"name": "x", "version": "0.1.0"}\n')
    data = {
        "project": {"dynamic": ["version"]},
        "tool": {"hatch": {"version": {"source": "nodejs"}}},
    }
    assert init_advice.version_files_step(tmp_path, data) == [
        "next: the version lives in package.json (hatch-nodejs-version): set [tool.releasekit] "
        'version-files = ["package.json"] so that `releasekit bump` writes it'
    ]


def test_a_hook_on_the_wheel_target_only_is_named_with_the_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pyproject = HATCH_PYPROJECT + (
        '\n[tool.hatch.build.targets.wheel.hooks.releasekit]\ndependencies = ["releasekit"]\n'
    )
    root = make(tmp_path / "demo-app", pyproject)

    result = releasekit_init(capsys, root)

    assert result.code == 0, result
    assert (
        "note: releasekit's hook is on for wheel only "
        "([tool.hatch.build.targets.wheel.hooks.releasekit]): the sdist is built without it, "
        "so the sdist ships the hook on and needs releasekit to build; move the table to "
        "[tool.hatch.build.hooks.releasekit]"
    ) in result.out
