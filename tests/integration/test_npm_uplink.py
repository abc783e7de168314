"""The rehearsal's npm registry serves third-party dependencies from the real registry.

A real verdaccio with an uplink to registry.npmjs.org (reachable from the development
machines): a member that depends on ``is-number`` publishes to it and installs from it; a
member's own name is never proxied (``is-odd``, which npmjs.org has, stays a 404 here);
only the members' names can be published, by the start's own user, and nobody else can
register. Offline, an install from the rehearsal fails within seconds and names the
registry it could not reach.
"""

from __future__ import annotations

import json
import shutil
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from releasekit.engine.manifest import Manifest
from releasekit.engine.runcontext import Options
from releasekit.errors import PublishError, SmokeError
from releasekit.kinds import kind_of, member_project
from releasekit.kinds.npm import pack as npm
from releasekit.project.workspace import find_workspace
from releasekit.rehearsal.verdaccio import LocalRegistry
from releasekit.targets.npm import NpmRegistryTarget
from tests.helpers.npm import Log, npm_view, verdaccio_cache, write_cjs

pytestmark = [
    pytest.mark.slow,
    # one worker runs the module: each worker would start its own module-scoped server
    pytest.mark.xdist_group("npm_uplink"),
    pytest.mark.skipif(
        shutil.which("node") is None or shutil.which("npm") is None,
        reason="node and npm are needed for the npm target (install Node.js >= 18)",
    ),
]

NPMJS = "https://registry.npmjs.org/"
MEMBER = "@rk-uplink/member"


def member_with_dependency(root: Path, name: str = MEMBER, version: str = "1.0.0") -> Path:
    """A CommonJS package that requires is-number (a small real package on npmjs.org)."""
    write_cjs(root, name, version)
    manifest = json.loads((root / "package.json").read_text())
    manifest["dependencies"] = {"is-number": "^7.0.0"}
    (root / "package.json").write_text(json.dumps(manifest, indent=2), "utf-8")
    (root / "lib" / "index.js").write_text(
        "const isNumber = require('is-number');\nmodule.exports = { answer: isNumber(42) };\n",
        "utf-8",
    )
    return root


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRegistry]:
    storage = tmp_path_factory.mktemp("uplink") / "storage"
    own = [MEMBER, "is-odd"]  # is-odd: a member whose name npmjs.org also has
    with LocalRegistry(verdaccio_cache(), storage, upstream=NPMJS, own=own) as server:
        yield server


def test_a_member_with_a_third_party_dependency_publishes_and_installs(
    registry: LocalRegistry, tmp_path: Path
) -> None:
    log = Log()
    package = member_with_dependency(tmp_path / "pkg")
    artifact = npm.pack(package, tmp_path / "dist", log=log)
    npm.check(package, artifact, registry_url=registry.url, log=log)
    environ = {"NODE_AUTH_TOKEN": registry.token}
    tag = npm.dist_tag_for(artifact.version)
    assert npm.publish(artifact, registry.url, tag=tag, environ=environ, log=log) == "published"
    npm.install_and_import(registry.url, MEMBER, "1.0.0", log=log)
    assert f"installed {MEMBER}@1.0.0 from {registry.url}" in log.text
    # is-number came through the uplink, read-only: the registry lists upstream's versions
    assert "7.0.0" in npm_view(registry, "is-number", "versions")  # type: ignore[operator]


def test_a_member_name_is_never_proxied(registry: LocalRegistry) -> None:
    """npmjs.org serves is-odd 3.0.1; the rehearsal, for which it is a member, does not."""
    assert npm.registry_state(NPMJS, "is-odd", "3.0.1") is not None
    assert npm.registry_state(registry.url, "is-odd", "3.0.1") is None
    assert not (registry.storage / "is-odd").exists()


def test_only_the_members_names_can_be_published(registry: LocalRegistry, tmp_path: Path) -> None:
    package = write_cjs(tmp_path / "other", "rk-uplink-not-a-member", "1.0.0")
    artifact = npm.pack(package, tmp_path / "dist")
    environ = {"NODE_AUTH_TOKEN": registry.token}
    with pytest.raises(PublishError) as info:
        npm.publish(artifact, registry.url, tag="latest", environ=environ)
    assert "npm publish rk-uplink-not-a-member-1.0.0.tgz" in info.value.message
    assert npm.registry_state(registry.url, "rk-uplink-not-a-member", "1.0.0") is None
    # and nobody else can become a user to publish a member's name
    request = urllib.request.Request(
        f"{registry.url}-/user/org.couchdb.user:intruder",
        data=json.dumps({"name": "intruder", "password": "x" * 12}).encode(),
        method="PUT",
        headers={"Content-Type": "application/json"},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert "maximum amount of users reached" in refused.value.read().decode()


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers: a network that swallows packets."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        yield sock.getsockname()[1]


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("upstream", ["closed_port", "silent_port"])
def test_offline_the_install_from_the_rehearsal_names_the_registry(
    upstream: str, request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = request.getfixturevalue(upstream)
    # npm's own retry waits 10 s before asking again: 1 s here, the same path
    monkeypatch.setenv("npm_config_fetch_retry_mintimeout", "1000")
    monkeypatch.setenv("npm_config_fetch_retry_maxtimeout", "2000")
    upstream_url = f"http://127.0.0.1:{port}/"
    root = tmp_path / "repo"
    member_with_dependency(root / "packages" / "core")
    (root / "releasekit.toml").write_text(
        f'members = ["packages/core"]\nnpm-registry = "{upstream_url}"\n', "utf-8"
    )
    workspace = find_workspace(root)
    assert workspace is not None
    project = member_project(workspace.members[0], workspace, Options(rehearse=True))
    out = project.dist_dir
    artifact = npm.pack(project.root, out)
    storage = tmp_path / "storage"
    # a 2 s wait for the silent upstream instead of 10 s: the same path, a shorter test
    with LocalRegistry(
        verdaccio_cache(), storage, upstream=upstream_url, own=[MEMBER], uplink_timeout="2s"
    ) as server:
        # the member's own publish needs no uplink
        environ = {"NODE_AUTH_TOKEN": server.token}
        assert npm.publish(artifact, server.url, tag="latest", environ=environ) == "published"
        target = NpmRegistryTarget(server.url, environ={}, rehearsal=True, upstream=upstream_url)
        manifest = Manifest(name=MEMBER, version="1.0.0", files=())

        class Said:  # what install_from speaks through
            def logger(self, _project: object) -> Log:
                return Log()

            def log(self, _project: object, _message: str) -> None:
                pass

        started = time.monotonic()
        with pytest.raises(SmokeError) as info:
            kind_of("npm").install_from(project, Said(), manifest, target)  # type: ignore[arg-type]
        took = time.monotonic() - started
    assert info.value.message.startswith(
        f"{MEMBER}@1.0.0 did not install from the rehearsal's npm registry: its third-party "
        f"dependencies are read from {upstream_url}, which does not answer ("
    )
    assert info.value.hint.startswith(f"connect this machine to {upstream_url}")
    assert took < 60, f"an offline install took {took:.0f}s"


def test_an_own_name_read_from_upstream_by_an_earlier_start_is_dropped(tmp_path: Path) -> None:
    """A rerun of the same commit without ``--only``: the member that run left out (so read
    from npmjs.org) is the rehearsal's own again, and none of upstream's copies stay."""
    storage = tmp_path / "storage"
    with LocalRegistry(verdaccio_cache(), storage, upstream=NPMJS, own=[MEMBER]) as server:
        assert npm.registry_state(server.url, "is-odd", "3.0.1") is not None  # proxied, cached
    assert (storage / "is-odd" / "package.json").is_file()
    log = Log()
    with LocalRegistry(
        verdaccio_cache(), storage, upstream=NPMJS, own=[MEMBER, "is-odd"], log=log
    ) as server:
        assert npm.registry_state(server.url, "is-odd", "3.0.1") is None
    assert "dropped is-odd from storage: an earlier start read it from upstream" in log.text
