"""Time what the releasekit hatch build hook costs a build, in one run.

    python benchmarks/bench_hook.py [--pairs 15] [--imports 9]

A small project in a temporary git repository, tagged at HEAD with a clean tree (the case
where the hook does the most: it finds the tag, asks whether the tree is dirty, compares).
Whole processes of ``python -m hatchling build`` (sdist + wheel, in the tree, no isolation),
run in interleaved order so drift on the machine hits every variant alike:

* ``hook``: ``[tool.hatch.build.hooks.releasekit]`` present, releasekit importable;
* ``plain``: the same project without that table, releasekit still importable (hatchling
  loads every installed ``hatch`` plugin, so releasekit's modules are still imported);
* ``bare``: the same project without the table, releasekit not installed at all (what a
  project that does not use releasekit pays).

All three run ``python -S`` with an explicit ``PYTHONPATH`` holding what an isolated build
environment holds (hatchling and its dependencies, with or without releasekit), so they
start alike. Then the import of
``releasekit.hatch_build_hook`` with ``-X importtime``: the releasekit part only, measured
with hatchling's hook interface imported first (hatchling has imported it before it loads a
plugin). Prints medians and ratios.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SRC = REPO / "src"
SITE = Path(sysconfig.get_paths()["purelib"])
GIT_ENV = {
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
}
HOOK_TABLE = "\n[tool.hatch.build.hooks.releasekit]\nrequire-tag = true\n"


def sh(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        sys.exit(f"{' '.join(map(str, args))} failed:\n{proc.stdout[-3000:]}")
    return proc.stdout


def make_project(root: Path, *, hook: bool) -> Path:
    """A small package, committed, with the release tag v1.0.0 at HEAD."""
    root.mkdir(parents=True)
    (root / "src" / "example").mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        textwrap.dedent("""\
        [build-system]
        requires = ["hatchling"]
        build-backend = "hatchling.build"

        [project]
        name = "example"
        version = "1.0.0"
        description = "An example project"
        readme = "README.md"
        requires-python = ">=3.9"

        [tool.hatch.build.targets.wheel]
        packages = ["src/example"]
        """)
        + (HOOK_TABLE if hook else "")
    )
    (root / "src" / "example" / "__init__.py").write_text('__version__ = "1.0.0"\n')
    (root / "README.md").write_text("# example\n")
    (root / ".gitignore").write_text("dist/\n")
    sh("git", "init", "-q", "-b", "main", cwd=root)
    sh("git", "add", "-A", cwd=root)
    sh("git", "commit", "-q", "-m", "example", cwd=root, env=GIT_ENV)
    sh("git", "tag", "v1.0.0", cwd=root)
    return root


# What an isolated build environment of ``requires = ["hatchling", "releasekit"]`` holds.
BUILD_ENV = ("hatchling", "packaging", "pathspec", "pluggy", "trove_classifiers")


def build_env(where: Path, *, releasekit: bool) -> Path:
    """A directory of links to hatchling and its dependencies (and releasekit's dist-info,
    whose ``hatch`` entry point loads the plugin from ``src``), like an isolated build
    environment: the venv holds many more distributions, and hatchling reads the entry points
    of every one of them, which no real build pays."""
    where.mkdir()
    for entry in SITE.iterdir():
        name = entry.name.split("-", 1)[0].lower()
        if name in BUILD_ENV or (releasekit and entry.name.startswith("releasekit-")):
            (where / entry.name).symlink_to(entry)
    return where


def environments(tmp: Path, src: Path = SRC) -> dict[str, dict[str, str]]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("RELEASEKIT_", "CI_"))}
    # an installed releasekit is byte-compiled (pip and uv compile wheels on install)
    base.pop("PYTHONDONTWRITEBYTECODE", None)
    for key in (
        "GITHUB_REF",
        "GITHUB_REF_NAME",
        "GITHUB_REF_TYPE",
        "CIRCLE_TAG",
        "BUILDKITE_TAG",
        "PYTHONPATH",
    ):
        base.pop(key, None)
    site_rk = build_env(tmp / "site-releasekit", releasekit=True)
    with_rk = {**base, "PYTHONPATH": os.pathsep.join([str(src), str(site_rk)])}
    bare = {**base, "PYTHONPATH": str(build_env(tmp / "site-bare", releasekit=False))}
    return {"hook": with_rk, "plain": with_rk, "bare": bare}


def build(project: Path, env: dict[str, str]) -> float:
    shutil.rmtree(project / "dist", ignore_errors=True)
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-S", "-m", "hatchling", "build"],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"hatchling build failed in {project}:\n{proc.stdout[-3000:]}")
    return seconds


_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)")


def import_ms(env: dict[str, str]) -> tuple[float, list[tuple[int, str]]]:
    """Cumulative ms of ``import releasekit.hatch_build_hook`` after hatchling's interface,
    and the (self us, module) lines it is made of."""
    code = (
        "import hatchling.builders.hooks.plugin.interface, hatchling.plugin\n"
        "import releasekit.hatch_build_hook"
    )
    proc = subprocess.run(
        [sys.executable, "-S", "-X", "importtime", "-c", code],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    lines = [m.groups() for m in map(_LINE.match, proc.stderr.splitlines()) if m]
    end = next(i for i, g in enumerate(lines) if g[3] == "releasekit.hatch_build_hook")
    start = end
    while start > 0 and lines[start - 1][2] != " ":  # back to the previous top-level import
        start -= 1
    mine = [(int(g[0]), g[3]) for g in lines[start : end + 1]]
    return int(lines[end][1]) / 1000, mine


def measure(
    tmp: Path, *, pairs: int, imports: int, src: Path = SRC
) -> tuple[dict[str, float], float, list[tuple[int, str]]]:
    """Median seconds of each variant (bare, plain, hook), the median import ms and the
    import profile of the first import, with releasekit from ``src``."""
    tmp.mkdir(parents=True, exist_ok=True)
    envs = environments(tmp, src)
    sh(
        sys.executable,
        "-m",
        "compileall",
        "-q",
        src / "releasekit",
        cwd=REPO,
        env={"PYTHONDONTWRITEBYTECODE": ""},
    )
    projects = {
        "hook": make_project(tmp / "hook", hook=True),
        "plain": make_project(tmp / "plain", hook=False),
        "bare": make_project(tmp / "bare", hook=False),
    }
    names = list(projects)
    for name in names:  # warm-up: bytecode caches, page cache
        build(projects[name], envs[name])
    times: dict[str, list[float]] = {name: [] for name in names}
    rng = random.Random(10)
    for _ in range(pairs):
        rng.shuffle(names)
        for name in names:
            times[name].append(build(projects[name], envs[name]))
    measured = [import_ms(envs["hook"]) for _ in range(imports)]
    med = {name: statistics.median(values) for name, values in times.items()}
    return med, statistics.median(value for value, _ in measured), measured[0][1]


def measure_many(
    tmp: Path, srcs: dict[str, Path], *, pairs: int, imports: int
) -> tuple[dict[str, float], dict[str, float]]:
    """The hook variant once per releasekit in ``srcs`` (label -> its ``src``), with
    ``plain`` and ``bare``, all interleaved: median seconds of each, and the median import
    ms of each hook module."""
    tmp.mkdir(parents=True, exist_ok=True)
    runs: dict[str, tuple[Path, dict[str, str]]] = {}
    import_envs: dict[str, dict[str, str]] = {}
    for number, (label, src) in enumerate(srcs.items()):
        sh(sys.executable, "-m", "compileall", "-q", src / "releasekit", cwd=REPO,
           env={"PYTHONDONTWRITEBYTECODE": ""})  # fmt: skip
        (tmp / f"env-{number}").mkdir()
        envs = environments(tmp / f"env-{number}", src)
        runs[f"hook {label}"] = (make_project(tmp / f"hook-{number}", hook=True), envs["hook"])
        import_envs[label] = envs["hook"]
        if number == 0:
            runs["plain"] = (make_project(tmp / "plain", hook=False), envs["plain"])
            runs["bare"] = (make_project(tmp / "bare", hook=False), envs["bare"])
    names = list(runs)
    for name in names:  # warm-up: bytecode caches, page cache
        build(*runs[name])
    times: dict[str, list[float]] = {name: [] for name in names}
    rng = random.Random(10)
    for _ in range(pairs):
        rng.shuffle(names)
        for name in names:
            times[name].append(build(*runs[name]))
    ms = {
        label: statistics.median(import_ms(env)[0] for _ in range(imports))
        for label, env in import_envs.items()
    }
    return {name: statistics.median(values) for name, values in times.items()}, ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=15)
    parser.add_argument("--imports", type=int, default=9)
    parser.add_argument("--profile", action="store_true", help="list the slowest imports")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="releasekit-bench-hook-") as tmp_name:
        med, ms, profile = measure(Path(tmp_name), pairs=args.pairs, imports=args.imports)
    print(f"python -m hatchling build (sdist + wheel, tag at HEAD), median of {args.pairs}:")
    for name in ("bare", "plain", "hook"):
        print(f"  {name:6} {med[name] * 1000:7.1f} ms")
    print(f"  ratio hook / plain: {med['hook'] / med['plain']:.3f} (target <= 1.05)")
    print(f"  ratio hook / bare:  {med['hook'] / med['bare']:.3f}")
    print(
        f"import releasekit.hatch_build_hook (hatchling already imported), median of "
        f"{args.imports}: {ms:.1f} ms (target < 30)"
    )
    if args.profile:
        for us, module in sorted(profile, reverse=True)[:15]:
            print(f"    {us / 1000:6.2f} ms  {module}")


if __name__ == "__main__":
    main()
