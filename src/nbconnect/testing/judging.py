"""Judge a response: 2xx and the body the spec declares, or a reason a person can act on.

:func:`judge` passes an endpoint when the status is 2xx **and** the body matches what the
spec declares (the JSON Schema of the response, OAS 3.0 ``nullable`` and 3.1 type lists
both understood; for non-JSON responses, the content type). A failure gets a reason:
``401 Unauthorized — the API rejected the credentials (check the connection's api key)``,
``response does not match the declared schema at $.items[0].id: expected integer, got
string``, ... :func:`error_reason` does the same for a request that got no answer
(``timed out after 10 s``, ``TLS: certificate verify failed for HOST``, ``connection
refused``). :class:`Validators` builds each declared response schema's validator once per
run. jsonschema is imported when a schema is checked.

Each status is judged against the response declared for it (:meth:`Endpoint.response_for`:
the code, its ``NXX`` range, ``default``); a 2xx an imported endpoint does not declare fails
with a reason naming the declared ones. Schemas are checked with OAS semantics (a required
``writeOnly`` property is not required in a response, ``discriminator`` picks the branch,
``multipleOf`` exact for decimal steps; formats annotate only), the same on every machine
(:mod:`nbconnect.spec.oas.schema`, :mod:`nbconnect.spec.oas.validator`).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Mapping
from typing import Any

from ..errors import NbConnectError, clip, json_path
from ..model import Connector, Endpoint
from ..spec.oas.schema import direction_defs, self_contained

__all__ = ["Validators", "error_reason", "judge", "media_type", "response_json_schema", "seconds"]


def response_json_schema(connector: Connector, endpoint: Endpoint,
                         defs: Mapping[str, Any] | None = None,
                         schema: Any = None) -> dict[str, Any] | None:
    """A declared response schema (``schema``, by default the endpoint's primary one) as a
    self-contained JSON Schema 2020-12 document (``$defs`` from ``connector.schemas``) with
    the OAS response rules applied (see :mod:`nbconnect.spec.oas.schema`), or None when
    none is declared. ``defs`` may pass the response-direction ``$defs`` computed once."""
    if schema is None:
        schema = endpoint.response_schema
    if schema is None:
        return None
    root = self_contained(schema, connector.schemas, "response", defs)
    return root if isinstance(root, dict) else None


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
    422: "the API refused the test values (check them, or give others as test values)",
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
            hint = "the connector has no auth method; set one"
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


def media_type(ctype: str | None) -> str:
    """The media type of a Content-Type, lower-cased, without parameters."""
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


def seconds(value: float) -> str:
    return f"{value:g}"


def error_reason(exc: BaseException, request: Any, timeout: float) -> str:
    """The reason for a request that got no usable answer (transport, TLS, auth flow)."""
    import ssl

    import httpx2

    host = request.url.host if request is not None else "the host"
    if isinstance(exc, NbConnectError):
        return str(exc)
    try:
        from .cassettes import ReplayMissError
    except ImportError:  # pragma: no cover - record/replay not available
        ReplayMissError = ()  # type: ignore[assignment]
    if ReplayMissError and isinstance(exc, ReplayMissError):
        return str(exc)
    if isinstance(exc, httpx2.TimeoutException):
        return f"timed out after {seconds(timeout)} s"
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


class Validators:
    """The response validators of one run: each declared schema's built once, shared by the
    endpoints that declare the same schema (thread-safe)."""

    def __init__(self, connector: Connector) -> None:
        self.connector = connector
        self.cache: dict[str, Any] = {}
        self.defs: dict[str, Any] | None = None
        self.lock = threading.Lock()

    def for_schema(self, ep: Endpoint, schema: Any) -> Any:
        """The validator of a response schema declared by ``ep`` (None for no schema)."""
        if schema is None:
            return None
        key = json.dumps(schema, sort_keys=True, default=str)
        with self.lock:
            if key in self.cache:
                return self.cache[key]
            if self.defs is None:
                self.defs = direction_defs(self.connector.schemas, "response")
            root = response_json_schema(self.connector, ep, self.defs, schema)
            validator = None
            if root is not None:
                from ..spec.oas.validator import validator as build

                validator = build(root)
            self.cache[key] = validator
            return validator

    def get(self, ep: Endpoint) -> Any:
        """The endpoint's primary response validator, or None when it declares no schema."""
        return self.for_schema(ep, ep.response_schema)


def _pick_content(content: Mapping[str, Any], actual: str) -> str | None:
    """The declared media type (key of ``content``) that covers the ``actual`` one."""
    bases = {media_type(k): k for k in content}
    if actual in bases:
        return bases[actual]
    for base, key in bases.items():
        if _is_json(base) and _is_json(actual):
            return key
    for base, key in bases.items():
        if base.endswith("/*") and _type_matches(base, actual):
            return key
    return bases.get("*/*")


def _undeclared(ep: Endpoint, status: int) -> str:
    declared = ", ".join(ep.declared_responses)
    return (f"{_status_phrase(status)} is not a response this operation declares (the spec "
            f"declares {declared}); the API answers differently from its spec")


def judge(validators: Validators, ep: Endpoint, status: int, ctype: str | None,
          sample: bytes, size: int, truncated: bool, headers: Any,
          sample_bytes: int) -> tuple[bool, str]:
    """(passed, reason) for a response to ``ep``: its status, content type (``ctype``),
    the first bytes of its body (``sample``; ``truncated`` when the full ``size`` did not
    fit in ``sample_bytes``) and headers."""
    if not 200 <= status < 300:
        return False, _status_reason(status, validators.connector, sample, headers)
    found = ep.response_for(status)
    if found is None:
        if ep.source == "openapi" and ep.declared_responses:
            return False, _undeclared(ep, status)
        content: Mapping[str, Any] = {}
    else:
        content = found[1]
    actual = media_type(ctype)
    if status == 204:
        return True, ""
    key = _pick_content(content, actual) if content else None
    schema = content.get(key) if key is not None else None
    if size == 0:
        wanted = [k for k, v in content.items() if v is not None]
        if not wanted:
            return True, ""
        return False, (f"the response body is empty, but the spec declares a "
                       f"{media_type(wanted[0])} body")
    if content and key is None:
        names = " or ".join(media_type(k) for k in content)
        article = "an" if names[:1] in "aeiou" else "a"
        return False, (f"expected {article} {names} response, got "
                       f"{actual or 'no content type'}")
    declared = media_type(key)
    if schema is None or not (_is_json(declared) or (declared in ("", "*/*")
                                                      and _is_json(actual))):
        return True, ""
    if truncated:
        return True, (f"schema not checked: the body ({size} bytes) is larger than the "
                      f"{sample_bytes} byte sample kept")
    try:
        data = json.loads(sample)
    except (ValueError, RecursionError):
        return False, f"the response is not valid JSON (Content-Type {actual or 'missing'})"
    from ..spec.oas.validator import import_jsonschema

    jsonschema = import_jsonschema()
    try:
        validator = validators.for_schema(ep, schema)
        if validator is None:
            return True, ""
        best = jsonschema.exceptions.best_match(validator.iter_errors(data))
    except (jsonschema.exceptions.RefResolutionError, RecursionError) as exc:  # type: ignore[attr-defined]
        return False, f"the declared response schema cannot be used ({type(exc).__name__})"
    except Exception as exc:  # a broken declared schema (e.g. an unresolvable $ref)
        return False, (f"the declared response schema cannot be used "
                       f"({type(exc).__name__}: {clip(str(exc), 80)})")
    if best is None:
        from ..spec.oas.validator import unusable_patterns

        skipped = unusable_patterns(validator.schema)
        if skipped:  # passed, with a warning-level reason (as for an unchecked schema)
            return True, (f"pattern {clip(skipped[0], 60)!r} not checked: it is not a "
                          f"regular expression this machine can compile")
        return True, ""
    return False, _schema_reason(best)
