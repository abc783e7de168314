"""What "nothing changed" and "one clear line" mean, for bad-input tests outside
``tests/integration/test_bad_input.py`` (a test module does not import another).

- :func:`snapshot` / :func:`assert_unchanged`: every path under a root but ``.nox/``, a
  file's bytes and mtime, compared before and after the command;
- :func:`assert_reported`: the message is one line with the given prefix, and the next line
  is its hint.
"""

from __future__ import annotations

from pathlib import Path

Snapshot = dict[str, "tuple[bytes, int] | None"]


def snapshot(root: Path) -> Snapshot:
    """Every path under ``root`` but ``.nox/``: a file's bytes and mtime, a directory's presence."""
    found: Snapshot = {}
    if not root.exists():
        return found
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if rel.parts[0] == ".nox":
            continue
        if path.is_dir() and not path.is_symlink():
            found[rel.as_posix()] = None
        else:
            found[rel.as_posix()] = (path.read_bytes(), path.lstat().st_mtime_ns)
    return found


def assert_unchanged(before: Snapshot, after: Snapshot) -> None:
    added = sorted(after.keys() - before.keys())
    removed = sorted(before.keys() - after.keys())
    changed = sorted(k for k in before.keys() & after.keys() if before[k] != after[k])
    assert (added, removed, changed) == ([], [], []), "the project tree changed"


def assert_reported(text: str, message: str, hint: str, *, prefix: str = "releasekit: ") -> None:
    """``message`` is in a line that starts with ``prefix``, and the next line is its hint."""
    lines = text.splitlines()
    for number, line in enumerate(lines):
        if line.startswith(prefix) and message in line:
            following = lines[number + 1] if number + 1 < len(lines) else ""
            assert following.startswith("  hint: "), (line, following)
            assert hint in following, (hint, following)
            return
    raise AssertionError(f"no {prefix!r} line with {message!r} in:\n{text}")
