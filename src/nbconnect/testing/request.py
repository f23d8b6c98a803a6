"""Build the HTTP request that tests an endpoint, with the values the test-value policy gives.

:func:`build_request` turns an endpoint plus test values into an ``httpx2.Request``:
parameters written in their styles, query defaults, headers, cookies, a JSON, form or
multipart body (Encoding Object), the base URL joined without any ``..`` escape. Which
value each parameter gets and how it is written is :mod:`nbconnect.testing.values` (the
same policy the Postman export uses). :func:`check_params` refuses explicit values for
parameters the endpoint does not have. Auth is not applied here: the client's auth flow does that.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..errors import BaseUrlError, EndpointDefinitionError
from ..model import Connector, Endpoint
from ..model.servers import request_base_url
from ..model.urls import check_base_url
from ..spec.oas.encoding import Part, form_body
from ..spec.oas.style import query_string
from .values import (
    FORM,
    MULTIPART,
    NO_VALUE,
    EndpointValues,
    cookie_pairs,
    form_fields,
    header_value,
    multipart_parts,
    path_text,
    query_pairs,
)

if TYPE_CHECKING:
    import httpx2

__all__ = [
    "DEFAULT_TIMEOUT",
    "ENDPOINT_EXTENSION",
    "USER_AGENT",
    "build_request",
    "check_params",
    "request_values",
]

#: seconds before a request times out
DEFAULT_TIMEOUT = 10.0
USER_AGENT = "nbconnect"
#: the request extension that names the endpoint a request belongs to
ENDPOINT_EXTENSION = "nbconnect.endpoint"


def request_values(connector: Connector, endpoint: Endpoint,
                   params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Explicit and saved test values for ``endpoint`` merged (``params`` wins)."""
    return dict(EndpointValues(connector, endpoint, params).given)


def check_params(ep: Endpoint, params: Mapping[str, Any]) -> None:
    """Refuse an explicit value for a parameter ``ep`` does not have (with a "did you
    mean")."""
    import difflib

    names = [p.name for p in ep.params]
    for top in ep.body:
        names.extend(dotted for dotted, _ in top.walk())
    for key in params:
        if key not in names:
            close = difflib.get_close_matches(str(key), names, n=3)
            hint = f"did you mean {', '.join(close)}?" if close else \
                f"its parameters are {', '.join(names) or 'none'}."
            raise EndpointDefinitionError(f"Endpoint {ep.id} has no parameter {key!r}; {hint}",
                                          option="param")


def _multipart(parts: list[Part]) -> tuple[bytes, str]:
    """A multipart/form-data body (RFC 7578): one part each, a Content-Type where it is not
    text/plain, a filename on file parts, the part's headers from the Encoding Object."""
    import hashlib

    chunks: list[bytes] = []
    for part in parts:
        safe = part.name.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")
        head = f'Content-Disposition: form-data; name="{safe}"'
        if part.filename is not None:
            head += f'; filename="{safe}"'
        if part.content_type is not None:
            head += f"\r\nContent-Type: {part.content_type}"
        for key, text in part.headers:  # the Encoding Object's headers (OAS 3.0.3 §4.7.14)
            head += f"\r\n{key}: {text}"
        chunks.append(head.encode("utf-8") + b"\r\n\r\n" + part.data)
    boundary = "nbconnect-" + hashlib.sha256(b"".join(chunks)).hexdigest()[:24]
    sep = f"--{boundary}\r\n".encode()
    out = b"".join(sep + chunk + b"\r\n" for chunk in chunks) + f"--{boundary}--\r\n".encode()
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
    default, its example and its first enum value. Each parameter is written in its
    style (OAS 3.0.3 §4.7.12: path simple/label/matrix, query form/spaceDelimited/
    pipeDelimited/deepObject, header simple, cookie form, with ``explode`` and
    ``allowReserved``; items percent-encoded, ``.``/``..`` segments too); query defaults
    written into the endpoint path are sent; body parameters make a JSON body, or a form
    or multipart body by the Encoding Object when the endpoint's ``body_content_type`` is
    form-urlencoded or multipart. ``base_url`` defaults to the
    connector's. Auth is not applied here (the client's auth does that).

    Raises :class:`~nbconnect.errors.MissingParameterError` for a required value found nowhere,
    :class:`~nbconnect.errors.BaseUrlError` for a base URL that breaks the https rule.
    """
    import httpx2

    ep = connector.endpoint(endpoint) if isinstance(endpoint, str) else endpoint
    base = base_url if base_url is not None else connector.base_url
    if not base:
        raise BaseUrlError(f"Connector {connector.name!r} has no base URL; set one, or add a "
                           "connection with a base URL.", option="base_url")
    base = check_base_url(base)
    base = request_base_url(ep.server, connector.base_url, base)  # the endpoint's own server
    vals = EndpointValues(connector, ep, values)
    path = ep.request_path
    query: list[tuple[str, str]] = []
    headers: dict[str, str] = {"User-Agent": USER_AGENT, "Accept": _accept(ep)}
    cookies: list[tuple[str, str]] = []
    for p in ep.params:
        value = vals.sent(p)
        if value is NO_VALUE:
            continue
        if p.location == "path":
            path = path.replace("{" + p.name + "}", path_text(p, value))
        elif p.location == "query":
            query.extend(query_pairs(p, value))
        elif p.location == "header":
            headers[p.name] = header_value(p, value)
        else:
            cookies.extend(cookie_pairs(p, value))
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies)
    kwargs: dict[str, Any] = {}
    body = vals.body()
    if body is None:
        pass
    elif body.kind == "form":
        kwargs["content"] = form_body(form_fields(ep, body))
        headers["Content-Type"] = FORM
    elif body.kind == "multipart":
        content, boundary = _multipart(multipart_parts(ep, body))
        kwargs["content"] = content
        headers["Content-Type"] = f"{MULTIPART}; boundary={boundary}"
    elif body.kind == "raw":
        kwargs["content"] = body.value.encode("utf-8") if isinstance(body.value, str) \
            else body.value
        headers["Content-Type"] = body.content_type
    else:
        kwargs["content"] = json.dumps(body.value, ensure_ascii=False).encode("utf-8")
        headers["Content-Type"] = body.content_type
    tm = httpx2.Timeout(DEFAULT_TIMEOUT if timeout is None else timeout)
    url = _join(base, path) + ("?" + query_string(query) if query else "")
    return httpx2.Request(ep.method, url,
                          headers=headers, extensions={ENDPOINT_EXTENSION: ep.id,
                                                       "timeout": tm.as_dict()},
                          **kwargs)

