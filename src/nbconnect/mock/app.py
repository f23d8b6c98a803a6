"""The mock API as an ASGI app: every operation of an OpenAPI 3.0/3.1 spec from deterministic data.

:func:`mock_app` turns a source into a starlette app. The source is a spec (file path, text,
bytes or an already parsed ``dict``; read with :mod:`nbconnect.spec.reading`, never following
a remote or file ``$ref``), a :class:`~nbconnect.model.Connector` (its
:func:`~nbconnect.spec.writer.to_openapi` document) or a connector package (a directory or
``.zip``, read with :func:`nbconnect.package.format.load`).

What the mock does with a request, in this order:

1. **Route.** Operations are served under the path of the spec's first server URL (the
   demo's ``https://tasks.example.com/{version}`` gives ``/v1``). A path template matches
   one segment per ``{param}``; routes with fewer parameters and more literal text win
   (``/users/me`` before ``/users/{id}``). Another ``#fragment`` in a path key is ignored. A
   ``?k=v`` in a path key is part of the match: the operation is chosen when the request
   has ``k=v`` or no ``k`` at all (the value is the key's default), never when it has
   another ``k``; of several such keys the one with the most equal values wins. Unknown
   paths get 404 and known paths with another method 405, as JSON. A ``#k=v`` fragment
   (AWS: ``/#X-Amz-Target=Service.Action``) matches the request's header ``k`` the same
   way.
2. **Security**, as the spec says: the operation's ``security`` or else the global one;
   alternatives are OR-ed, the schemes inside one requirement AND-ed, ``{}`` allows
   anonymous calls. apiKey (header, query or cookie), http basic and bearer (other http
   schemes: any ``Authorization`` with that scheme), oauth2 and openIdConnect (a bearer
   token); mutualTLS is not checked. Without ``credentials`` any non-empty credential
   of the right shape passes; ``credentials={"apiKey": "k-123"}`` (scheme name ->
   expected value) makes a wrong value fail too. Failure: 401 JSON with a
   ``WWW-Authenticate`` challenge per scheme. Expected values never appear in responses,
   reprs or messages.
3. **Parameters**: path parameters are converted by their schema's type and checked
   against the schema (an integer given ``abc`` is a 400 naming the parameter); required
   query, header and cookie parameters must be present and present ones must match their
   schemas (400).
4. **Body**: a JSON request body must parse (400); a required body must be there (400);
   a form or multipart body is read by its Encoding Object and checked against its schema
   (400 naming the field, :mod:`.bodies`). JSON bodies are not checked against their schema.
5. **Response**: the success status (for POST 201 when declared, else the lowest 2xx,
   else 200; 204 and responses without content have no body). The body is the success
   media's ``example`` or first of ``examples`` that is valid under the media's schema
   (an example that breaks the spec's own schema is skipped), else values generated from
   the schema, deterministically from ``seed``: schema examples that are valid; ``format``
   strings (date-time and date fixed, email and uuid from the seed, uri, ipv4, ...);
   strings from a ``pattern`` when one is given; the first ``enum`` value; ``const``;
   integers from ``minimum`` or 1; arrays of 1-2 items; ``allOf`` merged; ``oneOf``/
   ``anyOf`` their first non-null option (for ``oneOf``, the next option whose value fits
   exactly one; options that overlap completely cannot be told apart and the first is
   served); nullable values not null; writeOnly properties left out; recursive schemas
   recurse once, then optional parts are cut; past a depth or a size budget only required
   parts are generated. Responses do not depend on the request, so the same request
   always gives the same bytes (each operation's body is made once and kept).

OAuth2: every ``tokenUrl`` of an oauth2 scheme's flows is served at its **path** (the
demo's ``https://tasks.example.com/oauth/token`` at ``/oauth/token``; a relative
``tokenUrl`` is taken relative to the server URL) and issues a bearer token for the
``client_credentials``, ``password`` and ``refresh_token`` grants (client id and secret
by Basic auth, raw or form-encoded, or in the form). With ``credentials={"oauth2":
{"client_id": "app", "client_secret": "..."}}`` only that client gets a token and only
the tokens the mock issued are accepted; a plain string is the one bearer token both
issued and accepted. A ``tokenUrl`` path that the spec itself serves by POST (Mastodon's
``/oauth/token``) stays the spec's operation; the token endpoint then moves under ``/_mock``
(``MockInfo.token_paths`` says where).

starlette and uvicorn are imported when a mock is built.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from ..errors import MockError, clip
from ..spec.oas import PATH_ITEM_METHODS, may_be_json
from .api import MockAPI
from .bodies import check_body

__all__ = ["MockInfo", "mock_app"]


def mock_app(source: Any, *, credentials: Mapping[str, Any] | None = None,
             seed: int = 0) -> Any:
    """A starlette app serving every operation of ``source`` (see the module docstring).

    ``source``: a spec path, text or parsed dict, a Connector, or a connector package
    path. ``credentials``: security scheme name -> expected value (``str`` for apiKey,
    bearer and oauth2 tokens; ``(user, password)`` or ``"user:password"`` for Basic;
    ``{"client_id": ..., "client_secret": ...}`` for an oauth2 scheme's token
    endpoint). ``seed`` varies generated values. ``app.state.mock`` describes the mock
    (``title``, ``base_path``, ``operations``, ``token_paths``, and ``problems``: each
    operation whose success schema no value can satisfy, also logged as a warning on the
    ``nbconnect.mock`` logger).
    """
    api = MockAPI(source, credentials=credentials, seed=seed)
    try:
        import uvicorn  # noqa: F401 - MockServer and serve need it; fail early and clearly
        from starlette.applications import Starlette
    except ImportError as exc:
        raise MockError(f"The mock API needs starlette and uvicorn ({exc.name} is "
                             "missing); install them with pip install starlette uvicorn.") \
            from None
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    def error(status: int, code: str, message: str,
              headers: Mapping[str, str] | None = None) -> Response:
        return JSONResponse({"error": code, "message": message}, status_code=status,
                            headers=dict(headers or {}))

    async def handle(request: Request) -> Response:
        try:
            return await _handle(request)
        except Exception as exc:  # the mock answers, whatever happens
            import logging

            logging.getLogger("nbconnect.mock").exception("The mock failed on %s %s",
                                                          request.method, request.url.path)
            return error(500, "mock_error", f"The mock failed on this request "
                         f"({type(exc).__name__}); this is a bug in nbconnect's mock.")

    async def _handle(request: Request) -> Response:
        raw_path = request.scope.get("raw_path") or request.scope["path"].encode()
        raw_path_text = raw_path.decode("latin-1").split("?", 1)[0]
        method = request.method.lower()
        query = parse_qsl(request.url.query, keep_blank_values=True)
        headers = {k.lower(): v for k, v in request.headers.items()}
        cookies = dict(request.cookies)
        path_only = request.scope["path"]
        schemes = api.token_paths.get(path_only)
        if schemes and method == "post":
            form_bytes = await request.body()
            form = dict(parse_qsl(form_bytes.decode("utf-8", "replace"),
                                  keep_blank_values=True))
            status, body, extra = api.token_response(schemes, headers, form)
            return JSONResponse(body, status_code=status, headers=extra)
        head = method == "head"
        op, values, allowed = api.route(raw_path_text, method, query, headers)
        if op is None and head:
            op, values, allowed = api.route(raw_path_text, "get", query, headers)
        if op is None and method == "options" and allowed:
            return Response(status_code=204, headers={"Allow": ", ".join(allowed)})
        if op is None:
            if allowed:
                return error(405, "method_not_allowed",
                             f"{request.method} is not an operation of this path; the spec "
                             f"has {', '.join(allowed)}.", {"Allow": ", ".join(allowed)})
            where = f" under {api.base_path}" if api.base_path else ""
            return error(404, "not_found", f"No operation of {api.title!r} matches "
                         f"{request.method} {clip(path_only, 120)}; the mock serves the spec's "
                         f"paths{where}.")
        denied = api.check_security(op, headers, query, cookies)
        if denied is not None:
            message, challenges = denied
            return error(401, "unauthorized", message,
                         {"WWW-Authenticate": ", ".join(challenges)})
        problem = api.check_params(op, values, query, headers, cookies)
        if problem is not None:
            return error(400, "bad_request", problem)
        body = await request.body()
        if not body.strip():
            if op.body_required:
                return error(400, "bad_request", f"{op.label} needs a request body; send "
                             "one.")
        elif may_be_json(headers["content-type"]) if "content-type" in headers \
                else op.body_json:
            try:
                json.loads(body)
            except (ValueError, UnicodeDecodeError) as exc:
                where = f" (line {exc.lineno}, column {exc.colno})" if isinstance(
                    exc, json.JSONDecodeError) else ""
                return error(400, "bad_request", f"The request body is not valid JSON{where}; "
                             "send a JSON document.")
        else:  # a form or multipart body, read by its Encoding Object
            problem = check_body(api.validators, op.pointer, headers.get("content-type"),
                                 body)
            if problem is not None:
                return error(400, "bad_request", problem)
        content = op.cached if op.cached is not None else \
            await run_in_threadpool(api.body_for, op)  # generation does not block the loop
        resp_headers: dict[str, str] = {}
        if op.media_type is not None and op.status not in (204, 304):
            mtype = op.media_type
            if mtype.split(";")[0].strip() in ("*/*", "application/*"):
                mtype = "application/json"
            resp_headers["content-type"] = mtype
        if op.status in (204, 304):
            content = b""
        if head:
            resp_headers["content-length"] = str(len(content))
            return Response(b"", status_code=op.status, headers=resp_headers)
        return Response(content, status_code=op.status, headers=resp_headers)

    app = Starlette(routes=[Route("/{path:path}", handle,
                                  methods=[m.upper() for m in PATH_ITEM_METHODS])])
    app.state.mock = MockInfo(api)
    if api.problems:
        import logging

        log = logging.getLogger("nbconnect.mock")
        for problem in api.problems:
            log.warning("%s", problem)
    return app


class MockInfo:
    """What a mock app serves (``app.state.mock``)."""

    def __init__(self, api: MockAPI) -> None:
        self._api = api
        self.title = api.title
        self.base_path = api.base_path
        self.operations = tuple((o.method.upper(), o.key) for o in api.operations)
        self.token_paths = tuple(api.token_paths)
        #: one sentence per operation whose success schema no value can satisfy (at start)
        self.problems: tuple[str, ...] = api.problems

    def __repr__(self) -> str:
        return (f"MockInfo(title={self.title!r}, base_path={self.base_path!r}, "
                f"operations={len(self.operations)})")

