"""Tests of nbconnect.spec.oas: the one OpenAPI toolkit (methods, parameters, pointers and
$refs, servers, media types, responses, security schemes)."""

from __future__ import annotations

import pytest

from nbconnect.errors import SpecParseError, SpecVersionError
from nbconnect.spec import oas

# --------------------------------------------------------------------------- version

def test_check_version_accepts_3_0_and_3_1() -> None:
    assert oas.check_version({"openapi": " 3.0.3 "}) == "3.0.3"
    assert oas.check_version({"openapi": "3.1.0"}) == "3.1.0"
    assert oas.is_oas30("3.0.1") and not oas.is_oas30("3.1.0")


@pytest.mark.parametrize("doc, error", [
    ([], SpecParseError), ({"swagger": "2.0"}, SpecVersionError), ({}, SpecVersionError),
    ({"openapi": 3.0}, SpecVersionError), ({"openapi": "4.0.0"}, SpecVersionError)])
def test_check_version_refuses(doc: object, error: type) -> None:
    with pytest.raises(error):
        oas.check_version(doc, "x.yaml")


# --------------------------------------------------------------------------- operations

def test_operations_in_document_order_and_only_methods() -> None:
    item = {"parameters": [], "post": {"a": 1}, "summary": "s", "get": {"b": 2},
            "trace": {}, "x-get": {}, "put": "nope"}
    assert [m for m, _ in oas.operations(item)] == ["post", "get", "trace"]
    assert set(oas.PATH_ITEM_METHODS) == {"get", "put", "post", "delete", "options", "head",
                                          "patch", "trace"}
    assert list(oas.operations(None)) == []


def test_path_item_ref_merged_siblings_win() -> None:
    doc = {"x-items": {"shared": {"get": {"operationId": "a"}, "summary": "there"}},
           "paths": {"/p": {"$ref": "#/x-items/shared", "summary": "here"}}}
    r = oas.Resolver(doc)
    item, pointer = oas.path_item(r, doc["paths"]["/p"], "/paths/~1p")
    assert item == {"get": {"operationId": "a"}, "summary": "here"}
    assert pointer == "/x-items/shared"
    broken, pointer = oas.path_item(r, {"$ref": "#/nope", "get": {}}, "/paths/~1q")
    assert broken == {"get": {}} and pointer == "/paths/~1q"


def test_effective_security_override_and_removal() -> None:
    root = [{"key": []}]
    assert oas.effective_security({}, root) == root
    assert oas.effective_security({"security": []}, root) == []
    assert oas.effective_security({"security": [{"b": []}]}, root) == [{"b": []}]
    assert oas.effective_security({}, None) is None


# --------------------------------------------------------------------------- parameters

def test_ignored_headers() -> None:
    assert oas.is_ignored_header("Content-Type", "header")
    assert oas.is_ignored_header("AUTHORIZATION", "header")
    assert oas.is_ignored_header("accept", "header")
    assert not oas.is_ignored_header("Accept", "query")
    assert not oas.is_ignored_header("X-Key", "header")
    assert not oas.is_ignored_header(None, "header")


def test_parameter_key_headers_case_insensitive() -> None:
    assert oas.parameter_key("X-Id", "header") == ("header", "x-id")
    assert oas.parameter_key("Id", "query") == ("query", "Id")


def test_parameter_schema_from_schema_or_content() -> None:
    assert oas.parameter_schema({"schema": {"type": "string"}}) == ({"type": "string"},
                                                                    "/schema")
    schema, rel = oas.parameter_schema(
        {"content": {"application/json": {"schema": {"type": "object"}}}})
    assert schema == {"type": "object"} and rel == "/content/application~1json/schema"
    assert oas.parameter_schema({"name": "x"}) == (None, None)


def test_parameter_style_defaults() -> None:
    assert oas.parameter_style({"in": "query"}) == ("form", True)
    assert oas.parameter_style({"in": "cookie"}) == ("form", True)
    assert oas.parameter_style({"in": "path"}) == ("simple", False)
    assert oas.parameter_style({"in": "header"}) == ("simple", False)
    assert oas.parameter_style({"in": "query", "explode": False}) == ("form", False)
    assert oas.parameter_style({"in": "query", "style": "pipeDelimited"}) == (
        "pipeDelimited", False)


# --------------------------------------------------------------------------- pointers

def test_pointer_escaping_round_trip() -> None:
    tokens = ["paths", "/pets/{id}", "a~b"]
    pointer = oas.join_pointer(tokens)
    assert pointer == "/paths/~1pets~1{id}/a~0b"
    assert oas.parse_pointer(pointer) == tokens
    assert oas.parse_pointer("") == []
    assert oas.parse_pointer("nope") is None
    assert oas.unescape_token("~01") == "~1"


def test_ref_tokens_local_only_and_percent_decoded() -> None:
    assert oas.ref_tokens("#/components/schemas/My%20Pet") == ["components", "schemas",
                                                                "My Pet"]
    assert oas.ref_tokens("#") == []
    assert oas.ref_tokens("#Pet") is None
    assert oas.ref_tokens("other.yaml#/a") is None


def test_get_at_dicts_lists_missing() -> None:
    doc = {"a": [{"b": 1}]}
    assert oas.get_at(doc, ["a", "0", "b"]) == 1
    assert oas.get_at(doc, ["a", "1"]) is oas.MISSING
    assert oas.get_at(doc, ["a", "x"]) is oas.MISSING
    assert oas.get_at(doc, ["a", "0", "b", "c"]) is oas.MISSING
    assert not oas.MISSING


DOC = {"components": {"schemas": {
    "Pet": {"type": "object"},
    "Alias": {"$ref": "#/components/schemas/Pet"},
    "Loop1": {"$ref": "#/components/schemas/Loop2"},
    "Loop2": {"$ref": "#/components/schemas/Loop1"},
    "Self": {"$ref": "#/components/schemas/Self"},
    "Remote": {"$ref": "https://example.com/x.json"},
}}}


def test_deref_follows_chain() -> None:
    r = oas.Resolver(DOC)
    found = r.deref({"$ref": "#/components/schemas/Alias"}, "/here")
    assert found.value == {"type": "object"} and found.problem is None
    assert found.pointers == ["/components/schemas/Alias", "/components/schemas/Pet"]
    assert found.pointer == "/components/schemas/Pet"
    assert found.component == "Pet"
    plain = r.deref({"type": "string"}, "/here")
    assert plain.value == {"type": "string"} and plain.pointer == "/here" and not plain.chain
    assert r.at("/components/schemas/Pet") == {"type": "object"}
    assert r.at("/nope") is oas.MISSING


@pytest.mark.parametrize("ref, problem", [
    ("#/components/schemas/Loop1", "cycle"), ("#/components/schemas/Self", "cycle"),
    ("#/components/schemas/Nope", "missing"), ("#", "root"), ("#Pet", "pointer"),
    ("https://example.com/x.json", "remote")])
def test_deref_broken_chains_are_empty_schemas(ref: str, problem: str) -> None:
    found = oas.Resolver(DOC).deref({"$ref": ref})
    assert found.value == {} and found.problem == problem


def test_chain_stops_before_remote_ref() -> None:
    chain, problem = oas.Resolver(DOC).chain("#/components/schemas/Remote")
    assert chain == [["components", "schemas", "Remote"]] and problem == "remote"


def test_long_chain_counts_as_cycle() -> None:
    n = oas.MAX_REF_HOPS + 5
    schemas = {f"S{i}": {"$ref": f"#/components/schemas/S{i + 1}"} for i in range(n)}
    schemas[f"S{n}"] = {"type": "string"}
    found = oas.Resolver({"components": {"schemas": schemas}}).deref(
        {"$ref": "#/components/schemas/S0"})
    assert found.problem == "cycle" and found.value == {}


def test_forget_after_change() -> None:
    doc = {"a": {"$ref": "#/b"}, "b": {"x": 1}}
    r = oas.Resolver(doc)
    assert r.deref(doc["a"]).value == {"x": 1}
    doc["b"] = {"y": 2}
    r.forget()
    assert r.deref(doc["a"]).value == {"y": 2}


# --------------------------------------------------------------------------- servers

def test_first_server() -> None:
    assert oas.first_server({"servers": [{"url": "/v1"}, {"url": "/v2"}]}) == {"url": "/v1"}
    assert oas.first_server({}) is None
    assert oas.first_server({"servers": []}) is None
    assert oas.first_server({"servers": ["x"]}) is None


def test_fill_server_url() -> None:
    variables = {"region": {"default": "eu"}, "port": {"enum": ["1"]}}
    url, missing = oas.fill_server_url(" https://{region}.x.io:{port}/v1 ", variables)
    assert url == "https://eu.x.io:{port}/v1" and missing == ["port"]
    url, missing = oas.fill_server_url("https://{region}.x.io:{port}", variables,
                                       placeholder=lambda name: name)
    assert url == "https://eu.x.io:port" and missing == ["port"]
    assert oas.fill_server_url("https://x.io", None) == ("https://x.io", [])


def test_has_scheme() -> None:
    assert oas.has_scheme("https://x.io")
    assert not oas.has_scheme("/v1")
    assert not oas.has_scheme("//x.io/v1")


# --------------------------------------------------------------------------- media types

def test_media_predicates() -> None:
    assert oas.media_base("Application/JSON; charset=utf-8") == "application/json"
    assert oas.is_json("application/problem+json") and oas.is_json("text/json")
    assert not oas.is_json("*/*") and not oas.is_json("application/xml")
    assert oas.is_wildcard("*/*") and oas.is_wildcard("image/*")
    assert not oas.is_wildcard("application/json")
    assert oas.may_be_json("*/*") and oas.may_be_json("application/*")
    assert oas.may_be_json("application/vnd.x+json") and not oas.may_be_json("text/*")


def test_pick_media_json_first() -> None:
    content = {"application/xml": 1, "application/vnd.x+json": 2, "Application/JSON": 3}
    assert oas.pick_media(content) == ("Application/JSON", 3)
    assert oas.pick_media({"application/xml": 1, "application/hal+json": 2}) == (
        "application/hal+json", 2)
    assert oas.pick_media({"text/plain": 1, "image/png": 2}) == ("text/plain", 1)
    assert oas.pick_media({}) == (None, None) and oas.pick_media(None) == (None, None)


def test_pick_media_with_preferences() -> None:
    content = {"text/plain": 1, "multipart/form-data": 2,
               "application/x-www-form-urlencoded": 3}
    assert oas.pick_media(content, oas.REQUEST_MEDIA_PREFERENCE) == (
        "application/x-www-form-urlencoded", 3)
    wild = {"text/plain": 1, "*/*": 2}
    assert oas.pick_media(wild) == ("text/plain", 1)
    assert oas.pick_media(wild, ("application/json", oas.may_be_json)) == ("*/*", 2)


# --------------------------------------------------------------------------- responses

def test_success_codes_order() -> None:
    responses = {"default": 1, "404": 2, 204: 3, "201": 4, "2XX": 5, "200": 6}
    assert [c for c, _ in oas.success_codes(responses, ("200", "201"))] == [
        "200", "201", "204", "2XX", "default"]
    assert oas.success_codes(responses, ("201",))[0] == ("201", "201")
    assert ("204", 204) in oas.success_codes(responses)
    assert oas.success_codes({"404": 1}) == []
    assert oas.success_codes(None) == []


# --------------------------------------------------------------------------- security

def test_security_schemes_parsed() -> None:
    doc = {"components": {"securitySchemes": {
        "key": {"type": "apiKey", "in": "header", "name": "X-Key"},
        "basic": {"type": "http", "scheme": " Basic "},
        "jwt": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
        "oauth": {"$ref": "#/x-schemes/oauth"},
        "oidc": {"type": "openIdConnect", "openIdConnectUrl": "https://x.io/.well-known"},
        "bad": "nope",
        "broken": {"$ref": "#/nowhere"},
    }}, "x-schemes": {"oauth": {"type": "oauth2", "flows": {
        "clientCredentials": {"tokenUrl": "/token", "scopes": {"read": "Read"}},
        "authorizationCode": {"authorizationUrl": "https://x.io/auth", "tokenUrl": "",
                              "scopes": {}}}}}}
    schemes = oas.security_schemes(oas.Resolver(doc))
    assert list(schemes) == ["key", "basic", "jwt", "oauth", "oidc", "broken"]
    assert schemes["key"].location == "header" and schemes["key"].param_name == "X-Key"
    assert schemes["basic"].type == "http" and schemes["basic"].scheme == "basic"
    assert schemes["jwt"].bearer_format == "JWT"
    oauth = schemes["oauth"]
    assert [f.name for f in oauth.flows] == ["clientCredentials", "authorizationCode"]
    cc = oauth.flow("clientCredentials")
    assert cc is not None and cc.token_url == "/token" and cc.scopes == (("read", "Read"),)
    code = oauth.flow("authorizationCode")
    assert code is not None and code.token_url is None
    assert code.authorization_url == "https://x.io/auth"
    assert oauth.flow("password") is None
    assert schemes["oidc"].open_id_connect_url == "https://x.io/.well-known"
    assert schemes["broken"].type == ""  # a broken $ref is an empty object


def test_parse_security_scheme_tolerates_wrong_types() -> None:
    s = oas.parse_security_scheme("k", {"type": 3, "in": 1, "name": None, "scheme": 5,
                                        "flows": {"password": "x"}})
    assert (s.type, s.location, s.param_name, s.scheme, s.flows) == ("", None, None, "", ())


# --------------------------------------------------------------------------- one toolkit

def test_no_module_keeps_its_own_copy_of_the_rules() -> None:
    """The method list, the ignored headers and JSON-pointer unescaping live in spec/oas only."""
    import pathlib
    import re

    import nbconnect

    root = pathlib.Path(nbconnect.__file__).parent
    copies = [re.compile(r'"options",\s*"head"'),
              re.compile(r'"accept",\s*"content-type",\s*"authorization"'),
              re.compile(r'replace\("~1",\s*"/"\)')]
    found = [f"{path.relative_to(root)}: {rx.pattern}"
             for path in root.rglob("*.py") if "oas" not in path.relative_to(root).parts
             for rx in copies if rx.search(path.read_text(encoding="utf-8"))]
    assert not found
