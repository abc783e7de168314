"""PyPI's upload rules for one file, checked locally: what Warehouse would refuse, before upload.

Each rule mirrors one in Warehouse's upload code (pypi/warehouse, ``warehouse/forklift/
legacy.py`` ``file_upload`` and its helpers, ``warehouse/forklift/metadata.py``
``_validate_metadata``), cited where it is ported. Two processes use this one module: the
plan's preflight (every file a PyPI-style target would receive, before any upload) and the
rehearsal's strict index (a front around pypiserver, in pypiserver's own virtualenv). So it
imports only the standard library and ``packaging`` at module level, nothing from releasekit,
and runs on Python 3.9+: the index loads it by file path::

    spec = importlib.util.spec_from_file_location("releasekit_pypi_rules", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module   # before exec_module: dataclasses looks the module up
    spec.loader.exec_module(module)

What is not checked here, because it is not a property of the file: a filename once used
and deleted, files already present, the 14-day window for new files, the project's status
(PEP 792), the new-project rate limit, a raised per-project size limit. Those need what the
index says and live with the callers (the window's and the rate limit's numbers are here,
``NEW_FILES_WINDOW_DAYS`` and ``PROJECT_CREATE_LIMITS``, so that both hold PyPI's). Not
ported: the YARA scan, the ZIP framing check, the e-mail validation of Author-email
(email-validator) and entry-point validation.
"""

from __future__ import annotations

import email.parser
import email.utils
import os
import posixpath
import re
import tarfile
import urllib.parse
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import packaging.metadata
import packaging.utils
import packaging.version
from packaging.requirements import InvalidRequirement, Requirement

__all__ = [
    "MAX_FILE_SIZE",
    "NEW_FILES_WINDOW_DAYS",
    "NEW_PROJECTS_PER_DAY",
    "PROJECT_CREATE_LIMITS",
    "SUPPORTED_METADATA_VERSIONS",
    "Violation",
    "check_any_index",
    "check_file",
    "read_metadata",
]

# warehouse/constants.py: MAX_FILESIZE = 100 * ONE_MIB (a project's default upload limit;
# PyPI's admins raise it per project on request).
ONE_MIB = 1024 * 1024
MAX_FILE_SIZE = 100 * ONE_MIB

# warehouse/forklift/legacy.py: MAXIMUM_AGE_FOR_NEW_UPLOADS_DAYS (no new files for a release
# first uploaded longer ago). Not a rule of the file: the plan's read of the index and the
# strict index apply it.
NEW_FILES_WINDOW_DAYS = 14

# PyPI's new-project rate limit: 4 new projects per user in 24 hours, a moving window, as its
# upload answers say (``Ratelimit-Policy: project.create.user;q=4;w=86400``,
# pypi/warehouse#20164). Warehouse's code default (warehouse/config.py
# PROJECT_CREATE_USER_RATELIMIT_STRING, "20 per hour") is not what pypi.org runs. Counted by
# the plan over a run's members (IndexTarget) and applied by the strict index.
NEW_PROJECTS_PER_DAY = 4
PROJECT_CREATE_LIMITS: tuple[tuple[str, int, int], ...] = (("user", NEW_PROJECTS_PER_DAY, 86400),)

# warehouse/forklift/legacy.py: COMPRESSION_RATIO_MIN_SIZE, COMPRESSION_RATIO_THRESHOLD
# (_is_valid_dist_file: a zip that unpacks to more than 64 MiB at over 50x is a zip bomb).
COMPRESSION_RATIO_MIN_SIZE = 64 * ONE_MIB
COMPRESSION_RATIO_THRESHOLD = 50

# warehouse/forklift/metadata.py: SUPPORTED_METADATA_VERSIONS (packaging may know newer
# ones; PyPI takes only these).
SUPPORTED_METADATA_VERSIONS = frozenset({"1.0", "1.1", "1.2", "2.1", "2.2", "2.3", "2.4", "2.5"})

# warehouse/forklift/metadata.py: DYNAMIC_FIELDS (what Dynamic: may name).
_DYNAMIC_FIELDS = frozenset(
    field.lower()
    for field in (
        "Platform Supported-Platform Summary Description Description-Content-Type Keywords"
        " Home-Page Download-Url Author Author-Email Maintainer Maintainer-Email License"
        " License-Expression License-File Classifier Requires-Dist Requires-Python"
        " Requires-External Project-Url Provides-Extra Provides-Dist Obsoletes-Dist"
        " Requires Provides Obsoletes Import-Name Import-Namespace"
    ).split()
)

# warehouse/forklift/metadata.py: _LENGTH_LIMITS
_SUMMARY_LIMIT = 512

# --- wheel platform tags: warehouse/forklift/legacy.py, _valid_platform_tag and the sets
# and regexes above it (_allowed_platforms, _macosx_*, _ios_*, _android_*, _linux_*,
# _pyemscripten_platform_re). A tag outside these (linux_x86_64, pyodide_*, ...) is refused.
_ALLOWED_PLATFORMS = frozenset(
    {
        "any",
        "win32",
        "win_arm64",
        "win_amd64",
        "win_ia64",
        "manylinux1_x86_64",
        "manylinux1_i686",
        "manylinux2010_x86_64",
        "manylinux2010_i686",
        "manylinux2014_x86_64",
        "manylinux2014_i686",
        "manylinux2014_aarch64",
        "manylinux2014_armv7l",
        "manylinux2014_ppc64",
        "manylinux2014_ppc64le",
        "manylinux2014_s390x",
        "linux_armv6l",
        "linux_armv7l",
    }
)
_MACOSX_RE = re.compile(r"macosx_(?P<major>\d+)_(?P<minor>\d+)_(?P<arch>.*)")
_MACOSX_ARCHES = frozenset(
    {
        "ppc",
        "ppc64",
        "i386",
        "x86_64",
        "arm64",
        "intel",
        "fat",
        "fat3",
        "fat64",
        "universal",
        "universal2",
    }
)
_MACOSX_MAJOR_VERSIONS = frozenset({"11", "12", "13", "14", "15", "26"})
_IOS_RE = re.compile(r"ios_(\d+)_(\d+)_(?P<arch>.*)_(iphoneos|iphonesimulator)")
_IOS_ARCHES = frozenset({"arm64", "x86_64"})
_ANDROID_RE = re.compile(r"android_(\d+)_(?P<arch>.*)")
_ANDROID_ARCHES = frozenset({"armeabi_v7a", "arm64_v8a", "x86", "x86_64"})
_LINUX_RE = re.compile(r"(?P<libc>(many|musl))linux_(\d+)_(\d+)_(?P<arch>.*)")
_JOINTLINUX_ARCHES = frozenset(
    {"x86_64", "i686", "aarch64", "armv7l", "ppc64le", "s390x", "riscv64"}
)
_MANYLINUX_ARCHES = _JOINTLINUX_ARCHES | {"ppc64"}
_MUSLLINUX_ARCHES = _JOINTLINUX_ARCHES
_PYEMSCRIPTEN_RE = re.compile(r"pyemscripten_(?P<major>\d+)_(?P<minor>\d+)_wasm32")

# warehouse/forklift/legacy.py: _dist_file_re and forms.py _filetype_extension_mapping
_DIST_FILE_RE = re.compile(r".+?(?P<extension>\.(tar\.gz|zip|whl))$", re.IGNORECASE)

_PLATFORM_HINT = (
    "build manylinux/musllinux wheels (cibuildwheel, or `auditwheel repair` on this wheel), "
    "or upload the sdist without it"
)


@dataclass(frozen=True)
class Violation:
    """One reason PyPI would refuse one file: the rule, the file, PyPI's words, the fix."""

    # "filename", "platform-tag", "metadata", "metadata-version", "classifier" (one PyPI does
    # not know), "deprecated-classifier", "size", "readme"
    rule: str
    filename: str
    message: str
    hint: str


def valid_platform_tag(platform_tag: str) -> bool:
    """Whether PyPI takes a wheel with this platform tag (legacy.py ``_valid_platform_tag``)."""
    if platform_tag in _ALLOWED_PLATFORMS:
        return True
    m = _MACOSX_RE.match(platform_tag)
    # macosx_10_{minor} for the 10.x series, macosx_{major}_0 after it
    if m and m.group("major") == "10" and m.group("arch") in _MACOSX_ARCHES:
        return True
    if (
        m
        and m.group("major") in _MACOSX_MAJOR_VERSIONS
        and m.group("minor") == "0"
        and m.group("arch") in _MACOSX_ARCHES
    ):
        return True
    m = _LINUX_RE.match(platform_tag)
    if m and m.group("libc") == "musl":
        return m.group("arch") in _MUSLLINUX_ARCHES
    if m and m.group("libc") == "many":
        return m.group("arch") in _MANYLINUX_ARCHES
    m = _IOS_RE.match(platform_tag)
    if m and m.group("arch") in _IOS_ARCHES:
        return True
    m = _ANDROID_RE.match(platform_tag)
    if m and m.group("arch") in _ANDROID_ARCHES:
        return True
    return bool(_PYEMSCRIPTEN_RE.match(platform_tag))


def check_file(
    path: Path,
    *,
    size_limit: int = MAX_FILE_SIZE,
    render_readme: Callable[[str, str | None], str | None] | None = None,
) -> list[Violation]:
    """Every rule PyPI applies to this one file that needs nothing but the file.

    ``render_readme(description, content_type)`` returns None when the description renders,
    else the reason (the index passes readme_renderer's; releasekit's own route leaves it
    out, because ``twine check`` renders the README on the same route). An empty list: PyPI
    would take the file, as far as the file alone can say.
    """
    path = Path(path)
    name = path.name
    found = _check_name(name)
    if found:
        return found  # warehouse stops at the filename: nothing else is read
    found += _check_size(path, size_limit)
    is_wheel = name.lower().endswith(".whl")
    meta_bytes, archive_found = read_metadata(path)
    found += archive_found
    if meta_bytes is None:
        return found
    meta, meta_found = _parse_metadata(name, meta_bytes)
    found += meta_found
    if meta is None:
        return found
    found += _check_classifiers(name, meta)
    if is_wheel:
        found += _check_wheel_name(name, meta)
    else:
        found += _check_sdist_name(name, meta)
    if render_readme is not None:
        found += _check_readme(name, meta, render_readme)
    return found


def check_any_index(path: Path, project: str, version: str) -> list[Violation]:
    """What any index needs of a file, PyPI or not (``pypi-rules = false``): a wheel's or an
    sdist's name that says ``project`` and ``version`` (PEP 503 names, PEP 440 versions
    compared as such), and core metadata inside that says the same (twine reads it to send
    the upload's form, and the index files the upload under it). Nothing of PyPI's policy:
    platform tags, classifiers, Metadata-Version, the normalized spelling of the name (PEP
    625), local versions, size. The plan's preflight and the strict index both apply it."""
    path = Path(path)
    name = path.name
    hint = "publish only this project's wheels and sdist of this version (see --dist)"
    try:
        if name.endswith(".whl"):
            file_name, file_version = packaging.utils.parse_wheel_filename(name)[:2]
        elif name.endswith((".tar.gz", ".zip")):
            file_name, file_version = packaging.utils.parse_sdist_filename(name)
        else:
            return [_v("filename", name, f"{name}: not a wheel (.whl) or an sdist (.tar.gz)", hint)]
    except (packaging.utils.InvalidWheelFilename, packaging.utils.InvalidSdistFilename) as exc:
        return [_v("filename", name, f"{name}: not a distribution's file name ({exc})", hint)]
    wanted = (packaging.utils.canonicalize_name(project), _as_version(version))
    if (packaging.utils.canonicalize_name(file_name), file_version) != wanted:
        return [
            _v(
                "filename",
                name,
                f"{name}: named as {file_name} {file_version}, not {project} {version}",
                hint,
            )
        ]
    meta, unreadable = read_metadata(path)
    if meta is None:
        why = "; ".join(v.message.rstrip(".") for v in unreadable) or "no core metadata"
        return [
            _v(
                "metadata",
                name,
                f"{name}: holds no core metadata where installers read it (a wheel's "
                f".dist-info/METADATA, an sdist's PKG-INFO): {why}",
                "rebuild it with a standard build backend (python -m build)",
            )
        ]
    headers = email.parser.HeaderParser().parsestr(meta.decode("utf-8", "replace"))
    meta_name, meta_version = str(headers.get("Name", "")), str(headers.get("Version", ""))
    if (packaging.utils.canonicalize_name(meta_name), _as_version(meta_version)) != wanted:
        return [
            _v(
                "metadata",
                name,
                f"{name}: its metadata says {meta_name or '?'} {meta_version or '?'}, "
                f"not {project} {version}",
                "rebuild it: its name and its metadata disagree",
            )
        ]
    return []


def _as_version(text: str) -> packaging.version.Version | str:
    """A PEP 440 version, compared as such; the text itself when it is none."""
    try:
        return packaging.version.Version(text)
    except packaging.version.InvalidVersion:
        return text


def read_metadata(path: Path) -> tuple[bytes | None, list[Violation]]:
    """The core metadata of a wheel (``{name}-{version}.dist-info/METADATA``) or an sdist
    (its one top directory's ``PKG-INFO``) found where Warehouse looks for it; else
    ``None`` and what is wrong with the archive."""
    path = Path(path)
    lower = path.name.lower()
    if lower.endswith(".whl"):
        reader, what = _read_wheel, "a zip"
    elif lower.endswith(".zip"):
        reader, what = _read_zip_sdist, "a zip"
    else:
        reader, what = _read_sdist, "a gzipped tar"
    try:
        return reader(path)
    except _DAMAGED as exc:  # is_zipfile/is_tarfile read the directory, not every member
        return None, [_bad_archive(path.name, f"cannot be read as {what} ({exc})")]


# What a damaged archive raises while a member is read: a CRC or a header that does not
# match (BadZipFile), deflate data that is not (zlib.error), a truncated stream (EOFError),
# a member the directory names and the file lacks (KeyError), gzip's and tar's own errors.
_DAMAGED = (zipfile.BadZipFile, zlib.error, KeyError, EOFError, tarfile.TarError, OSError)


def _v(rule: str, filename: str, message: str, hint: str) -> Violation:
    return Violation(rule, filename, message, hint)


def _check_name(name: str) -> list[Violation]:
    """legacy.py ``_validate_filename``: printable, no separators, a known extension."""
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        return [
            _v(
                "filename",
                name,
                "Cannot upload a file with non-printable characters (ordinals 0-31) "
                "or the DEL character (ordinal 127) in the name.",
                "rename the file as the build backend names it",
            )
        ]
    if "/" in name or "\\" in name:
        return [
            _v(
                "filename",
                name,
                "Cannot upload a file with '/' or '\\' in the name.",
                "rename the file",
            )
        ]
    if not _DIST_FILE_RE.match(name):
        return [
            _v(
                "filename",
                name,
                f"Invalid file extension in {name!r}: Use .tar.gz, .whl or .zip extension.",
                "publish only sdists (.tar.gz) and wheels (.whl); see PEP 527 and PEP 715",
            )
        ]
    return []


def _check_size(path: Path, size_limit: int) -> list[Violation]:
    """legacy.py ``file_upload``: "File too large" past the project's upload limit."""
    size = path.stat().st_size
    if size <= size_limit:
        return []
    return [
        _v(
            "size",
            path.name,
            f"File too large: {path.name} is {size} bytes; the limit is {_size_text(size_limit)}.",
            "make the file smaller (leave data, tests or debug symbols out of it), or ask "
            "PyPI for a larger file size limit for the project (docs.pypi.org, "
            "project-management/storage-limits) before the release",
        )
    ]


def _size_text(limit: int) -> str:
    return f"{limit // ONE_MIB} MB" if limit >= ONE_MIB else f"{limit} bytes"


def _bad_archive(name: str, message: str) -> Violation:
    return _v(
        "metadata",
        name,
        f"Invalid distribution file {name}: {message}.",
        "rebuild it with a standard build backend (python -m build)",
    )


def _read_wheel(path: Path) -> tuple[bytes | None, list[Violation]]:
    """legacy.py ``_is_valid_dist_file`` (zip part) and ``file_upload``'s wheel checks:
    a zip with only stored/deflated members, no zip bomb, WHEEL, RECORD and METADATA in
    ``{name}-{version}.dist-info`` as the filename spells them."""
    name = path.name
    if not zipfile.is_zipfile(path):
        return None, [_bad_archive(name, "File is not a zipfile")]
    parts = name.split("-", 2)
    if len(parts) < 3:
        return None, [_bad_archive(name, "Unable to parse name and version from wheel filename")]
    info_dir = f"{parts[0]}-{parts[1]}.dist-info"
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
        found = _zip_bomb(path, infos)
        if any(i.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) for i in infos):
            found.append(_bad_archive(name, "File does not use a supported compression type"))
        names = set(zf.namelist())
        for member in ("WHEEL", "RECORD", "METADATA"):
            if f"{info_dir}/{member}" not in names:
                found.append(_bad_archive(name, f"{member} not found at {info_dir}/{member}"))
        if found:
            return None, found
        return zf.read(f"{info_dir}/METADATA"), []


def _zip_bomb(path: Path, infos: list[zipfile.ZipInfo]) -> list[Violation]:
    compressed = max(path.stat().st_size, 1)
    unpacked = sum(i.file_size for i in infos)
    if (
        unpacked > COMPRESSION_RATIO_MIN_SIZE
        and unpacked / compressed > COMPRESSION_RATIO_THRESHOLD
    ):
        return [
            _v(
                "size",
                path.name,
                f"File exceeds compression ratio of {COMPRESSION_RATIO_THRESHOLD} "
                f"({unpacked}/{compressed}).",
                "leave the highly compressible data out of the wheel",
            )
        ]
    return []


def _read_sdist(path: Path) -> tuple[bytes | None, list[Violation]]:
    """legacy.py ``_is_valid_dist_file``: one top-level directory holding PKG-INFO, no
    sparse members."""
    name = path.name
    if not tarfile.is_tarfile(path):
        return None, [_bad_archive(name, "File is not a tarfile")]
    with tarfile.open(path, "r:gz") as tar:
        members = tar.getmembers()
        if any(m.issparse() for m in members):
            return None, [
                _bad_archive(name, "tar archive not accepted: Sparse members are not allowed")
            ]
        top = _commonpath([m.name for m in members])
        if top in (".", "/", ""):
            return None, [_bad_archive(name, "Incorrect number of top-level directories in sdist")]
        target = posixpath.join(top, "PKG-INFO")
        try:
            fileobj = tar.extractfile(target)
        except KeyError:
            fileobj = None
        if fileobj is None:
            return None, [_bad_archive(name, f"PKG-INFO not found at {target}")]
        return fileobj.read(), []


def _read_zip_sdist(path: Path) -> tuple[bytes | None, list[Violation]]:
    """A ``.zip`` sdist, read as legacy.py reads one; refused by the PEP 625 name rule later."""
    name = path.name
    if not zipfile.is_zipfile(path):
        return None, [_bad_archive(name, "File is not a zipfile")]
    with zipfile.ZipFile(path) as zf:
        top = _commonpath(zf.namelist())
        if top in (".", "/", ""):
            return None, [_bad_archive(name, "Incorrect number of top-level directories in sdist")]
        target = posixpath.join(top, "PKG-INFO")
        try:
            return zf.read(target), []
        except KeyError:
            return None, [_bad_archive(name, f"PKG-INFO not found at {target}")]


def _commonpath(values: list[str]) -> str:
    """legacy.py ``_commonpath``: os.path.commonpath that takes an empty list."""
    if not values:
        return ""
    try:
        return os.path.commonpath(values)
    except ValueError:  # absolute and relative names mixed
        return ""


def _email_name(field: str) -> str:
    mapping: dict[str, str] = getattr(packaging.metadata, "_RAW_TO_EMAIL_MAPPING", {})
    return mapping.get(field, field)


def _parse_metadata(
    name: str, content: bytes
) -> tuple[packaging.metadata.Metadata | None, list[Violation]]:
    """metadata.py ``parse`` and ``_validate_metadata``: packaging.metadata's validation,
    then PyPI's own rules on top (Metadata-Version, local versions, lengths, URLs, ...).

    twine sends the fields it knows as form data and warehouse parses them with
    ``parse_form_metadata``: fields packaging does not know are skipped, a known field
    whose value cannot be parsed (two Name: headers) is an error."""
    raw, unparsed = packaging.metadata.parse_email(content)
    # twine (package.py, PackageFile.from_filename) drops License-File below Metadata-Version
    # 2.4 (setuptools wrote it with 2.1) before it sends the form: PyPI never sees it.
    if _older_than_2_4(raw.get("metadata_version")):
        raw.pop("license_files", None)
        unparsed.pop("license-file", None)
    known = set(getattr(packaging.metadata, "_EMAIL_TO_RAW_MAPPING", {}))
    bad_fields = sorted(k for k in unparsed if k.lower() in known)
    if bad_fields:
        return None, [
            _meta(name, f"{k!r} has invalid data in the core metadata.") for k in bad_fields
        ]
    version = raw.get("metadata_version")
    if version not in SUPPORTED_METADATA_VERSIONS:
        return None, [
            _v(
                "metadata-version",
                name,
                f"{version!r} is not a valid metadata version "
                f"(PyPI takes {', '.join(sorted(SUPPORTED_METADATA_VERSIONS))}).",
                "build with a backend release whose Metadata-Version PyPI takes (pin it in "
                "[build-system] requires), or upgrade twine/the backend if it wrote an old one",
            )
        ]
    try:
        meta = packaging.metadata.Metadata.from_raw(raw, validate=True)
    except Exception as group:  # ExceptionGroup (packaging backports it for Python < 3.11)
        errors = getattr(group, "exceptions", None)
        if errors is None:
            raise
        return None, [_meta(name, _metadata_error_text(e)) for e in errors]
    return meta, [_meta(name, text) for text in _pypi_metadata_rules(meta)]


def _older_than_2_4(metadata_version: str | None) -> bool:
    try:
        return packaging.version.Version(metadata_version or "0") < packaging.version.Version("2.4")
    except packaging.version.InvalidVersion:
        return False


def _meta(name: str, message: str) -> Violation:
    return _v(
        "metadata",
        name,
        f"{name}: {message}",
        "fix the field in pyproject.toml ([project]) and rebuild; see "
        "https://packaging.python.org/specifications/core-metadata",
    )


def _metadata_error_text(error: BaseException) -> str:
    text = str(error)
    return text if text.endswith(".") else text + "."


def _pypi_metadata_rules(meta: packaging.metadata.Metadata) -> list[str]:
    """metadata.py ``_validate_metadata``: the rules PyPI adds to packaging's (the
    classifier rules are in ``_check_classifiers``; e-mail validation is not ported)."""
    errors: list[str] = []
    if meta.version.local:
        errors.append(f"The use of local versions in '{meta.version}' is not allowed.")
    if meta.summary is not None and len(meta.summary) > _SUMMARY_LIMIT:
        errors.append(f"'Summary' field must be {_SUMMARY_LIMIT} characters or less.")
    errors += _url_errors(meta)
    errors += _dist_field_errors(meta)
    for key in meta.dynamic or []:
        if key.lower() not in _DYNAMIC_FIELDS:
            errors.append(f"Dynamic field {key!r} is not a valid dynamic field.")
    if meta.license and meta.license_expression:
        errors.append(
            "License is deprecated when License-Expression is present. "
            "Only License-Expression should be present."
        )
    for field in ("author_email", "maintainer_email"):
        value = getattr(meta, field)
        if value is not None:
            _, address = email.utils.parseaddr(value)
            if address and "@" not in address:
                errors.append(f"{address!r} is not a valid email address ({_email_name(field)}).")
    return errors


def _url_errors(meta: packaging.metadata.Metadata) -> list[str]:
    """metadata.py: Home-page, Download-URL and every Project-URL are http(s) URLs; a
    Project-URL label is 1 to 32 characters."""
    errors: list[str] = []
    for field in ("home_page", "download_url"):
        url = getattr(meta, field)
        if url is not None and not _is_valid_uri(url):
            errors.append(f"{url!r} is not a valid url ({_email_name(field)}).")
    for label, url in (meta.project_urls or {}).items():
        if not label:
            errors.append("Project-URL: Must have a label.")
        elif len(label) > 32:
            errors.append(f"Project-URL: {label!r} must be 32 characters or less.")
        elif not url:
            errors.append(f"Project-URL {label!r}: Must have a URL.")
        elif not _is_valid_uri(url):
            errors.append(f"Project-URL {label!r}: {url!r} is not a valid url.")
    return errors


def _dist_field_errors(meta: packaging.metadata.Metadata) -> list[str]:
    """metadata.py: Provides-Dist/Obsoletes-Dist parse as requirements; no direct URLs."""
    errors: list[str] = []
    for field in ("provides_dist", "obsoletes_dist"):
        for req_str in getattr(meta, field, None) or []:
            try:
                req = Requirement(str(req_str))
            except InvalidRequirement as exc:
                errors.append(f"{_email_name(field)}: {req_str!r} is invalid: {exc}")
                continue
            if req.url is not None:
                errors.append(f"{_email_name(field)}: Can't have direct dependency: {req_str!r}")
    for req in meta.requires_dist or []:
        if req.url is not None:
            errors.append(f"Requires-Dist: Can't have direct dependency: {req}")
    return errors


def _is_valid_uri(uri: str) -> bool:
    """warehouse/utils/http.py ``is_valid_uri(require_authority=False)``, approximated with
    urllib: an http or https scheme is required."""
    try:
        parsed = urllib.parse.urlsplit(uri.strip())
    except ValueError:
        return False
    return parsed.scheme.lower() in ("http", "https")


def _check_classifiers(name: str, meta: packaging.metadata.Metadata) -> list[Violation]:
    """metadata.py ``_validate_metadata``: every classifier is in trove-classifiers, and
    none is deprecated (the hint names its replacement)."""
    classifiers = set(meta.classifiers or [])
    if not classifiers:
        return []
    # Imported here: the module must load where trove-classifiers is not installed.
    from trove_classifiers import all_classifiers, deprecated_classifiers

    found = [
        _v(
            "classifier",
            name,
            f"{c!r} is not a valid classifier.",
            "use a classifier from https://pypi.org/classifiers/ (if it is new there, upgrade "
            "trove-classifiers where releasekit runs)",
        )
        for c in sorted(classifiers - set(all_classifiers))
    ]
    for c in sorted(classifiers & set(deprecated_classifiers)):
        instead = list(deprecated_classifiers[c])
        found.append(
            _v(
                "deprecated-classifier",
                name,
                f"The classifier {c!r} has been deprecated"
                + (f", use one of {instead} instead." if instead else "."),
                (f"replace it with {' or '.join(map(repr, instead))}" if instead else "remove it")
                + " in [project] classifiers and rebuild",
            )
        )
    return found


def _check_wheel_name(name: str, meta: packaging.metadata.Metadata) -> list[Violation]:
    """legacy.py ``file_upload``, wheel part: parse_wheel_filename, supported platform tags,
    the project name (normalized, PEP 427/503) and version as the metadata says."""
    try:
        wname, wversion, _build, tags = packaging.utils.parse_wheel_filename(name)
    except packaging.utils.InvalidWheelFilename as exc:
        return [_v("filename", name, str(exc), "rebuild the wheel with a standard build backend")]
    found = [
        _v(
            "platform-tag",
            name,
            f"Binary wheel '{name}' has an unsupported platform tag '{platform}'.",
            _PLATFORM_HINT,
        )
        for platform in sorted({t.platform for t in tags})
        if not valid_platform_tag(platform)
    ]
    canonical = packaging.utils.canonicalize_name(meta.name)
    normalized = canonical.replace("-", "_")
    if canonical != wname:
        found.append(
            _v(
                "filename",
                name,
                f"Start filename for {meta.name!r} with {normalized!r}.",
                "the wheel is not of this project: rebuild it",
            )
        )
    elif name.split("-", 1)[0] != normalized:
        found.append(
            _v(
                "filename",
                name,
                f"Filename {name!r} should contain the normalized project name "
                f"{normalized!r}, not {name.split('-', 1)[0]!r}.",
                "rebuild with a build backend that normalizes the name "
                "(setuptools >= 75.8, hatchling, flit-core >= 3.11)",
            )
        )
    if meta.version != wversion:
        found.append(
            _v(
                "filename",
                name,
                f"Version in filename should be {str(meta.version)!r} not {str(wversion)!r}.",
                "rebuild the wheel: its name and its METADATA disagree",
            )
        )
    return found


def _check_sdist_name(name: str, meta: packaging.metadata.Metadata) -> list[Violation]:
    """legacy.py ``file_upload``, sdist part: parse_sdist_filename (with its post-release
    hyphen edge case), the project's name, then PEP 625: exactly
    ``{normalized_name}-{version}.tar.gz``."""
    canonical = packaging.utils.canonicalize_name(meta.name)
    normalized = canonical.replace("-", "_")
    try:
        name_from_filename, _ = packaging.utils.parse_sdist_filename(name)
    except packaging.utils.InvalidSdistFilename:
        return [
            _v(
                "filename",
                name,
                f"Invalid source distribution filename: {name}",
                f"name it {normalized}-{meta.version}.tar.gz (PEP 625): rebuild with a "
                "current build backend",
            )
        ]
    if meta.version.is_postrelease and name_from_filename != canonical and name.count("-") >= 2:
        head = name.rpartition("-")[0].rpartition("-")[0]
        try:
            packaging.version.Version(name[len(head) + 1 : -len(".tar.gz")])
            name_from_filename = packaging.utils.canonicalize_name(head)
        except packaging.version.InvalidVersion:
            pass
    if packaging.utils.canonicalize_name(name_from_filename) != canonical:
        return [
            _v(
                "filename",
                name,
                f"Start filename for {meta.name!r} with {normalized!r}.",
                "the sdist is not of this project: rebuild it",
            )
        ]
    expected = f"{normalized}-{meta.version}.tar.gz"
    if name != expected:
        return [
            _v(
                "filename",
                name,
                f"Filename {name!r} is invalid, should be {expected!r}.",
                "rebuild the sdist with a build backend that follows PEP 625 (setuptools >= "
                "69.3, hatchling, flit-core >= 3.11, maturin >= 1.5), as .tar.gz",
            )
        ]
    return []


def _check_readme(
    name: str,
    meta: packaging.metadata.Metadata,
    render_readme: Callable[[str, str | None], str | None],
) -> list[Violation]:
    """legacy.py ``file_upload``: "The description failed to render" (readme.render with
    use_fallback=False; no content type means reStructuredText)."""
    if not meta.description:
        return []
    content_type = meta.description_content_type
    reason = render_readme(meta.description, content_type)
    if reason is None:
        return []
    what = f"for {content_type!r}" if content_type else "in the default format of reStructuredText"
    return [
        _v(
            "readme",
            name,
            f"The description failed to render {what}: {reason}",
            "fix the README (twine check names the line), or set readme's content-type in "
            "[project] (text/markdown for Markdown)",
        )
    ]
