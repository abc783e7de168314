"""The npm target against a real verdaccio on loopback: pack, check, publish, verify, install.

One registry per module (``LocalRegistry``); verdaccio itself is installed once and reused
across test runs from ``~/.cache/releasekit-tests`` (or ``$RELEASEKIT_TEST_CACHE``). Every
test uses package names of its own, so the tests share the registry without meeting.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from releasekit.errors import BuildError, PublishError, SmokeError
from releasekit.kinds.npm import pack as npm
from releasekit.rehearsal.verdaccio import LocalRegistry
from tests.helpers.npm import Log, npm_view, verdaccio_cache, write_cjs

pytestmark = [
    pytest.mark.slow,
    # one worker runs the module: each worker would start its own module-scoped verdaccio
    pytest.mark.xdist_group("npm_registry"),
    pytest.mark.skipif(
        shutil.which("node") is None or shutil.which("npm") is None,
        reason="node and npm are needed for the npm target (install Node.js >= 18)",
    ),
]


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRegistry]:
    storage = tmp_path_factory.mktemp("verdaccio") / "storage"
    with LocalRegistry(verdaccio_cache(), storage, log=print) as server:
        yield server


def write_esm(root: Path, name: str, version: str) -> Path:
    """A tiny ESM-only package: ``"type": "module"``, ``exports`` with conditions, ``types``."""
    root.mkdir(parents=True, exist_ok=True)
    manifest = {
        "name": name,
        "version": version,
        "type": "module",
        "exports": {".": {"types": "./dist/index.d.ts", "import": "./dist/index.js"}},
        "types": "./dist/index.d.ts",
        "files": ["dist"],
        "license": "MIT",
    }
    (root / "package.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    (root / "dist").mkdir(exist_ok=True)
    # top-level await: loads with import() only, never with require()
    (root / "dist" / "index.js").write_text(
        "export const answer = await Promise.resolve(42);\n", "utf-8"
    )
    (root / "dist" / "index.d.ts").write_text("export declare const answer: number;\n", "utf-8")
    return root


def env_with(registry: LocalRegistry) -> dict[str, str]:
    return {"NODE_AUTH_TOKEN": registry.token}


def test_cjs_pack_check_publish_verify_install_then_rerun(
    registry: LocalRegistry, tmp_path: Path
) -> None:
    log = Log()
    package = write_cjs(tmp_path / "pkg", "@demo/cjs", "1.0.0")
    artifact = npm.pack(package, tmp_path / "dist", log=log)
    assert artifact.filename == "demo-cjs-1.0.0.tgz"
    assert (artifact.name, artifact.version) == ("@demo/cjs", "1.0.0")
    assert artifact.integrity.startswith("sha512-")
    assert artifact.size == artifact.path.stat().st_size

    npm.check(package, artifact, registry_url=registry.url, log=log)
    tag = npm.dist_tag_for(artifact.version)
    outcome = npm.publish(artifact, registry.url, tag=tag, environ=env_with(registry), log=log)
    assert outcome == "published"
    npm.wait_until_served(
        registry.url, artifact.name, artifact.version, artifact.integrity, timeout=30, log=log
    )
    # the registry serves exactly the packed bytes
    assert npm.registry_state(registry.url, "@demo/cjs", "1.0.0") == artifact.integrity
    assert npm_view(registry, "@demo/cjs@1.0.0", "dist.integrity") == artifact.integrity
    npm.install_and_import(registry.url, "@demo/cjs", "1.0.0", log=log)
    assert "loaded it (require)" in log.text

    # a rerun: same bytes, nothing published; the dry run is skipped, not failed
    rerun = Log()
    npm.check(package, artifact, registry_url=registry.url, log=rerun)
    assert npm.publish(artifact, registry.url, tag=tag, environ={}, log=rerun) == "identical"
    assert "already identical" in rerun.text
    assert "$ npm publish" not in rerun.text


def test_esm_only_package_is_imported(registry: LocalRegistry, tmp_path: Path) -> None:
    log = Log()
    package = write_esm(tmp_path / "pkg", "demo-esm", "0.3.0")
    artifact = npm.pack(package, tmp_path / "dist", log=log)
    npm.check(package, artifact, registry_url=registry.url, log=log)
    assert npm.publish(artifact, registry.url, tag="latest", environ=env_with(registry), log=log)
    npm.wait_until_served(registry.url, "demo-esm", "0.3.0", artifact.integrity, timeout=30)
    npm.install_and_import(registry.url, "demo-esm", "0.3.0", log=log)
    assert "loaded it (import)" in log.text


def test_same_version_other_bytes_is_refused_before_publishing(
    registry: LocalRegistry, tmp_path: Path
) -> None:
    first = npm.pack(write_cjs(tmp_path / "a", "demo-clash", "1.0.0"), tmp_path / "d1")
    assert npm.publish(first, registry.url, tag="latest", environ=env_with(registry)) == (
        "published"
    )
    other_dir = write_cjs(tmp_path / "b", "demo-clash", "1.0.0", body="43")
    other = npm.pack(other_dir, tmp_path / "d2")
    assert other.integrity != first.integrity

    with pytest.raises(PublishError, match=r"already has demo-clash@1\.0\.0 with integrity"):
        npm.check(other_dir, other, registry_url=registry.url)
    log = Log()
    with pytest.raises(PublishError) as caught:
        npm.publish(other, registry.url, tag="latest", environ=env_with(registry), log=log)
    assert "nothing was published" in caught.value.message
    assert "bump the version" in caught.value.hint
    assert "$ npm" not in log.text  # refused before npm ran
    assert npm.registry_state(registry.url, "demo-clash", "1.0.0") == first.integrity


def test_prerelease_goes_to_next(registry: LocalRegistry, tmp_path: Path) -> None:
    env = env_with(registry)
    for version in ("1.0.0", "1.1.0-rc.1"):
        artifact = npm.pack(write_cjs(tmp_path / version, "demo-pre", version), tmp_path / "d")
        npm.publish(artifact, registry.url, tag=npm.dist_tag_for(version), environ=env)
    assert npm_view(registry, "demo-pre", "dist-tags") == {
        "latest": "1.0.0",
        "next": "1.1.0-rc.1",
    }


def test_token_is_never_on_a_command_line_nor_in_output(
    registry: LocalRegistry, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    token = registry.token
    artifact = npm.pack(write_cjs(tmp_path / "p", "demo-secret", "1.0.0"), tmp_path / "d")
    argv = npm.publish_argv(artifact, registry.url, tag="latest", provenance=False)
    assert not any(token in arg for arg in argv)
    assert token not in npm.npmrc_text(registry.url, "NODE_AUTH_TOKEN")

    seen: list[str] = []
    npm_seen: list[str] = []
    stop = threading.Event()

    def watch() -> None:  # every process's argv while the publish runs
        while not stop.is_set():
            for entry in os.listdir("/proc"):
                if not entry.isdigit():
                    continue
                try:
                    with open(f"/proc/{entry}/cmdline", "rb") as handle:
                        cmdline = handle.read().decode(errors="replace")
                except OSError:
                    continue
                if token in cmdline:
                    seen.append(cmdline)
                if "publish" in cmdline.split("\0") and "npm" in cmdline:
                    npm_seen.append(cmdline)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    log = Log()
    try:
        npm.publish(artifact, registry.url, tag="latest", environ=env_with(registry), log=log)
        npm.deprecate(
            registry.url,
            "demo-secret",
            "1.0.0",
            "do not use",
            environ=env_with(registry),
            log=log,
        )
    finally:
        stop.set()
        watcher.join()
    assert npm_seen, "the watcher never saw npm publish running"
    assert seen == []
    captured = capfd.readouterr()
    assert token not in log.text + captured.out + captured.err
    assert token not in os.environ.get("NODE_AUTH_TOKEN", "")


def test_deprecate(registry: LocalRegistry, tmp_path: Path) -> None:
    artifact = npm.pack(write_cjs(tmp_path / "p", "@demo/old", "0.1.0"), tmp_path / "d")
    npm.publish(artifact, registry.url, tag="latest", environ=env_with(registry))
    log = Log()
    npm.deprecate(
        registry.url, "@demo/old", "0.1.0", "broken: use 0.1.1", environ=env_with(registry),
        log=log,
    )  # fmt: skip
    assert "deprecated @demo/old@0.1.0" in log.text
    assert npm_view(registry, "@demo/old@0.1.0", "deprecated") == "broken: use 0.1.1"
    with pytest.raises(PublishError, match="no NODE_AUTH_TOKEN"):
        npm.deprecate(registry.url, "@demo/old", "0.1.0", "x", environ={})


def test_no_token_is_refused_and_nothing_published(registry: LocalRegistry, tmp_path: Path) -> None:
    artifact = npm.pack(write_cjs(tmp_path / "p", "demo-notoken", "1.0.0"), tmp_path / "d")
    with pytest.raises(PublishError, match="no NODE_AUTH_TOKEN"):
        npm.publish(artifact, registry.url, tag="latest", environ={})
    # a wrong token: npm runs and the registry refuses it
    with pytest.raises(PublishError, match=r"npm publish demo-notoken-1\.0\.0\.tgz"):
        npm.publish(artifact, registry.url, tag="latest", environ={"NODE_AUTH_TOKEN": "nope" * 4})
    assert npm.registry_state(registry.url, "demo-notoken", "1.0.0") is None


def test_check_refuses_missing_entry_points_and_files(tmp_path: Path) -> None:
    package = write_esm(tmp_path / "p", "demo-broken", "1.0.0")
    manifest = json.loads((package / "package.json").read_text("utf-8"))
    manifest["exports"]["."]["require"] = "./dist/index.cjs"  # never built
    (package / "package.json").write_text(json.dumps(manifest), "utf-8")
    artifact = npm.pack(package, tmp_path / "d")
    with pytest.raises(BuildError, match=r"exports\['\.'\]\['require'\] -> dist/index.cjs"):
        npm.check(package, artifact)

    del manifest["files"]
    (package / "package.json").write_text(json.dumps(manifest), "utf-8")
    with pytest.raises(BuildError, match="has no files"):
        npm.check(package, artifact)


def test_registry_has_no_uplinks(registry: LocalRegistry) -> None:
    assert npm.registry_state(registry.url, "left-pad", "1.3.0") is None
    with pytest.raises(SmokeError, match=r"npm install left-pad@1\.3\.0"):
        npm.install_and_import(registry.url, "left-pad", "1.3.0", timeout=60)


def test_registry_stops_on_keyboard_interrupt(tmp_path: Path) -> None:
    server = LocalRegistry(verdaccio_cache(), tmp_path / "storage")
    with pytest.raises(KeyboardInterrupt), server:
        process = server._process
        assert process is not None and server.running
        raise KeyboardInterrupt
    assert process.poll() is not None
    assert not server.running
