"""Package zips: read the entry index safely, find where the package sits, read capped
entries, and build deterministic zip bytes.

The one rule for where a package sits in a zip (:func:`zip_prefix`): its files at the zip's
root, or under exactly one top folder (a zipped package folder). Entries that could point
outside the zip (zip slip), duplicate entries and oversize entries are refused with a
:class:`~nbconnect.errors.PackageError`. Written zips are deterministic: entries sorted,
dated 1980-01-01, mode 0644, deflated.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from .. import limits
from ..errors import PackageError
from .atomic import FILE_MODE
from .members import MANIFEST

__all__ = ["open_zip", "read_entry", "too_big", "zip_bytes", "zip_names", "zip_prefix"]

_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def open_zip(path: Path) -> zipfile.ZipFile:
    """``path`` opened as a zip, or a PackageError saying it cannot be read."""
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise PackageError(f"{path} is not a readable zip file ({exc}); give a package "
                           "directory or a .zip exported from a connector.") from None


def zip_names(zf: zipfile.ZipFile, where: Path) -> dict[str, zipfile.ZipInfo]:
    """The entries of ``zf`` by name; zip-slip and duplicate entries are refused."""
    names: dict[str, zipfile.ZipInfo] = {}
    for info in zf.infolist():
        name = info.filename
        pure = PurePosixPath(name)
        if (name.startswith(("/", "\\")) or "\\" in name or re.match(r"[A-Za-z]:", name)
                or ".." in pure.parts or "\x00" in name):
            raise PackageError(f"{where} has an entry {name!r} that points outside the "
                               "package (zip slip); refusing to read it.")
        if name in names:
            raise PackageError(f"{where} has the entry {name!r} twice; rebuild the zip.")
        names[name] = info
    return names


def zip_prefix(entries: Mapping[str, Any], root: Path) -> str:
    """Where the package sits in a zip: ``""`` at its root, ``"folder/"`` for a zipped
    package folder; otherwise a PackageError."""
    if MANIFEST in entries:
        return ""
    tops = sorted({n.split("/", 1)[0] for n in entries})
    holding = [top for top in tops if f"{top}/{MANIFEST}" in entries]
    if len(tops) == 1 and holding:
        return f"{tops[0]}/"
    if holding:
        shown = ", ".join(repr(t) for t in tops[:5]) + (", ..." if len(tops) > 5 else "")
        raise PackageError(f"{root} is not a connector package: the zip has no {MANIFEST} "
                           f"at its root and {len(tops)} top folders ({shown}), so which one "
                           "is the package is unclear; zip one package folder alone.")
    raise PackageError(f"{root} is not a connector package: the zip has no {MANIFEST} at "
                       "its root or in a single top folder; give a .zip exported from a "
                       "connector.")


def too_big(what: str, size: int, cap: int) -> PackageError:
    """The error for a package file over the size cap."""
    return PackageError(f"{what} is {size:,} bytes, over the {cap:,}-byte limit for a package "
                        "file; check that it is the right file.")


def read_entry(zf: zipfile.ZipFile, info: zipfile.ZipInfo, where: Path,
               max_bytes: int | None) -> bytes:
    """The bytes of one entry, read no further than the cap (whatever its header says)."""
    cap = limits.MAX_PACKAGE_FILE_BYTES if max_bytes is None else max_bytes
    if info.file_size > cap:
        raise too_big(f"{where}!{info.filename}", info.file_size, cap)
    try:
        with zf.open(info) as fh:
            data = fh.read(cap + 1)
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as exc:
        raise PackageError(f"{where}!{info.filename} cannot be read ({exc}); rebuild the "
                           "zip.") from None
    if len(data) > cap:
        raise too_big(f"{where}!{info.filename}", len(data), cap)
    return data


def zip_bytes(files: Mapping[str, bytes]) -> bytes:
    """A deterministic zip holding ``files`` (entry name -> bytes)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = (0o100000 | FILE_MODE) << 16
            zf.writestr(info, files[name], compresslevel=9)
    return buf.getvalue()
