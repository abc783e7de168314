"""Unit tests of the next version of a project whose version comes from git tags.

Pure: the last release tag, the changelog's top section and ``--next-version`` in, the
version and the one-line reason out (:func:`releasekit.core.version.next_version`); and
which plugins are recognized, with the variable that pretends a version for each
(:mod:`releasekit.project.vcsversion`); and that the changelog check of a guessed version
(a patch bump) only warns, with a fake console.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from releasekit.core.config import load_pyproject, validate_project
from releasekit.core.version import NextVersion, next_version
from releasekit.engine.runcontext import Options, Project
from releasekit.errors import ChangelogError, VersionError
from releasekit.kinds import kind_of
from releasekit.project.changelog import top_version
from releasekit.project.vcsversion import set_version_hint, vcs_source
from releasekit.release import Release
from tests.helpers.fake_targets import FakeConsole

LAST = ("v1.2.0", "1.2.0")


@pytest.mark.parametrize(
    ("last", "top", "requested", "expected"),
    [
        # nothing given: the changelog's top section when it is newer than the last tag
        (LAST, "1.3.0", None, NextVersion(
            "1.3.0", "the changelog's top section names 1.3.0, newer than the last release "
            "tag v1.2.0",
        )),
        # ... else a patch bump of the last tag, flagged as a guess
        (LAST, "1.2.0", None, NextVersion(
            "1.2.1", "a patch bump of the last release tag v1.2.0; the changelog's top section "
            "names 1.2.0; --next-version chooses another", guessed=True,
        )),
        (LAST, None, None, NextVersion(
            "1.2.1", "a patch bump of the last release tag v1.2.0; --next-version chooses "
            "another", guessed=True,
        )),
        # an older section on top (a backport branch's notes) is not the next release
        (LAST, "1.1.5", None, NextVersion(
            "1.2.1", "a patch bump of the last release tag v1.2.0; the changelog's top section "
            "names 1.1.5; --next-version chooses another", guessed=True,
        )),
        # the first release: only the changelog can say
        (None, "0.1.0", None, NextVersion("0.1.0", "the changelog's top section names 0.1.0")),
        # given: a version (normalized), or a part bumped from the last tag
        (LAST, "1.3.0", "2.0.0-rc.1", NextVersion(
            "2.0.0rc1", "given with --next-version 2.0.0-rc.1"
        )),
        (LAST, None, "minor", NextVersion("1.3.0", "--next-version minor: a minor bump of v1.2.0")),
        (LAST, None, "major", NextVersion("2.0.0", "--next-version major: a major bump of v1.2.0")),
        (None, None, "0.1.0", NextVersion("0.1.0", "given with --next-version 0.1.0")),
    ],
)  # fmt: skip
def test_next_version(
    last: tuple[str, str] | None, top: str | None, requested: str | None, expected: NextVersion
) -> None:
    assert next_version(last, top, requested) == expected


@pytest.mark.parametrize(
    ("last", "top", "requested", "message", "hint"),
    [
        (None, None, None, "no release tag yet and no changelog section naming the first "
         "version: cannot tell which version the next tag releases",
         "give it: -- --next-version 1.2.3 (or major, minor, patch)"),
        (LAST, None, "1.2.0", "--next-version 1.2.0: the last release tag v1.2.0 already "
         "released 1.2.0", "give a version later than 1.2.0"),
        (LAST, None, "1.1.9", "--next-version 1.1.9: the last release tag v1.2.0 already "
         "released 1.2.0", "give a version later than 1.2.0"),
        (None, None, "minor", "--next-version minor: there is no release tag to bump",
         "give the version itself: -- --next-version 0.1.0"),
        (LAST, None, "banana", "unknown bump part 'banana' in 'banana': not a part name and "
         "not a version", "use one of"),
    ],
)  # fmt: skip
def test_what_cannot_be_the_next_version_is_said(
    last: tuple[str, str] | None, top: str | None, requested: str | None, message: str, hint: str
) -> None:
    with pytest.raises(VersionError) as exc:
        next_version(last, top, requested)
    assert exc.value.message == message
    assert exc.value.hint.startswith(hint)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("# Changelog\n\n## Unreleased\n\n- x\n\n## [1.3.0] - 2026-12-01\n\n## 1.2.0\n", "1.3.0"),
        ("Changes\n=======\n\n1.3.0 (2026-12-01)\n------------------\n\n- x\n", "1.3.0"),
        ("# Changelog\n\n## Unreleased\n\n- nothing released yet\n", None),
        ("# Changelog\n\n## v2.0.0-rc.1\n", "2.0.0rc1"),
    ],
)
def test_the_changelogs_top_version(text: str, expected: str | None) -> None:
    assert top_version(text) == expected


HATCHLING = {"build-system": {"requires": ["hatchling", "hatch-vcs"],
                              "build-backend": "hatchling.build"}}  # fmt: skip
DYNAMIC = {"project": {"name": "demo", "dynamic": ["version"]}}


@pytest.mark.parametrize(
    ("pyproject", "plugin", "variable"),
    [
        ({**HATCHLING, **DYNAMIC, "tool": {"hatch": {"version": {"source": "vcs"}}}},
         "hatch-vcs", "SETUPTOOLS_SCM_PRETEND_VERSION_FOR_MY_PKG SETUPTOOLS_SCM_PRETEND_VERSION"),
        ({"build-system": {"requires": ["setuptools>=64", "setuptools-scm>=8"],
                           "build-backend": "setuptools.build_meta"}, **DYNAMIC},
         "setuptools-scm", "SETUPTOOLS_SCM_PRETEND_VERSION_FOR_MY_PKG"),
        ({"build-system": {"requires": ["setuptools"], "build-backend": "setuptools.build_meta"},
          **DYNAMIC, "tool": {"setuptools_scm": {}}},
         "setuptools-scm", "SETUPTOOLS_SCM_PRETEND_VERSION_FOR_MY_PKG"),
        ({"build-system": {"requires": ["pdm-backend"], "build-backend": "pdm.backend"},
          **DYNAMIC, "tool": {"pdm": {"version": {"source": "scm"}}}},
         "pdm-backend (scm)", "PDM_BUILD_SCM_VERSION"),
        ({"build-system": {"requires": ["poetry-core", "poetry-dynamic-versioning"],
                           "build-backend": "poetry_dynamic_versioning.backend"},
          "tool": {"poetry-dynamic-versioning": {"enable": True}}},
         "poetry-dynamic-versioning", "POETRY_DYNAMIC_VERSIONING_BYPASS"),
    ],
)  # fmt: skip
def test_version_plugins_and_their_pretend_variable(
    pyproject: dict[str, object], plugin: str, variable: str
) -> None:
    source = vcs_source(pyproject)
    assert source is not None and source.plugin == plugin
    assert source.pretend_env("my.pkg", "1.3.0") == dict.fromkeys(variable.split(), "1.3.0")


@pytest.mark.parametrize(
    "pyproject",
    [
        # a static version: the tag must match it, no plugin computes it
        {**HATCHLING, "project": {"name": "demo", "version": "1.0"},
         "tool": {"hatch": {"version": {"source": "vcs"}}}},
        {**HATCHLING, **DYNAMIC, "tool": {"hatch": {"version": {"source": "releasekit"}}}},
        {**HATCHLING, **DYNAMIC, "tool": {"hatch": {"version": {"path": "src/demo/__init__.py"}}}},
        {"build-system": {"requires": ["setuptools"], "build-backend": "setuptools.build_meta"},
         **DYNAMIC},
        {"build-system": {"requires": ["pdm-backend"], "build-backend": "pdm.backend"},
         **DYNAMIC, "tool": {"pdm": {"version": {"source": "file", "path": "v.py"}}}},
    ],
)  # fmt: skip
def test_versions_that_do_not_come_from_git_tags(pyproject: dict[str, object]) -> None:
    assert vcs_source(pyproject) is None


def test_the_hint_speaks_the_version_source() -> None:
    source = vcs_source({**HATCHLING, **DYNAMIC, "tool": {"hatch": {"version": {"source": "vcs"}}}})
    assert set_version_hint(source, "1.3.0", "") == (
        "the version comes from git tags (hatch-vcs): tag the commit: git tag 1.3.0"
    )
    assert set_version_hint(source, "1.3.0", None).endswith("git tag v1.3.0")
    assert set_version_hint(source, "1.3.0", "api-v").endswith("git tag api-v1.3.0")
    assert "hatch version" not in set_version_hint(source, "1.3.0", None)
    assert "releasekit bump" not in set_version_hint(source, "1.3.0", None)
    assert set_version_hint(None, "1.3.0", None) == (
        "set the version to 1.3.0 (`releasekit bump 1.3.0` or `hatch version 1.3.0`)"
    )


def test_a_guessed_next_version_without_notes_is_a_warning(tmp_path: Path) -> None:
    """pluggy (towncrier): the notes of the next release are written when it is cut, so a
    rehearsal of a guessed version warns about the missing section; a version given or read
    from the changelog still needs it."""
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "demo"\ndynamic = ["version"]\n')
    (tmp_path / "CHANGELOG.md").write_text("# Changelog\n\n## 1.2.0\n\n- Old.\n")
    config = validate_project(load_pyproject(tmp_path), tmp_path)
    console = FakeConsole()
    options = Options(rehearse=True)
    guessed = NextVersion("1.2.1", "a patch bump of the last release tag v1.2.0", guessed=True)
    project = Project(config, "demo", tmp_path / "dist", kind_of("python"), options)
    project.next_version = guessed
    release = Release(console, options, [project])

    release._check_changelog(project, "1.2.1")
    assert console.lines == [
        f"warning: changelog {tmp_path / 'CHANGELOG.md'} has no section for 1.2.1: the release "
        "at its tag will need one"
    ]

    project.next_version = guessed._replace(reason="given with --next-version 1.2.1", guessed=False)
    with pytest.raises(ChangelogError):
        release._check_changelog(project, "1.2.1")
