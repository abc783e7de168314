"""What a Python that will run a wheel accepts: its wheel tags and its marker environment.

An installer on the *target* interpreter picks the wheel whose tag it ranks first, and
selects a wheel's dependencies by that interpreter's PEP 508 markers, not by those of the
Python running releasekit (a ``python_version < "3.11"`` dependency matters on 3.9 only).
smoke-install and the publish steps ask these questions of the target Python itself, by
running a standard-library script there (:mod:`releasekit._child`), once per interpreter
and process; the answers are compared here with ``packaging``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol, TypeVar

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from releasekit import _child
from releasekit.errors import SmokeError
from releasekit.runtime import proc, venvs

__all__ = [
    "dependencies",
    "install_set",
    "interpreter_tags",
    "marker_environment",
    "markers",
    "pick_wheel",
]


class _Named(Protocol):
    @property
    def filename(self) -> str: ...


_NamedT = TypeVar("_NamedT", bound=_Named)

_tags_cache: dict[str, list[str]] = {}
_markers_cache: dict[str, dict[str, str]] = {}


def interpreter_tags(python: str | None) -> list[str]:
    """The wheel tags ``python`` accepts, most preferred first (what an installer ranks by).

    ``packaging`` is pure Python, so the copy releasekit runs with is put on the target
    interpreter's path for this one question; the target needs nothing installed. Asked
    once per interpreter and process (smoke-install and each publish step ask again).
    """
    key = python or ""
    if key not in _tags_cache:
        _tags_cache[key] = _interpreter_tags(python)
    return list(_tags_cache[key])


def _interpreter_tags(python: str | None) -> list[str]:
    import packaging

    interpreter = venvs.find_python(python) if python else sys.executable
    where = str(Path(packaging.__file__).resolve().parent.parent)
    output = proc.run(
        [interpreter, "-I", _child.TAGS, where],
        what=f"reading the wheel tags of {python or 'the running Python'}",
        error=SmokeError,
        hint="check that it is a working Python >= 3.9",
    )
    for line in reversed(output.splitlines()):
        if line.startswith("["):
            return [str(tag) for tag in json.loads(line)]
    raise SmokeError(f"{interpreter} printed no wheel tags", "check that it is a working Python")


def pick_wheel(wheels: Sequence[_NamedT], tags: Sequence[str]) -> _NamedT | None:
    """The wheel an installer on an interpreter with ``tags`` would take, or ``None``.

    Pure and ranked as pip and uv rank: the wheel whose best tag comes earliest in the
    interpreter's list wins (a cp312 manylinux wheel over a py3-none-any one on 3.12).
    """
    from packaging.utils import parse_wheel_filename

    rank = {tag: position for position, tag in enumerate(tags)}
    best: tuple[int, _NamedT] | None = None
    for wheel in wheels:
        _, _, _, wheel_tags = parse_wheel_filename(wheel.filename)
        positions = [rank[str(tag)] for tag in wheel_tags if str(tag) in rank]
        if positions and (best is None or min(positions) < best[0]):
            best = (min(positions), wheel)
    return best[1] if best else None


def marker_environment(python: Path) -> dict[str, str]:
    """The PEP 508 marker environment of the interpreter at ``python``.

    Dependencies are selected by the markers of the Python that will run them, not of the
    Python running releasekit: a ``python_version < "3.11"`` dependency matters on 3.9 only.
    """
    output = proc.run(
        [python, "-I", _child.MARKERS],
        what=f"reading the marker environment of {python}",
        error=SmokeError,
        hint="the smoke venv's interpreter does not run: recreate it",
    )
    for line in reversed(output.splitlines()):
        if line.startswith("{"):
            try:
                data = json.loads(line)
            except ValueError:
                break
            return {str(key): str(value) for key, value in data.items()}
    raise SmokeError(
        f"{python} printed no marker environment (got {output.strip()[-200:]!r})",
        "check that it is a working Python >= 3.9",
    )


def markers(venv: venvs.Venv, python: str | None) -> dict[str, str]:
    """The marker environment of ``venv``: that of the Python it was made from, which a
    venv shares. Asked once per Python and process; the running Python answers in-process
    (the same values its venv's interpreter would print)."""
    key = python or ""
    if key not in _markers_cache:
        if python is None:
            from packaging.markers import default_environment

            found = {str(k): str(v) for k, v in default_environment().items()}
        else:
            found = marker_environment(venv.python)
        _markers_cache[key] = found
    return dict(_markers_cache[key])


def dependencies(
    requires_dist: Sequence[str], extras: Sequence[str], env: Mapping[str, str]
) -> list[str]:
    """The ``Requires-Dist`` entries to install for ``extras`` on the Python described by ``env``.

    An entry counts when its marker is true with no extra or with one of ``extras`` (names
    compared PEP 685-normalized). Each is returned without its marker, because the marker
    was evaluated here against the *target* interpreter; duplicates are dropped.
    """
    wanted = ["", *(canonicalize_name(extra) for extra in extras)]
    selected: list[str] = []
    for entry in requires_dist:
        try:
            requirement = Requirement(entry)
        except InvalidRequirement as exc:
            raise SmokeError(
                f"the wheel's Requires-Dist entry {entry!r} is not a valid requirement: {exc}",
                "fix [project] dependencies in pyproject.toml",
            ) from None
        marker = requirement.marker
        if marker is not None:
            if not any(marker.evaluate({**env, "extra": extra}) for extra in wanted):
                continue
            requirement.marker = None
        text = str(requirement)
        if text not in selected:
            selected.append(text)
    return selected


def install_set(
    requires_dist: Sequence[str], extras: Sequence[str], env: Mapping[str, str], name: str
) -> list[str]:
    """:func:`dependencies`, with self-references (``demo[cli]; extra == "all"``) expanded.

    A project's own name must never be installed from an index: that would replace the
    wheel under test with whatever the index serves. Its extras are followed instead.
    """
    own = canonicalize_name(name)
    wanted: set[str] = {canonicalize_name(extra) for extra in extras}
    while True:
        selected: list[str] = []
        more: set[str] = set()
        for text in dependencies(requires_dist, sorted(wanted), env):
            requirement = Requirement(text)
            if canonicalize_name(requirement.name) == own:
                more |= {canonicalize_name(extra) for extra in requirement.extras}
            else:
                selected.append(text)
        if more <= wanted:
            return selected
        wanted |= more
