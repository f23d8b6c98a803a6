"""Tests of nbconnect.spec.importer: OpenAPI 3.0/3.1 import, selection, limits, $refs, bad input."""

from __future__ import annotations

import copy
import json

import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from tests.servers import RequestLog
from tests.test_specio import assert_one_sentence

import nbconnect
from nbconnect import limits
from nbconnect.errors import (
    LimitError,
    NbConnectError,
    OverwriteError,
    SpecContentError,
    SpecError,
    SpecParseError,
    SpecRefError,
    SpecSelectionError,
    SpecValidationError,
    SpecVersionError,
)
from nbconnect.model import (
    ApiKeyAuth,
    BearerAuth,
    Connector,
    OAuth2ClientCredentials,
    OAuth2Code,
)
from nbconnect.spec import importer as openapi
from nbconnect.spec import reading as specio
from nbconnect.spec import validation

OK = {"200": {"description": "ok"}}


def make_spec(paths, *, components=None, version="3.0.3", **extra):
    doc = {"openapi": version, "info": {"title": "T", "version": "1"}, "paths": paths}
    if components is not None:
        doc["components"] = components
    doc.update(extra)
    return doc


def text(doc):
    return json.dumps(doc)


def op(op_id=None, **fields):
    out = {"responses": OK}
    if op_id:
        out["operationId"] = op_id
    out.update(fields)
    return out


def json_response(schema):
    return {"200": {"description": "ok", "content": {"application/json": {"schema": schema}}}}


@pytest.fixture(autouse=True)
def _fresh_cache():
    openapi.clear_validation_cache()
    yield
    openapi.clear_validation_cache()


# --------------------------------------------------------------------------- good specs


def test_petstore_30_yaml(specs_dir):
    r = nbconnect.import_spec(specs_dir / "petstore-3.0.yaml")
    assert r.openapi_version == "3.0.3" and r.format == "yaml"
    assert r.title == "Petstore" and r.version == "1.2.0"
    assert r.description.startswith("A small pet store API") and "second paragraph" not in \
        r.description
    assert [e.id for e in r.endpoints] == [
        "listPets", "createPet", "showPetById", "updatePet", "deletePet", "uploadPhoto",
        "getCategoryTree", "get_store_inventory"]
    assert r.operations_total == r.operations_selected == 8
    assert r.base_url == "https://eu.petstore.example.com/v1"
    assert r.auth == ApiKeyAuth(key="X-API-Key", add_to="header")
    # nothing dropped silently: the operations whose only requirement is OAuth2 are named,
    # and so is the form body the endpoint does not send
    assert len(r.warnings) == 2
    assert "createPet" in r.warnings[0] and "showPetById" in r.warnings[0] and \
        "'petstore_auth'" in r.warnings[0]
    assert "application/x-www-form-urlencoded" in r.warnings[1]
    # every declared response is kept (issue 8), so the default/404 Error schema comes too
    assert list(r.schemas) == ["Category", "Error", "NewPet", "Pet"]
    eps = {e.id: e for e in r.endpoints}
    assert all(e.source == "openapi" for e in r.endpoints)

    listing = eps["listPets"]
    assert listing.name == "List pets" and listing.description == "Returns the pets, newest first."
    limit, cursor = listing.params
    assert (limit.name, limit.type, limit.format, limit.default) == ("limit", "integer",
                                                                       "int32", 20)
    assert (cursor.name, cursor.location, cursor.description) == ("cursor", "query",
                                                                   "Where the page starts.")
    (top,) = listing.response
    assert top.type == "array" and top.items == "object"
    fields = [c.name for c in top.children]
    assert fields == ["name", "tag", "status", "vaccinated", "birthday", "id", "category"]
    assert listing.response_status == "200"
    assert listing.response_schema == {"type": "array",
                                       "items": {"$ref": "#/components/schemas/Pet"}}

    create = eps["createPet"]
    assert create.body_content_type == "application/json"
    assert create.request_schema == {"$ref": "#/components/schemas/NewPet"}
    body = {p.name: p for p in create.body}
    assert body["name"].required and body["name"].example == "Rex"
    assert body["tag"].nullable and not body["tag"].required
    assert body["status"].enum == ("available", "pending", "sold")
    assert body["status"].default == "available"
    assert body["vaccinated"].enum == ("yes", "no", "unknown")  # YAML 1.2: not booleans
    assert body["birthday"].example == "2020-01-31"
    assert create.response_status == "201"
    resp = {p.name: p for p in create.response}
    assert resp["id"].required and resp["id"].format == "int64"   # allOf merged

    # path-level $ref parameter merged with the operation's own (operation wins)
    assert eps["showPetById"].param("petId").description == "The id of the pet."
    assert eps["updatePet"].param("petId").description.startswith("The pet to update")
    assert eps["updatePet"].body_content_type == "application/x-www-form-urlencoded"
    assert [p.name for p in eps["updatePet"].body] == ["name", "status"]
    assert eps["deletePet"].response_status == "204" and eps["deletePet"].response == ()
    photo = eps["uploadPhoto"]
    assert photo.body_content_type == "multipart/form-data"
    assert [(p.name, p.required, p.format) for p in photo.body] == [
        ("file", True, "binary"), ("caption", False, None)]

    tree = {p.name: p for p in eps["getCategoryTree"].response}
    assert tree["parent"].recursive == "Category" and tree["parent"].children == ()
    assert tree["children"].type == "array" and tree["children"].recursive == "Category"
    inventory = eps["get_store_inventory"]
    assert inventory.param("X-Request-ID").location == "header"
    assert inventory.param("X-Request-ID").format == "uuid"


def test_files_31_json(specs_dir):
    r = nbconnect.import_spec(str(specs_dir / "files-3.1.json"))
    assert r.openapi_version == "3.1.0" and r.format == "json"
    assert r.base_url == "https://files.example.com/api"
    assert r.auth == OAuth2ClientCredentials(token_url="https://files.example.com/oauth/token",
                                             scope="files.read files.write")
    eps = {e.id: e for e in r.endpoints}
    kind = eps["listNodes"].param("kind")
    assert kind.type == "string" and kind.nullable
    assert eps["listNodes"].param("page-size").example == 50
    items = {p.name: p for p in eps["listNodes"].response}["items"]
    paths = [path for path, _ in items.walk()]
    assert "items[].owner.login" in paths and "items[].owner.slug" in paths  # oneOf union
    owner = {c.name: c for c in items.children}["owner"]
    assert not any(c.required for c in owner.children)
    assert {c.name: c for c in items.children}["children"].recursive == "Node"
    assert eps["createNode"].body_content_type == "application/vnd.files+json"
    assert [p.name for p in eps["createNode"].body] == ["name", "kind", "parentId"]
    assert eps["createNode"].body[0].example == "report.pdf"
    search = eps["search"]
    assert search.path == "/search?scope=all" and search.request_path == "/search"
    assert search.param("scope").default == "all"
    assert search.response_status == "2XX"
    export = eps["exportCsv"]
    assert export.path == "/export#csv" and export.request_path == "/export"
    assert export.response_content_type == "text/csv"
    assert eps["replaceNode"].name == "replaceNode"
    assert list(r.schemas) == ["Group", "Node", "NodeInput", "User"]


def test_connector_import_and_overwrite(specs_dir):
    c = Connector("pets")
    result = c.import_spec(specs_dir / "petstore-3.0.yaml", tags=["pets"])
    assert len(c.endpoints) == 5 and result.operations_total == 8
    assert c.base_url == "https://eu.petstore.example.com/v1"
    assert c.schemas.keys() == {"Category", "Error", "NewPet", "Pet"}
    before = c.to_dict()
    with pytest.raises(OverwriteError):
        c.import_spec(specs_dir / "files-3.1.json")
    assert c.to_dict() == before
    c.import_spec(specs_dir / "files-3.1.json", overwrite=True)
    assert {e.id for e in c.endpoints} >= {"listNodes", "search"}


# --------------------------------------------------------------------------- selection


def test_select_by_tag_include_exclude(specs_dir):
    path = specs_dir / "petstore-3.0.yaml"
    r = openapi.import_spec(path, tags="pets")
    assert len(r.endpoints) == 5 and r.operations_selected == 5
    r = openapi.import_spec(path, tags=["photos", "STORE"])
    assert [e.id for e in r.endpoints] == ["uploadPhoto", "get_store_inventory"]
    r = openapi.import_spec(path, include=r"^/pets/\{petId\}$")
    assert [e.id for e in r.endpoints] == ["showPetById", "updatePet", "deletePet"]
    r = openapi.import_spec(path, include="Category")  # matches the operationId
    assert [e.id for e in r.endpoints] == ["getCategoryTree"]
    r = openapi.import_spec(path, tags=["pets"], exclude="Pet$|^delete")
    assert [e.id for e in r.endpoints] == ["listPets", "showPetById"]
    assert r.schemas.keys() == {"Category", "Error", "NewPet", "Pet"}


def test_unknown_tag_is_refused(specs_dir):
    with pytest.raises(SpecError) as err:
        openapi.import_spec(specs_dir / "petstore-3.0.yaml", tags=["kittens"])
    assert_one_sentence(err.value, "'kittens'", "categories, pets, photos, store")
    assert err.value.option == "tags"


def test_bad_regex_is_refused(specs_dir):
    with pytest.raises(SpecError) as err:
        openapi.import_spec(specs_dir / "petstore-3.0.yaml", include="([a-z")
    assert_one_sentence(err.value, "The include pattern", "regular expression")
    assert err.value.option == "include" and "--" not in str(err.value)


def test_tags_as_comma_separated_text_or_list_items(specs_dir):
    path = specs_dir / "petstore-3.0.yaml"
    expected = openapi.import_spec(path, tags=["photos", "store"])
    for tags in ("photos,store", " photos , store ", ["photos,store"], ("photos", "store, ")):
        r = openapi.import_spec(path, tags=tags)
        assert [ep.id for ep in r.endpoints] == [ep.id for ep in expected.endpoints], tags


def test_a_tag_with_a_comma_in_its_name_is_kept_whole():
    doc = make_spec({"/a": {"get": op("getA", tags=["Pets, cats"])},
                     "/b": {"get": op("getB", tags=["dogs"])}})
    r = openapi.import_spec(text(doc), tags="Pets, cats")
    assert [ep.id for ep in r.endpoints] == ["getA"]


@pytest.mark.parametrize("option", ["include", "exclude"])
def test_bad_regex_is_refused_before_reading_the_source(tmp_path, option):
    with pytest.raises(SpecSelectionError) as err:
        openapi.import_spec(tmp_path / "missing.yaml", **{option: "(oops"})
    assert_one_sentence(err.value, f"The {option} pattern", "'(oops'")
    assert err.value.option == option
    with pytest.raises(SpecSelectionError) as err:
        openapi.import_document({"openapi": "3.0.3"}, **{option: 42})
    assert err.value.option == option


def test_selection_matching_nothing(specs_dir):
    with pytest.raises(SpecError) as err:
        openapi.import_spec(specs_dir / "petstore-3.0.yaml", include="^/nothing")
    assert_one_sentence(err.value, "matches none", "8 operations")


def big_spec(n=200, tags=10):
    paths = {f"/things{i}": {"get": op(f"getThing{i}", tags=[f"t{i % tags}"])}
             for i in range(n)}
    return make_spec(paths)


def test_over_the_limit_is_refused_with_the_options():
    with pytest.raises(LimitError) as err:
        openapi.import_spec(text(big_spec(1112, 62)))
    msg = assert_one_sentence(err.value, "1,112 operations", "the limit is 150",
                              "by tag (62 tags: t0, t1,", "include or exclude pattern")
    assert err.value.option == "tags" and "--" not in msg
    assert "…" in msg
    assert "t0: 18 operations" in err.value.details


def test_selection_happens_before_the_limit():
    r = openapi.import_spec(text(big_spec()), tags=["t3"])
    assert len(r.endpoints) == 20 and r.operations_total == 200
    with pytest.raises(LimitError) as err:
        openapi.import_spec(text(big_spec(300)), include="Thing[12]")
    assert_one_sentence(err.value, "selection matches 222 operations")
    r = openapi.import_spec(text(big_spec(300)), include="Thing[12]", exclude="Thing[12][0-9]")
    assert [e.id for e in r.endpoints] == ["getThing1", "getThing2"]


# --------------------------------------------------------------------------- versions


def test_swagger_2_is_refused():
    doc = {"swagger": "2.0", "info": {"title": "x", "version": "1"}, "paths": {}}
    with pytest.raises(SpecVersionError) as err:
        openapi.import_spec(text(doc))
    assert_one_sentence(err.value, "Swagger 2.0", "3.0 or 3.1", "convert")


@pytest.mark.parametrize("version", ["3.2.0", "4.0.0", "2.0"])
def test_other_openapi_versions_are_refused(version):
    with pytest.raises(SpecVersionError) as err:
        openapi.import_spec(text(make_spec({}, version=version)))
    assert_one_sentence(err.value, f"OpenAPI {version}", "3.0.x and 3.1.x")


def test_not_an_openapi_document():
    with pytest.raises(SpecVersionError) as err:
        openapi.import_spec("name: my config\nitems: [1, 2]\n")
    assert_one_sentence(err.value, "no 'openapi' field")
    with pytest.raises(SpecVersionError) as err:
        openapi.import_spec("openapi: 3.0\ninfo: {}\npaths: {}\n")
    assert_one_sentence(err.value, "quotes")


def test_not_json_or_yaml():
    with pytest.raises(SpecParseError) as err:
        openapi.import_spec("this is a plain sentence, not a spec")
    assert_one_sentence(err.value, "not a JSON or YAML mapping")


# --------------------------------------------------------------------------- validation


def invalid_spec():
    return make_spec({
        "/a": {"get": {"operationId": "getA"}},  # no responses
        "/b": {"get": op("getB", parameters=[
            {"name": "n", "in": "query", "schema": {"type": "integer", "default": "ten"}}])},
    })


def test_validator_errors_strict():
    with pytest.raises(SpecValidationError) as err:
        openapi.import_spec(text(invalid_spec()))
    assert_one_sentence(err.value, "2 errors", "leniently")
    assert err.value.option == "lenient" and "--" not in str(err.value)
    details = err.value.details
    assert len(details) == 2
    assert any(d.startswith('$.paths["/a"].get: ') and "responses" in d for d in details)
    assert any(d.startswith('$.paths["/b"].get.parameters[0].schema.default: ')
               for d in details)


def test_validator_errors_lenient():
    r = openapi.import_spec(text(invalid_spec()), lenient=True)
    assert [e.id for e in r.endpoints] == ["getA", "getB"]
    assert r.endpoints[1].param("n").default == "ten"
    assert sum(w.startswith("Validation: ") for w in r.warnings) == 2


def test_details_are_capped():
    paths = {f"/p{i}": {"get": {"operationId": f"p{i}"}} for i in range(9)}
    with pytest.raises(SpecValidationError) as err:
        openapi.import_spec(text(make_spec(paths)))
    assert "9 errors" in str(err.value)
    assert len(err.value.details) == limits.MAX_ERRORS_SHOWN


def test_validation_is_cached_by_content(specs_dir, monkeypatch):
    calls = []
    real = validation._run_validator

    def counting(document, version):
        calls.append(version)
        return real(document, version)

    monkeypatch.setattr(validation, "_run_validator", counting)
    path = specs_dir / "petstore-3.0.yaml"
    first = openapi.import_spec(path, tags=["pets"])
    second = openapi.import_spec(path.read_text(), tags=["pets"])
    assert len(calls) == 1
    assert first.endpoints == second.endpoints
    openapi.import_spec(path, tags=["store"])  # another selection: another document
    assert len(calls) == 2
    with pytest.raises(SpecValidationError):
        openapi.import_spec(text(invalid_spec()))
    with pytest.raises(SpecValidationError):
        openapi.import_spec(text(invalid_spec()))
    assert len(calls) == 3


def test_validator_sees_only_the_selection(monkeypatch):
    seen = []
    real = validation._run_validator

    def spy(document, version):
        seen.append(copy.deepcopy(document))
        return real(document, version)

    monkeypatch.setattr(validation, "_run_validator", spy)
    components = {"schemas": {"A": {"type": "object", "properties": {
        "b": {"$ref": "#/components/schemas/B"}}}, "B": {"type": "string"},
        "Unused": {"type": "object"}},
        "parameters": {"P": {"name": "p", "in": "query", "schema": {"type": "string"}}}}
    doc = make_spec({
        "/a": {"get": op("getA", tags=["x"], parameters=[{"$ref": "#/components/parameters/P"}],
                         responses=json_response({"$ref": "#/components/schemas/A"}))},
        "/other": {"get": {"operationId": "broken"}},  # invalid, but not selected
    }, components=components)
    r = openapi.import_spec(text(doc), tags=["x"])
    assert [e.id for e in r.endpoints] == ["getA"]
    (reduced,) = seen
    assert list(reduced["paths"]) == ["/a"]
    assert reduced["components"]["schemas"].keys() == {"A", "B"}
    assert reduced["components"]["parameters"].keys() == {"P"}


# --------------------------------------------------------------------------- $refs


def remote_ref_spec(ref):
    return make_spec({"/a": {"get": op("getA", responses=json_response(
        {"type": "object", "properties": {"x": {"$ref": ref}}}))}})


def test_remote_ref_is_never_fetched(serve_app):
    log = RequestLog()
    server = serve_app(log)
    ref = server.url + "/schemas/thing.json"
    with pytest.raises(SpecRefError) as err:
        openapi.import_spec(text(remote_ref_spec(ref)))
    assert_one_sentence(err.value, ref, "never fetches")
    r = openapi.import_spec(text(remote_ref_spec(ref)), lenient=True)
    assert [e.id for e in r.endpoints] == ["getA"]
    assert any(ref in w and "not fetched" in w for w in r.warnings)
    c = Connector("x")
    with pytest.raises(SpecRefError):
        c.import_spec(text(remote_ref_spec(ref + "#/Thing")))
    assert log.requests == []


def test_file_ref_is_never_read(tmp_path):
    secret = tmp_path / "secret.json"
    secret.write_text('{"type": "string", "description": "TOPSECRET-4242"}')
    spec_path = tmp_path / "spec.json"
    for ref in (secret.as_uri(), "secret.json", "./secret.json#/description"):
        spec_path.write_text(text(remote_ref_spec(ref)))
        with pytest.raises(SpecRefError) as err:
            openapi.import_spec(spec_path)
        assert "TOPSECRET" not in err.value.full_text()
        r = openapi.import_spec(spec_path, lenient=True)
        dump = json.dumps([e.to_dict() for e in r.endpoints]) + repr(r.warnings) + \
            json.dumps(r.schemas)
        assert "TOPSECRET" not in dump


@pytest.mark.parametrize("schemas", [
    {"A": {"$ref": "#/components/schemas/A"}},
    {"A": {"$ref": "#/components/schemas/B"}, "B": {"$ref": "#/components/schemas/A"}},
])
def test_self_only_refs_are_refused(schemas):
    doc = make_spec({"/a": {"get": op("getA", responses=json_response(
        {"$ref": "#/components/schemas/A"}))}}, components={"schemas": schemas})
    with pytest.raises(SpecRefError) as err:
        openapi.import_spec(text(doc))
    assert_one_sentence(err.value, "#/components/schemas/", "refers only to itself")
    r = openapi.import_spec(text(doc), lenient=True)
    assert [e.id for e in r.endpoints] == ["getA"]
    assert any("refers only to itself" in w for w in r.warnings)


def test_unresolvable_ref():
    doc = make_spec({"/a": {"get": op("getA", parameters=[
        {"$ref": "#/components/parameters/Missing"}])}})
    with pytest.raises(SpecRefError) as err:
        openapi.import_spec(text(doc))
    assert_one_sentence(err.value, "#/components/parameters/Missing", "cannot be resolved")
    r = openapi.import_spec(text(doc), lenient=True)
    assert [e.id for e in r.endpoints] == ["getA"] and r.endpoints[0].params == ()


def test_mutually_recursive_schemas_import():
    schemas = {
        "Person": {"type": "object", "properties": {
            "name": {"type": "string"},
            "employer": {"$ref": "#/components/schemas/Company"}}},
        "Company": {"type": "object", "properties": {
            "staff": {"type": "array", "items": {"$ref": "#/components/schemas/Person"}},
            "parent": {"allOf": [{"$ref": "#/components/schemas/Company"}]}}},
    }
    doc = make_spec({"/p": {"get": op("getPerson", responses=json_response(
        {"$ref": "#/components/schemas/Person"}))}}, components={"schemas": schemas})
    r = openapi.import_spec(text(doc))
    employer = {p.name: p for p in r.endpoints[0].response}["employer"]
    staff, parent = employer.children
    assert staff.recursive == "Person" and parent.recursive == "Company"
    assert r.schemas.keys() == {"Person", "Company"}


def test_deep_schema_is_cut_at_the_param_depth():
    schema = {"type": "string"}
    for i in range(limits.MAX_PARAM_DEPTH + 6):
        schema = {"type": "object", "properties": {f"l{i}": schema}}
    doc = make_spec({"/d": {"get": op("deep", responses=json_response(schema))}})
    r = openapi.import_spec(text(doc))
    depth = max(path.count(".") + 1 for path, _ in r.endpoints[0].response[0].walk())
    assert depth == limits.MAX_PARAM_DEPTH
    assert any("cut at depth" in w for w in r.warnings)


def test_nesting_deeper_than_the_bound_is_refused():
    schema = {"type": "string"}
    for _ in range(limits.MAX_NESTING_DEPTH + 10):
        schema = {"type": "array", "items": schema}
    doc = make_spec({"/d": {"get": op("deep", responses=json_response(schema))}})
    with pytest.raises(SpecParseError) as err:
        openapi.import_spec(text(doc))
    assert_one_sentence(err.value, "nested more than")


def test_alias_bomb_through_import():
    lines = ["openapi: 3.0.3", 'a: &a ["x","x","x","x","x","x","x","x","x","x"]']
    for i in range(1, 10):
        lines.append(f"l{i}: &l{i} [" + ",".join([f"*{'a' if i == 1 else f'l{i - 1}'}"] * 10)
                     + "]")
    with pytest.raises(SpecParseError) as err:
        openapi.import_spec("\n".join(lines) + "\n")
    assert_one_sentence(err.value, "alias bomb")


# --------------------------------------------------------------------------- content


def test_duplicate_operation_ids():
    doc = make_spec({"/a": {"get": op("same")}, "/b": {"get": op("same")}})
    with pytest.raises(SpecContentError) as err:
        openapi.import_spec(text(doc))
    assert_one_sentence(err.value, "'same'", "GET /a", "GET /b")
    r = openapi.import_spec(text(doc), lenient=True)
    assert [e.id for e in r.endpoints] == ["same", "same_2"]
    assert any("'same'" in w for w in r.warnings)


@pytest.mark.parametrize(("path", "words"), [
    ("/a/{id", ["'/a/{id'", "balance the braces"]),
    ("/a/id}", ["'/a/id}'", "balance the braces"]),
    ("/a/../b", ["'/a/../b'", "'..' segment"]),
    ("/a/./b", ["'/a/./b'", "segment"]),
])
def test_bad_path_templates(path, words):
    doc = make_spec({path: {"get": op("bad")}, "/fine": {"get": op("fine")}})
    with pytest.raises(SpecContentError) as err:
        openapi.import_spec(text(doc))
    assert_one_sentence(err.value, *words)
    r = openapi.import_spec(text(doc), lenient=True)
    assert [e.id for e in r.endpoints] == ["fine"]


def test_same_route_with_different_parameter_names():
    # valid OpenAPI (the validator accepts it; Google's specs have many): both are imported,
    # strict or not, and a warning names the two paths (issue 8: nothing dropped silently)
    def path_param(name):
        return [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}]

    doc = make_spec({"/a/{id}": {"get": op("getA", parameters=path_param("id"))},
                     "/a/{name}": {"put": op("putA", parameters=path_param("name"))}})
    r = openapi.import_spec(text(doc))
    assert [e.id for e in r.endpoints] == ["getA", "putA"]
    assert any("'/a/{id}'" in w and "'/a/{name}'" in w and "same route" in w
               for w in r.warnings)


@pytest.mark.parametrize(("path", "param", "words"), [
    ("/a", {"name": "{0.__class__}", "in": "query"}, ["{0.__class__}", "getA"]),
    ("/a", {"name": "Bad Header", "in": "header"}, ["'Bad Header'", "header parameter"]),
    ("/a", {"name": "x\u0001y", "in": "cookie"}, ["cookie parameter", "getA"]),
])
def test_bad_parameter_names(path, param, words):
    param = {**param, "schema": {"type": "string"}}
    doc = make_spec({path: {"get": op("getA", parameters=[param])}})
    with pytest.raises(SpecContentError) as err:
        openapi.import_spec(text(doc))
    assert_one_sentence(err.value, *words)
    r = openapi.import_spec(text(doc), lenient=True)
    assert r.endpoints[0].params == ()
    assert any(repr(param["name"]) in w for w in r.warnings)


def test_bad_path_parameter_name():
    doc = make_spec({"/a/{user+id}": {"get": op("getA", parameters=[
        {"name": "user+id", "in": "path", "required": True, "schema": {"type": "string"}}])}})
    with pytest.raises(SpecContentError) as err:
        openapi.import_spec(text(doc))
    assert_one_sentence(err.value, "'user+id'", "not an identifier")


def test_invalid_operation_ids_are_slugified():
    doc = make_spec({"/a": {"get": op("get a thing!")}, "/b": {"post": op()}})
    r = openapi.import_spec(text(doc))
    assert [e.id for e in r.endpoints] == ["get_a_thing", "post_b"]
    assert r.endpoints[0].name == "get a thing!"


def test_unsupported_methods_are_skipped_with_a_warning():
    doc = make_spec({"/a": {"get": op("getA"), "head": op("headA"), "options": op("optA")}})
    r = openapi.import_spec(text(doc))
    assert [e.id for e in r.endpoints] == ["getA"]
    assert any("2 HEAD/OPTIONS/TRACE operations" in w for w in r.warnings)


def test_lenient_skips_only_what_it_cannot_understand():
    doc = make_spec({
        "/a": {"get": op("getA", parameters=[{"name": "q", "in": "body"}])},
        "/b": {"get": op("getB", parameters=[{"name": "q", "in": "query",
                                              "schema": {"type": "string"}}])},
    })
    with pytest.raises(SpecValidationError):
        openapi.import_spec(text(doc))
    r = openapi.import_spec(text(doc), lenient=True)
    assert [e.id for e in r.endpoints] == ["getA", "getB"]
    assert r.endpoints[0].params == () and r.endpoints[1].param("q").type == "string"
    assert any("skipped parameter 'q' in 'body'" in w for w in r.warnings)


# --------------------------------------------------------------------------- servers, auth


@pytest.mark.parametrize(("url", "expected", "warning"), [
    ("https://api.example.com/v2/", "https://api.example.com/v2", None),
    ("https://{host}/v{n}", "https://h.example.com/v3", None),
    ("/v2", None, "relative"),
    ("http://api.example.com", None, "plain http"),
    ("ftp://api.example.com", None, "ftp:"),
    ("https://{host}/{missing}", None, "without a default"),
])
def test_server_url_becomes_base_url(url, expected, warning):
    servers = [{"url": url, "variables": {"host": {"default": "h.example.com"},
                                          "n": {"default": "3"}}}]
    r = openapi.import_spec(text(make_spec({"/a": {"get": op("a")}}, servers=servers)))
    assert r.base_url == expected
    if warning:
        assert any(warning in w for w in r.warnings), r.warnings


def test_relative_server_resolved_against_the_source_url(serve_app):
    doc = text(make_spec({"/a": {"get": op("a")}}, servers=[{"url": "/api/v2"}]))

    async def spec(request):
        return PlainTextResponse(doc, media_type="application/json")

    server = serve_app(Starlette(routes=[Route("/specs/openapi.json", spec)]), tls=True)
    r = openapi.import_spec(server.url + "/specs/openapi.json",
                            verify=server.client_ssl_context())
    assert r.base_url == server.url + "/api/v2"
    assert r.origin == server.url + "/specs/openapi.json"


def oauth_doc(security_global=None, flows=None):
    flows = flows or {"authorizationCode": {
        "authorizationUrl": "https://auth.example.com/authorize",
        "tokenUrl": "https://auth.example.com/token",
        "scopes": {"read": "r", "write": "w", "admin": "a"}}}
    doc = make_spec({
        "/r": {"get": op("read", security=[{"oauth": ["read"]}])},
        "/w": {"post": op("write", security=[{"oauth": ["read", "write"]}])},
        "/open": {"get": op("open", security=[])},
    }, components={"securitySchemes": {
        "oauth": {"type": "oauth2", "flows": flows},
        "bearer": {"type": "http", "scheme": "bearer"},
        "key": {"type": "apiKey", "name": "api_key", "in": "query"}}})
    if security_global is not None:
        doc["security"] = security_global
    return doc


def test_oauth2_scopes_follow_the_selection():
    r = openapi.import_spec(text(oauth_doc()))
    assert r.auth == OAuth2Code(authorization_url="https://auth.example.com/authorize",
                                token_url="https://auth.example.com/token",
                                scope="read write")
    r = openapi.import_spec(text(oauth_doc()), include="^/r$")
    assert r.auth.scope == "read"
    r = openapi.import_spec(text(oauth_doc()), include="^/open$")
    assert isinstance(r.auth, OAuth2Code) and r.auth.scope is None


def test_global_security_is_preferred():
    r = openapi.import_spec(text(oauth_doc([{"key": []}])))
    assert r.auth == ApiKeyAuth(key="api_key", add_to="query")
    r = openapi.import_spec(text(oauth_doc([{"bearer": []}])))
    assert r.auth == BearerAuth()


def test_bad_oauth_urls_are_skipped_with_a_warning():
    flows = {"clientCredentials": {"tokenUrl": "/oauth/token", "scopes": {}},
             "password": {"tokenUrl": "http://auth.example.com/token", "scopes": {}}}
    r = openapi.import_spec(text(oauth_doc(flows=flows)))
    assert r.auth == BearerAuth()
    assert any("clientCredentials" in w and "relative" in w for w in r.warnings)
    assert any("password" in w and "plain http" in w for w in r.warnings)


def test_implicit_flow_is_a_warning():
    flows = {"implicit": {"authorizationUrl": "https://a.example.com/auth", "scopes": {}}}
    r = openapi.import_spec(text(oauth_doc(flows=flows)))
    assert r.auth == BearerAuth()
    assert any("implicit" in w for w in r.warnings)


# --------------------------------------------------------------------------- unchanged


BAD_INPUTS = {
    "swagger": text({"swagger": "2.0", "info": {}, "paths": {}}),
    "version": text(make_spec({}, version="3.2.0")),
    "invalid": text(invalid_spec()),
    "limit": text(big_spec()),
    "remote-ref": text(remote_ref_spec("https://example.com/x.json")),
    "self-ref": text(make_spec({"/a": {"get": op("a", responses=json_response(
        {"$ref": "#/components/schemas/A"}))}},
        components={"schemas": {"A": {"$ref": "#/components/schemas/A"}}})),
    "duplicate-ids": text(make_spec({"/a": {"get": op("x")}, "/b": {"get": op("x")}})),
    "bad-path": text(make_spec({"/a/{x": {"get": op("x")}})),
    "duplicate-yaml-key": "openapi: 3.0.3\npaths: {}\npaths: {}\n",
    "python-tag": "openapi: !!python/object/apply:os.getcwd []\n",
    "bad-utf8": b"openapi: '3.0.3'\ninfo: {title: \xff}\n",
    "not-a-spec": "hello",
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_input_leaves_the_connector_unchanged(name, specs_dir):
    c = Connector("pets")
    c.import_spec(specs_dir / "petstore-3.0.yaml", tags=["store"])
    before = c.to_dict()
    with pytest.raises(NbConnectError) as err:
        c.import_spec(BAD_INPUTS[name], overwrite=True)
    assert_one_sentence(err.value)
    assert c.to_dict() == before


def test_loaded_document_can_be_imported_directly(specs_dir):
    loaded = specio.load_document(specs_dir / "files-3.1.json")
    r = openapi.import_document(loaded.document, tags=["search"])
    assert [e.id for e in r.endpoints] == ["search"]
    assert "ImportResult(title='Files', endpoints=1" in repr(r)
