"""Issue 8, nothing dropped silently: server variables are checked when a base URL is built.

OAS 3.1 §4.8.6 (Server Variable Object): ``enum`` is the set of allowed values; "If the enum
is defined, the value MUST exist in the enum's values" and the ``default`` is the value
used for substitution. OAS 3.0.3 §4.7.6 says the same of ``enum`` ("an enumeration of
string values to be used if the substitution options are from a limited set"). A default
outside its enum builds a URL the spec does not allow: the import names the variable and
leaves that base URL (the connector's, or an endpoint's own server) unset instead.
"""

from __future__ import annotations

import pytest
import yaml

import nbconnect
from nbconnect.spec import oas


def _spec(version: str, region: dict, endpoint_var: dict) -> str:
    return yaml.safe_dump({
        "openapi": version, "info": {"title": "Servers", "version": "1"},
        "servers": [{"url": "https://{region}.api.example.com/{version}",
                     "variables": {"region": region, "version": {"default": "v2"}}}],
        "paths": {
            "/a": {"get": {"operationId": "a", "responses": {"200": {"description": "ok"}}}},
            "/b": {"get": {"operationId": "b", "servers": [{
                "url": "https://{h}.files.example.com", "variables": {"h": endpoint_var}}],
                "responses": {"200": {"description": "ok"}}}}}})


@pytest.mark.parametrize("version", ["3.0.3", "3.1.0"])
def test_a_default_outside_its_enum_is_named_and_not_used(version: str) -> None:
    r = nbconnect.import_spec(_spec(version, {"default": "eu", "enum": ["us", "ap"]},
                                    {"default": "z", "enum": ["a", "b"]}))
    c = nbconnect.Connector("servers", endpoints=r.endpoints, schemas=r.schemas)
    assert r.base_url is None
    assert {e.id: e.server for e in c.endpoints} == {"a": None, "b": None}
    text = "\n".join(r.warnings)
    assert "region's default 'eu' is not one of its enum values us, ap" in text
    assert "h's default 'z' is not one of its enum values a, b" in text
    assert "operation b (GET /b)" in text


@pytest.mark.parametrize("version", ["3.0.3", "3.1.0"])
def test_a_default_inside_its_enum_builds_the_url(version: str) -> None:
    r = nbconnect.import_spec(_spec(version, {"default": "eu", "enum": ["eu", "us"]},
                                    {"default": "a", "enum": ["a", "b"]}))
    assert r.base_url == "https://eu.api.example.com/v2"
    assert {e.id: e.server for e in r.endpoints} == {
        "a": None, "b": "https://a.files.example.com"}
    assert not any("enum" in w for w in r.warnings)


def test_server_variable_problems() -> None:
    url = "https://{a}.x.io:{port}/{b}"
    variables = {"a": {"default": "1", "enum": ["1", "2"]}, "port": {"default": 443,
                                                                     "enum": [443, 8443]},
                 "b": {"default": "v9", "enum": []}, "unused": {"default": "q", "enum": []}}
    assert oas.server_variable_problems(url, variables) == [
        "b's default 'v9' is not one of its enum values (none: the enum is empty)"]
    assert oas.server_variable_problems(url, None) == []
