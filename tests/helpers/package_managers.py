"""pnpm and yarn for the tests, installed once into the test cache (like verdaccio).

Neither is installed on the machine; corepack (which Node 20 ships) cannot fetch them here
(its bundled keys do not verify the registry's signatures). So each is installed with npm,
at a pinned version, into ``<test cache>/<tool>-<version>/`` under an ``flock``, reused by
every later run and every xdist worker; a test puts its ``node_modules/.bin`` on PATH.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from tests.helpers.npm import verdaccio_cache
from tests.helpers.shared import exclusive

PNPM_VERSION = "10.34.9"
PNPM_9 = "9.10.0"  # anywidget's packageManager at anywidget@0.9.21: no `pnpm pack --json`
YARN_VERSION = "4.18.1"

_PACKAGES = {"pnpm": f"pnpm@{PNPM_VERSION}", "yarn": f"@yarnpkg/cli-dist@{YARN_VERSION}"}


def tool_bin(tool: str, version: str | None = None) -> Path:
    """The directory holding ``tool`` (``pnpm`` or ``yarn``) at ``version`` (default: the
    pinned one), installed on first use."""
    spec = _PACKAGES[tool]
    if version is not None:
        spec = f"{spec.rsplit('@', 1)[0]}@{version}"
    version = spec.rsplit("@", 1)[1]
    root = verdaccio_cache() / f"{tool}-{version}"
    bin_dir = root / "node_modules" / ".bin"
    root.mkdir(parents=True, exist_ok=True)
    with exclusive(root / ".lock"):
        if not (bin_dir / tool).exists():
            (root / "package.json").write_text(
                json.dumps({"name": f"releasekit-tests-{tool}", "private": True}) + "\n",
                encoding="utf-8",
            )
            subprocess.run(
                ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error", spec],
                cwd=root,
                check=True,
                capture_output=True,
                text=True,
            )
    return bin_dir


def path_with(*tools: str) -> str:
    """``PATH`` with ``tools`` in front of it."""
    return os.pathsep.join([*(str(tool_bin(t)) for t in tools), os.environ.get("PATH", "")])
