"""Issue 8: a request parameter keeps its declared schema.

A path parameter with a ``pattern`` (as twilio's ``^DE[0-9a-fA-F]{32}$`` SIDs), a query
parameter with ``minimum``/``maximum`` and a header with an ``enum`` keep what their schema
says through import, the package (connector.yaml), the exported openapi.json, and
``generate=True`` sends values the mock of the same spec accepts.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

import nbconnect
from nbconnect.mock.server import MockServer
from nbconnect.model import Connection, Param
from nbconnect.spec.writer import to_openapi

SID = "^DE[0-9a-fA-F]{32}$"

SPEC = """\
openapi: 3.0.3
info: {title: Deployments, version: "1"}
servers: [{url: "https://api.example.com/v1"}]
components:
  schemas:
    Limit: {type: integer, minimum: 5, maximum: 7}
paths:
  /Deployments/{Sid}:
    get:
      operationId: getDeployment
      parameters:
        - name: Sid
          in: path
          required: true
          schema: {type: string, minLength: 34, maxLength: 34, pattern: "^DE[0-9a-fA-F]{32}$"}
        - name: PageSize
          in: query
          required: true
          schema: {type: integer, minimum: 20, maximum: 30}
        - name: Limit
          in: query
          required: true
          schema: {$ref: "#/components/schemas/Limit"}
        - name: X-Mode
          in: header
          required: true
          schema: {type: string, enum: [fast, safe]}
        - name: plain
          in: query
          schema: {type: string}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema:
                type: object
                properties: {sid: {type: string}}
"""


def _connector(url: str = "https://api.example.com/v1") -> nbconnect.Connector:
    connector = nbconnect.Connector("deployments")
    connector.import_spec(SPEC)
    connector.connections = (Connection("mock", base_url=url, default=True),)
    return connector


def _params(connector: nbconnect.Connector) -> dict[str, Param]:
    return {p.name: p for p in connector.endpoint("getDeployment").params}


def test_import_keeps_the_declared_schema() -> None:
    params = _params(_connector())
    assert params["Sid"].schema == {"type": "string", "minLength": 34, "maxLength": 34,
                                    "pattern": SID}
    assert params["PageSize"].schema == {"type": "integer", "minimum": 20, "maximum": 30}
    assert params["Limit"].schema == {"$ref": "#/components/schemas/Limit"}
    assert params["X-Mode"].enum == ("fast", "safe")
    assert params["plain"].schema is None  # nothing more than its type: nothing kept
    assert "Limit" in _connector().schemas  # the ref'd component comes along
    hash(params["Sid"])  # still hashable
    assert params["Sid"] == Param.from_dict(params["Sid"].to_dict(), "path")


def test_package_round_trip_and_old_packages(tmp_path: Path) -> None:
    connector = _connector()
    path = nbconnect.export(connector, tmp_path / "pkg")
    assert nbconnect.load(path) == connector
    text = (path / "connector.yaml").read_text()
    doc = yaml.safe_load(text)
    params = {p["name"]: p for e in doc["endpoints"] for p in e.get("params", ())}
    assert params["Sid"]["schema"]["pattern"] == SID
    assert "schema" not in params["plain"]
    # an old package (no schema keys) loads as before: no schema anywhere
    old = re.sub(r"^\s+schema:\n(\s{6,}.*\n)*", "", text, flags=re.M)
    assert "pattern" not in old
    (path / "connector.yaml").write_text(old)
    loaded = nbconnect.load(path)
    assert all(p.schema is None for e in loaded.endpoints for p in e.params)
    assert _params(loaded)["PageSize"].type == "integer"


def test_openapi_round_trip() -> None:
    connector = _connector()
    doc = to_openapi(connector)
    params = {p["name"]: p for p in doc["paths"]["/Deployments/{Sid}"]["get"]["parameters"]}
    assert params["Sid"]["schema"]["pattern"] == SID
    assert params["PageSize"]["schema"]["maximum"] == 30
    assert params["Limit"]["schema"] == {"$ref": "#/components/schemas/Limit"}
    assert "Limit" in doc["components"]["schemas"]
    again = nbconnect.Connector("deployments")
    again.import_spec(json.dumps(doc))
    assert _params(again) == _params(connector)


def test_generate_sends_values_the_mock_accepts() -> None:
    spec: Any = yaml.safe_load(SPEC)
    with MockServer(spec) as mock:
        connector = _connector(mock.url)
        report = connector.test(connection="mock", progress=lambda *a: None, generate=True)
    assert [(r.endpoint_id, r.ok, r.reason) for r in report.results if not r.ok] == []
    assert [r.ok for r in report.results] == [True]
