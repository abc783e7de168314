"""Version inputs that used to pass silently, write the wrong thing, or end in a traceback
(issue 17): absurdly long versions, a local version or a repeated part given to bump, version
files with a BOM and CRLF, whitespace around the value, and symlinks that lead out of the
repository. Pure logic and files in a tmp dir; the command line's side is in
tests/integration/test_bad_input_bump.py."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from releasekit.core.carriers import carrier_for, read_all, write_all
from releasekit.core.config import CarrierSpec, parse_config
from releasekit.core.version import (
    MAX_VERSION_LENGTH,
    bump,
    channel,
    normalize,
    parse_release_tag,
    try_normalize,
    version_from_tag,
)
from releasekit.errors import (
    CarrierError,
    ConfigError,
    ReleasekitError,
    TagError,
    VersionError,
)

LONG = "1" * 5000  # more digits than Python's int() takes from a string (4,300)


def test_a_long_version_is_one_clear_error_everywhere() -> None:
    assert try_normalize(LONG) is None
    assert try_normalize("1." + LONG) is None
    assert version_from_tag("v" + LONG, None) is None
    with pytest.raises(VersionError) as excinfo:
        normalize(LONG)
    assert excinfo.value.message == (
        "version '11111111111111111111'... (5000 characters) is too long to be a version "
        f"(at most {MAX_VERSION_LENGTH} characters)"
    )
    with pytest.raises(VersionError, match="too long to be a version"):
        channel(LONG)
    with pytest.raises(VersionError, match=r"current version '1{20}'\.\.\. \(5000 characters\)"):
        bump(LONG, "patch")
    with pytest.raises(VersionError) as excinfo:
        bump("1.0.0", LONG)
    assert excinfo.value.message.startswith("unknown bump part '11111111111111111111'... (5000 ")
    assert len(excinfo.value.message) < 200
    with pytest.raises(TagError) as tag_error:
        parse_release_tag("v" + LONG, None)
    assert len(tag_error.value.message) < 5000 + 100  # one line, a clear error, no traceback


def test_a_version_just_under_the_cap_still_parses() -> None:
    long_ok = "1." + "2" * (MAX_VERSION_LENGTH - 2)
    assert try_normalize(long_ok) == long_ok


def test_a_repeated_bump_part_is_refused() -> None:
    for part, named in (("major,major", "major"), ("minor,rc,rc", "rc"), ("a,alpha", "alpha")):
        with pytest.raises(VersionError) as excinfo:
            bump("1.2.3", part)
        assert excinfo.value.message == f"bump part {named!r} is given twice in {part!r}"
        assert "name each part once" in excinfo.value.hint
    assert bump("1.2.3", "minor,rc") == "1.3.0rc1"  # two different parts are fine


@pytest.mark.parametrize("part", ["1.3.0+local", "1.3.0+ubuntu.1", "minor,1.4.0+x"])
def test_a_local_version_is_refused(part: str) -> None:
    with pytest.raises(VersionError) as excinfo:
        bump("1.2.3", part, force=True)
    assert "a local version" in excinfo.value.message
    assert "that no package index accepts" in excinfo.value.message
    assert "bump to the public version" in excinfo.value.hint


def test_a_local_current_version_bumps_to_a_public_one() -> None:
    assert bump("1.2.3+local", "patch") == "1.2.4"


# --- version files ------------------------------------------------------------------------


def write_bytes(root: Path, rel: str, data: bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_a_bom_and_crlf_python_file_is_read_and_kept(tmp_path: Path) -> None:
    data = '\ufeff__version__ = "1.2.0"\r\n"""Windows."""\r\n'.encode()
    path = write_bytes(tmp_path, "src/demo/__init__.py", data)
    spec = CarrierSpec("src/demo/__init__.py")
    assert [r.version for r in read_all([spec], tmp_path)] == ["1.2.0"]
    write_all([spec], tmp_path, "1.3.0")
    assert path.read_bytes() == data.replace(b"1.2.0", b"1.3.0")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")


def test_a_bom_and_crlf_pattern_file_keeps_its_line_ends(tmp_path: Path) -> None:
    data = "\ufeffname: demo\r\nversion: 1.2.0\r\nother: x\r\n".encode()
    path = write_bytes(tmp_path, "meta.yml", data)
    spec = CarrierSpec("meta.yml", r"^version: (?P<version>.+)$")
    assert carrier_for(spec, tmp_path).raw() == "1.2.0"  # not "1.2.0\r"
    write_all([spec], tmp_path, "1.3.0rc1")
    assert path.read_bytes() == data.replace(b"1.2.0", b"1.3.0rc1")


def test_a_bom_and_crlf_package_json_is_kept(tmp_path: Path) -> None:
    data = '\ufeff{\r\n  "name": "demo",\r\n  "version": "1.2.0"\r\n}\r\n'.encode()
    path = write_bytes(tmp_path, "package.json", data)
    write_all([CarrierSpec("package.json")], tmp_path, "1.3.0")
    assert path.read_bytes() == data.replace(b"1.2.0", b"1.3.0")


@pytest.mark.parametrize(
    ("rel", "text", "raw"),
    [
        ("src/demo/__init__.py", '__version__ = "1.2.0 "\n', "1.2.0 "),
        ("src/demo/__init__.py", '__version__ = " 1.2.0"\n', " 1.2.0"),
        ("pyproject.toml", '[project]\nname = "demo"\nversion = "1.2.0\\t"\n', "1.2.0\t"),
        ("package.json", '{"version": "1.2.0 "}\n', "1.2.0 "),
    ],
)
def test_whitespace_around_the_version_is_refused(
    tmp_path: Path, rel: str, text: str, raw: str
) -> None:
    path = write_bytes(tmp_path, rel, text.encode())
    with pytest.raises(CarrierError) as excinfo:
        read_all([CarrierSpec(rel)], tmp_path)
    assert excinfo.value.message == f"{rel} has version {raw!r}, with whitespace around it"
    assert excinfo.value.hint == f"write {raw.strip()!r} into {rel}, without the spaces"
    assert path.read_text(encoding="utf-8") == text
    write_all([CarrierSpec(rel)], tmp_path, "1.3.0")  # hatch version 1.3.0: the whole value
    assert read_all([CarrierSpec(rel)], tmp_path)[0].raw == "1.3.0"


def test_a_long_version_in_a_file_is_one_clear_error(tmp_path: Path) -> None:
    write_bytes(tmp_path, "src/demo/__init__.py", f'__version__ = "{LONG}"\n'.encode())
    with pytest.raises(CarrierError) as excinfo:
        read_all([CarrierSpec("src/demo/__init__.py")], tmp_path)
    assert excinfo.value.message == (
        "src/demo/__init__.py has version '11111111111111111111'... (5000 characters), "
        "which is not a PEP 440 version"
    )


@pytest.mark.parametrize(
    ("rel", "link"),
    [
        ("src/demo/_version.py", "src/demo/_version.py"),  # the file is the symlink
        ("pyproject.toml", "pyproject.toml"),
        ("src/demo/__init__.py", "src/demo"),  # a directory on its way is
    ],
)
def test_a_symlink_out_of_the_repository_is_never_written(
    tmp_path: Path, rel: str, link: str
) -> None:
    repo, outside = tmp_path / "repo", tmp_path / "outside"
    (repo / ".git").mkdir(parents=True)
    inner = rel[len(link) :].lstrip("/")  # the part below a symlinked directory
    target = outside / (inner or "victim")
    text = (
        '[project]\nname = "demo"\nversion = "1.2.0"\n'
        if rel.endswith(".toml")
        else '__version__ = "1.2.0"\n'
    )
    write_bytes(target.parent, target.name, text.encode())
    (repo / link).parent.mkdir(parents=True, exist_ok=True)
    os.symlink(outside if inner else target, repo / link)
    spec = CarrierSpec(rel)
    assert read_all([spec], repo)[0].version == "1.2.0"  # reading is harmless
    with pytest.raises(CarrierError) as excinfo:
        write_all([spec], repo, "1.3.0")
    shown = (target if not inner else outside / inner).resolve().as_posix()
    assert excinfo.value.message == (
        f"version file {rel} leads to {shown} through a symlink, outside the git repository "
        f"({repo.as_posix()}); nothing was written"
    )
    assert "replace the symlink with the file itself" in excinfo.value.hint
    assert target.read_text(encoding="utf-8") == text


def test_a_symlink_inside_the_repository_is_written_through(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    shared = write_bytes(repo, "shared/version.py", b'__version__ = "1.2.0"\n')
    (repo / "src/demo").mkdir(parents=True)
    os.symlink("../../shared/version.py", repo / "src/demo/_version.py")
    write_all([CarrierSpec("src/demo/_version.py")], repo, "1.3.0")
    assert shared.read_text(encoding="utf-8") == '__version__ = "1.3.0"\n'


def test_a_project_reached_through_a_symlinked_directory_is_inside(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    path = write_bytes(repo, "src/demo/__init__.py", b'__version__ = "1.2.0"\n')
    os.symlink(repo, tmp_path / "alias")
    write_all([CarrierSpec("src/demo/__init__.py")], tmp_path / "alias", "1.3.0")
    assert path.read_text(encoding="utf-8") == '__version__ = "1.3.0"\n'


def test_errors_are_releasekit_errors() -> None:
    assert issubclass(CarrierError, ReleasekitError)


@pytest.mark.parametrize(
    ("prefix", "reason"),
    [
        ("rel ease-", "it contains ' '"),
        ("../", "it contains '..'"),
        ("-v", "git tag reads a name starting with '-' as an option"),
        (".v", "a path component starts with '.'"),
        ("x.lock/", "a path component ends with '.lock'"),
        ("a//", "it has an empty path component ('/' at the start or '//')"),
        ("v~", "it contains '~'"),
        ("v@{", "it contains '@{'"),
    ],
)
def test_a_tag_prefix_git_refuses_is_a_config_error(
    tmp_path: Path, prefix: str, reason: str
) -> None:
    pyproject = {"tool": {"releasekit": {"tag-prefix": prefix}}}
    with pytest.raises(ConfigError) as excinfo:
        parse_config(pyproject, tmp_path)
    assert excinfo.value.message == (
        f"[tool.releasekit] tag-prefix {prefix!r} cannot start a git tag name ({reason})"
    )
    assert "git check-ref-format refuses such tags" in excinfo.value.hint


@pytest.mark.parametrize("prefix", ["", "v", "V", "api-v", "release/", "hatch-v", "py_v", "@"])
def test_a_tag_prefix_git_takes_is_kept(tmp_path: Path, prefix: str) -> None:
    pyproject = {"tool": {"releasekit": {"tag-prefix": prefix}}}
    assert parse_config(pyproject, tmp_path).tag_prefix == prefix
