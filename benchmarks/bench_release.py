"""Time a rehearsed release against the manual sequence it replaces, in one run.

    python benchmarks/bench_release.py [--rounds 3]

The manual sequence is what a RELEASE.md checklist says: ``python -m build``,
``twine check``, ``python -m venv``, ``pip install`` the wheel, run its command. The
rehearsal is ``nox -s release -- --rehearse``: it does all of that and more (it also starts
two local indexes, uploads to both, reads their hashes back and installs from them).

Each round uses a fresh copy of the example project (so a fresh ``.nox`` and ``dist/``);
package caches are warmed by one untimed round first, so both sides download nothing.
Prints the median seconds of each and their ratio (rehearsal / manual).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))

from releasekit.init import template_text  # noqa: E402

GIT_ENV = {
    "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.invalid",
}


def sh(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> None:
    proc = subprocess.run([str(a) for a in args], cwd=cwd, env={**os.environ, **(env or {})},
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          check=False)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(map(str, args))} failed:\n{proc.stdout[-3000:]}")


def make_example(root: Path) -> Path:
    """A small project with a console script, committed in a git repository."""
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
        """))
    (project / "src" / "example" / "__init__.py").write_text(
        '__version__ = "1.0.0"\n\n\ndef main() -> None:\n    print("example", __version__)\n')
    (project / "README.md").write_text("# example\n\nAn example project.\n")
    (project / "CHANGELOG.md").write_text("# Changelog\n\n## [1.0.0] - 2026-11-21\n\n- First.\n")
    (project / ".gitignore").write_text("dist/\n.nox/\n")
    (project / "noxfile.py").write_text(template_text())
    sh("git", "init", "-q", "-b", "main", cwd=project)
    sh("git", "add", "-A", cwd=project)
    sh("git", "commit", "-q", "-m", "example", cwd=project, env=GIT_ENV)
    return project


def manual(project: Path) -> float:
    """The checklist: build, twine check, venv, pip install the wheel, run its command."""
    start = time.perf_counter()
    sh(sys.executable, "-m", "build", "--outdir", "dist", ".", cwd=project)
    dists = sorted(str(p) for p in (project / "dist").iterdir())
    sh(sys.executable, "-m", "twine", "check", "--strict", *dists, cwd=project)
    sh(sys.executable, "-m", "venv", "venv", cwd=project)
    wheel = next(p for p in dists if p.endswith(".whl"))
    sh(project / "venv" / "bin" / "pip", "install", "--quiet", wheel, cwd=project)
    sh(project / "venv" / "bin" / "example", cwd=project)
    return time.perf_counter() - start


def rehearsal(project: Path) -> float:
    start = time.perf_counter()
    sh(sys.executable, "-m", "nox", "-s", "release", "--", "--rehearse", cwd=project)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    rounds = parser.parse_args().rounds
    times: dict[str, list[float]] = {"manual": [], "rehearsal": []}
    with tempfile.TemporaryDirectory(prefix="releasekit-bench-") as tmp:
        for number in range(rounds + 1):  # round 0 warms the caches and is not counted
            for name, step in (("manual", manual), ("rehearsal", rehearsal)):
                project = make_example(Path(tmp) / f"{name}-{number}")
                seconds = step(project)
                if number:
                    times[name].append(seconds)
                print(f"round {number or 'warm-up'}: {name:9} {seconds:6.2f} s", flush=True)
                shutil.rmtree(project, ignore_errors=True)
    manual_s = statistics.median(times["manual"])
    rehearsal_s = statistics.median(times["rehearsal"])
    print(f"manual sequence (median of {rounds}):   {manual_s:6.2f} s")
    print(f"rehearsed release (median of {rounds}): {rehearsal_s:6.2f} s")
    print(f"ratio rehearsal / manual: {rehearsal_s / manual_s:.2f} (target <= 0.5)")


if __name__ == "__main__":
    main()
