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
import hashlib
import json
import os
import re
import shlex
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from ruamel.yaml import YAML

import releasekit
from releasekit.cli.init import CI_SOURCE_PLACEHOLDER, ci_source
from tests.helpers.projects import REPO

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
GITHUB = sorted((TEMPLATES / "github").glob("*.yml"))
GITLAB = TEMPLATES / "gitlab" / ".gitlab-ci.yml"
RELEASE_WORKFLOWS = ("release.yml", "release-wheels.yml")  # publish on a tag
VENDOR = "check_jsonschema.builtin_schemas.vendor"
# The current major versions of the actions the templates use (August 2026).
CURRENT_ACTIONS = {
    "actions/checkout": "v6",
    "actions/setup-python": "v6",
    "actions/upload-artifact": "v5",
    "actions/download-artifact": "v6",
}
# What a job that holds credentials may run: the pinned releasekit's wheel, installed by
# file without extras, and the artifact commands. Nothing of the project: no nox (its
# noxfile is project code), no build, no install of what was built.
_CREDENTIALED = (
    re.compile(r'python -m pip wheel --quiet --no-deps --wheel-dir \S+ "\$RELEASEKIT_SOURCE"'),
    # the publish extra: what publishing needs beside the locked twine (pypi-simple reads the
    # index, trove-classifiers for the preflight, githubkit): nothing else, nothing by name
    re.compile(r'python -m pip install --quiet "\$\(ls "?\S+"?/releasekit-\*\.whl\)\[publish\]"'),
    re.compile(r"releasekit (publish-test|publish|github-release) --dist dist --yes"),
)

# The one job with a write token that checks out the repository: it reads and writes the
# version files, changelogs and intent files with releasekit itself, and runs git and gh.
VERSION_JOB = ("release-pr.yml", "version")
_VERSION_JOB_LINES = (
    re.compile(r'python -m pip wheel --quiet --no-deps --wheel-dir \S+ "\$RELEASEKIT_SOURCE"'),
    re.compile(r'python -m pip install --quiet "\$\(ls "?\S+"?/releasekit-\*\.whl\)"'),
    re.compile(r"releasekit (tag|intent status --json|bump)( [|>] .*)?"),
    re.compile(r"(git|gh|jq|echo|if|then|else|fi|exit) .*|fi|else"),
    re.compile(r"tags=\$\(sed -n .*\)"),
)

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


def releasekit_calls(job: dict[str, Any]) -> list[list[str]]:
    """Every ``releasekit ARGS`` line of a job's scripts, as its arguments."""
    return [
        shlex.split(line)[1:]
        for script in run_lines(job)
        for line in script.splitlines()
        if line.startswith("releasekit ")
    ]


def assert_credentialed_line(line: str, where: str) -> None:
    assert any(p.fullmatch(line.strip()) for p in _CREDENTIALED), f"{where} runs {line!r}"


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
    assert [p.name for p in GITHUB] == [
        "rehearse.yml", "release-pr.yml", "release-wheels.yml", "release.yml"
    ]  # fmt: skip


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
def test_github_template_uses_the_current_major_of_each_action(path: Path) -> None:
    for _, job in load_yaml(path)["jobs"].items():
        for step in job.get("steps", []):
            action = str(step.get("uses", ""))
            name, _, version = action.partition("@")
            if name in CURRENT_ACTIONS:
                assert version == CURRENT_ACTIONS[name], f"{path.name}: {action}"


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
def test_github_jobs_with_credentials_run_no_project_code(path: Path) -> None:
    """PyPA's trust model, walked job by job: a job that can mint an identity
    (``id-token: write``) or write the repository checks out nothing and runs only the
    pinned releasekit's wheel install and its artifact commands: no nox, no build, no
    install of the project, no smoke install, no cibuildwheel."""
    doc = load_yaml(path)
    for name, job in doc["jobs"].items():
        permissions = job.get("permissions", {})
        if "write" not in permissions.values() or (path.name, name) == VERSION_JOB:
            continue  # the release PR's version job: test_the_release_pr_runs_no_project_code
        if "uses" in job:  # a call of another template: checked there
            continue
        assert not any(uses(s, "actions/checkout") for s in job["steps"]), f"{path.name} {name}"
        for script in run_lines(job):
            for line in script.splitlines():
                assert_credentialed_line(line, f"{path.name} job {name}")


@pytest.mark.parametrize("path", GITHUB, ids=lambda p: p.name)
def test_github_template_runs_the_pinned_releasekit(path: Path) -> None:
    """RELEASEKIT_SOURCE is written in the file (pinned; `init --ci` writes the one it ran
    with), never a repository variable, which pull requests from forks do not receive; each
    job installs the wheel it built from it, by file, so no index can substitute another
    `releasekit`."""
    text = path.read_text(encoding="utf-8")
    doc = load_yaml(path)
    assert doc["env"]["RELEASEKIT_SOURCE"] == CI_SOURCE_PLACEHOLDER
    assert "vars." not in text
    assert "/work/" not in text and "/home/" not in text  # no path of a developer's machine
    for name, job in doc["jobs"].items():
        scripts = run_lines(job)
        runs_releasekit = any(re.search(r"^(releasekit|nox) ", line, re.M) for line in scripts)
        if not runs_releasekit:
            continue
        (pin,) = [s for s in scripts if "$RELEASEKIT_SOURCE" in s]
        lines = pin.splitlines()
        assert lines[0] == (
            'python -m pip wheel --quiet --no-deps --wheel-dir "$RUNNER_TEMP/releasekit" '
            '"$RELEASEKIT_SOURCE"'
        ), name
        assert '"$(ls "$RUNNER_TEMP"/releasekit/releasekit-*.whl)' in lines[1], name
        assert not re.search(r"install[^\n]*\breleasekit\[", pin), name  # never by name


def test_the_publish_extra_holds_what_publishing_imports() -> None:
    """The jobs that publish an artifact install releasekit[publish] only: every library the
    publishing steps import on the way (the index reader, PyPI's classifier list for the
    preflight, the GitHub client) must be in it, and the sessions' extra must include it."""
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    names = {re.split(r"[<>=;\[ ]", spec, maxsplit=1)[0] for spec in extras["publish"]}
    assert {"pypi-simple", "trove-classifiers", "releasekit"} <= names
    assert "releasekit[github]" in extras["publish"]
    assert "releasekit[publish]" in extras["nox"]


def test_the_release_pr_runs_no_project_code_where_it_can_push() -> None:
    """The version job holds a token that can push and open pull requests, and checks the
    repository out: it runs releasekit's own commands (which read and write files, never a
    build backend, a noxfile or a package manager), git, gh and jq, and keeps no
    credentials in .git/config. The release itself is release.yml's, called once tagged."""
    doc = workflow("release-pr.yml")
    assert doc["on"] == {"push": {"branches": ["main"]}}
    assert doc["permissions"] == {}
    version, release = doc["jobs"]["version"], doc["jobs"]["release"]
    assert version["permissions"] == {"contents": "write", "pull-requests": "write"}
    # the token is in the steps that push or call gh, not in the one that builds releasekit
    holders = [s["name"] for s in version["steps"] if "GH_TOKEN" in s.get("env", {})]
    assert holders == ["git identity and access", "tag", "release pull request"]
    assert "env" not in version
    for script in run_lines(version):
        for line in script.splitlines():
            line = line.strip()
            assert any(p.fullmatch(line) for p in _VERSION_JOB_LINES), line
            assert not re.search(r"\b(nox|uv|npm|pnpm|yarn|build)\b", line), line
    assert release == {
        "needs": "version",
        "if": "needs.version.outputs.tagged != '0'",
        "permissions": {"contents": "write", "id-token": "write"},
        "uses": "./.github/workflows/release.yml",
        "secrets": "inherit",
    }


def test_release_permissions_are_the_least_each_job_needs() -> None:
    for name in RELEASE_WORKFLOWS:
        doc = workflow(name)
        assert doc["permissions"] == {}
        jobs = doc["jobs"]
        for job_name, job in jobs.items():
            permissions = job["permissions"]  # every job says what it gets
            if job_name == "github-release":
                assert permissions == {"contents": "write"}
            elif job_name in ("publish-test", "publish"):
                assert permissions == {"id-token": "write"}, job_name
            elif job_name.startswith("verify") or job_name == "wheels":
                assert permissions == {}, job_name
            else:
                assert permissions == {"contents": "read"}, job_name
        writers = [n for n, j in jobs.items() if "write" in j["permissions"].values()]
        assert writers == ["publish-test", "publish", "github-release"], name


def test_release_publishes_then_verifies_each_index_without_credentials() -> None:
    for name in RELEASE_WORKFLOWS:
        jobs = workflow(name)["jobs"]
        built = "build" if name == "release.yml" else "check"
        order = ["publish-test", "verify-test", "publish", "verify", "github-release"]
        assert [n for n in jobs if n in order] == order, name
        assert needs(jobs["publish-test"]) == [built]
        for before, after in zip(order, order[1:]):
            assert needs(jobs[after]) == [before], (name, after)
        assert jobs["publish-test"]["environment"] == "testpypi"
        assert jobs["publish"]["environment"] == "pypi"
        assert releasekit_calls(jobs["publish-test"]) == [
            ["publish-test", "--dist", "dist", "--yes"]
        ]
        assert releasekit_calls(jobs["verify-test"]) == [
            ["verify-install", "--dist", "dist", "--from", "test"]
        ]
        assert releasekit_calls(jobs["publish"]) == [["publish", "--dist", "dist", "--yes"]]
        assert releasekit_calls(jobs["verify"]) == [
            ["verify-install", "--dist", "dist", "--from", "prod"]
        ]
        assert releasekit_calls(jobs["github-release"]) == [
            ["github-release", "--dist", "dist", "--yes"]
        ]


def test_release_signs_once_and_sends_the_same_attestations_to_pypi() -> None:
    for name in RELEASE_WORKFLOWS:
        jobs = workflow(name)["jobs"]
        (up,) = [
            s["with"] for s in jobs["publish-test"]["steps"] if uses(s, "actions/upload-artifact")
        ]
        assert up["name"] == "publish-test"
        assert "dist/*.publish.attestation" in up["path"].split()
        downloads = [
            s["with"] for s in jobs["publish"]["steps"] if uses(s, "actions/download-artifact")
        ]
        assert {"name": "publish-test", "path": "dist"} in downloads, name


def test_release_builds_once_and_hands_the_files_on_as_an_artifact() -> None:
    """One build (``nox -s smoke-install``, or for platform wheels the ``check`` job that
    gathers them); its ``dist`` artifact comes down as ``dist/`` in every later job."""
    for name in RELEASE_WORKFLOWS:
        jobs = workflow(name)["jobs"]
        builder = "build" if name == "release.yml" else "check"
        assert job_nox(jobs[builder]) == (
            [("smoke-install", [])]
            if builder == "build"
            else [("smoke-install", ["--dist", "dist"])]
        )
        (built,) = [s["with"] for s in jobs[builder]["steps"] if uses(s, "actions/upload-artifact")]
        assert built == {"name": "dist", "path": "dist/", "if-no-files-found": "error"}
        for job_name in ("publish-test", "verify-test", "publish", "verify", "github-release"):
            job = jobs[job_name]
            assert builder in upstream(jobs, job_name)
            downloads = [s["with"] for s in job["steps"] if uses(s, "actions/download-artifact")]
            assert downloads[0] == {"name": "dist", "path": "dist"}, (name, job_name)


def test_release_wheels_builds_every_wheel_from_one_sdist() -> None:
    jobs = workflow("release-wheels.yml")["jobs"]
    assert list(jobs)[:3] == ["sdist", "wheels", "check"]
    wheels = jobs["wheels"]
    assert wheels["runs-on"] == "${{ matrix.os }}"
    assert {"ubuntu-latest", "windows-latest", "macos-latest"} <= set(
        wheels["strategy"]["matrix"]["os"]
    )
    (build,) = [s for s in run_lines(wheels) if "cibuildwheel" in s]
    assert "python -m cibuildwheel --output-dir wheelhouse sdist/*.tar.gz" in build
    assert not any(uses(s, "actions/checkout") for s in wheels["steps"])  # the sdist only
    # the sdist builds without releasekit: cibuildwheel's containers need nothing of it
    assert "FIND_LINKS" not in json.dumps(wheels)
    assert job_nox(jobs["sdist"]) == [("build", [])]


def test_release_wheels_gathers_with_digests_and_checks_the_declared_matrix(
    tmp_path: Path,
) -> None:
    """The check job lists the sha256 of every file it gathered (log and run summary) before
    releasekit reads them, and has the very cibuildwheel the wheel jobs build with, so that
    ``[tool.releasekit] wheels = { cibuildwheel = [...] }`` names the wheels they make; its
    ``nox -s smoke-install -- --dist dist`` refuses a partial matrix at the check. The
    digest step is run here as GitHub runs a bash step."""
    doc = workflow("release-wheels.yml")
    jobs = doc["jobs"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", doc["env"]["CIBUILDWHEEL_VERSION"])
    (build,) = [s for s in run_lines(jobs["wheels"]) if "cibuildwheel" in s]
    assert 'python -m pip install "cibuildwheel==$CIBUILDWHEEL_VERSION"' in build
    steps = jobs["check"]["steps"]
    (gather,) = [i for i, s in enumerate(steps) if uses(s, "actions/download-artifact")]
    assert steps[gather]["with"] == {"pattern": "files-*", "merge-multiple": True, "path": "dist"}
    (digests,) = [i for i, s in enumerate(steps) if "sha256sum" in s.get("run", "")]
    (check,) = [i for i, s in enumerate(steps) if "nox -s" in s.get("run", "")]
    installs = [
        i
        for i, s in enumerate(steps)
        if '"cibuildwheel==$CIBUILDWHEEL_VERSION"' in s.get("run", "")
    ]
    assert len(installs) == 1 and installs[0] < gather < digests < check
    assert job_nox(jobs["check"]) == [("smoke-install", ["--dist", "dist"])]
    text = (TEMPLATES / "github" / "release-wheels.yml").read_text(encoding="utf-8")
    assert 'wheels = { cibuildwheel = ["linux:x86_64", "macos:arm64", "windows:AMD64"] }' in text

    dist = tmp_path / "dist"
    dist.mkdir()
    for name in ("demo-1.2.0.tar.gz", "demo-1.2.0-cp312-cp312-win_amd64.whl"):
        (dist / name).write_bytes(name.encode())
    summary = tmp_path / "summary.md"
    env = {
        "PATH": os.environ["PATH"],
        "RUNNER_TEMP": str(tmp_path),
        "GITHUB_STEP_SUMMARY": str(summary),
    }
    shell = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", steps[digests]["run"]]
    done = subprocess.run(shell, cwd=tmp_path, env=env, capture_output=True, text=True, check=True)
    listed = [
        f"{hashlib.sha256(name.encode()).hexdigest()}  {name}"
        for name in ("demo-1.2.0.tar.gz", "demo-1.2.0-cp312-cp312-win_amd64.whl")
    ]
    assert done.stdout.splitlines() == listed
    assert summary.read_text().splitlines() == ["```", *listed, "```"]


@pytest.mark.parametrize("name", RELEASE_WORKFLOWS)
def test_release_requires_a_tag_wherever_releasekit_builds_or_checks(name: str) -> None:
    doc = workflow(name)
    for job_name, job in doc["jobs"].items():
        for step in job.get("steps", []):
            if "nox -s" in step.get("run", ""):
                assert effective_env(doc, job, step)["RELEASEKIT_REQUIRE_TAG"] == "1", job_name


@pytest.mark.parametrize("name", RELEASE_WORKFLOWS)
def test_release_runs_on_a_version_tag_and_on_a_published_release(name: str) -> None:
    doc = workflow(name)
    on = {"push": {"tags": ["v*"]}, "release": {"types": ["published"]}}
    if name == "release.yml":  # release-pr.yml calls it after tagging a merged release PR
        on["workflow_call"] = None
    assert doc["on"] == on
    # both may fire for one tag: one after the other, never a release cancelled half-way
    # every run that releases one commit (a tag, a published release, release-pr.yml's call)
    assert doc["concurrency"] == {"group": "release-${{ github.sha }}", "cancel-in-progress": False}
    first = next(iter(doc["jobs"].values()))
    assert first["if"] == (
        "github.event_name == 'push' || startsWith(github.event.release.tag_name, 'v')"
    )


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
    assert doc["permissions"] == {}
    (job,) = doc["jobs"].values()
    assert job["permissions"] == {"contents": "read"}
    assert job_nox(job) == [("release", ["--rehearse"])]
    assert "environment" not in job
    assert not any(isinstance(v, str) and ("secrets." in v or "vars." in v) for _, v in walk(doc))


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
    assert doc["stages"] == ["build", "publish-test", "verify-test", "publish", "verify"]
    assert doc["variables"]["GIT_DEPTH"] == "0"  # a full clone where there is one
    assert set(jobs) == {"build", "publish-test", "verify-test", "publish", "verify", "rehearse"}
    tag_rule = [{"if": "$CI_COMMIT_TAG =~ /^v/"}]
    for name in ("build", "publish-test", "verify-test", "publish", "verify"):
        assert jobs[name]["rules"] == tag_rule, name
    assert jobs["build"]["variables"]["RELEASEKIT_REQUIRE_TAG"] == "1"
    assert jobs["publish-test"]["id_tokens"] == {
        "TESTPYPI_ID_TOKEN": {"aud": "testpypi"},
        "SIGSTORE_ID_TOKEN": {"aud": "sigstore"},  # signed once, here
    }
    assert jobs["publish"]["id_tokens"] == {"PYPI_ID_TOKEN": {"aud": "pypi"}}
    holders = {name for name, job in jobs.items() if "id_tokens" in job}
    assert holders == {"publish-test", "publish"}  # identities only where files are uploaded
    assert jobs["publish-test"]["environment"] == {"name": "testpypi"}
    assert jobs["publish"]["environment"] == {"name": "pypi"}
    assert jobs["rehearse"]["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'}]
    assert gitlab_nox(jobs["rehearse"]) == [("release", ["--rehearse"])]


def test_gitlab_jobs_with_id_tokens_run_no_project_code() -> None:
    for name, job in gitlab_jobs(gitlab()).items():
        if "id_tokens" not in job:
            continue
        assert job["variables"]["GIT_STRATEGY"] == "none", name  # no clone at all
        for line in [*job["before_script"], *job["script"]]:
            assert_credentialed_line(line, f".gitlab-ci.yml job {name}")


def test_gitlab_builds_once_and_hands_the_files_on_as_an_artifact() -> None:
    jobs = gitlab_jobs(gitlab())
    assert gitlab_nox(jobs["build"]) == [("smoke-install", [])]
    assert jobs["build"]["artifacts"]["paths"] == ["dist/"]
    assert [shlex.split(s) for s in jobs["publish-test"]["script"]] == [
        ["releasekit", "publish-test", "--dist", "dist", "--yes"]
    ]
    assert [shlex.split(s) for s in jobs["verify"]["script"]] == [
        ["releasekit", "verify-install", "--dist", "dist", "--from", "prod"]
    ]
    assert jobs["publish-test"]["needs"] == [{"job": "build", "artifacts": True}]
    assert jobs["publish"]["needs"] == [
        {"job": "build", "artifacts": True},
        {"job": "publish-test", "artifacts": True},  # its attestations, for PyPI
        {"job": "verify-test", "artifacts": False},
    ]
    assert "dist/*.publish.attestation" in jobs["publish-test"]["artifacts"]["paths"]


def test_gitlab_never_puts_a_credential_on_a_command_line() -> None:
    doc = gitlab()
    for where, value in walk(doc):
        if where and where[0] in _GITLAB_GLOBAL | {"variables"}:
            continue
        if isinstance(value, str) and any(k in where for k in ("script", "before_script")):
            assert not re.search(r"TOKEN|PASSWORD", value), value


def test_gitlab_runs_the_pinned_releasekit() -> None:
    doc = gitlab()
    assert doc["variables"]["RELEASEKIT_SOURCE"] == CI_SOURCE_PLACEHOLDER
    for template in (".releasekit", ".releasekit-nox"):
        before = gitlab_job(doc, template)["before_script"]
        assert before[0] == (
            'python -m pip wheel --quiet --no-deps --wheel-dir /tmp/releasekit "$RELEASEKIT_SOURCE"'
        )
        assert '"$(ls /tmp/releasekit/releasekit-*.whl)' in before[1]


def test_init_ci_writes_the_releasekit_it_runs_with() -> None:
    commit = "0123456789abcdef0123456789abcdef01234567"
    assert ci_source(
        ("https://github.com/o/releasekit", f"git+https://github.com/o/releasekit@{commit}")
    ) == (f"git+https://github.com/o/releasekit@{commit}")
    assert ci_source(("file:///src/releasekit", "/src/releasekit")) is None  # CI can't reach it
    assert ci_source(None) == f"releasekit=={releasekit.__version__}"


# --- the README's CI -------------------------------------------------------------------------


def test_the_readme_shows_no_ci_of_its_own() -> None:
    """The README points at the templates instead of carrying workflows of its own, which
    drift: every workflow users copy is one of the files tested here."""
    readme = (TEMPLATES.parent / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```ya?ml\n(.*?)```", readme, flags=re.S)
    assert [b for b in blocks if re.search(r"^\s*(jobs|stages):", b, re.M)] == []
    assert "pipx run nox" not in readme


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
