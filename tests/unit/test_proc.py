"""proc.run with real processes: output, failures, and time limits that stop a whole tree.

A smoke command that starts a server which forks a worker is the case that matters: the
worker inherits the output pipe, so waiting for the pipe to close would wait forever.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from releasekit.errors import ReleasekitError, SmokeError
from releasekit.runtime import proc

PY = sys.executable
# The command writes its own pid and its child's to argv[1], says it is serving, and waits.
SERVER = (
    "import os, subprocess, sys, time\n"
    "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
    "open(sys.argv[1], 'w').write('%d %d' % (os.getpid(), child.pid))\n"
    "print('serving on 127.0.0.1:8000', flush=True)\n"
    "time.sleep(600)\n"
)
# The same, but the command itself exits at once and leaves its child holding stdout.
DAEMON = SERVER.rsplit("time.sleep(600)", 1)[0]


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs; a zombie (exited, not yet reaped by init) does not count."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc: trust kill()
    return stat.rpartition(")")[2].split()[0] not in ("Z", "X")


def _pids(path: Path) -> list[int]:
    deadline = time.monotonic() + 10
    while not path.exists() or not path.read_text():
        assert time.monotonic() < deadline, "the command never wrote its pids"
        time.sleep(0.01)
    return [int(p) for p in path.read_text().split()]


def test_output_is_returned() -> None:
    assert proc.run([PY, "-c", "print('hello')"], what="hello") == "hello\n"


def test_every_tool_writes_for_a_wide_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """uv wraps its messages at $COLUMNS (80 under a CI runner or an xdist worker), and a
    failure is quoted by its last line: the tools releasekit runs get a wide one."""
    monkeypatch.setenv("COLUMNS", "80")
    code = "import os; print(os.environ['COLUMNS'])"
    assert proc.run([sys.executable, "-c", code], what="columns").strip() == "200"


def test_failure_names_what_exit_code_and_last_line() -> None:
    log: list[str] = []
    code = "import sys; print('working'); print('boom: no such file', file=sys.stderr); sys.exit(4)"
    with pytest.raises(SmokeError) as info:
        proc.run([PY, "-c", code], what="the tool", error=SmokeError, hint="fix it", log=log.append)
    assert info.value.message == "the tool failed (exit 4): boom: no such file"
    assert info.value.hint == "fix it"
    assert any("working" in line for line in log)


def test_missing_executable() -> None:
    with pytest.raises(ReleasekitError) as info:
        proc.run(["/nonexistent/tool"], what="x")
    assert info.value.message == "x failed: /nonexistent/tool not found"


@pytest.mark.skipif(os.name != "posix", reason="process groups")
def test_timeout_stops_the_command_and_the_child_holding_its_output(tmp_path: Path) -> None:
    pidfile = tmp_path / "pids"
    log: list[str] = []
    started = time.monotonic()
    with pytest.raises(SmokeError) as info:
        proc.run(
            [PY, "-c", SERVER, pidfile],
            what="smoke-install on Python 3.12: `demo serve`",
            error=SmokeError,
            log=log.append,
            timeout=1,
            timeout_hint="make it exit, or raise [tool.releasekit.smoke] timeout",
        )
    assert time.monotonic() - started < 6
    assert info.value.message == (
        "smoke-install on Python 3.12: `demo serve` still running after 1 s: stopped "
        "(its last line: serving on 127.0.0.1:8000)"
    )
    assert info.value.hint == "make it exit, or raise [tool.releasekit.smoke] timeout"
    assert any("serving on 127.0.0.1:8000" in line for line in log)
    for pid in _pids(pidfile):
        assert not _alive(pid), f"process {pid} survived the time limit"


@pytest.mark.skipif(os.name != "posix", reason="process groups")
def test_a_command_that_ignores_sigterm_is_killed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(proc, "GRACE_SECONDS", 0.3)
    pidfile = tmp_path / "pids"
    stubborn = "import signal\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n" + SERVER
    started = time.monotonic()
    with pytest.raises(ReleasekitError, match=r"still running after 0\.5 s: stopped"):
        proc.run([PY, "-c", stubborn, pidfile], what="`stubborn`", timeout=0.5)
    assert time.monotonic() - started < 0.5 + proc.GRACE_SECONDS + 3
    for pid in _pids(pidfile):
        assert not _alive(pid)


@pytest.mark.skipif(os.name != "posix", reason="process groups")
def test_exiting_command_leaves_no_process_behind_and_does_not_hang(tmp_path: Path) -> None:
    pidfile = tmp_path / "pids"
    log: list[str] = []
    started = time.monotonic()
    output = proc.run([PY, "-c", DAEMON, pidfile], what="`demo start`", log=log.append)
    assert time.monotonic() - started < 5
    assert output == "serving on 127.0.0.1:8000\n"
    assert "note: `demo start` left processes running when it exited: stopped them" in log
    for pid in _pids(pidfile):
        assert not _alive(pid)


@pytest.mark.skipif(os.name != "posix", reason="sessions")
def test_a_process_that_left_the_group_does_not_hang_the_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A daemon that starts a session of its own escapes the stop; its pipe is let go."""
    monkeypatch.setattr(proc, "GRACE_SECONDS", 0.3)
    pidfile = tmp_path / "pids"
    escaped = DAEMON.replace("time.sleep(600)'])", "time.sleep(600)'], start_new_session=True)")
    assert escaped != DAEMON
    log: list[str] = []
    started = time.monotonic()
    try:
        output = proc.run([PY, "-c", escaped, pidfile], what="`demo start`", log=log.append)
        assert time.monotonic() - started < 5
        assert output == "serving on 127.0.0.1:8000\n"
        note = "note: a process started by `demo start` still holds its output: not waiting for it"
        assert note in log
    finally:
        for pid in _pids(pidfile)[1:]:
            os.kill(pid, 9)


def test_fast_command_with_a_limit_is_not_slowed_down() -> None:
    started = time.monotonic()
    for _ in range(3):
        assert proc.run([PY, "-c", "print(1)"], what="one", timeout=60) == "1\n"
    assert time.monotonic() - started < 3


def test_secrets_are_redacted_from_a_timeout_message() -> None:
    code = "import time; print('token s3cr3t', flush=True); time.sleep(60)"
    with pytest.raises(ReleasekitError) as info:
        proc.run([PY, "-c", code], what="upload", timeout=0.5, secrets=["s3cr3t"])
    assert "s3cr3t" not in str(info.value)
    assert info.value.message.endswith("(its last line: token ***)")


# -- credentials stay out of every child ------------------------------------------------------

# The child writes its whole environment to argv[1], as JSON.
DUMP_ENV = "import json, os, sys; open(sys.argv[1], 'w').write(json.dumps(dict(os.environ)))"
SECRETS = {
    "RELEASEKIT_TEST_PASSWORD": "test-pw-0123456789",
    "RELEASEKIT_TEST_USERNAME": "test-user-0123",
    "RELEASEKIT_PROD_PASSWORD": "prod-pw-0123456789",
    "RELEASEKIT_PROD_USERNAME": "prod-user-0123",
    "TWINE_PASSWORD": "twine-pw-0123456789",
    "TWINE_USERNAME": "twine-user-0123",
    "TWINE_REPOSITORY_URL": "https://twine-repo.example/legacy/",
    "GITHUB_TOKEN": "ghs_githubtoken0123456789",
    "NODE_AUTH_TOKEN": "npm_nodetoken0123456789",
    "PYPI_API_TOKEN": "pypi-apitoken0123456789",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "oidc-request-token-0123456789",
    "ACTIONS_ID_TOKEN_REQUEST_URL": "https://oidc.example/token?x=0123456789",
    "DATABASE_PASSWORD": "db-pw-0123456789",
    "pypi_token": "lowercase-token-0123456789",
}


@pytest.fixture
def secret_environ(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("RELEASEKIT_SAFE_SETTING", "kept")
    monkeypatch.setenv("TOKENIZER_PATH", "/kept/too")
    return SECRETS


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("RELEASEKIT_TEST_PASSWORD", True),
        ("RELEASEKIT_PROD_USERNAME", True),
        ("RELEASEKIT_NPM_PASSWORD", True),
        ("TWINE_PASSWORD", True),
        ("TWINE_REPOSITORY_URL", True),
        ("TWINE_CERT", True),
        ("GITHUB_TOKEN", True),
        ("NODE_AUTH_TOKEN", True),
        ("PYPI_ID_TOKEN", True),
        ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", True),
        ("ACTIONS_ID_TOKEN_REQUEST_URL", True),
        ("MYSQL_PASSWORD", True),
        ("github_token", True),
        ("CI_JOB_JWT", True),  # GitLab's job JWTs: a credential like a token
        ("CI_JOB_JWT_V1", True),
        ("CI_JOB_JWT_V2", True),
        ("CI_JOB_ID", False),
        ("RELEASEKIT_TAG", False),
        ("RELEASEKIT_REQUIRE_TAG", False),
        ("GITHUB_REPOSITORY", False),
        ("GITHUB_API_URL", False),
        ("TOKENIZERS_PARALLELISM", False),
        ("PATH", False),
        ("PIP_INDEX_URL", False),
    ],
)
def test_is_secret(name: str, secret: bool) -> None:
    assert proc.is_secret(name) is secret


def test_scrub_and_child_env(secret_environ: dict[str, str]) -> None:
    assert proc.scrub({"A": "1", "GITHUB_TOKEN": "x", "TWINE_CERT": "c"}) == {"A": "1"}
    env = proc.child_env({"EXTRA": "yes", "TWINE_PASSWORD": "given on purpose"})
    assert env["EXTRA"] == "yes" and env["RELEASEKIT_SAFE_SETTING"] == "kept"
    assert env["TWINE_PASSWORD"] == "given on purpose"  # what the caller hands over, goes
    assert not [name for name in SECRETS if name in env and name != "TWINE_PASSWORD"]


def test_a_child_process_sees_no_credential(secret_environ: dict[str, str], tmp_path: Path) -> None:
    dump = tmp_path / "env.json"
    output = proc.run([PY, "-c", DUMP_ENV, dump], what="dump", env={"GIVEN": "1"})
    env = json.loads(dump.read_text())
    assert not set(SECRETS) & set(env), sorted(set(SECRETS) & set(env))
    text = dump.read_text() + output
    for value in SECRETS.values():
        assert value not in text
    assert env["GIVEN"] == "1"
    assert env["RELEASEKIT_SAFE_SETTING"] == "kept" and env["TOKENIZER_PATH"] == "/kept/too"
    assert env["PATH"] == os.environ["PATH"]


def test_the_pep517_runner_scrubs_too(secret_environ: dict[str, str], tmp_path: Path) -> None:
    dump = tmp_path / "env.json"
    proc.pep517_runner([PY, "-c", DUMP_ENV, str(dump)], str(tmp_path), {"PEP517_BUILD": "1"})
    env = json.loads(dump.read_text())
    assert not set(SECRETS) & set(env)
    assert env["PEP517_BUILD"] == "1"


def test_credential_values_never_show_in_output(secret_environ: dict[str, str]) -> None:
    """A tool that prints a token it got some other way (a config file): redacted."""
    code = f"print({SECRETS['GITHUB_TOKEN']!r}); print('bye'); raise SystemExit(3)"
    log: list[str] = []
    with pytest.raises(ReleasekitError) as info:
        proc.run([PY, "-c", code], what="leaky", log=log.append)
    everything = "\n".join([str(info.value), *log])
    assert SECRETS["GITHUB_TOKEN"] not in everything
    assert "***" in everything


def test_redact_replaces_the_longest_secret_first() -> None:
    assert proc.redact("token abc123456 end", ["abc", "abc123456"]) == "token *** end"


# --- prestart: a `python -m module` started ahead of its run ---------------------------------

# A module that reports what a run of it sees: argv, cwd, environment, stdin, and whether it
# was imported before the run (the prestart's preload), then exits with the code it is given.
REPORTER = """\
import json, os, sys
report = {
    "argv": sys.argv[1:],
    "cwd": os.getcwd(),
    "env": dict(os.environ),
    "stdin": sys.stdin.read(),
    "main": __name__,
    "preloaded": "rk_preloaded_mod" in sys.modules,
}
with open(report["argv"][0], "w") as handle:
    json.dump(report, handle)
print("ran", " ".join(sys.argv[1:]))
sys.exit(int(report["argv"][1]))
"""


@pytest.fixture
def reporter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """``[python, "-m", "rk_reporter"]`` runnable from anywhere (PYTHONPATH)."""
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "rk_reporter.py").write_text(REPORTER)
    (lib / "rk_preloaded_mod.py").write_text("VALUE = 1\n")
    monkeypatch.setenv("PYTHONPATH", str(lib))
    yield [PY, "-m", "rk_reporter"]
    proc.drop_prestarted()


def _report(path: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads(path.read_text())
    return data


def test_a_prestarted_run_is_the_run_it_stands_for(
    reporter: list[str], secret_environ: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    given = {"GIVEN": "secretvalue1"}
    cold = proc.run([*reporter, tmp_path / "cold.json", "0"], what="cold", cwd=out, env=given)
    proc.prestart(reporter, preload=["rk_preloaded_mod"], env=given, cwd=out)
    warm = proc.run([*reporter, tmp_path / "warm.json", "0"], what="warm", cwd=out, env=given)
    assert cold.replace("cold.json", "X") == warm.replace("warm.json", "X")
    first, second = _report(tmp_path / "cold.json"), _report(tmp_path / "warm.json")
    assert second["preloaded"] is True and first["preloaded"] is False
    assert second["main"] == "__main__" and second["stdin"] == ""
    assert second["cwd"] == first["cwd"] == str(out)
    assert second["argv"] == [str(tmp_path / "warm.json"), "0"]
    env = second["env"]
    assert isinstance(env, dict) and env["GIVEN"] == "secretvalue1"
    assert not set(SECRETS) & set(env)  # scrubbed, like every child
    assert env == first["env"]


def test_a_prestarted_run_fails_as_a_cold_one(reporter: list[str], tmp_path: Path) -> None:
    proc.prestart(reporter)
    with pytest.raises(ReleasekitError) as info:
        proc.run([*reporter, tmp_path / "r.json", "3"], what="the reporter")
    assert info.value.message.startswith("the reporter failed (exit 3): ran ")


def test_a_prestarted_process_is_used_once_and_not_after_the_environment_changed(
    reporter: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    proc.prestart(reporter, preload=["rk_preloaded_mod"])
    proc.run([*reporter, tmp_path / "1.json", "0"], what="first")
    proc.run([*reporter, tmp_path / "2.json", "0"], what="second")  # none left: a cold start
    assert _report(tmp_path / "1.json")["preloaded"] is True
    assert _report(tmp_path / "2.json")["preloaded"] is False
    proc.prestart(reporter, preload=["rk_preloaded_mod"])
    monkeypatch.setenv("RK_CHANGED_SINCE", "1")
    proc.run([*reporter, tmp_path / "3.json", "0"], what="third")
    third = _report(tmp_path / "3.json")
    assert third["preloaded"] is False  # started afresh: it must see the new variable
    env = third["env"]
    assert isinstance(env, dict) and env["RK_CHANGED_SINCE"] == "1"


def test_only_the_same_command_environment_and_directory_take_it(
    reporter: list[str], tmp_path: Path
) -> None:
    """The command may only grow at the end (the files twine checks are built later)."""
    upload = {"TWINE_PASSWORD": "pw-for-this-one-index"}
    proc.prestart([*reporter, tmp_path / "a.json"], preload=["rk_preloaded_mod"], env=upload)
    (spare,) = proc._warm
    environ = Path(f"/proc/{spare.child.pid}/environ")
    if environ.exists():  # the credential is in its environment from exec, as for any child
        assert b"TWINE_PASSWORD=pw-for-this-one-index" in environ.read_bytes().split(b"\0")
    runs = [
        ([*reporter, tmp_path / "b.json", "0"], upload, None),  # another command
        ([*reporter, tmp_path / "a.json", "0"], {"TWINE_PASSWORD": "other"}, None),
        ([*reporter, tmp_path / "a.json", "0"], upload, tmp_path),  # another directory
        ([*reporter, tmp_path / "a.json", "0"], upload, None),  # this one
    ]
    for argv, env, cwd in runs:
        proc.run(argv, what="r", env=env, cwd=cwd)
        preloaded = _report(Path(argv[3]))["preloaded"]
        assert preloaded is (argv == runs[-1][0] and cwd is None and env == upload)
    assert proc._warm == []


def test_an_unused_prestarted_process_is_stopped(reporter: list[str]) -> None:
    proc.prestart(reporter)
    (spare,) = proc._warm
    pid = spare.child.pid
    proc.drop_prestarted()
    assert not _alive(pid)
    proc.prestart(["twine"])  # not a `python -m` command: nothing to start
    assert proc._warm == []
