"""The mock API as a real HTTP server: uvicorn on 127.0.0.1 (plain and TLS) hit with httpx2.

Response bodies are checked against the spec with openapi-schema-validator (an oracle
independent of the mock's own generator); security, parameter checks, the OAuth2 token
endpoint (through nbconnect's real OAuth2 client), sources (spec, dict, Connector,
package) and the server's lifecycle (port freed, TLS trust) are exercised end to end.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
import yaml

import nbconnect
from nbconnect.errors import (
    AuthConfigError,
    NbConnectError,
    OAuthError,
    SpecRefError,
    SpecSourceError,
    SpecVersionError,
)
from nbconnect.mock.server import MockServer, mock_app

SENTINEL = "mock-sentinel-7Qz9xK2pL"
DEMO = nbconnect.demo_spec_path()
DEMO_DOC = yaml.safe_load(DEMO.read_text())
VALUES = {"projectId": "p_launch", "taskId": "7"}


def _oracle(doc: dict[str, Any], pointer: str) -> Any:
    """A validator for the schema at ``pointer`` of ``doc`` (OAS 3.0 or 3.1 rules)."""
    from openapi_schema_validator import OAS30Validator, OAS31Validator
    from referencing import Registry
    from referencing.jsonschema import DRAFT4, DRAFT202012

    oas30 = doc["openapi"].startswith("3.0")
    resource = (DRAFT4 if oas30 else DRAFT202012).create_resource(doc)
    registry = Registry().with_resource("urn:test-spec", resource)
    cls = OAS30Validator if oas30 else OAS31Validator
    return cls({"$ref": "urn:test-spec#" + pointer}, registry=registry)


def _esc(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _demo_operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in DEMO_DOC["paths"].items():
        for method, op in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield method, path, op


def _fill(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: VALUES[m.group(1)], path)


@pytest.fixture(scope="module")
def demo() -> Iterator[MockServer]:
    with MockServer(DEMO) as mock:
        yield mock


@pytest.fixture
def client(demo: MockServer) -> Iterator[httpx2.Client]:
    with httpx2.Client(base_url=demo.url, headers={"X-API-Key": "any-key"}) as c:
        yield c


def _spec(paths: dict[str, Any], *, version: str = "3.1.0", **extra: Any) -> dict[str, Any]:
    return {"openapi": version, "info": {"title": "Test API", "version": "1"},
            "servers": [{"url": "https://api.example.com/base"}], "paths": paths, **extra}


def _get(schema: Any = None, status: str = "200", **media: Any) -> dict[str, Any]:
    content = {"application/json": {**({"schema": schema} if schema else {}), **media}}
    return {"get": {"responses": {status: {"description": "ok", "content": content}}}}


# --------------------------------------------------------------------------- the demo API


@pytest.mark.parametrize(("method", "path", "op"), list(_demo_operations()),
                         ids=lambda v: v if isinstance(v, str) else "")
def test_every_demo_operation_answers_a_valid_body(client: httpx2.Client, method: str,
                                                   path: str, op: dict[str, Any]) -> None:
    params = {"q": "invoice"} if path == "/search/tasks" else None
    body = {"name": "Launch", "title": "Send the invoice"} if method in ("post", "put",
                                                                      "patch") else None
    first = client.request(method.upper(), _fill(path), params=params, json=body)
    second = client.request(method.upper(), _fill(path), params=params, json=body)
    codes = [c for c in op["responses"] if c.startswith("2")]
    expected = "201" if "201" in codes else codes[0]
    assert first.status_code == int(expected), first.text
    assert first.content == second.content  # same request, same bytes
    if expected == "204":
        assert first.content == b""
        return
    assert first.headers["content-type"] == "application/json"
    pointer = (f"/paths/{_esc(path)}/{method}/responses/{expected}/content/"
               "application~1json/schema")
    data = first.json()
    errors = [e.message for e in _oracle(DEMO_DOC, pointer).iter_errors(data)]
    assert errors == []
    assert data not in ({}, [])


def test_demo_values_are_realistic_and_recursion_is_cut(client: httpx2.Client) -> None:
    task = client.get("/projects/p_launch/tasks/7").json()
    assert task["title"] == "Send the invoice" and task["status"] == "todo"
    # Task.subtasks holds Tasks: one level of subtasks, then the optional part is cut
    assert task["subtasks"] and all("subtasks" not in sub for sub in task["subtasks"])
    users = client.get("/users").json()
    assert users[0]["email"] == "ada@example.com"


def test_path_parameters_are_checked_against_their_schema(client: httpx2.Client) -> None:
    r = client.get("/projects/p_launch/tasks/abc")
    assert r.status_code == 400
    assert r.headers["content-type"] == "application/json"
    assert "'taskId'" in r.json()["message"] and "integer" in r.json()["message"]
    r = client.get("/projects/P-1/tasks")  # pattern ^p_[a-z0-9]+$
    assert r.status_code == 400 and "'projectId'" in r.json()["message"]
    assert client.get("/projects/p_x1/tasks/12").status_code == 200


def test_query_parameters_are_checked(client: httpx2.Client) -> None:
    r = client.get("/search/tasks")
    assert r.status_code == 400
    assert r.json() == {"error": "bad_request", "message": "The query parameter 'q' is "
                        "required; add it to the request."}
    r = client.get("/search/tasks", params={"q": "x", "per_page": "many"})
    assert r.status_code == 400 and "'per_page'" in r.json()["message"]
    r = client.get("/search/tasks", params={"q": "x", "per_page": "500"})  # maximum 100
    assert r.status_code == 400 and "'per_page'" in r.json()["message"]
    r = client.get("/search/tasks", params={"q": "x", "sort": "name"})  # not in the enum
    assert r.status_code == 400 and "'sort'" in r.json()["message"]
    assert client.get("/search/tasks", params={"q": "x", "per_page": "5"}).status_code == 200


def test_request_bodies(client: httpx2.Client) -> None:
    r = client.post("/projects", content=b'{"name": ', headers={"content-type":
                                                               "application/json"})
    assert r.status_code == 400 and "not valid JSON" in r.json()["message"]
    r = client.post("/projects")
    assert r.status_code == 400 and "needs a request body" in r.json()["message"]
    assert client.post("/projects", json={"name": "x"}).status_code == 201


def test_unknown_paths_and_methods(client: httpx2.Client, demo: MockServer) -> None:
    r = client.get("/nope")
    assert r.status_code == 404 and "under /v1" in r.json()["message"]
    r = client.delete("/users")
    assert r.status_code == 405 and r.headers["allow"] == "GET"
    # outside the base path
    assert httpx2.get(demo.root_url + "/users").status_code == 404
    # trailing slash and HEAD
    assert client.get("/users/").status_code == 200
    head = client.head("/users")
    assert head.status_code == 200 and head.content == b""


def test_204_has_no_body(client: httpx2.Client) -> None:
    r = client.delete("/projects/p_launch")
    assert r.status_code == 204 and r.content == b""
    assert "content-type" not in r.headers


# --------------------------------------------------------------------------- security


def test_security_without_credentials_is_401(demo: MockServer) -> None:
    r = httpx2.get(demo.url + "/users")
    assert r.status_code == 401
    assert r.json()["error"] == "unauthorized"
    assert "X-API-Key" in r.json()["message"] and "bearer token" in r.json()["message"]
    challenge = r.headers["www-authenticate"]
    assert 'name="X-API-Key"' in challenge and "Bearer" in challenge
    # either alternative works: the API key, or a bearer token for oauth2
    assert httpx2.get(demo.url + "/users", headers={"X-API-Key": "k"}).status_code == 200
    assert httpx2.get(demo.url + "/users",
                      headers={"Authorization": "Bearer t"}).status_code == 200
    assert httpx2.get(demo.url + "/users", headers={"X-API-Key": ""}).status_code == 401


def test_expected_api_key(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    logging.getLogger("httpx2").setLevel(logging.DEBUG)
    with MockServer(DEMO, credentials={"apiKey": SENTINEL}) as mock:
        url = mock.url + "/users"
        missing = httpx2.get(url)
        wrong = httpx2.get(url, headers={"X-API-Key": "k-wrong"})
        right = httpx2.get(url, headers={"X-API-Key": SENTINEL})
        # a bearer token still passes: the spec ORs apiKey with oauth2 (not configured)
        other = httpx2.get(url, headers={"Authorization": "Bearer whatever"})
        shown = [repr(mock), str(mock), repr(mock.info), mock.trust_hint]
    assert (missing.status_code, wrong.status_code, right.status_code) == (401, 401, 200)
    assert other.status_code == 200
    assert "rejected" in wrong.json()["message"]
    assert 'error="invalid_key"' in wrong.headers["www-authenticate"]
    for r in (missing, wrong, right):
        assert SENTINEL not in r.text and SENTINEL not in str(r.headers)
    assert all(SENTINEL not in s for s in shown)
    assert SENTINEL not in caplog.text


HTTP_SPEC = _spec(
    {
        "/basic": {"get": {"security": [{"basicAuth": []}],
                           "responses": {"200": {"description": "ok"}}}},
        "/bearer": {"get": {"security": [{"bearerAuth": []}],
                            "responses": {"200": {"description": "ok"}}}},
        "/both": {"get": {"security": [{"basicAuth": [], "queryKey": []}],
                          "responses": {"200": {"description": "ok"}}}},
        "/cookie": {"get": {"security": [{"cookieKey": []}, {}],
                            "responses": {"200": {"description": "ok"}}}},
        "/open": {"get": {"security": [], "responses": {"200": {"description": "ok"}}}},
        "/global": {"get": {"responses": {"200": {"description": "ok"}}}},
    },
    security=[{"cookieKey": []}],
    components={"securitySchemes": {
        "basicAuth": {"type": "http", "scheme": "basic"},
        "bearerAuth": {"type": "http", "scheme": "bearer"},
        "queryKey": {"type": "apiKey", "in": "query", "name": "key"},
        "cookieKey": {"type": "apiKey", "in": "cookie", "name": "session"},
    }})


def test_basic_bearer_and_combined_requirements() -> None:
    creds = {"basicAuth": ("ada", SENTINEL), "bearerAuth": "tok-123", "queryKey": "qk"}
    with MockServer(HTTP_SPEC, credentials=creds) as mock, \
            httpx2.Client(base_url=mock.url) as c:
        assert mock.url.endswith("/base")
        r = c.get("/basic")
        assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Basic ")
        assert c.get("/basic", auth=("ada", "nope")).status_code == 401
        assert c.get("/basic", auth=("ada", SENTINEL)).status_code == 200
        assert c.get("/basic", headers={"Authorization": "Basic !!!"}).status_code == 401
        r = c.get("/bearer", headers={"Authorization": "Bearer wrong"})
        assert r.status_code == 401 and 'error="invalid_token"' in r.headers["www-authenticate"]
        assert c.get("/bearer", headers={"Authorization": "Bearer tok-123"}).status_code == 200
        # AND: Basic and the query key are both needed
        assert c.get("/both", auth=("ada", SENTINEL)).status_code == 401
        assert c.get("/both", params={"key": "qk"}).status_code == 401
        assert c.get("/both", params={"key": "qk"}, auth=("ada", SENTINEL)).status_code == 200
        # {} among the alternatives allows anonymous calls; [] switches security off
        assert c.get("/cookie").status_code == 200
        assert c.get("/open").status_code == 200
        # the global requirement applies where the operation says nothing
        assert c.get("/global").status_code == 401
        c.cookies.set("session", "s1")
        assert c.get("/global").status_code == 200


def test_credentials_must_name_a_scheme_of_the_spec() -> None:
    with pytest.raises(AuthConfigError, match=r"'apikey'.*apiKey, oauth2") as err:
        mock_app(DEMO, credentials={"apikey": SENTINEL})
    assert SENTINEL not in str(err.value)
    with pytest.raises(AuthConfigError, match="username and a password"):
        mock_app(HTTP_SPEC, credentials={"basicAuth": SENTINEL})
    with pytest.raises(AuthConfigError, match="non-empty string"):
        mock_app(DEMO, credentials={"apiKey": ""})


def test_oauth2_token_endpoint_with_nbconnects_client() -> None:
    from nbconnect.auth import oauth
    from nbconnect.auth.flows import build_auth

    oauth.clear_token_cache()
    with MockServer(DEMO) as mock:
        assert mock.info.token_paths == ("/oauth/token",)
        config = nbconnect.OAuth2ClientCredentials(token_url=mock.root_url + "/oauth/token",
                                                   client_id="app", scope="tasks.read")
        auth = build_auth(config, {"client_secret": SENTINEL}, {})
        with httpx2.Client(base_url=mock.url, auth=auth) as c:
            r = c.get("/users")
        assert r.status_code == 200 and r.json()[0]["id"] == "u_ada"
        token = httpx2.post(mock.root_url + "/oauth/token", auth=("app", "s"),
                            data={"grant_type": "client_credentials", "scope": "a b"})
        assert token.status_code == 200 and token.headers["cache-control"] == "no-store"
        assert token.json()["token_type"] == "Bearer" and token.json()["scope"] == "a b"
        bad = httpx2.post(mock.root_url + "/oauth/token", data={"grant_type": "magic"})
        assert bad.status_code == 400 and bad.json()["error"] == "unsupported_grant_type"
        anon = httpx2.post(mock.root_url + "/oauth/token",
                           data={"grant_type": "client_credentials"})
        assert anon.status_code == 401 and anon.json()["error"] == "invalid_client"


#: Mastodon's shape: the spec's own POST /oauth/token is also its oauth2 scheme's tokenUrl
OWN_TOKEN_PATH: dict[str, Any] = {
    "openapi": "3.0.3", "info": {"title": "Own token path", "version": "1"},
    "servers": [{"url": "https://social.example.com"}],
    "components": {"securitySchemes": {"oauth": {"type": "oauth2", "flows": {
        "clientCredentials": {"tokenUrl": "/oauth/token", "scopes": {"read": "read"}}}}}},
    "paths": {
        "/oauth/token": {"post": {"operationId": "post_oauth_token", "requestBody": {
            "required": True, "content": {"application/x-www-form-urlencoded": {"schema": {
                "type": "object", "required": ["grant_type", "redirect_uri"], "properties": {
                    "grant_type": {"type": "string", "example": "authorization_code"},
                    "redirect_uri": {"type": "string", "example": "urn:x"}}}}}},
            "responses": {"200": {"description": "ok", "content": {"application/json": {
                "schema": {"type": "object", "required": ["access_token", "created_at"],
                           "properties": {"access_token": {"type": "string"},
                                          "created_at": {"type": "integer"}}}}}}}}},
        "/me": {"get": {"operationId": "me", "security": [{"oauth": ["read"]}],
                        "responses": {"200": {"description": "ok"}}}}},
}


def test_the_token_endpoint_never_shadows_a_path_of_the_spec(
        caplog: pytest.LogCaptureFixture) -> None:
    """A ``tokenUrl`` that is also a POST operation of the spec: the spec's operation is
    served as the spec says, and the token endpoint moves under ``/_mock``."""
    from nbconnect.auth import oauth
    from nbconnect.auth.flows import build_auth

    oauth.clear_token_cache()
    creds = {"oauth": {"client_id": "app", "client_secret": SENTINEL}}
    with MockServer(OWN_TOKEN_PATH, credentials=creds) as mock:
        assert mock.info.token_paths == ("/_mock/oauth/token",)
        # the spec's own operation answers, with its own schema, whatever the grant
        own = httpx2.post(mock.root_url + "/oauth/token",
                          data={"grant_type": "authorization_code", "redirect_uri": "urn:x"})
        assert own.status_code == 200 and set(own.json()) >= {"access_token", "created_at"}
        assert httpx2.post(mock.root_url + "/oauth/token").status_code == 400  # body required
        c = nbconnect.Connector("own")
        c.import_spec(json.dumps(OWN_TOKEN_PATH))
        c.base_url = mock.url
        c.auth = None  # the operation itself is public
        [result] = c.test("post_oauth_token", progress=lambda *a: None).results
        assert (result.ok, result.status) == (True, 200), result.reason
        # the mock's token endpoint, where the mock says it is, issues tokens it accepts
        config = nbconnect.OAuth2ClientCredentials(
            token_url=mock.root_url + mock.info.token_paths[0], client_id="app")
        with httpx2.Client(auth=build_auth(config, {"client_secret": SENTINEL}, {})) as client:
            assert client.get(mock.url + "/me").status_code == 200
        assert httpx2.get(mock.url + "/me", headers={"Authorization": "Bearer made-up"}
                          ).status_code == 401
    assert "/_mock/oauth/token" in caplog.text


def test_oauth2_configured_client(caplog: pytest.LogCaptureFixture) -> None:
    from nbconnect.auth import oauth
    from nbconnect.auth.flows import build_auth

    caplog.set_level(logging.DEBUG)
    oauth.clear_token_cache()
    creds = {"oauth2": {"client_id": "app", "client_secret": SENTINEL}}
    with MockServer(DEMO, credentials=creds) as mock:
        url = mock.root_url + "/oauth/token"
        config = nbconnect.OAuth2ClientCredentials(token_url=url, client_id="app")
        # a made-up token is refused: only tokens the mock issued pass
        assert httpx2.get(mock.url + "/users",
                          headers={"Authorization": "Bearer made-up"}).status_code == 401
        wrong = build_auth(config, {"client_secret": "not-it"}, {})
        with pytest.raises(OAuthError) as err, httpx2.Client(auth=wrong) as c:
            c.get(mock.url + "/users")
        assert SENTINEL not in str(err.value)
        # client_secret_post works as well as Basic
        body = nbconnect.OAuth2ClientCredentials(token_url=url, client_id="app",
                                                 client_auth="body")
        for cfg in (config, body):
            oauth.clear_token_cache()
            auth = build_auth(cfg, {"client_secret": SENTINEL}, {})
            with httpx2.Client(auth=auth) as c:
                assert c.get(mock.url + "/projects").status_code == 200
        other = httpx2.post(url, auth=("someone", SENTINEL),
                            data={"grant_type": "client_credentials"})
        assert other.status_code == 401
    assert SENTINEL not in caplog.text


# --------------------------------------------------------------------------- responses


def test_spec_examples_are_returned_as_written() -> None:
    doc = _spec({
        "/one": _get({"type": "object"}, example={"hello": "world", "n": [1, 2]}),
        "/many": _get({"type": "object"}, examples={
            "first": {"$ref": "#/components/examples/First"},
            "second": {"value": {"which": 2}}}),
        "/schema-examples": _get({"type": "object", "required": ["code"], "properties": {
            "code": {"type": "string", "examples": ["ABC-1"]},
            "bad": {"type": "integer", "examples": ["not an integer"]}}}),
        "/wrong": _get({"type": "object", "required": ["id"],
                        "properties": {"id": {"type": "integer"}}},
                       examples={"bad": {"value": {"id": "x"}}, "good": {"value": {"id": 9}}}),
        "/all-wrong": _get({"type": "object", "required": ["id"],
                            "properties": {"id": {"type": "integer"}}}, example={"id": "x"}),
    }, components={"examples": {"First": {"value": {"which": 1}}}})
    with MockServer(doc) as mock, httpx2.Client(base_url=mock.url) as c:
        assert c.get("/one").json() == {"hello": "world", "n": [1, 2]}
        assert c.get("/many").json() == {"which": 1}
        body = c.get("/schema-examples").json()
        # examples that break the spec's own schema are skipped
        assert c.get("/wrong").json() == {"id": 9}
        assert c.get("/all-wrong").json() == {"id": 1}
    assert body["code"] == "ABC-1"
    assert isinstance(body["bad"], int)  # an example that breaks its schema is not used


GENERATED = _spec({
    "/things": {"get": {"responses": {"200": {"description": "ok", "content": {
        "application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}}}}},
    "/nodes": _get({"$ref": "#/components/schemas/Node"}),
    "/created": {"post": {"responses": {
        "200": {"description": "also fine"},
        "201": {"description": "made", "content": {"application/json": {
            "schema": {"type": "object", "required": ["id"],
                       "properties": {"id": {"type": "string", "format": "uuid"}}}}}}}}},
    "/text": {"get": {"responses": {"200": {"description": "ok", "content": {
        "text/plain": {"schema": {"type": "string"}}}}}}},
    "/users/me": _get({"type": "object", "properties": {"me": {"const": True}},
                       "required": ["me"]}),
    "/either": _get({"oneOf": [{"type": "integer"}, {"type": "number"}]}),
    "/headers": {"get": {"parameters": [
        {"name": "X-Trace", "in": "header", "required": True, "schema": {"type": "integer"}},
        {"name": "ids", "in": "query", "schema": {"type": "array",
                                                  "items": {"type": "integer"}}}],
        "responses": {"200": {"description": "ok"}}}},
    "/users/{id}": {"get": {"parameters": [{"name": "id", "in": "path", "required": True,
                                            "schema": {"type": "integer"}}],
                            "responses": {"200": {"description": "ok", "content": {
                                "application/json": {"schema": {"type": "object"}}}}}}},
}, components={"schemas": {
    "Thing": {"type": "object",
              "required": ["id", "when", "email", "kind", "count", "ratio", "code", "tags",
                           "maybe", "mixed", "choice", "secret_free"],
              "properties": {
                  "id": {"type": "string", "format": "uuid"},
                  "when": {"type": "string", "format": "date-time"},
                  "email": {"type": "string", "format": "email"},
                  "kind": {"type": "string", "enum": ["b", "a"]},
                  "count": {"type": "integer", "minimum": 5, "maximum": 9},
                  "ratio": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
                  "code": {"type": "string", "pattern": "^[A-Z]{3}-\\d{2}$"},
                  "tags": {"type": "array", "minItems": 1, "maxItems": 2,
                           "items": {"type": "string", "minLength": 3}},
                  "maybe": {"type": ["string", "null"]},
                  "mixed": {"allOf": [{"$ref": "#/components/schemas/Base"},
                                      {"type": "object", "required": ["extra"],
                                       "properties": {"extra": {"type": "boolean"}}}]},
                  "choice": {"oneOf": [{"type": "null"}, {"type": "integer", "minimum": 3}]},
                  "secret_free": {"type": "string", "writeOnly": True},
                  "password": {"type": "string", "writeOnly": True},
              }},
    "Base": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string",
                                                                             "maxLength": 4}}},
    "Node": {"type": "object", "required": ["name", "children"], "properties": {
        "name": {"type": "string"},
        "parent": {"$ref": "#/components/schemas/Node"},
        "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}}}},
}})


def _depth(node: dict[str, Any]) -> int:
    return 1 + max([_depth(c) for c in node.get("children", [])] +
                   ([_depth(node["parent"])] if "parent" in node else []) + [0])


def test_generated_values_follow_the_schema() -> None:
    with MockServer(GENERATED) as mock, httpx2.Client(base_url=mock.url) as c:
        thing = c.get("/things").json()
        nodes = c.get("/nodes").json()
        created = c.post("/created")
        text = c.get("/text")
        me, other = c.get("/users/me"), c.get("/users/42")
        either = c.get("/either").json()
        no_header = c.get("/headers")
        bad_header = c.get("/headers", headers={"X-Trace": "abc"})
        bad_item = c.get("/headers", headers={"X-Trace": "1"}, params=[("ids", "1"),
                                                                       ("ids", "x")])
        good = c.get("/headers", headers={"X-Trace": "1"}, params=[("ids", "1"), ("ids", "2")])
    pointer = "/components/schemas/Thing"
    # a required writeOnly property is not in a response (OAS), which plain 3.1 rules miss
    assert [e.message for e in _oracle(GENERATED, pointer).iter_errors(thing)] == [
        "'secret_free' is a required property"]
    assert "secret_free" not in thing
    assert thing["when"] == "2026-01-01T09:00:00Z" and thing["kind"] == "b"
    assert thing["count"] == 5 and re.fullmatch(r"[A-Z]{3}-\d{2}", thing["code"])
    assert 1 <= len(thing["tags"]) <= 2 and thing["maybe"] is not None
    assert thing["mixed"]["extra"] is True and len(thing["mixed"]["name"]) <= 4
    assert thing["choice"] == 3 and "password" not in thing
    assert [e.message for e in _oracle(GENERATED, "/components/schemas/Node")
            .iter_errors(nodes)] == []
    assert 2 <= _depth(nodes) <= 4  # recursion followed once, then cut
    assert created.status_code == 201 and len(created.json()["id"]) == 36
    assert text.headers["content-type"].startswith("text/plain") and text.text
    assert me.json() == {"me": True} and other.status_code == 200
    # 1 (the integer option) is also a number, so oneOf takes the number option
    assert either == 1.5
    assert no_header.status_code == 400 and "'X-Trace' is required" in no_header.text
    assert bad_header.status_code == 400 and "'X-Trace'" in bad_header.text
    assert bad_item.status_code == 400 and "'ids'" in bad_item.text
    assert good.status_code == 200 and good.content == b""


def test_seed_changes_generated_values_deterministically() -> None:
    bodies = []
    for seed in (0, 0, 1):
        with MockServer(GENERATED, seed=seed) as mock:
            bodies.append(httpx2.get(mock.url + "/things").json())
    assert bodies[0] == bodies[1]
    assert bodies[0]["id"] != bodies[2]["id"]


def test_query_in_path_keys_and_fragments() -> None:
    doc = _spec({
        "/items?type=a": _get({"type": "string"}, example="A"),
        "/items?type=b": _get({"type": "string"}, example="B"),
        "/things#v2": _get({"type": "string"}, example="T"),
    })
    with MockServer(doc) as mock, httpx2.Client(base_url=mock.url) as c:
        assert c.get("/items", params={"type": "b"}).json() == "B"
        assert c.get("/items", params={"type": "a"}).json() == "A"
        assert c.get("/items").status_code == 200  # an absent value is the key's default
        assert c.get("/items", params={"type": "c"}).status_code == 404
        assert c.get("/things").json() == "T"


# --------------------------------------------------------------------------- sources


def test_mock_from_a_connector_and_a_package(tmp_path: Path) -> None:
    connector = nbconnect.Connector("tasks")
    connector.import_spec(DEMO)
    app = mock_app(connector)
    assert app.state.mock.base_path == "/v1" and len(app.state.mock.operations) == 12
    package = nbconnect.export(connector, tmp_path / "tasks")
    zipped = nbconnect.export(connector, tmp_path / "tasks.zip", zip=True)
    for source in (connector, package, str(zipped)):
        with MockServer(source, credentials={"api-key": SENTINEL}) as mock:
            url = mock.url + "/projects/p_launch/tasks/7"
            assert httpx2.get(url).status_code == 401
            r = httpx2.get(url, headers={"X-API-Key": SENTINEL})
        assert r.status_code == 200
        assert r.json()["id"] == 7 and r.json()["project_id"] == "p_launch"


def test_mock_from_text_and_dict() -> None:
    text = DEMO.read_text()
    for source in (text, copy.deepcopy(DEMO_DOC), str(DEMO)):
        app = mock_app(source)
        assert app.state.mock.title == "Tasks Demo API"
        assert repr(app.state.mock) == ("MockInfo(title='Tasks Demo API', base_path='/v1', "
                                        "operations=12)")


def test_bad_sources_are_typed_errors(tmp_path: Path) -> None:
    remote = _spec({"/x": _get({"$ref": "https://evil.example.com/schema.json"})})
    with pytest.raises(SpecRefError, match="never fetches"):
        mock_app(remote)
    with pytest.raises(SpecVersionError):
        mock_app({"swagger": "2.0", "info": {}, "paths": {}})
    with pytest.raises(SpecSourceError):
        mock_app(42)
    with pytest.raises(SpecSourceError, match="no file"):
        mock_app(str(tmp_path / "missing.yaml"))


# --------------------------------------------------------------------------- the server


def test_repr_url_and_stop_frees_the_port() -> None:
    mock = MockServer(DEMO)
    assert repr(mock) == "MockServer('Tasks Demo API', tls=False, running=False)"
    with pytest.raises(NbConnectError, match="not running"):
        _ = mock.url
    url = mock.start()
    assert repr(mock) == "MockServer('Tasks Demo API', tls=False, running=True)"
    port = mock.port
    assert url == f"http://127.0.0.1:{port}/v1" == mock.url
    assert mock.verify is True and mock.ca_pem_path is None
    assert mock.start() == url  # starting twice is harmless
    with httpx2.Client() as c:
        assert c.get(url + "/users", headers={"X-API-Key": "k"}).status_code == 200
    mock.stop()
    mock.stop()
    assert repr(mock) == "MockServer('Tasks Demo API', tls=False, running=False)"
    with socket.socket() as sock:  # the port is free again
        sock.bind(("127.0.0.1", port))
    with pytest.raises(httpx2.ConnectError):
        httpx2.get(url + "/users")
    with MockServer(DEMO, port=port) as again:  # and a new mock can take it
        assert again.url == url
        with pytest.raises(NbConnectError, match=f"port {port}"):
            MockServer(DEMO, port=port).start()


def test_the_server_runs_on_the_shared_helper_and_leaves_nothing_behind() -> None:
    import threading

    from nbconnect import mock
    from nbconnect.errors import MockError
    from nbconnect.mock import server
    from nbconnect.serving import BackgroundServer

    assert {"MockServer", "mock_app", "serve"} <= set(server.__all__)
    assert mock.__doc__ and "imports nothing" in mock.__doc__
    with MockServer(DEMO) as first:
        assert isinstance(first.server, BackgroundServer)
        thread = f"nbconnect-mock-{first.port}"
        assert thread in {t.name for t in threading.enumerate()}
        busy = MockServer(DEMO, port=first.port)
        with pytest.raises(MockError, match=f"cannot listen on port {first.port}") as info:
            busy.start()
        assert info.value.option == "port" and not busy.running
    assert thread not in {t.name for t in threading.enumerate()}
    with pytest.raises(MockError, match="from 0 to 65535") as bad:
        MockServer(DEMO, port=70000)
    assert bad.value.option == "port"


def test_tls_trust_via_verify_and_the_ca_file() -> None:
    with MockServer(DEMO, tls=True) as mock:
        assert mock.url.startswith("https://127.0.0.1:") and mock.url.endswith("/v1")
        assert isinstance(mock.verify, ssl.SSLContext)
        r = httpx2.get(mock.url + "/users", headers={"X-API-Key": "k"}, verify=mock.verify)
        assert r.status_code == 200
        with pytest.raises(httpx2.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            httpx2.get(mock.url + "/users", headers={"X-API-Key": "k"})
        ca = mock.ca_pem_path
        assert ca is not None and ca.is_file()
        assert str(ca) in mock.trust_hint and "NODE_EXTRA_CA_CERTS" in mock.trust_hint
        from_file = ssl.create_default_context(cafile=str(ca))
        localhost = mock.url.replace("127.0.0.1", "localhost")
        assert httpx2.get(localhost + "/users", headers={"X-API-Key": "k"},
                          verify=from_file).status_code == 200
        assert repr(mock) == "MockServer('Tasks Demo API', tls=True, running=True)"
    assert not ca.exists()  # the temporary CA file goes with the server


def test_serve_runs_in_the_foreground_until_interrupted() -> None:
    code = ("import sys; from nbconnect.mock.server import serve; "
            "serve(sys.argv[1], port=0, credentials={'apiKey': 'k-123'})")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with subprocess.Popen([sys.executable, "-c", code, str(DEMO)], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, env=env) as proc:
        try:
            assert proc.stdout is not None
            lines = [proc.stdout.readline() for _ in range(4)]  # URL, token, hint, Ctrl-C
            match = re.search(r"at (http://127\.0\.0\.1:\d+/v1)$", lines[0].strip())
            assert match, lines
            assert "Tasks Demo API" in lines[0] and "12 operations" in lines[0]
            url = match.group(1)
            with httpx2.Client(base_url=url) as c:
                assert c.get("/users", headers={"X-API-Key": "k-123"}).status_code == 200
                assert c.get("/users", headers={"X-API-Key": "nope"}).status_code == 401
            proc.send_signal(signal.SIGINT)
            out = proc.stdout.read()
            proc.wait(timeout=20)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert proc.returncode == 0
    text = "".join(lines) + out
    assert "token endpoint: http://127.0.0.1:" in text and "/oauth/token" in text
    assert "no certificate to trust" in text and text.endswith("Mock stopped.\n")
    assert "k-123" not in text


def test_json_responses_are_compact_and_stable(client: httpx2.Client) -> None:
    r = client.get("/projects/p_launch")
    assert r.content == json.dumps(r.json(), separators=(",", ":")).encode()
