"""Time a rehearsal against the strict local index and against plain pypiserver, in one run.

    python benchmarks/bench_strict_index.py [--rounds 5]

The rehearsal's local indexes are pypiserver behind a front that applies PyPI's upload rules
(releasekit/_child/strict_index.py: each upload's file read and checked, the README rendered,
a JSON state kept, the PEP 691 JSON pages). This times ``nox -s release -- --rehearse`` of
benchmarks/bench_release.py's example project, warm (a new commit each time, the venvs there),
with the front ("strict") and without it ("plain": ``python -m pypiserver run``, as releasekit
ran it before: ``LocalIndex(strict=False)``, which nox's process is made to use by a few
lines run before nox, not by anything releasekit reads). Rounds are interleaved in a
shuffled order after one untimed round of each; medians, the ratio, and the medians of the
steps that talk to the indexes (publish-test, publish) are printed.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_hook import sh  # noqa: E402
from bench_release import NOX_WITH_RSS, machine, make_example, new_commit  # noqa: E402

# Run in nox's process before nox (the rehearsal runs there, in releasekit.sessions): every
# LocalIndex it makes is plain pypiserver.
PLAIN_PYPISERVER = """\
from releasekit.rehearsal import pypiserver
_init = pypiserver.LocalIndex.__init__
def _plain(self, *args, **kwargs):
    _init(self, *args, **{**kwargs, "strict": False})
pypiserver.LocalIndex.__init__ = _plain
"""
VARIANTS = {"plain pypiserver": PLAIN_PYPISERVER + NOX_WITH_RSS, "strict index": NOX_WITH_RSS}


def rehearse(project: Path, script: str) -> tuple[float, dict[str, float]]:
    new_commit(project)
    env = {"RK_BENCH_RSS": str(project / ".." / "rss")}
    start = time.perf_counter()
    sh(sys.executable, "-c", script, "-s", "release", "--", "--rehearse", cwd=project,
       env=env)  # fmt: skip
    seconds = time.perf_counter() - start
    steps = json.loads((project / "dist" / "releasekit-steps.json").read_text())
    return seconds, steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(machine())
    with tempfile.TemporaryDirectory(prefix="bench-strict-") as tmp:
        project = make_example(Path(tmp))
        for script in VARIANTS.values():  # untimed: venvs, caches
            rehearse(project, script)
        times: dict[str, list[float]] = {name: [] for name in VARIANTS}
        steps: dict[str, dict[str, list[float]]] = {name: {} for name in VARIANTS}
        for _ in range(args.rounds):
            order = list(VARIANTS.items())
            random.shuffle(order)
            for name, script in order:
                seconds, found = rehearse(project, script)
                times[name].append(seconds)
                for step, value in found.items():
                    steps[name].setdefault(step, []).append(float(value))
    print(f"rehearsal, warm ({args.rounds} rounds, medians, seconds):")
    names = list(VARIANTS)
    print(f"  {'':17} {names[0]:>17} {names[1]:>17}")
    print(
        f"  {'whole rehearsal':17}"
        + "".join(f" {statistics.median(times[n]):17.2f}" for n in names)
    )
    for step in steps[names[0]]:
        values = [statistics.median(steps[n].get(step, [0.0])) for n in names]
        print(f"  {step:17}" + "".join(f" {value:17.2f}" for value in values))
    plain, strict = (statistics.median(times[name]) for name in names)
    print(f"  strict / plain    {strict / plain:6.3f}  ({(strict / plain - 1) * 100:+.1f}%)")


if __name__ == "__main__":
    main()
