"""Atomic file writes: one file through a temporary file, a set of files with roll-back.

A reader never sees half a file, and a failed write leaves the old bytes: every file goes
through a temporary sibling renamed into place with ``os.replace``; a set of files is
replaced one by one and the ones already replaced are restored if a later one fails; a new
folder is built under a temporary name and renamed into place. Files are mode 0644, folders
0755.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

from ..errors import PackageError

__all__ = ["DIR_MODE", "FILE_MODE", "create_dir", "ensure_parent", "replace_files",
           "write_atomic"]

FILE_MODE = 0o644
DIR_MODE = 0o755


def ensure_parent(target: Path) -> Path:
    """Create the missing folders above ``target`` (as ``mkdir -p`` would); return the parent."""
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PackageError(f"The folder {parent} cannot be created ({exc.strerror}); pick "
                           "another path.") from None
    return parent


def write_atomic(target: Path, data: bytes) -> Path:
    """Write ``data`` to ``target`` through a temporary file renamed into place, so a
    reader never sees half a file and a failure leaves the old one (mode 0644). Missing
    parent folders are made."""
    target = Path(target)
    ensure_parent(target)
    tmp = _temp_copy(target, data)
    try:
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


def _temp_copy(target: Path, data: bytes) -> str:
    """A temporary file beside ``target`` holding ``data`` (mode 0644); its path."""
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, FILE_MODE)
    except BaseException:
        os.unlink(tmp)
        raise
    return tmp


def _make_folders(folder: Path, names: list[str]) -> list[Path]:
    """Create the sub-folders that ``names`` (relative paths) need inside ``folder``;
    return the ones made, outermost first."""
    made: list[Path] = []
    for name in names:
        parent = folder
        for part in name.split("/")[:-1]:
            parent = parent / part
            if parent.exists() and not parent.is_dir():
                raise PackageError(f"{parent} is a file, but the package keeps {part}/ as a "
                                   "folder there; move that file away.")
            if not parent.exists():
                parent.mkdir(mode=DIR_MODE)
                made.append(parent)
    return made


def replace_files(folder: Path, files: Mapping[str, bytes | None]) -> list[Path]:
    """Write ``files`` (relative POSIX names, in order; ``None`` removes one) into
    ``folder``. Each file goes through a temporary file; if one fails, the files already
    replaced get their old bytes back. Removals happen after every write succeeded.
    Returns the paths written or removed (a removal of a missing file is not listed)."""
    writes = [name for name, data in files.items() if data is not None]
    made = _make_folders(folder, writes)
    old: dict[str, bytes | None] = {}
    for name in writes:
        path = folder / name
        old[name] = path.read_bytes() if path.is_file() else None
    temps: list[tuple[str, str]] = []
    try:
        for name in writes:
            temps.append((_temp_copy(folder / name, files[name]), name))  # type: ignore[arg-type]
        done: list[str] = []
        try:
            for tmp, name in temps:  # in the order given: the commit point goes last
                os.replace(tmp, folder / name)
                done.append(name)
        except BaseException:
            for name in done:  # roll back the files already replaced
                previous = old[name]
                if previous is None:
                    (folder / name).unlink(missing_ok=True)
                else:
                    os.replace(_temp_copy(folder / name, previous), folder / name)
            raise
    except BaseException:
        for tmp, _ in temps:
            if os.path.exists(tmp):
                os.unlink(tmp)
        for path in reversed(made):  # folders this write made, now empty again
            if path.is_dir() and not any(path.iterdir()):
                path.rmdir()
        raise
    finally:
        for tmp, _ in temps:
            if os.path.exists(tmp):
                os.unlink(tmp)
    out = [folder / name for name in writes]
    for name, data in files.items():
        if data is None and (folder / name).is_file():
            (folder / name).unlink()
            out.append(folder / name)
    return out


def create_dir(target: Path, files: Mapping[str, bytes]) -> Path:
    """Build a new folder ``target`` holding ``files``: written under a temporary sibling
    name, then renamed into place, so a failure leaves nothing behind."""
    parent = ensure_parent(target)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=parent))
    try:
        _make_folders(tmp, list(files))
        for name, data in files.items():
            with open(tmp / name, "wb") as fh:
                fh.write(data)
            os.chmod(tmp / name, FILE_MODE)
        os.chmod(tmp, DIR_MODE)
        os.rename(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target
