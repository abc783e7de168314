"""Virtual environments that releasekit makes for itself: smoke installs, the local index.

uv makes them in a fraction of the time of ``python -m venv`` + pip, so it is used whenever
it is on PATH (or installed as the ``uv`` Python package); the standard library is the
fallback. A uv-made environment has no pip, so installs go through ``uv pip --python``.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from releasekit import proc
from releasekit.errors import ReleasekitError

__all__ = ["Venv", "create", "ensure", "find_uv"]


def find_uv() -> str | None:
    """The uv executable, or None. ``RELEASEKIT_NO_UV=1`` forces the pip path (for tests)."""
    if os.environ.get("RELEASEKIT_NO_UV") == "1":
        return None
    found = shutil.which("uv")
    if found:
        return found
    try:
        from uv import find_uv_bin  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    try:
        return str(find_uv_bin())
    except FileNotFoundError:
        return None


def _bin(path: Path, name: str) -> Path:
    if sys.platform == "win32":
        return path / "Scripts" / f"{name}.exe"
    return path / "bin" / name


@dataclass(frozen=True)
class Venv:
    """A virtual environment and the installer that fills it."""

    path: Path
    uv: str | None

    @property
    def python(self) -> Path:
        return _bin(self.path, "python")

    def bin(self, name: str) -> Path:
        return _bin(self.path, name)

    def install(
        self,
        *requirements: str,
        index_url: str | None = None,
        options: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
        log: proc.Log | None = None,
        error: type[ReleasekitError] = ReleasekitError,
    ) -> None:
        """Install ``requirements``; ``index_url`` replaces the installer's default index."""
        if self.uv:
            argv = [self.uv, "pip", "install", "--python", str(self.python), "--quiet"]
        else:
            argv = [
                str(self.python),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ]
        if index_url:
            argv += ["--index-url", index_url]
        argv += [*options, *requirements]
        proc.run(
            argv,
            what=f"installing {' '.join(requirements)}",
            error=error,
            env=env,
            log=log or (lambda _: None),
        )


def create(path: Path, python: str | None = None, *, uv: str | None = None) -> Venv:
    """A fresh, empty environment at ``path`` (an existing one is removed first).

    ``python`` is a version ("3.12") or an interpreter path; ``None`` is the running one.
    """
    uv = uv if uv is not None else find_uv()
    if path.exists():
        shutil.rmtree(path)
    hint = f"install Python {python} or remove it from [tool.releasekit.smoke] pythons"
    if uv:
        argv = [uv, "venv", "--quiet", "--python", python or sys.executable, str(path)]
        proc.run(
            argv,
            what=f"creating a Python {python or 'current'} venv",
            hint=hint,
            env={"UV_PYTHON_DOWNLOADS": "never"},
        )
    else:
        interpreter = sys.executable if python is None else _interpreter(python)
        proc.run(
            [interpreter, "-m", "venv", str(path)], what=f"creating a venv with {python}", hint=hint
        )
    return Venv(path, uv)


def ensure(path: Path, requirements: Sequence[str], python: str | None = None) -> Venv:
    """An environment with ``requirements`` installed, reused when an earlier call made it.

    A stamp file records what was asked for; a different request rebuilds the environment.
    """
    uv = find_uv()
    stamp = path / "releasekit-venv.json"
    wanted = {
        "python": python or sys.executable,
        "requirements": list(requirements),
        "uv": bool(uv),
    }
    venv = Venv(path, uv)
    try:
        if json.loads(stamp.read_text()) == wanted and venv.python.exists():
            return venv
    except (OSError, ValueError):
        pass
    venv = create(path, python, uv=uv)
    venv.install(*requirements)
    stamp.write_text(json.dumps(wanted))
    return venv


def _interpreter(python: str) -> str:
    """``"3.12"`` -> ``python3.12`` on PATH; a path is used as it is."""
    if os.sep in python or python.startswith("python"):
        return python
    return f"python{python}"
