"""The CI templates: valid against the published schemas, and safe where a release needs it.

The schemas are SchemaStore's ``github-workflow.json`` and GitLab's ``gitlab-ci.json`` as
vendored by check-jsonschema (``check_jsonschema/builtin_schemas/vendor/``), read from the
installed package: no network, no hand-written schema. They are draft-07 documents with no
remote ``$ref``; ``jsonschema`` validates with the validator class the schema asks for.

The YAML is read as YAML 1.2 (ruamel.yaml), as GitHub and GitLab read it: a key ``on`` stays
the string ``"on"``, and a duplicate key is an error rather than a silent overwrite.

Beyond the schema, the properties a release depends on: who may write what (``contents:
write`` only where the GitHub release is made, ``id-token: write`` only where files are
uploaded), a full clone, one build whose files travel as one artifact to every later job
(which passes ``--dist`` so nothing is rebuilt), a tag required, and credentials only ever
in ``env:``, never on a command line.
"""

from __future__ import annotations

import copy
import json
import re
import shlex
import zipfile
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from ruamel.yaml import YAML

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
GITHUB = sorted((TEMPLATES / "github").glob("*.yml"))
GITLAB = TEMPLATES / "gitlab" / ".gitlab-ci.yml"
RELEASE_WORKFLOWS = ("release.yml", "release-wheels.yml")  # publish on a tag
VENDOR = "check_jsonschema.builtin_schemas.vendor"

# GitLab keywords that are not jobs at the top level of .gitlab-ci.yml
_GITLAB_GLOBAL = {
    "default", "include", "stages", "variables", "workflow", "image", "services",
    "cache", "before_script", "after_script", "spec",
}  # fmt: skip


# --- loading ------------------------------------------------------------------------------


def load_yaml(path: Path) -> Any:
    return YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))


def validator(schema_file: str) -> jsonschema.protocols.Validator:
    schema = json.loads(resources.files(VENDOR).joinpath(schema_file).read_text("utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


@pytest.fixture(scope="module")
def github_schema() -> jsonschema.protocols.Validator:
    return validator("github-workflows.json")


@pytest.fixture(scope="module")
def gitlab_schema() -> jsonschema.protocols.Validator:
    return validator("gitlab-ci.json")


def schema_errors(schema: jsonschema.protocols.Validator, document: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '(top)'}: {error.message[:300]}"
        for error in sorted(schema.iter_errors(document), key=lambda e: list(e.absolute_path))
    ]


# --- GitHub helpers -------------------------------------------------------------------------


def workflow(name: str) -> dict[str, Any]:
    return load_yaml(TEMPLATES / "github" / name)  # type: ignore[no-any-return]


def run_lines(job: dict[str, Any]) -> list[str]:
    return [step["run"] for step in job.get("steps", []) if "run" in step]


def nox_calls(script: str) -> list[tuple[str, list[str]]]:
    """Every ``nox -s SESSION -- ARGS`` in a shell script, as (session, args after --)."""
    calls = []
    for line in script.splitlines():
        words = shlex.split(line, comments=True)
        if words[:2] == ["nox", "-s"]:
            rest = words[3:]
            calls.append((words[2], rest[1:] if rest[:1] == ["--"] else rest))
    return calls


def job_nox(job: dict[str, Any]) -> list[tuple[str, list[str]]]:
    return [call for script in run_lines(job) for call in nox_calls(script)]


def uses(step: dict[str, Any], action: str) -> bool:
    return str(step.get("uses", "")).split("@")[0] == action


def needs(job: dict[str, Any]) -> list[str]:
    value = job.get("needs", [])
    return [value] if isinstance(value, str) else list(value)


def upstream(jobs: dict[str, Any], name: str) -> set[str]:
    """Every job ``name`` waits for, directly or not."""
    seen: set[str] = set()
    todo = needs(jobs[name])
    while todo:
        job = todo.pop()
        if job not in seen:
            seen.add(job)
            todo.extend(needs(jobs[job]))
    return seen


def walk(node: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every scalar of a YAML document with its path of keys (list items as ``[i]``)."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from walk(value, (*path, str(key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, (*path, f"[{index}]"))
    else:
        yield path, node


def effective_env(doc: dict[str, Any], job: dict[str, Any], step: dict[str, Any]) -> dict[str, Any]:
    return {**doc.get("env", {}), **job.get("env", {}), **step.get("env", {})}


# --- every GitHub template -----------------------------------------------------------------


def test_the_github_templates_are_the_ones_documented() -> None:
    assert [p.name for p in GITHUB] == ["rehearse.yml", "release-wheels.yml", "release.yml"]


@pytest.mark.parametrize("path", GITHUB, ids=lambda p: p.name)
def test_github_template_is_a_valid_workflow(path: Path, github_schema: Any) -> None:
    assert schema_errors(github_schema, load_yaml(path)) == []


def test_the_workflow_schema_is_not_vacuous(github_schema: Any) -> None:
    """The schema used really rejects a broken workflow (else the test above proves nothing)."""
    doc = workflow("release.yml")
    broken = copy.deepcopy(doc)
    broken["jobs"]["publish"]["permissions"]["id-token"] = "writ"
    assert any("permissions" in e for e in schema_errors(github_schema, broken))
    broken = copy.deepcopy(doc)
    broken["jobs"]["build"]["steps"][0]["run"] = "echo both uses and run"
    assert schema_errors(github_schema, broken)
    broken = copy.deepcopy(doc)
    broken["jobs"]["build"]["runs_on"] = broken["jobs"]["build"].pop("runs-on")
    assert schema_errors(github_schema, broken)


@pytest.mark.parametrize("path", GITHUB, ids=lambda p: p.name)
def test_github_template_never_puts_an_expression_on_a_command_line(path: Path) -> None:
    """No ``${{ }}`` in any ``run:``: secrets reach a step through ``env:`` only (never in a
    command line, a process list or a log), and no event field can inject shell code."""
    doc = load_yaml(path)
    for name, job in doc["jobs"].items():
        for script in run_lines(job):
            assert "${{" not in script, f"{path.name} job {name}: {script!r}"
    for where, value in walk(doc):
        if isinstance(value, str) and re.search(r"\bsecrets\.|\bgithub\.token\b", value):
            assert len(where) >= 2 and where[-2] == "env", f"{path.name}: {'/'.join(where)}"


@pytest.mark.parametrize("path", GITHUB, ids=lambda p: p.name)
def test_github_template_clones_fully_and_keeps_no_credentials_in_git(path: Path) -> None:
    doc = load_yaml(path)
    for name, job in doc["jobs"].items():
        for step in job.get("steps", []):
            if uses(step, "actions/checkout"):
                assert step["with"]["fetch-depth"] == 0, f"{path.name} job {name}"
                assert step["with"]["persist-credentials"] is False, f"{path.name} job {name}"
        if job_nox(job):  # releasekit reads tags and history: every nox job has a full clone
            assert any(uses(s, "actions/checkout") for s in job["steps"]), name


@pytest.mark.parametrize("path", GITHUB, ids=lambda p: p.name)
def test_github_template_gets_releasekit_from_the_users_source_until_it_is_on_pypi(
    path: Path,
) -> None:
    """Each job that needs releasekit builds its wheel from ``vars.RELEASEKIT_SOURCE`` (set by
    the user, pinned), and every later install and build finds it through the find-links
    variables; the file says what to delete once releasekit is on PyPI."""
    text = path.read_text(encoding="utf-8")
    doc = load_yaml(path)
    assert doc["env"]["RELEASEKIT_SOURCE"] == "${{ vars.RELEASEKIT_SOURCE }}"
    assert "until releasekit is on PyPI" in text
    assert "/work/" not in text and "/home/" not in text  # no path of a developer's machine
    for name, job in doc["jobs"].items():
        scripts = run_lines(job)
        if not any("releasekit" in s or "nox -s" in s for s in scripts):
            continue
        wheel = [i for i, s in enumerate(scripts) if "pip wheel" in s and "$RELEASEKIT_SOURCE" in s]
        assert wheel, f"{path.name} job {name} never builds releasekit's wheel"
        first = scripts[wheel[0]]
        assert ":?set the Actions variable RELEASEKIT_SOURCE" in first  # fails with a hint
        for variable in ("PIP_FIND_LINKS", "UV_FIND_LINKS"):
            assert f'{variable}=$RUNNER_TEMP/releasekit-wheels" >> "$GITHUB_ENV"' in first
        later = scripts[wheel[0] + 1 :]
        assert all("RELEASEKIT_SOURCE" not in s for s in scripts[: wheel[0]]), name
        assert any("releasekit" in s or "cibuildwheel" in s for s in later), name


# --- the release workflows -----------------------------------------------------------------


@pytest.mark.parametrize("name", RELEASE_WORKFLOWS)
def test_release_runs_on_a_version_tag_and_on_a_published_release(name: str) -> None:
    doc = workflow(name)
    assert doc["on"] == {"push": {"tags": ["v*"]}, "release": {"types": ["published"]}}
    # both may fire for one tag: one after the other, never a release cancelled half-way
    assert doc["concurrency"] == {"group": "release-${{ github.ref }}", "cancel-in-progress": False}
    first = next(iter(doc["jobs"].values()))
    assert first["if"] == (
        "github.event_name == 'push' || startsWith(github.event.release.tag_name, 'v')"
    )


@pytest.mark.parametrize("name", RELEASE_WORKFLOWS)
def test_release_permissions_are_the_least_each_job_needs(name: str) -> None:
    doc = workflow(name)
    assert doc["permissions"] == {"contents": "read"}
    for job_name, job in doc["jobs"].items():
        permissions = job["permissions"]  # every job says what it gets
        sessions = {session for session, _ in job_nox(job)}
        publishes = bool(sessions & {"publish-test", "publish"})
        if job_name == "github-release":
            assert permissions == {"contents": "write"}
            assert sessions == {"github-release"}
        elif publishes:
            assert permissions == {"contents": "read", "id-token": "write"}, job_name
            assert job.get("environment") in ("testpypi", "pypi"), job_name
        else:
            assert permissions == {"contents": "read"}, job_name
            assert "environment" not in job, job_name
    writers = [n for n, j in doc["jobs"].items() if j["permissions"].get("contents") == "write"]
    assert writers == ["github-release"]


def test_release_publishes_to_testpypi_then_pypi_in_their_environments() -> None:
    jobs = workflow("release.yml")["jobs"]
    assert list(jobs) == ["build", "publish-test", "publish", "github-release"]
    assert jobs["publish-test"]["environment"] == "testpypi"
    assert jobs["publish"]["environment"] == "pypi"
    assert needs(jobs["publish-test"]) == ["build"]
    assert needs(jobs["publish"]) == ["publish-test"]
    assert needs(jobs["github-release"]) == ["publish"]
    assert job_nox(jobs["build"]) == [("build", [])]
    assert job_nox(jobs["publish-test"]) == [("publish-test", ["--yes", "--dist", "dist"])]
    assert job_nox(jobs["publish"]) == [("publish", ["--yes", "--dist", "dist"])]
    assert job_nox(jobs["github-release"]) == [("github-release", ["--yes", "--dist", "dist"])]


def test_release_wheels_builds_every_wheel_from_one_sdist_and_releases_in_one_job() -> None:
    jobs = workflow("release-wheels.yml")["jobs"]
    assert list(jobs) == ["sdist", "wheels", "release", "github-release"]
    wheels = jobs["wheels"]
    assert wheels["runs-on"] == "${{ matrix.os }}"
    oses = wheels["strategy"]["matrix"]["os"]
    assert {"ubuntu-latest", "windows-latest", "macos-latest"} <= set(oses)
    (build,) = [s for s in run_lines(wheels) if "cibuildwheel" in s]
    assert "python -m cibuildwheel --output-dir wheelhouse sdist/*.tar.gz" in build
    assert not any(uses(s, "actions/checkout") for s in wheels["steps"])  # the sdist only
    linux = next(s for s in wheels["steps"] if "cibuildwheel" in s.get("run", ""))
    # the Linux container sees the runner's releasekit wheel under /host
    linux_env = linux["env"]["CIBW_ENVIRONMENT_LINUX"]
    assert "PIP_FIND_LINKS=/host${{ runner.temp }}/releasekit-wheels" in linux_env
    upload = next(s for s in wheels["steps"] if uses(s, "actions/upload-artifact"))
    assert upload["with"]["name"] == "dist-wheels-${{ matrix.os }}"
    assert needs(jobs["release"]) == ["wheels"] and needs(jobs["github-release"]) == ["release"]
    assert jobs["release"]["environment"] == "pypi"
    assert job_nox(jobs["release"]) == [("publish", ["--yes", "--dist", "dist"])]


@pytest.mark.parametrize("name", RELEASE_WORKFLOWS)
def test_release_builds_once_and_hands_the_files_on_as_an_artifact(name: str) -> None:
    """One ``nox -s build``; its files go up as an artifact and come down as ``dist/`` in
    every later job, after the checkout (which would clean them away), and every later nox
    call takes them with ``--dist dist`` (adopted and checked, never rebuilt)."""
    doc = workflow(name)
    jobs = doc["jobs"]
    builds = [(n, a) for n, j in jobs.items() for s, a in job_nox(j) if s == "build"]
    assert len(builds) == 1 and builds[0][1] == [], builds
    builder = builds[0][0]
    uploads = {
        n: [s["with"] for s in j["steps"] if uses(s, "actions/upload-artifact")]
        for n, j in jobs.items()
    }
    (built,) = uploads[builder]
    assert built["path"].startswith("dist/") and built["if-no-files-found"] == "error"
    artifact_names = {u["name"] for ups in uploads.values() for u in ups}
    for job_name, job in jobs.items():
        calls = job_nox(job)
        if job_name == builder or not calls:
            continue
        assert builder in upstream(jobs, job_name), job_name
        for session, args in calls:
            assert session != "build" and args[-2:] == ["--dist", "dist"], (job_name, args)
        steps = job["steps"]
        (download,) = [i for i, s in enumerate(steps) if uses(s, "actions/download-artifact")]
        checkout = next(i for i, s in enumerate(steps) if uses(s, "actions/checkout"))
        nox_step = next(i for i, s in enumerate(steps) if "nox -s" in s.get("run", ""))
        assert checkout < download < nox_step, job_name
        got = steps[download]["with"]
        assert got["path"] == "dist"
        if "name" in got:
            assert got["name"] == built["name"]
        else:  # the sdist and every wheel, merged into one folder
            assert got["merge-multiple"] is True
            pattern = re.compile(got["pattern"].replace("*", ".*"))
            assert {n for n in artifact_names if pattern.fullmatch(n)} == artifact_names


@pytest.mark.parametrize("name", RELEASE_WORKFLOWS)
def test_release_requires_a_tag_wherever_releasekit_builds_or_checks(name: str) -> None:
    doc = workflow(name)
    for job_name, job in doc["jobs"].items():
        for step in job.get("steps", []):
            if "nox -s" in step.get("run", ""):
                assert effective_env(doc, job, step)["RELEASEKIT_REQUIRE_TAG"] == "1", job_name


@pytest.mark.parametrize("name", RELEASE_WORKFLOWS)
def test_release_token_reaches_the_github_release_step_only(name: str) -> None:
    doc = workflow(name)
    holders = [
        (job_name, step.get("name"))
        for job_name, job in doc["jobs"].items()
        for step in job.get("steps", [])
        if "GITHUB_TOKEN" in effective_env(doc, job, step)
    ]
    assert holders == [("github-release", "github-release")]
    step = next(
        s for s in doc["jobs"]["github-release"]["steps"] if s.get("name") == "github-release"
    )
    assert step["env"] == {"GITHUB_TOKEN": "${{ secrets.GITHUB_TOKEN }}"}
    # trusted publishing: no index password is handed to any job
    assert not any("PASSWORD" in part for path, _ in walk(doc) for part in path)


def test_rehearse_runs_the_whole_release_locally_without_any_credential() -> None:
    doc = workflow("rehearse.yml")
    assert doc["on"] == ["pull_request"]
    assert doc["permissions"] == {"contents": "read"}
    (job,) = doc["jobs"].values()
    assert job["permissions"] == {"contents": "read"}
    assert job_nox(job) == [("release", ["--rehearse"])]
    assert "environment" not in job
    assert not any(isinstance(v, str) and "secrets." in v for _, v in walk(doc))


# --- GitLab -------------------------------------------------------------------------------


def gitlab() -> dict[str, Any]:
    return load_yaml(GITLAB)  # type: ignore[no-any-return]


def merge(base: Any, override: Any) -> Any:
    """GitLab's ``extends``: hashes merge deeply, anything else is replaced."""
    if isinstance(base, dict) and isinstance(override, dict):
        out = dict(base)
        for key, value in override.items():
            out[key] = merge(base.get(key), value) if key in base else value
        return out
    return override


def gitlab_job(doc: dict[str, Any], name: str) -> dict[str, Any]:
    job = doc[name]
    parents = job.get("extends", [])
    resolved: dict[str, Any] = {}
    for parent in [parents] if isinstance(parents, str) else parents:
        resolved = merge(resolved, gitlab_job(doc, parent))
    return merge(resolved, {k: v for k, v in job.items() if k != "extends"})  # type: ignore[no-any-return]


def gitlab_jobs(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: gitlab_job(doc, name)
        for name in doc
        if name not in _GITLAB_GLOBAL and not name.startswith(".")
    }


def gitlab_nox(job: dict[str, Any]) -> list[tuple[str, list[str]]]:
    return [call for line in job.get("script", []) for call in nox_calls(line)]


def test_gitlab_template_is_a_valid_pipeline(gitlab_schema: Any) -> None:
    assert schema_errors(gitlab_schema, gitlab()) == []


def test_the_gitlab_schema_is_not_vacuous(gitlab_schema: Any) -> None:
    broken = gitlab()
    broken["publish"]["id_tokens"]["PYPI_ID_TOKEN"] = {"audience": "pypi"}
    assert schema_errors(gitlab_schema, broken)
    broken = gitlab()
    broken["build"]["artifacts"]["expire_in"] = ["30 days"]
    assert schema_errors(gitlab_schema, broken)


def test_gitlab_releases_on_a_tag_with_trusted_publishing_by_id_tokens() -> None:
    doc = gitlab()
    jobs = gitlab_jobs(doc)
    assert doc["stages"] == ["build", "publish-test", "publish"]
    assert doc["variables"]["GIT_DEPTH"] == "0"  # a full clone
    assert set(jobs) == {"build", "publish-test", "publish", "rehearse"}
    tag_rule = [{"if": "$CI_COMMIT_TAG =~ /^v/"}]
    for name in ("build", "publish-test", "publish"):
        assert jobs[name]["rules"] == tag_rule, name
        assert jobs[name]["variables"]["RELEASEKIT_REQUIRE_TAG"] == "1", name
    assert jobs["publish-test"]["id_tokens"] == {
        "TESTPYPI_ID_TOKEN": {"aud": "testpypi"},
        "SIGSTORE_ID_TOKEN": {"aud": "sigstore"},
    }
    assert jobs["publish"]["id_tokens"] == {
        "PYPI_ID_TOKEN": {"aud": "pypi"},
        "SIGSTORE_ID_TOKEN": {"aud": "sigstore"},
    }
    for name in ("build", "rehearse"):  # identities only where files are uploaded
        assert "id_tokens" not in jobs[name], name
    assert jobs["publish-test"]["environment"] == {"name": "testpypi"}
    assert jobs["publish"]["environment"] == {"name": "pypi"}
    assert jobs["rehearse"]["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'}]
    assert gitlab_nox(jobs["rehearse"]) == [("release", ["--rehearse"])]


def test_gitlab_builds_once_and_hands_the_files_on_as_an_artifact() -> None:
    jobs = gitlab_jobs(gitlab())
    builds = [(n, a) for n, j in jobs.items() for s, a in gitlab_nox(j) if s == "build"]
    assert builds == [("build", [])]
    assert jobs["build"]["artifacts"]["paths"] == ["dist/"]
    assert gitlab_nox(jobs["publish-test"]) == [("publish-test", ["--yes", "--dist", "dist"])]
    assert gitlab_nox(jobs["publish"]) == [("publish", ["--yes", "--dist", "dist"])]
    assert jobs["publish-test"]["needs"] == [{"job": "build", "artifacts": True}]
    assert jobs["publish"]["needs"] == [
        {"job": "build", "artifacts": True},
        {"job": "publish-test", "artifacts": False},
    ]


def test_gitlab_never_puts_a_credential_on_a_command_line() -> None:
    doc = gitlab()
    for where, value in walk(doc):
        if where and where[0] in _GITLAB_GLOBAL | {"variables"}:
            continue
        if isinstance(value, str) and any(k in where for k in ("script", "before_script")):
            assert not re.search(r"TOKEN|PASSWORD", value), value


def test_gitlab_gets_releasekit_from_the_users_source_until_it_is_on_pypi() -> None:
    text = GITLAB.read_text(encoding="utf-8")
    assert "until releasekit is on PyPI" in text
    assert "/work/" not in text and "/home/" not in text
    before = gitlab_job(gitlab(), ".releasekit")["before_script"]
    assert "set the CI/CD variable RELEASEKIT_SOURCE" in before[0]
    assert '"$RELEASEKIT_SOURCE"' in before[1] and "pip wheel --no-deps" in before[1]
    wheels = "/tmp/releasekit-wheels"
    assert before[2] == f"export PIP_FIND_LINKS={wheels} UV_FIND_LINKS={wheels}"
    assert "releasekit[nox]" in before[3]
    for name, job in gitlab_jobs(gitlab()).items():
        assert job["before_script"] == before, name


# --- what `releasekit init --ci` copies -----------------------------------------------------


def test_the_wheel_ships_every_ci_template(wheelhouse: Path) -> None:
    """`releasekit init --ci` copies the templates from the installed package."""
    (wheel,) = wheelhouse.glob("releasekit-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        shipped = {n for n in archive.namelist() if n.startswith("releasekit/templates/")}
        for path in [*GITHUB, GITLAB]:
            member = f"releasekit/templates/{path.relative_to(TEMPLATES).as_posix()}"
            assert member in shipped
            assert archive.read(member) == path.read_bytes(), member
