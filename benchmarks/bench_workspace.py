"""How a rehearsed workspace release grows with its number of members.

    python benchmarks/bench_workspace.py [--runs 3] [--sizes 1,2,4,6]

For each size N, a monorepo of N small Python members (and, separately, the sample
monorepo of an npm package and a Python package that follows its version) is rehearsed
with ``nox -s release -- --rehearse`` from its root: once to warm the tools venv and the
local servers' installs, then ``--runs`` times on a new commit each (a new commit is a new
release: nothing is reused but the tools). Prints the median seconds per size and the
ratio to N x one member (the target: at most 1.1).

Needs releasekit installed with its ``nox`` extra in the running interpreter, and node/npm
for the npm sample. Nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from releasekit.cli.init import template_text

PYPROJECT = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "{name}"
version = "{version}"
description = "A sample member"
readme = "README.md"
requires-python = ">=3.9"

[project.scripts]
{name} = "{module}:main"

[tool.hatch.build.targets.wheel]
packages = ["src/{module}"]

[tool.releasekit]
changelog = false
{extra}
[tool.releasekit.smoke]
commands = ["{name} --version"]
"""


def python_member(path: Path, name: str, version: str, extra: str = "") -> None:
    module = name.replace("-", "_")
    (path / "src" / module).mkdir(parents=True)
    (path / "pyproject.toml").write_text(
        PYPROJECT.format(name=name, module=module, version=version, extra=extra)
    )
    (path / "README.md").write_text(f"# {name}\n")
    (path / "src" / module / "__init__.py").write_text(
        f'__version__ = "{version}"\n\n\ndef main() -> None:\n    print(__version__)\n'
    )


def npm_member(path: Path, name: str, version: str) -> None:
    (path / "lib").mkdir(parents=True)
    manifest = {"name": name, "version": version, "main": "lib/index.js", "files": ["lib"]}
    (path / "package.json").write_text(json.dumps(manifest, indent=2) + "\n")
    (path / "lib" / "index.js").write_text("module.exports = { answer: 42 };\n")


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def make_repo(root: Path, members: list[str], kind: str) -> None:
    root.mkdir(parents=True)
    if kind == "npm+python":  # the Event-Forge shape
        npm_member(root / "packages" / "core", "bench-core", "1.0.0")
        python_member(
            root / "packages" / "python",
            "bench-python",
            "1.0.0",
            'version-files = ["../core/package.json", "pyproject.toml"]\n',
        )
    else:
        for name in members:
            python_member(root / "packages" / name, name, "1.0.0")
    listed = ", ".join(f'"packages/{m}"' for m in members)
    (root / "releasekit.toml").write_text(f"members = [{listed}]\n")
    (root / "noxfile.py").write_text(template_text())
    (root / ".gitignore").write_text("dist/\n.nox/\nreleasekit-dist/\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "-c", "user.name=b", "-c", "user.email=b@b", "commit", "-qm", "initial")


def rehearse(root: Path) -> float:
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "nox", "-s", "release", "--", "--rehearse"],
        cwd=root, capture_output=True, text=True, check=False,
    )  # fmt: skip
    elapsed = time.monotonic() - started
    if proc.returncode != 0:
        sys.exit(f"rehearsal failed in {root}:\n{proc.stdout[-3000:]}\n{proc.stderr[-2000:]}")
    return elapsed


def new_commit(root: Path, run: int) -> None:
    (root / "CHANGES").write_text(f"run {run}\n")
    git(root, "add", "-A")
    git(root, "-c", "user.name=b", "-c", "user.email=b@b", "commit", "-qm", f"run {run}")


def measure(root: Path, runs: int) -> float:
    rehearse(root)  # warm: the tools venv, pypiserver's venv, verdaccio's install
    times = []
    for run in range(runs):
        new_commit(root, run)
        times.append(rehearse(root))
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", default="1,2,4,6")
    args = parser.parse_args()
    sizes = [int(n) for n in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="rk-bench-ws-") as tmp:
        results: dict[int, float] = {}
        for n in sizes:
            names = [f"bench-m{i}" for i in range(n)]
            root = Path(tmp) / f"n{n}"
            make_repo(root, names, "python")
            results[n] = measure(root, args.runs)
            print(f"{n} member(s): {results[n]:.1f} s (median of {args.runs})", flush=True)
        one = results.get(1)
        if one:
            print("\nmembers  seconds  per member  ratio to N x one member")
            for n, seconds in results.items():
                print(f"{n:>7}  {seconds:>7.1f}  {seconds / n:>10.2f}  {seconds / (n * one):>6.2f}")
        if shutil.which("npm"):
            root = Path(tmp) / "sample"
            make_repo(root, ["core", "python"], "npm+python")
            seconds = measure(root, args.runs)
            print(f"\nsample monorepo (npm core + Python following it): {seconds:.1f} s")


if __name__ == "__main__":
    main()
