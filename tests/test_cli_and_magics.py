"""One verb table, two faces: each scenario runs through ``nbconnect VERB PKG ARGS`` and through
``%connect VERB ARGS`` (the ``face`` fixture of conftest), with the same flags, defaults,
validation and messages.

Here are the scenarios that used to be written twice (tests/test_cli_auth.py and
tests/test_magics_auth.py: auth types, auth errors, connections), the check that every verb
of the table exists in both faces with the same flags, and one test per defect the table
fixed (help for an action, "did you mean", unknown flags named, ``--tag a,b``, one ``--zip``
rule, the verbs the CLI lacked: ``base-url``, ``endpoint``, ``new --demo``, ``show ENDPOINT``,
``test-values``).
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pytest

import nbconnect
from nbconnect.model import (
    ApiKeyAuth,
    BasicAuth,
    BearerAuth,
    Connection,
    Connector,
    Endpoint,
    JwtAuth,
    OAuth2ClientCredentials,
    OAuth2Code,
    OAuth2Password,
)
from nbconnect.verbs import table
from nbconnect.verbs.help import help_listing

SENTINEL = "s3ntinel-Faces7YtR2mQ9-do-not-leak"

SPEC = {
    "openapi": "3.0.3",
    "info": {"title": "Pet Shop", "version": "2.0"},
    "servers": [{"url": "https://pets.example.com/api"}],
    "paths": {
        "/pets": {
            "get": {"operationId": "listPets", "summary": "List pets", "tags": ["pets"],
                    "responses": {"200": {"description": "ok"}}},
        },
        "/stores/{storeId}": {
            "get": {"operationId": "getStore", "summary": "Get a store", "tags": ["stores"],
                    "parameters": [{"name": "storeId", "in": "path", "required": True,
                                    "schema": {"type": "string"}}],
                    "responses": {"200": {"description": "ok"}}},
        },
        "/owners": {
            "get": {"operationId": "listOwners", "summary": "List owners", "tags": ["owners"],
                    "responses": {"200": {"description": "ok"}}},
        },
    },
}


def shop() -> Connector:
    return Connector("shop", base_url="https://shop.example.com/v1")


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    path = tmp_path / "petshop.json"
    path.write_text(json.dumps(SPEC), encoding="utf-8")
    return path


def snapshot(face) -> object:
    """What must not change after a refused command: the package bytes (CLI) or the
    connector's data (magic)."""
    if face.name == "cli":
        return {str(p.relative_to(face.package)): p.read_bytes()
                for p in sorted(face.package.rglob("*")) if p.is_file()}
    return face.connector.to_dict()


# --------------------------------------------------------------------------- the table


def test_every_verb_exists_in_both_faces_with_the_same_flags() -> None:
    verbs = table.verbs()
    names = {v.name for v in verbs}
    for expected in ("new", "import", "base-url", "auth", "connection add", "connection list",
                     "connection remove", "connection default", "connection login",
                     "endpoint add", "endpoint remove", "endpoint show", "endpoints", "test",
                     "test-values set", "test-values show", "test-values clear", "mock",
                     "export", "load", "show", "validate", "help"):
        assert expected in names
    for verb in verbs:
        flags = {}
        for face in table.FACES:
            assert table.find_verb(list(verb.words), face)[0] is verb
            parser = table.build_parser(verb, face)
            opts = {s for a in parser._actions for s in a.option_strings} - {"-h", "--help"}
            if face == "cli" and verb.package == "output":
                opts -= {"-o", "--output"}  # the CLI's way to name the package
            flags[face] = opts
        assert flags["cli"] == flags["magic"] == set(table.flags_of(verb)), verb.name
    cli_help = help_listing("cli")
    magic_help = help_listing("magic")
    for verb in verbs:
        assert f"  {verb.name} " in cli_help
        assert f"  {verb.words[0]} " in magic_help


@pytest.mark.parametrize("verb", [v.name for v in table.verbs()])
def test_each_verb_has_help_in_both_faces(face, verb) -> None:
    done = face.run(f"help {verb}")
    assert done.code == 0, done.err
    for flag in table.flags_of(table.find_verb(verb.split())[0]):
        assert flag in done.out


# --------------------------------------------------------------------------- help and errors


def test_help_for_one_action_and_for_a_family(face) -> None:
    done = face.run("help connection add")
    assert done.code == 0, done.err
    assert "--secret FIELD=REF" in done.out and "--set FIELD=VALUE" in done.out
    done = face.run("help connection")
    assert done.code == 0, done.err
    for action in ("add", "list", "remove", "default", "login"):
        assert f"  {action} " in done.out


def test_a_mistyped_verb_gets_did_you_mean(face) -> None:
    done = face.run("conection list")
    assert done.code == 2
    assert "Unknown verb 'conection' (did you mean connection?)" in done.error
    done = face.run("connection lst")
    assert done.code == 2 and "did you mean list?" in done.error


def test_an_unknown_flag_is_named_but_never_a_value(face) -> None:
    face.start(shop())
    done = face.run(f"connection list --colour {SENTINEL}")
    assert done.code == 2
    assert "--colour" in done.error and SENTINEL not in done.out + done.err
    done = face.run(f"test --bogus={SENTINEL}")
    assert done.code == 2
    assert "--bogus" in done.error and SENTINEL not in done.out + done.err


def test_tags_split_at_commas_in_both_faces(face, spec) -> None:
    done = face.run(f"import {spec} --tag pets,stores")
    assert done.code == 0, done.err
    assert [ep.id for ep in done.connector.endpoints] == ["listPets", "getStore"]
    done = face.run("endpoints --tag stores,owners")
    assert done.code == 0, done.err
    shown = done.out if face.name == "cli" else repr(done.result)
    assert "getStore" in shown and "listPets" not in shown


def _sentence(line: str) -> str:
    """An error line without the face's own parts (verb prefix, help pointer)."""
    text = line.split(": ", 1)[1] if line.startswith("%connect ") else line
    return text.split("; see ", 1)[0]


def test_include_is_checked_the_same_in_both_faces(spec, ip, capsys, tmp_path) -> None:
    from IPython.utils.capture import capture_output

    from nbconnect.cli import main

    code = main(["import", str(spec), "--include", "(", "-o", str(tmp_path / "p")])
    cli_line = capsys.readouterr().err.splitlines()[0].removeprefix("nbconnect: error: ")
    assert code == 2 and not (tmp_path / "p").exists()
    with capture_output() as cap:
        ip.run_cell(f"%connect import {spec} --include '('")
    magic_line = cap.stderr.splitlines()[0].removeprefix("UsageError: ")
    assert "not a valid regular expression" in cli_line
    assert _sentence(cli_line) == _sentence(magic_line)


# ------------------------------------------------------------------ the verbs the CLI lacked


def test_base_url(face) -> None:
    face.start(shop())
    done = face.run("base-url https://api.example.com/v2")
    assert done.code == 0, done.err
    assert done.connector.base_url == "https://api.example.com/v2"
    before = snapshot(face)
    done = face.run("base-url http://api.example.com/v2")
    assert done.code == 2 and "plain http" in done.error
    assert snapshot(face) == before


def test_endpoint_add_show_remove(face) -> None:
    face.start(shop())
    done = face.run("endpoint add GET /users/:id --name 'Get user'")
    assert done.code == 0, done.err
    assert [ep.path for ep in done.connector.endpoints] == ["/users/{id}"]
    done = face.run("endpoint show get_user")
    assert done.code == 0, done.err
    if face.name == "cli":
        assert "GET /users/{id}" in done.out and "path  id" in done.out
    else:
        assert isinstance(done.result, Endpoint) and done.result.id == "get_user"
    done = face.run("show get_usr")
    assert done.code == 2 and "did you mean get_user?" in done.error
    done = face.run("endpoint add GET /x")
    assert done.code == 2 and "required: --name" in done.error
    done = face.run("endpoint remove get_user")
    assert done.code == 0, done.err
    assert done.connector.endpoints == ()


def test_endpoint_from_yaml(face) -> None:
    face.start(shop())
    body = ("method: POST\npath: /orders\nname: Order\n"
            "body:\n  - {name: item, required: true}\n")
    done = face.run("endpoint", cell=body) if face.name == "magic" else \
        face.run("endpoint add", cell=body)
    assert done.code == 0, done.err
    (ep,) = done.connector.endpoints
    assert (ep.method, ep.path, ep.body[0].name) == ("POST", "/orders", "item")


def test_new_demo_writes_a_new_package(face) -> None:
    done = face.run("new demo --demo")
    assert done.code == 0, done.err
    c = done.connector
    assert c.name == "demo" and len(c.endpoints) == 12 and c.auth is not None
    if face.name == "cli":
        assert done.out.strip().endswith(f"-> {face.package}")
        again = face.run("new other")
        assert again.code == 2 and "already holds" in again.error


def test_show_connector_and_endpoint(face) -> None:
    c = shop()
    c.add_endpoint("GET", "/users/:id", name="Get user")
    face.start(c)
    done = face.run("show")
    assert done.code == 0, done.err
    if face.name == "cli":
        assert "connector: shop" in done.out and "get_user" in done.out
    else:
        assert done.result == c
    done = face.run("show get_user --json")
    assert done.code == 0, done.err
    assert json.loads(done.out)["path"] == "/users/{id}"


def test_export_zip_rule_is_the_same_in_both_faces(face, tmp_path) -> None:
    face.start(shop())
    done = face.run(f"export {tmp_path / 'out'} --zip")
    assert done.code == 0, done.err
    assert zipfile.is_zipfile(tmp_path / "out.zip")
    assert not (tmp_path / "out").exists()
    done = face.run(f"export {tmp_path / 'plain.zip'}")  # the suffix alone means a zip
    assert done.code == 0, done.err
    assert zipfile.is_zipfile(tmp_path / "plain.zip")
    assert nbconnect.load(tmp_path / "plain.zip").name == "shop"
    done = face.run(f"export {tmp_path / 'dir'}")
    assert done.code == 0 and (tmp_path / "dir" / "connector.yaml").is_file()


def test_test_values_set_show_clear(face) -> None:
    c = shop()
    c.add_endpoint("GET", "/users/:userId", name="Get user")
    face.start(c)
    done = face.run("test-values set get_user --param userId=u_ada --param limit=7")
    assert done.code == 2 and "no parameter 'limit'" in done.error
    done = face.run("test-values set get_user --param userId=u_ada")
    assert done.code == 0, done.err
    assert done.connector.test_values == {"get_user": {"userId": "u_ada"}}
    done = face.run("test-values show")
    assert done.code == 0, done.err
    if face.name == "cli":
        assert "get_user" in done.out and "u_ada" in done.out
    else:
        assert done.result == {"get_user": {"userId": "u_ada"}}
    done = face.run("test-values clear get_user")
    assert done.code == 0, done.err
    assert done.connector.test_values == {}


def test_saved_test_values_make_a_test_pass(face, demo_on_a_mock) -> None:
    face.start(demo_on_a_mock)
    done = face.run("test get_user")
    if face.name == "cli":
        assert done.code == 1 and "missing required parameter userId" in done.out
    else:
        assert done.result.failed == 1
    assert face.run("test-values set get_user --param userId=u_ada").code == 0
    done = face.run("test get_user --json")
    assert done.code == 0, done.out + done.err
    assert json.loads(done.out)["passed"] == 1


# ------------------------------------------------------------------ auth (was twice)


@pytest.mark.parametrize(("line", "expected"), [
    ("api-key --key X-Key --add-to query", ApiKeyAuth(key="X-Key", add_to="query")),
    ("api-key --key=session --add-to=cookie", ApiKeyAuth(key="session", add_to="cookie")),
    ("api-key --key X-App-Key --extra-keys X-App-Id,app_key:query",
     ApiKeyAuth(key="X-App-Key", extra_keys=(("X-App-Id", "header"), ("app_key", "query")))),
    ("basic", BasicAuth()),
    ("bearer", BearerAuth()),
    ("jwt --algorithm RS256 --add-to query --query-name jwt "
     "--payload '{\"sub\": \"ada\", \"exp\": \"+300s\"}'",
     JwtAuth(algorithm="RS256", add_to="query", query_name="jwt",
             payload={"sub": "ada", "exp": "+300s"})),
    ("jwt --algorithm EdDSA --header-name X-JWT "
     "--payload '{\"sub\": \"ci\", \"iat\": \"now\", \"exp\": \"+60s\", \"jti\": \"random\"}'",
     JwtAuth(algorithm="EdDSA", header_name="X-JWT",
             payload={"sub": "ci", "iat": "now", "exp": "+60s", "jti": "random"})),
    ("jwt --header-name X-JWT", JwtAuth(header_name="X-JWT")),
    ("oauth2-client-credentials --token-url https://auth.example.com/token --client-id app "
     "--scope 'read write' --client-auth basic-form-encoded",
     OAuth2ClientCredentials(token_url="https://auth.example.com/token", client_id="app",
                             scope="read write", client_auth="basic-form-encoded")),
    ("oauth2-client-credentials --token-url https://auth.example.com/token --scope read "
     "--client-auth body",
     OAuth2ClientCredentials(token_url="https://auth.example.com/token", scope="read",
                             client_auth="body")),
    ("oauth2-password --token-url http://127.0.0.1:9/token --client-auth body "
     "--refresh-url https://auth.example.com/refresh",
     OAuth2Password(token_url="http://127.0.0.1:9/token", client_auth="body",
                    refresh_url="https://auth.example.com/refresh")),
    ("oauth2-password --token-url=https://auth.example.com/token --client-id=cli",
     OAuth2Password(token_url="https://auth.example.com/token", client_id="cli")),
    ("oauth2-code --token-url https://a.example.com/token --authorization-url "
     "https://a.example.com/authorize --redirect-url http://127.0.0.1:8765/callback "
     "--identity-endpoint /me --identity-param email --client-id web",
     OAuth2Code(token_url="https://a.example.com/token",
                authorization_url="https://a.example.com/authorize",
                redirect_url="http://127.0.0.1:8765/callback", identity_endpoint="/me",
                identity_param="email", client_id="web")),
])
def test_auth_sets_each_type(face, line, expected) -> None:
    face.start(shop())
    done = face.run(f"auth {line}")
    assert done.code == 0, done.err
    assert done.connector.auth == expected
    assert done.connector.base_url == "https://shop.example.com/v1"
    if face.name == "cli":
        assert done.err == ""
        assert done.out.startswith(f"auth of shop: {expected.type}")
        assert done.out.endswith(f"-> {face.package}\n")
    else:
        assert done.result == expected


@pytest.mark.parametrize(("line", "pattern"), [
    ("apikey", r"Unknown auth type 'apikey' \(did you mean api-key\?\); the types are "
               r"api-key, basic, bearer, jwt, oauth2-code"),
    (SENTINEL, r"Unknown auth type \(the word given, not repeated here\)"),
    (f"api-key --value {SENTINEL}", r"--value is a secret.*connection add NAME --secret "
                                    r"value=env:"),
    (f"api-key --value={SENTINEL}", r"--value is a secret"),
    (f"basic --password={SENTINEL}", r"--password is a secret"),
    (f"bearer --token {SENTINEL}", r"--token is a secret"),
    (f"jwt --secret {SENTINEL}", r"--secret is a secret"),
    (f"oauth2-client-credentials --client-secret {SENTINEL}", r"--client-secret is a secret"),
    (f"bearer {SENTINEL}", r"Argument 1 after auth type bearer is not a --FIELD flag"),
    ("api-key --colour red", r"api-key has no field --colour; its fields are --key, --add-to"),
    ("basic --username ada", r"--set username=VALUE"),
    ("api-key --key", r"--key needs a value"),
    ("api-key --key A --key B", r"--key is given twice"),
    ("api-key --add-to body", r"add.to.*'body' is not one of header, query, cookie"),
    ("jwt --algorithm none", r"'none' makes unsigned tokens"),
    ("jwt --algorithm HS256 --payload {", r"is not valid JSON"),
    ("jwt --payload '[1, 2]'", r"must be a JSON object"),
    ("oauth2-client-credentials", r"--token-url"),
    ("oauth2-code --token-url https://a.example.com/t", r"authorization.URL.*"
                                                         r"--authorization-url"),
    ("oauth2-client-credentials --token-url http://auth.example.com/t", r"plain http"),
    ("--key X", r"Give the auth TYPE before its fields"),
    ("--from-spec", r"No spec was imported in this session"),
])
def test_auth_errors_are_one_line_never_echo_and_change_nothing(face, line, pattern) -> None:
    c = shop()
    c.auth = BearerAuth()
    face.start(c)
    before = snapshot(face)
    done = face.run(f"auth {line}")
    assert done.code == 2 and done.out == ""
    assert "Traceback" not in done.err and len(done.err.strip().splitlines()) == 1, done.err
    assert re.search(pattern, done.error), done.error
    assert SENTINEL not in done.err
    assert snapshot(face) == before


# ------------------------------------------------------------------ connections (was twice)


def test_connection_add_list_default_remove(face) -> None:
    c = shop()
    c.auth = BasicAuth()
    face.start(c)
    done = face.run("connection add dev --secret password=env:SHOP_PW --set username=ada")
    assert done.code == 0, done.err
    dev = Connection("dev", "https://shop.example.com/v1", secrets={"password": "env:SHOP_PW"},
                     settings={"username": "ada"}, default=True)
    if face.name == "cli":
        assert done.out == f"connection dev (default) added to shop -> {face.package}\n"
    else:
        assert done.result == dev
    done = face.run("connection add prod --base-url http://127.0.0.1:8080 "
                    "--secret password=keyring:shop-prod --set username=bob")
    assert done.code == 0, done.err
    prod = Connection("prod", "http://127.0.0.1:8080",
                      secrets={"password": "keyring:shop-prod"}, settings={"username": "bob"})
    assert done.connector.connections == (dev, prod)
    done = face.run("connection list")
    text = done.out if face.name == "cli" else repr(done.result)
    assert "password=env:SHOP_PW" in text and "username=bob" in text
    done = face.run("connection list --json")
    assert [x["name"] for x in json.loads(done.out)] == ["dev", "prod"]
    assert face.run("connection default prod").code == 0
    assert [x.default for x in face.connector.connections] == [False, True]
    done = face.run("connection remove prod")
    assert done.code == 0, done.err
    assert [(x.name, x.default) for x in done.connector.connections] == [("dev", True)]
    done = face.run("connection remove prod")
    assert done.code == 2 and re.search(r"no connection 'prod'.*dev", done.error)


@pytest.mark.parametrize(("args", "pattern"), [
    (f"dev --secret password={SENTINEL}", r"'password' of connection 'dev' was given as a "
                                          r"value.*--secret password=env:DEV_PASSWORD"),
    (f"dev --secret {SENTINEL}", r"not FIELD=VALUE"),
    (f"dev --secret password {SENTINEL}", r"Argument 3 after connection dev is not a --FIELD"),
    (f"--secret password={SENTINEL}", r"needs a name first"),
    (f"dev --password {SENTINEL}", r"--password is not an option of connection add"),
    (f"dev --password={SENTINEL}", r"--password is not an option"),
    (f"dev --set password={SENTINEL}", r"password is a secret, so --set cannot carry it"),
    (f"dev {SENTINEL}", r"Argument 1 after connection dev is not a --FIELD flag"),
    ("dev --secret token=env:X --set username=ada", r"no secret field 'token'.*password"),
    ("dev --secret password=env:X", r"needs --set username=VALUE for auth type basic"),
    ("dev --set username=ada", r"needs --secret password=REF"),
    ("dev --secret password=env:1X --set username=a", r"malformed env: reference"),
    ("dev --secret password=keyring: --set username=a", r"malformed keyring:"),
    ("dev --secret password=env:X --set colour=red --set username=a",
     r"no connection setting 'colour'"),
    ("dev --base-url http://shop.example.com --secret password=env:X --set username=a",
     r"plain http"),
    ("dev --base-url ftp://x.example.com --secret password=env:X --set username=a", r"ftp"),
    ("dev --secret password=env:X --set username=a --default yes", r"--default takes no value"),
    ("taken --secret password=env:X --set username=a", r"already has a connection 'taken'"),
    ("'bad name' --secret password=env:X --set username=a", r"Connection name 'bad name'"),
])
def test_connection_add_errors_change_nothing_and_never_echo(face, args, pattern) -> None:
    c = shop()
    c.auth = BasicAuth()
    c.connections = (Connection("taken", "https://shop.example.com/v1",
                                secrets={"password": "env:T"}, settings={"username": "t"},
                                default=True),)
    face.start(c)
    before = snapshot(face)
    done = face.run(f"connection add {args}")
    assert done.code == 2 and done.out == ""
    assert re.search(pattern, done.error), done.error
    assert SENTINEL not in done.err
    assert snapshot(face) == before


@pytest.mark.parametrize(("line", "pattern"), [
    (f"connection {SENTINEL}", r"invalid choice"),
    (f"connection list {SENTINEL}", r"unrecognized arguments"),
    ("connection remove nope", r"no connections"),
    ("connection default nope", r"no connections"),
    ("connection add dev", r"needs a base URL; add --base-url URL"),
])
def test_other_connection_errors(face, line, pattern) -> None:
    face.start(Connector("shop"))
    before = snapshot(face)
    done = face.run(line)
    assert done.code == 2 and re.search(pattern, done.error), done.error
    assert SENTINEL not in done.err
    assert snapshot(face) == before



# ------------------------------------------------------------------ import (was twice)

TINY = {
    "openapi": "3.0.3",
    "info": {"title": "Tiny API", "version": "1.0"},
    "servers": [{"url": "https://api.tiny.example/v1"}],
    "paths": {
        "/pets": {
            "get": {"operationId": "listPets", "tags": ["pets"],
                    "responses": {"200": {"description": "ok"}}},
            "post": {"operationId": "createPet", "tags": ["pets"],
                     "responses": {"201": {"description": "created"}}},
        },
        "/pets/{petId}": {
            "get": {"operationId": "getPet", "tags": ["pets"],
                    "parameters": [{"name": "petId", "in": "path", "required": True,
                                    "schema": {"type": "integer"}}],
                    "responses": {"200": {"description": "ok"}}},
        },
        "/stores": {
            "get": {"operationId": "listStores", "tags": ["stores"],
                    "responses": {"200": {"description": "ok"}}},
        },
    },
}


@pytest.mark.parametrize(("options", "ids"), [
    ("--tag stores", ["listStores"]),
    ("--tag pets --tag stores", ["listPets", "createPet", "getPet", "listStores"]),
    ("--tag pets --exclude '^createPet$'", ["listPets", "getPet"]),
    ("--include '^/stores'", ["listStores"]),
    ("--include /stores", ["listStores"]),
    ("--exclude 'Pets?$'", ["listStores"]),
])
def test_import_selection(face, tmp_path, options, ids) -> None:
    spec = tmp_path / "tiny.json"
    spec.write_text(json.dumps(TINY))
    done = face.run(f"import {spec} {options}")
    assert done.code == 0, done.err
    assert [ep.id for ep in done.connector.endpoints] == ids
    assert done.connector.name == "tiny-api"  # named from the spec's title in both faces
    assert done.connector.base_url == "https://api.tiny.example/v1"
    if face.name == "cli":
        n = len(ids)
        of = " (of 4 operations)" if n != 4 else ""
        assert done.out == f"{n} endpoint{'s' if n != 1 else ''}{of} from Tiny API -> " \
                           f"{face.package}\n"
    else:
        assert [ep.id for ep in done.result.endpoints] == ids


def test_import_name_and_overwrite(face, tmp_path) -> None:
    spec = tmp_path / "tiny.json"
    spec.write_text(json.dumps(TINY))
    assert face.run(f"import {spec} --tag pets --name 'my pets'").code == 0
    assert face.connector.name == "my pets"
    if face.name == "magic":
        face.session.settings.confirm_overwrite = False  # the CLI never asks
    before = snapshot(face)
    done = face.run(f"import {spec} --tag stores")
    assert done.code == 2
    assert re.search(r"already has 3 endpoints.*\(--overwrite\)", done.error), done.error
    assert snapshot(face) == before
    done = face.run(f"import {spec} --tag stores --overwrite")
    assert done.code == 0, done.err
    assert [ep.id for ep in done.connector.endpoints] == ["listStores"]
    assert done.connector.name == "my pets"  # the connector's own settings survive


@pytest.mark.parametrize(("text", "pattern"), [
    ("swagger: '2.0'\ninfo: {title: x, version: '1'}\npaths: {}\n", r"(?i)swagger 2\.0.*3\."),
    ("just some words\n", r"(?i)openapi|spec"),
    ("", r"."),
    ("{not json", r"."),
    ("[1, 2, 3]", r"."),
    ("<html><body>hi</body></html>", r"."),
])
def test_bad_specs_are_one_line_and_write_nothing(face, tmp_path, text, pattern) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text(text, encoding="utf-8")
    done = face.run(f"import {spec}")
    assert done.code == 2 and re.search(pattern, done.error), done.error
    assert "Traceback" not in done.err
    assert done.connector is None  # no package written, no connector made
    done = face.run("import missing-spec.yaml")
    assert done.code == 2 and "missing-spec.yaml" in done.error


def test_strict_and_lenient(face, tmp_path) -> None:
    bad = json.loads(json.dumps(TINY))
    del bad["paths"]["/pets"]["get"]["responses"]
    spec = tmp_path / "invalid.json"
    spec.write_text(json.dumps(bad), encoding="utf-8")
    done = face.run(f"import {spec}")
    assert done.code == 2 and "--lenient" in done.error
    lines = done.err.splitlines()
    assert len(lines) >= 2 and all(line.startswith("  ") for line in lines[1:])  # details
    assert done.connector is None
    done = face.run(f"import {spec} --lenient")
    assert done.code == 0, done.err
    assert "listStores" in [ep.id for ep in done.connector.endpoints]
    if face.name == "cli":  # the warnings, on stderr
        assert done.err and all(x.startswith("nbconnect: warning: ") for x in done.err.splitlines())
    else:
        assert done.result.warnings


# ------------------------------------------------------------------ test (was twice)


@pytest.fixture
def demo_on_a_mock(monkeypatch):
    """The demo connector (plus a hand-made get_user) with a default connection 'mock' to a
    running mock API."""
    from nbconnect.mock.server import MockServer
    from nbconnect.verbs.connection import add_connection
    from nbconnect.verbs.grammar import make_connection

    key = "s3ntinel-faces-mock-key"
    monkeypatch.setenv("FACES_KEY", key)
    c = Connector("demo")
    c.import_spec(nbconnect.demo_spec_path())
    c.add_endpoint("GET", "/users/:userId", name="Get user")  # no example, no default
    with MockServer(c, credentials={"api-key": key}) as mock:
        add_connection(c, make_connection("mock", base_url=mock.url,
                                          secrets={"value": "env:FACES_KEY"}, auth=c.auth))
        yield c


@pytest.mark.parametrize(("args", "pattern"), [
    ("--endpoint nope", r"No endpoint 'nope'"),
    ("nope", r"No endpoint 'nope'"),
    ("--param taskId", r"not NAME=VALUE"),
    ("getTask --param taskid=1", r"no parameter 'taskid'; did you mean taskId"),
    ("getTask --param taskId", r"not NAME=VALUE"),
    ("getTask --all", r"not both"),
    ("--record --replay", r"--record or --replay, not both"),
    ("--all --record --replay", r"--record or --replay, not both"),
    ("--concurrency 0", r"at least 1"),
    ("--all --concurrency 0", r"at least 1"),
    ("--connection nope", r"no connection 'nope'"),
])
def test_test_bad_input_is_one_line_and_changes_nothing(face, demo_on_a_mock, args,
                                                        pattern) -> None:
    face.start(demo_on_a_mock)
    before = snapshot(face)
    done = face.run(f"test {args}")
    assert done.code == 2 and done.out == "", done.out
    assert re.search(pattern, done.error), done.error
    assert "Traceback" not in done.err
    assert snapshot(face) == before


def test_test_with_params_and_json(face, demo_on_a_mock) -> None:
    face.start(demo_on_a_mock)
    done = face.run("test getTask --param taskId=7 --json")
    assert done.code == 0, done.out + done.err
    data = json.loads(done.out)
    assert set(data) == {"connector", "connection", "passed", "failed", "results"}
    (result,) = data["results"]
    assert (result["endpoint_id"], result["ok"], result["status"]) == ("getTask", True, 200)
    done = face.run("test getTask --param taskId=abc")  # not an integer: the mock says 400
    assert done.code == (1 if face.name == "cli" else 0)
    report_text = done.out if face.name == "cli" else done.result.text()
    assert "400" in report_text


def test_connection_of_an_api_key_auth_with_extra_keys(face) -> None:
    face.start(shop())
    assert face.run("auth api-key --key X-App-Key --extra-keys X-App-Id").code == 0
    done = face.run("connection add dev --secret value=env:APP_KEY")
    assert done.code == 2 and "needs --secret value-2=REF" in done.error
    done = face.run("connection add dev --secret value=env:APP_KEY --secret value-2=env:APP_ID")
    assert done.code == 0, done.err
    (conn,) = done.connector.connections
    assert dict(conn.secrets) == {"value": "env:APP_KEY", "value_2": "env:APP_ID"}


def test_test_generate_fills_a_required_parameter_that_has_no_value(face,
                                                                    demo_on_a_mock) -> None:
    """``--generate``: get-user's userId has no value anywhere (no default, example or test
    value); without it the test fails saying so, with it a value from the schema is sent."""
    face.start(demo_on_a_mock)
    done = face.run("test get_user --json")
    (result,) = json.loads(done.out)["results"]
    assert not result["ok"] and "missing required parameter userId" in result["reason"]
    done = face.run("test get_user --generate --json")
    (result,) = json.loads(done.out)["results"]
    assert result["ok"], result
    assert done.connector.test_values == demo_on_a_mock.test_values  # nothing saved
