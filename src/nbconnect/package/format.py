"""The connector package's functions: export, load, validate, save a test report.

A package is the truth of a connector (``load(export(c)) == c``). These functions are thin
wrappers over :class:`nbconnect.package.package.Package`, which owns the on-disk format
(members in :mod:`nbconnect.package.members`, one rule for directories and zips, atomic
writes); they keep the signatures other modules and users import from here.

Export is byte-for-byte deterministic: the same connector gives the same bytes (fixed
key order, fixed YAML/JSON options, no timestamps; zip entries sorted, dated 1980-01-01,
mode 0644), and atomic: a failed export leaves the old package as it was. Files a user
added to a package are kept. Export refuses to write into a non-empty directory that is not
a package, and refuses a connection secret that is not a reference (``env:NAME``,
``keyring:NAME``, ``prompt``): secret values are never written.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..auth.secrets import SECRET_REF_RE
from ..errors import PackageError
from ..model import Connector
from .atomic import write_atomic
from .dumping import check_secret_reference, dump_manifest
from .manifest import manifest_schema
from .members import FORMAT, MANIFEST, OPENAPI, REPORT, RESERVED_DIRS
from .package import Package

__all__ = [
    "FORMAT",
    "MANIFEST",
    "OPENAPI",
    "REPORT",
    "RESERVED_DIRS",
    "SECRET_REF_RE",
    "check_secret_reference",
    "dump_manifest",
    "export",
    "load",
    "manifest_schema",
    "save_report",
    "validate",
    "write_atomic",
]


def export(connector: Connector, path: str | os.PathLike[str], *, zip: bool = False) -> Path:
    """Write ``connector`` as a package at ``path`` and return the path written.

    A directory by default; a zip file when ``zip=True`` or ``path`` ends in ``.zip``.
    An existing package is updated in place (files or entries it does not know are
    kept); a non-empty directory or a file that is not a package is refused.
    """
    return Package.export(connector, path, zip=zip).path


def load(path: str | os.PathLike[str], *, max_bytes: int | None = None) -> Connector:
    """Read a connector package (directory, zip, or zip of a package folder).

    ``max_bytes`` caps the size of each file read (default
    ``limits.MAX_PACKAGE_FILE_BYTES``). Raises :class:`~nbconnect.errors.PackageError`.
    """
    connector = Package(path, max_bytes=max_bytes).connector()
    from ..pull.samples import remember_package  # pull reads this package's samples/

    remember_package(connector, path)
    return connector


def validate(path: str | os.PathLike[str], *, max_bytes: int | None = None) -> Connector:
    """Load a package and check its ``openapi.json``; return the connector.

    ``openapi.json`` must exist, be valid OAS 3.1 (openapi-spec-validator) and equal
    ``to_openapi(load(path))``. Problems raise :class:`~nbconnect.errors.PackageError`
    whose ``details`` list them.
    """
    return Package(path, max_bytes=max_bytes).validate()


def save_report(path: str | os.PathLike[str], report: Any) -> Path:
    """Write ``report`` (a ``TestReport``) as ``tests/last-report.json`` into the package
    at ``path`` and return the file's path (``PKG.zip!tests/...`` for a zip).

    The file is deterministic: sorted keys, no latencies (they change on every run and
    would make every save a diff), reasons redacted, no response bodies. It is written
    atomically through :class:`~nbconnect.package.package.Package` (a zip is rewritten with
    every other entry kept). A path that is not a package raises
    :class:`~nbconnect.errors.PackageError` and nothing is written.
    """
    to_json = getattr(report, "to_json", None)
    if not callable(to_json):
        raise PackageError(f"save_report needs a TestReport, not {type(report).__name__}.")
    from ..auth.secrets import redact

    data = (redact(to_json(latency=False, indent=2)) + "\n").encode("utf-8")
    return Package(path).write_bytes(REPORT, data)
