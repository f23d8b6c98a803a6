"""Read and parse spec documents safely: file, https URL, text or bytes -> plain data.

The one job of this module is :func:`load_document`: turn an untrusted source into a
JSON-like Python value (dicts, lists, str, int, float, bool, None) in a :class:`LoadedSpec`,
or raise a one-sentence :mod:`nbconnect.errors` exception. Reading the bytes lives in
:mod:`.sources` (:func:`read_source`, :class:`SpecSource`), decoding and parsing them in
:mod:`.parsing` (:func:`decode_text`, :func:`parse_text`, :func:`check_expansion`); they are
re-exported here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .parsing import check_expansion, decode_text, parse_text
from .sources import SpecSource, read_source

__all__ = [
    "LoadedSpec",
    "SpecSource",
    "check_expansion",
    "decode_text",
    "load_document",
    "parse_text",
    "read_source",
]


@dataclass(frozen=True)
class LoadedSpec:
    """A parsed document with its origin, format (``"json"``/``"yaml"``) and source URL."""

    document: Any
    origin: str
    format: str
    url: str | None = None



def load_document(source: Any, *, max_bytes: int | None = None, timeout: float | None = None,
                  verify: Any = True) -> LoadedSpec:
    """Read, decode and parse ``source`` into a :class:`LoadedSpec`."""
    src = read_source(source, max_bytes=max_bytes, timeout=timeout, verify=verify)
    origin = src.origin if src.origin != "text" else "text"
    text = decode_text(src.data, origin)
    doc, fmt = parse_text(text, origin)
    return LoadedSpec(doc, origin, fmt, src.url)
