"""The OpenAPI reading the mock needs: JSON pointers, local ``$ref``s, media types, the server URL.

:class:`Document` finds every value with its JSON pointer and follows local ``$ref``s (never a
remote or file one); :func:`pick_media` chooses a content entry (``application/json`` first,
then any JSON type, then the first); :func:`server_url` is the first server's URL with its
variables filled from their defaults.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote, urljoin

__all__ = ["IGNORED_HEADERS", "METHODS", "MISSING", "Document", "escape", "media_is_json",
           "pick_media", "server_url"]

#: the operation keys of a Path Item
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
#: header parameters OpenAPI says to ignore (the request's own headers carry them)
IGNORED_HEADERS = ("accept", "content-type", "authorization")
_JSON_RE = re.compile(r"^application/(?:[\w.+-]+\+)?json$|/json$|\+json$")


def escape(token: str) -> str:
    """``token`` escaped for a JSON pointer (``~`` -> ``~0``, ``/`` -> ``~1``)."""
    return token.replace("~", "~0").replace("/", "~1")


def _tokens(pointer: str) -> list[str]:
    if not pointer:
        return []
    return [unquote(t).replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/")]


#: what :meth:`Document.at` returns for a pointer that leads nowhere
MISSING = object()


class Document:
    """The document with JSON-pointer bookkeeping: every value is found with its pointer."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc

    def at(self, pointer: str) -> Any:
        node: Any = self.doc
        for tok in _tokens(pointer):
            if isinstance(node, dict) and tok in node:
                node = node[tok]
            elif isinstance(node, list) and tok.isdigit() and int(tok) < len(node):
                node = node[int(tok)]
            else:
                return MISSING
        return node

    def deref(self, obj: Any, pointer: str) -> tuple[Any, str, list[str]]:
        """Follow local ``$ref``s: (target, its pointer, pointers of the refs followed)."""
        seen: list[str] = []
        while isinstance(obj, dict) and isinstance(obj.get("$ref"), str):
            ref = obj["$ref"]
            if not ref.startswith("#") or ref[1:] in seen or len(seen) > 64:
                return {}, pointer, seen
            target = self.at(ref[1:])
            if target is MISSING:
                return {}, pointer, seen
            pointer = ref[1:]
            seen.append(pointer)
            obj = target
        return obj, pointer, seen


def media_is_json(media_type: str) -> bool:
    """Is ``media_type`` JSON (``application/json``, ``+json``, or a wildcard)?"""
    base = media_type.split(";")[0].strip().lower()
    return bool(_JSON_RE.search(base)) or base in ("*/*", "application/*")


def pick_media(content: Any) -> tuple[str | None, Any]:
    """(media type, media object) of a ``content`` map: JSON first, else the first entry."""
    if not isinstance(content, dict) or not content:
        return None, None
    keys = [str(k) for k in content]
    for pred in (lambda b: b == "application/json", media_is_json, lambda b: True):
        for key in keys:
            if pred(key.split(";")[0].strip().lower()):
                return key, content[key]
    return None, None


def server_url(doc: dict[str, Any]) -> str:
    """The first server's URL with its variables' defaults (relative URLs made absolute)."""
    servers = doc.get("servers")
    if not isinstance(servers, list) or not servers or not isinstance(servers[0], dict):
        return "/"
    server = servers[0]
    url = server.get("url") if isinstance(server.get("url"), str) else "/"
    variables = server.get("variables") if isinstance(server.get("variables"),
                                                      dict) else {}

    def fill(m: re.Match[str]) -> str:
        var = variables.get(m.group(1))
        default = var.get("default") if isinstance(var, dict) else None
        return str(default) if default is not None else m.group(1)

    url = re.sub(r"\{([^{}]*)\}", fill, url.strip())
    if "://" not in url:
        url = urljoin("http://mock.invalid/", url)
    return url
