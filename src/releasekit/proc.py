"""Running the tools releasekit drives (build, twine, pip, uv, pypiserver).

One place that runs a command and turns a failure into a :class:`ReleasekitError` whose
message ends with the tool's last line of output, which is nearly always the line that says
what went wrong. Credentials reach tools through ``env`` only: nothing here ever puts them
on a command line, and :func:`redact` scrubs them out of any output that is shown.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Callable

from releasekit.errors import ReleasekitError

__all__ = ["Log", "redact", "run"]

Log = Callable[[str], None]


def _no_log(_: str) -> None:
    pass


def redact(text: str, secrets: Iterable[str]) -> str:
    """Replace every secret in ``text`` by ``***``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def run(
    args: Sequence[str | os.PathLike[str]],
    *,
    what: str,
    error: type[ReleasekitError] = ReleasekitError,
    hint: str = "",
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    log: Log = _no_log,
    secrets: Iterable[str] = (),
) -> str:
    """Run ``args``, return its combined output; raise ``error`` naming ``what`` on failure.

    ``env`` is added to the current environment. Output is logged (redacted) only when the
    command fails, so a passing step stays quiet.
    """
    argv = [os.fspath(a) for a in args]
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    secrets = tuple(secrets)
    log(redact(f"$ {shlex.join(argv)}", secrets))
    try:
        proc = subprocess.run(
            argv,
            cwd=cwd,
            env=full_env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            check=False,
        )
    except FileNotFoundError:
        raise error(f"{what} failed: {argv[0]} not found", hint or "install it first") from None
    output = redact(proc.stdout, secrets)
    if proc.returncode != 0:
        log(output.rstrip())
        last = next((line.strip() for line in reversed(output.splitlines()) if line.strip()), "")
        detail = f": {last}" if last else ""
        raise error(f"{what} failed (exit {proc.returncode}){detail}", hint)
    return output
