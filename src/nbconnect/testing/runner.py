"""Test endpoints against a real API: build each request, send it, judge the answer.

:func:`build_request` turns an endpoint plus test values into an ``httpx2.Request``
(path parameters percent-encoded, query defaults, headers, cookies, a JSON or form
body, the base URL joined without any ``..`` escape). :func:`test_endpoint` sends one,
:func:`test_endpoints` sends many concurrently, and both judge the answer: an endpoint
passes when the status is 2xx **and** the body matches what the spec declares (the
JSON Schema of the response, OAS 3.0 ``nullable`` and 3.1 type lists both understood;
for non-JSON responses, the content type). A failure carries a reason a person can act
on (``401 Unauthorized — the API rejected the credentials (check the connection's api
key)``, ``timed out after 10 s``, ``TLS: certificate verify failed for HOST``, ...),
and every reason passes through :func:`nbconnect.auth.secrets.redact`.

Test values for each parameter come from, in order: the ``params`` argument, the values
saved on the connector (``Connector.test_values[endpoint_id]``), the parameter's
default, its spec example, the first enum value. Only a required value found nowhere
fails the test.

Limits: a timeout per request (default :data:`DEFAULT_TIMEOUT`), 429/503 answers with a
``Retry-After`` retried at most :data:`MAX_RETRIES` times, each wait at most
:data:`MAX_RETRY_WAIT` seconds (a longer Retry-After fails at once, saying so), and each
response body read as a stream of which only the first :data:`BODY_SAMPLE_BYTES` are
kept (the full size is counted; the schema is checked only when the body fit).

Concurrency: one ``httpx2.Client`` shared by a pool of threads. Measured here
(httpx2 2.16.2, 2 CPUs, 150 requests to a uvicorn server in another process that
answers after 20 ms; median of 3)::

    concurrency      1      5      8     10     16     20     32     50
    sync + threads 3.31   0.70   0.45   0.38   0.25   0.20   0.21   0.16  s
    AsyncClient    3.38   0.71   0.46   0.36   0.29   0.26   0.25   0.21  s

httpx2 did not slow down past 10 as httpx's AsyncClient did (encode/httpx#3215);
threads were as fast or faster at every level and keep sync auth flows and sync
record/replay transports usable, and the gain flattens at 20, so
:data:`DEFAULT_CONCURRENCY` is 20 (newman takes 5.3 s for the same 150 requests).
With it, test-all of 150 endpoints (schema checked) took 0.225 s against a bare
httpx2 20-thread loop's 0.211 s (1.07x) at 20 ms per request, 0.178 s vs 0.176 s with
no delay; 150 responses of 2 MB each peaked at 196 MB RSS (1 MB samples kept).

httpx2 and jsonschema are imported when a test runs, not when this module is imported.
"""

from __future__ import annotations

import email.utils
import functools
import json
import math
import re
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ..auth.secrets import redact
from ..errors import (
    BaseUrlError,
    EndpointDefinitionError,
    MissingParameterError,
    NbConnectError,
    TestRunError,
    clip,
    json_path,
)
from ..model import Connection, Connector, Endpoint, Param
from ..model.urls import check_base_url
from ..spec.writer import to_json_schema

if TYPE_CHECKING:
    import httpx2

    from ..auth.secrets import PromptFn

__all__ = [
    "BODY_SAMPLE_BYTES",
    "DEFAULT_CONCURRENCY",
    "DEFAULT_TIMEOUT",
    "MAX_RETRIES",
    "MAX_RETRY_WAIT",
    "MissingParameterError",
    "ProgressFn",
    "TestReport",
    "TestResult",
    "build_request",
    "request_values",
    "response_json_schema",
    "test_endpoint",
    "test_endpoints",
]

DEFAULT_TIMEOUT = 10.0
#: threads sending requests in :func:`test_endpoints` (see the figures above)
DEFAULT_CONCURRENCY = 20
MAX_RETRIES = 2
MAX_RETRY_WAIT = 5.0
BODY_SAMPLE_BYTES = 1_000_000
USER_AGENT = "nbconnect"
#: the request extension that names the endpoint a request belongs to
ENDPOINT_EXTENSION = "nbconnect.endpoint"

ProgressFn = Callable[[int, int, "TestResult"], None]

_SCHEMA_PREFIX = "#/components/schemas/"
_FORM = "application/x-www-form-urlencoded"
_MULTIPART = "multipart/form-data"


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, repr=False)
class TestResult:
    """The outcome of testing one endpoint.

    ``reason`` is empty for a pass (or a note, such as a schema left unchecked because
    the body was over the sample bound) and says what to fix for a failure. ``size`` is
    the full size of the (decoded) response body; ``body`` keeps its first
    :data:`BODY_SAMPLE_BYTES` (``truncated`` when it did not fit). ``latency_ms`` is
    left out of the repr, the plain text and equality, so they are deterministic.
    """

    __test__ = False  # not a pytest test class

    endpoint_id: str
    method: str
    path: str
    ok: bool
    status: int | None = None
    latency_ms: float | None = field(default=None, compare=False)
    size: int | None = None
    reason: str = ""
    content_type: str | None = None
    body: bytes | None = field(default=None, compare=False)
    truncated: bool = field(default=False, compare=False)

    def __repr__(self) -> str:
        bits = [repr(self.endpoint_id), f"{self.method} {self.path}",
                "ok" if self.ok else "FAILED"]
        if self.status is not None:
            bits.append(f"status={self.status}")
        if self.size is not None:
            bits.append(f"size={self.size}")
        if self.reason:
            bits.append(f"reason={self.reason!r}")
        return f"TestResult({', '.join(bits)})"

    def to_dict(self, *, latency: bool = True) -> dict[str, Any]:
        """Plain data: endpoint id, method, path, ok, status, latency_ms, size, reason,
        content_type (no body). ``latency=False`` leaves latency_ms out."""
        out: dict[str, Any] = {"endpoint_id": self.endpoint_id, "method": self.method,
                               "path": self.path, "ok": self.ok, "status": self.status}
        if latency:
            out["latency_ms"] = (None if self.latency_ms is None
                                 else round(self.latency_ms, 1))
        out.update(size=self.size, reason=redact(self.reason),
                   content_type=self.content_type)
        return out


@dataclass(frozen=True, repr=False)
class TestReport:
    """The results of a test run, in endpoint order.

    ``passed``/``failed`` count them, ``ok`` is True when every endpoint passed,
    :meth:`failures` lists the failed ones. ``repr`` and :meth:`text` are deterministic
    (no latencies) so notebooks showing a report can be compared by nbval.
    """

    __test__ = False

    results: tuple[TestResult, ...]
    connector: str = ""
    connection: str | None = None

    @property
    def passed(self) -> int:
        return sum(1 for r in self.results if r.ok)

    @property
    def failed(self) -> int:
        return sum(1 for r in self.results if not r.ok)

    @property
    def ok(self) -> bool:
        return self.failed == 0

    def failures(self) -> tuple[TestResult, ...]:
        return tuple(r for r in self.results if not r.ok)

    def __len__(self) -> int:
        return len(self.results)

    def __iter__(self) -> Any:
        return iter(self.results)

    def result(self, endpoint_id: str) -> TestResult:
        """The result for ``endpoint_id`` (KeyError when it was not tested)."""
        for r in self.results:
            if r.endpoint_id == endpoint_id:
                return r
        raise KeyError(endpoint_id)

    def to_dict(self, *, latency: bool = True) -> dict[str, Any]:
        """Plain data: connector, connection, passed, failed, results (see
        :meth:`TestResult.to_dict`)."""
        return {"connector": self.connector, "connection": self.connection,
                "passed": self.passed, "failed": self.failed,
                "results": [r.to_dict(latency=latency) for r in self.results]}

    def to_json(self, *, latency: bool = True, indent: int | None = 2) -> str:
        """:meth:`to_dict` as JSON (sorted keys; deterministic with ``latency=False``)."""
        return json.dumps(self.to_dict(latency=latency), indent=indent, sort_keys=True,
                          ensure_ascii=False)

    def text(self) -> str:
        """A plain-text table: one line per endpoint, failures with their reason."""
        head = (f"{self.connector or 'connector'}: {self.passed} passed, "
                f"{self.failed} failed")
        if self.connection:
            head += f" (connection {self.connection})"
        if not self.results:
            return head + "\n(no endpoints tested)"
        wid = max(len(r.endpoint_id) for r in self.results)
        lines = [head]
        for r in self.results:
            status = str(r.status) if r.status is not None else "---"
            line = (f"  {'ok  ' if r.ok else 'FAIL'}  {r.endpoint_id:<{wid}}  "
                    f"{r.method:<6} {status}  {r.path}")
            if r.reason:
                line += f"  -- {redact(r.reason)}"
            lines.append(line.rstrip())
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.text()

    def __str__(self) -> str:
        return self.text()


# --------------------------------------------------------------------------- values


def _coerce(value: Any, param: Param) -> Any:
    """A text value (from ``--param k=v``) turned into the parameter's type when it parses."""
    if not isinstance(value, str):
        return value
    kind = param.type
    try:
        if kind == "integer" and re.fullmatch(r"[+-]?\d+", value.strip()):
            return int(value)
        if kind == "number":
            number = float(value)
            return number if math.isfinite(number) else value
        if kind == "boolean" and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        if kind in ("object", "array") and value.strip()[:1] in ("{", "["):
            return json.loads(value)
    except ValueError:
        return value
    return value


def _spec_value(param: Param) -> tuple[bool, Any]:
    """(found, value) from the parameter's default, example or first enum value."""
    if param.default is not None:
        return True, param.default
    if param.example is not None:
        return True, param.example
    if param.enum:
        return True, param.enum[0]
    return False, None


def _missing(name: str) -> MissingParameterError:
    return MissingParameterError(f"missing required parameter {name} (give a default or "
                                 f"pass --param {name}=...)")


def request_values(connector: Connector, endpoint: Endpoint,
                   params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Explicit and saved test values for ``endpoint`` merged (``params`` wins)."""
    saved = dict(connector.test_values.get(endpoint.id, {}))
    saved.update(params or {})
    return saved


def _body_tree(param: Param, values: Mapping[str, Any], dotted: str,
               own: Any = None, has_own: bool = False) -> tuple[bool, Any]:
    """(found, value) for a body parameter and its subtree; raise when a required part of
    a required value is missing."""
    if dotted in values:
        return True, _coerce(values[dotted], param)
    if has_own:
        return True, own
    found, value = _spec_value(param)
    if found:
        return True, value
    if param.type == "object" and param.children:
        obj: dict[str, Any] = {}
        for child in param.children:
            try:
                ok, v = _body_tree(child, values, f"{dotted}.{child.name}")
            except MissingParameterError:
                if param.required:
                    raise
                return False, None
            if ok:
                obj[child.name] = v
            elif child.required:
                if child.nullable:
                    obj[child.name] = None
                elif param.required:
                    raise _missing(f"{dotted}.{child.name}")
                else:
                    return False, None
        return (True, obj) if (obj or param.required) else (False, None)
    if param.type == "array" and param.required:
        if param.children:
            item = Param(param.name, type="object", location="body", required=True,
                         children=param.children)
            ok, v = _body_tree(item, values, f"{dotted}[]")
            return True, [v] if ok else []
        return True, []
    return False, None


def _schema_example(schema: Any, schemas: Mapping[str, Any]) -> Any:
    """The ``example`` (or first of ``examples``) of a request schema, following $refs."""
    seen = 0
    while isinstance(schema, Mapping) and isinstance(schema.get("$ref"), str) and seen < 20:
        ref = schema["$ref"]
        if "example" in schema or "examples" in schema:
            break
        schema = schemas.get(ref[len(_SCHEMA_PREFIX):]) if ref.startswith(_SCHEMA_PREFIX) \
            else None
        seen += 1
    if not isinstance(schema, Mapping):
        return None
    if schema.get("example") is not None:
        return schema["example"]
    examples = schema.get("examples")
    if isinstance(examples, list) and examples:
        return examples[0]
    return None


def _body(connector: Connector, endpoint: Endpoint, values: Mapping[str, Any]) -> Any:
    """The request body (a dict for JSON and form bodies) or None when there is none."""
    if not endpoint.body:
        example = _schema_example(endpoint.request_schema, connector.schemas)
        return example
    base = _schema_example(endpoint.request_schema, connector.schemas)
    base = dict(base) if isinstance(base, Mapping) else {}
    out: dict[str, Any] = {}
    for p in endpoint.body:
        found, value = _body_tree(p, values, p.name, base.get(p.name), p.name in base)
        if found:
            out[p.name] = value
        elif p.required:
            if p.nullable:
                out[p.name] = None
            else:
                raise _missing(p.name)
    for key, value in base.items():
        out.setdefault(key, value)
    return out


# --------------------------------------------------------------------------- requests


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, Mapping | list | tuple):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return str(value)


def _path_segment(value: Any) -> str:
    text = quote(_text(value), safe="")
    if text in (".", ".."):  # a literal dot segment would be resolved away: encode it
        text = text.replace(".", "%2E")
    return text


def _header_value(name: str, value: Any) -> str:
    text = ",".join(_text(v) for v in value) if isinstance(value, list | tuple) \
        else _text(value)
    if re.search(r"[\r\n\x00]", text):
        raise EndpointDefinitionError(
            f"The test value of header {name} contains a line break or NUL, "
            "which could inject headers; give a single-line value.")
    return text


def _multipart(body: Mapping[str, Any], formats: Mapping[str, str | None]) -> tuple[bytes, str]:
    """A multipart/form-data body (RFC 7578): binary fields as file parts, others as text."""
    import hashlib

    parts: list[bytes] = []
    for name, value in body.items():
        is_file = formats.get(name) in ("binary", "byte") or isinstance(value, bytes)
        raw = value if isinstance(value, bytes) else _text(value).encode("utf-8")
        safe = name.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")
        head = f'Content-Disposition: form-data; name="{safe}"'
        if is_file:
            head += f'; filename="{safe}"\r\nContent-Type: application/octet-stream'
        parts.append(head.encode("utf-8") + b"\r\n\r\n" + raw)
    boundary = "nbconnect-" + hashlib.sha256(b"".join(parts)).hexdigest()[:24]
    sep = f"--{boundary}\r\n".encode()
    out = b"".join(sep + part + b"\r\n" for part in parts) + f"--{boundary}--\r\n".encode()
    return out, boundary


def _join(base_url: str, path: str) -> str:
    return base_url.rstrip("/") + path


def _accept(endpoint: Endpoint) -> str:
    ctype = endpoint.response_content_type
    if not ctype:
        return "application/json, */*;q=0.5"
    return ctype if ctype == "*/*" else f"{ctype}, */*;q=0.1"


def build_request(connector: Connector, endpoint: Endpoint | str,
                  values: Mapping[str, Any] | None = None, *, base_url: str | None = None,
                  timeout: float | None = None) -> httpx2.Request:
    """The ``httpx2.Request`` that tests ``endpoint`` (an Endpoint or its id).

    ``values`` are explicit test values by parameter name (body fields by name, nested
    ones as ``parent.child``); they win over ``connector.test_values``, the parameter's
    default, its example and its first enum value. Path values are percent-encoded as
    one segment (``quote(v, safe="")``, and ``.``/``..`` encoded too); query defaults
    written into the endpoint path are sent; header and cookie parameters become
    headers; body parameters a JSON body, or a form body when the endpoint's
    ``body_content_type`` is form-urlencoded or multipart. ``base_url`` defaults to the
    connector's. Auth is not applied here (the client's auth does that).

    Raises :class:`MissingParameterError` for a required value found nowhere,
    :class:`~nbconnect.errors.BaseUrlError` for a base URL that breaks the https rule.
    """
    import httpx2

    ep = connector.endpoint(endpoint) if isinstance(endpoint, str) else endpoint
    base = base_url if base_url is not None else connector.base_url
    if not base:
        raise BaseUrlError(f"Connector {connector.name!r} has no base URL; set it with "
                           "`%connect base-url https://...` or add a connection.")
    base = check_base_url(base)
    vals = request_values(connector, ep, values)

    def value_of(p: Param) -> tuple[bool, Any]:
        if p.name in vals:
            return True, _coerce(vals[p.name], p)
        return _spec_value(p)

    path = ep.request_path
    for p in ep.path_params:
        found, value = value_of(p)
        if not found or value is None or _text(value) == "":
            raise _missing(p.name)
        path = path.replace("{" + p.name + "}", _path_segment(value))
    query: list[tuple[str, str]] = []
    headers: dict[str, str] = {"User-Agent": USER_AGENT, "Accept": _accept(ep)}
    cookies: list[str] = []
    for p in ep.params:
        if p.location == "path":
            continue
        found, value = value_of(p)
        if not found or value is None:
            if p.required and not p.nullable:
                raise _missing(p.name)
            continue
        if p.location == "query":
            items = value if isinstance(value, list | tuple) else [value]
            query.extend((p.name, _text(v)) for v in items)
        elif p.location == "header":
            headers[p.name] = _header_value(p.name, value)
        else:
            text = _header_value(p.name, value)
            cookies.append(f"{p.name}={quote(text, safe='')}")
    if cookies:
        headers["Cookie"] = "; ".join(cookies)
    kwargs: dict[str, Any] = {}
    if ep.method in ("POST", "PUT", "PATCH", "DELETE") and (ep.body or ep.request_schema):
        body = _body(connector, ep, {k: v for k, v in vals.items()})
        ctype = (ep.body_content_type or "application/json").split(";")[0].strip().lower()
        if body is None:
            pass
        elif ctype == _FORM and isinstance(body, Mapping):
            kwargs["data"] = {k: _text(v) for k, v in body.items()}
        elif ctype == _MULTIPART and isinstance(body, Mapping):
            fmt = {p.name: p.format for p in ep.body}
            content, boundary = _multipart(body, fmt)
            kwargs["content"] = content
            headers["Content-Type"] = f"{_MULTIPART}; boundary={boundary}"
        elif ctype.endswith("json") or ctype.endswith("+json"):
            kwargs["content"] = json.dumps(body, ensure_ascii=False).encode("utf-8")
            headers["Content-Type"] = ep.body_content_type or "application/json"
        elif isinstance(body, bytes | str):
            kwargs["content"] = body.encode("utf-8") if isinstance(body, str) else body
            headers["Content-Type"] = ep.body_content_type or "application/octet-stream"
        else:
            kwargs["content"] = json.dumps(body, ensure_ascii=False).encode("utf-8")
            headers["Content-Type"] = "application/json"
    tm = httpx2.Timeout(DEFAULT_TIMEOUT if timeout is None else timeout)
    return httpx2.Request(ep.method, _join(base, path), params=query or None,
                          headers=headers, extensions={ENDPOINT_EXTENSION: ep.id,
                                                       "timeout": tm.as_dict()},
                          **kwargs)


# --------------------------------------------------------------------------- schemas

def _is_replay(transport: Any) -> bool:
    """Replayed exchanges need no credentials: the cassettes answer, not the API."""
    if transport is None:
        return False
    from .cassettes import ReplayTransport

    return isinstance(transport, ReplayTransport)


def _defs(connector: Connector) -> dict[str, Any]:
    return {k: to_json_schema(v, refs_to_defs=True) for k, v in connector.schemas.items()}


def response_json_schema(connector: Connector, endpoint: Endpoint,
                         defs: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
    """The endpoint's declared response schema as a self-contained JSON Schema 2020-12
    document (``$defs`` from ``connector.schemas``), or None when none is declared."""
    if endpoint.response_schema is None:
        return None
    root = to_json_schema(endpoint.response_schema, refs_to_defs=True)
    if not isinstance(root, dict):
        return None
    if defs is None:
        defs = _defs(connector)
    root = dict(root)
    root["$defs"] = {**defs, **(root.get("$defs") or {})}
    return root


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _schema_reason(err: Any) -> str:
    where = json_path(err.absolute_path)
    kind = err.validator
    if kind == "type":
        want = err.validator_value
        want = " or ".join(want) if isinstance(want, list) else str(want)
        what = f"expected {want}, got {_json_type(err.instance)}"
    elif kind == "required":
        m = re.match(r"'(.*)' is a required property", err.message)
        what = f"missing required property {m.group(1) if m else clip(err.message, 60)}"
    elif kind == "enum":
        allowed = ", ".join(json.dumps(v) for v in err.validator_value[:6])
        what = f"expected one of {allowed}, got {clip(json.dumps(err.instance), 40)}"
    elif kind == "additionalProperties":
        m = re.search(r"\((.*) (?:was|were) unexpected\)", err.message)
        what = f"unexpected property {m.group(1) if m else ''}".rstrip()
    else:
        what = clip(err.message, 120)
    return f"response does not match the declared schema at {where}: {what}"


# --------------------------------------------------------------------------- judging

_STATUS_HINTS = {
    400: "the API refused the request as malformed (check the test values)",
    403: "the credentials are not allowed to call this endpoint (check the connection's "
         "scopes or permissions)",
    404: "not found (check the base URL, the path and the path parameters' test values)",
    405: "the API does not allow this method here (check the endpoint's method and path)",
    422: "the API refused the test values (check them, or pass others with --param)",
}
_AUTH_WORDS = {
    "api-key": "api key", "basic": "username and password", "bearer": "token",
    "jwt": "JWT secret and claims", "oauth2-code": "OAuth2 client and authorization",
    "oauth2-password": "OAuth2 client, username and password",
    "oauth2-client-credentials": "OAuth2 client id and secret",
}


def _status_phrase(status: int) -> str:
    from http import HTTPStatus

    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)


def _body_excerpt(sample: bytes) -> str:
    if not sample:
        return ""
    text = sample[:2000].decode("utf-8", "replace")
    try:
        data = json.loads(text)
    except ValueError:
        pass
    else:
        if isinstance(data, Mapping):
            for key in ("message", "error_description", "detail", "error", "title"):
                if isinstance(data.get(key), str):
                    text = data[key]
                    break
    if "<html" in text[:200].lower():
        return ""
    return clip(text, 100)


def _status_reason(status: int, connector: Connector, sample: bytes,
                   headers: Any) -> str:
    phrase = _status_phrase(status)
    if status == 401:
        auth = connector.auth
        if auth is None:
            hint = "the connector has no auth method; set one with `%connect auth`"
        else:
            hint = f"check the connection's {_AUTH_WORDS.get(auth.type, 'credentials')}"
        return f"{phrase} — the API rejected the credentials ({hint})"
    if 300 <= status < 400:
        where = headers.get("location")
        to = f" to {where}" if where else ""
        return (f"{phrase} — the API redirected{to}; redirects are not followed so "
                "credentials stay with the API host (set the base URL to the final address)")
    if status in (429, 503):
        return f"{phrase} — the API is {'rate limiting' if status == 429 else 'unavailable'}" \
               "; try again later or lower the concurrency"
    excerpt = _body_excerpt(sample)
    if status >= 500:
        hint = "the API failed on its side"
    else:
        hint = _STATUS_HINTS.get(status, "the API refused the request")
    return f"{phrase} — {hint}" + (f": {excerpt}" if excerpt else "")


def _media(ctype: str | None) -> str:
    return (ctype or "").split(";")[0].strip().lower()


def _is_json(media: str) -> bool:
    return media == "application/json" or media.endswith("+json")


def _type_matches(declared: str, actual: str) -> bool:
    if not declared or declared == "*/*":
        return True
    if declared.endswith("/*"):
        return actual.startswith(declared[:-1])
    if declared == actual:
        return True
    return _is_json(declared) and _is_json(actual)


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())


def _seconds(value: float) -> str:
    return f"{value:g}"


def _error_reason(exc: BaseException, request: Any, timeout: float) -> str:
    import ssl

    import httpx2

    host = request.url.host if request is not None else "the host"
    if isinstance(exc, NbConnectError):
        return str(exc)
    try:
        from .cassettes import ReplayMissError
    except Exception:  # pragma: no cover - record/replay not available
        ReplayMissError = ()  # type: ignore[assignment]
    if ReplayMissError and isinstance(exc, ReplayMissError):
        return str(exc)
    if isinstance(exc, httpx2.TimeoutException):
        return f"timed out after {_seconds(timeout)} s"
    chain: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and len(chain) < 10:
        chain.append(cur)
        cur = cur.__cause__ or cur.__context__
    text = " ".join(str(e) for e in chain)
    if any(isinstance(e, ssl.SSLCertVerificationError) for e in chain) or \
            "CERTIFICATE_VERIFY_FAILED" in text:
        return f"TLS: certificate verify failed for {host}"
    if any(isinstance(e, ssl.SSLError) for e in chain) or "[SSL" in text:
        return f"TLS: the handshake with {host} failed ({clip(text, 80)})"
    if any(isinstance(e, ConnectionRefusedError) for e in chain) or \
            "Connection refused" in text or "Errno 111" in text:
        return "connection refused"
    if "Name or service not known" in text or "nodename nor servname" in text or \
            "Temporary failure in name resolution" in text or "getaddrinfo" in text:
        return f"could not resolve the host {host} (check the base URL)"
    if isinstance(exc, httpx2.RemoteProtocolError):
        return "the server closed the connection without a complete response"
    if isinstance(exc, httpx2.ReadError):
        return "the connection broke while reading the response"
    if isinstance(exc, httpx2.TransportError | httpx2.HTTPError):
        return f"request failed: {clip(str(exc) or type(exc).__name__, 120)}"
    return f"request failed ({type(exc).__name__}: {clip(str(exc), 100)})"


@dataclass
class _Run:
    """What a test run shares: the connector, the client, settings, cached validators."""

    connector: Connector
    client: Any
    base_url: str
    timeout: float
    retries: int
    retry_wait: float
    sample_bytes: int
    sleep: Callable[[float], None] = time.sleep
    validators: dict[str, Any] = field(default_factory=dict)
    defs: dict[str, Any] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def validator(self, ep: Endpoint) -> Any:
        """The endpoint's response validator, built once per run (and shared by the
        endpoints that declare the same schema)."""
        with self.lock:
            if ep.id in self.validators:
                return self.validators[ep.id]
            if self.defs is None:
                self.defs = _defs(self.connector)
            key = json.dumps(ep.response_schema, sort_keys=True, default=str)
            validator = self.validators.get("\0" + key)
            if validator is None:
                schema = response_json_schema(self.connector, ep, self.defs)
                if schema is not None:
                    import jsonschema

                    validator = jsonschema.Draft202012Validator(schema)
                self.validators["\0" + key] = validator
            self.validators[ep.id] = validator
            return validator


def _declared_status(ep: Endpoint, status: int) -> bool:
    declared = (ep.response_status or "").upper()
    return declared in ("", "DEFAULT", "2XX") or declared == str(status)


def _judge(run: _Run, ep: Endpoint, status: int, ctype: str | None, sample: bytes,
           size: int, truncated: bool, headers: Any) -> tuple[bool, str]:
    if not 200 <= status < 300:
        return False, _status_reason(status, run.connector, sample, headers)
    declared = _media(ep.response_content_type)
    actual = _media(ctype)
    schema_applies = _declared_status(ep, status) and ep.response_schema is not None
    if status == 204 or (size == 0 and not schema_applies):
        return True, ""
    if declared and not _type_matches(declared, actual):
        article = "an" if declared[:1] in "aeiou" else "a"
        return False, (f"expected {article} {declared} response, got "
                       f"{actual or 'no content type'}")
    if not schema_applies or not (_is_json(declared) or (not declared and _is_json(actual))):
        return True, ""
    if size == 0:
        return False, f"the response body is empty, but the spec declares a {declared} body"
    if truncated:
        return True, (f"schema not checked: the body ({size} bytes) is larger than the "
                      f"{run.sample_bytes} byte sample kept")
    try:
        data = json.loads(sample)
    except (ValueError, RecursionError):
        return False, f"the response is not valid JSON (Content-Type {actual or 'missing'})"
    import jsonschema

    validator = run.validator(ep)
    if validator is None:
        return True, ""
    try:
        best = jsonschema.exceptions.best_match(validator.iter_errors(data))
    except (jsonschema.exceptions.RefResolutionError, RecursionError) as exc:  # type: ignore[attr-defined]
        return False, f"the declared response schema cannot be used ({type(exc).__name__})"
    except Exception as exc:  # a broken declared schema (e.g. an unresolvable $ref)
        return False, (f"the declared response schema cannot be used "
                       f"({type(exc).__name__}: {clip(str(exc), 80)})")
    if best is None:
        return True, ""
    return False, _schema_reason(best)


def _run_one(run: _Run, ep: Endpoint, values: Mapping[str, Any]) -> TestResult:
    """Test one endpoint with a prepared run; never raises for a failure of the API."""
    def result(ok: bool, reason: str, **kw: Any) -> TestResult:
        return TestResult(ep.id, ep.method, ep.path, ok, reason=redact(reason), **kw)

    attempt = 0
    while True:
        try:
            request = build_request(run.connector, ep, values, base_url=run.base_url,
                                    timeout=run.timeout)
        except NbConnectError as exc:
            return result(False, str(exc))
        start = time.perf_counter()
        try:
            response = run.client.send(request, stream=True)
            try:
                status = response.status_code
                ra = _retry_after(response.headers.get("retry-after")) \
                    if status in (429, 503) else None
                if ra is not None and attempt < run.retries and ra <= run.retry_wait:
                    attempt += 1
                    response.close()
                    run.sleep(ra)
                    continue
                chunks: list[bytes] = []
                kept = size = 0
                deadline = start + max(run.timeout, 0.001) * 3
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if kept < run.sample_bytes:
                        piece = chunk[:run.sample_bytes - kept]
                        chunks.append(piece)
                        kept += len(piece)
                    if time.perf_counter() > deadline:
                        raise TimeoutError
                headers = response.headers
                ctype = headers.get("content-type")
            finally:
                response.close()
        except TimeoutError:
            return result(False, f"timed out after {_seconds(run.timeout)} s")
        except Exception as exc:  # transport, TLS, auth flow: all become reasons
            return result(False, _error_reason(exc, request, run.timeout))
        latency = (time.perf_counter() - start) * 1000.0
        sample = b"".join(chunks)
        truncated = size > len(sample)
        ok, reason = _judge(run, ep, status, ctype, sample, size, truncated, headers)
        if not ok and ra is not None and ra > run.retry_wait:
            reason += (f" (the API asked to wait {_seconds(round(ra, 1))} s, more than the "
                       f"{_seconds(run.retry_wait)} s retry bound)")
        elif not ok and status in (429, 503) and attempt:
            reason += f" (still {status} after {attempt} retries)"
        return result(ok, reason, status=status, latency_ms=latency, size=size,
                      content_type=_media(ctype) or None, body=sample, truncated=truncated)


# --------------------------------------------------------------------------- public


@functools.lru_cache(maxsize=1)
def _default_ssl_context() -> Any:
    """httpx2's default (system/certifi) SSL context, made once per process: loading the
    CA bundle takes ~0.1 s, more than a whole test run of a fast local API."""
    import httpx2

    return httpx2.create_ssl_context()


def _make_run(connector: Connector, connection: str | Connection | None, *,
              prompt: PromptFn | None, verify: Any, timeout: float | None,
              transport: Any, concurrency: int, retries: int | None,
              retry_wait: float | None, sample_bytes: int | None) -> _Run:
    import httpx2

    from ..auth.flows import client_for

    if verify is True:
        verify = _default_ssl_context()
    tm = DEFAULT_TIMEOUT if timeout is None else float(timeout)
    if not tm > 0:
        raise TestRunError(f"The timeout must be a positive number of seconds, not "
                             f"{timeout!r}.")
    limits = httpx2.Limits(max_connections=concurrency,
                           max_keepalive_connections=concurrency)
    client = client_for(connector, connection, prompt=prompt, verify=verify, timeout=tm,
                        transport=transport, limits=limits,
                        authenticate=not _is_replay(transport))
    base = str(client.base_url)
    return _Run(connector, client, base, tm,
                MAX_RETRIES if retries is None else max(0, int(retries)),
                MAX_RETRY_WAIT if retry_wait is None else max(0.0, float(retry_wait)),
                BODY_SAMPLE_BYTES if sample_bytes is None else max(0, int(sample_bytes)))


def _check_params(ep: Endpoint, params: Mapping[str, Any]) -> None:
    import difflib

    names = [p.name for p in ep.params]
    for top in ep.body:
        names.extend(dotted for dotted, _ in top.walk())
    for key in params:
        if key not in names:
            close = difflib.get_close_matches(str(key), names, n=3)
            hint = f"did you mean {', '.join(close)}?" if close else \
                f"its parameters are {', '.join(names) or 'none'}."
            raise EndpointDefinitionError(f"Endpoint {ep.id} has no parameter {key!r}; {hint}")


def _connection_name(connection: str | Connection | None, connector: Connector) -> str | None:
    if isinstance(connection, Connection):
        return connection.name
    if connection is not None:
        return connection
    from ..auth.flows import find_connection

    try:
        return find_connection(connector).name if connector.connections else None
    except NbConnectError:
        return None


def test_endpoint(connector: Connector, endpoint_id: str, *,
                  connection: str | Connection | None = None,
                  params: Mapping[str, Any] | None = None, timeout: float | None = None,
                  transport: Any = None, verify: Any = True, prompt: PromptFn | None = None,
                  retries: int | None = None, retry_wait: float | None = None,
                  sample_bytes: int | None = None) -> TestResult:
    """Test one endpoint through a test connection and return its :class:`TestResult`.

    ``params`` maps parameter names (body fields as ``parent.child``) to test values; a
    name the endpoint does not have raises :class:`~nbconnect.errors.EndpointError`.
    ``connection``, ``prompt`` and ``verify`` go to :func:`nbconnect.auth.client_for`
    (connection/secret problems raise there); ``transport`` is an httpx2 transport for
    the client (record/replay). A failure of the API is a failed result, not an
    exception.
    """
    ep = connector.endpoint(endpoint_id)
    params = dict(params or {})
    _check_params(ep, params)
    run = _make_run(connector, connection, prompt=prompt, verify=verify, timeout=timeout,
                    transport=transport, concurrency=1, retries=retries,
                    retry_wait=retry_wait, sample_bytes=sample_bytes)
    with run.client:
        return _run_one(run, ep, params)


test_endpoint.__test__ = False  # type: ignore[attr-defined]


def _tqdm_progress(total: int) -> tuple[ProgressFn | None, Callable[[], None]]:
    if not (hasattr(sys.stderr, "isatty") and sys.stderr.isatty()):
        return None, lambda: None
    try:
        from tqdm import tqdm
    except ImportError:  # tqdm is optional: no bar then
        return None, lambda: None
    bar = tqdm(total=total, file=sys.stderr, unit="endpoint", leave=False)

    def update(done: int, total: int, result: TestResult) -> None:
        bar.update(1)

    return update, bar.close


def test_endpoints(connector: Connector, endpoint_ids: Iterable[str] | None = None, *,
                   connection: str | Connection | None = None,
                   params: Mapping[str, Any] | None = None, concurrency: int | None = None,
                   timeout: float | None = None, progress: ProgressFn | None = None,
                   transport: Any = None, verify: Any = True,
                   prompt: PromptFn | None = None, retries: int | None = None,
                   retry_wait: float | None = None,
                   sample_bytes: int | None = None) -> TestReport:
    """Test several endpoints (all by default) concurrently; return a :class:`TestReport`.

    Up to ``concurrency`` requests (default :data:`DEFAULT_CONCURRENCY`) are in flight
    at once through one shared client; a failing endpoint does not stop the others;
    results come back in the order of ``endpoint_ids`` (the connector's order by
    default). ``params`` is either ``{name: value}`` (used by every endpoint that has
    that parameter) or ``{endpoint_id: {name: value}}``. ``progress(done, total,
    result)`` is called after each endpoint, from the calling thread; ``None`` shows a
    tqdm bar on stderr when it is a terminal. Other arguments as for
    :func:`test_endpoint`.
    """
    import queue
    from concurrent.futures import ThreadPoolExecutor

    ids = [e.id for e in connector.endpoints] if endpoint_ids is None else \
        list(dict.fromkeys(endpoint_ids))
    endpoints = [connector.endpoint(i) for i in ids]
    n = DEFAULT_CONCURRENCY if concurrency is None else concurrency
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise TestRunError(f"The concurrency must be a whole number of at least 1, not "
                             f"{concurrency!r}.")
    flat: dict[str, Any] = {}
    per: dict[str, dict[str, Any]] = {}
    for key, value in (params or {}).items():
        if key in ids and isinstance(value, Mapping):
            per[key] = dict(value)
        else:
            flat[key] = value
    run = _make_run(connector, connection, prompt=prompt, verify=verify, timeout=timeout,
                    transport=transport, concurrency=min(n, max(1, len(endpoints))),
                    retries=retries, retry_wait=retry_wait, sample_bytes=sample_bytes)
    close_bar: Callable[[], None] = lambda: None  # noqa: E731
    if progress is None:
        progress, close_bar = _tqdm_progress(len(endpoints))
    results: list[TestResult | None] = [None] * len(endpoints)
    total = len(endpoints)
    try:
        with run.client, ThreadPoolExecutor(max_workers=min(n, max(1, total)),
                                            thread_name_prefix="nbconnect-test") as pool:
            def task(ep: Endpoint) -> TestResult:
                names = {p.name for p in ep.params} | {
                    d for top in ep.body for d, _ in top.walk()}
                values = {k: v for k, v in flat.items() if k in names}
                values.update(per.get(ep.id, {}))
                try:
                    return _run_one(run, ep, values)
                except Exception as exc:  # never lose the run to one endpoint
                    return TestResult(ep.id, ep.method, ep.path, False,
                                      reason=redact(f"internal error ({type(exc).__name__}: "
                                                    f"{clip(str(exc), 100)})"))

            done_queue: queue.SimpleQueue[tuple[int, TestResult]] = queue.SimpleQueue()

            def work(i: int, ep: Endpoint) -> None:
                done_queue.put((i, task(ep)))

            futures = [pool.submit(work, i, ep) for i, ep in enumerate(endpoints)]
            try:
                for done_count in range(1, total + 1):
                    i, res = done_queue.get()
                    results[i] = res
                    if progress is not None:
                        progress(done_count, total, res)
            except BaseException:
                for fut in futures:
                    fut.cancel()
                raise
    finally:
        close_bar()
    return TestReport(tuple(r for r in results if r is not None), connector.name,
                      _connection_name(connection, connector))


test_endpoints.__test__ = False  # type: ignore[attr-defined]
