"""Where a value is in a JSON text: the span an edit in place replaces.

package.json and friends are edited in place, never re-dumped, so every other byte (the
project's indentation, key order, trailing newline) stays as written: npm keeps a
package.json's own layout too. Standard library only: the hook's light core uses it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

__all__ = ["json_value_span"]

_JSON_STRING_RE = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_JSON_SPACE = " \t\r\n\ufeff"


def json_value_span(text: str, keys: Sequence[str]) -> tuple[int, int] | None:
    """Where the value at the key path ``keys`` (``["dependencies", "a"]``) is in the JSON
    ``text``, quotes or brackets included: what an edit in place replaces, every other byte
    as written (npm keeps a package.json's own layout too). None when a key on the path is
    missing or a value on the way is no object; ``[]``: the whole document.

    With a key given twice in one object the last counts, at every level, as ``JSON.parse``
    (npm) and :func:`json.loads` take it. Strings are whole tokens, so brackets in them do
    not count. A :class:`ValueError` ("not JSON") when the text is not JSON.
    """
    start = _skip_space(text, 0)
    span = (start, _value_end(text, start))
    for key in keys:
        if not text.startswith("{", span[0]):
            return None
        found = None
        for name, member in _members(text, span[0]):
            if name == key:
                found = member  # the last one wins
        if found is None:
            return None
        span = found
    return span


def _members(text: str, start: int) -> list[tuple[str, tuple[int, int]]]:
    """The keys and value spans of the JSON object at ``text[start]`` (``{``), in order."""
    members = []
    pos = _skip_space(text, start + 1)
    while not text.startswith("}", pos):
        token = _JSON_STRING_RE.match(text, pos)
        colon = _skip_space(text, token.end()) if token is not None else pos
        if token is None or not text.startswith(":", colon):
            raise ValueError(f"not JSON: no key at offset {pos}")
        value = _skip_space(text, colon + 1)
        end = _value_end(text, value)
        members.append((json.loads(token.group()), (value, end)))
        pos = _skip_space(text, end)
        if text.startswith(",", pos):
            pos = _skip_space(text, pos + 1)
        elif not text.startswith("}", pos):
            raise ValueError(f"not JSON: no , or }} at offset {pos}")
    return members


_JSON_SCALAR_RE = re.compile(r"[^\s,\]}]+")


def _value_end(text: str, pos: int) -> int:
    """Where the JSON value that starts at ``pos`` ends."""
    if text.startswith('"', pos):
        token = _JSON_STRING_RE.match(text, pos)
        if token is None:
            raise ValueError(f"not JSON: an unterminated string at offset {pos}")
        return token.end()
    if text.startswith(("{", "["), pos):
        depth = 0
        while pos < len(text):
            char = text[pos]
            if char == '"':
                pos = _value_end(text, pos)
                continue
            if char in "{[":
                depth += 1
            elif char in "}]":
                depth -= 1
                if depth == 0:
                    return pos + 1
            pos += 1
        raise ValueError("not JSON: an object or array is not closed")
    scalar = _JSON_SCALAR_RE.match(text, pos)
    if scalar is None:
        raise ValueError(f"not JSON: no value at offset {pos}")
    return scalar.end()


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in _JSON_SPACE:
        pos += 1
    return pos
