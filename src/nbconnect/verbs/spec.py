"""The connector-making verbs: ``new``, ``import`` (a spec file, URL, stdin or cell body;
without a source in a notebook, the spec form) and ``base-url``; :func:`preview_spec` lists
a spec's operations and tags before an import (what the spec form shows)."""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

from .. import limits
from ..model import Connector, slugify
from .grammar import seconds_arg, size_arg
from .table import Arg, FormRequest, Verb, register

__all__ = ["SpecPreview", "connector_name", "preview_spec", "read_spec"]


def connector_name(given: str | None, title: str | None, fallback: str | None = None) -> str:
    """The name of a connector made by an import: ``given``, else the spec title slugified,
    else ``fallback`` (the package's file name) slugified, else ``connector``."""
    if given:
        return given
    for text in (title, fallback):
        if re.search(r"[A-Za-z0-9]", text or ""):
            return slugify(text or "", sep="-")[:60].strip("-")
    return "connector"


def read_spec(workspace: Any, source: Any, args: argparse.Namespace | None = None) -> Any:
    """Read and check a spec with the import options of ``args`` and the workspace settings.

    The selection (tags, include, exclude) is passed through: the importer checks it.
    """
    from ..spec.importer import import_spec

    settings = workspace.settings
    get = (lambda name: getattr(args, name, None)) if args is not None else (lambda name: None)
    return import_spec(
        source,
        tags=tuple(get("tag") or ()),
        include=get("include"),
        exclude=get("exclude"),
        lenient=bool(get("lenient") or settings.lenient),
        max_bytes=get("max_bytes") or settings.max_spec_bytes,
        timeout=get("timeout") or settings.url_timeout,
        verify=settings.verify_tls,
    )


class SpecPreview:
    """A spec's operations before an import: ``title``, ``version``, ``tags`` (declared
    first), ``operations`` (``[{"method", "path", "id", "tags", "summary"}]`` in document
    order). :meth:`select` counts what a selection keeps, as the import would."""

    def __init__(self, title: str, version: str, tags: list[str], ops: list[Any]) -> None:
        self.title, self.version, self.tags = title, version, tags
        self._ops = ops
        self.operations = [{"method": op.method.upper(), "path": op.path,
                            "id": op.operation_id or "", "tags": list(op.tags),
                            "summary": str(op.op.get("summary") or "")} for op in ops]

    def __repr__(self) -> str:
        return (f"SpecPreview({self.title!r}, operations={len(self.operations)}, "
                f"tags={len(self.tags)})")

    def select(self, tags: Any = (), include: str | None = None,
               exclude: str | None = None) -> list[dict[str, Any]]:
        """The operations the selection keeps (SpecSelectionError as the import raises)."""
        from ..spec.selection import select, selection

        kept = {id(op) for op in select(self._ops, selection(tags, include, exclude))}
        return [d for op, d in zip(self._ops, self.operations, strict=True) if id(op) in kept]


def preview_spec(workspace: Any, source: Any) -> SpecPreview:
    """Read ``source`` (path, URL, text or bytes; the workspace's size cap, timeout and TLS
    settings) and list its operations and tags without importing anything."""
    from ..spec.context import ImportContext
    from ..spec.operations import list_operations, spec_tags
    from ..spec.reading import load_document

    settings = workspace.settings
    loaded = load_document(source, max_bytes=settings.max_spec_bytes,
                           timeout=settings.url_timeout, verify=settings.verify_tls)
    doc = loaded.document
    if not isinstance(doc, dict):
        from ..errors import SpecContentError

        raise SpecContentError(f"The spec {loaded.origin} is not a mapping; give an OpenAPI "
                               "3.x document.")
    ctx = ImportContext(doc, lenient=True, origin=loaded.origin, source_url=loaded.url)
    ops = list_operations(ctx)
    info = doc.get("info") if isinstance(doc.get("info"), dict) else {}
    return SpecPreview(str(info.get("title") or ""), str(info.get("version") or ""),
                       spec_tags(ctx, ops), ops)


def _arrow(workspace: Any) -> str:
    written = workspace.written
    return f" -> {written}" if written is not None else ""


# --------------------------------------------------------------------------- new


def run_new(workspace: Any, args: argparse.Namespace) -> Connector:
    """Start a new connector (with ``--demo``, from the bundled demo API); it becomes current.

    Without NAME the CLI names it after the new package's folder (``build/demo`` -> ``demo``).
    """
    name = args.name
    if not name and workspace.target is not None:
        name = re.sub(r"[^A-Za-z0-9_-]+", "-", workspace.target.stem).strip("-") or None
    if not name:
        from .table import usage_error

        raise usage_error("the following arguments are required: name", ("new",))
    connector = Connector(name=name, base_url=args.base_url,
                          description=args.description or "")
    if args.demo:
        import nbconnect

        result = read_spec(workspace, nbconnect.demo_spec_path())
        connector.apply_import(result)
        workspace.last_import = result
    workspace.set_connector(connector)
    return connector


def _new_text(connector: Connector, args: argparse.Namespace, workspace: Any) -> str:
    n = len(connector.endpoints)
    return f"connector {connector.name} ({n} endpoint{'s' if n != 1 else ''}){_arrow(workspace)}"


# --------------------------------------------------------------------------- import


def _read_stdin(max_bytes: int) -> bytes:
    import sys

    from .table import usage_error

    data = sys.stdin.buffer.read(max_bytes + 1)
    if not data:
        raise usage_error("Standard input is empty; pipe a spec into it or give a file or URL "
                          "instead of -.", ("import",))
    return data  # the importer refuses it when it is over the cap


def _source(args: argparse.Namespace, workspace: Any) -> Any:
    text = args.source
    if getattr(args, "from_cell", False):
        if not text.strip():
            from .table import usage_error

            raise usage_error("The cell is empty; paste an OpenAPI 3.x document (YAML or "
                              "JSON) in the cell body.", ("import",))
        return text.encode("utf-8")
    if text == "-":
        return _read_stdin(args.max_bytes or workspace.settings.max_spec_bytes)
    if re.match(r"[A-Za-z][A-Za-z0-9+.\-]*://", text):
        return text  # a URL
    return Path(text).expanduser()


def run_import(workspace: Any, args: argparse.Namespace) -> Any:
    """Import a spec into the current connector (making one, named from the spec's title,
    when there is none). Replacing endpoints needs ``--overwrite``, or the notebook's
    confirmation form."""
    connector = workspace.connector
    if args.source is None:
        if workspace.forms:
            return FormRequest("spec", {"connector": connector})
        from .table import usage_error

        raise usage_error("the following arguments are required: source", ("import",))
    ask = bool(workspace.forms and workspace.settings.confirm_overwrite)
    if connector is not None and not ask:
        connector.check_overwrite(args.overwrite)  # before the spec is fetched
    result = read_spec(workspace, _source(args, workspace), args)
    workspace.last_import = result
    if connector is None:
        stem = Path(workspace.target).stem if workspace.target else None
        connector = Connector(name=connector_name(args.name, result.title, stem))
        connector.apply_import(result)
        workspace.set_connector(connector)
        return result
    if connector.endpoints and not args.overwrite and ask:
        return FormRequest("overwrite", {"connector": connector, "result": result})
    connector.apply_import(result, overwrite=args.overwrite)
    if args.name:
        connector.name = args.name
    from .mock import restart_mock

    said = restart_mock(workspace, connector)  # a running mock serves the new endpoints
    if said:
        workspace.say(said)
    return result


def _import_text(result: Any, args: argparse.Namespace, workspace: Any) -> str:
    shown = 20
    for line in result.warnings[:shown]:
        workspace.warn(line)
    if len(result.warnings) > shown:
        workspace.warn(f"... and {len(result.warnings) - shown} more warnings")
    source = "the cell" if getattr(args, "from_cell", False) else \
        ("stdin" if args.source == "-" else args.source)
    title = " ".join((result.title or source).split())
    n, total = len(result.endpoints), result.operations_total
    of = f" (of {total:,} operations)" if total and total != n else ""
    return f"{n} endpoint{'s' if n != 1 else ''}{of} from {title}{_arrow(workspace)}"


# --------------------------------------------------------------------------- base-url


def run_base_url(workspace: Any, args: argparse.Namespace) -> Connector:
    """Set the connector's base URL (absolute https; http only to loopback hosts)."""
    connector = workspace.require()
    connector.base_url = args.url
    return connector


def _base_url_text(connector: Connector, args: argparse.Namespace, workspace: Any) -> str:
    return f"base URL of {connector.name}: {connector.base_url}{_arrow(workspace)}"


IMPORT_ARGS = (
    Arg("source", metavar="SOURCE", yaml=True,
        help="spec file path, https URL, or - for stdin (%%connect import: the cell body)"),
    Arg("tag", ("--tag",), "T", repeatable=True, split=True,
        help="import only operations with this tag (repeatable, or comma-separated)"),
    Arg("include", ("--include",), "RE",
        help="import only operations whose path or operationId matches this regex"),
    Arg("exclude", ("--exclude",), "RE",
        help="skip operations whose path or operationId matches this regex"),
    Arg("lenient", ("--lenient",), switch=True,
        help="import what can be understood from a slightly invalid spec, with warnings, "
             "instead of refusing it"),
    Arg("overwrite", ("--overwrite",), switch=True,
        help="replace the current endpoints (without asking)"),
    Arg("max_bytes", ("--max-bytes",), "N", type=size_arg,
        help=f"size cap of the spec (default {limits.MAX_SPEC_BYTES // 2**20}M, or "
             "%%config NbConnect.max_spec_bytes; suffixes K, M, G)"),
    Arg("timeout", ("--timeout",), "S", type=seconds_arg,
        help=f"seconds to wait for a spec URL (default {limits.SPEC_URL_TIMEOUT:g})"),
    Arg("name", ("--name",), "NAME",
        help="connector name (default: the spec's title, slugified)"),
)

register(
    Verb(("new",), "start a new connector (--demo: from the bundled demo API)",
         "Start a new connector; it becomes the current connector (the CLI writes it as the "
         "new package PKG).", run_new, package="create", changes=True, text=_new_text,
         synopsis="new NAME [--demo]",
         args=(Arg("name", metavar="NAME",
                   help="the connector's name (the CLI's default: the package folder's name)"),
               Arg("demo", ("--demo",), switch=True,
                   help="import the bundled demo API (a small task tracker)"),
               Arg("base_url", ("--base-url",), "URL", help="the base URL (absolute, https)"),
               Arg("description", ("--description",), "D", help="a short description"))),
    Verb(("import",), "import an OpenAPI 3.x spec file or https URL",
         "Import an OpenAPI 3.0/3.1 spec (file, https URL, - for stdin; JSON or YAML). A "
         "connector that has endpoints needs --overwrite (the notebook asks instead).",
         run_import, args=IMPORT_ARGS, package="output", changes=True, text=_import_text,
         synopsis="import SOURCE [--tag T]... [--overwrite]",
         cell_synopsis="%%connect import [OPTIONS]",
         cell_summary="import the spec written in the cell body"),
    Verb(("base-url",), "set the base URL",
         "Set the base URL (absolute https; http only for loopback hosts).", run_base_url,
         changes=True, text=_base_url_text, synopsis="base-url URL",
         args=(Arg("url", metavar="URL", required=True, help="the base URL"),)),
)
