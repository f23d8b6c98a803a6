"""The mock API's state: one spec turned into routes, checks and canned responses.

:class:`MockAPI` reads the source, builds the routes (:mod:`.routes`), the security checks
(:mod:`.security`) and the value generator (:mod:`.values`), and renders each operation's
success body once: the success media's ``example`` or first of ``examples`` that is valid
under the media's schema, else values generated from the schema. Responses do not depend on
the request, so the same request always gives the same bytes.

:attr:`MockAPI.problems` names, at start, each operation whose success schema no value can
satisfy (an enum that allOf intersects to nothing, a minimum above the maximum, ...); a
generated body that still breaks its schema is logged once, naming the operation.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit

from ..spec.oas import (
    MISSING,
    Resolver,
    escape_token,
    fill_server_url,
    first_server,
    is_oas30,
    may_be_json,
    path_item,
)
from .params import check_params
from .routes import Operation, build_operations, find_operation
from .security import Scheme, Security
from .source import check_document, load_source
from .tokens import token_response, unshadowed
from .validation import Validators
from .values import ValueGenerator

__all__ = ["MockAPI"]


class MockAPI:
    """The spec turned into routes, checks and canned responses (one per operation)."""

    def __init__(self, source: Any, *, credentials: Mapping[str, Any] | None, seed: int
                 ) -> None:
        doc, origin = load_source(source)
        check_document(doc, origin)
        self.origin = origin
        self.seed = int(seed)
        self.oas30 = is_oas30(doc.get("openapi", ""))
        self.doc = Resolver(doc)
        self.validators = Validators(doc, self.oas30)
        self.generator = ValueGenerator(self.doc, self.validators, self.seed, self.oas30)
        info = doc.get("info") if isinstance(doc.get("info"), dict) else {}
        self.title = str(info.get("title") or "API").strip() or "API"
        self.server_url = _server_url(doc)
        self.base_path = urlsplit(self.server_url).path.rstrip("/")
        self.security = Security(self.doc, self.server_url, credentials)
        self.schemes = self.security.schemes
        global_security = doc.get("security") if isinstance(doc.get("security"), list) \
            else None
        self.operations = build_operations(self.doc, self.generator, global_security)
        #: token endpoint path -> schemes; never a path the spec itself serves by POST
        self.token_paths: dict[str, list[Scheme]]
        self.token_paths, moved = unshadowed(
            self.security.token_paths,
            lambda path: self.route(path, "post", [], {})[0] is not None)
        if moved:
            import logging

            for path, target in moved.items():
                logging.getLogger("nbconnect.mock").warning(
                    "The spec's own POST %s is served as the spec says; the mock's OAuth2 "
                    "token endpoint for it is at %s.", path, target)
        self._lock = threading.Lock()
        #: one sentence per operation whose success schema no value can satisfy
        self.problems: tuple[str, ...] = tuple(self._problems())

    def _problems(self) -> list[str]:
        out: list[str] = []
        for op in self.operations:
            if op.media_pointer is None or op.media_type is None or \
                    not may_be_json(op.media_type):
                continue
            media = self.doc.at(op.media_pointer)
            if not isinstance(media, dict) or not isinstance(media.get("schema"), dict):
                continue
            why = self.generator.problem(media["schema"], f"{op.media_pointer}/schema")
            if why is not None:
                out.append(f"{op.label} ({op.status}): no value satisfies the response "
                           f"schema ({why}); the mock serves its best effort, fix the "
                           "schema in the spec.")
        return out

    # -- requests --------------------------------------------------------------------

    def route(self, raw_path: str, method: str, query: list[tuple[str, str]],
              headers: Mapping[str, str] | None = None
              ) -> tuple[Operation | None, dict[str, str], list[str]]:
        """(operation, path values, allowed methods when the path exists but not the method);
        ``headers`` (lower-case names) choose among ``#header=value`` path keys."""
        groups = self.__dict__.get("_route_groups")
        if groups is None:  # operations grouped by the base path of their server
            groups = self.__dict__["_route_groups"] = _route_groups(self)
        allowed: list[str] = []
        for base_path, ops in groups:
            op, values, methods = find_operation(ops, base_path, raw_path, method, query,
                                                 headers)
            if op is not None:
                return op, values, []
            allowed += methods
        return None, {}, list(dict.fromkeys(allowed))

    def check_security(self, op: Operation, headers: Mapping[str, str],
                       query: list[tuple[str, str]], cookies: Mapping[str, str]
                       ) -> tuple[str, list[str]] | None:
        """None when allowed, else (message, WWW-Authenticate challenges)."""
        return self.security.check(op.security, headers, query, cookies)

    def check_params(self, op: Operation, values: Mapping[str, str],
                     query: list[tuple[str, str]], headers: Mapping[str, str],
                     cookies: Mapping[str, str]) -> str | None:
        """None when the parameters are fine, else a one-sentence problem."""
        return check_params(self.validators, op, values, query, headers, cookies)

    def token_response(self, schemes: list[Scheme], headers: Mapping[str, str],
                       form: Mapping[str, str]) -> tuple[int, dict[str, Any], dict[str, str]]:
        """(status, JSON body, extra headers) for a request to a token endpoint."""
        return token_response(self.security, schemes, headers, form, self.seed)

    # -- responses -----------------------------------------------------------------

    def body_for(self, op: Operation) -> bytes:
        """The success body of ``op``, rendered once and kept."""
        if op.cached is not None:
            return op.cached
        with self._lock:
            if op.cached is None:
                op.cached = self._render(op)
        return op.cached

    def _render(self, op: Operation) -> bytes:
        if op.media_pointer is None or op.media_type is None:
            return b""
        media = self.doc.at(op.media_pointer)
        media = media if isinstance(media, dict) else {}
        schema = media.get("schema")
        schema_pointer = f"{op.media_pointer}/schema"
        candidates: list[Any] = []
        if "example" in media:
            candidates.append(media["example"])
        if isinstance(media.get("examples"), dict):
            for key, entry in media["examples"].items():
                ex = self.doc.deref(
                    entry, f"{op.media_pointer}/examples/{escape_token(str(key))}").value
                if isinstance(ex, dict) and "value" in ex:
                    candidates.append(ex["value"])
        value: Any = MISSING
        for candidate in candidates:
            # the spec's example, unless it breaks the spec's own schema
            if not isinstance(schema, dict) or not may_be_json(op.media_type) or \
                    self.validators.is_valid(schema_pointer, candidate):
                value = candidate
                if isinstance(schema, dict):  # writeOnly properties stay out of responses
                    value = self.generator.strip(candidate, schema, schema_pointer)
                break
        if value is MISSING and isinstance(schema, dict):
            value = self.generator.generate(schema, schema_pointer, f"{op.label}$")
            if may_be_json(op.media_type):  # judged as the runner judges it
                problem = self.validators.judge_error(schema, value)
                if problem is not None:
                    import logging

                    logging.getLogger("nbconnect.mock").warning(
                        "The mock's body for %s breaks its own schema (%s).", op.label,
                        problem[:200])
        if may_be_json(op.media_type):
            if value is MISSING:
                value = {}
            return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
        if isinstance(value, bytes):
            return value
        if isinstance(value, str):
            return value.encode()
        if value is MISSING:
            return b"mock data"
        return json.dumps(value, ensure_ascii=False).encode()


def _route_groups(api: MockAPI) -> list[tuple[str, list[Operation]]]:
    """The operations by the path of their server, longest path first: an operation with
    its own ``servers`` (operation-level, else its Path Item's) is served under that
    server's path on the mock, the others under the document server's path."""
    from urllib.parse import urlsplit as split

    paths = api.doc.doc.get("paths") if isinstance(api.doc.doc.get("paths"), dict) else {}
    groups: dict[str, list[Operation]] = {}
    for op in api.operations:
        item, _ = path_item(api.doc, paths.get(op.key), f"/paths/{escape_token(op.key)}")
        item = item if isinstance(item, dict) else {}
        raw = item.get(op.method) if isinstance(item.get(op.method), dict) else {}
        servers = raw.get("servers") if "servers" in raw else item.get("servers")
        base_path = api.base_path
        if isinstance(servers, list) and servers and isinstance(servers[0], dict) and \
                isinstance(servers[0].get("url"), str):
            url, _ = fill_server_url(servers[0]["url"], servers[0].get("variables"),
                                     placeholder=lambda name: name)
            base_path = split(urljoin(api.server_url, url)).path.rstrip("/")
        groups.setdefault(base_path, []).append(op)
    return sorted(groups.items(), key=lambda g: -len(g[0]))


def _server_url(doc: dict[str, Any]) -> str:
    """The first server's URL, variables filled from their defaults (a variable without one
    stays as its bare name); no server gives ``/``; a relative URL is made absolute."""
    server = first_server(doc)
    if server is None:
        return "/"
    url = server.get("url") if isinstance(server.get("url"), str) else "/"
    url, _ = fill_server_url(url, server.get("variables"), placeholder=lambda name: name)
    if "://" not in url:
        url = urljoin("http://mock.invalid/", url)
    return url
