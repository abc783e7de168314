"""The tutorial (docs/getting-started.md) runs as written (issue 20): its files are
written, its command blocks run in bash in a fresh directory, and the output it shows is
compared with what they print, so a broken example fails the suite.

The page marks what is run with HTML comments (invisible on the site):
``<!-- tutorial-file: PATH -->`` before a fenced block writes the block to PATH;
``<!-- tutorial-run -->`` before a ``console`` block runs its ``$ `` lines;
``<!-- tutorial-output -->`` before a ``text`` block: each of its lines must be printed by
the run block before it (local ports and sha256 digests are compared as placeholders).
Blocks without a marker (installing releasekit from a clone, the real release with tokens)
are shown, not run: the test provides releasekit as those lines would (its wheel in a
``PIP_FIND_LINKS``/``UV_FIND_LINKS`` folder, this venv's ``releasekit`` and ``nox`` on PATH).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest

PAGE = Path(__file__).resolve().parents[2] / "docs" / "getting-started.md"
_MARKER = re.compile(r"<!-- tutorial-(file|run|output)(?::\s*(\S+))?\s*-->")


class Step(NamedTuple):
    kind: str  # "file", "run" or "output"
    argument: str | None  # the file's path
    body: str  # the fenced block's content


def tutorial_steps(text: str) -> list[Step]:
    """The marked blocks of the page, in order."""
    steps = []
    lines = text.splitlines()
    for number, line in enumerate(lines):
        marker = _MARKER.fullmatch(line.strip())
        if not marker:
            continue
        fence = lines[number + 1]
        assert fence.startswith("```"), f"line {number + 2}: a marker must precede a fence"
        end = lines.index("```", number + 2)
        body = "\n".join(lines[number + 2 : end]) + "\n"
        steps.append(Step(marker.group(1), marker.group(2), body))
    return steps


def _normalized(text: str) -> str:
    text = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", text)
    return re.sub(r"sha256=[0-9a-f]+…?", "sha256=HASH", text)


@pytest.mark.slow
def test_the_tutorial_runs_as_written(tmp_path: Path, build_env: dict[str, str]) -> None:
    steps = tutorial_steps(PAGE.read_text(encoding="utf-8"))
    assert [s.kind for s in steps].count("run") >= 4, "the tutorial lost its runnable blocks"
    project = tmp_path / "demo"
    project.mkdir()
    env = {
        **os.environ,
        **build_env,
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]),
        "GIT_AUTHOR_NAME": "Tutorial",
        "GIT_AUTHOR_EMAIL": "tutorial@example.com",
        "GIT_COMMITTER_NAME": "Tutorial",
        "GIT_COMMITTER_EMAIL": "tutorial@example.com",
        "GIT_CONFIG_GLOBAL": os.devnull,  # the tutorial's git, not the machine's settings
    }
    output = ""
    for step in steps:
        if step.kind == "file":
            assert step.argument
            target = project / step.argument
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(step.body, encoding="utf-8")
        elif step.kind == "run":
            commands = [line[2:] for line in step.body.splitlines() if line.startswith("$ ")]
            assert len(commands) == len(step.body.splitlines()), "a run block holds commands only"
            proc = subprocess.run(
                ["bash", "-euo", "pipefail", "-c", "\n".join(commands)],
                cwd=project,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                check=False,
                timeout=300,
            )
            assert proc.returncode == 0, f"{commands} failed:\n{proc.stdout}"
            output = proc.stdout
        else:
            printed = _normalized(output)
            for line in _normalized(step.body).splitlines():
                assert line in printed, f"the tutorial shows {line!r}; the run printed:\n{output}"
    # the rehearsal left the built files and their manifest in dist/, and made no tag
    assert (project / "dist" / "releasekit-manifest.json").is_file()
    tags = subprocess.run(
        ["git", "tag"], cwd=project, env=env, capture_output=True, text=True, check=True
    )
    assert tags.stdout == ""
