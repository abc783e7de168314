"""Credentials reach the one twine upload they are for, and no other process.

Read from real processes, never from what releasekit says it passes: the build backend
(a ``hatch_build.py`` hook), prepare-commands and smoke commands write their environment to
a file; each twine upload's environment is read from ``/proc/<pid>/environ`` while the
fault proxy in front of its index holds the upload; and a watcher samples the environment of
every process the nox run starts (uv, pip, twine check, ...).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from releasekit.cli.init import template_text
from releasekit.core.config import IndexConfig
from releasekit.errors import PublishError
from releasekit.rehearsal.pypiserver import LocalIndex
from releasekit.runtime import proc
from releasekit.runtime.credentials import index_upload_env, twine_credentials
from releasekit.targets.pypi.upload import publish
from tests.helpers.fault_proxy import FaultProxy, Upload
from tests.helpers.index import SampleDists, build_demo, side_by_side
from tests.helpers.projects import Project, write_project

TWINE = [sys.executable, "-m", "twine"]
LINUX = sys.platform.startswith("linux") and Path("/proc/self/environ").exists()

# Credentials of things that are none of releasekit's business: no child may see them.
FOREIGN = {
    "GITHUB_TOKEN": "ghs_f0reignGithubToken1234",
    "NODE_AUTH_TOKEN": "npm_f0reignNodeToken1234",
    "PYPI_API_TOKEN": "pypi-f0reignApiToken1234",
    "DATABASE_PASSWORD": "f0reign-db-password-1234",
    "TWINE_PASSWORD": "f0reign-twine-password-1234",  # overridden by RELEASEKIT_*_PASSWORD
    "TWINE_USERNAME": "f0reign-twine-user",
}
# GitHub's trusted-publishing pair: twine upload only.
OIDC = {
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "oidc-request-t0ken-1234",
    "ACTIONS_ID_TOKEN_REQUEST_URL": "https://oidc.example/t0ken?audience=1234",
}

DUMP = """\
import json, os, sys
with open(os.path.join(os.environ["RK_DUMP_DIR"], f"{sys.argv[1]}-{os.getpid()}.json"), "w") as f:
    json.dump(dict(os.environ), f)
"""
HATCH_BUILD = """\
import json, os

from hatchling.builders.hooks.plugin.interface import BuildHookInterface
from hatchling.metadata.plugin.interface import MetadataHookInterface


def dump(what):
    where = os.environ.get("RK_DUMP_DIR")
    if where:  # a build of the smoke sdist by pip/uv may run anywhere
        with open(os.path.join(where, f"{what}-{os.getpid()}.json"), "w") as handle:
            json.dump(dict(os.environ), handle)


class CustomBuildHook(BuildHookInterface):
    def initialize(self, version, build_data):
        dump(f"backend-{self.target_name}")


class CustomMetadataHook(MetadataHookInterface):
    def update(self, metadata):
        dump("metadata-hook")
"""


# -- the pure part: which variables go where -------------------------------------------------

TEST = IndexConfig("test", "https://test.example/simple/", "https://test.example/legacy/")
PROD = IndexConfig("prod", "https://prod.example/simple/", "https://prod.example/legacy/")
BOTH = {
    "RELEASEKIT_TEST_PASSWORD": "test-pw",
    "RELEASEKIT_TEST_USERNAME": "test-user",
    "RELEASEKIT_PROD_PASSWORD": "prod-pw",
    "TWINE_CERT": "/etc/ca.pem",
    "PATH": "/bin",
    "PYPI_ID_TOKEN": "gitlab-oidc",
    **FOREIGN,
    **OIDC,
}


def test_upload_env_holds_one_index_credentials_and_the_ci_identity() -> None:
    test = index_upload_env(TEST, BOTH)
    assert test["TWINE_USERNAME"] == "test-user" and test["TWINE_PASSWORD"] == "test-pw"
    assert "prod-pw" not in test.values()
    assert {k: test[k] for k in OIDC} == OIDC
    # GitLab's ID token is for the audience it was minted for: PyPI's is no credential for
    # an index that is not PyPI (test.example), so that upload never sees it
    assert "PYPI_ID_TOKEN" not in test
    assert test["TWINE_CERT"] == "/etc/ca.pem"
    assert not {"GITHUB_TOKEN", "NODE_AUTH_TOKEN", "PYPI_API_TOKEN", "DATABASE_PASSWORD"} & set(
        test
    )
    assert not any(name.startswith("RELEASEKIT_") for name in test)
    assert "PATH" not in test  # the rest comes from the scrubbed environment

    prod = index_upload_env(PROD, BOTH)
    assert prod["TWINE_USERNAME"] == "__token__" and prod["TWINE_PASSWORD"] == "prod-pw"
    assert "test-pw" not in prod.values() and "test-user" not in prod.values()


def test_without_a_releasekit_password_twine_resolves_its_own() -> None:
    environ = {**FOREIGN, **OIDC}
    assert twine_credentials(TEST, environ) == {}
    env = index_upload_env(TEST, environ)
    assert env["TWINE_PASSWORD"] == FOREIGN["TWINE_PASSWORD"]  # the user's choice for twine
    assert {k: env[k] for k in OIDC} == OIDC  # trusted publishing


# -- real processes --------------------------------------------------------------------------


def read_environ(pid: int) -> dict[str, str] | None:
    try:
        raw = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return None
    env = {}
    for item in raw.split(b"\0"):
        name, sep, value = item.partition(b"=")
        if sep:
            env[name.decode(errors="replace")] = value.decode(errors="replace")
    return env


def read_cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


@dataclass
class Seen:
    pid: int
    argv: list[str]
    env: dict[str, str]

    @property
    def is_twine_upload(self) -> bool:
        return any("twine" in a for a in self.argv) and "upload" in self.argv

    @property
    def is_git(self) -> bool:
        return bool(self.argv) and os.path.basename(self.argv[0]).startswith("git")

    @property
    def is_nox_own(self) -> bool:
        """nox's probe of uv's version when it is imported: nox's process, not releasekit's."""
        return self.argv[1:3] == ["self", "version"]

    @property
    def releasekit_child(self) -> bool:
        """Started by releasekit for the project (git and nox's own probe are not)."""
        return not (self.is_git or self.is_nox_own)


@dataclass
class Watcher:
    """Samples every descendant of ``root`` every few milliseconds: argv and environment.

    A child between ``fork`` and ``exec`` still shows the parent's argv and environment (the
    nox process, which holds the credentials by right): such a sample is dropped, and the
    process is sampled again once it has exec'd.
    """

    root: int
    root_argv: list[str]
    seen: dict[tuple[int, str, tuple[str, ...]], Seen] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> Watcher:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        assert self._thread is not None
        self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.scan()
            time.sleep(0.005)

    def scan(self) -> None:
        children: dict[int, list[int]] = {}
        starts: dict[int, str] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                stat = Path(f"/proc/{entry}/stat").read_text(errors="replace")
            except OSError:
                continue
            fields = stat.rpartition(")")[2].split()
            if len(fields) < 20 or fields[0] in ("Z", "X"):
                continue
            children.setdefault(int(fields[1]), []).append(int(entry))
            starts[int(entry)] = fields[19]
        todo = list(children.get(self.root, []))
        while todo:
            pid = todo.pop()
            todo.extend(children.get(pid, []))
            argv = read_cmdline(pid)
            key = (pid, starts.get(pid, ""), tuple(argv))
            if not argv or argv == self.root_argv or key in self.seen:
                continue
            env = read_environ(pid)
            if env is not None and read_cmdline(pid) == argv:  # not exec'd in between
                self.seen[key] = Seen(pid, argv, env)


def twine_environ(proxy: FaultProxy, captured: list[dict[str, str]]) -> None:
    """While the proxy holds an upload: the environment of the twine process sending it."""

    def capture(upload: Upload) -> None:
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                argv = read_cmdline(int(entry))
                if "upload" in argv and proxy.publish_url in argv:
                    env = read_environ(int(entry))
                    if env is not None:
                        captured.append(env)

    proxy.on_upload = capture


@dataclass
class Indexes:
    servers: dict[str, LocalIndex]
    proxies: dict[str, FaultProxy]
    twine: dict[str, list[dict[str, str]]]


@pytest.fixture
def indexes(tmp_path: Path) -> Iterator[Indexes]:
    servers = {
        name: LocalIndex(tmp_path / f"{name}-index", server_python=Path(sys.executable))
        for name in ("test", "prod")
    }
    proxies: dict[str, FaultProxy] = {}
    twine: dict[str, list[dict[str, str]]] = {"test": [], "prod": []}
    with side_by_side(*servers.values()):
        try:
            for name, server in servers.items():
                proxies[name] = FaultProxy(server.publish_url).start()
                twine_environ(proxies[name], twine[name])
            yield Indexes(servers, proxies, twine)
        finally:
            for proxy in proxies.values():
                proxy.stop()


@pytest.fixture(scope="module")
def envdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("nox-envs")


def sample_project(
    root: Path,
    indexes: Indexes,
    dump: Path,
    *,
    version_source: str = "static",
    releasekit: str = "",
    git: bool = True,
) -> Project:
    """A tagged project whose backend, prepare-command and smoke command dump their env
    (``git=False``: a workspace member, in the repository its caller makes)."""
    tables = "\n".join(
        f'[tool.releasekit.indexes.{name}]\nurl = "{proxy.url}"\n'
        f'publish-url = "{proxy.publish_url}"\n'
        for name, proxy in indexes.proxies.items()
    )
    project = write_project(
        root / "demo",
        version="1.2.0",
        hook=False,
        build_requires=("hatchling",),
        version_source=version_source,
        extra_pyproject=(
            "[tool.hatch.build.hooks.custom]\n\n[tool.hatch.metadata.hooks.custom]\n\n"
            "[tool.releasekit]\npropagation-timeout = 10\n"
            f'prepare-commands = ["python {dump} prepare"]\n{releasekit}\n'
            f'[tool.releasekit.smoke]\ncommands = ["python {dump} smoke", "demo --version"]\n\n'
            f"{tables}"
        ),
        git=False,
    )
    pyproject = project.path / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            'description = "A sample project"',
            'description = "A sample project"\nreadme = "README.md"',
        )
    )
    project.write("README.md", "# demo\n\nA sample project.\n")
    project.write("hatch_build.py", HATCH_BUILD)
    project.write("noxfile.py", template_text())
    if not git:
        return project
    project.write(".gitignore", "dist/\n.nox/\n")
    project.git("init", "-q", "-b", "main")
    project.commit("initial")
    project.tag("v1.2.0")
    return project


def run_nox(
    project: Project, envdir: Path, env: Mapping[str, str], *args: str
) -> tuple[int, str, Watcher]:
    argv = [sys.executable, "-m", "nox", "--envdir", str(envdir), "--no-color", *args]
    child = subprocess.Popen(
        argv,
        cwd=project.path,
        env=dict(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    with Watcher(child.pid, argv) as watcher:
        out, _ = child.communicate(timeout=600)
    return child.returncode, out, watcher


def dumps(where: Path) -> dict[str, dict[str, str]]:
    return {p.stem: json.loads(p.read_text()) for p in sorted(where.glob("*.json"))}


def leaks(env: Mapping[str, str], values: Mapping[str, str]) -> list[str]:
    """The credentials in ``env``: secret names, and any known secret value under any name."""
    found = [name for name in env if proc.is_secret(name)]
    found += [f"{name} (as a value)" for name, value in values.items() if value in env.values()]
    return sorted(set(found))


@pytest.mark.slow
@pytest.mark.skipif(not LINUX, reason="reads /proc/<pid>/environ")
def test_release_hands_each_token_to_its_own_upload_only(
    tmp_path: Path, indexes: Indexes, envdir: Path
) -> None:
    dump_dir = tmp_path / "dumps"
    dump_dir.mkdir()
    dump = tmp_path / "dump_env.py"
    dump.write_text(DUMP)
    project = sample_project(tmp_path, indexes, dump)
    test, prod = indexes.servers["test"], indexes.servers["prod"]
    ours = {**test.credentials("test"), **prod.credentials("prod")}
    secrets = {**ours, **FOREIGN, **OIDC}
    env = {**os.environ, **secrets, "RK_DUMP_DIR": str(dump_dir), "UV_NO_CONFIG": "1"}

    code, out, watcher = run_nox(project, envdir, env, "-s", "release", "--", "--yes")
    assert code == 0, out

    # Each twine upload: its own index's credentials as TWINE_*, the OIDC pair, nothing else.
    for name, server, other in (("test", test, prod), ("prod", prod, test)):
        seen = indexes.twine[name]
        assert len(seen) == 2, f"{name}: {len(seen)} twine uploads seen"  # one per file
        for twine in seen:
            assert twine["TWINE_USERNAME"] == server.username
            assert twine["TWINE_PASSWORD"] == server.password
            assert {k: twine[k] for k in OIDC} == OIDC
            unexpected = [n for n in twine if proc.is_secret(n) and not n.startswith("TWINE_")]
            assert sorted(unexpected) == sorted(OIDC)
            for value in (other.password, other.username, *FOREIGN.values()):
                assert value not in twine.values(), f"{name} twine sees {value!r}"

    # Every other process: not one credential, by name or by value.
    found = dumps(dump_dir)
    kinds = {stem.rsplit("-", 1)[0] for stem in found}
    assert {"backend-sdist", "backend-wheel", "prepare", "smoke"} <= kinds, sorted(found)
    for stem, dumped in found.items():
        assert leaks(dumped, secrets) == [], stem
    others = [s for s in watcher.seen.values() if s.releasekit_child and not s.is_twine_upload]
    assert len(others) >= 5, [s.argv for s in watcher.seen.values()]
    for seen_process in others:
        assert leaks(seen_process.env, secrets) == [], seen_process.argv
    uploads = [s for s in watcher.seen.values() if s.is_twine_upload]
    for seen_process in uploads:  # whatever the watcher caught of twine: same rule as above
        assert seen_process.env.get("TWINE_PASSWORD") in (test.password, prod.password)

    # And no secret value in any output or record.
    records = [p.read_text(errors="replace") for p in (project.path / "dist").glob("*.json*")]
    logs = [s.log_path.read_text(errors="replace") for s in (test, prod)]
    for value in secrets.values():
        assert value not in out
        for text in (*records, *logs):
            assert value not in text
    assert test.packages_dir.exists() and len(list(prod.packages_dir.iterdir())) == 2


@pytest.mark.slow
@pytest.mark.skipif(not LINUX, reason="reads /proc/<pid>/environ")
def test_check_runs_the_project_code_without_credentials(
    tmp_path: Path, indexes: Indexes, envdir: Path
) -> None:
    """check-commands, check-sessions, the backend computing a dynamic version, pypiserver."""
    dump_dir = tmp_path / "dumps"
    dump_dir.mkdir()
    dump = tmp_path / "dump_env.py"
    dump.write_text(DUMP)
    project = sample_project(
        tmp_path,
        indexes,
        dump,
        version_source="regex",
        releasekit=(
            f'check-commands = ["python {dump} check-command"]\ncheck-sessions = ["own"]\n'
        ),
    )
    noxfile = project.path / "noxfile.py"
    noxfile.write_text(
        noxfile.read_text()
        + textwrap.dedent(f"""

            @nox.session(venv_backend="none")
            def own(session):
                session.run("python", "{dump}", "check-session", external=True)
            """)
    )
    project.commit("own session")
    project.git("tag", "-f", "v1.2.0")
    secrets = {
        **FOREIGN,
        **OIDC,
        "RELEASEKIT_TEST_PASSWORD": "real-test-t0ken-1234",
        "RELEASEKIT_PROD_PASSWORD": "real-prod-t0ken-1234",
    }
    env = {**os.environ, **secrets, "RK_DUMP_DIR": str(dump_dir), "UV_NO_CONFIG": "1"}
    code, out, watcher = run_nox(project, envdir, env, "-s", "check", "--", "--rehearse")
    assert code == 0, out
    found = dumps(dump_dir)
    kinds = {stem.rsplit("-", 1)[0] for stem in found}
    assert {"check-command", "check-session", "metadata-hook"} <= kinds, sorted(found)
    for stem, dumped in found.items():
        assert leaks(dumped, secrets) == [], stem
    servers = [s for s in watcher.seen.values() if "pypiserver" in " ".join(s.argv)]
    assert servers, "the rehearsal started no pypiserver"
    for seen_process in watcher.seen.values():
        if seen_process.releasekit_child:
            assert leaks(seen_process.env, secrets) == [], seen_process.argv
    for value in secrets.values():
        assert value not in out


@pytest.mark.slow
@pytest.mark.skipif(not LINUX, reason="reads /proc/<pid>/environ")
def test_publish_reads_credentials_from_os_environ_and_scopes_them(
    indexes: Indexes,
    sample_dists: SampleDists,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """``publish.publish`` as the sessions call it (``environ`` = ``os.environ``), both
    indexes' credentials set: each twine sees its own, and a failure shows neither."""
    test, prod = indexes.servers["test"], indexes.servers["prod"]
    # twine runs from this interpreter here: no tools venv, so no cache dir to pass on
    monkeypatch.delenv("RELEASEKIT_CACHE_DIR", raising=False)
    for name, value in {**test.credentials("test"), **prod.credentials("prod"), **FOREIGN}.items():
        monkeypatch.setenv(name, value)
    lines: list[str] = []
    for name in ("test", "prod"):
        publish(
            sample_dists.manifest,
            sample_dists.dist_dir,
            indexes.proxies[name].index_config(name),
            twine=TWINE,
            log=lines.append,
            verify_timeout=10,
        )
    for name, server, other in (("test", test, prod), ("prod", prod, test)):
        assert indexes.twine[name], name
        for twine in indexes.twine[name]:
            assert twine["TWINE_PASSWORD"] == server.password
            assert other.password not in twine.values() and other.username not in twine.values()
            assert not {n for n in twine if n.startswith("RELEASEKIT_") or n in FOREIGN} - {
                "TWINE_PASSWORD",
                "TWINE_USERNAME",
            }

    # A refused upload (the prod password sent to the test index) names neither password.
    monkeypatch.setenv("RELEASEKIT_TEST_PASSWORD", prod.password)
    release = build_demo(tmp_path / "other", version="2.0.0")
    with pytest.raises(PublishError) as info:
        publish(
            release.manifest,
            release.dist_dir,
            indexes.proxies["test"].index_config("test"),
            twine=TWINE,
            log=lines.append,
            verify_timeout=10,
        )
    assert "403" in info.value.message and "RELEASEKIT_TEST_PASSWORD" in info.value.hint
    everything = "\n".join([str(info.value), *lines])
    assert any("403" in line for line in lines)
    # the usernames are not secrets (issue 17): twine --verbose may name them; passwords never
    for value in (test.password, prod.password, *FOREIGN.values()):
        assert value not in everything


# -- a workspace: an npm member, a Python member with its GitHub release ---------------------


def is_npm_publish(seen: Seen) -> bool:
    """The ``npm publish`` of the tarball (node runs npm's script: ``node .../npm publish``),
    not the ``npm publish --dry-run`` that checks the package."""
    npm = any(os.path.basename(a) in ("npm", "npm-cli.js") for a in seen.argv[:2])
    return npm and "publish" in seen.argv and "--dry-run" not in seen.argv


@pytest.mark.slow
@pytest.mark.skipif(not LINUX, reason="reads /proc/<pid>/environ")
@pytest.mark.skipif(shutil.which("npm") is None, reason="npm members need Node.js and npm")
def test_a_workspace_release_hands_each_token_to_the_one_process_that_uses_it(
    tmp_path: Path, indexes: Indexes, envdir: Path
) -> None:
    """The test token only in the test upload, the prod token only in the prod upload,
    NODE_AUTH_TOKEN only in npm publish; GITHUB_TOKEN in no child at all: the GitHub client
    (githubkit) runs in the nox process itself, which holds every credential by right."""
    pytest.importorskip("githubkit")
    from releasekit.rehearsal.verdaccio import LocalRegistry
    from tests.helpers.github_fake import FakeGitHub
    from tests.helpers.npm import verdaccio_cache, write_cjs

    dump_dir = tmp_path / "dumps"
    dump_dir.mkdir()
    dump = tmp_path / "dump_env.py"
    dump.write_text(DUMP)
    root = tmp_path / "repo"
    write_cjs(root / "packages" / "core", "evforge-core", "1.2.0")
    member = sample_project(
        root / "packages",
        indexes,
        dump,
        releasekit=(
            'version-files = ["../core/package.json", "pyproject.toml"]\ngithub-release = true\n'
        ),
        git=False,
    )
    member.write("CHANGELOG.md", "# Changelog\n\n## [1.2.0] - 2026-11-21\n\n- New.\n")
    test, prod = indexes.servers["test"], indexes.servers["prod"]
    github_token = "ghs_" + "w" * 36
    registry = LocalRegistry(verdaccio_cache(), tmp_path / "npm-storage")
    with registry, FakeGitHub(github_token) as github:
        project = Project(root, "monorepo")
        project.write(
            "releasekit.toml",
            'members = [{ path = "packages/demo", tag-prefix = "py-v" }, "packages/core"]\n'
            f'npm-registry = "{registry.url}"\n',
        )
        project.write("noxfile.py", template_text())
        project.write(".gitignore", "dist/\n.nox/\nreleasekit-dist/\n")
        project.git("init", "-q", "-b", "main")
        project.commit("initial")
        project.tag("core-v1.2.0")
        project.tag("py-v1.2.0")
        ours = {
            **test.credentials("test"),
            **prod.credentials("prod"),
            "NODE_AUTH_TOKEN": registry.token,
            "GITHUB_TOKEN": github_token,
        }
        foreign = {k: v for k, v in FOREIGN.items() if k not in ours}
        secrets = {**ours, **foreign}
        env = {
            **os.environ,
            **secrets,
            "GITHUB_REPOSITORY": f"{github.owner}/{github.repo}",
            "GITHUB_API_URL": github.api_url,
            "RK_DUMP_DIR": str(dump_dir),
            "UV_NO_CONFIG": "1",
        }
        code, out, watcher = run_nox(project, envdir, env, "-s", "release", "--", "--yes")
        assert code == 0, out
        release = github.release_for("py-v1.2.0")  # the nox process used GITHUB_TOKEN
        assert release is not None and not release.draft

    # Each twine upload: its own index's password, nothing else of ours.
    for name, server in (("test", test), ("prod", prod)):
        assert len(indexes.twine[name]) == 2, name  # an sdist and a wheel
        for twine in indexes.twine[name]:
            assert twine["TWINE_PASSWORD"] == server.password
            others = {k: v for k, v in secrets.items() if v != server.password}
            others.pop(f"RELEASEKIT_{name.upper()}_USERNAME")
            assert [n for n in twine if n in others and not n.startswith("TWINE_")] == []
            assert [k for k, v in others.items() if v in twine.values()] == [], name

    # Every process the nox run started, sampled from /proc: at most the one credential
    # that process uses.
    def allowed(seen: Seen) -> set[str]:
        if seen.is_twine_upload:
            index = "test" if indexes.proxies["test"].publish_url in seen.argv else "prod"
            return {f"RELEASEKIT_{index.upper()}_USERNAME", f"RELEASEKIT_{index.upper()}_PASSWORD"}
        if is_npm_publish(seen):
            return {"NODE_AUTH_TOKEN"}
        return set()

    npm_publishes = 0
    # git included; only nox's own probe of uv (`uv self version`, when nox is imported,
    # before any releasekit code runs) is nox's business
    sampled = {key: s for key, s in watcher.seen.items() if not s.is_nox_own}
    assert len(sampled) >= 20 and any(s.is_git for s in sampled.values()), list(sampled)
    # npm sets its process title to "npm": a later sample of the same process shows that
    # argv; it is the same process (pid and start time) as its first sample
    own_of: dict[tuple[int, str], set[str]] = {}
    for (pid, start, _), seen in sampled.items():
        own_of.setdefault((pid, start), set()).update(allowed(seen))
    for (pid, start, _), seen in sampled.items():
        own = own_of[(pid, start)]
        npm_publishes += own == {"NODE_AUTH_TOKEN"}
        held = {k for k, v in secrets.items() if v in seen.env.values()}
        assert held <= own, (seen.argv, sorted(held - own))
        names = {n for n in seen.env if proc.is_secret(n)} - {"TWINE_USERNAME", "TWINE_PASSWORD"}
        assert names <= own, (seen.argv, sorted(names - own))
        if own == {"NODE_AUTH_TOKEN"}:
            assert seen.env["NODE_AUTH_TOKEN"] == ours["NODE_AUTH_TOKEN"]
    assert npm_publishes >= 1, [s.argv for s in watcher.seen.values()]
    assert not any(github_token in s.env.values() for s in sampled.values())

    found = dumps(dump_dir)
    kinds = {stem.rsplit("-", 1)[0] for stem in found}
    assert {"backend-sdist", "backend-wheel", "prepare", "smoke"} <= kinds, sorted(found)
    for stem, dumped in found.items():
        assert leaks(dumped, secrets) == [], stem
    for value in secrets.values():
        assert value not in out


@pytest.mark.skipif(os.name != "posix", reason="a shell script stands in for git")
def test_git_asked_for_the_origin_of_a_github_release_gets_no_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without GITHUB_REPOSITORY the GitHub target reads the repository from ``origin``:
    that git, too, runs without the token (git runs user-configured programs)."""
    from releasekit.targets.github.settings import _origin_url

    real_git = shutil.which("git")
    assert real_git is not None
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "git"
    wrapper.write_text(f'#!/bin/sh\nenv > "{tmp_path}/git-env"\nexec "{real_git}" "$@"\n')
    wrapper.chmod(0o755)
    repo = tmp_path / "repo"
    subprocess.run([real_git, "init", "-q", str(repo)], check=True)
    subprocess.run(
        [real_git, "-C", str(repo), "remote", "add", "origin", "https://github.com/o/r.git"],
        check=True,
    )
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    secrets = {"GITHUB_TOKEN": "ghs_" + "o" * 36, **OIDC, "RELEASEKIT_PROD_PASSWORD": "pw-123456"}
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    assert _origin_url(repo) == "https://github.com/o/r.git"
    seen = (tmp_path / "git-env").read_text()
    assert "PATH=" in seen
    for name, value in secrets.items():
        assert name not in seen and value not in seen
