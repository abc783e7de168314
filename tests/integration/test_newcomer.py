"""A newcomer's first hour (issue 17): what following the README literally ran into.

Each test is one stumble: ``-C`` after the subcommand, the commented ``[tool.releasekit]``
that ``init`` writes (every key the config reads, and tests in a session of their own),
the words of ``check`` on a dirty untagged tree, ``yank`` without a GitHub remote, and the
help texts that say what a command prints and commits.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from releasekit._compat import tomllib
from releasekit.cli import _parser, main, pyproject_edit
from releasekit.core import config, git
from releasekit.engine.manifest import Manifest
from releasekit.errors import BuildError, TagError
from releasekit.release import Release
from tests.helpers.fake_targets import FakeConsole
from tests.helpers.kind_build import built_hashes, kind_build, kind_project
from tests.helpers.projects import REPO, Project, run, write_project
from tests.helpers.sessions import nox, release_project

# The required arguments of each subcommand, so that each can be parsed with -C after it.
_ARGUMENTS = {"bump": ["patch"], "yank": ["1.2.0"], "intent": ["status"]}


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


def test_dash_c_after_an_intent_action(tmp_path: Path) -> None:
    for action in (["add", "--package", "x=patch"], ["status"]):
        assert _parser().parse_args(["intent", *action, "-C", str(tmp_path)]).root == tmp_path


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


class _Release:
    """What the Python kind's check asks of the release it runs in: a logger and warn."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def logger(self, project: object) -> object:
        return self.lines.append

    def warn(self, project: object, message: str) -> None:
        self.lines.append(f"warning: {message}")


def test_check_on_a_dirty_untagged_tree_names_no_tag_as_existing(tmp_path: Path) -> None:
    """Was "release build of v1.2.0 from a tree with uncommitted changes", as if v1.2.0
    existed."""
    project = _project(tmp_path)
    project.write("src/demo/cli.py", "X = 1\n")
    release = kind_project(project)
    with pytest.raises(TagError) as caught:
        release.kind.check(release, _Release())  # type: ignore[arg-type]
    assert caught.value.message == (
        "untagged build of 1.2.0 from a tree with uncommitted changes: src/demo/cli.py"
    )
    assert caught.value.hint == (
        "commit or stash them: a release is built from a commit, which tag v1.2.0 (not "
        "created yet) will name; `--rehearse` builds HEAD without them"
    )
    assert "release build of v1.2.0" not in caught.value.message


def test_version_and_check_at_an_older_tag_of_this_version(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """v1.2.0 exists on an older commit and the version did not move: neither says the tag
    is "not created yet" (verified: fixed before issue 17)."""
    project = _project(tmp_path)
    project.tag("v1.2.0")
    project.write("README.md", "more\n")
    project.commit("after the release")
    assert main(["-C", str(project.path), "version"]) == 0
    out = capsys.readouterr().out
    assert "not created yet" not in out
    assert "v1.2.0" in out and "another commit" in out
    release = kind_project(project)
    steps = _Release()
    release.kind.check(release, steps)  # type: ignore[arg-type]
    said = "\n".join(steps.lines)
    assert "not created" not in said
    assert "another commit" in said


def test_yank_without_origin_and_github_release_off_prints_the_pages_and_exits_0(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No `origin` remote, no GITHUB_REPOSITORY, github-release off: the index pages are
    the whole yank, and GitHub is said to be skipped, and why."""
    for name in ("GITHUB_TOKEN", "GITHUB_REPOSITORY", "GITHUB_API_URL"):
        monkeypatch.delenv(name, raising=False)
    project = _project(tmp_path)
    project.tag("v1.2.0")
    proc = run(
        sys.executable, "-m", "releasekit", "yank", "1.2.0", "--reason", "broken", "-C",
        project.path, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout
    lines = proc.stdout.splitlines()
    assert lines[0].startswith('yanking demo 1.2.0 with the reason "broken"')
    assert lines[1].startswith("  test: open https://test.pypi.org/manage/project/demo/release/")
    assert lines[2].startswith("  prod: open https://pypi.org/manage/project/demo/release/")
    assert lines[3] == (
        "  github: skipped (github-release is off, and a release made by hand cannot be "
        "marked: no GitHub repository to release to: GITHUB_REPOSITORY is not set and the "
        f"git repository at {project.path} has no `origin` remote)"
    )
    assert "Traceback" not in proc.stdout


def test_check_offline_names_the_host_and_how_to_check_offline(
    tmp_path: Path, nox_envdir: Path
) -> None:
    """`nox -s check` without the network: was "[Errno -3] Temporary failure in name
    resolution" for TestPyPI; says which host could not be resolved and that the rehearsal
    checks offline. (`.invalid` never resolves: what an offline machine sees for any host.)"""
    offline = {
        name: SimpleNamespace(
            url=f"https://{name}.releasekit-offline.invalid/simple/",
            publish_url=f"https://{name}.releasekit-offline.invalid/legacy/",
        )
        for name in ("test", "prod")
    }
    project = release_project(tmp_path, offline, tag="v1.2.0")  # type: ignore[arg-type]
    code, out = nox(project, nox_envdir, {}, "-s", "check")
    assert code == 1, out
    assert (
        "reading https://test.releasekit-offline.invalid/simple/demo/ failed: cannot resolve "
        "test.releasekit-offline.invalid (" in out
    ), out
    assert "): no network, or no DNS for it here" in out
    assert "offline, `nox -s check -- --rehearse` checks against local stand-in indexes" in out
    assert "Traceback" not in out


def test_quick_start_installs_what_python_3_9_can_install_before_the_rehearsal() -> None:
    """The Quick start promised Python 3.9+ and began with `pip install -e '.[test]'`, which
    fails there (twine 7 and hatch 1.16 need 3.10): the rehearsal needs only the
    `nox` extra, whose requirements carry 3.10-only pieces behind markers; the README says
    the tests need 3.10+."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    quick = readme.split("## Working on releasekit", 1)[1].split("\n## ", 1)[0]
    block = quick.split("```console\n", 1)[1].split("```", 1)[0]
    lines = [line for line in block.splitlines() if line.strip()]
    rehearsal = next(i for i, line in enumerate(lines) if "nox -s release -- --rehearse" in line)
    installs = [line for line in lines[:rehearsal] if "pip install" in line]
    assert installs and all("'.[nox]'" in line for line in installs), installs
    assert "Python 3.9+" in quick
    test_line = next(line for line in lines if "pip install -e '.[test]'" in line)
    assert "Python 3.10+" in test_line
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    needed = {"nox"}
    while True:  # the extras `nox` pulls in, releasekit[github] and so on
        more = {
            m.group(1)
            for name in needed
            for req in extras[name]
            for m in [re.match(r"releasekit\[([a-z]+)\]", req)]
            if m
        }
        if more <= needed:
            break
        needed |= more
    assert "test" not in needed
    for name in needed:
        for req in extras[name]:
            # what needs 3.10 here says so in a marker (githubkit, hishel, pypi-attestations)
            if req.split(";")[0].strip().startswith(("githubkit", "hishel", "pypi-attest")):
                assert "python_version >= '3.10'" in req, req


def test_tagging_a_rehearsed_commit_reuses_its_build(
    tmp_path: Path, build_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rehearse, then `git tag`: the build of the commit is the tag's (a tag changes no byte
    of it), so the tagged release reuses it and its manifest names the tag; it rebuilt."""
    for name, value in build_env.items():
        monkeypatch.setenv(name, value)
    sample = _buildable(tmp_path)
    first, _ = kind_build(sample, rehearse=True)
    manifest = Manifest.load(sample.path / "dist")
    assert manifest.tag is None
    sample.tag("v1.2.0")
    project = kind_project(sample)
    console = FakeConsole()
    Release(console, project.options, [project], requested=("build",)).build()
    assert "reusing dist/: built from" in console.text, console.text
    assert "v1.2.0 was made after this build of its commit: it is the tag's" in console.text
    assert built_hashes(sample.path / "dist") == first
    assert Manifest.load(sample.path / "dist").tag == "v1.2.0"


def test_a_build_of_another_version_is_not_reused_at_the_tag(
    tmp_path: Path, build_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The untagged manifest is only the tag's when the tag releases its version."""
    for name, value in build_env.items():
        monkeypatch.setenv(name, value)
    sample = _buildable(tmp_path)
    kind_build(sample, rehearse=True)
    dist = sample.path / "dist"
    manifest = Manifest.load(dist)
    project = kind_project(sample)
    release = Release(FakeConsole(), project.options, [project], requested=("build",))
    other = git.ReleaseTag("v1.3.0", "1.3.0", "git tag at HEAD")
    assert release._tagged_since(project, manifest, other) is manifest
    assert Manifest.load(dist).tag is None
    tagged = release._tagged_since(project, manifest, git.ReleaseTag("v1.2.0", "1.2.0", "git"))
    assert tagged.tag == "v1.2.0" and Manifest.load(dist).tag == "v1.2.0"


def _buildable(tmp_path: Path) -> Project:
    """A sample project whose build passes `twine check --strict` (it has a readme)."""
    sample = write_project(tmp_path / "demo", build_requires=("hatchling",), hook=False)
    pyproject = sample.path / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            'description = "A sample project"',
            'description = "A sample project"\nreadme = "README.md"',
        )
    )
    sample.write("README.md", "# demo\n\nA sample project.\n")
    sample.commit("readme")
    return sample


def test_use_it_in_your_project_builds_outside_dist_before_the_rehearsal() -> None:
    """The README ran `python -m build` (into dist/) and then the rehearsal, which refuses
    files it did not build: the try build now goes elsewhere (the setup guide's steps)."""
    guide = (REPO / "docs" / "guides" / "setup.md").read_text(encoding="utf-8")
    section = guide.split("\n## ", 1)[0]
    block = section.split("```console\n", 1)[1].split("```", 1)[0]
    lines = [line.split("#", 1)[0].strip() for line in block.splitlines()]
    rehearsal = lines.index("nox -s release -- --rehearse")
    builds = [line for line in lines[:rehearsal] if line.startswith("python -m build")]
    assert builds, block
    for line in builds:
        outdir = line.split("--outdir", 1)[1].split()[0] if "--outdir" in line else "dist"
        assert outdir.strip("./") not in ("dist", "dist/"), line


def test_files_in_dist_from_your_own_build_are_refused_with_a_hint_that_fits(
    tmp_path: Path,
) -> None:
    """The hint said "or build elsewhere with `-- --dist DIR`": --dist publishes files built
    elsewhere, it does not build anywhere."""
    sample = _buildable(tmp_path)
    dist = sample.path / "dist"
    dist.mkdir()
    (dist / "demo-1.2.0.tar.gz").write_bytes(b"python -m build made this")
    with pytest.raises(BuildError) as caught:
        kind_build(sample)
    assert caught.value.message == f"{dist} holds files releasekit did not build: demo-1.2.0.tar.gz"
    assert caught.value.hint == (
        "move or delete them (releasekit never deletes files it did not make): the release "
        "builds dist/ itself, from a clean checkout of HEAD; your own build can go elsewhere "
        "(`python -m build --outdir DIR`), and `-- --dist DIR` publishes files built "
        "elsewhere instead of building"
    )
    assert (dist / "demo-1.2.0.tar.gz").read_bytes() == b"python -m build made this"


def test_nox_list_shows_whole_sentences(tmp_path: Path, nox_envdir: Path) -> None:
    """nox --list shows the first line of each session's docstring: three were cut
    mid-sentence ("... the project's own checks, and")."""
    project = release_project(tmp_path, {}, tag=None)
    code, out = nox(project, nox_envdir, {}, "--list")
    assert code == 0, out
    described = dict(line[2:].split(" -> ", 1) for line in out.splitlines() if " -> " in line)
    assert set(described) == {
        "check", "build", "smoke-install", "publish-test", "publish", "github-release",
        "release",
    }  # fmt: skip
    for name, text in described.items():
        assert text.endswith("."), (name, text)
        assert not text.rstrip(".").endswith((",", "and", "the", "a", "(")), (name, text)
    assert described["check"] == "Check that this commit is releasable, before anything is built."
