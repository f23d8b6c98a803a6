"""The notebook face of auth and connections: ``%connect auth``, ``%%connect auth``,
``%connect auth --from-spec``, ``%connect connection ...`` and their widget forms, driven
through a real IPython shell (forms by setting widget values and clicking). The scenarios
shared with the CLI (each auth type, auth and connection errors, the connection verbs) are in
tests/test_cli_and_magics.py, run through both faces."""

from __future__ import annotations

import json
import re

import ipywidgets
import pytest
from IPython.core.error import UsageError
from IPython.utils.capture import capture_output
from ipywidgets.widgets import widget as widget_mod

from nbconnect.auth.secrets import Secret
from nbconnect.model import (
    ApiKeyAuth,
    BasicAuth,
    BearerAuth,
    Connection,
    JwtAuth,
    OAuth2ClientCredentials,
)
from nbconnect.notebook import magics as magics_mod
from nbconnect.notebook.forms import AuthForm, ConnectionForm
from nbconnect.verbs import grammar

SENTINEL = "s3ntinel-Zq8XwV4pLk2-do-not-leak"

SPEC_WITH_KEY = {
    "openapi": "3.0.3",
    "info": {"title": "Keyed API", "version": "1"},
    "servers": [{"url": "https://keyed.example.com/v1"}],
    "components": {"securitySchemes": {"k": {"type": "apiKey", "in": "query",
                                             "name": "api_key"}}},
    "security": [{"k": []}],
    "paths": {"/things": {"get": {"operationId": "listThings",
                                  "responses": {"200": {"description": "ok"}}}}},
}
SPEC_WITHOUT_AUTH = {
    "openapi": "3.0.3",
    "info": {"title": "Open API", "version": "1"},
    "paths": {"/things": {"get": {"operationId": "listThings",
                                  "responses": {"200": {"description": "ok"}}}}},
}


# --------------------------------------------------------------------------- fixtures


def run(ip, cell: str):
    with capture_output() as cap:
        result = ip.run_cell(cell)
    return result, cap.stdout, cap.stderr


def one_line_error(ip, cell: str, pattern: str) -> str:
    result, out, err = run(ip, cell)
    assert type(result.error_in_exec) is UsageError, (out, err)
    assert "Traceback" not in out + err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert re.search(pattern, lines[0]), lines[0]
    return lines[0]


def current(ip):
    return magics_mod.current_connector(ip)


def all_widget_states() -> str:
    """Every live widget's state as JSON text (what a saved notebook would hold)."""
    return "\n".join(json.dumps(w.get_state(), default=str)
                     for w in list(widget_mod._instances.values()))


# --------------------------------------------------------------------------- %connect auth


def test_the_flags_are_the_reference_fields_in_kebab_case():
    assert grammar.auth_fields("api-key") == ("key", "add-to", "extra-keys")
    assert set(grammar.auth_fields("jwt")) == {"add-to", "algorithm", "payload", "header-name",
                                               "query-name"}
    common = {"client-id", "token-url", "scope", "client-auth", "refresh-url"}
    assert set(grammar.auth_fields("oauth2-client-credentials")) == common
    assert set(grammar.auth_fields("oauth2-password")) == common
    assert set(grammar.auth_fields("oauth2-code")) == common | {
        "authorization-url", "redirect-url", "identity-endpoint", "identity-param"}


@pytest.mark.parametrize("field", ["value", "password", "token", "secret", "client-secret"])
def test_secret_fields_are_refused_on_auth_without_echo(ip, field):
    c = ip.run_line_magic("connect", "new shop")
    ip.run_line_magic("connect", "auth bearer")
    line = one_line_error(ip, f"%connect auth api-key --{field} {SENTINEL}",
                          rf"--{field} is a secret.*connection add NAME --secret {field}=env:")
    assert SENTINEL not in line
    line = one_line_error(ip, f"%connect auth api-key --{field}={SENTINEL}", r"is a secret")
    assert SENTINEL not in line
    assert c.auth == BearerAuth()


def test_stray_words_and_odd_types_are_not_repeated(ip):
    ip.run_line_magic("connect", "new shop")
    line = one_line_error(ip, f"%connect auth bearer {SENTINEL}", r"Argument 1 after auth "
                                                                  r"type bearer is not a --FIELD")
    assert SENTINEL not in line
    line = one_line_error(ip, f"%connect auth {SENTINEL}", r"Unknown auth type \(the word")
    assert SENTINEL not in line
    assert current(ip).auth is None


def test_auth_needs_a_connector(ip):
    one_line_error(ip, "%connect auth basic", r"no current connector")


def test_auth_cell_takes_yaml(ip):
    c = ip.run_line_magic("connect", "new shop")
    result, _, err = run(ip, "%%connect auth\ntype: jwt\nalgorithm: HS384\nheader_name: X-JWT\n"
                             "payload: {sub: ada, iat: now, exp: '+300s'}\n")
    assert err == ""
    assert c.auth == JwtAuth(algorithm="HS384", header_name="X-JWT",
                             payload={"sub": "ada", "iat": "now", "exp": "+300s"})
    assert result.result == c.auth
    ip.run_cell("%%connect auth\ntype: api-key\nkey: api_key\nadd-to: query\n")
    assert c.auth == ApiKeyAuth(key="api_key", add_to="query")


@pytest.mark.parametrize(("body", "pattern"), [
    (f"type: api-key\nvalue: {SENTINEL}\n", r"--value is a secret"),
    (f"type: oauth2-password\ntoken_url: https://a.example.com/t\nclient_secret: {SENTINEL}\n",
     r"--client-secret is a secret"),
    ("key: X-Key\n", r"has no 'type:'"),
    ("\n\n", r"The cell is empty; describe the auth config"),
    ("- a\n- b\n", r"must be a mapping"),
    ("type: [unclosed\n", r"could not be read"),
    ("type: api-key\nkey: {a: 1}\n", r"--key must be text"),
])
def test_auth_cell_errors(ip, body, pattern):
    c = ip.run_line_magic("connect", "new shop")
    line = one_line_error(ip, "%%connect auth\n" + body, pattern)
    assert SENTINEL not in line
    assert c.auth is None


def test_auth_from_spec_applies_the_last_suggestion(ip, tmp_path):
    spec = tmp_path / "keyed.json"
    spec.write_text(json.dumps(SPEC_WITH_KEY), encoding="utf-8")
    c = ip.run_line_magic("connect", "new shop")
    ip.run_line_magic("connect", "auth bearer")
    ip.run_line_magic("connect", f"import {spec}")
    assert c.auth == BearerAuth()  # an import never replaces an auth that is set
    assert ip.run_line_magic("connect", "auth --from-spec") == ApiKeyAuth(key="api_key",
                                                                          add_to="query")
    assert c.auth == ApiKeyAuth(key="api_key", add_to="query")
    one_line_error(ip, "%connect auth --from-spec basic", r"takes no TYPE or fields")


def test_auth_from_spec_without_a_suggestion(ip, tmp_path):
    spec = tmp_path / "open.json"
    spec.write_text(json.dumps(SPEC_WITHOUT_AUTH), encoding="utf-8")
    ip.run_line_magic("connect", f"import {spec}")
    one_line_error(ip, "%connect auth --from-spec", r"Open API suggests no auth")
    assert current(ip).auth is None


def test_auth_from_spec_after_new_demo(ip):
    c = ip.run_line_magic("connect", "new tasks --demo")
    suggested = c.auth
    ip.run_line_magic("connect", "auth basic")
    assert ip.run_line_magic("connect", "auth --from-spec") == suggested != BasicAuth()


def test_help_lists_auth_and_connection(ip):
    _, out, _ = run(ip, "%connect help")
    assert "auth TYPE [--FIELD VALUE]..." in out
    assert "%%connect auth" in out
    assert "connection add NAME" in out
    assert "not built yet" not in out
    _, out, _ = run(ip, "%connect help auth")
    for flag in ("--token-url", "--authorization-url", "--identity-param", "--header-name",
                 "--from-spec", "basic|body|basic-form-encoded"):
        assert flag in out
    _, out, err = run(ip, "%connect auth jwt --help")
    assert "--query-name" in out and err == ""
    _, out, _ = run(ip, "%connect connection add dev --help")
    assert "--secret FIELD=REF" in out and "--set FIELD=VALUE" in out


# --------------------------------------------------------------------------- connections


def test_connection_add_default_moves_the_mark(ip):
    c = ip.run_line_magic("connect", "new shop --base-url https://shop.example.com")
    ip.run_line_magic("connect", "auth bearer")
    ip.run_line_magic("connect", "connection add a --secret token=env:A")
    ip.run_line_magic("connect", "connection add b --secret token=prompt --default")
    assert [(x.name, x.default) for x in c.connections] == [("a", False), ("b", True)]


def test_auth_without_type_opens_a_form_that_saves(ip):
    c = ip.run_line_magic("connect", "new shop")
    form = ip.run_line_magic("connect", "auth")
    assert isinstance(form, AuthForm) and isinstance(form, ipywidgets.VBox)
    assert set(form.fields) == {"key", "add-to", "extra-keys"}
    form.type_dropdown.value = "oauth2-client-credentials"
    assert set(form.fields) == {"client-id", "token-url", "scope", "client-auth", "refresh-url"}
    assert list(form.fields_box.children) == list(form.fields.values())
    form.fields["token-url"].value = "https://auth.example.com/token"
    form.fields["client-id"].value = "app"
    form.fields["client-auth"].value = "body"
    form.save()
    assert form.outcome == "saved", form.message
    assert c.auth == OAuth2ClientCredentials(token_url="https://auth.example.com/token",
                                             client_id="app", client_auth="body")
    assert form.message.startswith("Saved: auth of 'shop' is oauth2-client-credentials")


def test_auth_form_shows_current_values_and_reports_errors(ip):
    c = ip.run_line_magic("connect", "new shop")
    ip.run_line_magic("connect", "auth jwt --algorithm ES256 --payload '{\"sub\": \"x\"}'")
    form = ip.run_line_magic("connect", "auth")
    assert form.type_dropdown.value == "jwt"
    assert form.fields["algorithm"].value == "ES256"
    assert json.loads(form.fields["payload"].value) == {"sub": "x"}
    assert "secret" in form.note.value and "the connection form" in form.note.value
    form.fields["payload"].value = "not json"
    form.save()
    assert form.outcome == "failed"
    assert form.message.startswith("Not saved: JWT auth: payload is not valid JSON")
    assert form.message.endswith("(the payload field).")  # the form's own hint
    assert c.auth == JwtAuth(algorithm="ES256", payload={"sub": "x"})


def test_connection_form_holds_the_secret_in_memory_only(ip):
    c = ip.run_line_magic("connect", "new shop --base-url https://shop.example.com")
    ip.run_line_magic("connect", "auth basic")
    form = ip.run_line_magic("connect", "connection add")
    assert isinstance(form, ConnectionForm)
    assert set(form.passwords) == {"password"} and set(form.settings) == {"username"}
    assert form.base_url_text.value == "https://shop.example.com"
    assert isinstance(form.passwords["password"], ipywidgets.Password)
    form.name_text.value = "dev"
    form.settings["username"].value = "ada"
    form.passwords["password"].value = SENTINEL
    form.submit()
    assert form.outcome == "added", form.message
    assert form.passwords["password"].value == ""
    conn = c.connections[0]
    assert conn.name == "dev" and conn.default is True
    assert dict(conn.settings) == {"username": "ada"}
    held = dict(conn.secrets)["password"]
    assert isinstance(held, Secret) and held == Secret(SENTINEL)
    assert "in memory only" in form.message
    shown = (repr(conn) + repr(c) + repr(form) + form.message
             + repr(ip.run_line_magic("connect", "connection list"))
             + ip.run_line_magic("connect", "connection list")._repr_html_())
    assert SENTINEL not in shown
    assert "(in memory)" in shown
    assert SENTINEL not in all_widget_states()
    # an export refuses the in-memory value and says so without showing it
    line = one_line_error(ip, "%connect export build/shop", r"holds an in-memory Secret")
    assert SENTINEL not in line


def test_connection_form_clears_a_value_pasted_as_reference(ip):
    c = ip.run_line_magic("connect", "new shop --base-url https://shop.example.com")
    ip.run_line_magic("connect", "auth bearer")
    form = ip.run_line_magic("connect", "connection add")
    form.name_text.value = "dev"
    form.references["token"].value = SENTINEL
    form.submit()
    assert form.outcome == "failed"
    assert form.references["token"].value == ""
    assert "was given as a value" in form.message
    assert SENTINEL not in form.message + all_widget_states()
    assert c.connections == ()
    # a real reference works, and the checkbox makes it the default
    form.references["token"].value = "env:SHOP_TOKEN"
    form.submit()
    assert form.outcome == "added"
    assert c.connections[0].secrets == (("token", "env:SHOP_TOKEN"),)


def test_connection_form_refuses_value_and_reference_together(ip):
    c = ip.run_line_magic("connect", "new shop --base-url https://shop.example.com")
    ip.run_line_magic("connect", "auth bearer")
    form = ConnectionForm(c)
    form.name_text.value = "dev"
    form.passwords["token"].value = SENTINEL
    form.references["token"].value = "env:X"
    form.submit()
    assert form.outcome == "failed"
    assert form.passwords["token"].value == ""
    assert "either a value or a reference for token" in form.message
    assert c.connections == ()
    assert SENTINEL not in all_widget_states()


def test_connection_form_failure_still_clears_the_password(ip):
    c = ip.run_line_magic("connect", "new shop")
    ip.run_line_magic("connect", "auth oauth2-password --token-url https://a.example.com/t")
    form = ip.run_line_magic("connect", "connection add")
    assert set(form.passwords) == {"client_secret", "password"}
    form.name_text.value = "dev"
    form.passwords["password"].value = SENTINEL
    form.passwords["client_secret"].value = SENTINEL + "-client"
    form.submit()  # no base URL, no username: refused
    assert form.outcome == "failed"
    assert "needs a base URL" in form.message
    assert all(pw.value == "" for pw in form.passwords.values())
    assert c.connections == ()
    assert SENTINEL not in all_widget_states()


def test_connection_form_without_auth(ip):
    c = ip.run_line_magic("connect", "new shop --base-url https://shop.example.com")
    form = ip.run_line_magic("connect", "connection add")
    assert form.passwords == {}
    form.name_text.value = "plain"
    form.submit()
    assert form.outcome == "added"
    assert c.connections == (Connection("plain", "https://shop.example.com", default=True),)
    form.submit()
    assert "already added" in form.message and len(c.connections) == 1


def test_sentinel_never_reaches_outputs(ip):
    """Every refused command above printed nothing with the sentinel; check outputs whole."""
    ip.run_line_magic("connect", "new shop --base-url https://shop.example.com")
    cells = [f"%connect auth basic --password {SENTINEL}",
             "%connect auth basic",
             f"%connect connection add dev --secret password={SENTINEL} --set username=a",
             "%connect connection add dev --secret password=env:DEV_PW --set username=a",
             "%connect connection list", "%connect show"]
    text = ""
    for cell in cells:
        result, out, err = run(ip, cell)
        text += out + err + repr(result.result)
        if result.result is not None and hasattr(result.result, "_repr_html_"):
            text += result.result._repr_html_()
    assert SENTINEL not in text
    assert "env:DEV_PW" in text
