"""The mock's sources: a spec, a parsed document, a Connector or a package, read as one document.

A spec is read with :mod:`nbconnect.spec.reading` (never following a remote or file ``$ref``),
a :class:`~nbconnect.model.Connector` becomes its :func:`~nbconnect.spec.writer.to_openapi`
document, a connector package (directory or ``.zip``) is loaded with
:func:`nbconnect.package.format.load` first. The importer's checks then run on the document.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import SpecSourceError

__all__ = ["check_document", "load_source"]


def load_source(source: Any) -> tuple[dict[str, Any], str]:
    """(OpenAPI document, origin) from any accepted source."""
    from ..model import Connector

    if isinstance(source, Connector):
        return _connector_doc(source), f"connector {source.name!r}"
    if isinstance(source, Mapping):
        return copy.deepcopy(dict(source)), "document"
    if isinstance(source, str | os.PathLike) and not (isinstance(source, str) and (
            "\n" in source or source.lstrip()[:1] in ("{", "[") or "://" in source)):
        text = os.fspath(source).strip()
        if not text:
            raise SpecSourceError("The mock's source is empty; give a spec file, spec text, a "
                                  "connector package or a Connector.")
        path = Path(text).expanduser()
        if path.is_dir() or (path.suffix.lower() == ".zip" and path.is_file()):
            from ..package.format import load

            connector = load(path)
            return _connector_doc(connector), str(path)
    if isinstance(source, str | bytes | bytearray | os.PathLike):
        from ..spec.reading import load_document

        loaded = load_document(source)
        return loaded.document, loaded.origin
    raise SpecSourceError(f"Cannot mock a {type(source).__name__}; give a spec path, spec "
                          "text, a parsed spec dict, a connector package path or a Connector.")


def _connector_doc(connector: Any) -> dict[str, Any]:
    from ..spec.writer import to_openapi

    return copy.deepcopy(to_openapi(connector))


def check_document(doc: dict[str, Any], origin: str) -> None:
    """Version check and the importer's $ref safety checks (non-local refs refused)."""
    from ..spec.importer import check_document as importer_checks

    importer_checks(doc, origin)
