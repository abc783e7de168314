"""What the npm tests share: where verdaccio is installed once, a sample package, reads.

verdaccio is installed once (under an ``flock``, see ``releasekit.rehearsal.verdaccio``) and reused
by every test run and every xdist worker.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from releasekit.rehearsal.verdaccio import LocalRegistry


def verdaccio_cache() -> Path:
    """``$RELEASEKIT_TEST_CACHE`` or ``~/.cache/releasekit-tests``: verdaccio is installed
    there once (about 15 s) and reused by every test run."""
    root = os.environ.get("RELEASEKIT_TEST_CACHE") or Path.home() / ".cache" / "releasekit-tests"
    return Path(root)


def write_cjs(root: Path, name: str, version: str, body: str = "42") -> Path:
    """A tiny CommonJS package: ``main`` and ``types``."""
    root.mkdir(parents=True, exist_ok=True)
    manifest = {
        "name": name,
        "version": version,
        "main": "lib/index.js",
        "types": "lib/index.d.ts",
        "files": ["lib"],
        "license": "MIT",
    }
    (root / "package.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    (root / "lib").mkdir(exist_ok=True)
    (root / "lib" / "index.js").write_text(f"module.exports = {{ answer: {body} }};\n", "utf-8")
    (root / "lib" / "index.d.ts").write_text("export declare const answer: number;\n", "utf-8")
    return root


def npm_view(registry: LocalRegistry, spec: str, field: str) -> object:
    """``npm view SPEC FIELD`` as the public sees it: without the token, read back as JSON."""
    done = subprocess.run(
        ["npm", "view", spec, field, "--json", "--registry", registry.url],
        capture_output=True,
        text=True,
        check=True,
        env={k: v for k, v in os.environ.items() if k != "NODE_AUTH_TOKEN"},
    )
    return json.loads(done.stdout)


class Log:
    """Collects what releasekit logs, to assert on it (and on what it never says)."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def __call__(self, line: str) -> None:
        self.lines.append(line)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)
