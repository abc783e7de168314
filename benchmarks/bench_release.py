"""Time a rehearsed release against the manual sequences it replaces, in one run.

    python benchmarks/bench_release.py [--rounds 3] [--baseline DIR] [--skip-hook]
                                       [--skip-memory] [--hook-pairs 30]

What it prints, every figure from this one run:

* **manual (pip)**: what a RELEASE.md checklist says: ``python -m build``, ``twine check``,
  ``python -m venv``, ``pip install`` the wheel, run its command;
* **manual (uv)**: the same with uv: ``uv build``, ``twine check``, ``uv venv``,
  ``uv pip install``, run the command;
* **rehearsal, warm**: ``nox -s release -- --rehearse`` on a *new commit* of a project
  whose ``.nox`` is there from an earlier rehearsal (tools venv, index venv reused): what a
  maintainer runs before every release. It does all of the manual sequence and more: it
  starts two local indexes, uploads to both, reads their hashes back, installs from each;
* **rehearsal, cold**: the same on a fresh clone, with no ``.nox``;
* a table of the time of each step (``dist/releasekit-steps.json``) of the warm runs;
* the hook's cost on a whole ``python -m hatchling build`` (benchmarks/bench_hook.py);
* the peak RSS of the nox process rehearsing a tiny package and a 50 MB one.

Rounds are interleaved (each round runs every variant once, in a shuffled order) so that
drift on the machine hits all alike; package caches (pip's, uv's) are warmed by an
untimed round first, so no side downloads anything. Medians and ratios are printed.

``--baseline DIR``: a checkout of another releasekit (``git worktree add /tmp/before
HEAD~3``, or ``git archive``): its rehearsals (warm, cold), its hook and its memory run in
the same rounds, so "before" and "after" come from one run on the same machine state.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "benchmarks"))

import bench_hook  # noqa: E402
from bench_hook import GIT_ENV, sh  # noqa: E402

from releasekit.cli.init import template_text  # noqa: E402

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


def make_example(root: Path, *, payload_mb: int = 0) -> Path:
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
    (project / "noxfile.py").write_text(template_text())
    sh("git", "init", "-q", "-b", "main", cwd=project)
    sh("git", "add", "-A", cwd=project)
    sh("git", "commit", "-q", "-m", "example", cwd=project, env=GIT_ENV)
    return project


def new_commit(project: Path) -> None:
    """A new commit: the next rehearsal builds and uploads afresh (new index storage)."""
    with open(project / "src" / "example" / "__init__.py", "a") as handle:
        handle.write(f"# {time.time_ns()}\n")
    sh("git", "commit", "-q", "-am", "change", cwd=project, env=GIT_ENV)


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


def rehearse(project: Path, src: Path | None) -> tuple[float, dict[str, float], int]:
    """``nox -s release -- --rehearse``: seconds, the steps file, peak RSS (KiB) of nox.

    ``src``: releasekit is imported from there (a baseline checkout) instead of this one.
    """
    rss = project / ".." / "rss"
    env = {"RK_BENCH_RSS": str(rss)}
    if src is not None:
        env["PYTHONPATH"] = str(src)
    start = time.perf_counter()
    sh(sys.executable, "-c", NOX_WITH_RSS, "-s", "release", "--", "--rehearse", cwd=project,
       env=env)  # fmt: skip
    seconds = time.perf_counter() - start
    steps = json.loads((project / "dist" / "releasekit-steps.json").read_text())
    return seconds, steps, int(rss.read_text())


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


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b else "n/a"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline", type=Path, help="another releasekit checkout to compare")
    parser.add_argument(
        "--current", type=Path, help="the releasekit checkout to time (default: this one)"
    )
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="LABEL=DIR",
        help="one more releasekit checkout to time alongside (repeatable)",
    )
    parser.add_argument("--hook-pairs", type=int, default=30)
    parser.add_argument("--skip-hook", action="store_true")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument(
        "--payload-mb", default="50,100", help="payload sizes (MiB) of the memory run, e.g. 50,100"
    )
    args = parser.parse_args()
    srcs: dict[str, Path | None] = {
        "": (args.current / "src").resolve() if args.current is not None else None
    }
    if args.baseline is not None:
        srcs["before "] = (args.baseline / "src").resolve()
    for variant in args.variant:
        label, _, where = variant.partition("=")
        srcs[f"{label} "] = (Path(where) / "src").resolve()
    print(f"machine: {machine()}", flush=True)
    times: dict[str, list[float]] = {}
    steps: dict[str, dict[str, list[float]]] = {}
    rng = random.Random(10)
    with tempfile.TemporaryDirectory(prefix="releasekit-bench-") as tmp_name:
        tmp = Path(tmp_name)
        count = 0

        def fresh() -> Path:
            nonlocal count
            count += 1
            return make_example(tmp / f"p{count}")

        warm_projects = {label: fresh() for label in srcs}
        variants: dict[str, Callable[[], float]] = {
            "manual (pip)": lambda: manual_pip(fresh()),
            "manual (uv)": lambda: manual_uv(fresh()),
        }

        def warm(label: str, src: Path | None) -> Callable[[], float]:
            def run() -> float:
                project = warm_projects[label]
                new_commit(project)
                seconds, found, _ = rehearse(project, src)
                for step, value in found.items():
                    steps.setdefault(label, {}).setdefault(step, []).append(value)
                return seconds

            return run

        def cold(src: Path | None) -> Callable[[], float]:
            return lambda: rehearse(fresh(), src)[0]

        for label, src in srcs.items():
            variants[f"{label}rehearsal, warm"] = warm(label, src)
            variants[f"{label}rehearsal, cold"] = cold(src)
        names = list(variants)
        for number in range(args.rounds + 1):  # round 0 warms every cache and is not counted
            rng.shuffle(names)
            for name in names:
                seconds = variants[name]()
                if number:
                    times.setdefault(name, []).append(seconds)
                print(f"round {number or 'warm-up'}: {name:28} {seconds:6.2f} s", flush=True)
            if number == 0:
                steps.clear()
        med = {name: statistics.median(values) for name, values in times.items()}
        print(f"\nrehearsal vs the manual sequences, median of {args.rounds} interleaved rounds:")
        for name in ("manual (pip)", "manual (uv)"):
            print(f"  {name:28} {med[name]:6.2f} s")
        for label in srcs:
            for kind, target in (("warm", "0.5"), ("cold", "0.6")):
                name = f"{label}rehearsal, {kind}"
                pip, uv = (
                    ratio(med[name], med["manual (pip)"]),
                    ratio(med[name], med["manual (uv)"]),
                )
                print(
                    f"  {name:28} {med[name]:6.2f} s   / pip {pip} (target <= {target})   / uv {uv}"
                )
        print(f"\ntime per step of the warm rehearsals (s, median of {args.rounds}):")
        labels = list(srcs)
        header = "".join(f"{(label or 'now').strip():>10}" for label in labels)
        print(f"  {'step':16}{header}")
        for step in STEPS:
            cells = ""
            for label in labels:
                values = steps.get(label, {}).get(step)
                cells += f"{statistics.median(values):10.2f}" if values else f"{'-':>10}"
            print(f"  {step:16}{cells}")

        if not args.skip_hook:
            print(
                "\nhook: python -m hatchling build (sdist + wheel, tag at HEAD), "
                f"{args.hook_pairs} interleaved rounds:",
                flush=True,
            )
            hook_srcs = {
                (label or "now").strip(): src or bench_hook.SRC for label, src in srcs.items()
            }
            result = bench_hook.measure(tmp / "hook", hook_srcs, pairs=args.hook_pairs, imports=9)
            bench_hook.report(result, list(hook_srcs))

        if not args.skip_memory:
            sizes = [0, *(int(size) for size in args.payload_mb.split(","))]
            print(
                "\npeak RSS of the nox process, rehearsal of a new project by payload size "
                f"({', '.join(f'{size} MiB' for size in sizes)}):",
                flush=True,
            )
            for label, src in srcs.items():
                rss = {}
                for size in sizes:
                    count += 1
                    project = make_example(tmp / f"p{count}", payload_mb=size)
                    rss[size] = rehearse(project, src)[2] / 1024
                    shutil.rmtree(project.parent, ignore_errors=True)
                shown = ", ".join(f"{size} MiB: {rss[size]:.1f} MiB" for size in sizes)
                print(f"  {(label or 'now').strip():7} {shown}", flush=True)


if __name__ == "__main__":
    main()
