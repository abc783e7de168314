"""Where a version may go: the release policy, as pure functions.

One place decides, for each target, whether this build is published there, skipped by
policy, or refused, from values only: the target's stage (test, prod, after prod), the
version, whether the build has a release tag, whether this is a rehearsal, the
``pre-release`` setting. A target's name never enters into it. The plan
(:mod:`releasekit.engine.plan`) applies it before anything irreversible happens, and the tests
need no git, network or venv.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from releasekit.core.version import Channel, channel, tag_for
from releasekit.engine.remote import Stage

__all__ = ["Decision", "Verdict", "decide"]


class Verdict(str, enum.Enum):
    PUBLISH = "publish"
    SKIP = "skip"  # not an error: the policy sends this version elsewhere
    REFUSE = "refuse"  # an error: the release must not go on


@dataclass(frozen=True)
class Decision:
    """What the policy says about one stage, and why (for the plan's output)."""

    verdict: Verdict
    reason: str = ""
    hint: str = ""


def decide(
    stage: Stage,
    version: str,
    *,
    tagged: bool,
    rehearse: bool,
    pre_release: str,
    tag_prefix: str | None = None,
) -> Decision:
    """The policy for ``version`` on a target of ``stage``.

    - a local version (``+...``) goes nowhere: every public index rejects it;
    - the test stage takes everything else: trying a build there is what it is for;
    - prod and after prod (an npm registry, which has no test registry; a GitHub release)
      refuse an untagged build and a dev version, unless rehearsing (the stand-ins are
      local and the tag that would be made is checked instead);
    - a pre-release skips them under ``pre-release = "test-only"``.
    """
    kind = channel(version)
    if kind is Channel.LOCAL:
        return Decision(
            Verdict.REFUSE,
            f"{version} is a local version (+...), which every public index rejects",
            "build from a clean checkout of the release tag (a version from git tags is "
            "then the tag's: tag the commit first); to try it before, `-- --rehearse`",
        )
    if stage is Stage.TEST:
        return Decision(Verdict.PUBLISH)
    if kind is Channel.PRE and pre_release == "test-only":
        return Decision(Verdict.SKIP, f'{version} is a pre-release and pre-release = "test-only"')
    if rehearse:
        return Decision(Verdict.PUBLISH)
    if not tagged:
        return Decision(
            Verdict.REFUSE,
            f"{version} has no release tag: prod only takes tagged builds",
            f"tag the commit (`git tag {tag_for(version, tag_prefix)}`) and run again; to try "
            "the test index first run `nox -s publish-test`, or rehearse with `-- --rehearse`",
        )
    if kind is Channel.DEV:
        return Decision(
            Verdict.REFUSE,
            f"{version} is a dev version: prod takes final and pre-release versions",
            "release a final or pre-release version; dev builds belong on the test index",
        )
    return Decision(Verdict.PUBLISH)
