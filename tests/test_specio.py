"""Tests of nbconnect.spec.reading: reading files and URLs, strict decoding, safe JSON/YAML."""

from __future__ import annotations

import asyncio
import re

import pytest
from starlette.applications import Starlette
from starlette.responses import (
    HTMLResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Route

from nbconnect.errors import SpecParseError, SpecSourceError, SpecTooLargeError
from nbconnect.spec import reading as specio


def assert_one_sentence(exc: BaseException, *words: str) -> str:
    """The message is one line, one sentence, and names ``words``."""
    msg = str(exc)
    assert "\n" not in msg
    assert msg.endswith("."), msg
    assert not re.search(r"[.;]\s+[A-Z][a-z]+ ", msg.replace("e.g. ", "")), msg
    for word in words:
        assert word.lower() in msg.lower(), (word, msg)
    return msg


# --------------------------------------------------------------------------- files


def test_reads_a_file(specs_dir):
    loaded = specio.load_document(specs_dir / "petstore-3.0.yaml")
    assert loaded.format == "yaml"
    assert loaded.document["info"]["title"] == "Petstore"
    loaded = specio.load_document(str(specs_dir / "files-3.1.json"))
    assert loaded.format == "json"
    assert loaded.url is None


def test_missing_file(tmp_path):
    with pytest.raises(SpecSourceError) as err:
        specio.load_document(tmp_path / "nope.yaml")
    assert_one_sentence(err.value, "no file", "nope.yaml")


def test_directory_is_refused(tmp_path):
    with pytest.raises(SpecSourceError) as err:
        specio.load_document(tmp_path)
    assert_one_sentence(err.value, "directory")


def test_size_is_checked_before_reading(tmp_path):
    # A sparse 200 MB file: over the default 100 MB cap without using the disk.
    big = tmp_path / "huge.json"
    with big.open("wb") as fh:
        fh.truncate(200 * 1024 * 1024)
    with pytest.raises(SpecTooLargeError) as err:
        specio.read_source(big)
    assert_one_sentence(err.value, "200 MB", "100 MB", "raise the cap")
    assert err.value.option == "max_bytes"


def test_size_cap_is_settable(tmp_path):
    path = tmp_path / "spec.json"
    path.write_text('{"openapi": "3.0.3"}' + " " * 100)
    with pytest.raises(SpecTooLargeError):
        specio.read_source(path, max_bytes=50)
    assert specio.read_source(path, max_bytes=500).data.startswith(b"{")
    with pytest.raises(SpecTooLargeError):
        specio.read_source("{" + " " * 100 + "}", max_bytes=50)
    with pytest.raises(SpecTooLargeError):
        specio.read_source(b"{" + b" " * 100 + b"}", max_bytes=50)


def test_unreadable_source_type():
    with pytest.raises(SpecSourceError) as err:
        specio.read_source(42)
    assert_one_sentence(err.value, "int")


# --------------------------------------------------------------------------- decoding


def test_invalid_utf8_names_the_byte_offset():
    with pytest.raises(SpecParseError) as err:
        specio.load_document(b'{"openapi": "3.0.3", "x": "caf\xe9"}')
    assert_one_sentence(err.value, "UTF-8", "byte offset 30")


def test_bom_is_accepted():
    loaded = specio.load_document(b'\xef\xbb\xbf{"openapi": "3.0.3"}')
    assert loaded.document == {"openapi": "3.0.3"}
    loaded = specio.load_document("\ufeffopenapi: 3.0.3\ninfo: {}\n")
    assert loaded.document["openapi"] == "3.0.3"


def test_utf16_is_refused():
    with pytest.raises(SpecParseError) as err:
        specio.load_document('{"openapi": "3.0.3"}'.encode("utf-16"))
    assert_one_sentence(err.value, "UTF-16")


# --------------------------------------------------------------------------- parsing


@pytest.mark.parametrize("text", ["just some words", "- a\n- list\n", "12\n"])
def test_not_a_mapping(text):
    with pytest.raises(SpecParseError) as err:
        specio.parse_text(text)
    assert_one_sentence(err.value, "not a JSON or YAML mapping")


def test_broken_yaml_names_the_line():
    with pytest.raises(SpecParseError) as err:
        specio.parse_text("openapi: 3.0.3\ninfo:\n  title: [unclosed\n  x: }\n")
    assert_one_sentence(err.value, "neither JSON nor YAML", "line")


def test_broken_json_names_the_line():
    with pytest.raises(SpecParseError) as err:
        specio.parse_text('{\n  "openapi": "3.0.3",\n  "info": ,\n}')
    assert_one_sentence(err.value, "not valid JSON", "line 3")


def test_html_text_is_refused():
    with pytest.raises(SpecParseError) as err:
        specio.parse_text("<!DOCTYPE html>\n<html><body>Swagger UI</body></html>")
    assert_one_sentence(err.value, "HTML")


def test_json_looking_yaml_flow_mapping_parses():
    doc, fmt = specio.parse_text("{openapi: 3.0.3, info: {title: t}}")
    assert fmt == "yaml"
    assert doc == {"openapi": "3.0.3", "info": {"title": "t"}}


def test_duplicate_yaml_key_names_key_and_line():
    text = "openapi: 3.0.3\ninfo:\n  title: A\n  version: '1'\n  title: B\n"
    with pytest.raises(SpecParseError) as err:
        specio.parse_text(text)
    assert_one_sentence(err.value, "'title' twice", "line 5")


def test_duplicate_json_key():
    text = '{\n "openapi": "3.0.3",\n "paths": {},\n "paths": {"/a": {}}\n}'
    with pytest.raises(SpecParseError) as err:
        specio.parse_text(text)
    assert_one_sentence(err.value, "'paths' twice", "line 4")


def test_yaml_merge_keys_may_override():
    doc, _ = specio.parse_text("base: &b {a: 1, b: 2}\nthing:\n  <<: *b\n  b: 3\n")
    assert doc["thing"] == {"a": 1, "b": 3}


@pytest.mark.parametrize("tag", ["!!python/object/apply:os.system ['echo hi']",
                                 "!!python/name:os.system", "!custom 1", "!!binary aGk="])
def test_unsafe_or_unknown_tags_are_refused(tag):
    with pytest.raises(SpecParseError) as err:
        specio.parse_text(f"openapi: 3.0.3\nx: {tag}\n")
    assert_one_sentence(err.value, "tag", "line 2")


def test_yaml_12_scalars_and_string_keys():
    text = ("a: yes\nb: no\nc: on\nd: off\ne: true\nf: False\ng: 0777\nh: 0o17\n"
            "i: 2020-01-31\nj: 1e3\nk: ~\nresponses:\n  200: ok\n  404: missing\n  2XX: any\n"
            "l: 1_000\n")
    doc, _ = specio.parse_text(text)
    assert doc["a"] == "yes" and doc["b"] == "no" and doc["c"] == "on" and doc["d"] == "off"
    assert doc["e"] is True and doc["f"] is False
    assert doc["g"] == 777 and doc["h"] == 15
    assert doc["i"] == "2020-01-31"
    assert doc["j"] == 1000.0 and doc["k"] is None
    assert list(doc["responses"]) == ["200", "404", "2XX"]
    assert doc["l"] == "1_000"


def test_alias_bomb_is_refused():
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 12):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [" + ",".join(f"*{prev}" for _ in range(9)) + "]")
    text = "openapi: 3.0.3\n" + "\n".join(lines) + "\n"
    with pytest.raises(SpecParseError) as err:
        specio.parse_text(text)
    assert_one_sentence(err.value, "alias")


def test_shared_aliases_below_the_limit_are_fine():
    doc, _ = specio.parse_text("x: &x {type: string}\na: *x\nb: *x\n")
    assert doc["a"] == doc["b"] == {"type": "string"}
    assert specio.check_expansion(doc) == 7


def test_self_containing_alias_is_refused():
    with pytest.raises(SpecParseError) as err:
        specio.parse_text("a: &a\n  - *a\n")
    assert_one_sentence(err.value, "contains itself")


def test_deep_yaml_nesting_is_refused():
    depth = 300
    with pytest.raises(SpecParseError) as err:
        specio.parse_text("x: " + "[" * depth + "]" * depth + "\n")
    assert_one_sentence(err.value, "nested")
    with pytest.raises(SpecParseError):
        specio.parse_text("x: " + "[" * 50_000 + "]" * 50_000 + "\n")


def test_deep_json_nesting_never_raises_recursion_error():
    depth = 100_000
    with pytest.raises(SpecParseError) as err:
        specio.parse_text('{"x": ' + "[" * depth + "]" * depth + "}")
    assert_one_sentence(err.value, "nested")


# --------------------------------------------------------------------------- URLs

SPEC_YAML = "openapi: 3.0.3\ninfo: {title: Remote, version: '1'}\npaths: {}\n"


async def _spec(request):
    return PlainTextResponse(SPEC_YAML, media_type="application/yaml")


async def _slow(request):
    await asyncio.sleep(3)
    return PlainTextResponse(SPEC_YAML)


async def _html(request):
    return HTMLResponse("<!doctype html><html><body>Swagger UI</body></html>")


async def _html_as_text(request):
    return PlainTextResponse("<!DOCTYPE html>\n<html><body>hi</body></html>")


async def _big_stream(request):
    async def chunks():
        for _ in range(100):
            yield b"#" * 1000 + b"\n"

    return StreamingResponse(chunks(), media_type="application/yaml")


async def _big_declared(request):
    return Response(b"#" * 5000, media_type="application/yaml")


async def _redirect_local(request):
    return RedirectResponse("/spec.yaml")


async def _redirect_insecure(request):
    return RedirectResponse("http://example.com/spec.yaml")


async def _server_error(request):
    return PlainTextResponse("boom", status_code=500)


APP = Starlette(routes=[
    Route("/spec.yaml", _spec), Route("/slow", _slow), Route("/page", _html),
    Route("/page.txt", _html_as_text), Route("/big", _big_stream),
    Route("/big-declared", _big_declared), Route("/redirect", _redirect_local),
    Route("/redirect-insecure", _redirect_insecure), Route("/error", _server_error),
])


@pytest.fixture
def https_server(serve_app):
    return serve_app(APP, tls=True)


def test_https_url_with_trusted_ca(https_server):
    loaded = specio.load_document(https_server.url + "/spec.yaml",
                                  verify=https_server.client_ssl_context())
    assert loaded.document["info"]["title"] == "Remote"
    assert loaded.url == https_server.url + "/spec.yaml"
    assert loaded.origin == https_server.url + "/spec.yaml"


def test_https_redirect_is_followed(https_server):
    loaded = specio.load_document(https_server.url + "/redirect",
                                  verify=https_server.client_ssl_context())
    assert loaded.url.endswith("/spec.yaml")


def test_redirect_to_plain_http_is_refused(https_server):
    with pytest.raises(SpecSourceError) as err:
        specio.load_document(https_server.url + "/redirect-insecure",
                             verify=https_server.client_ssl_context())
    assert_one_sentence(err.value, "plain http", "example.com")


def test_untrusted_certificate(https_server):
    with pytest.raises(SpecSourceError) as err:
        specio.load_document(https_server.url + "/spec.yaml")
    assert_one_sentence(err.value, "certificate", "127.0.0.1")


def test_url_timeout(https_server):
    with pytest.raises(SpecSourceError) as err:
        specio.load_document(https_server.url + "/slow", timeout=0.3,
                             verify=https_server.client_ssl_context())
    assert_one_sentence(err.value, "did not answer", "0.3 s")


def test_url_returning_html(https_server):
    ctx = https_server.client_ssl_context()
    for path in ("/page", "/page.txt"):
        with pytest.raises(SpecSourceError) as err:
            specio.load_document(https_server.url + path, verify=ctx)
        assert_one_sentence(err.value, "HTML page")


def test_url_not_found(https_server):
    with pytest.raises(SpecSourceError) as err:
        specio.load_document(https_server.url + "/nothing-here.yaml",
                             verify=https_server.client_ssl_context())
    assert_one_sentence(err.value, "not found", "404")


def test_url_server_error(https_server):
    with pytest.raises(SpecSourceError) as err:
        specio.load_document(https_server.url + "/error",
                             verify=https_server.client_ssl_context())
    assert_one_sentence(err.value, "HTTP 500")


def test_url_over_size_while_streaming(https_server):
    ctx = https_server.client_ssl_context()
    with pytest.raises(SpecTooLargeError) as err:
        specio.load_document(https_server.url + "/big", max_bytes=10_000, verify=ctx)
    assert_one_sentence(err.value, "size cap")
    assert err.value.option == "max_bytes" and "--" not in str(err.value)
    with pytest.raises(SpecTooLargeError):
        specio.load_document(https_server.url + "/big-declared", max_bytes=1000, verify=ctx)


def test_plain_http_to_loopback_is_allowed(serve_app):
    server = serve_app(APP)
    loaded = specio.load_document(server.url + "/spec.yaml")
    assert loaded.document["info"]["title"] == "Remote"


@pytest.mark.parametrize("url", ["http://example.com/openapi.yaml",
                                 "http://10.0.0.1:8080/spec.json"])
def test_plain_http_to_other_hosts_is_refused_without_network(url, monkeypatch):
    import httpx2

    def no_network(*args, **kwargs):
        raise AssertionError("network used")

    monkeypatch.setattr(httpx2.Client, "send", no_network)
    with pytest.raises(SpecSourceError) as err:
        specio.load_document(url)
    assert_one_sentence(err.value, "plain http", "loopback")


@pytest.mark.parametrize("url", ["ftp://example.com/spec.yaml", "file:///etc/passwd"])
def test_other_schemes_are_refused(url):
    with pytest.raises(SpecSourceError) as err:
        specio.load_document(url)
    assert_one_sentence(err.value, url.split(":")[0] + ":")
