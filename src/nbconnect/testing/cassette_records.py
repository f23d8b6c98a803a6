"""What one recorded exchange holds: the cassette constants, the redacted request and
response records, the match key replay compares, and the bytes of a cassette file.

Credentials never reach a record: the values of sensitive query parameters and headers
are masked (:func:`nbconnect.auth.secrets.redact_url`, ``redact_headers``), credential-like
JSON and form fields (``password``, ``token``, ``client_secret``, ...) are masked, and every
registered secret is redacted, in text and in binary bodies alike. Bodies are kept as text
or base64, cut at ``max_body_bytes`` with ``"truncated": true`` and their full size.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx2

from ..auth import secrets as nbsecrets
from ..model import ApiKeyAuth, AuthConfig, JwtAuth, slugify
from ..package.members import CASSETTES

__all__ = [
    "CASSETTE_DIR",
    "CASSETTE_FORMAT",
    "ENDPOINT_EXTENSION",
    "MASK",
    "MAX_BODY_BYTES",
    "MAX_EXCHANGES",
    "REQUEST_HEADERS",
    "RESPONSE_HEADERS",
    "body_record",
    "decode_content",
    "dump_cassette",
    "endpoint_key",
    "headers_record",
    "match_key",
    "same_request",
    "sensitive_names",
    "sort_key",
]

#: the package folder that holds the cassettes (one ``<endpoint_id>.json`` each)
CASSETTE_DIR = CASSETTES
CASSETTE_FORMAT = "nbconnect-cassette/1"
#: the request extension that names the endpoint a request belongs to
ENDPOINT_EXTENSION = "nbconnect.endpoint"
#: bodies are kept up to this many bytes (the rest is cut, marked ``truncated``)
MAX_BODY_BYTES = 1_000_000
#: at most this many exchanges are kept per endpoint (the oldest go first)
MAX_EXCHANGES = 50
#: request headers that are recorded (credentials among them are masked)
REQUEST_HEADERS = ("accept", "authorization", "content-type", "cookie", "proxy-authorization",
                   "x-api-key")
#: response headers that are recorded
RESPONSE_HEADERS = ("content-disposition", "content-encoding", "content-language",
                    "content-type", "link", "location", "retry-after", "www-authenticate")

MASK = nbsecrets.MASK
_ID_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*\Z")
#: JSON/form field names whose values are credentials (matched at the end of the name,
#: case-insensitive: password, client_secret, accessToken, api_key, x-auth-token, ...)
_CREDENTIAL_FIELD_RE = re.compile(
    r"(?i)(password|passwd|passphrase|secret|token|api[_\-]?key|private[_\-]?key|"
    r"authorization|credentials?|cookie)\Z")
_JSON_STRING_FIELD_RE = re.compile(r'"((?:[^"\\]|\\.)*)"(\s*:\s*)"((?:[^"\\]|\\.)*)"')
_TEXT_TYPES = re.compile(r"(?i)^(text/|application/([\w.+\-]*\+)?(json|xml|javascript|"
                         r"x-www-form-urlencoded|yaml|x-yaml|graphql|ld\+json))")


def sensitive_names(auth: AuthConfig | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``(query_names, header_names)`` that carry the credential of ``auth``.

    An API key or JWT sent in a query parameter or a custom header names them; the
    standard ones (``Authorization``, ``api_key``, ...) are always masked anyway.
    """
    query: list[str] = []
    headers: list[str] = []
    if isinstance(auth, ApiKeyAuth):
        for key, add_to, _ in auth.keys:  # every key of an auth that sends several
            if add_to == "query":
                query.append(key)
            elif add_to == "header":
                headers.append(key)
            else:
                headers.append("cookie")
    elif isinstance(auth, JwtAuth):
        if auth.add_to == "query" and auth.query_name:
            query.append(auth.query_name)
        elif auth.header_name:
            headers.append(auth.header_name)
    return tuple(query), tuple(headers)


def endpoint_key(request: httpx2.Request) -> str:
    """The cassette a request belongs to: its ``nbconnect.endpoint`` extension, or a
    slug of its method and path."""
    value = request.extensions.get(ENDPOINT_EXTENSION)
    if isinstance(value, str) and _ID_RE.match(value) and len(value) <= 200:
        return value
    return slugify(f"{request.method} {request.url.path}")[:200]


def _is_credential_field(name: object, extra: frozenset[str] = frozenset()) -> bool:
    """A field named like a credential, or one of ``extra`` (lowercase names)."""
    return isinstance(name, str) and (_CREDENTIAL_FIELD_RE.search(name) is not None
                                      or name.lower() in extra)


def _mask_json(value: Any, extra: frozenset[str]) -> Any:
    """``value`` with the values of credential-like keys replaced by ``***``."""
    if isinstance(value, dict):
        return {k: (MASK if _is_credential_field(k, extra) and v not in (None, "")
                    and not isinstance(v, dict | list) else _mask_json(v, extra))
                for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_json(v, extra) for v in value]
    return value


def _mask_json_text(text: str, extra: frozenset[str]) -> str:
    """JSON text with the string values of credential-like keys masked (bytes kept
    otherwise, so a replayed body stays as it was)."""
    def sub(match: re.Match[str]) -> str:
        if _is_credential_field(match.group(1), extra) and match.group(3):
            return f'"{match.group(1)}"{match.group(2)}"{MASK}"'
        return match.group(0)

    return _JSON_STRING_FIELD_RE.sub(sub, text)


def _mask_form(text: str, extra: frozenset[str]) -> list[tuple[str, str]]:
    pairs = parse_qsl(text, keep_blank_values=True)
    return [(k, MASK if _is_credential_field(k, extra) and v else nbsecrets.redact(v))
            for k, v in pairs]


def _media_type(headers: Any) -> str:
    return str(headers.get("content-type", "")).split(";", 1)[0].strip().lower()


def _redact_bytes(raw: bytes) -> bytes:
    """Replace every registered secret's UTF-8 bytes inside binary data by ``***``."""
    for value in sorted(nbsecrets._values, key=len, reverse=True):
        needle = value.encode("utf-8", "surrogatepass")
        if needle in raw:
            raw = raw.replace(needle, MASK.encode())
    return raw


def _canonical_body(content: bytes, headers: Any, extra: frozenset[str]) -> bytes:
    """The request body as compared in replay: JSON re-serialised with sorted keys,
    forms sorted, multipart boundaries fixed; credentials masked and secrets redacted."""
    media = _media_type(headers)
    text: str | None
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and ("json" in media or not media):
        try:
            data = json.loads(text)
        except ValueError:
            pass
        else:
            dumped = json.dumps(_mask_json(data, extra), sort_keys=True, separators=(",", ":"),
                                ensure_ascii=False)
            return nbsecrets.redact(dumped).encode()
    if text is not None and media == "application/x-www-form-urlencoded":
        return urlencode(sorted(_mask_form(text, extra))).encode()
    if media.startswith("multipart/"):
        match = re.search(r'boundary="?([^";]+)"?', str(headers.get("content-type", "")))
        if match:
            content = content.replace(match.group(1).encode("latin-1", "replace"),
                                      b"nbconnect-boundary")
        return _redact_bytes(content)
    if text is not None:
        return nbsecrets.redact(text).encode()
    return _redact_bytes(content)


def match_key(request: httpx2.Request, content: bytes, query_names: Iterable[str],
               extra: frozenset[str] = frozenset()) -> dict[str, Any]:
    """What replay compares for ``request``: method, path, query (without the auth query
    parameters, listed apart in ``ignored_query``) and the SHA-256 of the canonical body."""
    ignore = {n.lower() for n in (*query_names, *nbsecrets.SENSITIVE_QUERY_NAMES)}
    ignore |= nbsecrets._query_names
    query: list[list[str]] = []
    ignored: set[str] = set()
    for name, value in request.url.params.multi_items():
        if name.lower() in ignore:
            ignored.add(name)
        else:
            query.append([nbsecrets.redact(name), nbsecrets.redact(value)])
    path = request.url.raw_path.decode("ascii", "replace").partition("?")[0]
    digest = hashlib.sha256(_canonical_body(content, request.headers, extra)).hexdigest() \
        if content else None
    return {"method": request.method, "path": nbsecrets.redact(path),
            "query": sorted(query), "ignored_query": sorted(ignored), "body_sha256": digest}


def body_record(content: bytes, headers: Any, size: int, truncated: bool,
                 extra: frozenset[str]) -> dict[str, Any]:
    """A body as stored: text (credentials masked) or base64, with size and truncation."""
    media = _media_type(headers)
    out: dict[str, Any] = {"size": size}
    if truncated:
        out["truncated"] = True
    text: str | None = None
    if not media or _TEXT_TYPES.match(media) or media.endswith("+json"):
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError:
            text = content.decode("utf-8", "ignore") if truncated else None
    if text is not None:
        if media == "application/x-www-form-urlencoded":
            text = urlencode(_mask_form(text, extra), safe="*")
        else:
            text = _mask_json_text(text, extra)
        out["text"] = nbsecrets.redact(text)
    else:
        out["base64"] = base64.b64encode(_redact_bytes(content)).decode("ascii")
    return out


def headers_record(headers: Any, allowed: Iterable[str], sensitive: Iterable[str]
                    ) -> dict[str, str]:
    """The allowed headers, sorted, credentials among them masked."""
    allow = {h.lower() for h in allowed} | {h.lower() for h in sensitive}
    kept = [(k.lower(), v) for k, v in headers.multi_items() if k.lower() in allow]
    return dict(sorted(nbsecrets.redact_headers(kept, sensitive).items()))


def decode_content(raw: bytes, headers: httpx2.Headers) -> tuple[bytes, bool]:
    """The body with its Content-Encoding undone; ``(raw, False)`` when it cannot be."""
    if not headers.get("content-encoding"):
        return raw, True
    try:
        return httpx2.Response(200, headers={"content-encoding": headers["content-encoding"]},
                               content=raw).read(), True
    except httpx2.DecodingError:
        return raw, False


def same_request(key: Mapping[str, Any], match: Mapping[str, Any]) -> bool:
    """Method, path, query and body hash agree (which auth parameters were present
    does not matter)."""
    return all(key.get(k) == match.get(k) for k in ("method", "path", "query", "body_sha256"))


def sort_key(exchange: Mapping[str, Any]) -> str:
    """The order of exchanges in a cassette file: by their match key."""
    return json.dumps(exchange["match"], sort_keys=True)


def dump_cassette(key: str, exchanges: list[dict[str, Any]]) -> bytes:
    """The bytes of the cassette file of endpoint ``key`` (deterministic)."""
    doc = {"format": CASSETTE_FORMAT, "endpoint": key, "exchanges": exchanges}
    return (json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()
