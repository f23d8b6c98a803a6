"""Issue 8, kind 1: the Encoding Object's ``headers`` of a multipart body.

OAS 3.0.3 §4.7.14 (Encoding Object): ``headers`` is "a map allowing additional information
to be provided as headers" of a part; "Content-Type is described separately and SHALL be
ignored in this section. This property SHALL be ignored if the request body media type is
not a multipart." Each is a Header Object (§4.7.21: a Parameter Object without ``name`` and
``in``, style ``simple``).

The header is kept in the model, the package and ``openapi.json``; ``nbconnect test`` writes
it in each part of its field (checked by a loopback server that records the raw body); the
mock reads it (400 naming the part and the header when a required one is missing or a value
breaks its schema); the Postman export names what form-data cannot express.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

import httpx2
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

import nbconnect
from nbconnect.exports.postman import postman_warnings, to_postman, write_postman
from nbconnect.mock.server import MockServer
from nbconnect.model import Param
from nbconnect.spec.writer import to_openapi

SPEC: dict[str, Any] = {
    "openapi": "3.0.3", "info": {"title": "Parts", "version": "1"},
    "servers": [{"url": "https://api.example.com"}],
    "components": {"headers": {"Trace": {"required": True, "schema": {
        "type": "string", "pattern": "^t-[0-9]+$"}, "example": "t-42"}}},
    "paths": {
        "/profile": {"post": {"operationId": "upload", "requestBody": {"required": True,
            "content": {"multipart/form-data": {
                "schema": {"type": "object", "required": ["id", "profileImage"],
                           "properties": {
                               "id": {"type": "string", "example": "u-1"},
                               "profileImage": {"type": "string", "format": "binary",
                                                "example": "PNG"},
                               "tags": {"type": "array", "items": {"type": "string"},
                                        "example": ["a", "b"]}}},
                "encoding": {
                    "profileImage": {"contentType": "image/png, image/jpeg", "headers": {
                        "X-Rate-Limit-Limit": {"description": "allowed requests",
                                               "schema": {"type": "integer"},
                                               "example": 10},
                        "Content-Type": {"schema": {"type": "string"}},  # SHALL be ignored
                        "X-Part-Id": {"required": True, "schema": {"type": "integer",
                                                                   "minimum": 1}}}},
                    "tags": {"headers": {"X-Trace": {"$ref": "#/components/headers/Trace"}}},
                }}}},
            "responses": {"200": {"description": "ok"}}}},
        "/form": {"post": {"operationId": "form", "requestBody": {"content": {
            "application/x-www-form-urlencoded": {
                "schema": {"type": "object", "properties": {"a": {"type": "string",
                                                                  "example": "x"}}},
                "encoding": {"a": {"headers": {"X-Ignored": {"schema": {"type": "string"},
                                                             "example": "no"}}}}}}},
            "responses": {"200": {"description": "ok"}}}},
    },
}


def _connector(base_url: str = "https://api.example.com") -> nbconnect.Connector:
    c = nbconnect.Connector("parts")
    c.import_spec(json.dumps(SPEC))
    c.base_url = base_url
    return c


def _parts(body: bytes, ctype: str) -> dict[str, list[dict[str, str]]]:
    """The headers of each part of a multipart body, by field name (lower-case names)."""
    boundary = ctype.split("boundary=", 1)[1].encode()
    out: dict[str, list[dict[str, str]]] = {}
    for part in body.split(b"--" + boundary)[1:-1]:
        head = part[2:].partition(b"\r\n\r\n")[0].decode()
        headers = dict(line.split(": ", 1) for line in head.split("\r\n"))
        name = re.search(r'name="([^"]*)"', headers.pop("Content-Disposition"))
        assert name is not None
        out.setdefault(name.group(1), []).append({k.lower(): v for k, v in headers.items()})
    return out


def test_the_import_keeps_each_fields_part_headers() -> None:
    c = _connector()
    fields = {p.name: p for p in c.endpoint("upload").body}
    image = fields["profileImage"].part_headers
    assert [h.name for h in image] == ["X-Rate-Limit-Limit", "X-Part-Id"]  # no Content-Type
    assert image[0] == Param("X-Rate-Limit-Limit", type="integer", location="header",
                             description="allowed requests", example=10)
    assert image[1].required and image[1].schema == {"type": "integer", "minimum": 1}
    assert [(h.name, h.required, h.example) for h in fields["tags"].part_headers] == [
        ("X-Trace", True, "t-42")]
    assert fields["id"].part_headers == ()
    # a form body's encoding headers SHALL be ignored
    assert all(p.part_headers == () for p in c.endpoint("form").body)


def test_part_headers_survive_the_package_and_openapi_json(tmp_path: Path) -> None:
    c = _connector()
    c.export(tmp_path / "pkg")
    assert nbconnect.load(tmp_path / "pkg") == c
    assert "X-Part-Id" in (tmp_path / "pkg" / "connector.yaml").read_text()
    media = to_openapi(c)["paths"]["/profile"]["post"]["requestBody"]["content"][
        "multipart/form-data"]
    headers = media["encoding"]["profileImage"]["headers"]
    assert set(headers) == {"X-Rate-Limit-Limit", "X-Part-Id"}
    assert headers["X-Part-Id"]["required"] is True
    assert headers["X-Part-Id"]["schema"]["minimum"] == 1
    again = nbconnect.Connector("again")
    again.import_spec(json.dumps(to_openapi(c)))
    assert again.endpoint("upload").body == c.endpoint("upload").body
    # a field without part headers writes no "headers" key (old packages stay the same)
    assert "headers" not in json.dumps(c.endpoint("form").body[0].to_dict())


def test_nbconnect_test_writes_them_in_each_part(serve_app: Any) -> None:
    seen: list[tuple[str, bytes]] = []

    async def record(request: Request) -> Response:
        seen.append((request.headers["content-type"], await request.body()))
        return Response("{}", media_type="application/json")

    server = serve_app(Starlette(routes=[Route("/{p:path}", record, methods=["POST"])]))
    c = _connector(server.url)
    [result] = c.test("upload", progress=lambda *a: None).results
    assert result.ok, result.reason
    parts = _parts(seen[0][1], seen[0][0])
    assert parts["profileImage"] == [{"content-type": "image/png", "x-rate-limit-limit": "10",
                                      "x-part-id": "1"}]  # required, no value: generated
    assert parts["tags"] == [{"x-trace": "t-42"}, {"x-trace": "t-42"}]  # each part
    assert parts["id"] == [{}]


def test_the_mock_reads_them_and_refuses_a_missing_or_wrong_one() -> None:
    from nbconnect.spec.oas.encoding import Part
    from nbconnect.testing.request import _multipart

    with MockServer(SPEC) as mock:
        c = _connector(mock.url)
        assert [r.ok for r in c.test(progress=lambda *a: None).results] == [True, True]

        def post(image: tuple[tuple[str, str], ...],
                 tags: tuple[tuple[str, str], ...] = (("X-Trace", "t-1"),)) -> httpx2.Response:
            body, boundary = _multipart([
                Part("id", None, None, b"u-1"),
                Part("profileImage", "image/png", "profileImage", b"PNG", image),
                Part("tags", None, None, b"a", tags)])
            return httpx2.post(mock.url + "/profile", content=body, headers={
                "Content-Type": f"multipart/form-data; boundary={boundary}"})

        assert post((("X-Part-Id", "3"),)).status_code == 200
        missing = post((("X-Rate-Limit-Limit", "10"),))
        assert missing.status_code == 400
        assert "'profileImage'" in missing.json()["message"]
        assert "X-Part-Id" in missing.json()["message"]
        wrong = post((("X-Part-Id", "0"),))
        assert wrong.status_code == 400 and "X-Part-Id" in wrong.json()["message"]
        bad_ref = post((("X-Part-Id", "3"),), (("X-Trace", "nope"),))
        assert bad_ref.status_code == 400 and "X-Trace" in bad_ref.json()["message"]


def test_postman_names_what_form_data_cannot_express(tmp_path: Path,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    c = _connector()
    warnings = postman_warnings(c)
    assert len(warnings) == 2
    assert "'profileImage' part is sent without its X-Rate-Limit-Limit, X-Part-Id" \
        in warnings[0] and "endpoint upload" in warnings[0]
    assert "'tags'" in warnings[1] and "X-Trace" in warnings[1]
    item = next(i for i in to_postman(c)["item"] if i["request"]["url"]["path"] ==
                ["profile"])
    assert "X-Part-Id" in item["request"]["description"]
    with caplog.at_level(logging.WARNING, logger="nbconnect.export"):
        write_postman(c, tmp_path / "c.json")
    assert "X-Part-Id" in caplog.text
    plain = nbconnect.Connector("plain")
    spec = json.loads(json.dumps(SPEC))
    del spec["paths"]["/profile"]["post"]["requestBody"]["content"][
        "multipart/form-data"]["encoding"]
    plain.import_spec(json.dumps(spec))
    assert postman_warnings(plain) == []
