"""``releasekit intent add`` and ``releasekit bump`` with no part, in a real git repository: a
workspace of npm members (one depending on the core, one pinning it as a peer) and a Python
member whose version follows the core's package.json, as in the Event-Forge layout.

Three intent files (two changesets written by ``intent add``, one towncrier fragment) -> one
bump -> every version, range and changelog section as changesets (and towncrier) would
write them, the files gone, one commit "Version Packages", a clean tree. Bad intent files
are one error naming the file, with nothing written.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from releasekit.cli import main
from releasekit.cli.intent import pending, version_packages

WORKSPACE = (
    'members = ["packages/core", "packages/typeorm", "packages/nestjs", '
    '{ path = "packages/python", tag-prefix = "py-v" }]\n'
)


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, check=True, capture_output=True, text=True
    ).stdout.strip()


def write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def package_json(name: str, version: str, **deps: object) -> str:
    return json.dumps({"name": name, "version": version, **deps}, indent=2) + "\n"


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "event-forge"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "dev@example.com")
    git(root, "config", "user.name", "Dev")
    write(root, "releasekit.toml", WORKSPACE)
    write(root, "packages/core/package.json", package_json("@ef/core", "1.2.0"))
    write(
        root,
        "packages/core/CHANGELOG.md",
        "# @ef/core\n\n## 1.2.0\n\n### Minor Changes\n\n- Old.\n",
    )
    write(
        root,
        "packages/typeorm/package.json",
        package_json(
            "@ef/typeorm", "1.2.0", dependencies={"@ef/core": "^1.2.0", "left-pad": "^1.3.0"}
        ),
    )
    write(
        root,
        "packages/nestjs/package.json",
        package_json("@ef/nestjs", "0.4.0", peerDependencies={"@ef/core": "1.2.0"}),
    )
    write(
        root,
        "packages/python/pyproject.toml",
        '[project]\nname = "ef-python"\nversion = "1.2.0"\n\n[tool.releasekit]\n'
        'version-files = ["pyproject.toml", "../core/package.json"]\n',
    )
    write(
        root, "packages/python/CHANGELOG.md", "# Changelog\n\n## [1.2.0] - 2026-01-02\n\n- Old.\n"
    )
    git(root, "add", "-A")
    git(root, "commit", "-qm", "the workspace")
    return root


def cli(capsys: pytest.CaptureFixture[str], root: Path, *args: str) -> tuple[int, str, str]:
    code = main(["-C", str(root), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def add_three_intents(capsys: pytest.CaptureFixture[str], root: Path) -> None:
    """Three pull requests, each adding an intent file and merged."""
    code, out, _ = cli(capsys, root, "intent", "add", "--package", "@ef/core=minor",
                       "--summary", "Retries in the outbox")  # fmt: skip
    assert code == 0 and out.startswith("wrote .changeset/") and out.endswith(".md\n")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "PR 1")
    code, _, _ = cli(capsys, root, "intent", "add", "--package", "@ef/typeorm=patch",
                     "--package", "@ef/core=patch", "--summary", "Close the pool")  # fmt: skip
    assert code == 0
    git(root, "add", "-A")
    git(root, "commit", "-qm", "PR 2")
    write(root, "packages/python/newsfragments/7.feature.md", "An async client.\n")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "PR 3")


def test_three_intents_one_bump(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = workspace
    add_three_intents(capsys, root)
    first = next((root / ".changeset").glob("*.md")).read_text(encoding="utf-8")
    assert first.startswith('---\n"@ef/') and first.count("---\n") == 2
    commits = int(git(root, "rev-list", "--count", "HEAD"))

    code, out, err = cli(capsys, root, "bump", "--dry-run")
    assert (code, err) == (0, "")
    assert "@ef/core: 1.2.0 -> 1.3.0 (minor)" in out and "(dry run: nothing written)" in out
    assert git(root, "status", "--porcelain") == ""
    code, out, err = cli(capsys, root, "intent", "status", "--json")  # a release PR's body
    status = json.loads(out)
    assert (code, err, status["pending"]) == (0, "", 3)
    assert status["versions"]["@ef/core"] == "1.3.0"
    assert "@ef/core: 1.2.0 -> 1.3.0 (minor)" in status["lines"]

    code, out, err = cli(capsys, root, "bump")
    assert (code, err) == (0, ""), err
    versions = {
        rel: json.loads((root / rel / "package.json").read_text())["version"]
        for rel in ("packages/core", "packages/typeorm", "packages/nestjs")
    }
    assert versions == {
        "packages/core": "1.3.0",  # minor and patch named: minor
        "packages/typeorm": "1.2.1",  # its own patch; ^1.2.0 still holds 1.3.0
        "packages/nestjs": "0.4.1",  # not named: its peer range 1.2.0 no longer holds
    }
    typeorm = json.loads((root / "packages/typeorm/package.json").read_text())
    assert typeorm["dependencies"] == {"@ef/core": "^1.3.0", "left-pad": "^1.3.0"}
    nestjs = json.loads((root / "packages/nestjs/package.json").read_text())
    assert nestjs["peerDependencies"] == {"@ef/core": "1.3.0"}
    assert 'version = "1.3.0"' in (root / "packages/python/pyproject.toml").read_text()

    added = {  # the commit that added each intent file, as changesets' changelog names it
        line.split(" ", 1)[1][-1]: line.split()[0]
        for line in git(root, "log", "--format=%h %s", "--abbrev=7").splitlines()
    }
    core_log = (root / "packages/core/CHANGELOG.md").read_text()
    assert core_log == (
        f"# @ef/core\n\n## 1.3.0\n\n### Minor Changes\n\n- {added['1']}: Retries in the outbox\n\n"
        f"### Patch Changes\n\n- {added['2']}: Close the pool\n\n## 1.2.0\n\n"
        "### Minor Changes\n\n- Old.\n"
    )
    typeorm_log = (root / "packages/typeorm/CHANGELOG.md").read_text()
    assert typeorm_log.startswith(
        f"# @ef/typeorm\n\n## 1.2.1\n\n### Patch Changes\n\n- {added['2']}: Close the pool\n"
    )  # then a line per changeset behind core's release (in their files' order), the list
    assert sorted(typeorm_log.splitlines()[7:9]) == sorted(
        f"- Updated dependencies [{added[n]}]" for n in "12"
    )
    assert typeorm_log.endswith("]\n  - @ef/core@1.3.0\n")
    assert (
        "## 0.4.1\n\n### Patch Changes\n\n- Updated dependencies"
        in (root / "packages/nestjs/CHANGELOG.md").read_text()
    )
    python_log = (root / "packages/python/CHANGELOG.md").read_text()
    assert python_log.startswith("# Changelog\n\n## [1.3.0] - ")
    assert "### Features\n\n- An async client. (#7)\n\n## [1.2.0] - 2026-01-02" in python_log

    assert list((root / ".changeset").glob("*.md")) == []
    assert not (root / "packages/python/newsfragments/7.feature.md").exists()
    assert int(git(root, "rev-list", "--count", "HEAD")) == commits + 1
    assert git(root, "log", "-1", "--format=%s") == "Version Packages"
    assert git(root, "status", "--porcelain") == ""
    assert "committed " in out
    assert json.loads(cli(capsys, root, "intent", "status", "--json")[1])["pending"] == 0
    assert cli(capsys, root, "intent", "status")[1] == (
        "no pending intent files (.changeset/*.md, news fragments)\n"
    )

    code, _, err = cli(capsys, root, "bump")
    assert code == 1
    assert err == (
        "releasekit: bump: no part given and no intent files (.changeset/*.md, news fragments)\n"
        "  hint: name a part (releasekit bump patch) or add intent files (releasekit intent "
        "add --package NAME=minor --summary '...')\n"
    )


def test_the_api_plans_and_applies(workspace: Path) -> None:
    root = workspace
    write(root, ".changeset/one.md", '---\n"@ef/nestjs": major\n---\n\nNew decorators\n')
    plan = pending(root)
    assert plan.versions == {"@ef/nestjs": "1.0.0"}
    assert plan.lines() == ["@ef/nestjs: 0.4.0 -> 1.0.0 (major)", "  consumes .changeset/one.md"]
    lines: list[str] = []
    done = version_packages(root, commit=False, out=lines.append)
    assert done.commit is None and not (root / ".changeset/one.md").exists()
    assert "  wrote packages/nestjs/package.json" in lines


def state(root: Path) -> tuple[object, ...]:
    files = {p: p.read_bytes() for p in root.rglob("*") if p.is_file() and ".git" not in p.parts}
    return git(root, "log", "--format=%H"), git(root, "status", "--porcelain"), files


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('---\n"@ef/cor": minor\n---\n\nTypo\n', "{path}: no package named '@ef/cor'"),
        (
            '---\n"@ef/core": big\n---\n\nx\n',
            "{path}: line 2: 'big' for @ef/core is not a bump part",
        ),
        ('"@ef/core": minor\n\nNo front matter\n', "{path}: no front matter between --- lines"),
    ],
)
def test_a_bad_intent_file_is_one_error_and_nothing_written(
    workspace: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    root = workspace
    write(root, ".changeset/good-one-here.md", '---\n"@ef/core": patch\n---\n\nFine\n')
    write(root, ".changeset/bad-one-here.md", text)
    git(root, "add", "-A")
    git(root, "commit", "-qm", "intents")
    before = state(root)
    code, out, err = cli(capsys, root, "bump")
    path = root.resolve() / ".changeset" / "bad-one-here.md"
    assert code == 1 and out == ""
    assert err.splitlines()[0] == "releasekit: " + message.format(path=path)
    assert len(err.splitlines()) == 2 and err.splitlines()[1].startswith("  hint: ")
    assert state(root) == before


def test_intent_add_refuses_unknown_names_and_parts(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = cli(capsys, workspace, "intent", "add", "--package", "nope=minor",
                       "--summary", "x")  # fmt: skip
    assert (code, err.splitlines()[0]) == (
        1,
        "releasekit: --package nope=minor: no package named 'nope'",
    )
    code, _, err = cli(capsys, workspace, "intent", "add", "--package", "@ef/core=huge",
                       "--summary", "x")  # fmt: skip
    assert err.splitlines()[0] == "releasekit: --package @ef/core=huge: 'huge' is not a bump part"
    code, _, err = cli(capsys, workspace, "intent", "add", "--package", "minor", "--summary", "x")
    assert err.splitlines()[0] == (
        "releasekit: --package minor: name the package (NAME=PART) in a workspace"
    )
    assert not (workspace / ".changeset").exists()


def test_intent_add_refuses_a_package_named_twice(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """It wrote a file the bump refuses ("names @ef/core twice") and changesets crashes on;
    a Python member's name is the same package however it is spelled."""
    cases = [
        ("@ef/core=minor", "@ef/core=patch", "@ef/core"),
        ("ef_python=minor", "ef-python=patch", "ef-python"),
    ]
    for first, second, name in cases:
        code, out, err = cli(capsys, workspace, "intent", "add", "--package", first,
                             "--package", second, "--summary", "x")  # fmt: skip
        assert (code, out) == (1, "")
        assert err.splitlines() == [
            f"releasekit: --package {second}: names {name} again (--package {first})",
            "  hint: name each package once, with the largest part its changes need",
        ]
    assert not (workspace / ".changeset").exists()


@pytest.mark.parametrize("mode", ["pre", "exit"])
def test_changesets_pre_mode_is_refused_before_writing(
    workspace: Path, capsys: pytest.CaptureFixture[str], mode: str
) -> None:
    """.changeset/pre.json as `changeset pre enter rc` (2.31.1) writes it, and as `changeset
    pre exit` leaves it ("mode": "exit", until `changeset version` removes it)."""
    root = workspace
    write(root, ".changeset/x.md", '---\n"@ef/core": patch\n---\n\nFix\n')
    pre = {"mode": mode, "tag": "rc", "initialVersions": {"@ef/core": "1.2.0"}, "changesets": []}
    write(root, ".changeset/pre.json", json.dumps(pre, indent=2) + "\n")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "pre mode")
    before = state(root)
    path = root.resolve() / ".changeset" / "pre.json"
    for args in (["bump"], ["intent", "status"]):
        code, out, err = cli(capsys, root, *args)
        assert (code, out) == (1, "")
        assert err.splitlines() == [
            f'releasekit: {path}: changesets\' pre-release mode is on ("mode": "{mode}")',
            "  hint: releasekit bump has no pre mode: finish it with changesets (`changeset "
            "pre exit`, then `changeset version`, which removes pre.json), or bump a part "
            "(releasekit bump rc)",
        ]
    assert state(root) == before


def test_a_failed_commit_puts_everything_back(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """git commit fails after the files are written (signing with a gpg that fails): the
    files and git's index are as before. The removed intent file stayed staged as deleted."""
    root = workspace
    write(root, ".changeset/x.md", '---\n"@ef/core": patch\n---\n\nFix\n')
    git(root, "add", "-A")
    git(root, "commit", "-qm", "intent")
    git(root, "config", "commit.gpgSign", "true")
    git(root, "config", "gpg.program", "false")
    before = state(root)
    code, _, err = cli(capsys, root, "bump")
    assert code == 1
    first = err.splitlines()[0]
    assert first.startswith("releasekit: git commit failed: "), err
    assert first.endswith("; rolled back: the version files are as before; nothing else changed"), (
        err
    )
    assert state(root) == before


def test_a_dirty_tree_is_refused_before_writing(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = workspace
    write(root, ".changeset/x.md", '---\n"@ef/core": patch\n---\n\nFix\n')
    write(root, "releasekit.toml", WORKSPACE + "# edited\n")
    before = state(root)
    code, _, err = cli(capsys, root, "bump")
    assert code == 1
    assert err.splitlines()[0] == (
        "releasekit: other tracked files have uncommitted changes: releasekit.toml; "
        "nothing was written"
    )
    assert state(root) == before


NPM_LOCK = {
    "name": "root",
    "lockfileVersion": 3,
    "requires": True,
    "packages": {
        "": {"name": "root", "workspaces": ["packages/*"]},
        "node_modules/a": {"resolved": "packages/a", "link": True},
        "node_modules/b": {"resolved": "packages/b", "link": True},
        "packages/a": {"version": "1.0.0"},
        "packages/b": {"version": "1.0.0", "dependencies": {"a": "1.0.0"}},
    },
}  # as npm 11 writes it for this workspace (npm install --package-lock-only)


def test_the_lockfile_follows_in_the_same_commit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "npm-ws"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "dev@example.com")
    git(root, "config", "user.name", "Dev")
    write(root, "releasekit.toml", 'members = ["packages/a", "packages/b"]\n')
    write(root, "package.json", package_json("root", "0.0.0", workspaces=["packages/*"]))
    write(root, "packages/a/package.json", package_json("a", "1.0.0"))
    write(root, "packages/b/package.json", package_json("b", "1.0.0", dependencies={"a": "1.0.0"}))
    write(root, "package-lock.json", json.dumps(NPM_LOCK, indent=2) + "\n")
    write(root, ".changeset/a-feature.md", '---\n"a": minor\n---\n\nA feature\n')
    git(root, "add", "-A")
    git(root, "commit", "-qm", "init")
    code, _, err = cli(capsys, root, "bump")
    assert (code, err) == (0, ""), err
    lock = json.loads((root / "package-lock.json").read_text())["packages"]
    assert lock["packages/a"] == {"version": "1.1.0"}
    assert lock["packages/b"] == {"version": "1.0.1", "dependencies": {"a": "1.1.0"}}
    changed = git(root, "show", "--name-only", "--format=", "HEAD").splitlines()
    assert sorted(changed) == [
        ".changeset/a-feature.md",
        "package-lock.json",
        "packages/a/CHANGELOG.md",
        "packages/a/package.json",
        "packages/b/CHANGELOG.md",
        "packages/b/package.json",
    ]
    assert git(root, "status", "--porcelain") == ""


def test_a_single_python_project_with_towncrier_fragments(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "demo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "dev@example.com")
    git(root, "config", "user.name", "Dev")
    write(
        root,
        "pyproject.toml",
        '[project]\nname = "demo"\nversion = "0.3.1"\n\n[tool.towncrier]\ndirectory = "changes"\n',
    )
    rst = "Changes\n=======\n\n.. towncrier release notes start\n\n"
    rst += "0.3.1 (2026-01-02)\n------------------\n\n- Old.\n"
    write(root, "CHANGELOG.rst", rst)
    write(root, "changes/12.feature.md", "Streaming reads.\n")
    write(root, "changes/+a1b2.bugfix.md", "No more hang on close.\n")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "init")
    code, out, _ = cli(capsys, root, "intent", "add", "--package", "patch", "--summary", "Docs")
    assert code == 0
    assert (root / out.split()[1]).read_text() == '---\n"demo": patch\n---\n\nDocs\n'
    git(root, "add", "-A")
    git(root, "commit", "-qm", "a changeset")

    code, out, err = cli(capsys, root, "bump")
    assert (code, err) == (0, ""), err
    assert out.startswith("demo: 0.3.1 -> 0.4.0 (minor)\n")
    assert 'version = "0.4.0"' in (root / "pyproject.toml").read_text()
    text = (root / "CHANGELOG.rst").read_text()
    section = text.split(".. towncrier release notes start\n\n", 1)[1].split("0.3.1 (", 1)[0]
    assert section.startswith("0.4.0 (") and section.splitlines()[1] == "-" * 18
    assert "Patch Changes\n~~~~~~~~~~~~~\n\n- " in section and ": Docs\n" in section
    assert (
        "Features\n~~~~~~~~\n\n- Streaming reads. (#12)\n\n"
        "Bugfixes\n~~~~~~~~\n\n- No more hang on close.\n"
    ) in section  # towncrier's order of types, whatever the files' names
    assert git(root, "log", "-1", "--format=%s") == "Bump version to 0.4.0"
    assert list((root / "changes").iterdir()) == []
    assert git(root, "status", "--porcelain") == ""
