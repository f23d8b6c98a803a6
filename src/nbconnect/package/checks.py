"""The check of ``openapi.json`` against the manifest: valid OAS 3.1 and equal to what the
connector gives.

Used by :meth:`nbconnect.package.package.Package.validate`; each problem is a
:class:`~nbconnect.errors.PackageError` whose ``details`` list the JSON paths that differ or
the validator's first errors.
"""

from __future__ import annotations

import json
from typing import Any

from .. import limits
from ..errors import NbConnectError, PackageError, clip, json_path
from ..model import Connector
from .dumping import dump_openapi
from .manifest import check_refs
from .members import MANIFEST

__all__ = ["check_openapi"]


def check_openapi(raw: bytes, connector: Connector, where: str) -> None:
    """Check the ``openapi.json`` bytes ``raw`` (``where`` names them) against ``connector``."""
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise PackageError(f"{where} is not valid UTF-8 JSON ({clip(str(exc), 80)}); "
                           "re-export the connector.") from None
    except RecursionError:
        raise PackageError(f"{where} is nested too deeply; re-export the connector.") from None
    if not isinstance(doc, dict):
        raise PackageError(f"{where} is not a JSON object; re-export the connector.")
    check_refs(doc, [], where)
    problems = _oas_errors(doc)
    if problems:
        shown = problems[:limits.MAX_ERRORS_SHOWN]
        if len(problems) > len(shown):
            shown.append(f"... and {len(problems) - len(shown)} more")
        raise PackageError(f"{where} is not a valid OpenAPI 3.1 document ({shown[0]}); "
                           "re-export the connector.", shown)
    try:
        expected = json.loads(dump_openapi(connector))
    except NbConnectError as exc:
        raise PackageError(f"{where} cannot be checked: {exc.message}", exc.details) from None
    if doc != expected:
        diffs: list[str] = []
        _diff(expected, doc, [], diffs, limits.MAX_ERRORS_SHOWN)
        raise PackageError(f"{where} does not match {MANIFEST} ({diffs[0]}); re-export the "
                           "connector to bring them in line.", diffs)


def _diff(expected: Any, actual: Any, path: list[Any], out: list[str], limit: int) -> None:
    if len(out) >= limit or expected == actual:
        return
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in list(expected) + [k for k in actual if k not in expected]:
            if key not in actual:
                out.append(f"{json_path([*path, key])}: missing from openapi.json")
            elif key not in expected:
                out.append(f"{json_path([*path, key])}: not in the connector")
            else:
                _diff(expected[key], actual[key], [*path, key], out, limit)
            if len(out) >= limit:
                return
    else:
        out.append(f"{json_path(path)}: differs from what connector.yaml gives")


def _oas_errors(doc: dict[str, Any]) -> list[str]:
    if not str(doc.get("openapi", "")).startswith("3.1"):
        return [f"$.openapi: is {doc.get('openapi')!r}, not 3.1.x"]
    from openapi_spec_validator import OpenAPIV31SpecValidator

    out: list[str] = []
    try:
        # Schema errors come first; on a badly broken document the validator's later
        # semantic checks can crash (KeyError, TypeError, ...) after reporting them.
        for err in OpenAPIV31SpecValidator(doc).iter_errors():
            parts = list(getattr(err, "absolute_path", ()) or ())
            message = getattr(err, "message", None) or str(err)
            out.append(f"{json_path(parts)}: {clip(message)}")
    except RecursionError:
        out.append("$: the document's $refs are circular in a way the validator cannot follow")
    except Exception as exc:  # a validator crash means a broken document
        if not out:
            out.append(f"$: the validator could not read the document "
                       f"({type(exc).__name__}: {clip(str(exc), 60)})")
    return out
