"""The one error family of releasekit.

Every *expected* failure (bad input, a refused release, an index that disagrees) raises a
:class:`ReleasekitError`. It carries a one-line ``message`` that says what is wrong, with the
values involved, and a ``hint`` that says what to do about it. Front ends render it: the CLI
prints it and exits non-zero without a traceback, a nox session passes it to
``session.error``, the hatch build hook lets it become the build failure text.

Anything else that escapes is a bug in releasekit and keeps its traceback.
"""

from __future__ import annotations

__all__ = [
    "BuildError",
    "CarrierError",
    "ChangelogError",
    "ConfigError",
    "ConfigProblems",
    "PublishError",
    "ReleasekitError",
    "SmokeError",
    "TagError",
    "VersionError",
]


class ReleasekitError(Exception):
    """An expected failure: ``message`` says what is wrong, ``hint`` what to do."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message, hint)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}\n  hint: {self.hint}"
        return self.message


class ConfigError(ReleasekitError):
    """``[tool.releasekit]`` (or a hook's table) holds a value releasekit cannot use."""


class ConfigProblems(ConfigError):
    """Several configuration problems, reported together so one run shows every typo.

    ``problems`` holds each one with its own message and hint; front ends print them one
    per line.
    """

    def __init__(self, problems: list[ConfigError]) -> None:
        self.problems = problems
        super().__init__(
            f"{len(problems)} configuration problems: "
            + "; ".join(problem.message for problem in problems),
            "fix each one (one per line above)",
        )

    def __str__(self) -> str:
        return "\n".join(str(problem) for problem in self.problems)


class VersionError(ReleasekitError):
    """A version is not PEP 440, or a bump would not move it forward."""


class TagError(ReleasekitError):
    """The release tag of this build is malformed, ambiguous or disagrees with the version."""


class CarrierError(ReleasekitError):
    """A file that should carry the version is missing, unreadable or disagrees."""


class ChangelogError(ReleasekitError):
    """The changelog has no section for the version being released."""


class BuildError(ReleasekitError):
    """Building or inspecting the distribution files failed."""


class PublishError(ReleasekitError):
    """An upload was refused, or an index does not serve what was built."""


class SmokeError(ReleasekitError):
    """The built distribution does not install, import or run."""
