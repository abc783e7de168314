"""Bad input, clearly: every expected failure, as a table per front end.

Each row is one bad input and what releasekit must say about it: the message (exact, or a
substring precise enough to name the bad value), the hint, the exit status, and that
nothing changed. "Nothing changed" is checked, not assumed: every file of the project tree
(``.git`` included) is snapshotted with its bytes and mtime before the command and compared
after it; for the release sessions, both local indexes must hold exactly what they held.

- :data:`CLI_CASES`: ``releasekit version | bump | init`` in-process through
  :func:`releasekit.cli.main` (fast), or as ``python -m releasekit`` where a real pipe or
  file permissions are the point (as root, those run without ``CAP_DAC_OVERRIDE``, so file
  modes bind).
- :data:`HOOK_CASES`: the hatch build hook and version source, in in-process hatchling
  builds; the failure is the releasekit exception itself, and no artifact is written.
- :data:`SESSION_CASES`: real ``nox`` runs, only for what needs nox (session options,
  ``dist/``, indexes, commands the sessions run). Their failure is nox's ``Session X
  aborted:`` line carrying releasekit's message, then the hint.

Left out of the snapshot, by design: ``.nox/`` (releasekit's own state: the lock, caches,
the tools venv), and, for sessions, the step timings a session that *passed* records in
``dist/releasekit-steps.json``.
"""

from __future__ import annotations

import errno
import http.server
import os
import shlex
import shutil
import subprocess
import sys
import tarfile
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pytest
from hatchling.builders.sdist import SdistBuilder
from hatchling.builders.wheel import WheelBuilder
from hatchling.metadata.core import ProjectMetadata
from hatchling.plugin.manager import PluginManager

from releasekit.cli import main
from releasekit.core import carriers
from releasekit.engine.manifest import Manifest, describe
from releasekit.errors import ReleasekitError
from releasekit.hatch_plugin.version_source import ReleasekitVersionSource
from releasekit.rehearsal.pypiserver import LocalIndex
from tests.helpers.projects import Project, run, write_project
from tests.helpers.sessions import creds, nox, release_project, served
from tests.helpers.unchanged import Snapshot, assert_reported, assert_unchanged, snapshot

Setup = Callable[[Project, pytest.MonkeyPatch], None]


def unprivileged_prefix() -> list[str]:
    """A command prefix under which file modes bind, even for root (which ignores them)."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("root ignores file modes, and setpriv is not there to drop that")
    return [setpriv, "--inh-caps=-dac_override", "--bounding-set=-dac_override"]


# == the command line ============================================================================


@dataclass(frozen=True)
class CliCase:
    """``releasekit ARGV`` on a fresh sample project (``write_project``) after ``setup``.

    ``also``: more (message, hint) pairs the same run must report (config problems come
    all at once). ``how``: ``main`` in-process; ``read-only`` as a subprocess without
    ``CAP_DAC_OVERRIDE``, with ``read_only`` paths (relative to the project) made read-only;
    ``pipe`` as ``python -m releasekit ARGV | true`` under ``set -o pipefail``.
    """

    argv: tuple[str, ...]
    message: str | None
    hint: str = ""
    setup: Setup | None = None
    table: str = ""  # [tool.releasekit] and more, appended to pyproject.toml
    project: Mapping[str, Any] = field(default_factory=dict)  # more write_project arguments
    code: int = 1
    also: tuple[tuple[str, str], ...] = ()
    how: str = "main"
    read_only: tuple[str, ...] = ()
    hidden: str = ""  # a secret that must appear nowhere in the output


def edit_pyproject(old: str, new: str) -> Setup:
    """Replace ``old`` in pyproject.toml by ``new`` (and commit): a project with one odd line."""

    def setup(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
        path = project.path / "pyproject.toml"
        text = path.read_text(encoding="utf-8")
        assert old in text, old
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
        project.commit("odd pyproject.toml")

    return setup


def write_files(
    files: Mapping[str, str | bytes | None],
    env: Mapping[str, str] | None = None,
    *,
    commit: bool = True,
    then: Setup | None = None,
) -> Setup:
    """Write (``None``: make a directory at) each path, commit; set ``env``; then ``then``."""

    def setup(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
        for relpath, content in files.items():
            target = project.path / relpath
            target.parent.mkdir(parents=True, exist_ok=True)
            if content is None:
                if target.is_file():
                    target.unlink()
                target.mkdir()
                (target / ".keep").write_text("")
            elif isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content, encoding="utf-8")
        if commit:
            project.commit("files")
        for name, value in (env or {}).items():
            monkeypatch.setenv(name, value)
        if then is not None:
            then(project, monkeypatch)

    return setup


def env(**variables: str) -> Setup:
    return write_files({}, variables)


def tags(*names: str, annotated: bool = False, then: Setup | None = None) -> Setup:
    def setup(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
        for name in names:
            project.tag(name, annotated=annotated)
        if then is not None:
            then(project, monkeypatch)

    return setup


def outside_file(relpath: str) -> Setup:
    """A version file next to the repository, where ``../x.py`` from the project points."""

    def setup(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
        (project.path.parent / relpath).write_text('__version__ = "1.2.0"\n')

    return setup


def disk_full_at(relpath: str) -> Setup:
    """The disk fills up when ``relpath`` is written: the file is truncated, then ENOSPC.

    A stand-in for a full disk at that one write (the way the file system fails: open for
    writing empties the file, the write itself fails), after earlier files were written.
    """

    def setup(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
        target = os.path.normpath(project.path / relpath)
        real_open = open

        def full_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
            if mode == "w" and os.path.normpath(os.fspath(file)) == target:
                real_open(file, "w").close()
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), os.fspath(file))
            return real_open(file, mode, *args, **kwargs)

        monkeypatch.setattr(carriers, "open", full_open, raising=False)

    return setup


VERSION, BUMP, INIT = ("version",), ("bump", "minor"), ("init",)
BOTH_FILES = '[tool.releasekit]\nversion-files = ["pyproject.toml", "src/demo/__init__.py"]\n'
URL_TOKEN = "pypi-AgEIcHlwaS5vcmcsekr3t"
BUMP_HINT = "use one of major, minor, patch, a, b, rc, post, dev, release"
NEITHER_VERSION = (
    "pyproject.toml [project] has no version and does not list it in dynamic",
    'add version = "0.1.0" to [project], or dynamic = ["version"] with a version source',
)

CLI_CASES: dict[str, CliCase] = {
    # -- [tool.releasekit]: typos and bad values, every one reported in one run
    "config: a typo": CliCase(
        VERSION,
        "unknown key 'versoin-files' in [tool.releasekit]",
        "did you mean 'version-files'?",
        table='[tool.releasekit]\nversoin-files = ["pyproject.toml"]\n',
    ),
    "config: three problems at once": CliCase(
        VERSION,
        "unknown key 'versoin-files' in [tool.releasekit]",
        "did you mean 'version-files'?",
        table='[tool.releasekit]\nversoin-files = ["pyproject.toml"]\n\n'
        "[tool.releasekit.smoke]\ntimeout = 0\n",
        project={"hook_options": "require_tag = true"},
        also=(
            (
                "[tool.releasekit].smoke timeout must be a number of seconds > 0, not 0",
                "e.g. timeout = 120",
            ),
            (
                "unknown key 'require_tag' in [tool.hatch.build.hooks.releasekit]",
                "did you mean 'require-tag'?",
            ),
        ),
    ),
    "config: bad values of every kind at once": CliCase(
        BUMP,
        "[tool.releasekit] pre-release must be one of 'both', 'test-only', not 'sometimes'",
        '"both" publishes pre-releases everywhere',
        table='[tool.releasekit]\npre-release = "sometimes"\npropagation-timeout = -1\n'
        'tag-prefix = 1\nchangelog = "docs/"\nversion-from-tag = "yes"\ncheck-commands = 3\n',
        also=(
            (
                "[tool.releasekit] propagation-timeout must be a number of seconds >= 0, not -1",
                "e.g. propagation-timeout = 300",
            ),
            ("[tool.releasekit] tag-prefix must be a string, not 1", 'tag-prefix = "..."'),
            (
                "[tool.releasekit] changelog must be a file path or false, not 'docs/'",
                'changelog = "CHANGES.md"',
            ),
            (
                "[tool.releasekit] version-from-tag must be true or false, not 'yes'",
                "write version-from-tag = true",
            ),
            ("[tool.releasekit] check-commands must be a list of strings, not 3", '["...", "..."]'),
        ),
    ),
    "config: empty version-files": CliCase(
        VERSION,
        "[tool.releasekit] version-files must be a non-empty list, not []",
        "list the files that carry the version",
        table="[tool.releasekit]\nversion-files = []\n",
    ),
    "config: version-files entry with a typo": CliCase(
        BUMP,
        "unknown key 'patern' in [tool.releasekit] version-files entry",
        "did you mean 'pattern'?",
        table="[tool.releasekit]\n"
        'version-files = [{ path = "VERSION", patern = "(?P<version>.+)" }]\n',
    ),
    "config: an index that is not test or prod": CliCase(
        VERSION,
        "unknown key 'staging' in [tool.releasekit].indexes",
        "known keys: test, prod",
        table='[tool.releasekit.indexes.staging]\nurl = "https://staging.example/simple/"\n',
    ),
    "config: index over plain http": CliCase(
        VERSION,
        "[tool.releasekit].indexes.prod url 'http://pypi.example/simple/' uses http:// on a "
        "non-loopback host",
        "use https://",
        table='[tool.releasekit.indexes.prod]\nurl = "http://pypi.example/simple/"\n',
    ),
    "config: index URL with credentials": CliCase(
        VERSION,
        "[tool.releasekit].indexes.prod publish-url 'https://***@upload.example/legacy/' has "
        "credentials in it",
        "set RELEASEKIT_PROD_PASSWORD",
        table="[tool.releasekit.indexes.prod]\n"
        f'publish-url = "https://__token__:{URL_TOKEN}@upload.example/legacy/"\n',
        hidden=URL_TOKEN,
    ),
    "config: install-index that is not a URL": CliCase(
        VERSION,
        "[tool.releasekit] install-index 'pypi' is not an http(s) URL",
        "e.g. https://pypi.org/simple/",
        table='[tool.releasekit]\ninstall-index = "pypi"\n',
    ),
    "config: smoke extras not a table": CliCase(
        VERSION,
        "[tool.releasekit].smoke.extras must be a table, not str 'cli'",
        "write it as a [tool.releasekit.smoke.extras] section",
        table='[tool.releasekit.smoke]\nextras = "cli"\n',
    ),
    "config: [tool.releasekit] not a table": CliCase(
        BUMP,
        "[tool.releasekit] must be a table, not int 1",
        "write it as a [tool.releasekit] section",
        table="[tool]\nreleasekit = 1\n",
    ),
    # -- the hook's table and the environment
    "hook option not a boolean": CliCase(
        VERSION,
        "[tool.hatch.build.hooks.releasekit] require-tag must be true or false, not 'yes'",
        "write require-tag = true",
        project={"hook_options": 'require-tag = "yes"'},
    ),
    "RELEASEKIT_REQUIRE_TAG=maybe": CliCase(
        VERSION,
        "RELEASEKIT_REQUIRE_TAG='maybe' is not a boolean",
        "set RELEASEKIT_REQUIRE_TAG=1 to turn it on, or unset it",
        setup=env(RELEASEKIT_REQUIRE_TAG="maybe"),
    ),
    "RELEASEKIT_REQUIRE_TAG=maybe, no hook table": CliCase(
        VERSION,
        "RELEASEKIT_REQUIRE_TAG='maybe' is not a boolean",
        "set RELEASEKIT_REQUIRE_TAG=1 to turn it on, or unset it",
        setup=env(RELEASEKIT_REQUIRE_TAG="maybe"),
        project={"hook": False},
    ),
    "RELEASEKIT_TAG not a release tag": CliCase(
        VERSION,
        "tag 'v1.2.x' is not a release tag (expected v<version>, a PEP 440 version)",
        "tags look like v1.2.3 (or 1.2.3)",
        setup=env(RELEASEKIT_TAG="v1.2.x"),
    ),
    "RELEASEKIT_TAG with another prefix": CliCase(
        VERSION,
        "tag 'web-v1.2.0' does not start with the tag prefix 'api-v' (expected api-v<version>)",
        'this project\'s tags start with "api-v"',
        setup=env(RELEASEKIT_TAG="web-v1.2.0"),
        table='[tool.releasekit]\ntag-prefix = "api-v"\n',
    ),
    "RELEASEKIT_TAG of another version": CliCase(
        VERSION,
        "release tag v9.9.9 (from RELEASEKIT_TAG) is version 9.9.9, but the package version "
        "is 1.2.0",
        "releasekit bump 9.9.9",
        setup=env(RELEASEKIT_TAG="v9.9.9"),
    ),
    "CI tag of another version": CliCase(
        VERSION,
        "release tag v1.3.0 (from GITHUB_REF_NAME) is version 1.3.0, but the package version "
        "is 1.2.0",
        "releasekit bump 1.3.0",
        setup=env(GITHUB_REF_TYPE="tag", GITHUB_REF_NAME="v1.3.0"),
    ),
    "two release tags on HEAD": CliCase(
        VERSION,
        "HEAD has two release tags for different versions: v1.2.0 (1.2.0) and v1.3.0 (1.3.0)",
        "git tag -d v1.3.0",
        setup=tags("v1.2.0", "v1.3.0"),
    ),
    # -- pyproject.toml itself
    "invalid TOML": CliCase(
        VERSION,
        "pyproject.toml is not valid TOML: Invalid value (at line",
        "fix the syntax error",
        setup=write_files({"pyproject.toml": '[project]\nname = "demo"\nversion = \n'}),
    ),
    "invalid TOML, bump": CliCase(
        BUMP,
        "pyproject.toml is not valid TOML: Expected '=' after a key",
        "fix the syntax error",
        setup=write_files({"pyproject.toml": '[project]\nname "demo"\n'}),
    ),
    "pyproject.toml not UTF-8": CliCase(
        VERSION,
        "pyproject.toml is not UTF-8 text (invalid start byte at byte 22)",
        "save pyproject.toml as UTF-8",
        setup=write_files({"pyproject.toml": b'[project]\nname = "demo\xff\xfe"\nversion = "1"\n'}),
    ),
    "pyproject.toml is a directory": CliCase(
        BUMP,
        "pyproject.toml in ",
        "releasekit reads pyproject.toml",
        setup=write_files({"pyproject.toml": None}),
    ),
    "no pyproject.toml": CliCase(
        VERSION,
        "no pyproject.toml in ",
        "run releasekit from the project's root directory",
        setup=lambda project, _: (project.path / "pyproject.toml").unlink(),
        project={"git": False},
    ),
    "no [project] name": CliCase(
        VERSION,
        "pyproject.toml [project] has no name",
        'add name = "your-distribution-name" to [project]',
        setup=edit_pyproject('name = "demo"\n', ""),
    ),
    "[project] name not a string": CliCase(
        VERSION,
        "pyproject.toml [project] has no name (name = 3)",
        'add name = "your-distribution-name" to [project]',
        setup=edit_pyproject('name = "demo"', "name = 3"),
    ),
    "no [project] table": CliCase(
        VERSION,
        "pyproject.toml has no [project] table and no [build-system]",
        'add [project] with name = "..."',
        setup=write_files({"pyproject.toml": '[tool.releasekit]\ntag-prefix = "v"\n'}),
    ),
    "no version at all": CliCase(
        VERSION, *NEITHER_VERSION, setup=edit_pyproject('version = "1.2.0"\n', "")
    ),
    "version not a string": CliCase(
        BUMP,
        "pyproject.toml [project].version must be a string, not 1.2",
        'write it as version = "1.2.0"',
        setup=edit_pyproject('version = "1.2.0"', "version = 1.2"),
    ),
    "version not PEP 440": CliCase(
        BUMP,
        "pyproject.toml has version '1.2.banana', which is not a PEP 440 version",
        "write a version such as 1.2.0 or 1.2.0rc1 into pyproject.toml",
        project={"version": "1.2.banana"},
    ),
    # -- version files
    "version file missing": CliCase(
        VERSION,
        "version file src/demo/_version.py does not exist",
        "fix the path in [tool.releasekit] version-files",
        table='[tool.releasekit]\nversion-files = ["pyproject.toml", "src/demo/_version.py"]\n',
    ),
    "version file is a directory": CliCase(
        BUMP,
        "version file src/demo is a directory, not a file",
        "list the file that carries the version",
        table='[tool.releasekit]\nversion-files = ["pyproject.toml", "src/demo"]\n',
    ),
    "version file .py is a directory": CliCase(
        VERSION,
        "cannot read version file src/demo/v.py: Is a directory",
        "check that the path in [tool.releasekit] version-files is a readable file",
        table='[tool.releasekit]\nversion-files = ["pyproject.toml", "src/demo/v.py"]\n',
        setup=write_files({"src/demo/v.py": None}),
    ),
    "version file not UTF-8": CliCase(
        BUMP,
        "version file src/demo/__init__.py is not UTF-8 text (invalid start byte at byte 15)",
        "save the file as UTF-8",
        table=BOTH_FILES,
        setup=write_files({"src/demo/__init__.py": b'__version__ = "\xff1.2.0"\n'}),
    ),
    "version file outside the repository": CliCase(
        VERSION,
        "version file ../x.py is outside the git repository",
        "list only files inside the repository in [tool.releasekit] version-files",
        table='[tool.releasekit]\nversion-files = ["pyproject.toml", "../x.py"]\n',
        setup=outside_file("x.py"),
    ),
    "version file outside the repository, bump": CliCase(
        BUMP,
        "version file ../x.py is outside the git repository",
        "list only files inside the repository in [tool.releasekit] version-files",
        table='[tool.releasekit]\nversion-files = ["pyproject.toml", "../x.py"]\n',
        setup=outside_file("x.py"),
    ),
    "version file outside the project, no git": CliCase(
        BUMP,
        "version file ../x.py is outside the project",
        "list only files inside the project in [tool.releasekit] version-files",
        table='[tool.releasekit]\nversion-files = ["../x.py"]\n',
        setup=outside_file("x.py"),
        project={"git": False},
    ),
    "version pattern not a regex": CliCase(
        VERSION,
        "version-files pattern 'v(?P<version>[0-9.+)' for VERSION is not a valid regex",
        "fix the regex",
        table="[tool.releasekit]\nversion-files = "
        """["pyproject.toml", { path = "VERSION", pattern = 'v(?P<version>[0-9.+)' }]\n""",
        setup=write_files({"VERSION": "v1.2.0\n"}),
    ),
    "package.json not JSON": CliCase(
        BUMP,
        "package.json is not valid JSON: Expecting ',' delimiter",
        "fix the syntax error",
        table='[tool.releasekit]\nversion-files = ["pyproject.toml", "package.json"]\n',
        setup=write_files({"package.json": '{"name": "demo" "version": "1.2.0"}\n'}),
    ),
    # -- bump
    "bump: unknown part": CliCase(
        ("bump", "minr"),
        "unknown bump part 'minr' in 'minr': not a part name and not a version",
        BUMP_HINT,
    ),
    "bump: an empty part": CliCase(
        ("bump", "minor,"),
        "unknown bump part '' in 'minor,': not a part name and not a version",
        BUMP_HINT,
    ),
    "bump: backwards": CliCase(
        ("bump", "1.1.0"),
        "bump 1.1.0 would move 1.2.0 back to 1.1.0",
        "give a version later than 1.2.0, or pass --force",
        table=BOTH_FILES,
    ),
    "bump: backwards by part": CliCase(
        ("bump", "rc"),
        "bump rc would move 1.2.0 back to 1.2.0rc1",
        "minor,rc",
    ),
    "bump: to the version it has": CliCase(
        ("bump", "1.2.0"),
        "already at 1.2.0: bump 1.2.0 gives 1.2.0, the same version",
        "pass --force to write it anyway",
    ),
    "bump: a dynamic version and no version-files": CliCase(
        BUMP,
        "demo has a dynamic version ([tool.hatch.version] source = 'vcs') and no "
        "[tool.releasekit] version-files to write it into",
        "`git tag v<version>`",
        project={"version_source": "vcs"},
    ),
    "bump: a file cannot spell the version": CliCase(
        ("bump", "1.3"),
        "package.json cannot carry 1.3: semver spells it 1.3.0, which is a different version",
        "use a three-part version such as 1.3.0",
        table='[tool.releasekit]\nversion-files = ["pyproject.toml", "package.json"]\n',
        setup=write_files({"package.json": '{"name": "demo", "version": "1.2.0"}\n'}),
    ),
    "bump: the disk fills up at the second file": CliCase(
        BUMP,
        "cannot write version file src/demo/__init__.py: No space left on device; nothing "
        "was changed",
        "free some space or make the file writable, then run the bump again",
        table=BOTH_FILES,
        setup=disk_full_at("src/demo/__init__.py"),
    ),
    "bump: one file is read-only": CliCase(
        BUMP,
        "cannot write version file src/demo/__init__.py: Permission denied; nothing was changed",
        "free some space or make the file writable, then run the bump again",
        table=BOTH_FILES,
        how="read-only",
        read_only=("src/demo/__init__.py",),
    ),
    # -- init on odd pyproject shapes
    "init: invalid TOML": CliCase(
        INIT,
        "pyproject.toml is not valid TOML: Expected '=' after a key in a key/value pair (at "
        "line 2, column 10)",
        "fix the syntax there (pip and build refuse it too)",
        setup=write_files({"pyproject.toml": '[project]\n"name = "demo"\n'}),
    ),
    "init: [project] not a table": CliCase(
        INIT,
        "[project] in pyproject.toml is a string ('demo'), not a table",
        'write it as a table: [project] name = "..."',
        setup=write_files({"pyproject.toml": 'project = "demo"\n'}),
    ),
    "init: [build-system] requires not a list": CliCase(
        INIT,
        "[build-system] requires is a string ('hatchling'), not an array of strings",
        'write it as an array: requires = ["hatchling"]',
        setup=edit_pyproject('requires = ["hatchling", "releasekit"]', 'requires = "hatchling"'),
    ),
    "init: a typo in the hook's table": CliCase(
        INIT,
        "unknown key 'require_tag' in [tool.hatch.build.hooks.releasekit]",
        "did you mean 'require-tag'?",
        project={"hook_options": "require_tag = true"},
    ),
    "init: a bad value in [tool.releasekit]": CliCase(
        INIT,
        "[tool.releasekit].smoke timeout must be a number of seconds > 0, not 0",
        "e.g. timeout = 120",
        table="[tool.releasekit.smoke]\ntimeout = 0\n",
    ),
    "init: a noxfile of the project's own": CliCase(
        INIT,
        "noxfile.py exists and does not register releasekit's sessions; nothing was changed",
        "releasekit init --force",
        setup=write_files({"noxfile.py": "import nox\n"}),
    ),
    "init: noxfile.py is a directory": CliCase(
        INIT,
        "noxfile.py in ",
        "move the directory away",
        setup=write_files({"noxfile.py": None}),
    ),
    "init: a read-only project directory": CliCase(
        INIT,
        "cannot create noxfile.py in ",
        "make the directory writable",
        how="read-only",
        read_only=(".",),
    ),
    # -- the command line itself
    "unknown command": CliCase(
        ("relase",),
        "argument COMMAND: invalid choice: 'relase'",
        "usage: releasekit [-h] [--version] [-C DIR] COMMAND ...",
        code=2,
    ),
    # with no part, the intent files say the bump; with none either, that is the error
    "bump without a part or intent files": CliCase(
        ("bump",),
        "bump: no part given and no intent files (.changeset/*.md, news fragments)",
        "name a part (releasekit bump patch) or add intent files "
        "(releasekit intent add --package NAME=minor --summary '...')",
    ),
    # `releasekit version | head -1`: the reader has what it wanted; there is nothing to tell
    # anyone, and no traceback (test_cli holds stderr to being empty).
    "version into a closed pipe": CliCase(VERSION, None, how="pipe"),
}


def run_cli(case: CliCase, project: Project, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """Run the case's command; exit status and all it printed (stdout, then stderr)."""
    argv = ["-C", str(project.path), *case.argv]
    if case.how == "main":
        code = main(argv)
        out, err = capsys.readouterr()
        return code, out + err
    python = [sys.executable, "-m", "releasekit", *argv]
    if case.how == "pipe":
        command = "set -o pipefail; " + shlex.join(python) + " | true"
        proc = subprocess.run(["bash", "-c", command], capture_output=True, text=True, check=False)
        return proc.returncode, proc.stdout + proc.stderr
    prefix = unprivileged_prefix()
    targets = [project.path / p for p in case.read_only]
    modes = [t.stat().st_mode for t in targets]
    for target in targets:
        target.chmod(0o555 if target.is_dir() else 0o444)
    try:
        proc = subprocess.run([*prefix, *python], capture_output=True, text=True, check=False)
    finally:
        for target, mode in zip(targets, modes):
            target.chmod(mode)
    return proc.returncode, proc.stdout + proc.stderr


@pytest.mark.parametrize("case", list(CLI_CASES.values()), ids=list(CLI_CASES))
def test_cli(
    case: CliCase,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    project = write_project(tmp_path / "demo", releasekit_table=case.table, **case.project)
    if case.setup is not None:
        case.setup(project, monkeypatch)
    before = snapshot(project.path)
    outside = snapshot(tmp_path)

    code, output = run_cli(case, project, capsys)

    assert code == case.code, output
    assert "Traceback" not in output
    if case.message is None:
        assert output == ""
    else:
        assert_reported(output, case.message, case.hint)
        for message, hint in case.also:
            assert_reported(output, message, hint)
        stray = [
            line
            for line in output.splitlines()
            if not line.startswith(("releasekit: ", "  hint: "))
            and not line.startswith(("demo ", "  channel:", "  tag:", "  file:"))  # `version`
        ]
        assert stray == [], output
    if case.hidden:
        assert case.hidden not in output
    assert_unchanged(before, snapshot(project.path))
    assert_unchanged(outside, snapshot(tmp_path))


def test_a_version_file_elsewhere_in_the_repository_is_fine(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The boundary is the git repository, not the project: a monorepo package may share a
    file at the top of the repository."""
    mono = tmp_path / "mono"
    mono.mkdir()
    run("git", "init", "-q", "-b", "main", cwd=mono)
    (mono / "VERSION.py").write_text('__version__ = "1.2.0"\n')
    project = write_project(
        mono / "api",
        releasekit_table='[tool.releasekit]\nversion-files = ["pyproject.toml", "../VERSION.py"]\n',
        git=False,
    )
    project.commit("monorepo")

    assert main(["-C", str(project.path), "bump", "patch"]) == 0
    assert "  wrote ../VERSION.py" in capsys.readouterr().out
    assert (mono / "VERSION.py").read_text() == '__version__ = "1.2.1"\n'


# == the hatch build hook and version source ====================================================


@dataclass(frozen=True)
class HookCase:
    """An in-process hatchling build (or version read or write) of a sample project.

    ``action``: ``wheel``/``sdist`` build the project; ``wheel-from-sdist`` builds an sdist
    without the failure's setup, unpacks it and builds the wheel from it (what
    ``python -m build`` does); ``version`` reads the version through hatchling (the
    version source); ``set-version`` is ``hatch version 1.3.0`` (the version source writes).
    """

    error: str  # the ReleasekitError subclass's name
    message: str
    hint: str
    action: str = "wheel"
    setup: Setup | None = None
    table: str = ""
    project: Mapping[str, Any] = field(default_factory=dict)
    exact: bool = False
    new: str = "1.3.0"  # what `hatch version` is asked to write


RELEASEKIT_SOURCE = {"version_source": "releasekit"}
INIT_FIRST = '[tool.releasekit]\nversion-files = ["src/demo/__init__.py", "pyproject.toml"]\n'
VERSION_SOURCE = (
    '[tool.releasekit]\nversion-files = ["src/demo/__init__.py", '
    '{ path = "VERSION", pattern = "(?P<version>.+)" }]\n'
)

HOOK_CASES: dict[str, HookCase] = {
    "tag and version differ": HookCase(
        "TagError",
        "release tag v1.2.1 (from git tag at HEAD) is version 1.2.1, but the package version "
        "is 1.2.0",
        "`releasekit bump 1.2.1`",
        setup=tags("v1.2.1"),
        exact=True,
    ),
    "tag and version differ, sdist": HookCase(
        "TagError",
        "release tag v1.2.1 (from git tag at HEAD) is version 1.2.1, but the package version "
        "is 1.2.0",
        "`releasekit bump 1.2.1`",
        action="sdist",
        setup=tags("v1.2.1", annotated=True),
        exact=True,
    ),
    "1.2 is not 1.2.0": HookCase(
        "TagError",
        "release tag v1.2.0 (from git tag at HEAD) is version 1.2.0, but the package version "
        "is 1.2",
        "hatch version 1.2.0",
        setup=tags("v1.2.0"),
        project={"version": "1.2"},
        exact=True,
    ),
    "RELEASEKIT_TAG not a release tag": HookCase(
        "TagError",
        "tag 'v1.2.x' is not a release tag (expected v<version>, a PEP 440 version)",
        "tags look like v1.2.3 (or 1.2.3)",
        setup=env(RELEASEKIT_TAG="v1.2.x"),
        exact=True,
    ),
    "RELEASEKIT_TAG of another version": HookCase(
        "TagError",
        "release tag v9.9.9 (from RELEASEKIT_TAG) is version 9.9.9, but the package version "
        "is 1.2.0",
        "releasekit bump 9.9.9",
        setup=env(RELEASEKIT_TAG="v9.9.9"),
    ),
    "RELEASEKIT_TAG of another version, wheel from the sdist": HookCase(
        "TagError",
        "release tag v9.9.9 (from RELEASEKIT_TAG) is version 9.9.9, but the package version "
        "is 1.2.0",
        "releasekit bump 9.9.9",
        action="wheel-from-sdist",
        # the sdist ships the hook off; releasekit's own builds turn it on (hatchling's switch)
        setup=env(RELEASEKIT_TAG="v9.9.9", HATCH_BUILD_HOOK_ENABLE_RELEASEKIT="1"),
    ),
    "CI tag of another version": HookCase(
        "TagError",
        "release tag v1.3.0 (from CI_COMMIT_TAG) is version 1.3.0, but the package version "
        "is 1.2.0",
        "releasekit bump 1.3.0",
        setup=env(CI_COMMIT_TAG="v1.3.0"),
    ),
    "RELEASEKIT_REQUIRE_TAG=maybe": HookCase(
        "ConfigError",
        "RELEASEKIT_REQUIRE_TAG='maybe' is not a boolean",
        "set RELEASEKIT_REQUIRE_TAG=1 to turn it on, or unset it",
        setup=env(RELEASEKIT_REQUIRE_TAG="maybe"),
        exact=True,
    ),
    "require-tag and no tag": HookCase(
        "TagError",
        "no release tag for version 1.2.0 (require-tag = true; no RELEASEKIT_TAG, no CI tag "
        "variable, no release tag at HEAD)",
        "tag the release commit (`git tag v1.2.0`) or set RELEASEKIT_TAG=v1.2.0",
        project={"hook_options": "require-tag = true"},
        exact=True,
    ),
    "RELEASEKIT_REQUIRE_TAG=1 and no tag, sdist": HookCase(
        "TagError",
        "no release tag for version 1.2.0 (RELEASEKIT_REQUIRE_TAG is set;",
        "`git tag v1.2.0`",
        action="sdist",
        setup=env(RELEASEKIT_REQUIRE_TAG="1"),
    ),
    "hook option with a typo": HookCase(
        "ConfigError",
        "unknown key 'requir-tag' in [tool.hatch.build.hooks.releasekit]",
        "did you mean 'require-tag'?",
        project={"hook_options": "requir-tag = true"},
        exact=True,
    ),
    "hook option not a boolean": HookCase(
        "ConfigError",
        "[tool.hatch.build.hooks.releasekit] allow-dirty must be true or false, not 1",
        "write allow-dirty = true",
        project={"hook_options": "allow-dirty = 1"},
        exact=True,
    ),
    "[tool.releasekit] typo": HookCase(
        "ConfigError",
        "unknown key 'tag_prefix' in [tool.releasekit]",
        "did you mean 'tag-prefix'?",
        table='[tool.releasekit]\ntag_prefix = "v"\n',
        exact=True,
    ),
    "a local version at the tag": HookCase(
        "TagError",
        "package version 1.2.0+local has a local part (+...), which no public index accepts; "
        "release tag is v1.2.0",
        "build from a clean checkout of the tagged commit",
        setup=tags("v1.2.0"),
        project={"version": "1.2.0+local"},
        exact=True,
    ),
    "a dev version at the tag": HookCase(
        "TagError",
        "package version 1.2.1.dev1 is a dev version, but release tag v1.2.0 is 1.2.0",
        "build from the commit that v1.2.0 points at",
        setup=env(RELEASEKIT_TAG="v1.2.0"),
        project={"version": "1.2.1.dev1"},
        exact=True,
    ),
    "uncommitted changes at the tag": HookCase(
        "TagError",
        "release build of v1.2.0 from a tree with uncommitted changes: src/demo/cli.py",
        "allow-dirty = true",
        setup=tags("v1.2.0", then=write_files({"src/demo/cli.py": "X = 1\n"}, commit=False)),
        exact=True,
    ),
    "version files disagree at the tag": HookCase(
        "CarrierError",
        "version files disagree: src/demo/__init__.py has 1.1.0, but pyproject.toml has 1.2.0",
        "`releasekit bump 1.1.0`",
        table=INIT_FIRST,
        setup=write_files({"src/demo/__init__.py": '__version__ = "1.1.0"\n'}, then=tags("v1.2.0")),
        exact=True,
    ),
    "two release tags at HEAD": HookCase(
        "TagError",
        "HEAD has two release tags for different versions: v1.2.0 (1.2.0) and v1.3.0 (1.3.0)",
        "git tag -d v1.3.0",
        setup=tags("v1.2.0", "v1.3.0"),
        exact=True,
    ),
    "version-from-tag, built without nox": HookCase(
        "TagError",
        "release tag v2.0.0 (from git tag at HEAD) is version 2.0.0, but the package version "
        "is 1.2.0",
        "version-from-tag = true: `nox -s build` writes the tag's version",
        table="[tool.releasekit]\nversion-from-tag = true\n",
        setup=tags("v2.0.0"),
    ),
    "version source without version-files": HookCase(
        "ConfigError",
        '[tool.hatch.version] source = "releasekit" needs [tool.releasekit] version-files',
        'e.g. version-files = ["src/pkg/__init__.py", "package.json"]',
        action="version",
        project=RELEASEKIT_SOURCE,
        exact=True,
    ),
    "version source with an option of its own": HookCase(
        "ConfigError",
        "[tool.hatch.version] takes no options with source = \"releasekit\", got ['path']",
        "list the version files in [tool.releasekit] version-files",
        action="version",
        table='[tool.releasekit]\nversion-files = ["src/demo/__init__.py"]\n',
        project=RELEASEKIT_SOURCE,
        setup=edit_pyproject('source = "releasekit"\n', 'source = "releasekit"\npath = "x"\n'),
        exact=True,
    ),
    "version source: files disagree": HookCase(
        "CarrierError",
        "version files disagree: src/demo/__init__.py has 1.2.0, but VERSION has 1.1.0",
        "`releasekit bump 1.2.0`",
        action="version",
        table=VERSION_SOURCE,
        project=RELEASEKIT_SOURCE,
        setup=write_files({"VERSION": "1.1.0\n"}),
        exact=True,
    ),
    "version source: a file outside the repository": HookCase(
        "CarrierError",
        "version file ../x.py is outside the git repository",
        "list only files inside the repository",
        action="version",
        table='[tool.releasekit]\nversion-files = ["src/demo/__init__.py", "../x.py"]\n',
        project=RELEASEKIT_SOURCE,
        setup=outside_file("x.py"),
    ),
    "hatch version: the disk fills up at the second file": HookCase(
        "CarrierError",
        "cannot write version file VERSION: No space left on device; nothing was changed",
        "free some space or make the file writable",
        action="set-version",
        table=VERSION_SOURCE,
        project=RELEASEKIT_SOURCE,
        setup=write_files({"VERSION": "1.2.0\n"}, then=disk_full_at("VERSION")),
    ),
    "hatch version: a file that cannot spell it": HookCase(
        "CarrierError",
        "package.json cannot carry 1.3: semver spells it 1.3.0, which is a different version",
        "use a three-part version such as 1.3.0",
        action="set-version",
        table='[tool.releasekit]\nversion-files = ["src/demo/__init__.py", "package.json"]\n',
        project=RELEASEKIT_SOURCE,
        setup=write_files({"package.json": '{"version": "1.2.0"}\n'}),
        new="1.3",
    ),
}


def hook_build(root: Path, target: str, out: Path) -> None:
    builder: Any = {"wheel": WheelBuilder, "sdist": SdistBuilder}[target]
    list(builder(str(root)).build(directory=str(out), versions=["standard"]))  # a generator


@pytest.mark.parametrize("case", list(HOOK_CASES.values()), ids=list(HOOK_CASES))
def test_hook(case: HookCase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = write_project(tmp_path / "demo", releasekit_table=case.table, **case.project)
    root = project.path
    out = tmp_path / "out"
    if case.action == "wheel-from-sdist":
        hook_build(root, "sdist", tmp_path / "sdist")
        (sdist,) = (tmp_path / "sdist").iterdir()
        with tarfile.open(sdist) as archive:
            archive.extractall(tmp_path / "unpacked")
        (root,) = (tmp_path / "unpacked").iterdir()
    if case.setup is not None:
        case.setup(project, monkeypatch)
    before = snapshot(root)
    project_before = snapshot(project.path)

    with pytest.raises(ReleasekitError) as failure:
        if case.action in ("wheel", "sdist", "wheel-from-sdist"):
            hook_build(root, "wheel" if case.action == "wheel-from-sdist" else case.action, out)
        elif case.action == "version":
            ProjectMetadata(str(root), PluginManager()).version  # noqa: B018
        else:
            config = {"source": "releasekit"}
            ReleasekitVersionSource(str(root), config).set_version(case.new, {})

    # What the user reads: the message, then the hint. hatchling puts "Error getting the
    # version from source `releasekit`: " before a version source's error.
    error = failure.value
    assert type(error).__name__ == case.error, error
    lines = str(error).splitlines()
    assert len(lines) == 2, lines
    if case.action == "version":
        assert lines[0].startswith("Error getting the version from source `releasekit`: ")
        lines[0] = lines[0].split(": ", 1)[1]
    if case.exact:
        assert lines[0] == case.message
    else:
        assert case.message in lines[0], lines[0]
    assert lines[1].startswith("  hint: ") and case.hint in lines[1], lines[1]
    assert not any(out.glob("*")) if out.exists() else True
    assert_unchanged(before, snapshot(root))
    assert_unchanged(project_before, snapshot(project.path))


# == the release sessions (real nox) ============================================================


@dataclass(frozen=True)
class SessionCase:
    """``nox -s SESSIONS -- OPTIONS`` on a fresh ``release_project`` after ``setup``.

    ``failed``: the session whose ``Session X aborted:`` line carries the message. ``setup``
    gets the project and the :class:`World`, and returns more environment for nox.
    """

    args: tuple[str, ...]
    failed: str
    message: str
    hint: str
    setup: Callable[[Project, World], Mapping[str, str] | None] | None = None
    unprivileged: bool = False
    hidden: str = ""
    kept: tuple[str, ...] = ()  # files in dist/ that must still be there, untouched
    also: tuple[tuple[str, str], ...] = ()  # more (message, hint) lines of the same failure


@dataclass
class World:
    """What the session cases share: two local indexes, a garbage server, a built dist/."""

    indexes: dict[str, LocalIndex]
    garbage_url: str
    built: Path  # dist/ as `nox -s build` leaves it for demo 1.2.0 (files and manifest)
    tmp: Path


def pyproject_edit(project: Project, old: str, new: str, *, commit: bool = True) -> None:
    path = project.path / "pyproject.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    if commit:
        project.commit("configured")


def releasekit_keys(lines: str) -> Callable[[Project, World], None]:
    def setup(project: Project, world: World) -> None:
        pyproject_edit(project, "[tool.releasekit]\n", "[tool.releasekit]\n" + lines)

    return setup


def session_env(**variables: str) -> Callable[[Project, World], Mapping[str, str]]:
    return lambda project, world: variables


def dist_from_build(
    *, tamper: str | None = None, name: str | None = None, manifest: bool = True
) -> Callable[[Project, World], None]:
    """dist/ holding what releasekit built for demo 1.2.0 (from another checkout): with one
    file's bytes changed (``tamper``), with the project renamed (``name``: dist/ then holds
    another project's build), or without the manifest (files releasekit knows nothing of)."""

    def setup(project: Project, world: World) -> None:
        shutil.copytree(world.built, project.path / "dist")
        if tamper is not None:
            with open(project.path / "dist" / tamper, "ab") as handle:
                handle.write(b"\0")
        if name is not None:
            pyproject_edit(project, 'name = "demo"', f'name = "{name}"')
        if not manifest:
            (project.path / "dist" / "releasekit-manifest.json").unlink()

    return setup


def changelog_directory(project: Project, world: World) -> None:
    """CHANGELOG.md is a directory of fragments (towncrier's, under the changelog's name)."""
    (project.path / "CHANGELOG.md").unlink()
    project.write("CHANGELOG.md/1.2.0.md", "# 1.2.0\n")
    project.commit("changelog fragments")
    project.git("tag", "-f", "v1.2.0")


def garbage_index(project: Project, world: World) -> None:
    pyproject_edit(project, world.indexes["test"].url, world.garbage_url)


def read_only_dist(project: Project, world: World) -> None:
    (project.path / "dist").mkdir(mode=0o555)


SESSION_HINT = "options after --: --rehearse, --dry-run, --yes, --dist DIR"
FOREIGN_HINT = "move or delete them (releasekit never deletes files it did not make)"
WHEEL = "demo-1.2.0-py3-none-any.whl"

SESSION_CASES: dict[str, SessionCase] = {
    "unknown session option": SessionCase(
        ("-s", "release", "--", "--yes", "--bogus"),
        "check",
        "unknown session option '--bogus'",
        SESSION_HINT,
    ),
    # argparse takes a unique prefix of an option (--ye, --rehears): a release tool must not
    # guess what was meant
    "abbreviated session option": SessionCase(
        ("-s", "check", "--", "--ye"),
        "check",
        "unknown session option '--ye'",
        SESSION_HINT,
    ),
    "--dist to a missing directory": SessionCase(
        ("-s", "publish", "--", "--dist", "wheelhouse"),
        "check",
        "--dist wheelhouse: no such directory",
        "build the files first, or point --dist at the directory that holds them",
    ),
    "config: problems all at once": SessionCase(
        ("-s", "release", "--", "--rehearse"),
        "check",
        "unknown key 'pre_release' in [tool.releasekit]",
        "did you mean 'pre-release'?",
        setup=releasekit_keys(
            'pre_release = "both"\ncheck-sessions = 3\ninstall-index = "pypi.org"\n'
        ),
        also=(
            ("[tool.releasekit] check-sessions must be a list of strings, not 3", '["...", "..."]'),
            (
                "[tool.releasekit] install-index 'pypi.org' is not an http(s) URL",
                "e.g. https://pypi.org/simple/",
            ),
        ),
    ),
    "RELEASEKIT_REQUIRE_TAG=maybe": SessionCase(
        ("-s", "build"),
        "check",
        "RELEASEKIT_REQUIRE_TAG='maybe' is not a boolean",
        "set RELEASEKIT_REQUIRE_TAG=1 to turn it on",
        setup=session_env(RELEASEKIT_REQUIRE_TAG="maybe"),
    ),
    "RELEASEKIT_TAG not a release tag": SessionCase(
        ("-s", "release", "--", "--yes"),
        "check",
        "tag 'release-1.2' is not a release tag (expected v<version>, a PEP 440 version)",
        "tags look like v1.2.3 (or 1.2.3)",
        setup=session_env(RELEASEKIT_TAG="release-1.2"),
    ),
    "index URL with credentials": SessionCase(
        ("-s", "publish-test"),
        "check",
        "[tool.releasekit].indexes.test url 'http://***@127.0.0.1",
        "set RELEASEKIT_TEST_PASSWORD",
        setup=lambda project, world: pyproject_edit(
            project, "http://127.0.0.1", f"http://__token__:{URL_TOKEN}@127.0.0.1"
        ),
        hidden=URL_TOKEN,
    ),
    "changelog is a directory": SessionCase(
        ("-s", "release", "--", "--rehearse"),
        "check",
        "/demo/CHANGELOG.md is a directory, not a file (releasing 1.2.0)",
        'set [tool.releasekit] changelog to the file, e.g. changelog = "CHANGELOG.md"',
        setup=changelog_directory,
    ),
    "check-commands with bad quoting": SessionCase(
        ("-s", "release", "--", "--rehearse"),
        "check",
        "check-commands entry 'pytest -k \"not slow' cannot be parsed: No closing quotation",
        "fix the quoting in [tool.releasekit] check-commands",
        setup=releasekit_keys("check-commands = ['pytest -k \"not slow']\n"),
    ),
    "an index that answers garbage": SessionCase(
        ("-s", "release", "--", "--yes"),
        "check",
        "answered 200 with something that is not a simple-API page",
        "",
        setup=garbage_index,
    ),
    "dist/ read-only": SessionCase(
        ("-s", "build"),
        "check",
        "releasekit-steps.json: Permission denied",
        "check the permissions and the free space there",
        setup=read_only_dist,
        unprivileged=True,
    ),
    "prepare-commands failing": SessionCase(
        ("-s", "release", "--", "--rehearse"),
        "build",
        "prepare-commands `python -c \"raise SystemExit('no frontend here')\"` failed (exit 1)",
        "it must work from a clean checkout",
        setup=releasekit_keys(
            'prepare-commands = ["python -c \\"raise SystemExit(\'no frontend here\')\\""]\n'
        ),
    ),
    "dist/ holds files releasekit did not build": SessionCase(
        ("-s", "release", "--", "--yes"),
        "build",
        f"holds files releasekit did not build: {WHEEL}, demo-1.2.0.tar.gz",
        FOREIGN_HINT,
        setup=dist_from_build(manifest=False),
        kept=("demo-1.2.0.tar.gz", WHEEL),
    ),
    "a file in dist/ changed since releasekit built it": SessionCase(
        ("-s", "release", "--", "--yes"),
        "build",
        f"holds files releasekit did not build: {WHEEL} (changed since it was built)",
        FOREIGN_HINT,
        setup=dist_from_build(tamper=WHEEL),
        kept=(WHEEL,),
    ),
    "dist/ holds another project's build": SessionCase(
        ("-s", "release", "--", "--yes"),
        "build",
        f"holds files releasekit did not build: {WHEEL} (built for demo), demo-1.2.0.tar.gz "
        "(built for demo)",
        FOREIGN_HINT,
        setup=dist_from_build(name="other"),
        kept=("demo-1.2.0.tar.gz", WHEEL, "releasekit-manifest.json"),
    ),
}


class _GarbageHandler(http.server.BaseHTTPRequestHandler):
    """A captive portal: 200 and a login page, whatever is asked."""

    def do_GET(self) -> None:
        body = b"<html><head><title>Sign in to the hotel Wi-Fi</title></head><body/></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def envdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """nox's envdir: the sessions need no venv of nox's own, so it stays empty."""
    return tmp_path_factory.mktemp("nox-envs")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, build_env: dict[str, str]) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("bad-input-world")
    indexes = {
        name: LocalIndex(tmp / f"{name}-index", server_python=Path(sys.executable))
        for name in ("test", "prod")
    }
    garbage = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _GarbageHandler)
    thread = threading.Thread(target=garbage.serve_forever, daemon=True)
    thread.start()
    try:
        for server in indexes.values():
            server.start()
        # dist/ as releasekit's build leaves it: the files and their manifest
        source = release_project(tmp / "source", indexes)
        built = tmp / "built"
        run("uv", "build", "--out-dir", built, source.path, env=build_env)
        Manifest(
            name="demo",
            version="1.2.0",
            files=tuple(describe(p) for p in sorted(built.iterdir())),
            tag="v1.2.0",
            commit=source.git("rev-parse", "HEAD"),
        ).save(built)
        url = f"http://127.0.0.1:{garbage.server_address[1]}/simple/"
        yield World(indexes, url, built, tmp)
    finally:
        garbage.shutdown()
        for server in indexes.values():
            server.stop()


def without_step_record(snap: Snapshot, before: Snapshot) -> Snapshot:
    """``snap`` without the timings of sessions that passed (and the dist/ made for them)."""
    kept = {k: v for k, v in snap.items() if k != "dist/releasekit-steps.json"}
    if "dist" not in before and not any(k.startswith("dist/") for k in kept):
        kept.pop("dist", None)
    return kept


@pytest.mark.slow
@pytest.mark.xdist_group("bad_input_world")  # one module-scoped world, not one per worker
@pytest.mark.parametrize(
    "case",
    list(SESSION_CASES.values()),
    ids=list(SESSION_CASES),
)
def test_session(
    case: SessionCase,
    world: World,
    tmp_path: Path,
    envdir: Path,
    build_env: dict[str, str],
) -> None:
    project = release_project(tmp_path, world.indexes)
    extra = case.setup(project, world) if case.setup is not None else None
    environ = {**creds(world.indexes), "PYTHONDONTWRITEBYTECODE": "1", **(extra or {})}
    before = snapshot(project.path)
    held = {name: served(server) for name, server in world.indexes.items()}
    kept = {name: (project.path / "dist" / name).read_bytes() for name in case.kept}

    if case.unprivileged:
        prefix = unprivileged_prefix()
        proc = run(
            *prefix, sys.executable, "-m", "nox", "--envdir", envdir, "--no-color",
            *case.args, cwd=project.path, env={**build_env, **environ}, check=False,
        )  # fmt: skip
        code, out = proc.returncode, proc.stdout
        (project.path / "dist").chmod(0o755)
    else:
        code, out = nox(project, envdir, build_env, *case.args, env=environ)

    assert code != 0, out
    assert "Traceback" not in out, out
    assert_reported(out, case.message, case.hint, prefix=f"nox > Session {case.failed} aborted: ")
    for message, hint in case.also:  # the lines after nox's: releasekit's own, unprefixed
        assert_reported(out, message, hint, prefix="")
    if case.hidden:
        assert case.hidden not in out
    assert {name: served(server) for name, server in world.indexes.items()} == held
    assert_unchanged(before, without_step_record(snapshot(project.path), before))
    for name, data in kept.items():
        assert (project.path / "dist" / name).read_bytes() == data, name


def test_the_tables_hold_at_least_sixty_cases() -> None:
    assert len(CLI_CASES) + len(HOOK_CASES) + len(SESSION_CASES) >= 60
