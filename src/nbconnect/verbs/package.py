"""The package verbs: ``export`` (the package directory or .zip, or OpenAPI / a Postman
collection), ``load``, ``show`` (the connector, or one endpoint) and ``validate``.

One zip rule for both faces: a ``.zip`` suffix means a zip; ``--zip`` asks for one and adds
the suffix when the path lacks it.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from ..errors import ExportError
from ..model import Connector
from .table import Arg, Verb, register, usage_error

__all__ = ["package_target", "shown_path"]

FORMATS = ("package", "openapi", "postman", "overlay")


def package_target(path: Path, zip: bool = False) -> tuple[Path, bool]:
    """(path, is a zip) by the one zip rule: a ``.zip`` suffix means a zip; ``zip=True``
    adds the suffix when it is missing."""
    is_zip = zip or path.suffix.lower() == ".zip"
    if is_zip and path.suffix.lower() != ".zip":
        path = path.with_name(path.name + ".zip")
    return path, is_zip


def shown_path(given: str, written: Any) -> Path:
    """``written`` as the user wrote it (relative stays relative: no temp dirs in output)."""
    written = Path(written)
    if not Path(given).is_absolute() and written.is_absolute():
        try:
            return written.relative_to(Path.cwd())
        except ValueError:
            return written
    return written


def run_export(workspace: Any, args: argparse.Namespace) -> Path:
    """Write the connector as a package (directory or .zip), OpenAPI 3.1 or Postman v2.1."""
    connector = workspace.require()
    if args.path and args.output:
        raise usage_error("Give the target once: PATH or -o FILE, not both.", ("export",))
    given = args.path or args.output
    if not given:
        raise usage_error("the following arguments are required: PATH (or -o FILE)",
                          ("export",))
    fmt = args.format or "package"
    out = Path(given).expanduser()
    if fmt == "package":
        target, is_zip = package_target(out, args.zip)
        written = connector.export(target, zip=is_zip)  # with the samples kept for pull
        workspace.package_path = Path(written)
        return shown_path(str(target) if given != str(target) else given, written)
    if args.zip:
        raise usage_error(f"--zip is for a package; --format {fmt} writes one JSON file.",
                          ("export",), option="zip")
    if fmt == "postman":
        from ..exports.postman import write_postman

        return write_postman(connector, out)
    if fmt == "overlay":
        from ..exports.overlay import write_overlay

        return write_overlay(connector, out)
    from ..spec.writer import to_openapi

    if out.is_dir():
        raise ExportError(f"{out} is a directory; give a file path such as "
                          f"{out / 'openapi.json'}.", option="output")
    if not out.parent.is_dir():
        raise ExportError(f"The folder {out.parent} does not exist; create it first or pick "
                          "another path.", option="output")
    text = json.dumps(to_openapi(connector), indent=2, ensure_ascii=False) + "\n"
    out.write_text(text, encoding="utf-8")
    return out


def run_load(workspace: Any, args: argparse.Namespace) -> Connector:
    """Load a connector package (directory or .zip); it becomes the current connector."""
    from ..package.format import load

    path = Path(args.path).expanduser()
    connector = load(path)
    workspace.set_connector(connector, path)
    return connector


def run_show(workspace: Any, args: argparse.Namespace) -> Any:
    """The connector, or one of its endpoints."""
    connector = workspace.require()
    if args.endpoint:
        return connector.endpoint(args.endpoint)
    return connector


def _show_text(shown: Any, args: argparse.Namespace, workspace: Any) -> str:
    from ..render import connector_json, connector_summary, endpoints_table

    if not isinstance(shown, Connector):
        from .endpoint import endpoint_text

        return endpoint_text(shown, args, workspace)
    if args.json:
        from .webhook import webhook_json

        data = connector_json(shown)
        data["webhooks"] = [webhook_json(w) for w in shown.webhooks]
        data["links"] = [{**lk.to_dict(), "kind": lk.kind} for lk in shown.links]
        data["mcp"] = [server.to_dict() for server in shown.mcp_servers]
        return json.dumps(data, indent=2, ensure_ascii=False)
    return f"{connector_summary(shown)}\n\n{endpoints_table(shown.endpoints)}"


def run_validate(workspace: Any, args: argparse.Namespace) -> None:
    """Check a package's manifest and openapi.json (default: the connector's package)."""
    from ..package.format import validate

    path = args.path or workspace.package_path
    if path is None:
        raise usage_error("the following arguments are required: PKG (the connector has not "
                          "been saved to a package yet)", ("validate",))
    connector = validate(path)
    n = len(connector.endpoints)
    workspace.say(f"ok: {path} is a valid connector package ({connector.name}, "
                  f"{n} endpoint{'s' if n != 1 else ''})")


register(
    Verb(("export",), "write the connector package",
         "Write the connector as a package directory or .zip (a .zip suffix means a zip; "
         "--zip adds the suffix when missing), or with --format openapi|postman as an OpenAPI "
         "3.1 document or a Postman collection v2.1 (no secret values; newman runs it with "
         "--env-var for the secrets).", run_export, package="load",
         text=lambda p, a, w: f"{w.connector.name} as {a.format or 'package'} -> {p}",
         synopsis="export PATH [--zip]",
         args=(Arg("path", metavar="PATH", help="where to write (or -o FILE)"),
               Arg("output", ("-o", "--output"), "FILE", help="where to write (the same "
                                                               "as PATH)"),
               Arg("format", ("--format",), choices=FORMATS,
                   help="package (default), openapi, postman or overlay (the responses "
                        "accepted from pull, as an OpenAPI Overlay 1.0)"),
               Arg("zip", ("--zip",), switch=True,
                   help="write a .zip (adds the .zip suffix when PATH lacks it)"))),
    Verb(("load",), "load a connector package (it becomes current)",
         "Load a connector package (directory or .zip); it becomes the current connector.",
         run_load, package="none", synopsis="load PATH",
         text=lambda c, a, w: f"loaded {c.name} ({len(c.endpoints)} endpoints) from {a.path}",
         args=(Arg("path", metavar="PATH", required=True, help="package directory or .zip"),)),
    Verb(("show",), "show the connector, or one endpoint",
         "Show the connector (name, base URL, auth, connections, endpoints), or one of its "
         "endpoints.", run_show, text=_show_text, synopsis="show [ENDPOINT_ID]",
         args=(Arg("endpoint", metavar="ENDPOINT_ID", help="an endpoint id"),
               Arg("json", ("--json",), switch=True,
                   help="print JSON: name, description, base_url, auth, endpoints [{id, "
                        "method, path, name}], connections (an endpoint: its definition)"))),
    Verb(("validate",), "check a connector package",
         "Load a package (default: the connector's) and check its manifest and openapi.json.",
         run_validate, package="none", synopsis="validate [PKG]",
         args=(Arg("path", metavar="PKG", help="package directory or .zip (default: the "
                                               "connector's package)"),)),
)
