"""The rehearsal's index, as strict as PyPI: pypiserver behind a front that applies PyPI's rules.

Runs as ``python strict_index.py --root DIR --port N --password-file FILE`` in pypiserver's
venv (releasekit's lock: pypiserver, readme-renderer, trove-classifiers; any Python >= 3.9).
It builds pypiserver's WSGI app (uploads need the htpasswd password, no fallback to PyPI) and
serves it on 127.0.0.1 through :class:`StrictFront`, a WSGI middleware that answers what
pypiserver would answer differently from PyPI, each rule ported from Warehouse's upload view
(pypi/warehouse ``warehouse/forklift/legacy.py`` ``file_upload``), with its status and words:

* every rule of one file (filename, platform tag, Metadata-Version, metadata, classifiers,
  README, size): ``releasekit/targets/pypi/rules.py``, loaded by path (the plan's preflight
  runs the same module), with the README rendered by readme_renderer as PyPI renders it;
* the same bytes again: 200 and nothing changes; other bytes under a name it holds: 400
  "File already exists"; a name deleted through the index's API: 400 for good;
* a project archived (PEP 792): 403; new files for a release older than 14 days: 400; a
  second sdist for a release: 400; a new project beyond the new-project rate limit: 429;
* a project's own upload limit (``Project.upload_limit``, :func:`set_upload_limit`), which
  raises the index's; a project held to what any index takes instead of PyPI's rules
  (:func:`set_pypi_rules`: the stand-in of an index that is not PyPI, ``pypi-rules = false``),
  per project because one pair of stand-ins serves every member of a workspace;
* the PEP 691 JSON simple API (PEP 700 ``upload-time``, ``size``, ``versions``; PEP 792
  ``project-status``), and the status in the HTML pages pypiserver writes.

What the index knows beyond its files (upload times, deleted names, project status, project
creations) is :mod:`index_state`'s, the module beside this one (imported from there when
this runs as a script, where releasekit is not installed). This script imports only the
standard library at module level, and pypiserver, bottle and readme_renderer in the server.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import hashlib
import hmac
import importlib
import importlib.util
import io
import json
import os
import shutil
import socketserver
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Iterable
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Callable
from urllib.parse import parse_qs, quote

if __package__:  # imported by releasekit (LocalIndex, the tests)
    from releasekit._child import index_state
else:  # run as a script in pypiserver's venv, where releasekit is not installed
    import index_state  # type: ignore[import-not-found,no-redef]  # the file beside this one


# warehouse/packaging/utils.py API_VERSION: what PyPI's simple API says it serves.
API_VERSION = "1.4"
JSON_TYPE = "application/vnd.pypi.simple.v1+json"
HELP_URL = "https://pypi.org/help/"
# The new-project rate limit: None, PyPI's (rules.PROJECT_CREATE_LIMITS, a moving window as
# warehouse/rate_limiting's MovingWindowRateLimiter); () with ``--no-rate-limit``: a
# rehearsal's stand-in, where every project is new although pypi.org knows most of them (the
# plan counts the real index's new ones). The 14-day window: rules.NEW_FILES_WINDOW_DAYS.
PROJECT_CREATE_LIMITS: tuple[tuple[str, int, int], ...] | None = None


# --- the server -------------------------------------------------------------------------------


class Refusal(Exception):
    """An answer in Warehouse's form: the message is the status line's reason, and the body."""

    def __init__(self, code: int, message: str, headers: Iterable[tuple[str, str]] = ()) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.headers = list(headers)


_TITLES = {
    200: "OK",
    301: "Moved Permanently",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    429: "Too Many Requests",
}


class StrictFront:
    """WSGI middleware: PyPI's answers in front of pypiserver's ``app``."""

    def __init__(
        self,
        app: Any,
        root: Path,
        *,
        rules_path: Path,
        bottle: Any,
        max_file_size: int | None = None,
    ) -> None:
        self.app = app
        self.root = root
        self.rules_path = rules_path
        self._checks: tuple[Any, Callable[[str, str | None], str | None] | None] | None = None
        self._loading = threading.Lock()
        self.bottle = bottle
        # warehouse/constants.py MAX_FILESIZE (rules.MAX_FILE_SIZE when None); a project's
        # upload limit raises it
        self.max_file_size = max_file_size
        self.auther = app._pypiserver_config.auther
        self.spool = Path(tempfile.mkdtemp(prefix="releasekit-strict-index-"))

    def checks(self) -> tuple[Any, Callable[[str, str | None], str | None] | None]:
        """rules.py and the README renderer, loaded on first use (:func:`serve` starts that
        right after the bind): their imports (packaging.metadata, docutils) take longer
        than pypiserver's own start, and an index that is only read never needs them."""
        with self._loading:
            if self._checks is None:
                index_state.metadata_rules = load_rules(self.rules_path)
                self._checks = (index_state.metadata_rules, readme_renderer())
            return self._checks

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "") or "/"
        try:
            if method == "POST" and path == "/":
                answer = self._post(environ, start_response)
            elif method in ("GET", "HEAD") and path.startswith("/simple/"):
                answer = self._simple(environ, start_response, path)
            else:
                answer = None
        except Refusal as refusal:
            return _refuse(start_response, refusal)
        return self.app(environ, start_response) if answer is None else answer

    # -- uploads and removals ------------------------------------------------------------------

    def _post(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = self.bottle.BaseRequest(environ)
        auth = request.auth
        if not auth or auth[1] is None or not self.auther(*auth):
            return None  # pypiserver answers: 401 without credentials, 403 with wrong ones
        action = request.forms.get(":action")
        if action == "file_upload":
            return self._upload(request, auth[0], environ, start_response)
        if action == "remove_pkg":
            return self._remove(request, start_response)
        return None

    def _upload(
        self, request: Any, user: str, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Any:
        forms = request.forms
        # legacy.py file_upload: "We require protocol_version 1"
        if forms.get("protocol_version", "1") != "1":
            raise Refusal(400, "Unknown protocol version.")
        content = request.files.get("content")
        if content is None:
            raise Refusal(400, "Upload payload does not have a file.")
        filename = content.raw_filename or ""
        _check_filename_chars(filename)
        parsed = index_state.split_filename(filename)
        named = index_state.normalize(forms.get("name") or (parsed[0] if parsed else ""))
        rules, render_readme = self.checks()
        with index_state.transaction(self.root) as state:
            limit = index_state.upload_limit(
                state, named, self.max_file_size or rules.MAX_FILE_SIZE
            )
            strict = index_state.pypi_rules(state, named)
        with tempfile.TemporaryDirectory(dir=self.spool) as tmp:
            local = Path(tmp, filename)
            with open(local, "wb") as handle:
                shutil.copyfileobj(content.file, handle)
            content.file.seek(0)
            if strict:
                violations = rules.check_file(local, size_limit=limit, render_readme=render_readme)
            else:  # what any index needs, as the plan's preflight checks it
                said = forms.get("version") or (parsed[1] if parsed else "")
                violations = rules.check_any_index(local, forms.get("name") or named, said)
            if violations:  # legacy.py answers the first problem it meets
                raise Refusal(400, violations[0].message)
            if parsed is None:  # both checks refuse such a name; the form's, not the file's
                raise Refusal(400, f"Invalid distribution file name: {filename!r}.")
            digests = _digests(local)
            _check_digests(forms, digests)
            project = named
            version = forms.get("version") or parsed[1]
            ip = environ.get("REMOTE_ADDR", "")
            with index_state.transaction(self.root) as state:
                creates = not index_state.project_known(state, project)
                duplicate, headers = self._admit(
                    state, project, user, ip, filename, version, digests, strict=strict
                )
                if duplicate:
                    return _answer(start_response, 200, b"")  # the same file: nothing to do
                stored = self._store(environ, headers)
                if stored[0].startswith("200"):
                    self._record(state, filename, project, user, ip, created=creates)
                return _replay(start_response, stored)

    def _admit(
        self,
        state: dict[str, Any],
        project: str,
        user: str,
        ip: str,
        filename: str,
        version: str,
        digests: dict[str, str],
        *,
        strict: bool = True,
    ) -> tuple[bool, list[tuple[str, str]]]:
        """Refuse as legacy.py would, in its order. Else whether the file is a duplicate
        (200, nothing to do), and the RateLimit headers of a project this upload creates.
        Not ``strict`` (a stand-in for an index that is not PyPI): PyPI's policies (its rate
        limit, a deleted name refused for good, the 14-day window, one sdist per release)
        are left out; what any index does stays (other bytes under a name it holds, 400)."""
        headers: list[tuple[str, str]] = []
        if strict and not index_state.project_known(state, project):
            headers = _create_project(state, user, ip)
        # models.py Project.__acl__: "Disallow upload permissions for archived projects"
        # (a quarantined project keeps ProjectsUpload for its users; only trusted publishers
        # lose it); legacy.py then answers 403 with this text.
        status, _ = index_state.project_status(state, project)
        if status == "archived":
            raise Refusal(
                403,
                f"The user {user!r} isn't allowed to upload to project {project!r}. "
                f"See {HELP_URL}#project-name for more information.",
            )
        # legacy.py _is_duplicate_file: the same name or the same bytes already there.
        same_name = state["files"].get(filename)
        if same_name is not None and same_name["sha256"] == digests["sha256"]:
            return True, headers
        same_bytes = any(entry["sha256"] == digests["sha256"] for entry in state["files"].values())
        if same_name is not None or same_bytes:
            raise Refusal(
                400,
                f"File already exists ({filename!r}, with blake2_256 hash "
                f"{digests['blake2_256']!r}). See {HELP_URL}#file-name-reuse for more "
                "information.",
            )
        if not strict:
            return False, headers
        # legacy.py: "Check to see if the file that was uploaded exists in our filename log"
        if filename in state["deleted"]:
            raise Refusal(
                400,
                "This filename was previously used by a file that has since been deleted. "
                f"Use a different version. See {HELP_URL}#file-name-reuse for more information.",
            )
        # legacy.py: "Check that the release is either new or that the release is still
        # within the window allowing new files to be published."
        created = index_state.release_created(state, project, version)
        days = index_state.metadata_rules.NEW_FILES_WINDOW_DAYS
        if created is not None and created < index_state.now() - datetime.timedelta(days=days):
            raise Refusal(
                400, f"Uploading new files to releases older than {days} days is not allowed."
            )
        # legacy.py: "Only one sdist may be uploaded per release."
        if not filename.lower().endswith(".whl"):
            key = (project, index_state.canonical_version(version))
            for entry in state["files"].values():
                same_release = (
                    entry["project"],
                    index_state.canonical_version(entry["version"]),
                ) == key
                if same_release and not entry["path"].lower().endswith(".whl"):
                    raise Refusal(400, "Only one sdist may be uploaded per release.")
        return False, headers

    def _store(
        self, environ: dict[str, Any], headers: list[tuple[str, str]]
    ) -> tuple[str, list[tuple[str, str]], bytes]:
        """pypiserver stores the file (bottle parsed the body once, and kept it in
        ``environ``; the file's stream is rewound)."""
        status, response_headers, body = self._capture(environ)
        return status, [*response_headers, *headers], body

    def _record(
        self,
        state: dict[str, Any],
        filename: str,
        project: str,
        user: str,
        ip: str,
        *,
        created: bool,
    ) -> None:
        stored = next(
            (path for path in index_state.listed(self.root) if path.name == filename), None
        )
        if stored is None:
            return
        entry = index_state.describe(stored, index_state.sha256_of(stored), index_state.now())
        entry["project"] = project
        state["files"][filename] = entry
        if created:
            state["projects"].setdefault(project, {}).update(
                created=index_state.iso(index_state.now()), creator=user
            )
            state["created"].append({"user": user, "ip": ip, "at": time.time()})
        state["serial"] += 1

    def _remove(self, request: Any, start_response: Callable[..., Any]) -> Any:
        """pypiserver's ``remove_pkg`` (name, version: every file of the release), or one
        file with ``filename`` (PyPI deletes files one by one); the names stay deleted."""
        forms = request.forms
        name, version, filename = forms.get("name"), forms.get("version"), forms.get("filename")
        if not name or not version:
            raise Refusal(400, f"Missing 'name'/'version' fields: name={name}, version={version}")
        key = (index_state.normalize(name), index_state.canonical_version(version))
        with index_state.transaction(self.root) as state:
            doomed = [
                (entry_name, entry)
                for entry_name, entry in state["files"].items()
                if (entry["project"], index_state.canonical_version(entry["version"])) == key
                and (not filename or entry_name == filename)
            ]
            if not doomed:
                raise Refusal(404, f"{name} ({version}) not found")
            for entry_name, entry in doomed:
                for path in index_state.listed(self.root):
                    if path.name == entry_name:
                        path.unlink()
                del state["files"][entry_name]
                state["deleted"][entry_name] = {
                    **entry,
                    "deleted-at": index_state.iso(index_state.now()),
                }
            state["serial"] += 1
        return _answer(start_response, 200, b"")

    # -- the simple API --------------------------------------------------------------------

    def _simple(
        self, environ: dict[str, Any], start_response: Callable[..., Any], path: str
    ) -> Any:
        wants_json = _wants_json(environ)
        segments = [part for part in path.split("/") if part]
        if len(segments) == 1:  # /simple/
            return self._index(start_response) if wants_json else None
        if len(segments) != 2 or not path.endswith("/"):
            return None
        project = segments[1]
        normalized = index_state.normalize(project)
        if project != normalized:  # PEP 503; pypiserver's redirect drops ?format=
            query = environ.get("QUERY_STRING", "")
            location = f"../{quote(normalized)}/" + (f"?{query}" if query else "")
            return _answer(start_response, 301, b"", [("Location", location)])
        with index_state.transaction(self.root) as state:
            known = index_state.project_known(state, normalized)
            status, reason = index_state.project_status(state, normalized)
            files = sorted(
                (entry for entry in state["files"].values() if entry["project"] == normalized),
                key=lambda entry: entry["path"],
            )
            serial = state["serial"]
        if not known:
            return None  # pypiserver's 404
        # warehouse/packaging/utils.py _simple_detail: a quarantined project lists no files
        listed = [] if status == "quarantined" else files
        if wants_json:
            return self._detail_json(start_response, normalized, listed, status, reason, serial)
        return self._detail_html(environ, start_response, normalized, status, reason, bool(listed))

    def _index(self, start_response: Callable[..., Any]) -> Any:
        """warehouse/packaging/utils.py ``_simple_index`` (quarantined projects left out)."""
        with index_state.transaction(self.root) as state:
            names = {entry["project"] for entry in state["files"].values()}
            names |= set(state["projects"])
            names = {
                name
                for name in names
                if index_state.project_status(state, name)[0] != "quarantined"
            }
            serial = state["serial"]
        body = {
            "meta": {"api-version": API_VERSION, "_last-serial": serial},
            "projects": [{"name": name, "_last-serial": serial} for name in sorted(names)],
        }
        return _json(start_response, body)

    def _detail_json(
        self,
        start_response: Callable[..., Any],
        project: str,
        files: list[dict[str, Any]],
        status: str,
        reason: str,
        serial: int,
    ) -> Any:
        """warehouse/packaging/utils.py ``_simple_detail``: PEP 691, 700 and 792."""
        project_status_ = {"status": status, **({"reason": reason} if reason else {})}
        body = {
            "meta": {"api-version": API_VERSION, "_last-serial": serial},
            "name": project,
            "project-status": project_status_,
            "versions": _sorted_versions({entry["version"] for entry in files}),
            "files": [
                {
                    "filename": entry["path"],
                    "url": f"../../packages/{quote(entry['path'])}",
                    "hashes": {"sha256": entry["sha256"]},
                    "requires-python": entry.get("requires-python"),
                    "size": entry["size"],
                    "upload-time": entry["upload-time"],
                    "yanked": False,
                    "data-dist-info-metadata": False,
                    "core-metadata": False,
                    "provenance": None,
                }
                for entry in files
            ],
        }
        return _json(start_response, body)

    def _detail_html(
        self,
        environ: dict[str, Any],
        start_response: Callable[..., Any],
        project: str,
        status: str,
        reason: str,
        has_files: bool,
    ) -> Any:
        """pypiserver's page, with PyPI's ``pypi:repository-version`` and PEP 792 metas."""
        metas = f'<meta name="pypi:repository-version" content="{API_VERSION}">\n'
        metas += f'        <meta name="pypi:project-status" content="{status}">\n'
        if reason:
            escaped = _html_escape(reason)
            metas += f'        <meta name="pypi:project-status-reason" content="{escaped}">\n'
        if has_files:
            status_line, headers, body = self._capture(environ)
            if status_line.startswith("200"):
                text = body.decode("utf-8").replace("<head>\n", "<head>\n        " + metas, 1)
                headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
                return _replay(start_response, (status_line, headers, text.encode("utf-8")))
            return _replay(start_response, (status_line, headers, body))
        page = (
            '<!DOCTYPE html>\n<html lang="en">\n    <head>\n        <meta charset="utf-8">\n'
            f"        {metas}        <title>Links for {project}</title>\n    </head>\n"
            f"    <body>\n        <h1>Links for {project}</h1>\n    </body>\n</html>\n"
        )
        return _answer(
            start_response,
            200,
            page.encode("utf-8"),
            [("Content-Type", "text/html; charset=UTF-8")],
        )

    def _capture(self, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
        caught: list[Any] = []

        def keep(status: str, headers: list[tuple[str, str]], exc: Any = None) -> Any:
            caught[:] = [status, headers]
            return lambda data: None

        body = b"".join(self.app(environ, keep))
        return caught[0], caught[1], body


def _create_project(state: dict[str, Any], user: str, ip: str) -> list[tuple[str, str]]:
    """warehouse/packaging/services.py ``ProjectService._check_ratelimits`` (moving windows,
    the IP's then the user's), answered as legacy.py does: 429 "Too many new projects
    created"; the RateLimit headers as warehouse/rate_limiting/headers.py writes them."""
    limits = (
        index_state.metadata_rules.PROJECT_CREATE_LIMITS
        if PROJECT_CREATE_LIMITS is None
        else PROJECT_CREATE_LIMITS
    )
    if not limits:
        return []
    moment = time.time()
    policy, remaining, refused = [], [], False
    for key, amount, window in limits:
        who = ip if key == "ip" else user
        hits = sorted(
            record["at"]
            for record in state["created"]
            if record.get(key) == who and moment - record["at"] < window
        )
        left = max(0, amount - len(hits))
        resets = int(hits[0] + window - moment) if hits else window
        name = f"project.create.{key}"
        policy.append(f'"{name}";q={amount};w={window};pk=:{key}:')
        remaining.append(f'"{name}";r={left};t={max(0, resets)}')
        refused = refused or left == 0
    headers = [("RateLimit-Policy", ", ".join(policy)), ("RateLimit", ", ".join(remaining))]
    if refused:
        raise Refusal(429, "Too many new projects created", headers)
    # a day of creations is all any window needs
    state["created"] = [record for record in state["created"] if moment - record["at"] < 86400]
    return headers


def _check_filename_chars(filename: str) -> None:
    """legacy.py ``_validate_filename``: what cannot even be written to disk to be read."""
    if "/" in filename or "\\" in filename:
        raise Refusal(400, "Cannot upload a file with '/' or '\\' in the name.")
    if filename in ("", ".", ".."):
        raise Refusal(400, f"Invalid file extension: {filename!r}.")


def _digests(path: Path) -> dict[str, str]:
    hashers: dict[str, Any] = {
        "md5": hashlib.md5(usedforsecurity=False),  # compared with what the client sent
        "sha256": hashlib.sha256(),
        "blake2_256": hashlib.blake2b(digest_size=32),
    }
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            for hasher in hashers.values():
                hasher.update(chunk)
    return {name: hasher.hexdigest() for name, hasher in hashers.items()}


def _check_digests(forms: Any, digests: dict[str, str]) -> None:
    """legacy.py: "Actually verify the digests that we've gotten"."""
    for name, value in digests.items():
        sent = forms.get(f"{name}_digest")
        if sent and not hmac.compare_digest(sent.lower(), value):
            raise Refusal(
                400,
                "The digest supplied does not match a digest calculated from the uploaded file.",
            )


def _wants_json(environ: dict[str, Any]) -> bool:
    """PEP 691 content negotiation: ``?format=`` first, then the Accept header's q-values;
    HTML when nothing better is asked for (pip and pypiserver's own clients)."""
    formats = parse_qs(environ.get("QUERY_STRING", "")).get("format")
    # an unencoded "+" reads as a space in a query: take both spellings
    accept = formats[0].replace(" ", "+") if formats else environ.get("HTTP_ACCEPT", "")
    best_json, best_html = 0.0, 0.0
    for item in accept.split(","):
        mime, *params = (part.strip() for part in item.split(";"))
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        mime = mime.lower()
        if mime in (JSON_TYPE, "application/vnd.pypi.simple.latest+json"):
            best_json = max(best_json, quality)
        elif mime in (
            "text/html",
            "application/vnd.pypi.simple.v1+html",
            "application/vnd.pypi.simple.latest+html",
            "*/*",
        ):
            best_html = max(best_html, quality)
    return best_json > 0 and best_json >= best_html


def _sorted_versions(versions: set[str]) -> list[str]:
    try:
        from packaging.version import InvalidVersion, Version
    except ImportError:  # pragma: no cover
        return sorted(versions)

    def key(version: str) -> tuple[int, Any]:
        try:
            return (1, Version(version))
        except InvalidVersion:
            return (0, version)

    return sorted(versions, key=key)


def _html_escape(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")
    )


def _json(start_response: Callable[..., Any], body: dict[str, Any]) -> list[bytes]:
    data = json.dumps(body).encode("utf-8")
    return _answer(start_response, 200, data, [("Content-Type", JSON_TYPE), ("Vary", "Accept")])


def _answer(
    start_response: Callable[..., Any],
    code: int,
    body: bytes,
    headers: Iterable[tuple[str, str]] = (),
    reason: str | None = None,
) -> list[bytes]:
    status = f"{code} {reason or _TITLES.get(code, '')}".rstrip()
    all_headers = [*headers]
    if not any(key.lower() == "content-type" for key, _ in all_headers):
        all_headers.append(("Content-Type", "text/plain; charset=UTF-8"))
    all_headers.append(("Content-Length", str(len(body))))
    start_response(status, all_headers)
    return [body]


def _refuse(start_response: Callable[..., Any], refusal: Refusal) -> list[bytes]:
    """warehouse/forklift/utils.py ``_exc_with_message``: the message is the status line's
    reason (latin-1, as HTTP needs), and the body says it again (pyramid's plain text form)."""
    reason = refusal.message.encode("iso-8859-1", "replace").decode("iso-8859-1")
    title = _TITLES.get(refusal.code, "Error")
    body = f"{refusal.code} {title}\n\n{refusal.message}\n\n".encode()
    return _answer(start_response, refusal.code, body, refusal.headers, reason)


def _replay(
    start_response: Callable[..., Any], answer: tuple[str, list[tuple[str, str]], bytes]
) -> list[bytes]:
    status, headers, body = answer
    headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
    start_response(status, [*headers, ("Content-Length", str(len(body)))])
    return [body]


def readme_renderer() -> Callable[[str, str | None], str | None] | None:
    """The README check PyPI makes (warehouse/utils/readme.py ``render``, use_fallback=False),
    as rules.check_file wants it: None when it renders, else why not. None without
    readme_renderer. Markdown is rendered only where readme_renderer has its Markdown
    renderer (any text is Markdown: it does not fail on PyPI)."""
    try:
        rst = importlib.import_module("readme_renderer.rst")
        txt = importlib.import_module("readme_renderer.txt")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Markdown renderers are not available"
            markdown = importlib.import_module("readme_renderer.markdown")
    except ImportError:
        return None

    def render(description: str, content_type: str | None) -> str | None:
        kind = None
        if content_type:
            message = EmailMessage()
            message["content-type"] = content_type
            kind = message.get_content_type()
        stream = io.StringIO()
        if kind in (None, "", "text/x-rst"):
            rendered = rst.render(description, stream=stream)
        elif kind == "text/markdown":
            if not getattr(markdown, "variants", None):
                return None
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                rendered = markdown.render(description)
        else:
            rendered = txt.render(description)
        if rendered is not None:
            return None
        said = " ".join(stream.getvalue().split())
        return said[:300] or "readme_renderer returned nothing"

    return render


def load_rules(path: Path) -> Any:
    """``releasekit/targets/pypi/rules.py``, loaded by path (it imports nothing of releasekit)."""
    spec = importlib.util.spec_from_file_location("releasekit_pypi_rules", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load PyPI's rules from {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # before exec_module: dataclasses looks the module up
    spec.loader.exec_module(module)
    return module


def make_app(
    root: Path, password_file: Path, rules_path: Path, max_file_size: int | None = None
) -> Any:
    """pypiserver's app for ``root`` (uploads need the password, no fallback), behind the front."""
    import pypiserver  # type: ignore[import-untyped,unused-ignore]

    bottle = importlib.import_module("pypiserver.bottle_wrapper")
    app = pypiserver.app(
        roots=[root],
        password_file=str(password_file),
        authenticate=["update"],
        disable_fallback=True,
    )
    return StrictFront(app, root, rules_path=rules_path, bottle=bottle, max_file_size=max_file_size)


def serve(app: Any, port: int) -> None:
    """A threaded wsgiref server on 127.0.0.1 (pypiserver's ``run`` uses wsgiref too)."""
    from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

    class Server(socketserver.ThreadingMixIn, WSGIServer):
        daemon_threads = True

    class Handler(WSGIRequestHandler):
        def address_string(self) -> str:  # no reverse DNS
            return str(self.client_address[0])

        def log_message(self, format: str, *args: Any) -> None:
            sys.stdout.write(f"{self.log_date_time_string()} {format % args}\n")

    _leave_behind(app.spool)
    try:
        server = make_server("127.0.0.1", port, app, server_class=Server, handler_class=Handler)
    except OSError as exc:
        sys.stdout.write(f"cannot bind 127.0.0.1:{port}: {exc}\n")
        raise SystemExit(1) from None
    sys.stdout.write(f"strict index on http://127.0.0.1:{port}/\n")
    sys.stdout.flush()
    threading.Thread(target=app.checks, name="load-rules", daemon=True).start()
    server.serve_forever()


# --- stopping -----------------------------------------------------------------------------
#
# releasekit stops the index with SIGTERM (LoopbackServer.stop), and a terminal's Ctrl-C sends
# SIGINT to the whole foreground group, the index included. Either must end the process at
# once whatever it is doing, with its state whole. Python's own handling cannot promise
# that: its handlers run only in the main thread, between bytecodes, and a signal the kernel
# hands to another thread (a request's, the loader's) waits until the main thread next runs
# Python code; a KeyboardInterrupt then ends the process through the interpreter's
# shutdown, with daemon threads still importing (the loader: docutils) or inside a request.
# So the stop signals are blocked in every thread and taken by one thread of their own,
# which lets a state transaction under way end (an upload being stored: at most
# STOP_GRACE seconds), removes the upload spool and leaves with os._exit: no interpreter
# shutdown, nothing to join, nothing to wait for.

STOP_SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP")
STOP_GRACE = 0.5  # seconds a transaction under way gets to end before the process does
_cleanup: list[str] = []  # directories to remove on the way out (the upload spool)


def _leave_behind(path: Path | str) -> None:
    """Remove ``path`` (a directory of this process's) when a stop signal ends the process."""
    _cleanup.append(str(path))


def stop_on_signals() -> None:
    """From now on SIGINT, SIGTERM and SIGHUP end the process within :data:`STOP_GRACE`
    seconds, after a state transaction under way: see the comment above. Called first
    thing, from the main thread, before any other thread exists (threads inherit the
    blocked signals). Where signals cannot be waited for in a thread (Windows), a plain
    handler in the main thread does the same."""
    import signal

    signums = {getattr(signal, name) for name in STOP_SIGNALS if hasattr(signal, name)}
    if hasattr(signal, "pthread_sigmask") and hasattr(signal, "sigwait"):
        signal.pthread_sigmask(signal.SIG_BLOCK, signums)

        def watch() -> None:
            _stop(signal.sigwait(signums))

        threading.Thread(target=watch, name="stop-signals", daemon=True).start()
        return
    for signum in signums:  # pragma: no cover - Windows
        signal.signal(signum, lambda received, frame: _stop(received))


def _stop(signum: int) -> None:
    """End the process for ``signum``: let a transaction under way end, then hold the lock,
    so that none begins (the state and the files stay as the last one left them)."""
    held = index_state.transaction_lock.acquire(timeout=STOP_GRACE)
    with contextlib.suppress(OSError, ValueError):
        note = "" if held else f" (a state transaction was still under way after {STOP_GRACE}s)"
        os.write(1, f"strict index: signal {signum}: stopping{note}\n".encode())
    for path in _cleanup:  # request threads still spool uploads into it: until it is gone
        for _ in range(20):
            shutil.rmtree(path, ignore_errors=True)
            if not os.path.lexists(path):
                break
    os._exit(128 + signum)


def main(argv: list[str]) -> None:
    stop_on_signals()
    here = os.path.dirname(os.path.realpath(__file__))
    if sys.path and os.path.realpath(sys.path[0] or os.curdir) == here:
        del sys.path[0]  # this directory's other scripts are no modules to import
    parser = argparse.ArgumentParser(prog="strict_index.py")
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--password-file", type=Path, required=True)
    default_rules = Path(here).parent / "targets" / "pypi" / "rules.py"
    parser.add_argument("--rules", type=Path, default=default_rules)
    parser.add_argument("--no-rate-limit", action="store_true")
    # the index's own limit per file in bytes (PyPI's 100 MiB when not given): tests only,
    # to raise a project's limit above it without writing a 100 MiB file
    parser.add_argument("--max-file-size", type=int, default=None)
    args = parser.parse_args(argv)
    if args.no_rate_limit:
        global PROJECT_CREATE_LIMITS
        PROJECT_CREATE_LIMITS = ()
    root = args.root.resolve()
    with index_state.transaction(root):
        pass  # the state in step with the files before the first request
    serve(make_app(root, args.password_file, args.rules, args.max_file_size), args.port)


if __name__ == "__main__":
    main(sys.argv[1:])
