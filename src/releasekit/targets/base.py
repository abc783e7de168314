"""The interface every place a release goes implements: a :class:`Target`.

A target is one destination of one project's release: a PyPI-style index (``test``,
``prod``), an npm registry, a GitHub release. The release engine (the plan, the policy, the
journal, the summary, the playbook, ``yank`` and the sessions) knows targets only through
this interface, so a new destination is one new module and one line in
:data:`releasekit.targets.REGISTRY`, and no code outside a target's own module compares a
target's name.

The life of a target in a release, in the order the engine calls it:

1. :meth:`Target.configure` makes the targets of one project from its settings (none, when
   the project does not go there); in a rehearsal :meth:`Target.stand_in` swaps each for
   its local stand-in;
2. :meth:`Target.read` is the plan's one read of what the target holds for this version,
   by digest, and :meth:`Target.credentials` says whether an upload there can
   authenticate (the plan turns both into refusals before anything is uploaded anywhere);
3. :meth:`Target.publish` sends what is missing, journaling each file the moment it
   lands, then waits until the target serves every file with the built digest;
4. :meth:`Target.install_source` names where an installer fetches the version from, so the
   package's kind can prove it installs from there;
5. :meth:`Target.withdraw` (``releasekit yank``) withdraws a version as far as the target
   allows it.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, ClassVar

from releasekit.engine.records import FileOutcome, PublishRecord
from releasekit.engine.remote import RemoteView, Stage, TargetState
from releasekit.runtime.credentials import Credentials

if TYPE_CHECKING:
    from releasekit.engine.journal import Journal
    from releasekit.engine.manifest import Manifest
    from releasekit.engine.plan import TargetPlan
    from releasekit.engine.runcontext import Project
    from releasekit.engine.status import Observed

__all__ = [
    "Credentials",
    "PublishRun",
    "Published",
    "RemoteView",
    "Stage",
    "Target",
    "TargetState",
]


@dataclass(frozen=True)
class Published:
    """What :meth:`Target.publish` did: one line for the summary, and each file's outcome."""

    result: str
    files: tuple[FileOutcome, ...] = ()
    url: str | None = None
    # the target serves what was sent (False: it waits for a human, e.g. a staged npm
    # version awaiting approval; nothing can be installed from it yet)
    served: bool = True

    def record(self, target: Target) -> PublishRecord:
        return PublishRecord(target.name, self.result, self.url or target.url, self.files)


@dataclass(frozen=True)
class PublishRun:
    """What a target's :meth:`~Target.publish` may use of the release that runs it."""

    log: Callable[[str], None]
    journal: Journal
    dry_run: bool
    rehearse: bool
    confirm: Callable[[str], None]  # asks before a real upload; raises when the answer is no
    tools: Callable[[], list[str]]  # the tools venv's interpreter (twine), made on first use


class Target(abc.ABC):
    """One destination of one project's release. Subclasses set the attributes in
    ``__init__`` and implement the abstract methods; the engine never looks further."""

    name: str  # in logs, the plan and the record file: "test", "prod", "npm", "github"
    stage: Stage
    url: str  # where it is read from; journal lines are keyed by it
    publish_url: str  # where it is written
    noun: ClassVar[str] = "index"  # the summary's column: "index", "registry", "github"
    verb: ClassVar[str] = "uploaded"  # what the summary says of a file sent there
    # ``releasekit yank`` without ``--reason``: a target that cannot withdraw without one
    # says so here ("{members}" is filled in), before anything is withdrawn anywhere
    empty_reason: ClassVar[str | None] = None
    # one per release tag, not per package (a GitHub release): members that share a tag
    # (tag-prefix set alike in their entries) cannot each have one
    per_tag: ClassVar[bool] = False

    @classmethod
    @abc.abstractmethod
    def configure(cls, project: Project, *, withdrawing: bool = False) -> list[Target]:
        """The targets of this kind that ``project`` goes to (none, often); ``withdrawing``:
        for ``releasekit yank``, which may reach a target a release would not write."""

    @classmethod
    def absent(cls, project: Project) -> str | None:
        """Why ``project`` has no target of this kind, where a user would expect one."""
        return None

    @classmethod
    def warm_up(cls, project: Project) -> str | None:
        """``check`` of a rehearsal: start this kind's stand-ins while the build runs; the
        line to log, if any."""
        return None

    def stand_in(self, project: Project, log: Callable[[str], None]) -> Target:
        """The local stand-in for this target in a rehearsal (started on first use)."""
        return self

    def preview(self, name: str, version: str) -> str | None:
        """``check``: one line on what the target holds of ``version`` now, if it says."""
        return None

    @abc.abstractmethod
    def read(self, manifest: Manifest) -> TargetState:
        """What the target holds for ``manifest``'s version, by digest: the plan's one read.

        Raises a :class:`~releasekit.errors.ReleasekitError` when it cannot tell: the plan
        makes that a refusal."""

    def observe(self, name: str, version: str, manifest: Manifest | None) -> Observed:
        """``releasekit status``: what the target holds of ``version`` of ``name`` (``manifest``:
        the build of it in ``dist/``, when there is one), read-only and, where the target
        serves reads anonymously, without credentials. Raises a
        :class:`~releasekit.errors.ReleasekitError` when it cannot tell. By default the
        plan's :meth:`read`, which needs the build."""
        from releasekit.engine.status import Observed
        from releasekit.errors import ReleasekitError

        if manifest is None:
            raise ReleasekitError(
                f"{self.name} is read for a build: dist/ holds none of {version}",
                "build the version first (nox -s build at its tag)",
            )
        state = self.read(manifest)
        return Observed(files=state.files, state=state.status)

    @abc.abstractmethod
    def credentials(self) -> Credentials:
        """Whether an upload here can authenticate; the hint when it cannot."""

    # How many projects one plan may create on this target, its users' limit per day (PyPI's
    # new-project rate limit); ``None``: no such limit. Checked across a workspace's plans.
    new_projects_per_day: int | None = None

    def preflight(
        self, dist_dir: Path, manifest: Manifest, uploads: Sequence[str]
    ) -> tuple[tuple[str, str], ...]:
        """What this target would refuse of the files it is to be sent (``uploads``, in
        ``dist_dir``), checked locally before anything is uploaded anywhere: (message, hint)
        pairs, each naming the file, the target's rule and the fix. The plan makes each one a
        refusal. The rules are the target kind's (PyPI's for an index), not the package's."""
        return ()

    def prestart(
        self, manifest: Manifest, dist_dir: Path, uploads: Sequence[str], run: PublishRun
    ) -> None:
        """Start what the coming :meth:`publish` of ``uploads`` needs (a process's imports)
        while the release does other work; nothing may be sent before :meth:`publish`."""
        return None

    @abc.abstractmethod
    def publish(
        self, manifest: Manifest, dist_dir: Path, planned: TargetPlan, run: PublishRun
    ) -> Published | None:
        """Send ``planned.uploads``, journal each file as it lands, then wait until the
        target serves every built file with its digest. ``None`` for a dry run."""

    def install_source(self) -> str | None:
        """Where an installer fetches the published version from (an index's simple API, a
        registry), or ``None`` when nothing installs from here."""
        return None

    @abc.abstractmethod
    def withdraw(
        self, name: str, version: str, reason: str, echo: Callable[[str], None]
    ) -> tuple[str, str] | None:
        """Withdraw ``version`` as far as this target can, or say where a human does it
        (through ``echo``). ``None`` when that is done; else what is missing and the hint
        (e.g. no token), which fails ``yank`` when no target did anything."""
