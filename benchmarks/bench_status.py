"""Time ``releasekit status`` on a single project against loopback targets.

    python benchmarks/bench_status.py [--rounds 15]

The goal (issue 18): under 2 s. One project, released completely: a git repository whose
tag is on a remote (a bare repository: ``git ls-remote`` runs for real), two real
pypiservers (test and prod) holding the sdist and the wheel, the loopback GitHub
(``tests/helpers/github_fake.py``) with the published release, its assets and
``SHA256SUMS``, and the build with its manifest and journal in ``dist/``. Each round runs
``python -m releasekit status`` as a whole process, which is what a maintainer waits for
(interpreter start, imports, the reads, the table), and ``--json`` the same. Prints the
median and the slowest round of each, then the time of one in-process call with the imports
already done (what the reads alone cost).
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from contextlib import redirect_stdout
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO))

from releasekit.engine.journal import Journal  # noqa: E402
from releasekit.engine.manifest import Manifest, describe  # noqa: E402
from releasekit.rehearsal.pypiserver import LocalIndex  # noqa: E402
from tests.helpers.github_fake import FakeGitHub  # noqa: E402

GIT_ENV = {
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def sh(*argv: str | Path, cwd: Path) -> str:
    env = {**os.environ, **GIT_ENV, "UV_NO_CONFIG": "1", "SOURCE_DATE_EPOCH": "1700000000"}
    done = subprocess.run(
        [str(a) for a in argv], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout


def released_project(root: Path, indexes: dict[str, LocalIndex], github: FakeGitHub) -> Path:
    """demo 1.2.0, completely released to every target."""
    project = root / "demo"
    (project / "src" / "demo").mkdir(parents=True)
    tables = "".join(
        f'[tool.releasekit.indexes.{name}]\nurl = "{i.url}"\npublish-url = "{i.publish_url}"\n'
        for name, i in indexes.items()
    )
    (project / "pyproject.toml").write_text(
        textwrap.dedent("""\
            [build-system]
            requires = ["hatchling"]
            build-backend = "hatchling.build"

            [project]
            name = "demo"
            version = "1.2.0"
            requires-python = ">=3.9"

            [tool.hatch.build.targets.wheel]
            packages = ["src/demo"]

            [tool.releasekit]
            github-release = true
            """)
        + tables
    )
    (project / "src" / "demo" / "__init__.py").write_text("ANSWER = 42\n")
    (project / ".gitignore").write_text("dist/\n")
    sh("git", "init", "-q", "-b", "main", cwd=project)
    sh("git", "add", "-A", cwd=project)
    sh("git", "commit", "-q", "-m", "initial", cwd=project)
    sh("git", "tag", "v1.2.0", cwd=project)
    sh("git", "init", "-q", "--bare", root / "remote.git", cwd=root)
    sh("git", "remote", "add", "origin", root / "remote.git", cwd=project)
    sh("git", "push", "-q", "origin", "main", "v1.2.0", cwd=project)
    dist = project / "dist"
    sh(
        "uv", "build", "--quiet", "--no-build-isolation", "--python", sys.executable,
        "--out-dir", dist, project, cwd=project,
    )  # fmt: skip
    built = sorted([*dist.glob("*.whl"), *dist.glob("*.tar.gz")])
    files = tuple(describe(p) for p in built)
    commit = sh("git", "rev-parse", "HEAD", cwd=project).strip()
    Manifest("demo", "1.2.0", files, tag="v1.2.0", commit=commit).save(dist)
    journal = Journal(dist)
    for name, index in indexes.items():
        for path, item in zip(built, files):
            shutil.copy(path, index.packages_dir / path.name)
            journal.record("upload", name, item.filename, item.sha256, url=index.url)
    sums = "".join(f"{f.sha256}  {f.filename}\n" for f in files).encode()
    assets = {p.name: p.read_bytes() for p in built} | {"SHA256SUMS": sums}
    github.add_release("v1.2.0", assets=assets)
    return project


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-status-") as tmp:
        root = Path(tmp)
        indexes = {
            n: LocalIndex(root / f"{n}-index", server_python=Path(sys.executable))
            for n in ("test", "prod")
        }
        for index in indexes.values():
            index.start()
        try:
            with FakeGitHub("ghs_bench") as github:
                project = released_project(root, indexes, github)
                env = {
                    **os.environ,
                    "GITHUB_TOKEN": "ghs_bench",
                    "GITHUB_REPOSITORY": f"{github.owner}/{github.repo}",
                    "GITHUB_API_URL": github.api_url,
                    "PYTHONPATH": str(REPO / "src"),
                }
                report(project, env, args.rounds)
        finally:
            for index in indexes.values():
                index.stop()
    return 0


def report(project: Path, env: dict[str, str], rounds: int) -> None:
    argv = [sys.executable, "-m", "releasekit", "-C", str(project), "status"]
    first = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    print(first.stdout, end="")
    if first.returncode != 0:
        print(first.stderr, file=sys.stderr)
        raise SystemExit("the sample release is not complete: nothing to time")
    times: dict[str, list[float]] = {"status": [], "status --json": []}
    for _ in range(rounds):
        for label, extra in (("status", []), ("status --json", ["--json"])):
            started = time.perf_counter()
            done = subprocess.run([*argv, *extra], env=env, capture_output=True, check=False)
            times[label].append(time.perf_counter() - started)
            assert done.returncode == 0, done.stderr
    print(f"\nreleasekit status, single project, loopback targets ({rounds} rounds)")
    for label, spent in times.items():
        print(
            f"  {label:<15} median {statistics.median(spent):.2f} s, "
            f"slowest {max(spent):.2f} s (whole process)"
        )
    os.environ.update({k: v for k, v in env.items() if k.startswith("GITHUB_")})
    from releasekit.cli.status import StatusRequest, status

    with redirect_stdout(io.StringIO()):
        status(StatusRequest(root=project))  # imports done
        started = time.perf_counter()
        status(StatusRequest(root=project))
    print(f"  in-process      {time.perf_counter() - started:.2f} s (imports done: the reads)")
    print("  goal: under 2 s")


if __name__ == "__main__":
    raise SystemExit(main())
