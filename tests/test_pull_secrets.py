"""No secret value in anything pull, paging and links produce: an API-key connection to a
loopback API that echoes the key back (in a credential-named field, inside text, in a list's
labels), run through both faces (test, pull --json/--accept, call --all-pages, link add,
options, link list/graph, show --json, the overlay and the package export); then every output,
rich display and file written is searched for the key."""

from __future__ import annotations

import contextlib
import json

import nbconnect
from nbconnect.links.options import clear_cache

KEY = "sk-live-s3ntinel-9f8e7d6c5b4a-0042"


def _echo_app():
    """An API whose responses repeat the caller's X-Key."""
    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        key = dict(scope["headers"]).get(b"x-key", b"").decode()
        path, query = scope["path"], scope["query_string"].decode()
        if path == "/me":
            body = {"login": "ada", "api_key": key, "note": f"you called with {key}",
                    "profile": {"token": key, "site": "https://ada.example"}}
        elif path == "/things":
            page = 2 if "page=2" in query else 1
            items = [{"id": f"t{page}", "name": f"thing {page} ({key})"}]
            body = {"items": items, "next_page": 2 if page == 1 else None}
        else:
            body = {"id": path.rsplit("/", 1)[-1], "secret": key, "echo": key}
        data = json.dumps(body).encode()
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": data})

    return app


SPEC = """openapi: 3.0.3
info: {title: sec, version: "1"}
servers: [{url: BASE}]
components:
  securitySchemes:
    key: {type: apiKey, in: header, name: X-Key}
  schemas:
    Thing:
      type: object
      properties: {id: {type: string}}
security: [{key: []}]
paths:
  /me:
    get:
      operationId: me
      responses:
        "200":
          description: me
          content: {application/json: {schema: {type: object, properties: {login: {type: string}}}}}
  /things:
    get:
      operationId: listThings
      parameters: [{name: page, in: query, schema: {type: integer}}]
      responses:
        "200":
          description: things
          content: {application/json: {schema: {type: object}}}
  /things/{thingId}:
    get:
      operationId: getThing
      parameters: [{name: thingId, in: path, required: true, schema: {type: string}}]
      responses:
        "200":
          description: one thing
          content: {application/json: {schema: {$ref: "#/components/schemas/Thing"}}}
"""


def _connector(url: str, tmp_path) -> nbconnect.Connector:
    tmp_path.mkdir()
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC.replace("BASE", url))
    c = nbconnect.Connector("sec")
    c.import_spec(spec)
    c.auth = {"type": "api-key", "key": "X-Key", "add_to": "header"}
    return c


def _shown(done) -> str:
    parts = [done.out, done.err, repr(done.result)]
    for method in ("_repr_html_", "text", "to_json"):
        fn = getattr(done.result, method, None)
        if callable(fn):
            with contextlib.suppress(TypeError):
                parts.append(str(fn()))
    return "\n".join(parts)


def test_no_secret_in_any_output_sample_overlay_or_package(face, serve_app, monkeypatch,
                                                           tmp_path) -> None:
    clear_cache()
    monkeypatch.setenv("SEC_KEY", KEY)
    srv = serve_app(_echo_app())
    face.start(_connector(srv.url, tmp_path / 'spec'))
    shown: list[str] = []
    lines = [f"connection add live --base-url {srv.url} --secret value=env:SEC_KEY --default",
             "test me listThings",
             "pull me --json",
             "pull me",
             "paging listThings --type cursor --param page --field next_page --items items",
             "call listThings --all-pages --json",
             "pull listThings --json",
             "link add getThing thingId --from listThings --value items[*].id "
             "--label items[*].name",
             "options getThing thingId --json",
             "options getThing thingId",
             "test getThing",
             "pull getThing --accept",
             "link list",
             "link list --json",
             "link graph",
             "show --json",
             f"export --format overlay -o {tmp_path / 'ov.json'}",
             f"export {tmp_path / 'out'}"]
    codes = {}
    for line in lines:
        done = face.run(line)
        codes[line.split()[0] + " " + line.split()[1]] = done.code
        shown.append(_shown(done))
    leaks = [line for line, out in zip(lines, shown, strict=True) if KEY in out]
    assert not leaks
    everything = "\n".join(shown)
    assert KEY not in everything
    assert set(codes.values()) == {0}, codes
    assert "thing 1" in everything and "thing 2" in everything  # both pages were read
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name == "me.json" and p.parent.name == "samples" for p in files)
    assert (tmp_path / "ov.json").is_file()
    for path in files:
        assert KEY.encode() not in path.read_bytes(), path
    connector = face.connector
    assert KEY not in repr(connector) and KEY not in json.dumps(connector.to_dict())
    result = connector.pull("me", stored=True) if face.name == "magic" else \
        nbconnect.load(face.package).pull("me")
    assert KEY not in result.text() + result.to_json()
    assert result.field("api_key").example is None
    clear_cache()
