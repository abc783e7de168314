"""The pure parts of the npm target: dist-tags, the .npmrc, argv, URLs, entry points."""

from __future__ import annotations

import io
import json
import socket
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from releasekit.errors import BuildError, PublishError, VersionError
from releasekit.kinds.npm import manager as managers
from releasekit.kinds.npm import pack as npm
from releasekit.targets.npm import registry as npm_registry
from tests.helpers.http import Handler, serve

NPM = managers.PackageManager("npm", None, "")


@pytest.mark.parametrize(
    ("version", "tag"),
    [
        ("1.0.0", "latest"),
        ("0.0.1", "latest"),
        ("1.0.0+build.5", "latest"),
        ("1.0.0-rc.1", "next"),
        ("2.0.0-alpha", "next"),
        ("2.0.0-0.3.7+sha.abc", "next"),
    ],
)
def test_dist_tag_for(version: str, tag: str) -> None:
    assert npm.dist_tag_for(version) == tag


@pytest.mark.parametrize("version", ["1.0", "1.0.0rc1", "01.0.0", "1.0.0-", ""])
def test_dist_tag_for_refuses_non_semver(version: str) -> None:
    with pytest.raises(VersionError, match="not a semver version"):
        npm.dist_tag_for(version)


def test_npmrc_references_the_variable_and_scopes_it_to_the_registry() -> None:
    text = npm.npmrc_text("https://registry.npmjs.org", "NODE_AUTH_TOKEN")
    assert text == (
        "registry=https://registry.npmjs.org/\n"
        "//registry.npmjs.org/:_authToken=${NODE_AUTH_TOKEN}\n"
    )
    local = npm.npmrc_text("http://127.0.0.1:4873/", "NPM_PUBLISH_TOKEN")
    assert "//127.0.0.1:4873/:_authToken=${NPM_PUBLISH_TOKEN}" in local
    assert npm.npmrc_text("http://127.0.0.1:4873/", None) == "registry=http://127.0.0.1:4873/\n"
    with pytest.raises(PublishError):
        npm.npmrc_text("https://registry.npmjs.org/", "NODE AUTH")


def _artifact(tmp_path: Path, version: str = "1.0.0") -> npm.NpmArtifact:
    return npm.NpmArtifact(tmp_path / f"demo-{version}.tgz", "demo", version, "0" * 64, "x", 1)


def test_publish_argv_carries_tag_and_provenance_only_when_asked(tmp_path: Path) -> None:
    artifact = _artifact(tmp_path)
    argv = npm.publish_argv(artifact, "https://registry.npmjs.org", tag="latest", provenance=False)
    assert argv == [
        "npm", "publish", str(artifact.path), "--registry", "https://registry.npmjs.org/",
        "--tag", "latest",
    ]  # fmt: skip
    with_provenance = npm.publish_argv(
        artifact, "https://registry.npmjs.org/", tag="next", provenance=True
    )
    assert with_provenance[-3:] == ["--tag", "next", "--provenance"]


def test_packument_url_encodes_scopes() -> None:
    assert (
        npm.packument_url("http://127.0.0.1:1", "@scope/pkg") == "http://127.0.0.1:1/@scope%2fpkg"
    )
    assert npm.packument_url("https://r.example/npm/", "plain") == "https://r.example/npm/plain"
    with pytest.raises(PublishError, match="not an npm package name"):
        npm.packument_url("https://r.example/", "../etc")


def test_plain_http_only_to_loopback() -> None:
    with pytest.raises(PublishError, match="plain http"):
        npm.packument_url("http://registry.example.com/", "x")
    with pytest.raises(PublishError, match="not a registry URL"):
        npm.packument_url("ftp://registry.example.com/", "x")


def test_entry_points_of_every_shape() -> None:
    manifest = {
        "main": "./lib/index.js",
        "types": "lib/index.d.ts",
        "exports": {
            ".": {"types": "./lib/index.d.ts", "import": "./esm/index.mjs", "require": None},
            "./util": ["./lib/util.js"],
            "./features/*": "./lib/features/*.js",
        },
        "bin": {"demo": "bin/demo.js"},
    }
    assert npm.tarball_entry_points(manifest) == [
        ("main", "lib/index.js"),
        ("types", "lib/index.d.ts"),
        ("exports['.']['types']", "lib/index.d.ts"),
        ("exports['.']['import']", "esm/index.mjs"),
        ("exports['./util']", "lib/util.js"),
        ("exports['./features/*']", "lib/features/*.js"),
        ("bin['demo']", "bin/demo.js"),
    ]
    assert npm.tarball_entry_points({"exports": "./index.js"}) == [("exports", "index.js")]


@pytest.mark.parametrize(
    ("manifest", "kinds"),
    [
        ({"main": "index.js"}, (True, False)),
        ({"type": "module", "main": "index.js"}, (False, True)),
        ({"main": "index.mjs"}, (False, True)),
        ({"exports": {".": {"import": "./a.mjs", "require": "./a.cjs"}}}, (True, True)),
        ({"type": "module", "exports": {"import": "./a.js", "types": "./a.d.ts"}}, (False, True)),
        ({"exports": {"default": "./a.js"}}, (True, False)),
        ({"types": "index.d.ts"}, (False, False)),
    ],
)
def test_module_kinds(
    manifest: dict[str, object], kinds: tuple[bool, bool], tmp_path: Path
) -> None:
    assert npm._module_kinds(manifest, tmp_path) == kinds


def test_pack_report_is_found_after_script_output() -> None:
    report = [{"filename": "demo-1.0.0.tgz", "integrity": "sha512-x"}]
    output = "\n> demo@1.0.0 prepack\n> echo [built]\n\n[built]\n" + json.dumps(report, indent=2)
    assert managers.read_report(NPM, output) == report[0]
    with pytest.raises(BuildError, match="printed no report"):
        managers.read_report(NPM, "npm error something")


def test_resolves_like_node(tmp_path: Path) -> None:
    tarball = tmp_path / "t.tgz"
    with tarfile.open(tarball, "w:gz") as tar:
        for name in ("package/package.json", "package/lib/index.js", "package/x/feat/a.js"):
            info = tarfile.TarInfo(name)
            info.size = 2
            tar.addfile(info, io.BytesIO(b"{}"))
    members = npm._tarball_members(tarball)
    assert npm._resolves("lib", members, main=True)
    assert npm._resolves("lib/index", members, main=True)
    assert not npm._resolves("lib/index", members, main=False)
    assert npm._resolves("x/feat/*.js", members, main=False)
    assert not npm._resolves("dist/index.js", members, main=False)
    assert npm._tarball_manifest(tarball) == {}


def test_a_prerelease_is_never_published_as_latest(tmp_path: Path) -> None:
    artifact = _artifact(tmp_path, "2.0.0-rc.1")
    with pytest.raises(PublishError, match="pre-release: not publishing it as latest"):
        npm.publish(artifact, "https://registry.invalid/", tag="latest", environ={})


# -- packument reads go through releasekit.runtime.net ---


class _Registry(Handler):
    """Answers every packument read with a redirect: to plain http elsewhere for ``/demo``,
    to its own ``/same`` for ``/moved``, which serves a packument."""

    def do_GET(self) -> None:
        if self.path == "/demo":
            self.redirect("http://example.invalid/demo")
        elif self.path == "/moved":
            self.redirect("/same")
        elif self.path == "/same":
            body = json.dumps(
                {"name": "moved", "versions": {"1.0.0": {"dist": {"integrity": "sha512-x"}}}}
            ).encode()
            self.reply(body, "application/json")
        else:
            self.send_error(404)


@pytest.fixture
def registry() -> Iterator[str]:
    with serve(_Registry) as url:
        yield url + "/"


def test_a_packument_read_refuses_a_redirect_to_plain_http_elsewhere(
    registry: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As index reads do: the redirect is refused before any connection to its target."""
    connected: list[str] = []
    real = socket.create_connection

    def create_connection(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        connected.append(address[0])
        return real(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", create_connection)
    with pytest.raises(PublishError) as info:
        npm.registry_state(registry, "demo", "1.0.0")
    assert info.value.message == (
        f"{registry}demo redirected (302): refusing http URL http://example.invalid/demo "
        "on a non-loopback host"
    )
    assert connected == ["127.0.0.1"]
    assert npm.registry_state(registry, "moved", "1.0.0") == "sha512-x"  # a safe one is fine


def test_waiting_until_served_backs_off_and_says_so_once(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter([None, None, None, "sha512-good"])
    monkeypatch.setattr(npm_registry, "registry_state", lambda *_: next(answers))
    now, waits, lines = [0.0], [], []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    npm.wait_until_served(
        "https://registry.invalid/",
        "demo",
        "1.0.0",
        "sha512-good",
        log=lines.append,
        sleep=sleep,
        clock=lambda: now[0],
    )
    assert waits == [0.5, 0.75, 1.125]
    assert lines == [
        "waiting for https://registry.invalid/ to serve demo@1.0.0 (propagation) ...",
        "https://registry.invalid/ now serves demo@1.0.0",
    ]


def test_waiting_until_served_stops_at_other_bytes_and_at_the_deadline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(npm_registry, "registry_state", lambda *_: "sha512-other")
    with pytest.raises(PublishError, match="with integrity sha512-other, not the published"):
        npm.wait_until_served("https://registry.invalid/", "demo", "1.0.0", "sha512-good")
    monkeypatch.setattr(npm_registry, "registry_state", lambda *_: None)
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    with pytest.raises(PublishError, match=r"does not serve demo@1\.0\.0 after 2s"):
        npm.wait_until_served(
            "https://registry.invalid/",
            "demo",
            "1.0.0",
            "sha512-good",
            timeout=2,
            sleep=sleep,
            clock=lambda: now[0],
        )
    assert now[0] == 2.0


def test_a_registry_url_with_credentials_is_refused_without_showing_them() -> None:
    with pytest.raises(PublishError) as info:
        npm.packument_url("https://u:S3CRET@registry.example/", "x")
    assert info.value.message == "https://***@registry.example/ has credentials in it"
    assert "S3CRET" not in str(info.value)
