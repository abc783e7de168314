"""A release target that lives in memory: the plan, the engine and ``yank`` tested without
servers, and the proof that a new kind of target is one module and one registry line.

:class:`FakeTarget` follows the :class:`~releasekit.targets.base.Target` interface to the
letter: it holds files by name with their sha256, journals each one as it lands, can be told
to fail at a given point, and records every call, so a test asserts what the engine asked
of it and in which order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from releasekit.engine.records import FileOutcome
from releasekit.errors import PublishError, ReleasekitError
from releasekit.runtime.credentials import Credentials
from releasekit.targets.base import Published, PublishRun, RemoteView, Stage, Target, TargetState

if TYPE_CHECKING:
    from releasekit.engine.manifest import Manifest
    from releasekit.engine.plan import TargetPlan
    from releasekit.engine.runcontext import Project


@dataclass
class Store:
    """What a fake target holds, and what the test makes it do."""

    files: dict[str, str] = field(default_factory=dict)  # filename -> sha256
    calls: list[str] = field(default_factory=list)
    fail_read: ReleasekitError | None = None
    fail_after: int | None = None  # publish raises after this many files landed
    withdrawn: list[tuple[str, str]] = field(default_factory=list)


class FakeTarget(Target):
    """An in-memory destination. Configure one per test with :meth:`make`."""

    noun = "fake"

    def __init__(
        self,
        name: str,
        stage: Stage,
        store: Store,
        *,
        url: str | None = None,
        credentials: bool = True,
    ) -> None:
        self.name = name
        self.stage = stage
        self.store = store
        self.url = url or f"fake://{name}"
        self.publish_url = self.url + "/upload"
        self.has_credentials = credentials

    # the targets FakeTarget.configure returns: set by a test (see registered())
    configured: Sequence[FakeTarget] = ()

    @classmethod
    def configure(cls, project: Project, *, withdrawing: bool = False) -> list[Target]:
        return list(cls.configured)

    def read(self, manifest: Manifest) -> TargetState:
        self.store.calls.append(f"read {self.name}")
        if self.store.fail_read is not None:
            raise self.store.fail_read
        return TargetState(files={n: RemoteView(s) for n, s in self.store.files.items()})

    def credentials(self) -> Credentials:
        if self.has_credentials:
            return Credentials(True, how="fake")
        return Credentials(False, hint=f"set FAKE_{self.name.upper()}_TOKEN")

    def publish(
        self, manifest: Manifest, dist_dir: Path, planned: TargetPlan, run: PublishRun
    ) -> Published | None:
        self.store.calls.append(f"publish {self.name}")
        if run.dry_run:
            run.log(f"dry run: would send {len(planned.uploads)} file(s) to {self.name}")
            return None
        outcomes = []
        for item in manifest.files:
            if item.filename in planned.uploads:
                if (
                    self.store.fail_after is not None
                    and len(self.store.files) >= self.store.fail_after
                ):
                    raise PublishError(f"{self.name} broke after {self.store.fail_after}", "rerun")
                self.store.files[item.filename] = item.sha256
                run.journal.record(
                    "upload", self.name, item.filename, item.sha256, url=self.url,
                    version=manifest.version,
                )  # fmt: skip
                outcomes.append(FileOutcome(item.filename, item.sha256, "uploaded"))
            else:
                outcomes.append(FileOutcome(item.filename, item.sha256, "already identical"))
        sent = sum(1 for o in outcomes if o.outcome == "uploaded")
        return Published(f"{sent} uploaded", tuple(outcomes), self.url)

    def withdraw(
        self, name: str, version: str, reason: str, echo: Callable[[str], None]
    ) -> tuple[str, str] | None:
        self.store.withdrawn.append((version, reason))
        echo(f"  {self.name}: withdrew {name} {version}")
        return None


class FakeConsole:
    """A :class:`~releasekit.engine.runcontext.Console` that keeps what it was told, the
    commands it was asked to run and the questions asked, and answers them as told."""

    def __init__(self, answer: bool | None = None) -> None:
        self.lines: list[str] = []
        self.answer = answer
        self.asked: list[str] = []

    def log(self, message: str) -> None:
        self.lines.append(message)

    def warn(self, message: str) -> None:
        self.lines.append(f"warning: {message}")

    def run(self, argv: Sequence[str], *, cwd: Path) -> None:
        self.lines.append(f"$ {' '.join(argv)}")

    def ask(self, question: str) -> bool | None:
        self.asked.append(question)
        return self.answer

    @property
    def text(self) -> str:
        return "\n".join(self.lines)
