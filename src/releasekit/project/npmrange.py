"""npm ranges: the subset of node-semver that workspace dependency ranges use.

Enough to decide what changesets decides with node-semver: whether a bumped member's new
version still satisfies a dependent's range (``^1.2.0``, ``~1.2``, ``>=1 <2``,
``1.x || 2.x``, ``1.2.3 - 1.4``, ``workspace:^``). A range this does not read (a tag, a
URL, ``file:``) is ``None``, and the dependency is left alone, as changesets leaves a range
it cannot parse. Written here rather than taken from a library: the Python ports of
node-semver differ from it on pre-releases and partial versions, and this is one page.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["comparator_sets", "effective_range", "is_any", "satisfies"]

_SEMVER = re.compile(
    r"^[v=]?\s*(?P<major>0|[1-9]\d*|[xX*])(?:\.(?P<minor>\d+|[xX*])(?:\.(?P<patch>\d+|[xX*])"
    r"(?:-(?P<pre>[0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?)?)?$"
)
_Ver = tuple[int, int, int, tuple[Any, ...]]


def _parse_semver(text: str) -> _Ver | None:
    match = _SEMVER.match(text.strip())
    if not match or any((match[k] or "x") in "xX*" for k in ("major", "minor", "patch")):
        return None
    pre = tuple(int(p) if p.isdigit() else p for p in match["pre"].split(".")) if match["pre"] \
        else ()  # fmt: skip
    return int(match["major"]), int(match["minor"]), int(match["patch"]), pre


def _key(v: _Ver) -> tuple[Any, ...]:
    """Sort key: a release sorts after its pre-releases; numeric identifiers before text."""
    pre = tuple((0, p, "") if isinstance(p, int) else (1, 0, p) for p in v[3])
    return (v[0], v[1], v[2], 1 if not v[3] else 0, pre)


_Comparator = tuple[str, _Ver]


def _x_range(op: str, text: str) -> list[_Comparator] | None:
    """The comparators of one term (``^1.2``, ``~1``, ``>=2.0.0``, ``1.x``), or None."""
    match = _SEMVER.match(text.strip())
    if not match:
        return None
    nums = [match[k] for k in ("major", "minor", "patch")]
    wild = [n is None or n in "xX*" for n in nums]
    ma, mi, pa = (0 if w else int(n or 0) for n, w in zip(nums, wild))
    pre = tuple(int(p) if p.isdigit() else p for p in match["pre"].split(".")) if match["pre"] \
        else ()  # fmt: skip
    low: _Ver = (ma, mi, pa, pre)
    if wild[0]:
        return [] if op in ("", "=", "^", "~", ">=", "<=") else None
    # the first version above a partial one: 1.x -> 2.0.0-0, 1.2.x -> 1.3.0-0
    above: _Ver | None = (
        (ma + 1, 0, 0, (0,)) if wild[1] else (ma, mi + 1, 0, (0,)) if wild[2] else None
    )
    if op in ("^", "~", "~>"):
        return [(">=", low), ("<", _caret(ma, mi, pa, wild) if op == "^" else above or
                                 (ma, mi + 1, 0, (0,)))]  # fmt: skip
    exact: dict[str, list[_Comparator]] = {
        "": [("=", low)], "=": [("=", low)], ">=": [(">=", low)], ">": [(">", low)],
        "<": [("<", low)], "<=": [("<=", low)],
    }  # fmt: skip
    if above is None:
        return exact.get(op)
    partial: dict[str, list[_Comparator]] = {
        "": [(">=", low), ("<", above)], "=": [(">=", low), ("<", above)],
        ">=": [(">=", low)], ">": [(">=", above)], "<": [("<", (ma, mi, pa, (0,)))],
        "<=": [("<", above)],
    }  # fmt: skip
    return partial.get(op)


def _caret(ma: int, mi: int, pa: int, wild: list[bool]) -> _Ver:
    """The exclusive top of ``^ma.mi.pa``: the next version that changes its first non-zero
    number (``^0.2.3`` stops at ``0.3.0``)."""
    if ma > 0 or wild[1]:
        return (ma + 1, 0, 0, (0,))
    if mi > 0 or wild[2]:
        return (0, mi + 1, 0, (0,))
    return (0, 0, pa + 1, (0,))


_TERM = re.compile(r"(>=|<=|~>|[<>=^~])?\s*([^\s<>=^~]+)")


def comparator_sets(text: str) -> list[list[_Comparator]] | None:
    sets = []
    for alternative in text.split("||"):
        alternative = alternative.strip()
        hyphen = re.fullmatch(r"(\S+)\s+-\s+(\S+)", alternative)
        if hyphen:
            low, high = _x_range(">=", hyphen[1]), _x_range("<=", hyphen[2])
            if low is None or high is None:
                return None
            sets.append(low + high)
            continue
        comparators: list[_Comparator] = []
        position = 0
        for term in _TERM.finditer(alternative):
            if alternative[position : term.start()].strip():
                return None
            position = term.end()
            found = _x_range(term[1] or "", term[2])
            if found is None:
                return None
            comparators += found
        if alternative[position:].strip():
            return None
        sets.append(comparators)
    return sets


def _test(v: _Ver, comparator: _Comparator) -> bool:
    op, bound = comparator
    a, b = _key(v), _key(bound)
    return {"=": a == b, ">=": a >= b, ">": a > b, "<": a < b, "<=": a <= b}[op]


def satisfies(version: str, text: str) -> bool | None:
    """Whether the semver ``version`` is in the npm range ``text`` (``^1.2.0``, ``~1.2``,
    ``>=1 <2``, ``1.x || 2.x``, ``1.2.3 - 1.4``); ``None`` when ``text`` is not a range
    this reads (a tag, a URL, ``file:``): such a dependency is left alone, as changesets
    leaves a range it cannot parse."""
    parsed = _parse_semver(version)
    sets = comparator_sets(text) if text.strip() else [[]]
    if parsed is None or sets is None:
        return None
    for comparators in sets:
        if not all(_test(parsed, c) for c in comparators):
            continue
        if parsed[3] and not any(c[1][:3] == parsed[:3] and c[1][3] and c[1][3] != (0,)
                                 for c in comparators):  # fmt: skip
            continue  # a pre-release matches only a range that names its own x.y.z-pre
        return True
    return False


def is_any(text: str) -> bool:
    sets = comparator_sets(text) if text.strip() else [[]]
    return sets is not None and sets == [[]]


def effective_range(text: str, old: str) -> str | None:
    """The range a ``workspace:`` dependency means (``workspace:^`` is ``^<old>``)."""
    if not text.startswith("workspace:"):
        return text
    rest = text[len("workspace:") :]
    if rest == "*":
        return old
    if rest in ("^", "~"):
        return rest + old
    return rest if comparator_sets(rest) is not None else None
