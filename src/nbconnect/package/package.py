"""The Package object: one connector package on disk, a directory or a ``.zip``, whose
members are read and written here and nowhere else.

One rule finds the package: a directory holding ``connector.yaml`` (or the path of that
file), or a zip holding it at its root or under one top folder (a zipped package folder;
its members keep that folder on every rewrite). Members are named in
:mod:`nbconnect.package.members`; a member name that could point outside the package is
refused. Reads are capped (``max_bytes``, default ``limits.MAX_PACKAGE_FILE_BYTES``).
Writes are atomic for both kinds: a directory gets each file through a temporary file and
``os.replace`` (files already replaced are restored if a later one fails), a zip is rebuilt
in memory (every other entry kept) and swapped in through a temporary file.

    pkg = Package("my-connector.zip")
    connector = pkg.connector()
    pkg.write_bytes("tests/last-report.json", data)
"""

from __future__ import annotations

import json
import os
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .. import limits
from ..errors import PackageError, clip
from ..model import Connector
from .atomic import create_dir, replace_files, write_atomic
from .checks import check_openapi
from .dumping import render
from .manifest import read_manifest
from .members import MANIFEST, OPENAPI, check_member
from .zipfiles import open_zip, read_entry, too_big, zip_bytes, zip_names, zip_prefix

__all__ = ["Package"]


class Package:
    """An existing connector package at ``path`` (a directory, its ``connector.yaml``, or a
    ``.zip``). Opening it checks that it is one; a :class:`~nbconnect.errors.PackageError`
    says why not. Make a new one with :meth:`export`.

    ``path`` is the package's root (the directory or the zip file), ``is_zip`` says which,
    ``prefix`` is the top folder inside a zip (``""`` or ``"folder/"``).
    """

    def __init__(self, path: str | os.PathLike[str], *, max_bytes: int | None = None) -> None:
        root = Path(os.fspath(path)).expanduser()
        if root.name == MANIFEST and root.is_file():
            root = root.parent
        self.path = root
        self.max_bytes = max_bytes
        self.is_zip = False
        self.prefix = ""
        if root.is_dir():
            if not (root / MANIFEST).is_file():
                raise PackageError(f"{root} is not a connector package: it has no {MANIFEST}; "
                                   "give a package folder exported from a connector.")
            return
        if not root.exists():
            raise PackageError(f"No connector package at {root}; check the path, or export "
                               "the connector there first.")
        if not zipfile.is_zipfile(root):
            raise PackageError(f"{root} is neither a package directory nor a .zip package; "
                               "give a path a connector was exported to.")
        self.is_zip = True
        with open_zip(root) as zf:
            self.prefix = zip_prefix(zip_names(zf, root), root)

    def __repr__(self) -> str:
        kind = "zip" if self.is_zip else "directory"
        return f"Package({str(self.path)!r}, {kind})"

    # -- making one -----------------------------------------------------------------------

    @classmethod
    def export(cls, connector: Connector, path: str | os.PathLike[str], *,
               zip: bool = False) -> Package:
        """Write ``connector`` as a package at ``path`` and return it.

        A directory by default; a zip file when ``zip=True`` or ``path`` ends in ``.zip``.
        An existing package is updated in place (members it does not write are kept); a
        non-empty directory or a file that is not a package is refused, and nothing is
        written when the connector cannot be (see :func:`~nbconnect.package.dumping.render`).
        """
        files = render(connector)
        target = Path(os.fspath(path)).expanduser()
        if zip or target.suffix.lower() == ".zip":
            _export_zip(files, target)
        else:
            _export_dir(files, target)
        return cls(target)

    # -- names ----------------------------------------------------------------------------

    def where(self, member: str) -> str:
        """How messages name ``member``: ``DIR/member`` or ``PKG.zip!prefix/member``."""
        check_member(member)
        return f"{self.path}!{self.prefix}{member}" if self.is_zip else f"{self.path}/{member}"

    def member_path(self, member: str) -> Path:
        """The path of ``member``: a real file for a directory, ``PKG.zip!member`` for a zip."""
        return Path(self.where(member))

    # -- reading --------------------------------------------------------------------------

    def has(self, member: str) -> bool:
        """Whether the file ``member`` exists in the package."""
        check_member(member)
        if not self.is_zip:
            return (self.path / member).is_file()
        with open_zip(self.path) as zf:
            return self.prefix + member in zip_names(zf, self.path)

    def list_folder(self, folder: str) -> list[str]:
        """The member names of the files under ``folder`` (recursively), sorted."""
        check_member(folder)
        start = folder + "/"
        if not self.is_zip:
            base = self.path / folder
            if not base.is_dir():
                return []
            out = []
            for dirpath, _, filenames in os.walk(base):
                rel = Path(dirpath).relative_to(self.path).as_posix()
                out.extend(f"{rel}/{name}" for name in filenames
                           if (Path(dirpath) / name).is_file())
            return sorted(out)
        with open_zip(self.path) as zf:
            names = zip_names(zf, self.path)
        return sorted(name[len(self.prefix):] for name in names
                      if name.startswith(self.prefix + start) and not name.endswith("/"))

    def read_many(self, members: list[str]) -> dict[str, bytes]:
        """The bytes of each member in ``members`` (a missing one is a PackageError)."""
        for member in members:
            check_member(member)
        if not self.is_zip:
            out = {}
            for member in members:
                path = self.path / member
                if not path.is_file():
                    raise self._missing(member)
                out[member] = _read_file(path, self.max_bytes)
            return out
        with open_zip(self.path) as zf:
            names = zip_names(zf, self.path)
            out = {}
            for member in members:
                info = names.get(self.prefix + member)
                if info is None:
                    raise self._missing(member)
                out[member] = read_entry(zf, info, self.path, self.max_bytes)
            return out

    def read_bytes(self, member: str) -> bytes:
        """The bytes of ``member`` (capped at ``max_bytes``)."""
        return self.read_many([member])[member]

    def read_text(self, member: str) -> str:
        """``member`` decoded as UTF-8."""
        raw = self.read_bytes(member)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise PackageError(f"{self.where(member)} is not UTF-8 (bad byte at offset "
                               f"{exc.start}); save it as UTF-8.") from None

    def read_json(self, member: str) -> Any:
        """``member`` parsed as JSON."""
        text = self.read_text(member)
        try:
            return json.loads(text)
        except ValueError as exc:
            raise PackageError(f"{self.where(member)} is not valid JSON "
                               f"({clip(str(exc), 80)}); fix or delete it.") from None
        except RecursionError:
            raise PackageError(f"{self.where(member)} is nested too deeply; fix or delete "
                               "it.") from None

    def connector(self) -> Connector:
        """The connector in the manifest, parsed and checked (schema, secret references,
        local ``$ref``s)."""
        return read_manifest(self.read_bytes(MANIFEST), self.where(MANIFEST))

    def validate(self) -> Connector:
        """:meth:`connector`, and ``openapi.json`` must exist, be valid OAS 3.1 and equal
        what the manifest gives; returns the connector."""
        connector = self.connector()
        if not self.has(OPENAPI):
            raise PackageError(f"{self.path} has no {OPENAPI}; re-export the connector to "
                               "write it.")
        check_openapi(self.read_bytes(OPENAPI), connector, self.where(OPENAPI))
        return connector

    def _missing(self, member: str) -> PackageError:
        return PackageError(f"{self.path} has no {member}; re-export the connector or give "
                            "a package that holds it.")

    # -- writing --------------------------------------------------------------------------

    def write(self, files: Mapping[str, bytes | None]) -> list[Path]:
        """Write ``files`` (member name -> bytes; ``None`` removes the member) atomically,
        in the order given; every other member is kept. Returns the member paths written or
        removed (see :meth:`member_path`)."""
        for member in files:
            check_member(member)
        if not files:
            return []
        if not self.is_zip:
            return replace_files(self.path, files)
        with open_zip(self.path) as zf:
            names = zip_names(zf, self.path)
            if zip_prefix(names, self.path) != self.prefix:
                raise PackageError(f"{self.path} changed while it was open; open it again.")
            entries = {name: read_entry(zf, info, self.path, None)
                       for name, info in names.items() if not name.endswith("/")}
        done = []
        for member, data in files.items():
            name = self.prefix + member
            if data is not None:
                entries[name] = data
            elif entries.pop(name, None) is None:
                continue
            done.append(self.member_path(member))
        if done:  # removing members that are not there changes nothing
            write_atomic(self.path, zip_bytes(entries))
        return done

    def write_bytes(self, member: str, data: bytes) -> Path:
        """Write one member atomically; return its path (see :meth:`member_path`)."""
        self.write({member: data})
        return self.member_path(member)

    def remove(self, member: str) -> bool:
        """Remove one member; False when it was not there."""
        return bool(self.write({member: None}))

    def save_connector(self, connector: Connector) -> None:
        """Write ``connector`` into this package (``openapi.json``, then the manifest)."""
        self.write(render(connector))


def _read_file(path: Path, max_bytes: int | None) -> bytes:
    cap = limits.MAX_PACKAGE_FILE_BYTES if max_bytes is None else max_bytes
    size = path.stat().st_size
    if size > cap:
        raise too_big(str(path), size, cap)
    with open(path, "rb") as fh:
        data = fh.read(cap + 1)
    if len(data) > cap:
        raise too_big(str(path), len(data), cap)
    return data


def _export_dir(files: dict[str, bytes], target: Path) -> None:
    if target.exists() or target.is_symlink():
        if not target.is_dir():
            raise PackageError(f"{target} exists and is not a directory; pick another path, "
                               "or export a .zip package there.", option="zip")
        if (target / MANIFEST).is_file():
            Package(target).write(files)
            return
        if any(target.iterdir()):
            raise PackageError(f"{target} is a non-empty directory that is not a connector "
                               f"package (it has no {MANIFEST}); pick an empty or new "
                               "directory.")
        replace_files(target, files)  # an empty folder becomes the package
        return
    create_dir(target, files)


def _export_zip(files: dict[str, bytes], target: Path) -> None:
    if target.is_dir():
        raise PackageError(f"{target} is a directory; give a .zip file path, or export a "
                           "package directory there.", option="zip")
    if target.exists():
        if not zipfile.is_zipfile(target):
            raise PackageError(f"{target} exists and is not a connector package zip; pick "
                               "another path.")
        Package(target).write(files)  # keeps what a user put into it (tests/, cassettes/...)
        return
    write_atomic(target, zip_bytes(files))
