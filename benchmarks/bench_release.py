"""Time a rehearsed release against the manual sequences it replaces, in one run.

    python benchmarks/bench_release.py [--rounds 5] [--baseline COMMIT|DIR] [--profile 1]
                                       [--skip-hook] [--skip-memory] [--hook-pairs 30]

What it prints, every figure from this one run:

* **manual (pip)**: what a RELEASE.md checklist says: ``python -m build``, ``twine check``,
  ``python -m venv``, ``pip install`` the wheel, run its command;
* **manual (uv)**: the same with uv: ``uv build``, ``twine check``, ``uv venv``,
  ``uv pip install``, run the command;
* **manual (uv, uploads)**: the rehearsal's guarantees by hand with uv (issue 21's bar):
  ``uv build`` (sdist, then the wheel from the sdist), ``twine check --strict``,
  ``uv publish`` to a test and a prod index (two pypiserver on loopback, started before
  timing; a new commit and a new version each round, so the uploads are real), each index's
  simple page read back and every sha256 compared with the built files, then per index a
  fresh ``uv venv``, ``uv pip install --no-deps`` from it and the console script run;
* **rehearsal, warm**: ``nox -s release -- --rehearse`` on a *new commit* of a project
  whose ``.nox`` is there from an earlier rehearsal (tools venv, index venv reused): what a
  maintainer runs before every release. It does all of the manual sequence and more: it
  starts two local indexes, uploads to both, reads their hashes back, installs from each;
* **rehearsal, cold**: the same on a fresh clone, with no ``.nox``;
* a table of the time of each step (``dist/releasekit-steps.json``) of the warm runs;
* ``--profile N``: N more warm rehearsals with every process under this one sampled from
  /proc (nothing in releasekit or nox changes): the last one's timeline, its processes
  ranked by kind, and how much of the wall clock had none, one or several working;
* the hook's cost on a whole ``python -m hatchling build`` (benchmarks/bench_hook.py);
* the peak RSS of the nox process rehearsing a tiny package, a 50 MiB and a 90 MiB one
  (PyPI's limit is 100 MB a file, which a rehearsal enforces).

Rounds are interleaved (each round runs every variant once, in a shuffled order) so that
drift on the machine hits all alike; package caches (pip's, uv's) are warmed by an
untimed round first, so no side downloads anything. Medians and ratios are printed, and
the load average before and after (other work on the machine slows every variant alike,
the ratios less than the seconds).

``--baseline COMMIT|DIR``: another releasekit, a commit of this repository (unpacked with
``git archive``) or a checkout: it runs in a venv of its own made here with uv (that
checkout installed editable, with its own dependencies, entry points and noxfile
template), so any commit since the benchmark existed can be compared. Its rehearsals
(warm, cold), its hook and its memory run in the same rounds, so "before" and "after" come
from one run on the same machine state. ``--current`` and ``--variant LABEL=COMMIT|DIR``
take the same forms.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "benchmarks"))

import bench_hook  # noqa: E402
from bench_hook import GIT_ENV, sh  # noqa: E402

from releasekit.rehearsal.pypiserver import LocalIndex  # noqa: E402

HAND = "manual (uv, uploads)"
# the index servers of a rehearsal: they wait, their life is no work (left out of the overlap)
SERVERS = ("strict_index", "pypiserver", "verdaccio")
STEPS = ("check", "build", "smoke-install", "publish-test", "publish")

# Runs nox in this process and writes the peak RSS of the process (KiB) where
# RK_BENCH_RSS says when it exits: the nox process only, not the tools it starts.
NOX_WITH_RSS = """\
import atexit, os, resource, runpy, sys
def report():
    with open(os.environ["RK_BENCH_RSS"], "w") as handle:
        handle.write(str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))
atexit.register(report)
sys.argv = ["nox", *sys.argv[1:]]
runpy.run_module("nox", run_name="__main__", alter_sys=True)
"""


def find_uv() -> str:
    found = shutil.which("uv") or str(Path(sys.executable).with_name("uv"))
    if not Path(found).exists():
        sys.exit("uv is needed for the uv manual sequence (pip install uv)")
    return found


def make_example(root: Path, template: str, *, payload_mb: int = 0) -> Path:
    """A small project with a console script, committed in a git repository.

    ``payload_mb``: a data file of that many MiB of random (incompressible) bytes inside the
    package, so sdist and wheel are each that big.
    """
    project = root / "example"
    (project / "src" / "example").mkdir(parents=True)
    (project / "pyproject.toml").write_text(textwrap.dedent("""\
        [build-system]
        requires = ["hatchling"]
        build-backend = "hatchling.build"

        [project]
        name = "example"
        version = "1.0.0"
        description = "An example project to release"
        readme = "README.md"
        requires-python = ">=3.9"
        scripts = { example = "example:main" }

        [tool.hatch.build.targets.wheel]
        packages = ["src/example"]

        [tool.releasekit.smoke]
        commands = ["example"]
        """))  # fmt: skip
    (project / "src" / "example" / "__init__.py").write_text(
        '__version__ = "1.0.0"\n\n\ndef main() -> None:\n    print("example", __version__)\n'
    )
    if payload_mb:
        with open(project / "src" / "example" / "payload.bin", "wb") as handle:
            for _ in range(payload_mb):
                handle.write(os.urandom(1 << 20))
    (project / "README.md").write_text("# example\n\nAn example project.\n")
    (project / "CHANGELOG.md").write_text("# Changelog\n\n## [1.0.0] - 2026-11-21\n\n- First.\n")
    (project / ".gitignore").write_text("dist/\n.nox/\n")
    (project / "noxfile.py").write_text(template)
    sh("git", "init", "-q", "-b", "main", cwd=project)
    sh("git", "add", "-A", cwd=project)
    sh("git", "commit", "-q", "-m", "example", cwd=project, env=GIT_ENV)
    return project


def new_commit(project: Path) -> None:
    """A new commit: the next rehearsal builds and uploads afresh (new index storage)."""
    with open(project / "src" / "example" / "__init__.py", "a") as handle:
        handle.write(f"# {time.time_ns()}\n")
    sh("git", "commit", "-q", "-am", "change", cwd=project, env=GIT_ENV)


def set_version(project: Path, version: str) -> None:
    """A new version, committed: what the hand sequence uploads must be new to each index."""
    for path in (project / "pyproject.toml", project / "src" / "example" / "__init__.py"):
        text = path.read_text()
        path.write_text(re.sub(r'(version(?:__)? = )"[^"]+"', rf'\1"{version}"', text, count=1))
    sh("git", "commit", "-q", "-am", f"version {version}", cwd=project, env=GIT_ENV)


# --- the releasekits compared ------------------------------------------------------------

# The noxfile `releasekit init` writes, as that releasekit's own code writes it (the template
# moved from releasekit.init to releasekit.cli.init with the layout of subpackages).
TEMPLATE = """\
import sys
try:
    from releasekit.cli.init import template_text
except ImportError:
    from releasekit.init import template_text
sys.stdout.write(template_text())
"""


def clean_env() -> dict[str, str]:
    """The environment without PYTHONPATH: a releasekit runs its own code, not this one's."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}


class Releasekit:
    """One releasekit to time: the interpreter whose nox and releasekit run its rehearsals,
    its ``src`` (the hook benchmark loads the plugin from there) and its noxfile."""

    def __init__(self, python: str, src: Path) -> None:
        self.python = python
        self.src = src
        self.template = subprocess.run(
            [python, "-c", TEMPLATE], env=clean_env(), capture_output=True, text=True, check=True
        ).stdout


def releasekit_at(spec: str | None, where: Path) -> Releasekit:
    """This checkout (``spec`` None), or another at ``spec``: a directory, or a commit of this
    repository (unpacked with ``git archive``: nothing in the repository changes).

    Another one runs in a venv of its own, made here with uv, with that checkout installed
    (editable) with its own dependencies and entry points. Importing an old ``src`` into this
    venv through PYTHONPATH (what ``--baseline`` did before) ran the old code with this
    checkout's noxfile template (``import releasekit.sessions``, its options) and this
    venv's releasekit entry points, and failed for every commit from before the layout of
    subpackages (``releasekit.cli.init`` did not exist there)."""
    if spec is None:
        return Releasekit(sys.executable, REPO / "src")
    checkout = Path(spec)
    if not checkout.is_dir():
        found = subprocess.run(
            ["git", "rev-parse", "--verify", "--quiet", f"{spec}^{{commit}}"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=False,
        )
        if found.returncode != 0:
            sys.exit(f"{spec!r}: neither a directory nor a commit of {REPO}")
        checkout = where / "checkout"
        checkout.mkdir(parents=True)
        archive = subprocess.run(
            ["git", "archive", found.stdout.strip()], cwd=REPO, capture_output=True, check=True
        )
        subprocess.run(["tar", "-x", "-C", str(checkout)], input=archive.stdout, check=True)
    where.mkdir(parents=True, exist_ok=True)
    venv = where / "venv"
    uv = find_uv()
    sh(uv, "venv", "--quiet", "--python", sys.executable, venv, cwd=where)
    sh(uv, "pip", "install", "--quiet", "--python", venv / "bin" / "python", "-e",
       f"{checkout.resolve()}[nox]", cwd=where)  # fmt: skip
    return Releasekit(str(venv / "bin" / "python"), checkout.resolve() / "src")


def built(project: Path) -> list[str]:
    """The sdist and wheel in dist/ (uv build writes a .gitignore there too)."""
    return sorted(
        str(p) for p in (project / "dist").glob("*") if p.name.endswith((".whl", ".tar.gz"))
    )


# --- the sequences -------------------------------------------------------------------------


def manual_pip(project: Path) -> float:
    """The checklist: build, twine check, venv, pip install the wheel, run its command."""
    start = time.perf_counter()
    sh(sys.executable, "-m", "build", "--outdir", "dist", ".", cwd=project)
    dists = built(project)
    sh(sys.executable, "-m", "twine", "check", "--strict", *dists, cwd=project)
    sh(sys.executable, "-m", "venv", "venv", cwd=project)
    wheel = next(p for p in dists if p.endswith(".whl"))
    sh(project / "venv" / "bin" / "pip", "install", "--quiet", wheel, cwd=project)
    sh(project / "venv" / "bin" / "example", cwd=project)
    return time.perf_counter() - start


def manual_uv(project: Path) -> float:
    """The same checklist with uv: uv build, twine check, uv venv, uv pip install, run."""
    uv = find_uv()
    start = time.perf_counter()
    sh(uv, "build", "--quiet", "--out-dir", "dist", ".", cwd=project)
    dists = built(project)
    sh(sys.executable, "-m", "twine", "check", "--strict", *dists, cwd=project)
    sh(uv, "venv", "--quiet", "venv", cwd=project)
    wheel = next(p for p in dists if p.endswith(".whl"))
    sh(uv, "pip", "install", "--quiet", "--python", project / "venv" / "bin" / "python", wheel,
       cwd=project)  # fmt: skip
    sh(project / "venv" / "bin" / "example", cwd=project)
    return time.perf_counter() - start


def manual_uv_release(project: Path, servers: dict[str, LocalIndex], version: str) -> float:
    """The hand sequence with the rehearsal's guarantees (issue 21's "Why"), against indexes
    already running and a ``version`` new to them: ``uv build`` (the sdist, then the wheel
    from the sdist), ``twine check --strict``, ``uv publish`` to the test index and to the prod
    index, each index's simple page read back and every sha256 compared with the built files,
    then per index a fresh ``uv venv``, ``uv pip install --no-deps`` of that version from it,
    and the console script run. The page reads and hashes are done in this process (no
    ``curl``/``sha256sum`` starts): the cheapest way to do them, so the bar is the highest."""
    uv = find_uv()
    shutil.rmtree(project / "dist", ignore_errors=True)
    start = time.perf_counter()
    sh(uv, "build", "--quiet", "--out-dir", "dist", ".", cwd=project)
    dists = built(project)
    sh(sys.executable, "-m", "twine", "check", "--strict", *dists, cwd=project)
    for server in servers.values():
        sh(uv, "publish", "--quiet", "--publish-url", server.publish_url, *dists, cwd=project,
           env={"UV_PUBLISH_USERNAME": server.username,
                "UV_PUBLISH_PASSWORD": server.password})  # fmt: skip
    for name, server in servers.items():
        with urllib.request.urlopen(f"{server.url}example/", timeout=30) as answer:
            page = answer.read().decode()
        served = dict(re.findall(r'href="[^"#]*?([^/"#]+)#sha256=([0-9a-f]{64})"', page))
        for dist in dists:
            digest = hashlib.sha256(Path(dist).read_bytes()).hexdigest()
            if served.get(Path(dist).name) != digest:
                sys.exit(f"the {name} index serves {Path(dist).name} otherwise:\n{page}")
    for name, server in servers.items():
        venv = project / f"venv-{name}"
        sh(uv, "venv", "--quiet", venv, cwd=project)
        sh(uv, "pip", "install", "--quiet", "--no-deps", "--python", venv / "bin" / "python",
           "--index-url", server.url, "--refresh-package", "example", f"example=={version}",
           cwd=project)  # fmt: skip
        sh(venv / "bin" / "example", cwd=project)
    seconds = time.perf_counter() - start
    for name in servers:
        shutil.rmtree(project / f"venv-{name}")
    return seconds


@contextmanager
def running_indexes(root: Path) -> Iterator[dict[str, LocalIndex]]:
    """A test and a prod pypiserver on loopback, as a rehearsal starts them (releasekit's
    LocalIndex), for the hand sequence: started before any timing, stopped at the end."""
    with ExitStack() as stack:
        servers = {}
        for name in ("test", "prod"):
            server = LocalIndex(root / f"{name}-index", server_python=Path(sys.executable))
            stack.callback(server.stop)
            servers[name] = server.start()
        yield servers


def rehearse(
    project: Path, rk: Releasekit, profile: Profile | None = None
) -> tuple[float, dict[str, float], int]:
    """``nox -s release -- --rehearse``: seconds, the steps file, peak RSS (KiB) of nox.

    Run by ``rk``'s interpreter (its nox, its releasekit). ``profile``: every process under
    this one is sampled from /proc while it runs.
    """
    rss = project / ".." / "rss"
    bindir = Path(rk.python).parent
    env = {
        "RK_BENCH_RSS": str(rss),
        "PYTHONPATH": "",
        "VIRTUAL_ENV": str(bindir.parent),
        "PATH": os.pathsep.join([str(bindir), os.environ.get("PATH", "")]),
    }
    if profile is not None:
        profile.start()
    start = time.perf_counter()
    try:
        sh(rk.python, "-c", NOX_WITH_RSS, "-s", "release", "--", "--rehearse", cwd=project,
           env=env)  # fmt: skip
    finally:
        seconds = time.perf_counter() - start
        if profile is not None:
            profile.stop()
    steps_file = project / "dist" / "releasekit-steps.json"  # not written before c9fca28
    steps = json.loads(steps_file.read_text()) if steps_file.exists() else {}
    return seconds, steps, int(rss.read_text())


# --- the profile -------------------------------------------------------------------------------


class Profile:
    """Every process under this one, sampled from /proc every few milliseconds while a
    rehearsal runs: its command line, parent, first and last time seen.

    Nothing in releasekit or nox changes (no wrapper, no environment switch), and the
    grandchildren (a tools venv's installer, uv's build backend, twine) are seen too.
    Resolution: the sampling interval (a few ms, more when the machine is busy); a process
    shorter than that may be missed or shown as 0 s."""

    def __init__(self, interval: float = 0.003) -> None:
        self.interval = interval
        self.seen: dict[int, dict[str, Any]] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.t0 = 0.0
        self.t1 = 0.0
        self._before: set[int] = set()

    def start(self) -> None:
        self.seen = {}
        self._before = set(self._descendants(os.getpid()))  # this run's own index servers
        self._stop.clear()
        self.t0 = time.perf_counter()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.t1 = time.perf_counter()
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    @staticmethod
    def _descendants(root: int) -> dict[int, int]:
        """The processes under ``root``, each with its parent."""
        parents: dict[int, int] = {}
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as handle:
                    stat = handle.read()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat[stat.rindex(b")") + 2 :].split()[1])
        mine = {root}
        changed = True
        while changed:
            changed = False
            for pid, ppid in parents.items():
                if ppid in mine and pid not in mine:
                    mine.add(pid)
                    changed = True
        return {pid: parents[pid] for pid in mine if pid != root}

    def _run(self) -> None:
        me = os.getpid()
        while not self._stop.is_set():
            now = time.perf_counter() - self.t0
            parents = self._descendants(me)
            for pid in parents.keys() - self._before:
                record = self.seen.get(pid)
                if record is None or record["reads"] < 3:  # a fork execs soon after: read again
                    try:
                        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
                    except OSError:
                        continue
                    argv = [a.decode(errors="replace") for a in raw.split(b"\0") if a]
                    if record is None:
                        record = {"first": now, "ppid": parents[pid], "reads": 0, "argv": []}
                        self.seen[pid] = record
                    record["argv"] = argv or record["argv"]
                    record["reads"] += 1
                record["last"] = now
            self._stop.wait(self.interval)

    def processes(self) -> list[tuple[float, float, int, int, str]]:
        """(start s, seconds, pid, parent pid, short command), by start."""
        return sorted(
            (r["first"], r["last"] - r["first"], pid, r["ppid"], short(r["argv"]))
            for pid, r in self.seen.items()
        )


def short(argv: list[str]) -> str:
    """A command line cut to what names the work: paths to their last part, code to <code>."""
    out: list[str] = []
    for word in argv[:9]:
        if "\n" in word or (out[-1:] == ["-c"] and out[0].startswith("python")):
            word = "<code>"
        elif "/" in word and not word.startswith("http"):
            word = word.rstrip("/").rsplit("/", 1)[-1]
        out.append(word[:48])
    return " ".join(out) or "?"


def kind_of(command: str) -> str:
    """A process's kind, for the ranking: the program and its module or subcommand."""
    words = command.split()
    if not words:
        return "?"
    program, rest = words[0], [w for w in words[1:] if not w.startswith("-") or w == "-m"]
    if program.startswith("python"):
        if "<code>" in words:
            return "python -c <code>"
        if rest[:1] == ["-m"] and len(rest) > 1:
            return f"python -m {rest[1]} {' '.join(rest[2:3])}".strip()
        return f"python {' '.join(rest[:2])}".strip()
    if program in ("uv", "git", "npm", "node", "nox"):
        return f"{program} {' '.join(rest[:2])}".strip()
    return program


def print_profile(profile: Profile, steps: dict[str, float], seconds: float) -> None:
    """The timeline of one warm rehearsal, its processes ranked by kind, and how much of the
    wall clock ran no process, one, or more than one at once (the long-lived index servers
    left out of that count)."""
    rows = profile.processes()
    wall = profile.t1 - profile.t0
    inside = sum(steps.values())
    print(f"\nprofile of one warm rehearsal ({seconds:.2f} s, {len(rows)} processes seen):")
    print(
        "  steps: "
        + ", ".join(f"{name} {value:.2f}" for name, value in steps.items())
        + f"; sum {inside:.2f} s, outside the steps (nox, set-up, summary) {seconds - inside:.2f} s"
    )
    pids = {row[2] for row in rows}
    depth: dict[int, int] = {}
    print("  timeline (start s, seconds, command by depth), processes of 20 ms or more:")
    for first, length, pid, ppid, command in rows:
        depth[pid] = depth[ppid] + 1 if ppid in depth else 0
        if length >= 0.02:
            print(f"    {first:6.2f} {length:6.2f}  {'  ' * depth[pid]}{command[:110]}")
    kinds: dict[str, list[float]] = {}
    commands = {row[2]: row[4] for row in rows}
    for _, length, _, ppid, command in rows:
        if ppid not in commands:
            kind = "nox: the rehearsal's own process"
        elif commands[ppid].startswith("python -c <code> -s release"):
            kind = kind_of(command)
        else:  # a grandchild: named with its parent (uv's interpreter query, a smoke check)
            kind = f"{kind_of(commands[ppid])} > {kind_of(command)}"
        kinds.setdefault(kind, []).append(length)
    print("  by kind, ranked by total seconds (total, count, longest):")
    for kind, lengths in sorted(kinds.items(), key=lambda item: -sum(item[1]))[:25]:
        print(f"    {sum(lengths):6.2f} s {len(lengths):4}x  max {max(lengths):5.2f}  {kind}")
    roots = {row[2] for row in rows if row[3] not in pids}  # the nox process
    servers = {row[2] for row in rows if any(name in row[4] for name in SERVERS)}
    work = [(row[0], row[0] + max(row[1], 0.003)) for row in rows
            if row[2] not in roots and row[2] not in servers and row[3] not in servers]  # fmt: skip
    tick, counts, t = 0.005, [0, 0, 0], 0.0
    while t < wall:
        counts[min(2, sum(1 for a, b in work if a <= t < b))] += 1
        t += tick
    print(
        f"  wall clock with no process under nox alive {counts[0] * tick:.2f} s (nox's own "
        f"work and waits), one {counts[1] * tick:.2f} s, two or more {counts[2] * tick:.2f} s\n"
        "  (index servers left out; a prestarted process (warm.py) is alive while it waits)"
    )


# --- the run ---------------------------------------------------------------------------------


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores ({cpu}), "
        f"Python {platform.python_version()}"
    )


def loadavg() -> str:
    """The machine's load averages (1, 5, 15 min): other work shares the cores."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b else "n/a"


def summary(
    times: dict[str, list[float]],
    steps: dict[str, dict[str, list[float]]],
    labels: list[str],
    rounds: int,
) -> None:
    """The medians, the ratios to the manual sequences, the steps of the warm rehearsals."""
    med = {name: statistics.median(values) for name, values in times.items()}
    print(f"\nrehearsal vs the manual sequences, median of {rounds} interleaved rounds:")
    for name in ("manual (pip)", "manual (uv)", HAND):
        print(f"  {name:28} {med[name]:6.2f} s")
    print(f"  ({HAND}: the rehearsal's guarantees by hand, issue 21's bar)")
    for label in labels:
        for kind, target in (("warm", "1.0"), ("cold", "1.3")):
            name = f"{label}rehearsal, {kind}"
            pip, uv = ratio(med[name], med["manual (pip)"]), ratio(med[name], med[HAND])
            print(
                f"  {name:28} {med[name]:6.2f} s   / pip {pip}   "
                f"/ uv with uploads {uv} (target <= {target})"
            )
    print(f"\ntime per step of the warm rehearsals (s, median of {rounds}):")
    header = "".join(f"{(label or 'now').strip():>10}" for label in labels)
    print(f"  {'step':16}{header}")
    for step in STEPS:
        cells = ""
        for label in labels:
            values = steps.get(label, {}).get(step)
            cells += f"{statistics.median(values):10.2f}" if values else f"{'-':>10}"
        print(f"  {step:16}{cells}")
    print(f"load average after the rounds: {loadavg()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--baseline",
        metavar="COMMIT|DIR",
        help="another releasekit to compare: a commit of this repository or a checkout",
    )
    parser.add_argument(
        "--current", metavar="COMMIT|DIR", help="the releasekit to time (default: this checkout)"
    )
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="LABEL=COMMIT|DIR",
        help="one more releasekit to time alongside (repeatable)",
    )
    parser.add_argument(
        "--profile",
        type=int,
        default=1,
        metavar="N",
        help="warm rehearsals of this checkout profiled after the rounds (0: none)",
    )
    parser.add_argument("--hook-pairs", type=int, default=30)
    parser.add_argument("--skip-hook", action="store_true")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument(
        "--payload-mb",
        default="50,90",
        help="payload sizes (MiB) of the memory run (a rehearsal refuses PyPI's > 100 MB)",
    )
    args = parser.parse_args()
    print(f"machine: {machine()}", flush=True)
    print(f"load average at the start: {loadavg()}")
    times: dict[str, list[float]] = {}
    steps: dict[str, dict[str, list[float]]] = {}
    rng = random.Random(10)
    with tempfile.TemporaryDirectory(prefix="releasekit-bench-") as tmp_name, ExitStack() as stack:
        tmp = Path(tmp_name)
        specs: dict[str, str | None] = {"": args.current}
        if args.baseline is not None:
            specs["before "] = args.baseline
        for variant in args.variant:
            label, _, where = variant.partition("=")
            specs[f"{label} "] = where
        rks = {
            label: releasekit_at(spec, tmp / f"rk{number}")
            for number, (label, spec) in enumerate(specs.items())
        }
        count = 0

        def fresh(template: str = rks[""].template) -> Path:
            nonlocal count
            count += 1
            return make_example(tmp / f"p{count}", template)

        warm_projects = {label: fresh(rk.template) for label, rk in rks.items()}
        hand_project = fresh()
        versions = iter(range(1, 10_000))
        servers = stack.enter_context(running_indexes(tmp / "hand-indexes"))

        def hand_uv() -> float:
            version = f"1.0.{next(versions)}"
            set_version(hand_project, version)
            return manual_uv_release(hand_project, servers, version)

        variants: dict[str, Callable[[], float]] = {
            "manual (pip)": lambda: manual_pip(fresh()),
            "manual (uv)": lambda: manual_uv(fresh()),
            HAND: hand_uv,
        }

        def warm(label: str, rk: Releasekit) -> Callable[[], float]:
            def run() -> float:
                project = warm_projects[label]
                new_commit(project)
                seconds, found, _ = rehearse(project, rk)
                for step, value in found.items():
                    steps.setdefault(label, {}).setdefault(step, []).append(value)
                return seconds

            return run

        def cold(rk: Releasekit) -> Callable[[], float]:
            return lambda: rehearse(fresh(rk.template), rk)[0]

        for label, rk in rks.items():
            variants[f"{label}rehearsal, warm"] = warm(label, rk)
            variants[f"{label}rehearsal, cold"] = cold(rk)
        # --rounds 0: one warm rehearsal, to make the profiled project's .nox warm
        names = list(variants) if args.rounds else ["rehearsal, warm"]
        for number in range(args.rounds + 1):  # round 0 warms every cache and is not counted
            rng.shuffle(names)
            for name in names:
                seconds = variants[name]()
                if number:
                    times.setdefault(name, []).append(seconds)
                print(f"round {number or 'warm-up'}: {name:28} {seconds:6.2f} s", flush=True)
            if number == 0:
                steps.clear()
        if args.rounds:
            summary(times, steps, list(rks), args.rounds)

        for number in range(args.profile):
            profile = Profile()
            new_commit(warm_projects[""])
            seconds, found, _ = rehearse(warm_projects[""], rks[""], profile)
            if number == args.profile - 1:
                print_profile(profile, found, seconds)

        if not args.skip_hook:
            print(
                "\nhook: python -m hatchling build (sdist + wheel, tag at HEAD), "
                f"{args.hook_pairs} interleaved rounds:",
                flush=True,
            )
            hook_srcs = {(label or "now").strip(): rk.src for label, rk in rks.items()}
            result = bench_hook.measure(tmp / "hook", hook_srcs, pairs=args.hook_pairs, imports=9)
            bench_hook.report(result, list(hook_srcs))

        if not args.skip_memory:
            sizes = [0, *(int(size) for size in args.payload_mb.split(","))]
            print(
                "\npeak RSS of the nox process, rehearsal of a new project by payload size "
                f"({', '.join(f'{size} MiB' for size in sizes)}):",
                flush=True,
            )
            for label, rk in rks.items():
                rss = {}
                for size in sizes:
                    count += 1
                    project = make_example(tmp / f"p{count}", rk.template, payload_mb=size)
                    rss[size] = rehearse(project, rk)[2] / 1024
                    shutil.rmtree(project.parent, ignore_errors=True)
                shown = ", ".join(f"{size} MiB: {rss[size]:.1f} MiB" for size in sizes)
                print(f"  {(label or 'now').strip():7} {shown}", flush=True)


if __name__ == "__main__":
    main()
