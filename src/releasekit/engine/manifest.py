"""The record of one build: which files, with which bytes, for which version.

The build session writes it; every later step (smoke-install, publish-test, publish) reads it
and hashes the files again before trusting them. Sessions may run in separate processes, so
the manifest on disk under ``dist/`` is how they hand over, not module state.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from releasekit.engine.records import MANIFEST_NAME, write_atomic
from releasekit.errors import BuildError

__all__ = [
    "MANIFEST_NAME",
    "DistFile",
    "Manifest",
    "describe",
    "file_version",
    "filename_parts",
    "sha256_file",
]


def sha256_file(path: Path) -> str:
    """The hex sha256 of a file, read in chunks (wheels can be large)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class DistFile:
    """One distribution file as built."""

    filename: str
    sha256: str
    size: int
    kind: str  # "sdist", "wheel" or "npm" (a packed npm tarball)
    integrity: str | None = None  # npm: the sha512 SRI string a registry serves


def describe(path: Path) -> DistFile:
    """Hash and size a distribution file, and tell sdist from wheel by its name."""
    kind = "wheel" if path.name.endswith(".whl") else "sdist"
    return DistFile(path.name, sha256_file(path), path.stat().st_size, kind)


@dataclass(frozen=True)
class Manifest:
    """What one build produced. ``files`` is the only list of files any step uploads."""

    name: str
    version: str
    files: tuple[DistFile, ...]
    tag: str | None = None
    commit: str | None = None
    source_date_epoch: int | None = None
    # built twice (--check-reproducible) with the same bytes: a later run that asks for the
    # proof reuses this build instead of building twice again
    reproduced: bool = False

    @property
    def wheels(self) -> tuple[DistFile, ...]:
        return tuple(f for f in self.files if f.kind == "wheel")

    @property
    def sdists(self) -> tuple[DistFile, ...]:
        return tuple(f for f in self.files if f.kind == "sdist")

    def save(self, dist_dir: Path) -> Path:
        """Write the manifest whole or not at all (see :func:`write_atomic`)."""
        path = dist_dir / MANIFEST_NAME
        data = asdict(self)
        if not self.reproduced:  # said only when true: a manifest as before otherwise
            del data["reproduced"]
        write_atomic(path, json.dumps(data, indent=2) + "\n")
        return path

    @classmethod
    def load(cls, dist_dir: Path) -> Manifest:
        path = dist_dir / MANIFEST_NAME
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            files = tuple(DistFile(**item) for item in data.pop("files"))
            return cls(files=files, **data)
        except FileNotFoundError:
            raise BuildError(
                f"no build manifest at {path}",
                "run `nox -s build` first (or point --dist at a directory releasekit built)",
            ) from None
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise BuildError(
                f"the build manifest {path} is unreadable ({type(exc).__name__}: {exc})",
                "delete it and run `nox -s build` again",
            ) from None
        except OSError as exc:
            raise BuildError(
                f"cannot read the build manifest {path}: {exc.strerror or exc}",
                "make it readable, or delete it and run `nox -s build` again",
            ) from None

    def verified_paths(self, dist_dir: Path) -> list[Path]:
        """The manifest's files under ``dist_dir``, each hashed again and found unchanged.

        Whatever is uploaded or installed goes through here, so a file changed, replaced or
        deleted since the build is refused rather than published.
        """
        paths = []
        for item in self.files:
            path = dist_dir / item.filename
            if not path.is_file():
                raise BuildError(
                    f"{item.filename} is listed in the build manifest but missing from {dist_dir}",
                    "run `nox -s build` again",
                )
            actual = sha256_file(path)
            if actual != item.sha256:
                raise BuildError(
                    f"{item.filename} changed since it was built "
                    f"(sha256 {actual[:12]}…, manifest says {item.sha256[:12]}…)",
                    "nothing was uploaded; rebuild with `nox -s build` and check what "
                    "touched dist/",
                )
            paths.append(path)
        return paths


def filename_parts(filename: str) -> tuple[str, str]:
    """The (name, version) a distribution's file name carries, as written."""
    if filename.endswith(".whl"):
        parts = filename[: -len(".whl")].split("-")
        if len(parts) not in (5, 6):
            raise BuildError(
                f"{filename} is not a valid wheel file name (name-version-[build-]py-abi-plat)",
                "rebuild it; never rename a wheel by hand",
            )
        return parts[0], parts[1]
    if filename.endswith(".tar.gz"):
        name, dash, version = filename[: -len(".tar.gz")].rpartition("-")
        if not dash or not name:
            raise BuildError(
                f"{filename} is not a valid sdist file name (name-version.tar.gz)",
                "rebuild it; never rename an sdist by hand",
            )
        return name, version
    raise BuildError(
        f"{filename} is neither a wheel (.whl) nor an sdist (.tar.gz)",
        "keep only the files the build made in dist/",
    )


def file_version(filename: str, name: str) -> str | None:
    """The normalized version in a wheel or sdist file name, for ``name``'s files only.

    ``None`` for another project's file or a name that is not a distribution's: an index
    page may list anything.
    """
    try:
        carried_name, carried = filename_parts(filename)
        if canonicalize_name(carried_name) != canonicalize_name(name):
            return None
        return str(Version(carried))
    except (BuildError, InvalidVersion):
        return None
