"""Carriers: find, read and rewrite the version in each kind of file, touching nothing else."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from releasekit.core.carriers import (
    PackageJsonCarrier,
    PyprojectCarrier,
    PythonCarrier,
    Reading,
    RegexCarrier,
    carrier_for,
    check_consistent,
    disagreements,
    read_all,
    write_all,
)
from releasekit.core.config import CarrierSpec
from releasekit.core.jsonspan import json_value_span
from releasekit.errors import CarrierError


def write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))
    return path


def text_of(path: Path) -> str:
    return path.read_bytes().decode("utf-8")


def error(excinfo: pytest.ExceptionInfo[CarrierError]) -> CarrierError:
    """The error, after checking it has the shape every CarrierError must have."""
    exc = excinfo.value
    assert "\n" not in exc.message
    assert exc.hint.strip()
    return exc


# -- pyproject.toml ----------------------------------------------------------------------

PYPROJECT = """\
# The demo project.
[build-system]
requires = ["hatchling"]  # keep
build-backend = "hatchling.build"

[project]
name   =   "demo"
version = '1.2.0'   # bumped by releasekit
dependencies = [
    "packaging",  # why not
]

[tool.releasekit]
version-files = ["pyproject.toml", "src/demo/__init__.py"]
"""


def test_pyproject_round_trip_keeps_every_other_byte(tmp_path: Path) -> None:
    path = write(tmp_path, "pyproject.toml", PYPROJECT)
    carrier = carrier_for(CarrierSpec("pyproject.toml"), tmp_path)
    assert isinstance(carrier, PyprojectCarrier)
    assert carrier.path == path
    assert carrier.read() == "1.2.0"
    assert carrier.raw() == "1.2.0"
    assert type(carrier.raw()) is str

    rendered = carrier.render("1.3.0-rc.1")
    assert rendered == PYPROJECT.replace("'1.2.0'", "'1.3.0rc1'")
    assert text_of(path) == PYPROJECT  # render writes nothing

    assert write_all([CarrierSpec("pyproject.toml")], tmp_path, "1.3.0rc1") == [path]
    assert text_of(path) == PYPROJECT.replace("'1.2.0'", "'1.3.0rc1'")
    assert carrier.read() == "1.3.0rc1"


POETRY = """\
[tool.poetry]
name = "poetry-demo"
version = "0.3.0"  # poetry-core reads it here
description = "demo"

[build-system]
requires = ["poetry-core>=1.0.0"]
build-backend = "poetry.core.masonry.api"
"""


def test_a_poetry_project_s_version_is_in_tool_poetry(tmp_path: Path) -> None:
    """poetry-core projects with no [project] table keep the version in [tool.poetry]."""
    path = write(tmp_path, "pyproject.toml", POETRY)
    carrier = carrier_for(CarrierSpec("pyproject.toml"), tmp_path)
    assert carrier.read() == "0.3.0"
    assert write_all([CarrierSpec("pyproject.toml")], tmp_path, "0.3.1") == [path]
    assert text_of(path) == POETRY.replace('"0.3.0"', '"0.3.1"')


def test_a_project_table_wins_over_tool_poetry(tmp_path: Path) -> None:
    """poetry-core 2 reads [project] first: so does releasekit."""
    write(tmp_path, "pyproject.toml", '[project]\nversion = "2.0.0"\n\n' + POETRY)
    assert carrier_for(CarrierSpec("pyproject.toml"), tmp_path).read() == "2.0.0"


def test_pyproject_keeps_crlf_line_endings(tmp_path: Path) -> None:
    original = PYPROJECT.replace("\n", "\r\n")
    path = write(tmp_path, "pyproject.toml", original)
    write_all([CarrierSpec("pyproject.toml")], tmp_path, "2.0.0")
    assert text_of(path) == original.replace("'1.2.0'", "'2.0.0'")


def test_pyproject_normalizes_what_it_reads(tmp_path: Path) -> None:
    write(tmp_path, "pyproject.toml", '[project]\nname = "demo"\nversion = "1.0.0-RC1"\n')
    carrier = carrier_for(CarrierSpec("pyproject.toml"), tmp_path)
    assert carrier.raw() == "1.0.0-RC1"
    assert carrier.read() == "1.0.0rc1"


def test_pyproject_in_a_subdirectory(tmp_path: Path) -> None:
    write(tmp_path, "api/pyproject.toml", '[project]\nname = "api"\nversion = "0.1.0"\n')
    carrier = carrier_for(CarrierSpec("api/pyproject.toml"), tmp_path)
    assert isinstance(carrier, PyprojectCarrier)
    assert carrier.display_path == "api/pyproject.toml"
    assert carrier.read() == "0.1.0"


def test_pyproject_dynamic_version_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "pyproject.toml", '[project]\nname = "demo"\ndynamic = ["version"]\n')
    with pytest.raises(CarrierError) as excinfo:
        carrier_for(CarrierSpec("pyproject.toml"), tmp_path).read()
    exc = error(excinfo)
    assert exc.message == "pyproject.toml has no static [project].version (it is in dynamic)"
    assert "remove pyproject.toml from version-files" in exc.hint


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ('[project]\nname = "demo"\n', "there is no version key"),
        ('[tool.x]\nversion = "1.0"\n', "there is no [project] table"),
    ],
)
def test_pyproject_without_version_is_refused(tmp_path: Path, text: str, why: str) -> None:
    write(tmp_path, "pyproject.toml", text)
    with pytest.raises(CarrierError) as excinfo:
        carrier_for(CarrierSpec("pyproject.toml"), tmp_path).render("1.0.0")
    assert error(excinfo).message == f"pyproject.toml has no static [project].version ({why})"


def test_pyproject_version_that_is_not_a_string(tmp_path: Path) -> None:
    write(tmp_path, "pyproject.toml", '[project]\nname = "demo"\nversion = 1.2\n')
    with pytest.raises(CarrierError) as excinfo:
        carrier_for(CarrierSpec("pyproject.toml"), tmp_path).read()
    assert "must be a string, not 1.2" in error(excinfo).message


def test_pyproject_invalid_toml(tmp_path: Path) -> None:
    write(tmp_path, "pyproject.toml", "[project\nversion = '1.0'\n")
    with pytest.raises(CarrierError) as excinfo:
        carrier_for(CarrierSpec("pyproject.toml"), tmp_path).read()
    assert error(excinfo).message.startswith("pyproject.toml is not valid TOML")


def test_pyproject_version_not_pep440_names_the_value(tmp_path: Path) -> None:
    write(tmp_path, "pyproject.toml", '[project]\nname = "demo"\nversion = "one.two"\n')
    carrier = carrier_for(CarrierSpec("pyproject.toml"), tmp_path)
    assert carrier.raw() == "one.two"
    with pytest.raises(CarrierError) as excinfo:
        carrier.read()
    exc = error(excinfo)
    assert "pyproject.toml" in exc.message
    assert "'one.two'" in exc.message


# -- Python files ------------------------------------------------------------------------

INIT = '''\
"""The demo package."""

from __future__ import annotations

# Keep in sync with pyproject.toml.
__version__ = "1.2.0"  # do not edit by hand

def version() -> str:
    return __version__
'''


def test_python_round_trip(tmp_path: Path) -> None:
    path = write(tmp_path, "src/demo/__init__.py", INIT)
    carrier = carrier_for(CarrierSpec("src/demo/__init__.py"), tmp_path)
    assert isinstance(carrier, PythonCarrier)
    assert carrier.read() == "1.2.0"
    assert carrier.raw() == "1.2.0"
    assert write_all([CarrierSpec("src/demo/__init__.py")], tmp_path, "1.3.0.dev2") == [path]
    assert text_of(path) == INIT.replace('"1.2.0"', '"1.3.0.dev2"')


@pytest.mark.parametrize(
    ("line", "raw"),
    [
        ("__version__ = '2.0.0'", "2.0.0"),
        ('__version__: str = "2.0.0b3"', "2.0.0b3"),
        ("__version__: str='2.0'", "2.0"),
        ('__version__: Final[str] = "2.0.0"', "2.0.0"),
        ('VERSION = "2.0.0.post1"', "2.0.0.post1"),
        ("VERSION='2.0.0'", "2.0.0"),
    ],
)
def test_python_forms(tmp_path: Path, line: str, raw: str) -> None:
    text = f'"""doc."""\nimport os\n{line}\nOTHER = "9.9.9"\n'
    path = write(tmp_path, "demo/_version.py", text)
    carrier = carrier_for(CarrierSpec("demo/_version.py"), tmp_path)
    assert carrier.raw() == raw
    write_all([CarrierSpec("demo/_version.py")], tmp_path, "3.0.0rc1")
    quote = "'" if "'" in line else '"'
    assert text_of(path) == text.replace(f"{quote}{raw}{quote}", f"{quote}3.0.0rc1{quote}")


def test_python_assignments_at_line_start_must_agree(tmp_path: Path) -> None:
    """Only assignments at line start count; two that disagree are refused, naming both
    lines (a bump used to rewrite the first and leave the other saying an old version)."""
    text = (
        'def f():\n    __version__ = "0.0.1"\n'  # indented: not the module's version
        '# __version__ = "0.0.2"\n'
        'VERSION = "1.0.0"\n'
        '__version__ = "1.0.1"\n'
    )
    path = write(tmp_path, "m.py", text)
    carrier = carrier_for(CarrierSpec("m.py"), tmp_path)
    with pytest.raises(CarrierError) as excinfo:
        write_all([CarrierSpec("m.py")], tmp_path, "1.1.0")
    assert error(excinfo).message == (
        'm.py has two version assignments that disagree: line 4 (VERSION = "1.0.0") and '
        'line 5 (__version__ = "1.0.1")'
    )
    assert "pattern" in error(excinfo).hint
    assert text_of(path) == text
    with pytest.raises(CarrierError):
        carrier.raw()
    agreeing = text.replace('"1.0.1"', '"1.0.0"')
    write(tmp_path, "m.py", agreeing)
    assert carrier.raw() == "1.0.0"
    write_all([CarrierSpec("m.py")], tmp_path, "1.1.0")  # both, so they go on agreeing
    assert text_of(path) == agreeing.replace('= "1.0.0"', '= "1.1.0"')
    assert 'f():\n    __version__ = "0.0.1"' in text_of(path)


def test_python_without_version_names_the_forms(tmp_path: Path) -> None:
    write(tmp_path, "src/demo/__init__.py", 'version = "1.0"\n    __version__ = "1.0"\n')
    with pytest.raises(CarrierError) as excinfo:
        carrier_for(CarrierSpec("src/demo/__init__.py"), tmp_path).read()
    exc = error(excinfo)
    assert "src/demo/__init__.py" in exc.message
    assert "__version__ = " in exc.message
    assert "VERSION = " in exc.message
    assert '__version__ = "X"' in exc.hint
    assert "pattern" in exc.hint


def test_python_value_not_pep440(tmp_path: Path) -> None:
    write(tmp_path, "demo.py", '__version__ = "dev"\n')
    with pytest.raises(CarrierError) as excinfo:
        carrier_for(CarrierSpec("demo.py"), tmp_path).read()
    exc = error(excinfo)
    assert "demo.py" in exc.message
    assert "'dev'" in exc.message


# -- package.json ------------------------------------------------------------------------


def package_json(indent: int | str, *, newline: bool = True) -> str:
    doc = {
        "name": "demo",
        "engines": {"node": ">=18", "version": "9.9.9"},
        "version": "1.0.0-rc.1",
        "dependencies": {"left-pad": {"version": "1.3.0"}},
        "scripts": {"build": 'echo "version": {}'},
        "private": True,
    }
    text = json.dumps(doc, indent=indent)
    return text + "\n" if newline else text


@pytest.mark.parametrize("indent", [2, 4, "\t"])
@pytest.mark.parametrize("newline", [True, False])
def test_package_json_replaces_only_the_top_level_value(
    tmp_path: Path, indent: int | str, newline: bool
) -> None:
    original = package_json(indent, newline=newline)
    path = write(tmp_path, "web/package.json", original)
    carrier = carrier_for(CarrierSpec("web/package.json"), tmp_path)
    assert isinstance(carrier, PackageJsonCarrier)
    assert carrier.raw() == "1.0.0-rc.1"
    assert carrier.read() == "1.0.0rc1"

    assert write_all([CarrierSpec("web/package.json")], tmp_path, "1.0.0rc2") == [path]
    expected = original.replace('"version": "1.0.0-rc.1"', '"version": "1.0.0-rc.2"')
    assert expected != original
    assert text_of(path) == expected
    doc = json.loads(text_of(path))
    assert list(doc) == ["name", "engines", "version", "dependencies", "scripts", "private"]
    assert doc["engines"]["version"] == "9.9.9"
    assert doc["dependencies"]["left-pad"]["version"] == "1.3.0"


def test_package_json_semver_both_ways(tmp_path: Path) -> None:
    path = write(tmp_path, "package.json", '{"name": "demo", "version": "1.0.0"}')
    carrier = carrier_for(CarrierSpec("package.json"), tmp_path)
    assert carrier.read() == "1.0.0"
    assert carrier.render("1.0.0rc1") == '{"name": "demo", "version": "1.0.0-rc.1"}'
    write_all([CarrierSpec("package.json")], tmp_path, "1.0.0-rc.1")
    assert text_of(path) == '{"name": "demo", "version": "1.0.0-rc.1"}'
    assert carrier.raw() == "1.0.0-rc.1"
    assert carrier.read() == "1.0.0rc1"


def test_package_json_top_level_key_after_nested_ones(tmp_path: Path) -> None:
    text = (
        '{"a": {"version": "0.0.1", "b": ["{", "version"]},\n'
        ' "x\\"version": "0.0.2",\n'
        ' "version" : "2.0.0",\n'
        ' "z": {"version": "0.0.3"}}\n'
    )
    path = write(tmp_path, "package.json", text)
    assert carrier_for(CarrierSpec("package.json"), tmp_path).raw() == "2.0.0"
    write_all([CarrierSpec("package.json")], tmp_path, "2.1.0")
    assert text_of(path) == text.replace('"2.0.0"', '"2.1.0"')


def test_json_value_span_follows_a_key_path_and_takes_the_last_duplicate() -> None:
    """One reader of JSON text for every edit in place (the version carrier, the intent
    bump's dependency ranges): a key named twice in one object counts as its last, as
    JSON.parse and json.loads take it, at every level of the path."""
    text = (
        '\ufeff{"dependencies": {"a": "1", "b": "{\\"x\\": [}"},\n'
        ' "version": "1.0.0",\n'
        ' "dependencies" : { "a" : "2", "a": {"nested": [1, {"a": "3"}]}, "a": "4" },\n'
        ' "n": -1.5e3, "t": true, "version": "2.0.0"}'
    )
    doc = json.loads(text.lstrip("\ufeff"))

    def value(keys: list[str]) -> object:
        span = json_value_span(text, keys)
        assert span is not None
        return json.loads(text[span[0] : span[1]])

    assert value(["version"]) == doc["version"] == "2.0.0"
    assert value(["dependencies", "a"]) == doc["dependencies"]["a"] == "4"
    assert value(["dependencies"]) == doc["dependencies"]
    assert value(["n"]) == -1.5e3 and value(["t"]) is True
    assert value([]) == doc
    assert json_value_span(text, ["dependencies", "b"]) is None  # only in the first one
    assert json_value_span(text, ["version", "x"]) is None  # not an object
    assert json_value_span(text, ["nope"]) is None
    with pytest.raises(ValueError, match="not JSON"):
        json_value_span('{"a": "1", "b"}', ["b"])


def test_package_json_without_version(tmp_path: Path) -> None:
    write(tmp_path, "package.json", '{"name": "demo", "engines": {"version": "1.0.0"}}\n')
    with pytest.raises(CarrierError) as excinfo:
        carrier_for(CarrierSpec("package.json"), tmp_path).read()
    assert error(excinfo).message == 'package.json has no top-level "version"'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"version": 1}', 'package.json top-level "version" must be a string, not 1'),
        ('["version", "1.0.0"]', "package.json is not a JSON object (it is a list)"),
        ('{"version": "1.0.0",}', "package.json is not valid JSON"),
        ('{"version": "latest"}', "package.json has version 'latest'"),
    ],
)
def test_package_json_bad_content(tmp_path: Path, text: str, message: str) -> None:
    write(tmp_path, "package.json", text)
    with pytest.raises(CarrierError) as excinfo:
        carrier_for(CarrierSpec("package.json"), tmp_path).read()
    assert error(excinfo).message.startswith(message)


# -- patterns ----------------------------------------------------------------------------

CONF = """\
project = "demo"
release = "1.2.0"
version = "1.2"
"""


def test_regex_round_trip(tmp_path: Path) -> None:
    path = write(tmp_path, "docs/conf.txt", CONF)
    spec = CarrierSpec("docs/conf.txt", r'^release = "(?P<version>[^"]+)"')
    carrier = carrier_for(spec, tmp_path)
    assert isinstance(carrier, RegexCarrier)
    assert carrier.read() == "1.2.0"
    assert write_all([spec], tmp_path, "1.3.0b1") == [path]
    assert text_of(path) == CONF.replace('release = "1.2.0"', 'release = "1.3.0b1"')


def test_regex_overrides_the_default_for_py_and_toml(tmp_path: Path) -> None:
    write(tmp_path, "demo.py", '__version__ = "0.0.0"\nRELEASE = "1.0.0"\n')
    write(tmp_path, "pyproject.toml", '[tool.demo]\nrelease = "1.0.0"\n')
    specs = [
        CarrierSpec("demo.py", r'^RELEASE = "(?P<version>[^"]+)"'),
        CarrierSpec("pyproject.toml", r'^release = "(?P<version>[^"]+)"'),
    ]
    assert all(isinstance(carrier_for(spec, tmp_path), RegexCarrier) for spec in specs)
    assert check_consistent(specs, tmp_path) == "1.0.0"
    write_all(specs, tmp_path, "1.1")
    assert text_of(tmp_path / "demo.py") == '__version__ = "0.0.0"\nRELEASE = "1.1"\n'
    assert text_of(tmp_path / "pyproject.toml") == '[tool.demo]\nrelease = "1.1"\n'


def test_regex_without_version_group(tmp_path: Path) -> None:
    with pytest.raises(CarrierError) as excinfo:
        carrier_for(CarrierSpec("docs/conf.txt", r'release = "([^"]+)"'), tmp_path)
    exc = error(excinfo)
    assert '\'release = "([^"]+)"\'' in exc.message
    assert "docs/conf.txt" in exc.message
    assert "(?P<version>...)" in exc.hint


def test_regex_that_does_not_compile(tmp_path: Path) -> None:
    with pytest.raises(CarrierError) as excinfo:
        carrier_for(CarrierSpec("docs/conf.txt", r"release = (?P<version>[0-9"), tmp_path)
    exc = error(excinfo)
    assert "'release = (?P<version>[0-9'" in exc.message
    assert "not a valid regex" in exc.message


def test_regex_without_match(tmp_path: Path) -> None:
    write(tmp_path, "docs/conf.txt", CONF)
    spec = CarrierSpec("docs/conf.txt", r"^__release__ = (?P<version>\S+)")
    with pytest.raises(CarrierError) as excinfo:
        carrier_for(spec, tmp_path).read()
    exc = error(excinfo)
    assert "docs/conf.txt" in exc.message
    assert "'^__release__ = (?P<version>\\\\S+)'" in exc.message


def test_regex_too_narrow_to_read_back_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "docs/conf.txt", CONF)
    spec = CarrierSpec("docs/conf.txt", r"^release = \"(?P<version>[0-9.]+)")
    assert carrier_for(spec, tmp_path).read() == "1.2.0"
    with pytest.raises(CarrierError) as excinfo:
        write_all([spec], tmp_path, "1.3.0rc1")
    exc = error(excinfo)
    assert "1.3.0rc1" in exc.message
    assert "'1.3.0'" in exc.message
    assert text_of(path) == CONF


def test_unknown_file_without_pattern(tmp_path: Path) -> None:
    with pytest.raises(CarrierError) as excinfo:
        carrier_for(CarrierSpec("docs/conf.txt"), tmp_path)
    exc = error(excinfo)
    assert exc.message == "don't know how to find the version in docs/conf.txt"
    assert 'path = "docs/conf.txt"' in exc.hint
    assert "(?P<version>" in exc.hint


# -- missing files -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "spec",
    [
        CarrierSpec("src/demo/__init__.py"),
        CarrierSpec("pyproject.toml"),
        CarrierSpec("package.json"),
        CarrierSpec("src/demo/__init__.py", r"(?P<version>.+)"),
    ],
)
def test_missing_file(tmp_path: Path, spec: CarrierSpec) -> None:
    carrier = carrier_for(spec, tmp_path)
    for action in (carrier.read, carrier.raw, lambda: carrier.render("1.0")):
        with pytest.raises(CarrierError) as excinfo:
            action()
        exc = error(excinfo)
        assert exc.message == f"version file {spec.path} does not exist"
        assert "version-files" in exc.hint


def test_paths_shown_relative_to_a_relative_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(CarrierError) as excinfo:
        carrier_for(CarrierSpec("./src//demo/__init__.py"), Path("proj")).read()
    assert error(excinfo).message == "version file src/demo/__init__.py does not exist"


# -- all carriers together ---------------------------------------------------------------


def project(root: Path, pyproject: str, init: str, package: str) -> list[CarrierSpec]:
    write(root, "pyproject.toml", f'[project]\nname = "demo"\nversion = "{pyproject}"\n')
    write(root, "src/demo/__init__.py", f'__version__ = "{init}"\n')
    write(root, "package.json", json.dumps({"name": "demo", "version": package}, indent=2))
    return [
        CarrierSpec("pyproject.toml"),
        CarrierSpec("src/demo/__init__.py"),
        CarrierSpec("package.json"),
    ]


def test_read_all_in_order(tmp_path: Path) -> None:
    specs = project(tmp_path, "1.0.0rc1", "1.0.0rc1", "1.0.0-rc.1")
    readings = read_all(specs, tmp_path)
    assert [r.carrier.display_path for r in readings] == [s.path for s in specs]
    assert [r.version for r in readings] == ["1.0.0rc1"] * 3
    assert [r.raw for r in readings] == ["1.0.0rc1", "1.0.0rc1", "1.0.0-rc.1"]
    assert disagreements(readings) == []
    assert check_consistent(specs, tmp_path) == "1.0.0rc1"


def test_check_consistent_names_every_disagreeing_file(tmp_path: Path) -> None:
    specs = project(tmp_path, "1.2.0", "1.1.0", "1.1.9")
    with pytest.raises(CarrierError) as excinfo:
        check_consistent(specs, tmp_path)
    exc = error(excinfo)
    assert exc.message == (
        "version files disagree: pyproject.toml has 1.2.0, but src/demo/__init__.py has "
        "1.1.0, package.json has 1.1.9"
    )
    assert exc.hint == (
        "run `releasekit bump 1.2.0` (or `hatch version 1.2.0`) to write one version into "
        "every file"
    )


def test_check_consistent_leaves_out_the_files_that_agree(tmp_path: Path) -> None:
    specs = project(tmp_path, "2.0.0rc1", "2.0.0rc1", "2.0.0-rc.2")
    with pytest.raises(CarrierError) as excinfo:
        check_consistent(specs, tmp_path)
    assert error(excinfo).message == (
        "version files disagree: pyproject.toml has 2.0.0rc1, but package.json has "
        "2.0.0-rc.2 (2.0.0rc2)"
    )


def test_equal_versions_spelled_differently_disagree(tmp_path: Path) -> None:
    specs = project(tmp_path, "1.2", "1.2.0", "1.2.0")
    readings = read_all(specs, tmp_path)
    assert disagreements(readings) == readings[1:]
    with pytest.raises(CarrierError) as excinfo:
        check_consistent(specs, tmp_path)
    exc = error(excinfo)
    assert "pyproject.toml has 1.2, but src/demo/__init__.py has 1.2.0" in exc.message
    assert "bump 1.2`" in exc.hint


def test_disagreements_compares_with_the_first(tmp_path: Path) -> None:
    specs = project(tmp_path, "1.0.0", "1.0.0", "1.0.1")
    readings = read_all(specs, tmp_path)
    assert disagreements(readings) == [readings[2]]
    assert disagreements(readings[2:]) == []
    assert disagreements([]) == []
    assert isinstance(readings[0], Reading)


def test_check_consistent_without_specs(tmp_path: Path) -> None:
    with pytest.raises(CarrierError) as excinfo:
        check_consistent([], tmp_path)
    error(excinfo)


def test_write_all_writes_every_file(tmp_path: Path) -> None:
    specs = project(tmp_path, "1.1.0", "1.0.0", "0.9.0")
    package_before = text_of(tmp_path / "package.json")
    written = write_all(specs, tmp_path, "2.0.0-rc.1")
    assert written == [tmp_path / s.path for s in specs]
    assert check_consistent(specs, tmp_path) == "2.0.0rc1"
    assert text_of(tmp_path / "src/demo/__init__.py") == '__version__ = "2.0.0rc1"\n'
    assert text_of(tmp_path / "package.json") == package_before.replace('"0.9.0"', '"2.0.0-rc.1"')


def test_write_all_writes_nothing_when_a_file_is_missing(tmp_path: Path) -> None:
    specs = project(tmp_path, "1.0.0", "1.0.0", "1.0.0")
    (tmp_path / "src/demo/__init__.py").unlink()
    before = text_of(tmp_path / "pyproject.toml"), text_of(tmp_path / "package.json")
    with pytest.raises(CarrierError) as excinfo:
        write_all(specs, tmp_path, "1.1.0")
    assert error(excinfo).message == "version file src/demo/__init__.py does not exist"
    assert (text_of(tmp_path / "pyproject.toml"), text_of(tmp_path / "package.json")) == before


def test_write_all_writes_nothing_when_a_later_carrier_fails(tmp_path: Path) -> None:
    specs = project(tmp_path, "1.0.0", "1.0.0", "1.0.0")
    write(tmp_path, "docs/conf.txt", "no version here\n")
    before = {p: text_of(p) for p in tmp_path.rglob("*") if p.is_file()}
    for bad in (CarrierSpec("docs/conf.txt"), CarrierSpec("docs/conf.txt", r"v(?P<version>\d)")):
        with pytest.raises(CarrierError) as excinfo:
            write_all([*specs, bad], tmp_path, "1.1.0")
        assert "docs/conf.txt" in error(excinfo).message
    assert {p: text_of(p) for p in tmp_path.rglob("*") if p.is_file()} == before


def test_write_all_applies_two_entries_for_one_file_in_turn(tmp_path: Path) -> None:
    path = write(tmp_path, "docs/conf.txt", CONF)
    specs = [
        CarrierSpec("docs/conf.txt", r'^release = "(?P<version>[^"]+)"'),
        CarrierSpec("docs/conf.txt", r'^version = "(?P<version>[^"]+)"'),
    ]
    assert write_all(specs, tmp_path, "1.3.0") == [path]
    assert text_of(path) == 'project = "demo"\nrelease = "1.3.0"\nversion = "1.3.0"\n'


def test_write_all_normalizes_the_version(tmp_path: Path) -> None:
    specs = project(tmp_path, "1.0.0", "1.0.0", "1.0.0")
    write_all(specs, tmp_path, "v1.1.0-RC.1")
    readings = read_all(specs, tmp_path)
    assert [r.raw for r in readings] == ["1.1.0rc1", "1.1.0rc1", "1.1.0-rc.1"]


@pytest.mark.parametrize(
    ("version", "message"),
    [
        ("1.2", "package.json cannot carry 1.2: semver spells it 1.2.0"),
        ("1!1.0.0", "package.json cannot carry 1!1.0.0"),
        ("1.0.0.1", "package.json cannot carry 1.0.0.1"),
    ],
)
def test_package_json_refuses_versions_semver_cannot_spell(
    tmp_path: Path, version: str, message: str
) -> None:
    specs = project(tmp_path, "1.0.0", "1.0.0", "1.0.0")
    before = {p: text_of(p) for p in tmp_path.rglob("*") if p.is_file()}
    with pytest.raises(CarrierError) as excinfo:
        write_all(specs, tmp_path, version)
    assert error(excinfo).message.startswith(message)
    assert {p: text_of(p) for p in tmp_path.rglob("*") if p.is_file()} == before


def test_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "demo.py").write_bytes(b'__version__ = "1.0"  # \xff\n')
    with pytest.raises(CarrierError) as excinfo:
        carrier_for(CarrierSpec("demo.py"), tmp_path).read()
    assert error(excinfo).message.startswith("version file demo.py is not UTF-8 text")


def test_a_directory_is_not_a_version_file(tmp_path: Path) -> None:
    (tmp_path / "demo.py").mkdir()
    with pytest.raises(CarrierError) as excinfo:
        carrier_for(CarrierSpec("demo.py"), tmp_path).read()
    assert error(excinfo).message.startswith("cannot read version file demo.py")


def test_write_failure_names_the_file_and_puts_back_what_was_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    specs = project(tmp_path, "1.0.0", "1.0.0", "1.0.0")
    before = {s.path: (tmp_path / s.path).read_bytes() for s in specs}
    real_open = open

    def refuse_package_json(path: Path, mode: str = "r", **kwargs: object) -> object:
        if "w" in mode and Path(path).name == "package.json":
            raise PermissionError(13, "Permission denied")
        return real_open(path, mode, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr("releasekit.core.carriers.open", refuse_package_json, raising=False)
    with pytest.raises(CarrierError) as excinfo:
        write_all(specs, tmp_path, "1.1.0")
    assert error(excinfo).message == (
        "cannot write version file package.json: Permission denied; nothing was changed"
    )
    assert {s.path: (tmp_path / s.path).read_bytes() for s in specs} == before


# -- spellings: each file keeps semver or PEP 440 -----------------------------------------


def test_read_back_failure_names_the_version_written(tmp_path: Path) -> None:
    write(tmp_path, "docs/conf.txt", CONF)
    spec = CarrierSpec("docs/conf.txt", r"^release = \"(?P<version>[0-9.]+)")
    with pytest.raises(CarrierError) as excinfo:
        write_all([spec], tmp_path, "1.3.0rc1")
    assert error(excinfo).message == (
        "docs/conf.txt: after writing 1.3.0rc1 the version would read back as '1.3.0'"
    )


def test_read_back_failure_of_a_semver_spelling_shows_both_spellings(tmp_path: Path) -> None:
    text = 'release = "1.0.0-beta"\n'
    path = write(tmp_path, "docs/conf.txt", text)
    # too narrow for "-beta.1": it stops at the dot after "beta"
    spec = CarrierSpec("docs/conf.txt", r'^release = "(?P<version>\d+\.\d+\.\d+(?:-[a-z]+)?)')
    assert carrier_for(spec, tmp_path).read() == "1.0.0b0"
    with pytest.raises(CarrierError) as excinfo:
        write_all([spec], tmp_path, "1.0.0b1")
    exc = error(excinfo)
    assert exc.message == (
        "docs/conf.txt: after writing 1.0.0-beta.1 (1.0.0b1) the version would read back as "
        "'1.0.0-beta'"
    )
    assert "(?P<version>" in exc.hint
    assert text_of(path) == text


@pytest.mark.parametrize(
    ("spec", "text", "line"),
    [
        (CarrierSpec("src/demo/__init__.py"), '__version__ = "{}"\n', '__version__ = "{}"'),
        (
            CarrierSpec("docs/conf.txt", r'^release = "(?P<version>[^"]+)"'),
            'project = "demo"\nrelease = "{}"\n',
            'release = "{}"',
        ),
        (
            CarrierSpec("pyproject.toml"),
            '[project]\nname = "demo"\nversion = "{}"  # keep\n',
            'version = "{}"',
        ),
    ],
    ids=["python", "pattern", "pyproject"],
)
@pytest.mark.parametrize(
    ("raw", "version", "written"),
    [
        ("1.0.0-beta", "1.0.0b1", "1.0.0-beta.1"),
        ("1.0.0-beta", "1.0.0rc1", "1.0.0-rc.1"),
        ("1.0.0-beta", "1.0.0", "1.0.0"),
        ("1.0.0-beta", "1.1.0", "1.1.0"),
        ("1.0.0-rc.1", "1.0.0rc2", "1.0.0-rc.2"),
        ("2.0.0-alpha.3", "2.0.0a4", "2.0.0-alpha.4"),
        ("1.0.0-RC1", "1.0.0rc2", "1.0.0-rc.2"),
        ("1.0.0-beta+build.5", "1.0.0b1.dev2", "1.0.0-beta.1.dev.2"),
        ("1.0.0b0", "1.0.0b1", "1.0.0b1"),
        ("1.0.0", "1.1.0rc1", "1.1.0rc1"),
        ("1.0.0-1", "1.0.0.post2", "1.0.0.post2"),  # PEP 440's own post-release spelling
    ],
)
def test_each_carrier_writes_in_the_spelling_its_file_uses(
    tmp_path: Path, spec: CarrierSpec, text: str, line: str, raw: str, version: str, written: str
) -> None:
    path = write(tmp_path, spec.path, text.format(raw))
    carrier = carrier_for(spec, tmp_path)
    assert carrier.spelling(version) == written
    assert write_all([spec], tmp_path, version) == [path]
    assert text_of(path) == text.format(written)
    assert line.format(written) in text_of(path)
    assert carrier.read() == version


def test_spelling_of_the_version_a_semver_file_already_has_is_its_own_text(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, "demo.py", '__version__ = "1.0.0-beta"\n')
    carrier = carrier_for(CarrierSpec("demo.py"), tmp_path)
    for same in ("1.0.0b0", "1.0.0-beta.0", "v1.0.0-BETA"):
        assert carrier.spelling(same) == "1.0.0-beta"
    assert carrier.render("1.0.0b0") == '__version__ = "1.0.0-beta"\n'
    write_all([CarrierSpec("demo.py")], tmp_path, "1.0.0b0")
    assert text_of(path) == '__version__ = "1.0.0-beta"\n'


def test_spelling_in_pep440_files_is_normalized(tmp_path: Path) -> None:
    write(tmp_path, "demo.py", '__version__ = "1.0.0b0"\n')
    carrier = carrier_for(CarrierSpec("demo.py"), tmp_path)
    assert carrier.spelling("1.0.0-beta.1") == "1.0.0b1"
    assert carrier.spelling("v1.0.0-BETA") == "1.0.0b0"


def test_package_json_always_spells_semver(tmp_path: Path) -> None:
    path = write(tmp_path, "package.json", '{\n  "version": "1.0.0rc1"\n}\n')
    carrier = carrier_for(CarrierSpec("package.json"), tmp_path)
    assert carrier.read() == "1.0.0rc1"
    assert carrier.spelling("1.0.0rc1") == "1.0.0-rc.1"  # npm wants semver, whatever it said
    assert carrier.spelling("1.0.0b0") == "1.0.0-beta.0"
    write_all([CarrierSpec("package.json")], tmp_path, "1.0.0rc2")
    assert text_of(path) == '{\n  "version": "1.0.0-rc.2"\n}\n'


def test_mixed_spellings_each_file_in_its_own(tmp_path: Path) -> None:
    specs = project(tmp_path, "1.0.0-beta", "1.0.0b0", "1.0.0-beta")
    package_before = text_of(tmp_path / "package.json")
    readings = read_all(specs, tmp_path)
    assert [r.version for r in readings] == ["1.0.0b0"] * 3
    assert disagreements(readings) == []
    assert check_consistent(specs, tmp_path) == "1.0.0b0"
    assert [carrier_for(s, tmp_path).spelling("1.0.0b1") for s in specs] == [
        "1.0.0-beta.1",
        "1.0.0b1",
        "1.0.0-beta.1",
    ]

    write_all(specs, tmp_path, "1.0.0b1")

    assert text_of(tmp_path / "pyproject.toml") == (
        '[project]\nname = "demo"\nversion = "1.0.0-beta.1"\n'
    )
    assert text_of(tmp_path / "src/demo/__init__.py") == '__version__ = "1.0.0b1"\n'
    assert text_of(tmp_path / "package.json") == package_before.replace(
        '"1.0.0-beta"', '"1.0.0-beta.1"'
    )
    assert check_consistent(specs, tmp_path) == "1.0.0b1"


def test_semver_and_pep440_spellings_of_one_version_agree(tmp_path: Path) -> None:
    specs = project(tmp_path, "1.0.0b0", "1.0.0-beta", "1.0.0-beta.0")
    readings = read_all(specs, tmp_path)
    assert [r.raw for r in readings] == ["1.0.0b0", "1.0.0-beta", "1.0.0-beta.0"]
    assert disagreements(readings) == []
    assert check_consistent(specs, tmp_path) == "1.0.0b0"
    assert readings[1].describe() == "src/demo/__init__.py has 1.0.0-beta (1.0.0b0)"


def test_semver_spellings_of_different_versions_disagree(tmp_path: Path) -> None:
    specs = project(tmp_path, "1.0.0-beta", "1.0.0-beta.1", "1.0.0-beta")
    with pytest.raises(CarrierError) as excinfo:
        check_consistent(specs, tmp_path)
    assert error(excinfo).message == (
        "version files disagree: pyproject.toml has 1.0.0-beta (1.0.0b0), but "
        "src/demo/__init__.py has 1.0.0-beta.1 (1.0.0b1)"
    )


@pytest.mark.parametrize(
    ("version", "message", "hint"),
    [
        (
            "1.0",
            "src/demo/__init__.py cannot carry 1.0: semver spells it 1.0.0, which is a "
            "different version",
            "use a three-part version such as 1.0.0, or write a PEP 440 version into "
            "src/demo/__init__.py by hand (it keeps the semver spelling of its 1.0.0-beta "
            "otherwise)",
        ),
        (
            "1!1.0.0",
            "src/demo/__init__.py cannot carry 1!1.0.0: it has no semver spelling (version "
            "1!1.0.0 has an epoch, which semver cannot express)",
            "choose a version semver can express, or write a PEP 440 version into "
            "src/demo/__init__.py by hand (it keeps the semver spelling of its 1.0.0-beta "
            "otherwise)",
        ),
    ],
)
def test_semver_spelled_file_refuses_what_semver_cannot_spell(
    tmp_path: Path, version: str, message: str, hint: str
) -> None:
    specs = project(tmp_path, "1.0.0b0", "1.0.0-beta", "1.0.0-beta")
    before = {p: text_of(p) for p in tmp_path.rglob("*") if p.is_file()}
    with pytest.raises(CarrierError) as excinfo:
        write_all(specs[:2], tmp_path, version)
    exc = error(excinfo)
    assert exc.message == message
    assert exc.hint == hint
    assert {p: text_of(p) for p in tmp_path.rglob("*") if p.is_file()} == before


def test_package_json_padding_hint_is_unchanged(tmp_path: Path) -> None:
    specs = project(tmp_path, "1.0.0", "1.0.0", "1.0.0")
    with pytest.raises(CarrierError) as excinfo:
        write_all(specs, tmp_path, "1.2")
    exc = error(excinfo)
    assert exc.message == (
        "package.json cannot carry 1.2: semver spells it 1.2.0, which is a different version"
    )
    assert (
        exc.hint
        == "use a three-part version such as 1.2.0, or remove package.json from version-files"
    )


@pytest.mark.parametrize(
    ("rel", "text", "message"),
    [
        (
            "src/demo/__init__.py",
            '__version__ = "1.0.0-SNAPSHOT"\n',
            "src/demo/__init__.py: semver version '1.0.0-SNAPSHOT' has no PEP 440 equivalent",
        ),
        (
            "src/demo/__init__.py",
            '__version__ = "1.0.0-alpha.beta"\n',
            "src/demo/__init__.py: semver version '1.0.0-alpha.beta' has no PEP 440 equivalent",
        ),
        (
            "src/demo/__init__.py",
            '__version__ = "1.0.0-rev.1"\n',
            "src/demo/__init__.py: semver version '1.0.0-rev.1' is a pre-release, but PEP 440 "
            "reads it as the post-release 1.0.0.post1",
        ),
        (
            "package.json",
            '{"version": "1.0.0-1"}',
            "package.json: semver version '1.0.0-1' is a pre-release, but PEP 440 reads it as "
            "the post-release 1.0.0.post1",
        ),
        (
            "package.json",
            '{"version": "1.0.0-x.7.z.92"}',
            "package.json: semver version '1.0.0-x.7.z.92' has no PEP 440 equivalent",
        ),
    ],
)
def test_semver_without_a_pep440_equivalent_is_refused(
    tmp_path: Path, rel: str, text: str, message: str
) -> None:
    write(tmp_path, rel, text)
    carrier = carrier_for(CarrierSpec(rel), tmp_path)
    with pytest.raises(CarrierError) as excinfo:
        carrier.read()
    exc = error(excinfo)
    assert exc.message == message
    assert "-alpha.N, -beta.N, -rc.N and -dev.N" in exc.hint
    assert exc.hint.endswith(f" in {rel}")
    with pytest.raises(CarrierError) as excinfo:
        check_consistent([CarrierSpec(rel)], tmp_path)
    assert error(excinfo).message == message


def test_a_pep440_post_release_spelled_with_a_hyphen_stays_pep440(tmp_path: Path) -> None:
    # PEP 440 spells 1.0.0.post1 as 1.0.0-1 too; outside package.json it is read that way.
    write(tmp_path, "demo.py", '__version__ = "1.0.0-1"\n')
    assert carrier_for(CarrierSpec("demo.py"), tmp_path).read() == "1.0.0.post1"


def test_a_bad_semver_value_is_replaced_by_a_bump(tmp_path: Path) -> None:
    # `releasekit bump 1.1.0` / hatch's set_version may overwrite what cannot be read
    path = write(tmp_path, "demo.py", '__version__ = "1.0.0-SNAPSHOT"\n')
    write_all([CarrierSpec("demo.py")], tmp_path, "1.1.0b1")
    assert text_of(path) == '__version__ = "1.1.0-beta.1"\n'
