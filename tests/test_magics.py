"""The notebook face: ``%connect`` magics, ``%config NbConnect``, display and the
overwrite confirmation, driven through a real IPython shell. The scenarios shared with the
CLI (import selection, bad specs, strict/lenient, ...) are in tests/test_cli_and_magics.py,
run through both faces."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest
from IPython.core.error import UsageError
from IPython.utils.capture import capture_output

import nbconnect
from nbconnect import limits
from nbconnect.model import Connector, Endpoint
from nbconnect.notebook import magics as magics_mod
from nbconnect.notebook.config import NbConnect
from nbconnect.notebook.display import EndpointTable
from nbconnect.notebook.widgets import OverwriteConfirmation

SMALL_SPEC = {
    "openapi": "3.0.3",
    "info": {"title": "Pet Shop", "version": "2.0"},
    "servers": [{"url": "https://pets.example.com/api"}],
    "paths": {
        "/pets": {
            "get": {"operationId": "listPets", "summary": "List pets", "tags": ["pets"],
                    "responses": {"200": {"description": "ok"}}},
            "post": {"operationId": "createPet", "summary": "Create a pet", "tags": ["pets"],
                     "responses": {"201": {"description": "made"}}},
        },
        "/stores/{storeId}": {
            "get": {"operationId": "getStore", "summary": "Get a store", "tags": ["stores"],
                    "parameters": [{"name": "storeId", "in": "path", "required": True,
                                    "schema": {"type": "string"}}],
                    "responses": {"200": {"description": "ok"}}},
        },
    },
}


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def small_spec(tmp_path) -> Path:
    path = tmp_path / "petshop.json"
    path.write_text(json.dumps(SMALL_SPEC), encoding="utf-8")
    return path


def run(ip, cell: str):
    """Run a cell as a user would; return (result, stdout, stderr)."""
    with capture_output() as cap:
        result = ip.run_cell(cell)
    return result, cap.stdout, cap.stderr


def assert_one_line_error(ip, cell: str, pattern: str) -> str:
    result, out, err = run(ip, cell)
    assert type(result.error_in_exec) is UsageError
    text = out + err
    assert "Traceback" not in text
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("UsageError: ")
    assert re.search(pattern, lines[0]), lines[0]
    return lines[0]


def current(ip) -> Connector | None:
    return magics_mod.current_connector(ip)


# --------------------------------------------------------------------------- extension


def test_load_ext_stays_light():
    import subprocess
    import sys

    code = textwrap.dedent("""
        import json, sys
        from IPython.core.interactiveshell import InteractiveShell
        from traitlets.config import Config
        cfg = Config()
        cfg.HistoryManager.hist_file = ":memory:"
        ip = InteractiveShell.instance(config=cfg)
        ip.run_line_magic("load_ext", "nbconnect")
        ip.run_line_magic("connect", "new x")
        print(json.dumps(sorted(sys.modules)))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    loaded = set(json.loads(out.stdout.splitlines()[-1]))
    assert "nbconnect.notebook.magics" in loaded
    heavy = {"ipywidgets", "yaml", "openapi_spec_validator", "httpx2", "nbconnect.spec.importer",
             "nbconnect.package.format", "jsonschema"}
    assert not heavy & loaded


def test_loading_twice_registers_once(ip):
    nbconnect.load_ipython_extension(ip)
    nbconnect.load_ipython_extension(ip)
    mine = [c for c in ip.configurables if isinstance(c, NbConnect)]
    assert len(mine) == 1
    magic = ip.magics_manager.magics["line"]["connect"]
    assert magic.__self__ is ip.magics_manager.registry["ConnectMagics"]
    assert ip.magics_manager.magics["cell"]["connect"].__self__ is magic.__self__
    # %load_ext on top of it is still one registration and one session
    run(ip, "%connect new first")
    run(ip, "%load_ext nbconnect")
    assert current(ip).name == "first"


def test_unload_removes_everything(shell):
    nbconnect.load_ipython_extension(shell)
    html = shell.display_formatter.formatters["text/html"]
    # registered where the class lives (the check below would pass vacuously otherwise)
    assert (Connector.__module__, "Connector") in html.deferred_printers \
        or Connector in html.type_printers
    nbconnect.unload_ipython_extension(shell)
    assert "connect" not in shell.magics_manager.magics["line"]
    assert "connect" not in shell.magics_manager.magics["cell"]
    assert not [c for c in shell.configurables if isinstance(c, NbConnect)]
    html = shell.display_formatter.formatters["text/html"]
    assert (Connector.__module__, "Connector") not in html.deferred_printers
    assert Connector not in html.type_printers
    nbconnect.unload_ipython_extension(shell)  # a second unload is harmless


def test_help_lists_every_verb_one_line_each(ip):
    result, out, err = run(ip, "%connect help")
    assert err == ""
    assert result.result is None
    verb_lines = [line.strip() for line in out.splitlines() if line.startswith("  ")]
    for verb in ("help", "new", "import", "base-url", "endpoint add", "endpoints", "export",
                 "load", "show", "%%connect endpoint", "%%connect import"):
        assert sum(line.startswith(verb + " ") or line.startswith(verb + "  ")
                   for line in verb_lines) == 1, verb
    # a bare %connect shows the same list
    assert run(ip, "%connect")[1] == out


def test_help_for_one_verb_shows_its_options(ip):
    _, out, _ = run(ip, "%connect help import")
    assert "--include" in out and "--max-bytes" in out and "--overwrite" in out
    _, out, err = run(ip, "%connect endpoint add --help")
    assert "--description" in out and err == ""


def test_config_lists_and_sets_settings(ip):
    settings = ip.magics_manager.registry["ConnectMagics"].settings
    assert settings.max_spec_bytes == limits.MAX_SPEC_BYTES
    assert settings.url_timeout == limits.SPEC_URL_TIMEOUT
    _, out, _ = run(ip, "%config NbConnect")
    assert "NbConnect.max_spec_bytes" in out and "NbConnect.url_timeout" in out
    run(ip, "%config NbConnect.url_timeout = 2.5")
    assert settings.url_timeout == 2.5


def test_config_refuses_a_bad_value(ip, caplog):
    settings = ip.magics_manager.registry["ConnectMagics"].settings
    run(ip, "%config NbConnect.max_spec_bytes = 0")
    assert "should not be less than 1" in caplog.text
    assert settings.max_spec_bytes == limits.MAX_SPEC_BYTES
    # reloading with the bad value still in the shell's config falls back to defaults
    nbconnect.unload_ipython_extension(ip)
    with capture_output() as cap:
        nbconnect.load_ipython_extension(ip)
    assert "using the defaults" in cap.stdout
    fresh = ip.magics_manager.registry["ConnectMagics"].settings
    assert fresh.max_spec_bytes == limits.MAX_SPEC_BYTES


def test_config_survives_reload(ip):
    run(ip, "%config NbConnect.max_spec_bytes = 1234")
    run(ip, "%reload_ext nbconnect")
    assert ip.magics_manager.registry["ConnectMagics"].settings.max_spec_bytes == 1234


# --------------------------------------------------------------------------- new, base-url


def test_new_makes_the_current_connector(ip):
    c = ip.run_line_magic("connect", "new 'my shop' --base-url https://shop.example.com/v1")
    assert isinstance(c, Connector)
    assert (c.name, c.base_url, c.endpoints) == ("my shop", "https://shop.example.com/v1", ())
    assert current(ip) is c
    other = ip.run_line_magic("connect", "new other")
    assert current(ip) is other and other is not c


def test_base_url_sets_and_returns_the_connector(ip):
    c = ip.run_line_magic("connect", "new shop")
    assert ip.run_line_magic("connect", "base-url http://127.0.0.1:8080/api") is c
    assert c.base_url == "http://127.0.0.1:8080/api"


# --------------------------------------------------------------------------- user errors


def test_bad_base_url_is_one_line_and_changes_nothing(ip):
    c = ip.run_line_magic("connect", "new shop --base-url https://shop.example.com")
    before = c.to_dict()
    assert_one_line_error(ip, "%connect base-url http://shop.example.com",
                          r"plain http to shop\.example\.com")
    assert_one_line_error(ip, "%connect base-url ftp://files.example.com",
                          r"uses ftp:")
    assert c.to_dict() == before


@pytest.mark.parametrize(("cell", "pattern"), [
    ("%connect frobnicate", r"Unknown verb 'frobnicate'"),
    ("%connect endpont add GET /x --name X", r"did you mean endpoint\?"),
    ("%connect endpoints", r"no current connector.*%connect new NAME"),
    ("%connect show", r"no current connector"),
    ("%connect export build/x", r"no current connector"),
    ("%connect new", r"%connect new: the following arguments are required: name"),
    ("%connect new 'unclosed", r"could not be split .*quotes"),
    ("%connect new x --colour red", r"unrecognized arguments: --colour and 1 word, not repeated"),
    ("%%connect show\nbody", r"takes no cell body"),
    ("%connect import spec.yaml --include '('", r"include.*'\(' is not a valid regular"),
    ("%connect import spec.yaml --max-bytes ten", r"--max-bytes: 'ten' is not a size"),
    ("%connect help nothing", r"Unknown verb 'nothing'"),
    ("%connect pull", r"%connect pull: the following arguments are required: endpoint"),
])
def test_usage_errors_print_one_line(ip, cell, pattern):
    assert_one_line_error(ip, cell, pattern)
    assert current(ip) is None


@pytest.mark.parametrize(("cell", "pattern"), [
    ("%connect endpoint add FETCH /x --name X", r"HTTP method 'FETCH' is not supported"),
    ("%connect endpoint add GET /a/{id --name X", r"has a '\{' without its '\}'"),
    ("%connect endpoint add GET /a/../b --name X", r"'\.' or '\.\.' segment"),
    ("%connect endpoint add GET /users/:id --name 'Get user'", r"already has an endpoint"),
    ("%connect endpoint add GET /x", r"required: --name"),
    ("%connect endpoint remove nope", r"No endpoint 'nope' in connector 'shop'"),
    ("%connect endpoint show get_usr", r"did you mean get_user\?"),
    ("%connect show get_usr", r"did you mean get_user\?"),
    ("%connect endpoint", r"required: \{add,edit,remove,show\}"),
    ("%connect endpoint add GET https://elsewhere.example.com/x --name X",
     r"not under the base URL"),
])
def test_endpoint_errors_print_one_line_and_change_nothing(ip, cell, pattern):
    c = ip.run_line_magic("connect", "new shop --base-url https://shop.example.com")
    ip.run_line_magic("connect", "endpoint add GET /users/:id --name 'Get user'")
    before = c.to_dict()
    assert_one_line_error(ip, cell, pattern)
    assert c.to_dict() == before


def test_error_details_follow_the_sentence(ip):
    from nbconnect.errors import SpecValidationError

    # the magic prints an error's detail lines under its sentence, never a traceback
    def boom(session, args):
        raise SpecValidationError("The spec is invalid; fix it or pass --lenient.",
                                  details=["paths./a.get: 'responses' is required",
                                           "info: 'title' is required"])

    import dataclasses

    from nbconnect.verbs import table

    original, _ = table.find_verb(["show"])
    table.register(dataclasses.replace(original, run=boom))
    try:
        result, out, err = run(ip, "%connect show")
    finally:
        table.register(original)
    assert type(result.error_in_exec) is UsageError
    assert "Traceback" not in out + err
    assert err.splitlines() == [
        "UsageError: The spec is invalid; fix it or pass --lenient.",
        "  paths./a.get: 'responses' is required",
        "  info: 'title' is required",
    ]


def test_braces_are_literal_and_dollar_names_expand(ip):
    c = ip.run_line_magic("connect", "new shop")
    ip.user_ns["route"] = "/orders/{orderId}"
    ip.user_ns["title"] = "Get order (v2)"
    result, _, err = run(ip, "%connect endpoint add GET /users/{id} --name 'Get user'")
    assert err == "" and result.result.path == "/users/{id}"
    ep = ip.run_line_magic("connect", "endpoint add GET $route --name \"$title\"")
    assert (ep.path, ep.name) == ("/orders/{orderId}", "Get order (v2)")
    ep = ip.run_line_magic("connect", "endpoint add GET '/price$$' --name '$undefined_name'")
    assert (ep.path, ep.name) == ("/price$", "$undefined_name")
    assert len(c.endpoints) == 3


def test_line_magic_raises_plain_usage_error(ip):
    with pytest.raises(UsageError) as info:
        ip.run_line_magic("connect", "base-url https://x.example.com")
    assert type(info.value) is UsageError
    assert str(info.value).startswith("There is no current connector")


# --------------------------------------------------------------------------- endpoints


def test_endpoint_add_remove_show(ip):
    c = ip.run_line_magic("connect", "new shop --base-url https://shop.example.com/v1")
    ep = ip.run_line_magic(
        "connect", "endpoint add get /users/:userId/orders --name 'List orders' "
                   "--description 'Orders of one user, newest first'")
    assert isinstance(ep, Endpoint)
    assert (ep.id, ep.method, ep.path, ep.name) == (
        "list_orders", "GET", "/users/{userId}/orders", "List orders")
    assert ep.description == "Orders of one user, newest first"
    assert [p.name for p in ep.path_params] == ["userId"]
    assert c.endpoints == (ep,)
    full = ip.run_line_magic(
        "connect", "endpoint add DELETE https://shop.example.com/v1/users/{id} "
                   "--name 'Delete user' --id deleteUser")
    assert (full.id, full.path) == ("deleteUser", "/users/{id}")
    assert ip.run_line_magic("connect", "endpoint show deleteUser") is full
    assert ip.run_line_magic("connect", "show list_orders") is ep
    assert ip.run_line_magic("connect", "endpoint remove list_orders") is ep
    assert c.endpoints == (full,)


ENDPOINT_YAML = """\
name: Create order
description: Place an order for a user.
method: post
path: /users/:userId/orders?source=web
query:
  - {name: dry_run, type: boolean, default: false, description: Only check the order.}
headers:
  - {name: Idempotency-Key, required: true}
body:
  - name: items
    type: array
    items: object
    required: true
    children:
      - {name: sku, type: string, required: true}
      - {name: quantity, type: integer, default: 1}
  - {name: note, type: string}
response:
  - {name: id, type: string}
  - name: total
    type: object
    children:
      - {name: amount, type: number}
      - {name: currency, type: string}
"""


def test_cell_endpoint_builds_a_full_endpoint(ip):
    c = ip.run_line_magic("connect", "new shop")
    ep = ip.run_cell_magic("connect", "endpoint", ENDPOINT_YAML)
    assert isinstance(ep, Endpoint) and c.endpoints == (ep,)
    assert (ep.id, ep.method, ep.path) == ("create_order", "POST",
                                           "/users/{userId}/orders?source=web")
    assert [(p.location, p.name) for p in ep.params] == [
        ("path", "userId"), ("query", "dry_run"), ("header", "Idempotency-Key"),
        ("query", "source")]
    assert ep.param("dry_run").default is False
    assert ep.param("source").default == "web"
    assert ep.param("Idempotency-Key").required
    items = ep.body[0]
    assert (items.type, items.items, items.required) == ("array", "object", True)
    assert [p.name for p in items.children] == ["sku", "quantity"]
    assert [d for d, _ in ep.response[1].walk()] == ["total", "total.amount", "total.currency"]
    assert ep.source == "manual"


def test_cell_endpoint_replace(ip):
    c = ip.run_line_magic("connect", "new shop")
    ip.run_cell_magic("connect", "endpoint", ENDPOINT_YAML)
    # running the same cell again is refused (and changes nothing) ...
    before = c.to_dict()
    assert_one_line_error(ip, "%%connect endpoint\n" + ENDPOINT_YAML, r"already has an endpoint")
    assert c.to_dict() == before
    # ... unless --replace is given
    changed = ENDPOINT_YAML.replace("Place an order", "Order something")
    ep = ip.run_cell_magic("connect", "endpoint --replace", changed)
    assert c.endpoints == (ep,)
    assert ep.description == "Order something for a user."


@pytest.mark.parametrize(("body", "pattern"), [
    ("method: GET\npath: /x\n  bad: indent\n", r"could not be read .*line \d+.*fix the YAML"),
    ("- method: GET\n", r"must be a mapping"),
    ("", r"cell body is empty"),
    ("method: GET\n", r"has no path"),
    ("method: GET\npath: /x\ncolour: red\n", r"unknown field\(s\) colour"),
    ("method: GET\npath: /x\nquery:\n  - {name: q, type: text}\n", r"type 'text'"),
    ("method: GET\npath: /x\nheaders:\n  - {name: 'bad header'}\n", r"not a valid HTTP token"),
    ("method: GET\npath: /x\nparams:\n  - {name: id, in: path}\n", r"not in the path"),
    ("method: GET\npath: !!python/object:os.system x\n", r"could not be read"),
])
def test_cell_endpoint_errors_are_one_line(ip, body, pattern):
    c = ip.run_line_magic("connect", "new shop")
    assert_one_line_error(ip, "%%connect endpoint\n" + body, pattern)
    assert c.endpoints == ()


def test_endpoints_table_text_and_html(ip):
    c = ip.run_line_magic("connect", "new shop")
    ip.run_line_magic("connect", "endpoint add GET /users/:id --name 'Get <user> & co'")
    ip.run_line_magic("connect", "endpoint add POST /users --name 'Create user' --id createUser")
    table = ip.run_line_magic("connect", "endpoints")
    assert isinstance(table, EndpointTable)
    assert list(table) == list(c.endpoints) and table.ids == ["get_user_co", "createUser"]
    assert repr(table) == textwrap.dedent("""\
        ID           METHOD  PATH         NAME
        -----------  ------  -----------  ---------------
        get_user_co  GET     /users/{id}  Get <user> & co
        createUser   POST    /users       Create user""")
    html = table._repr_html_()
    assert "Get &lt;user&gt; &amp; co" in html and "<user>" not in html
    assert html.count("<tr>") == 3
    # what a notebook stores: text/plain is the same table, with no addresses
    data, _ = ip.display_formatter.format(table)
    assert data["text/plain"] == repr(table)
    assert "text/html" in data
    assert repr(EndpointTable([])) == "(no endpoints)"


def test_endpoints_filter_by_tag(ip):
    c = ip.run_line_magic("connect", "new shop")
    c.endpoints = (Endpoint("a", "GET", "/a", tags=("pets",)),
                   Endpoint("b", "GET", "/b", tags=("stores",)),
                   Endpoint("c", "GET", "/c", tags=("pets", "stores")))
    assert ip.run_line_magic("connect", "endpoints --tag pets").ids == ["a", "c"]
    assert ip.run_line_magic("connect", "endpoints --tag stores --tag pets").ids == ["a", "b", "c"]
    assert ip.run_line_magic("connect", "endpoints --tag none").ids == []


# --------------------------------------------------------------------------- display


def test_connector_display_is_deterministic_and_escaped(ip):
    c = ip.run_line_magic("connect", "new '<shop> & co' --base-url https://shop.example.com")
    ip.run_line_magic("connect", "endpoint add GET /users/:id --name 'Get user'")
    shown = ip.run_line_magic("connect", "show")
    assert shown is c
    data, _ = ip.display_formatter.format(c)
    assert data["text/plain"].splitlines()[:3] == [
        "connector: <shop> & co", "base URL: https://shop.example.com", "auth: none"]
    assert "&lt;shop&gt; &amp; co" in data["text/html"]
    assert "<shop>" not in data["text/html"]
    assert "get_user" in data["text/html"]
    assert not re.search(r"0x[0-9a-f]{6,}", data["text/plain"] + data["text/html"])
    # an endpoint shows its parameters
    data, _ = ip.display_formatter.format(c.endpoint("get_user"))
    assert "<code>/users/{id}</code>" in data["text/html"]
    assert "<td>path</td><td>id</td>" in data["text/html"]


def test_display_formatters_are_gone_after_unload(shell):
    nbconnect.load_ipython_extension(shell)
    c = Connector("plain")
    assert "text/html" in shell.display_formatter.format(c)[0]
    nbconnect.unload_ipython_extension(shell)
    data, _ = shell.display_formatter.format(c)
    assert "text/html" not in data
    assert data["text/plain"] == repr(c)


# --------------------------------------------------------------------------- export, load


def test_export_and_load_round_trip(ip):
    c = ip.run_line_magic("connect", "new shop --base-url https://shop.example.com/v1")
    ip.run_cell_magic("connect", "endpoint", ENDPOINT_YAML)
    written = ip.run_line_magic("connect", "export build/shop-connector")
    assert written == Path("build/shop-connector")  # relative, as given: no temp dirs shown
    assert (written / "connector.yaml").is_file()
    ip.run_line_magic("connect", "new other")
    loaded = ip.run_line_magic("connect", "load build/shop-connector")
    assert loaded == c and loaded is not c
    assert current(ip) is loaded
    zipped = ip.run_line_magic("connect", "export 'build/shop connector.zip' --zip")
    assert zipped == Path("build/shop connector.zip") and zipped.is_file()
    assert ip.run_line_magic("connect", "load 'build/shop connector.zip'") == c


def test_export_to_an_absolute_path_returns_it(ip, tmp_path):
    ip.run_line_magic("connect", "new shop")
    target = tmp_path / "abs-pkg"
    assert ip.run_line_magic("connect", f"export '{target}'") == target


def test_load_errors_are_one_line_and_keep_the_current_connector(ip, tmp_path):
    c = ip.run_line_magic("connect", "new shop")
    assert_one_line_error(ip, "%connect load no-such-package", r"no-such-package")
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "connector.yaml").write_text("name: [unclosed\n", encoding="utf-8")
    assert_one_line_error(ip, "%connect load junk", r"junk")
    assert current(ip) is c


# --------------------------------------------------------------------------- import


def test_import_without_a_connector_creates_one_named_from_the_title(ip, small_spec):
    from nbconnect.spec.importer import ImportResult

    result = ip.run_line_magic("connect", f"import '{small_spec}'")
    assert isinstance(result, ImportResult)
    c = current(ip)
    assert c.name == "pet-shop"
    assert [ep.id for ep in c.endpoints] == ["listPets", "createPet", "getStore"]
    assert c.base_url == "https://pets.example.com/api"
    assert list(result.endpoints) == list(c.endpoints)


def test_import_into_an_empty_connector_keeps_it(ip, small_spec):
    c = ip.run_line_magic("connect", "new shop")
    ip.run_line_magic("connect", f"import {small_spec} --tag pets")
    assert current(ip) is c and c.name == "shop"
    assert [ep.id for ep in c.endpoints] == ["listPets", "createPet"]


def test_cell_import_reads_the_body(ip):
    import yaml

    c = ip.run_line_magic("connect", "new shop")
    result = ip.run_cell_magic("connect", "import --tag stores", yaml.safe_dump(SMALL_SPEC))
    assert [ep.id for ep in result.endpoints] == ["getStore"]
    assert [ep.id for ep in c.endpoints] == ["getStore"]


def test_new_demo_imports_the_bundled_spec(ip):
    c = ip.run_line_magic("connect", "new demo --demo")
    assert c.name == "demo" and current(ip) is c
    assert len(c.endpoints) == 12
    assert c.base_url == "https://tasks.example.com/v1"
    assert c.auth is not None


def test_config_max_spec_bytes_applies_to_the_next_import(ip, small_spec):
    c = ip.run_line_magic("connect", "new shop")
    run(ip, "%config NbConnect.max_spec_bytes = 10")
    assert_one_line_error(ip, f"%connect import {small_spec}", r"over the size cap of 10 ")
    assert_one_line_error(ip, "%connect new demo2 --demo", r"over the size cap of 10 ")
    assert current(ip) is c and c.endpoints == ()
    # --max-bytes overrides the setting for one import
    ip.run_line_magic("connect", f"import {small_spec} --max-bytes 100000")
    assert len(c.endpoints) == 3
    run(ip, "%config NbConnect.max_spec_bytes = 100_000")
    assert_one_line_error(ip, f"%connect import {small_spec} --overwrite --max-bytes 20",
                          r"over the size cap of 20 ")
    assert len(c.endpoints) == 3


def test_import_result_display(ip, small_spec):
    result = ip.run_line_magic("connect", f"import {small_spec} --tag pets")
    data, _ = ip.display_formatter.format(result)
    text = data["text/plain"]
    assert text.splitlines()[:3] == [
        "Pet Shop, version 2.0 (OpenAPI 3.0.3)",
        "endpoints:       2 of 3 operations imported",
        "schemas:         0",
    ]
    assert "spec's base URL: https://pets.example.com/api" in text
    assert "listPets" in data["text/html"]
    assert not re.search(r"0x[0-9a-f]{6,}", text)


# --------------------------------------------------------------------------- re-import


def _imported_shop(ip, small_spec) -> Connector:
    c = ip.run_line_magic("connect", "new shop")
    ip.run_line_magic("connect", f"import {small_spec}")
    assert len(c.endpoints) == 3
    return c


def test_reimport_asks_and_cancel_keeps_the_connector(ip, small_spec):
    c = _imported_shop(ip, small_spec)
    before = c.to_dict()
    dialog = ip.run_line_magic("connect", f"import {small_spec} --tag stores")
    assert isinstance(dialog, OverwriteConfirmation)
    assert "This will overwrite 3 endpoints" in dialog.message_html.value
    assert [b.description for b in (dialog.upload_button, dialog.cancel_button)] == [
        "Upload & overwrite", "Cancel"]
    assert c.to_dict() == before  # nothing changes until a button is clicked
    dialog.cancel_button.click()
    assert dialog.outcome == "cancelled"
    assert dialog.message == "Cancelled: connector 'shop' is unchanged."
    assert c.to_dict() == before
    assert dialog.upload_button.disabled and dialog.cancel_button.disabled
    dialog.upload_button.click()  # too late: the dialog is closed
    assert c.to_dict() == before


def test_reimport_upload_overwrites(ip, small_spec):
    c = _imported_shop(ip, small_spec)
    dialog = ip.run_line_magic("connect", f"import {small_spec} --tag stores")
    dialog.upload_button.click()
    assert dialog.outcome == "imported"
    assert [ep.id for ep in c.endpoints] == ["getStore"]
    assert dialog.message == "Imported: connector 'shop' now has 1 endpoint."
    assert repr(dialog) == ("OverwriteConfirmation(connector='shop', endpoints=1, "
                            "new_endpoints=1, outcome='imported')")


def test_reimport_dialog_displays_deterministic_text(ip, small_spec):
    _imported_shop(ip, small_spec)
    from IPython.utils.capture import capture_output

    with capture_output() as cap:
        result = ip.run_cell(f"%connect import {small_spec}")
    assert isinstance(result.result, OverwriteConfirmation)
    assert cap.stderr == ""
    # one display: the widget view beside its static fallback, text/plain deterministic
    (shown,) = cap.outputs
    assert shown.data["text/plain"] == ("OverwriteConfirmation(connector='shop', endpoints=3, "
                                        "new_endpoints=3, outcome='pending')")
    assert "3 replaced" in shown.data["text/html"]


def test_reimport_checks_the_spec_before_asking(ip, small_spec, tmp_path):
    c = _imported_shop(ip, small_spec)
    before = c.to_dict()
    bad = tmp_path / "bad.json"
    bad.write_text('{"openapi": "3.0.3", "info": ', encoding="utf-8")
    assert_one_line_error(ip, f"%connect import {bad}", r".")
    assert c.to_dict() == before


def test_overwrite_flag_skips_the_dialog(ip, small_spec):
    from nbconnect.spec.importer import ImportResult

    c = _imported_shop(ip, small_spec)
    result = ip.run_line_magic("connect", f"import {small_spec} --tag stores --overwrite")
    assert isinstance(result, ImportResult)
    assert [ep.id for ep in c.endpoints] == ["getStore"]


def test_reimport_without_dialog_when_confirmation_is_off(ip, small_spec):
    c = _imported_shop(ip, small_spec)
    before = c.to_dict()
    run(ip, "%config NbConnect.confirm_overwrite = False")
    assert_one_line_error(ip, f"%connect import {small_spec} --tag stores",
                          r"already has 3 endpoints.*--overwrite")
    assert c.to_dict() == before


def test_confirmation_widget_on_its_own():
    from nbconnect.spec.importer import ImportResult

    c = Connector("shop", endpoints=(Endpoint("a", "GET", "/a"), Endpoint("b", "GET", "/b")))
    result = ImportResult(endpoints=(Endpoint("x", "GET", "/x", source="openapi"),),
                          base_url="https://x.example.com", title="X <API>")
    dialog = OverwriteConfirmation(c, result)
    assert dialog.message_html.value.startswith(
        "This will overwrite 2 endpoints of connector <b>shop</b> with the 1 endpoint of "
        "<b>X &lt;API&gt;</b>.")
    dialog.confirm()
    assert [ep.id for ep in c.endpoints] == ["x"] and c.base_url == "https://x.example.com"
    # a result the connector refuses leaves it unchanged and says why
    c2 = Connector("other", endpoints=(Endpoint("a", "GET", "/a"),))
    twice = ImportResult(endpoints=(Endpoint("x", "GET", "/x"), Endpoint("x", "GET", "/y")))
    failed = OverwriteConfirmation(c2, twice)
    failed.confirm()
    assert failed.outcome == "failed"
    assert failed.message.startswith("Not imported: Two endpoints have the id 'x'")
    assert [ep.id for ep in c2.endpoints] == ["a"]
