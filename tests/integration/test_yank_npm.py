"""``releasekit yank`` at a workspace root: npm members deprecated on a real verdaccio.

``python -m releasekit yank`` runs in a subprocess, in the workspace's root, as a user would:
the npm member is deprecated on the registry (read back from the packument), the Python
member gets its index pages, and the token is never shown.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from releasekit.kinds.npm import pack as npm
from releasekit.rehearsal.verdaccio import LocalRegistry
from tests.helpers.npm import npm_view, verdaccio_cache, write_cjs

pytestmark = [
    pytest.mark.slow,
    # one worker runs the module: each worker would start its own module-scoped verdaccio
    pytest.mark.xdist_group("yank_npm_registry"),
    pytest.mark.skipif(
        shutil.which("node") is None or shutil.which("npm") is None,
        reason="node and npm are needed for the npm target (install Node.js >= 18)",
    ),
]

REASON = "broken: use 1.0.1"


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRegistry]:
    storage = tmp_path_factory.mktemp("verdaccio") / "storage"
    with LocalRegistry(verdaccio_cache(), storage, log=print) as server:
        yield server


def workspace(root: Path, registry: LocalRegistry, npm_name: str, version: str) -> Path:
    """An npm member (published to ``registry``) and a Python member, both at ``version``."""
    root.mkdir(parents=True)
    (root / "releasekit.toml").write_text(
        'members = ["packages/core", { path = "packages/python", tag-prefix = "py-v" }]\n'
        f'npm-registry = "{registry.url}"\n',
        encoding="utf-8",
    )
    core = write_cjs(root / "packages/core", npm_name, version)
    artifact = npm.pack(core, root.parent / f"{root.name}-dist")
    npm.publish(artifact, registry.url, tag="latest", environ={"NODE_AUTH_TOKEN": registry.token})
    python = root / "packages/python"
    python.mkdir(parents=True)
    (python / "pyproject.toml").write_text(
        f'[project]\nname = "demo-yank-py"\nversion = "{version}"\n', encoding="utf-8"
    )
    return root


def yank(root: Path, *args: str, token: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("NODE_AUTH_TOKEN", "GITHUB_TOKEN", "GH_TOKEN", "RELEASEKIT_TAG")
    }
    if token is not None:
        env["NODE_AUTH_TOKEN"] = token
    return subprocess.run(
        [sys.executable, "-m", "releasekit", "yank", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def deprecated(registry: LocalRegistry, name: str, version: str) -> object:
    """The version's ``deprecated`` in the full packument (``None``: not deprecated)."""
    with urllib.request.urlopen(npm.packument_url(registry.url, name), timeout=30) as answer:
        packument = json.load(answer)
    return packument["versions"][version].get("deprecated")


def test_yank_deprecates_the_npm_member_and_prints_the_python_pages(
    registry: LocalRegistry, tmp_path: Path
) -> None:
    root = workspace(tmp_path / "ws", registry, "@demo/yank-core", "1.0.0")
    done = yank(root, "1.0.0", "--reason", REASON, token=registry.token)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == (
        f'yanking 1.0.0 of packages/core, packages/python with the reason "{REASON}": nothing '
        "is deleted; installs that pin it still work"
    )
    assert lines[1] == f"packages/core: @demo/yank-core@1.0.0 on {registry.url}"
    assert f"  npm: deprecated @demo/yank-core@1.0.0 on {registry.url}: {REASON}" in lines
    assert "packages/python: demo-yank-py 1.0.0" in lines
    assert (
        "  prod: open https://pypi.org/manage/project/demo-yank-py/release/1.0.0/ and choose "
        "Options > Yank (a yanked release is skipped by installers unless pinned exactly)"
    ) in lines
    assert "  github: no GitHub release for this member (github-release is off)" in lines
    assert deprecated(registry, "@demo/yank-core", "1.0.0") == REASON
    assert npm_view(registry, "@demo/yank-core@1.0.0", "deprecated") == REASON  # npm agrees
    assert registry.token not in done.stdout + done.stderr
    assert "Traceback" not in done.stderr

    again = yank(root, "1.0.0", "--reason", REASON, token=registry.token)  # idempotent
    assert again.returncode == 0, again.stdout + again.stderr
    assert deprecated(registry, "@demo/yank-core", "1.0.0") == REASON


def test_yank_without_a_token_says_what_to_set(registry: LocalRegistry, tmp_path: Path) -> None:
    root = workspace(tmp_path / "ws", registry, "demo-yank-notoken", "2.0.0")
    advice = (
        "  npm: set NODE_AUTH_TOKEN (a token allowed to publish demo-yank-notoken) to deprecate "
        'demo-yank-notoken@2.0.0, or run `npm deprecate demo-yank-notoken@2.0.0 "<reason>"` '
        "logged in to the registry"
    )
    # the Python member's pages are something done: exit 0, the npm part says what to set
    mixed = yank(root, "2.0.0", "--reason", REASON)
    assert mixed.returncode == 0, mixed.stdout + mixed.stderr
    assert advice in mixed.stdout.splitlines()
    assert "packages/python: demo-yank-py 2.0.0" in mixed.stdout
    # the npm member only: nothing could be done, which is a failure
    alone = yank(root, "2.0.0", "--reason", REASON, "--only", "packages/core")
    assert alone.returncode == 1, alone.stdout + alone.stderr
    assert advice in alone.stdout.splitlines()
    assert "packages/python" not in alone.stdout
    assert alone.stderr.splitlines() == [
        "releasekit: nothing was yanked: NODE_AUTH_TOKEN is not set to deprecate 2.0.0 of "
        "packages/core",
        "  hint: set NODE_AUTH_TOKEN to a token allowed to publish the packages, then run the "
        "same command again",
    ]
    assert deprecated(registry, "demo-yank-notoken", "2.0.0") is None


def test_yank_with_a_wrong_token_or_version_fails_and_changes_nothing(
    registry: LocalRegistry, tmp_path: Path
) -> None:
    root = workspace(tmp_path / "ws", registry, "demo-yank-refused", "3.0.0")
    wrong = "npm_" + "w" * 36

    refused = yank(root, "3.0.0", "--reason", REASON, "--only", "packages/core", token=wrong)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "  failed: npm deprecate demo-yank-refused@3.0.0 failed" in refused.stdout
    assert "  npm: npm error code E401" in refused.stdout  # npm's own words, under the member
    assert refused.stderr.splitlines()[0] == ("releasekit: yanking 3.0.0 failed for packages/core")
    assert wrong not in refused.stdout + refused.stderr

    # --only an older version than package.json has: the registry decides
    missing = yank(root, "2.9.0", "--reason", REASON, "--only", "packages/core", token=wrong)
    assert missing.returncode == 1
    assert f"  failed: {registry.url} has no demo-yank-refused@2.9.0 to deprecate" in missing.stdout
    assert deprecated(registry, "demo-yank-refused", "3.0.0") is None
