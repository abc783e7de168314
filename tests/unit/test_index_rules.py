"""PyPI's upload rules for one file (releasekit.targets.pypi.rules), each held against a file
that breaks it and one that does not, with wheels and sdists made in the test's directory;
and the module loads by file path where only the standard library and packaging exist, as
the strict rehearsal index loads it."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import packaging
import pytest

from releasekit.targets.pypi import rules
from releasekit.targets.pypi.rules import Violation, check_file, valid_platform_tag
from tests.helpers.dists import metadata, sdist, wheel

PURE = "demo-1.0.0-py3-none-any.whl"
SDIST = "demo-1.0.0.tar.gz"


def only(found: list[Violation], rule: str) -> Violation:
    """The one violation found, which must be of ``rule``."""
    assert [v.rule for v in found] == [rule], found
    return found[0]


def test_a_good_wheel_and_sdist_pass(tmp_path: Path) -> None:
    meta = metadata(extra="Summary: a demo\nClassifier: Programming Language :: Python :: 3\n")
    assert check_file(wheel(tmp_path, PURE, meta)) == []
    assert check_file(sdist(tmp_path, SDIST, meta)) == []


# --- platform tags (legacy.py _valid_platform_tag) --------------------------------------------


@pytest.mark.parametrize(
    "tag",
    [
        "any",
        "win_amd64",
        "win32",
        "win_arm64",
        "manylinux1_x86_64",
        "manylinux2014_aarch64",
        "manylinux_2_17_x86_64",
        "manylinux_2_28_ppc64",
        "musllinux_1_2_x86_64",
        "musllinux_1_1_riscv64",
        "macosx_10_9_x86_64",
        "macosx_11_0_arm64",
        "macosx_14_0_universal2",
        "macosx_26_0_arm64",
        "linux_armv7l",
        "linux_armv6l",
        "ios_13_0_arm64_iphoneos",
        "ios_12_0_x86_64_iphonesimulator",
        "android_21_arm64_v8a",
        "pyemscripten_2026_0_wasm32",
    ],
)
def test_platform_tags_pypi_takes(tag: str) -> None:
    assert valid_platform_tag(tag)


@pytest.mark.parametrize(
    "tag",
    [
        "linux_x86_64",
        "linux_aarch64",
        "linux_i686",
        "pyodide_2024_0_wasm32",
        "emscripten_3_1_58_wasm32",
        "macosx_11_1_arm64",  # macOS 11 and later: minor 0 only
        "macosx_16_0_arm64",  # no such macOS
        "macosx_10_9_sparc",
        "musllinux_1_2_ppc64",  # ppc64 is manylinux-only
        "manylinux_2_17_sparc",
        "ios_13_0_arm64",
        "android_21_mips",
        "cygwin_3_5_x86_64",
    ],
)
def test_platform_tags_pypi_refuses(tag: str) -> None:
    assert not valid_platform_tag(tag)


def test_a_linux_x86_64_wheel_is_refused_with_the_tag_named(tmp_path: Path) -> None:
    name = "demo-1.0.0-cp311-cp311-linux_x86_64.whl"
    found = only(check_file(wheel(tmp_path, name, metadata())), "platform-tag")
    assert found.message == f"Binary wheel '{name}' has an unsupported platform tag 'linux_x86_64'."
    assert found.filename == name
    assert "manylinux" in found.hint and "auditwheel repair" in found.hint


def test_a_compressed_tag_set_passes_when_every_platform_does(tmp_path: Path) -> None:
    good = "demo-1.0.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
    assert check_file(wheel(tmp_path, good, metadata())) == []
    bad = "demo-1.0.0-cp311-cp311-manylinux_2_17_x86_64.linux_x86_64.whl"
    found = only(check_file(wheel(tmp_path, bad, metadata())), "platform-tag")
    assert "'linux_x86_64'" in found.message


# --- file names (legacy.py _validate_filename, the wheel and sdist name checks, PEP 625) --------


def test_an_unknown_extension_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "demo-1.0.0-py3.11.egg"
    path.write_bytes(b"egg")
    found = only(check_file(path), "filename")
    assert "Invalid file extension in 'demo-1.0.0-py3.11.egg'" in found.message
    assert ".tar.gz" in found.message


def test_an_sdist_name_that_is_not_normalized_is_refused(tmp_path: Path) -> None:
    found = only(check_file(sdist(tmp_path, "Demo-1.0.0.tar.gz", metadata())), "filename")
    assert (
        found.message == "Filename 'Demo-1.0.0.tar.gz' is invalid, should be 'demo-1.0.0.tar.gz'."
    )
    dotted = metadata("demo.pkg")  # PEP 625: dots and dashes become underscores
    found = only(check_file(sdist(tmp_path, "demo.pkg-1.0.0.tar.gz", dotted)), "filename")
    assert "should be 'demo_pkg-1.0.0.tar.gz'" in found.message
    assert check_file(sdist(tmp_path, "demo_pkg-1.0.0.tar.gz", dotted)) == []


def test_a_zip_sdist_is_refused_by_pep_625(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "demo-1.0.0.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("demo-1.0.0/PKG-INFO", metadata())
        archive.writestr("demo-1.0.0/pyproject.toml", "[project]\n")
    found = only(check_file(path), "filename")
    assert found.message == "Filename 'demo-1.0.0.zip' is invalid, should be 'demo-1.0.0.tar.gz'."


def test_an_sdist_of_another_project_is_refused(tmp_path: Path) -> None:
    found = only(check_file(sdist(tmp_path, "other-1.0.0.tar.gz", metadata())), "filename")
    assert found.message == "Start filename for 'demo' with 'demo'."


def test_a_wheel_name_that_is_not_normalized_is_refused(tmp_path: Path) -> None:
    meta = metadata("Demo-Pkg")
    found = only(check_file(wheel(tmp_path, "Demo_Pkg-1.0.0-py3-none-any.whl", meta)), "filename")
    assert found.message == (
        "Filename 'Demo_Pkg-1.0.0-py3-none-any.whl' should contain the normalized project name "
        "'demo_pkg', not 'Demo_Pkg'."
    )
    assert check_file(wheel(tmp_path, "demo_pkg-1.0.0-py3-none-any.whl", meta)) == []


def test_a_wheel_whose_version_differs_from_its_metadata_is_refused(tmp_path: Path) -> None:
    path = wheel(tmp_path, "demo-1.0.1-py3-none-any.whl", metadata(version="1.0.0"))
    found = only(check_file(path), "filename")
    assert found.message == "Version in filename should be '1.0.0' not '1.0.1'."


def test_a_wheel_name_packaging_cannot_parse_is_refused(tmp_path: Path) -> None:
    path = wheel(tmp_path, "demo-1.0.0-py3-none.whl", metadata())
    found = only(check_file(path), "filename")
    assert found.message == "Invalid wheel filename (wrong number of parts): 'demo-1.0.0-py3-none'"


# --- Metadata-Version (metadata.py SUPPORTED_METADATA_VERSIONS) ------------------------------


@pytest.mark.parametrize("version", ["1.0", "1.1", "1.2", "2.1", "2.2", "2.3", "2.4", "2.5"])
def test_metadata_versions_pypi_takes(tmp_path: Path, version: str) -> None:
    assert check_file(wheel(tmp_path, PURE, metadata(metadata_version=version))) == []


@pytest.mark.parametrize("version", ["2.0", "2.6", "3.0", "banana"])
def test_metadata_versions_pypi_refuses(tmp_path: Path, version: str) -> None:
    found = only(
        check_file(wheel(tmp_path, PURE, metadata(metadata_version=version))), "metadata-version"
    )
    assert found.message.startswith(f"{version!r} is not a valid metadata version")
    assert "2.5" in found.message  # what PyPI takes is named


# --- core metadata (metadata.py parse and _validate_metadata, over packaging.metadata) --------


@pytest.mark.parametrize(
    ("extra", "version", "words"),
    [
        ("", "1.0.0+local", "The use of local versions in '1.0.0+local' is not allowed."),
        ("Summary: " + "x" * 513 + "\n", "1.0.0", "'Summary' field must be 512 characters"),
        ("Home-page: ftp://example.org/\n", "1.0.0", "'ftp://example.org/' is not a valid url"),
        ("Project-URL: Source, not a url\n", "1.0.0", "'not a url' is not a valid url"),
        ("Project-URL: " + "L" * 33 + ", https://e.org/\n", "1.0.0", "32 characters or less"),
        ("Requires-Dist: foo @ https://e.org/foo.whl\n", "1.0.0", "Can't have direct dependency"),
        ("Requires-Dist: foo >>= 1\n", "1.0.0", "foo >>= 1"),
        ("Dynamic: Name\n", "1.0.0", "'name' is not allowed as a dynamic field"),
        (
            "License: MIT\nLicense-Expression: MIT\n",
            "1.0.0",
            "License is deprecated when License-Expression is present",
        ),
        ("Name: demo2\n", "1.0.0", "'name' has invalid data"),
        ("Author-email: not an address\n", "1.0.0", "is not a valid email address"),
    ],
)
def test_core_metadata_pypi_refuses(tmp_path: Path, extra: str, version: str, words: str) -> None:
    filename = f"demo-{version.replace('+', '_')}-py3-none-any.whl"
    meta = metadata(version=version, extra=extra)
    found = [v for v in check_file(wheel(tmp_path, filename, meta)) if v.rule == "metadata"]
    assert found, f"nothing found for {extra!r}"
    assert words.lower() in found[0].message.lower(), found[0].message
    assert found[0].message.startswith(f"{filename}: ")
    assert "core-metadata" in found[0].hint


def test_a_missing_required_field_is_refused(tmp_path: Path) -> None:
    meta = "Metadata-Version: 2.1\nName: demo\n"
    found = only(check_file(wheel(tmp_path, PURE, meta)), "metadata")
    assert "version" in found.message.lower()


def test_license_file_under_metadata_2_1_is_dropped_as_twine_does(tmp_path: Path) -> None:
    # setuptools wrote these; twine drops License-File below 2.4, so PyPI never sees it
    meta = metadata(metadata_version="2.1", extra="License-File: LICENSE\n")
    assert check_file(sdist(tmp_path, SDIST, meta)) == []
    meta = metadata(metadata_version="2.2", extra="Import-Name: demo\n")  # a 2.5 field
    found = only(check_file(sdist(tmp_path, SDIST, meta)), "metadata")
    assert "import-name" in found.message.lower() and "2.5" in found.message


def test_an_unknown_header_is_not_refused(tmp_path: Path) -> None:
    # twine sends the fields it knows as form data: warehouse never sees the others
    meta = metadata(extra="X-Custom: anything\n")
    assert check_file(wheel(tmp_path, PURE, meta)) == []


# --- the archive (legacy.py _is_valid_dist_file and the wheel's required files) ----------------


@pytest.mark.parametrize("member", ["RECORD", "METADATA", "WHEEL"])
def test_a_wheel_without_a_required_file_is_refused(tmp_path: Path, member: str) -> None:
    found = only(check_file(wheel(tmp_path, PURE, metadata(), leave_out=(member,))), "metadata")
    assert f"{member} not found at demo-1.0.0.dist-info/{member}" in found.message


def test_files_that_are_not_archives_are_refused(tmp_path: Path) -> None:
    (tmp_path / PURE).write_bytes(b"not a zip")
    assert "File is not a zipfile" in only(check_file(tmp_path / PURE), "metadata").message
    (tmp_path / SDIST).write_bytes(b"not a tar")
    assert "File is not a tarfile" in only(check_file(tmp_path / SDIST), "metadata").message


def test_a_wheel_with_a_damaged_metadata_member_is_refused_not_a_traceback(
    tmp_path: Path,
) -> None:
    """zipfile.is_zipfile reads the central directory only: a member's own bytes damaged
    (here METADATA's deflate stream) fail when it is read, and that is a refusal too."""
    path = wheel(tmp_path, PURE, metadata())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("demo-1.0.0.dist-info/METADATA")
    data = bytearray(path.read_bytes())
    start = info.header_offset + 30 + len(info.filename)  # past the local header
    for at in range(start, start + info.compress_size):
        data[at] ^= 0xFF
    path.write_bytes(bytes(data))
    found = only(check_file(path), "metadata")
    assert found.message == (
        f"Invalid distribution file {PURE}: cannot be read as a zip "
        "(Error -3 while decompressing data: invalid code lengths set)."
    )
    assert rules.read_metadata(path) == (None, [found])


def test_an_sdist_without_one_top_directory_or_pkg_info_is_refused(tmp_path: Path) -> None:
    flat = sdist(tmp_path / "flat", SDIST, metadata(), top="")
    assert "Incorrect number of top-level directories" in check_file(flat)[0].message
    bare = sdist(tmp_path / "bare", SDIST, None, files={"setup.py": b""})
    found = only(check_file(bare), "metadata")
    assert "PKG-INFO not found at demo-1.0.0/PKG-INFO" in found.message


# --- classifiers (metadata.py, trove-classifiers) ---------------------------------------------


def test_an_unknown_classifier_is_refused(tmp_path: Path) -> None:
    meta = metadata(extra="Classifier: Programming Language :: Python :: 9000\n")
    found = only(check_file(wheel(tmp_path, PURE, meta)), "classifier")
    assert found.message == "'Programming Language :: Python :: 9000' is not a valid classifier."
    assert "pypi.org/classifiers" in found.hint


def test_a_deprecated_classifier_is_refused_naming_its_replacement(tmp_path: Path) -> None:
    meta = metadata(extra="Classifier: Natural Language :: Ukranian\n")
    found = only(check_file(wheel(tmp_path, PURE, meta)), "deprecated-classifier")
    assert found.message == (
        "The classifier 'Natural Language :: Ukranian' has been deprecated, "
        "use one of ['Natural Language :: Ukrainian'] instead."
    )
    assert found.hint.startswith("replace it with 'Natural Language :: Ukrainian'")


def test_a_deprecated_classifier_without_replacement_is_refused(tmp_path: Path) -> None:
    name = "License :: OSI Approved :: Jabber Open Source License"
    found = only(
        check_file(wheel(tmp_path, PURE, metadata(extra=f"Classifier: {name}\n"))),
        "deprecated-classifier",
    )
    assert found.message == f"The classifier {name!r} has been deprecated."
    assert found.hint.startswith("remove it")


# --- the README (legacy.py file_upload: "The description failed to render") ------------------


def test_a_readme_that_does_not_render_is_refused(tmp_path: Path) -> None:
    asked: list[tuple[str, str | None]] = []

    def render(text: str, content_type: str | None) -> str | None:
        asked.append((text, content_type))
        return "line 3: Unexpected indentation." if "bad" in text else None

    md = metadata(extra="Description-Content-Type: text/markdown\n", description="# bad\n")
    found = only(check_file(wheel(tmp_path, PURE, md), render_readme=render), "readme")
    assert found.message == (
        "The description failed to render for 'text/markdown': line 3: Unexpected indentation."
    )
    rst = metadata(description="bad\n")
    found = only(check_file(wheel(tmp_path / "rst", PURE, rst), render_readme=render), "readme")
    assert "in the default format of reStructuredText" in found.message
    assert asked == [("# bad\n", "text/markdown"), ("bad\n", None)]
    good = metadata(description="fine\n")
    assert check_file(wheel(tmp_path / "good", PURE, good), render_readme=render) == []
    assert check_file(wheel(tmp_path / "none", PURE, metadata()), render_readme=render) == []
    assert len(asked) == 3  # no description: nothing to render
    assert check_file(wheel(tmp_path / "off", PURE, md)) == []  # no renderer: not checked


# --- size (warehouse/constants.py MAX_FILESIZE, legacy.py "File too large") -------------------


def test_a_file_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    path = wheel(tmp_path, PURE, metadata(), files={"demo/data.bin": bytes(range(256)) * 64})
    size = path.stat().st_size
    assert rules.MAX_FILE_SIZE == 100 * 1024 * 1024
    assert check_file(path) == []
    assert check_file(path, size_limit=size) == []
    found = only(check_file(path, size_limit=size - 1), "size")
    assert (
        found.message == f"File too large: {PURE} is {size} bytes; the limit is {size - 1} bytes."
    )
    assert "file size limit" in found.hint


# --- loaded by file path, as the strict index does ---------------------------------------------


def test_the_module_loads_by_path_with_only_the_standard_library_and_packaging(
    tmp_path: Path,
) -> None:
    site = tmp_path / "site"
    shutil.copytree(Path(packaging.__file__).parent, site / "packaging")
    good = wheel(tmp_path, PURE, metadata())
    linux = wheel(tmp_path, "demo-1.0.0-cp311-cp311-linux_x86_64.whl", metadata())
    classified = wheel(tmp_path / "c", PURE, metadata(extra="Classifier: Typing :: Typed\n"))
    script = f"""
import importlib.util, sys
from pathlib import Path
sys.path[:] = [p for p in sys.path if "site-packages" not in p] + [{str(site)!r}]
spec = importlib.util.spec_from_file_location("strict_rules", {str(Path(rules.__file__))!r})
module = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = module
spec.loader.exec_module(module)
assert not [m for m in sys.modules if m.split(".")[0] in ("releasekit", "trove_classifiers")]
print(module.check_file(Path({str(good)!r})))
print([v.rule for v in module.check_file(Path({str(linux)!r}))])
try:
    module.check_file(Path({str(classified)!r}))
except ImportError as exc:
    print("classifiers need", exc.name)
"""
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-c", script], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "[]",
        "['platform-tag']",
        "classifiers need trove_classifiers",
    ]
