"""Where a cassette store's files live: a connector package (through
:class:`~nbconnect.package.package.Package`, directory or zip) or a plain folder, and the
check that a cassette file is one.

Both places offer the same four operations (read every cassette, tell whether one exists,
write or remove a set atomically, say which place they are), so the store has one code
path for all of them. A ``cassettes/`` folder inside a package directory is reached through
its package.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..errors import PackageError, clip
from ..package.atomic import write_atomic
from ..package.members import CASSETTES, MANIFEST
from ..package.package import Package
from .cassette_records import CASSETTE_FORMAT

__all__ = ["CassetteFiles", "FolderCassettes", "PackageCassettes", "files_for_folder",
           "read_cassette"]


class CassetteFiles:
    """The cassette files of one place, by endpoint id (the file stem)."""

    #: what identifies the place (two stores writing to the same place compare equal)
    key: tuple[str, str]

    def read_all(self) -> list[tuple[str, bytes, str]]:
        """``(endpoint_id, bytes, where)`` for every cassette file, sorted."""
        raise NotImplementedError

    def exists(self, endpoint_id: str) -> bool:
        """Whether the cassette file of ``endpoint_id`` is there."""
        raise NotImplementedError

    def write(self, changes: dict[str, bytes | None]) -> list[Path]:
        """Write (bytes) or remove (None) cassette files atomically; the paths changed."""
        raise NotImplementedError


class PackageCassettes(CassetteFiles):
    """The ``cassettes/`` member of a package (a directory or a zip)."""

    def __init__(self, package: Package) -> None:
        self.package = package
        self.key = ("package", str(package.path.resolve()))

    @staticmethod
    def member(endpoint_id: str) -> str:
        return f"{CASSETTES}/{endpoint_id}.json"

    def read_all(self) -> list[tuple[str, bytes, str]]:
        members = [m for m in self.package.list_folder(CASSETTES)
                   if m.endswith(".json") and m.count("/") == 1]
        data = self.package.read_many(members)
        return [(m[len(CASSETTES) + 1:-len(".json")], data[m], self.package.where(m))
                for m in members]

    def exists(self, endpoint_id: str) -> bool:
        return self.package.has(self.member(endpoint_id))

    def write(self, changes: dict[str, bytes | None]) -> list[Path]:
        return self.package.write({self.member(k): v for k, v in changes.items()})


class FolderCassettes(CassetteFiles):
    """A plain folder of cassette files (not inside a package)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.key = ("folder", str(folder.resolve()))

    def read_all(self) -> list[tuple[str, bytes, str]]:
        if not self.folder.is_dir():
            return []
        return [(f.stem, f.read_bytes(), str(f)) for f in sorted(self.folder.glob("*.json"))
                if f.is_file()]

    def exists(self, endpoint_id: str) -> bool:
        return (self.folder / f"{endpoint_id}.json").is_file()

    def write(self, changes: dict[str, bytes | None]) -> list[Path]:
        done: list[Path] = []
        for endpoint_id, data in changes.items():
            target = self.folder / f"{endpoint_id}.json"
            if data is not None:
                done.append(write_atomic(target, data))
            elif target.is_file():
                target.unlink()
                done.append(target)
        return done


def files_for_folder(folder: Path) -> CassetteFiles:
    """The place behind a ``cassettes`` folder: its package when the folder sits in a
    package directory, else the folder itself."""
    if folder.name == CASSETTES and (folder.parent / MANIFEST).is_file():
        return PackageCassettes(Package(folder.parent))
    return FolderCassettes(folder)


def read_cassette(raw: bytes, where: str) -> list[dict[str, Any]]:
    """The exchanges of one cassette file, checked; ``where`` names the file in messages."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise PackageError(f"Cassette {where} is not valid JSON ({clip(str(exc), 60)}); "
                           "delete it and record again.") from None
    if not isinstance(data, dict) or data.get("format") != CASSETTE_FORMAT or \
            not isinstance(data.get("exchanges"), list):
        raise PackageError(f"Cassette {where} is not an nbconnect cassette (format "
                           f"{CASSETTE_FORMAT}); delete it and record again.")
    for i, exchange in enumerate(data["exchanges"]):
        ok = isinstance(exchange, dict) and all(
            isinstance(exchange.get(k), dict) for k in ("match", "request", "response"))
        if not ok or not isinstance(exchange["response"].get("status"), int):
            raise PackageError(f"Cassette {where} has a malformed exchange at "
                               f"$.exchanges[{i}]; delete the file and record again.")
    return data["exchanges"]
