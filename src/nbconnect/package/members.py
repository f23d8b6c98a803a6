"""The members of a connector package, named in one place, and the rule for a member name.

A package (a directory, a ``.zip`` holding the files at its root, or a ``.zip`` holding one
top folder with the files inside) has these members::

    connector.yaml          the manifest: ``format: nbconnect/1`` then Connector.to_dict()
    openapi.json            OAS 3.1 of the connector's endpoints (derived from the manifest)
    cassettes/<id>.json     recorded exchanges, one file per endpoint
    tests/last-report.json  the last test report (no latencies, redacted)
    samples/<id>.json       response samples kept for ``pull``, one file per endpoint (redacted)
    webhooks/  mcp/         reserved: webhook definitions, MCP servers

Files a user adds elsewhere are kept by every write. A member name is a relative POSIX path
(``cassettes/getTask.json``); :func:`check_member` refuses anything that could point outside
the package.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import PackageError

__all__ = [
    "CASSETTES",
    "FORMAT",
    "MANIFEST",
    "MCP",
    "MEMBERS",
    "OPENAPI",
    "REPORT",
    "RESERVED_DIRS",
    "SAMPLES",
    "TESTS",
    "WEBHOOKS",
    "Member",
    "check_member",
]

#: the ``format`` key of every manifest this nbconnect writes and reads
FORMAT = "nbconnect/1"
MANIFEST = "connector.yaml"
OPENAPI = "openapi.json"
#: folders (written without their trailing slash, as they appear in a path)
TESTS = "tests"
CASSETTES = "cassettes"
WEBHOOKS = "webhooks"
MCP = "mcp"
SAMPLES = "samples"
REPORT = f"{TESTS}/last-report.json"
RESERVED_DIRS = (TESTS, CASSETTES, WEBHOOKS, MCP, SAMPLES)


@dataclass(frozen=True)
class Member:
    """One named member: its path in the package, whether it is a folder, what it holds."""

    name: str
    folder: bool
    holds: str


#: every member a package knows, in the order they are described
MEMBERS: tuple[Member, ...] = (
    Member(MANIFEST, False, "the connector manifest"),
    Member(OPENAPI, False, "OAS 3.1 of the connector's endpoints"),
    Member(CASSETTES, True, "recorded exchanges, one JSON file per endpoint"),
    Member(REPORT, False, "the last test report"),
    Member(TESTS, True, "test reports and user test files"),
    Member(WEBHOOKS, True, "webhook definitions (reserved)"),
    Member(MCP, True, "remote MCP servers (reserved)"),
    Member(SAMPLES, True, "response samples kept for pull, one JSON file per endpoint"),
)

_DRIVE = re.compile(r"[A-Za-z]:")


def check_member(name: str) -> str:
    """``name`` as a member name (a relative POSIX path inside the package), or a
    :class:`~nbconnect.errors.PackageError` when it could point outside the package."""
    bad = (not isinstance(name, str) or not name or name.startswith(("/", "\\"))
           or "\\" in name or "\x00" in name or _DRIVE.match(name) is not None)
    parts = name.split("/") if isinstance(name, str) else []
    if bad or any(part in ("", ".", "..") for part in parts):
        raise PackageError(f"The package member name {name!r} points outside the package or "
                           "is not a relative path; use a name such as "
                           f"{CASSETTES}/getTask.json.")
    return name
