"""Quoting why a command failed: the line that says it, not the output's last line.

A Node program's last line is Node's version (``Node.js v20.20.2``) after the stack; pnpm's
may be ``For help, run: pnpm help pack`` or a warning printed after the error; a ``--json``
error ends with a brace. :func:`run_explained` runs a command as :func:`proc.run` does and,
when it fails, quotes the line an ``explain`` function finds: :func:`thrown` for what a Node
program threw, :func:`failure_line` for pnpm's and yarn's own errors.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import Any

from releasekit.errors import ReleasekitError
from releasekit.runtime import proc

__all__ = ["failure_line", "run_explained", "thrown"]


def run_explained(
    argv: Sequence[str],
    *,
    what: str,
    error: type[ReleasekitError],
    hint: str,
    explain: Callable[[str], tuple[str, str] | None],
    log: proc.Log,
    **kwargs: Any,
) -> str:
    """:func:`proc.run`, whose failure quotes the line ``explain`` finds in the output (the
    real error) instead of the output's last line, which is often a tool's epilogue
    (``Node.js v20.20.2``, a closing brace)."""
    seen: list[str] = []

    def keep(line: str) -> None:
        seen.append(line)
        log(line)

    try:
        return proc.run(list(argv), what=what, error=error, hint=hint, log=keep, **kwargs)
    except error as failure:
        found = explain("\n".join(seen[1:]))  # [0] is the command line
        if found is None:
            raise
        line, better = found
        raise error(f"{what} failed: {line}", better or failure.hint) from None


_THROWN = re.compile(r"^(?:Uncaught )?(?:[A-Z][\w$]*)?(?:Error|Exception)(?: \[[\w]+\])?: \S.*$")


def thrown(output: str) -> str | None:
    """The first ``...Error: message`` line in a Node program's output: what was thrown
    (``ReferenceError: define is not defined``), where its last line is Node's version or a
    package manager's epilogue."""
    return next((ln.strip() for ln in output.splitlines() if _THROWN.match(ln.strip())), None)


def failure_line(output: str) -> str | None:
    """The line that says why a pack failed: pnpm's ``ERR_PNPM_...`` and its message (also
    from its ``--json`` error object), yarn's ``YN0000: ...`` error line, or ``None``."""
    decoder = json.JSONDecoder()
    for match in re.finditer(r"(?m)^\{", output):
        try:
            value, _ = decoder.raw_decode(output, match.start())
        except ValueError:
            continue
        error = value.get("error") if isinstance(value, dict) else None
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            code = error.get("code")
            return f"{code} {error['message']}" if isinstance(code, str) else error["message"]
    for line in output.splitlines():
        text = line.strip()
        if re.match(r"^(ERR_PNPM_\w+|ERROR)\s", text):  # pnpm: " ERROR  Unknown option"
            return re.sub(r"\s+", " ", text)
        if re.match(r"^(➤ )?YN\d{4}: .*(Error|error|failed|not)", text):
            return text.removeprefix("➤ ")
    return None
