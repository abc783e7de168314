"""Reading releasekit's TOML files and checking their values, shared by every table's reader.

:mod:`releasekit.core.config` (``[tool.releasekit]`` and the build hook's table),
:mod:`releasekit.core.tagprefix` and :mod:`releasekit.project.workspace` (a workspace's members)
read their tables with these, so a bad value is reported the same way in each: one
:class:`~releasekit.errors.ConfigError` naming the key and the value, with a hint, and all
of a table's problems at once (:class:`Problems`).

The hatch plugin imports this module in every build: standard library only. ``difflib``
(for a typo's hint) and ``tomllib`` are imported where they are used.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Callable, TypeVar

from releasekit.errors import ConfigError, ConfigProblems

__all__ = [
    "Problems",
    "load_pyproject",
    "load_toml",
    "optional_str",
    "reject_unknown",
    "require_table",
    "str_list",
    "unknown_key_error",
]

_T = TypeVar("_T")


class Problems:
    """Collects :class:`ConfigError` s so that one run reports all of them."""

    def __init__(self) -> None:
        self.found: list[ConfigError] = []

    def check(self, parse: Callable[..., _T], default: _T, *args: Any) -> _T:
        """``parse(*args)``, or ``default`` after recording its :class:`ConfigError`."""
        try:
            return parse(*args)
        except ConfigProblems as exc:
            self.found.extend(exc.problems)
        except ConfigError as exc:
            self.found.append(exc)
        return default

    def table(self, value: object, where: str) -> Mapping[str, Any]:
        """``value`` when it is a table; else the problem is recorded and ``{}`` returned."""
        if isinstance(value, Mapping):
            return value
        self.check(require_table, None, value, where)
        return {}

    def unknown(self, table: Mapping[str, Any], known: tuple[str, ...], where: str) -> None:
        """Record every key of ``table`` not in ``known``, each with the closest known key."""
        self.found.extend(unknown_key_error(key, known, where) for key in table if key not in known)

    def raise_any(self) -> None:
        """Raise what was found: one problem as itself, several as :class:`ConfigProblems`."""
        if len(self.found) == 1:
            raise self.found[0]
        if self.found:
            raise ConfigProblems(self.found)


def require_table(value: object, where: str) -> None:
    """A :class:`ConfigError` unless ``value`` is a table (``[section]`` or inline)."""
    if not isinstance(value, Mapping):
        raise ConfigError(
            f"{where} must be a table, not {type(value).__name__} {value!r}",
            f"write it as a [{where.replace('[', '').replace(']', '')}] section",
        )


def unknown_key_error(key: str, known: tuple[str, ...], where: str) -> ConfigError:
    """The error for ``key`` not in ``known``, suggesting the closest known key."""
    import difflib

    close = difflib.get_close_matches(key, known, n=1)
    hint = f"did you mean {close[0]!r}?" if close else f"known keys: {', '.join(known)}"
    return ConfigError(f"unknown key {key!r} in {where}", hint)


def reject_unknown(table: Mapping[str, Any], known: tuple[str, ...], where: str) -> None:
    """Every key not in ``known`` is an error; all of them are reported at once."""
    problems = Problems()
    problems.unknown(table, known, where)
    problems.raise_any()


def optional_str(table: Mapping[str, Any], key: str, where: str) -> str | None:
    """``table[key]`` when it is a string, ``None`` when it is absent; else an error."""
    value = table.get(key)
    if value is None or isinstance(value, str):
        return value
    raise ConfigError(
        f"{where} {key} must be a string, not {value!r}", f'write it as {key} = "..."'
    )


def str_list(value: object, where: str) -> tuple[str, ...]:
    """A list of strings; one string is a list of one (``commands = "make"``)."""
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise ConfigError(f"{where} must be a list of strings, not {value!r}", 'write ["...", "..."]')


def load_pyproject(root: Path | str) -> dict[str, Any]:
    """Parse ``root/pyproject.toml`` into plain dicts."""
    path = Path(root) / "pyproject.toml"
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"no pyproject.toml in {Path(root)}",
            "run releasekit from the project's root directory",
        ) from None
    except NotADirectoryError:  # root (-C X) is a file: not chmod's business
        raise ConfigError(
            f"{Path(root)} is a file, not a project directory",
            "point -C at the directory that holds pyproject.toml (or run releasekit there)",
        ) from None
    except IsADirectoryError:
        raise ConfigError(
            f"pyproject.toml in {Path(root)} is a directory, not a file",
            "move the directory away: releasekit reads pyproject.toml there",
        ) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path} is not UTF-8 text ({exc.reason} at byte {exc.start})",
            "save pyproject.toml as UTF-8",
        ) from None
    except OSError as exc:
        raise ConfigError(
            f"cannot read {path}: {exc.strerror or exc}",
            "make pyproject.toml readable (chmod u+r pyproject.toml)",
        ) from None
    from releasekit._compat import tomllib

    try:
        data: dict[str, Any] = tomllib.loads(text)
        return data
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}", "fix the syntax error") from None


def load_toml(path: Path) -> dict[str, Any]:
    """Parse the TOML file at ``path`` (a workspace's ``releasekit.toml``) into plain dicts."""
    from releasekit._compat import tomllib

    try:
        data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(
            f"cannot read {path}: {exc.strerror or exc}", "make it readable"
        ) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}", "fix the syntax error") from None
    return data
