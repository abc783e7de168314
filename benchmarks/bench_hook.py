"""Time what the releasekit hatch build hook costs a build, in one run.

    python benchmarks/bench_hook.py [--pairs 30] [--imports 9]

A small project in a temporary git repository, tagged at HEAD with a clean tree (the case
where the hook does the most: it finds the tag, asks whether the tree is dirty, compares).
Whole processes of ``python -m hatchling build`` (sdist + wheel, in the tree, no isolation),
every variant once per round, in a shuffled order, so drift on the machine hits them alike:

* ``hook``: ``[tool.hatch.build.hooks.releasekit]`` present, releasekit importable;
* ``plain``: the same project without that table, releasekit still importable;
* ``null``: the project with the table of a build hook that does nothing (a plugin made
  here). What hatchling itself pays for any third-party build hook, before the hook's own
  code runs: it imports ``importlib.metadata`` and loads the ``hatch`` entry points of every
  installed distribution (releasekit's among them). ``hook / null`` is releasekit's own part;
* ``bare``: no hook table, releasekit not installed at all (what a project that does not
  use releasekit pays).

All run ``python -S`` with an explicit ``PYTHONPATH`` holding what an isolated build
environment holds (hatchling and its dependencies, with or without releasekit), so they
start alike. Ratios are medians of the per-round ratios: each round's builds ran side by
side, so a slow minute of the machine slows both. Then the import of
``releasekit.hatch_plugin.build_hook`` with ``-X importtime``: the releasekit part only, measured
with hatchling's hook interface imported first (hatchling has imported it before it loads a
plugin).
"""

from __future__ import annotations

import argparse
import json
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
from dataclasses import dataclass
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
NULL_TABLE = "\n[tool.hatch.build.hooks.bench-null]\n"
# A build hook that does nothing, registered like any third-party hatch plugin.
NULL_PLUGIN = """\
from hatchling.builders.hooks.plugin.interface import BuildHookInterface
from hatchling.plugin import hookimpl


class NullHook(BuildHookInterface):
    PLUGIN_NAME = "bench-null"


@hookimpl
def hatch_register_build_hook():
    return NullHook
"""


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
        sys.exit(f"{' '.join(map(str, args))} failed in {cwd}:\n{proc.stdout[-3000:]}")
    return proc.stdout


def make_project(root: Path, table: str = "") -> Path:
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
        + table
    )
    (root / "src" / "example" / "__init__.py").write_text('__version__ = "1.0.0"\n')
    (root / "README.md").write_text("# example\n")
    (root / ".gitignore").write_text("dist/\n")
    sh("git", "init", "-q", "-b", "main", cwd=root)
    sh("git", "add", "-A", cwd=root)
    sh("git", "commit", "-q", "-m", "example", cwd=root, env=GIT_ENV)
    sh("git", "tag", "v1.0.0", cwd=root)
    return root


# What an isolated build environment of hatchling with releasekit's hook holds (tomlkit:
# a dependency of hatchling 1.33 and of releasekit, which edits the sdist's pyproject.toml).
BUILD_ENV = ("hatchling", "packaging", "pathspec", "pluggy", "tomlkit", "trove_classifiers")


def build_env(where: Path, *, releasekit: bool, src: Path = SRC) -> Path:
    """A directory of links to hatchling and its dependencies (and a releasekit dist-info,
    whose ``hatch`` entry point loads the plugin from ``src``, and the null hook's plugin),
    like an isolated build environment: the venv holds many more distributions, and hatchling
    reads the entry points of every one of them, which no real build pays."""
    where.mkdir()
    for entry in SITE.iterdir():
        name = entry.name.split("-", 1)[0].lower()
        if name in BUILD_ENV:
            (where / entry.name).symlink_to(entry)
    if releasekit:
        # the plugin module of that checkout (releasekit.hatch_hooks before the layout of
        # subpackages), so a baseline from before it is measured too
        plugin = "hatch_plugin" if (src / "releasekit" / "hatch_plugin").is_dir() else "hatch_hooks"
        rk_info = where / "releasekit-0.dist-info"
        rk_info.mkdir()
        (rk_info / "METADATA").write_text("Metadata-Version: 2.1\nName: releasekit\nVersion: 0\n")
        (rk_info / "entry_points.txt").write_text(f"[hatch]\nreleasekit = releasekit.{plugin}\n")
        (where / "bench_null_hook.py").write_text(NULL_PLUGIN)
        info = where / "bench_null_hook-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            "Metadata-Version: 2.1\nName: bench-null-hook\nVersion: 1.0\n"
        )
        (info / "entry_points.txt").write_text("[hatch]\nbench-null = bench_null_hook\n")
    return where


def environments(tmp: Path, src: Path = SRC) -> tuple[dict[str, str], dict[str, str]]:
    """The environment of a build with releasekit from ``src`` installed, and of a build
    without releasekit."""
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
    site_rk = build_env(tmp / "site-releasekit", releasekit=True, src=src)
    with_rk = {**base, "PYTHONPATH": os.pathsep.join([str(src), str(site_rk)])}
    bare = {**base, "PYTHONPATH": str(build_env(tmp / "site-bare", releasekit=False))}
    return with_rk, bare


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


# ``python -m hatchling build`` with clocks around what a build hook adds inside the
# process: finding the hooks (the first call loads the plugins and imports the hook's module)
# and running them. Printed to stderr as JSON, in milliseconds.
_TIMED_BUILD = """\
import json, sys, time
from hatchling.builders.plugin.interface import BuilderInterface
clock = {"find": 0.0, "run": 0.0}
find = BuilderInterface.get_build_hooks
def timed_run(method):
    def run(*args, **kwargs):
        start = time.perf_counter()
        try:
            return method(*args, **kwargs)
        finally:
            clock["run"] += time.perf_counter() - start
    return run
def get_build_hooks(self, directory):
    start = time.perf_counter()
    hooks = find(self, directory)
    clock["find"] += time.perf_counter() - start
    for hook in hooks.values():
        hook.initialize = timed_run(hook.initialize)
    return hooks
BuilderInterface.get_build_hooks = get_build_hooks
sys.argv = ["hatchling", "build"]
from hatchling.cli import hatchling
try:
    hatchling()
finally:
    print(json.dumps({k: v * 1000 for k, v in clock.items()}), file=sys.stderr)
"""


def inside(project: Path, env: dict[str, str]) -> dict[str, float]:
    """Milliseconds a build of ``project`` spent finding and running its build hooks."""
    shutil.rmtree(project / "dist", ignore_errors=True)
    proc = subprocess.run(
        [sys.executable, "-S", "-c", _TIMED_BUILD],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    clock: dict[str, float] = json.loads(proc.stderr.strip().splitlines()[-1])
    return clock


_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)")


def hook_module(env: dict[str, str]) -> str:
    """The build hook's module in the releasekit checkout first on ``env``'s PYTHONPATH
    (``releasekit.hatch_build_hook`` before the layout of subpackages)."""
    src = Path(env["PYTHONPATH"].split(os.pathsep)[0])
    if (src / "releasekit" / "hatch_plugin").is_dir():
        return "releasekit.hatch_plugin.build_hook"
    return "releasekit.hatch_build_hook"


def import_ms(env: dict[str, str]) -> tuple[float, list[tuple[int, str]]]:
    """Cumulative ms of importing the build hook's module after hatchling's interface, and
    the (self us, module) lines it is made of."""
    module = hook_module(env)
    code = f"import hatchling.builders.hooks.plugin.interface, hatchling.plugin\nimport {module}"
    proc = subprocess.run(
        [sys.executable, "-S", "-X", "importtime", "-c", code],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    lines = [m.groups() for m in map(_LINE.match, proc.stderr.splitlines()) if m]
    end = next(i for i, g in enumerate(lines) if g[3] == module)
    start = end
    while start > 0 and lines[start - 1][2] != " ":  # back to the previous top-level import
        start -= 1
    mine = [(int(g[0]), g[3]) for g in lines[start : end + 1]]
    return int(lines[end][1]) / 1000, mine


@dataclass
class Result:
    """Seconds of every build of each variant, in round order (``hook <label>`` per
    releasekit measured, ``plain``, ``null``, ``bare``), and the import of each hook module."""

    times: dict[str, list[float]]
    import_ms: dict[str, float]
    profile: list[tuple[int, str]]
    inside: dict[str, dict[str, float]]  # variant -> median ms finding / running hooks

    def median(self, name: str) -> float:
        return statistics.median(self.times[name])

    def ratio(self, name: str, to: str) -> float:
        """The median of the per-round ratios of ``name`` to ``to``."""
        return statistics.median(a / b for a, b in zip(self.times[name], self.times[to]))


def measure(tmp: Path, srcs: dict[str, Path], *, pairs: int, imports: int) -> Result:
    """The hook variant once per releasekit in ``srcs`` (label -> its ``src``), with
    ``plain``, ``null`` and ``bare`` (releasekit from the first), all interleaved."""
    tmp.mkdir(parents=True, exist_ok=True)
    runs: dict[str, tuple[Path, dict[str, str]]] = {}
    import_envs: dict[str, dict[str, str]] = {}
    for number, (label, src) in enumerate(srcs.items()):
        sh(sys.executable, "-m", "compileall", "-q", src / "releasekit", cwd=REPO,
           env={"PYTHONDONTWRITEBYTECODE": ""})  # fmt: skip
        (tmp / f"env-{number}").mkdir()
        with_rk, bare = environments(tmp / f"env-{number}", src)
        runs[f"hook {label}"] = (make_project(tmp / f"hook-{number}", HOOK_TABLE), with_rk)
        import_envs[label] = with_rk
        if number == 0:
            runs["plain"] = (make_project(tmp / "plain"), with_rk)
            runs["null"] = (make_project(tmp / "null", NULL_TABLE), with_rk)
            runs["bare"] = (make_project(tmp / "bare"), bare)
    names = list(runs)
    for name in names:  # warm-up: bytecode caches, page cache
        build(*runs[name])
    times: dict[str, list[float]] = {name: [] for name in names}
    rng = random.Random(10)
    for _ in range(pairs):
        rng.shuffle(names)
        for name in names:
            times[name].append(build(*runs[name]))
    ms: dict[str, float] = {}
    profile: list[tuple[int, str]] = []
    for label, env in import_envs.items():
        measured = [import_ms(env) for _ in range(imports)]
        ms[label] = statistics.median(value for value, _ in measured)
        profile = profile or measured[0][1]
    clocks: dict[str, dict[str, float]] = {}
    for name in [name for name in names if name.startswith("hook ")] + ["null"]:
        found = [inside(*runs[name]) for _ in range(imports)]
        clocks[name] = {key: statistics.median(c[key] for c in found) for key in found[0]}
    return Result(times, ms, profile, clocks)


def report(result: Result, labels: list[str], *, indent: str = "  ") -> None:
    """Print the medians and ratios of :func:`measure`."""
    plain, null, bare = (result.median(name) for name in ("plain", "null", "bare"))
    print(f"{indent}bare (no releasekit) {bare * 1000:6.1f} ms, plain (no hook table) "
          f"{plain * 1000:6.1f} ms, null hook {null * 1000:6.1f} ms")  # fmt: skip
    print(
        f"{indent}null / plain {result.ratio('null', 'plain'):.3f}: hatchling's own cost of "
        "loading any third-party build hook"
    )
    null_find = result.inside["null"]["find"]
    for label in labels:
        name = f"hook {label}"
        print(
            f"{indent}{label:9} hook {result.median(name) * 1000:6.1f} ms: "
            f"hook / plain {result.ratio(name, 'plain'):.3f} (target <= 1.05), "
            f"hook / null {result.ratio(name, 'null'):.3f} (releasekit's own part); "
            f"import of the hook module {result.import_ms[label]:.1f} ms (target < 30)"
        )
        clock = result.inside[name]
        print(
            f"{indent}{'':9} inside the build process: finding the hooks {clock['find']:.1f} ms "
            f"(null hook: {null_find:.1f} ms), running the hook {clock['run']:.1f} ms; "
            f"releasekit's own {clock['find'] - null_find + clock['run']:.1f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=30)
    parser.add_argument("--imports", type=int, default=9)
    parser.add_argument("--profile", action="store_true", help="list the slowest imports")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="releasekit-bench-hook-") as tmp_name:
        result = measure(Path(tmp_name), {"now": SRC}, pairs=args.pairs, imports=args.imports)
    print(f"python -m hatchling build (sdist + wheel, tag at HEAD), median of {args.pairs}:")
    report(result, ["now"])
    if args.profile:
        for us, module in sorted(result.profile, reverse=True)[:15]:
            print(f"    {us / 1000:6.2f} ms  {module}")


if __name__ == "__main__":
    main()
