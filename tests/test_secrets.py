"""Tests of secrets.py (references, resolution, Secret, redaction, the log filter) and of
the secret rules of ``Connection`` and package export."""

from __future__ import annotations

import base64
import copy
import dataclasses
import io
import json
import logging
import pickle
import re
import sys
from urllib.parse import quote, quote_plus

import httpx2
import keyring
import keyring.backend
import keyring.backends.fail
import keyring.errors
import pytest
from keyring.compat import properties
from starlette.applications import Starlette
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from nbconnect.auth import secrets
from nbconnect.auth.secrets import (
    Reference,
    Secret,
    install_log_filter,
    is_reference,
    parse_reference,
    redact,
    redact_headers,
    redact_url,
    register,
    register_query_name,
    resolve,
    resolve_connection,
    store_in_keyring,
)
from nbconnect.errors import PackageError, SecretError
from nbconnect.model import BearerAuth, Connection, Connector

# A sentinel with characters that change under percent-encoding and JSON escaping.
SENTINEL = "sk_live_SENTINEL/7f3a+9b=c&d\"e"
PLAIN_SENTINEL = "sk_test_PLAINSENTINEL_0c4d8e2f"


def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DEV_TOKEN", "NBCONNECT_SECRET_DEV_TOKEN", "NBCONNECT_SECRET_DEV_VALUE",
                 "NBCONNECT_SECRET_TASKS_PROD", "NBCONNECT_SECRET_PROD_PASSWORD"):
        monkeypatch.delenv(name, raising=False)


class MemoryKeyring(keyring.backend.KeyringBackend):
    """An in-memory keyring backend (never chosen automatically: not viable)."""

    @properties.classproperty
    def priority(cls) -> float:
        raise RuntimeError("test backend; set it with keyring.set_keyring")

    def __init__(self) -> None:
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.store.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.store[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.store.pop((service, username), None)


class LockedKeyring(MemoryKeyring):
    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("the keyring is locked")


@pytest.fixture
def use_keyring():
    old = keyring.get_keyring()

    def use(backend: keyring.backend.KeyringBackend) -> keyring.backend.KeyringBackend:
        keyring.set_keyring(backend)
        return backend

    yield use
    keyring.set_keyring(old)


# --------------------------------------------------------------------------- references


@pytest.mark.parametrize(("text", "kind", "name"), [
    ("env:API_KEY", "env", "API_KEY"), ("env:_x1", "env", "_x1"),
    ("keyring:tasks/prod", "keyring", "tasks/prod"), ("keyring:a b", "keyring", "a b"),
    ("prompt", "prompt", ""), ("prompt:Your API key", "prompt", "Your API key"),
])
def test_parse_reference_kinds(text, kind, name):
    ref = parse_reference(text)
    assert ref == Reference(kind, name)
    assert str(ref) == text
    assert is_reference(text)


@pytest.mark.parametrize(("bad", "says"), [
    ("env:", "malformed env:"), ("env:1X", "malformed env:"), ("env:A B", "malformed env:"),
    ("env:TOKEN\n", "malformed env:"), ("keyring:", "malformed keyring:"),
    ("keyring:a\tb", "malformed keyring:"), ("prompt:a\nb", "malformed prompt:"),
    ("prompted", "looks like a literal secret"), (PLAIN_SENTINEL, "looks like a literal secret"),
    ("", "looks like a literal secret"), (None, "must be a reference string"),
    (42, "must be a reference string"),
])
def test_malformed_references_are_refused_without_echo(bad, says):
    assert not is_reference(bad)
    with pytest.raises(SecretError, match=says) as info:
        parse_reference(bad, connection="dev", field="token")
    message = str(info.value)
    assert message.startswith("Connection 'dev' field 'token' ")
    assert message.count(".") >= 1 and "\n" not in message
    assert PLAIN_SENTINEL not in message


def test_literal_message_shows_how_to_pass_a_reference():
    with pytest.raises(SecretError) as info:
        parse_reference(PLAIN_SENTINEL, connection="dev", field="value")
    assert str(info.value) == (
        "Connection 'dev' field 'value' looks like a literal secret; pass a reference such as "
        "env:DEV_VALUE, keyring:dev-value or prompt, or wrap it in "
        "nbconnect.Secret(...) in Python.")


# --------------------------------------------------------------------------- resolve


def test_resolve_env(monkeypatch):
    monkeypatch.setenv("DEV_TOKEN", PLAIN_SENTINEL)
    secret = resolve("env:DEV_TOKEN", connection="dev", field="token")
    assert isinstance(secret, Secret) and secret.reveal() == PLAIN_SENTINEL
    assert secret.name == "DEV_TOKEN"
    assert PLAIN_SENTINEL not in repr(secret)


def test_resolve_env_not_set_names_the_variable(monkeypatch):
    _clean_env(monkeypatch)
    with pytest.raises(SecretError) as info:
        resolve("env:DEV_TOKEN", connection="dev", field="token")
    assert "Environment variable DEV_TOKEN is not set" in str(info.value)
    assert "'dev'" in str(info.value) and "'token'" in str(info.value)
    monkeypatch.setenv("DEV_TOKEN", "")
    with pytest.raises(SecretError, match="DEV_TOKEN is empty"):
        resolve("env:DEV_TOKEN", connection="dev", field="token")


def test_resolve_secret_literal_is_returned_as_is():
    s = Secret(PLAIN_SENTINEL, "X")
    assert resolve(s, connection="dev", field="token") is s


def test_resolve_keyring_with_a_memory_backend(monkeypatch, use_keyring):
    _clean_env(monkeypatch)
    kr = use_keyring(MemoryKeyring())
    kr.set_password("nbconnect", "tasks/prod", PLAIN_SENTINEL)
    secret = resolve("keyring:tasks/prod", connection="prod", field="token")
    assert secret.reveal() == PLAIN_SENTINEL and secret.name == "tasks/prod"
    # a missing entry says how to store it
    with pytest.raises(SecretError, match="keyring set nbconnect other") as info:
        resolve("keyring:other", connection="prod", field="token")
    assert "NBCONNECT_SECRET_OTHER" in str(info.value)
    # store_in_keyring writes under service "nbconnect" and returns the reference
    assert store_in_keyring("dev-value", Secret(SENTINEL)) == "keyring:dev-value"
    assert kr.store[("nbconnect", "dev-value")] == SENTINEL
    assert resolve("keyring:dev-value", connection="dev", field="value").reveal() == SENTINEL


def test_env_var_wins_over_keyring_and_prompt(monkeypatch, use_keyring):
    _clean_env(monkeypatch)
    kr = use_keyring(MemoryKeyring())
    kr.set_password("nbconnect", "tasks/prod", "from-the-keyring")
    monkeypatch.setenv("NBCONNECT_SECRET_TASKS_PROD", PLAIN_SENTINEL)
    assert resolve("keyring:tasks/prod", connection="x", field="y").reveal() == PLAIN_SENTINEL
    asked: list[str] = []

    def prompt(label: str) -> str:
        asked.append(label)
        return "typed"

    monkeypatch.setenv("NBCONNECT_SECRET_DEV_VALUE", PLAIN_SENTINEL)
    for ref in ("prompt", "prompt:Your key"):
        got = resolve(ref, connection="dev", field="value", prompt=prompt)
        assert got.reveal() == PLAIN_SENTINEL
    assert asked == []
    # an env: reference is not overridden
    monkeypatch.setenv("DEV_TOKEN", "direct")
    monkeypatch.setenv("NBCONNECT_SECRET_DEV_TOKEN", "override")
    assert resolve("env:DEV_TOKEN", connection="dev", field="token").reveal() == "direct"


def test_keyring_without_backend_falls_back_with_a_clear_message(monkeypatch, use_keyring):
    _clean_env(monkeypatch)
    use_keyring(keyring.backends.fail.Keyring())
    with pytest.raises(SecretError) as info:
        resolve("keyring:dev-value", connection="dev", field="value")
    message = str(info.value)
    assert "no OS keyring backend here; use env:NAME or set NBCONNECT_SECRET_DEV_VALUE" in message
    assert "Connection 'dev' field 'value'" in message
    with pytest.raises(SecretError, match="no OS keyring backend here"):
        store_in_keyring("dev-value", Secret(SENTINEL))
    # any other backend failure is a SecretError too
    use_keyring(LockedKeyring())
    with pytest.raises(SecretError, match=r"failed \(KeyringLocked\).*NBCONNECT_SECRET_DEV_VALUE"):
        resolve("keyring:dev-value", connection="dev", field="value")
    # and the env fallback works with the failing backend
    monkeypatch.setenv("NBCONNECT_SECRET_DEV_VALUE", PLAIN_SENTINEL)
    assert resolve("keyring:dev-value", connection="dev", field="value").reveal() == \
        PLAIN_SENTINEL


def test_prompt_calls_the_given_prompt(monkeypatch):
    _clean_env(monkeypatch)
    asked: list[str] = []

    def prompt(label: str) -> str:
        asked.append(label)
        return PLAIN_SENTINEL

    assert resolve("prompt", connection="dev", field="value", prompt=prompt).reveal() == \
        PLAIN_SENTINEL
    assert resolve("prompt:Your API key", connection="dev", field="value",
                   prompt=lambda label: Secret(label + "-typed")).reveal() == "Your API key-typed"
    assert asked == ["value for connection dev"]
    with pytest.raises(SecretError, match=r"nothing was entered.*NBCONNECT_SECRET_DEV_VALUE"):
        resolve("prompt", connection="dev", field="value", prompt=lambda label: "")

    def cancelled(label: str) -> str:
        raise EOFError

    with pytest.raises(SecretError, match="nothing was entered"):
        resolve("prompt", connection="dev", field="value", prompt=cancelled)


def test_prompt_uses_getpass_in_a_terminal_and_refuses_without_one(monkeypatch):
    import getpass

    _clean_env(monkeypatch)

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    with pytest.raises(SecretError, match=r"no terminal.*NBCONNECT_SECRET_DEV_VALUE"):
        resolve("prompt", connection="dev", field="value")
    seen: list[str] = []

    def fake_getpass(prompt: str = "Password: ", stream=None) -> str:
        seen.append(prompt)
        return PLAIN_SENTINEL

    fake_getpass.__module__ = "getpass"  # looks like the stock one: needs a terminal
    monkeypatch.setattr(getpass, "getpass", fake_getpass)
    monkeypatch.setattr(sys, "stdin", Tty(""))
    assert resolve("prompt:Token", connection="dev", field="value").reveal() == PLAIN_SENTINEL
    assert seen == ["Token: "]


def test_resolve_connection(monkeypatch):
    _clean_env(monkeypatch)
    monkeypatch.setenv("DEV_TOKEN", PLAIN_SENTINEL)
    conn = Connection("prod", "https://api.example.com", secrets={"token": "env:DEV_TOKEN"})
    got = resolve_connection(conn, ["token"])
    assert list(got) == ["token"] and got["token"].reveal() == PLAIN_SENTINEL
    with pytest.raises(SecretError) as info:
        resolve_connection(conn, ["token", "password"])
    assert str(info.value) == (
        "Connection 'prod' has no secret 'password'; give it a reference such as "
        "password=env:PROD_PASSWORD (or keyring:NAME, prompt), or set "
        "NBCONNECT_SECRET_PROD_PASSWORD.")
    assert info.value.option == "secret"
    assert resolve_connection(conn, ["token", "password"], optional=["password"]).keys() == \
        {"token"}
    monkeypatch.setenv("NBCONNECT_SECRET_PROD_PASSWORD", "from-ci")
    assert resolve_connection(conn, ["password"])["password"].reveal() == "from-ci"
    literal = Connection("prod", "https://api.example.com",
                         secrets={"token": Secret(PLAIN_SENTINEL)})
    assert resolve_connection(literal, ["token"])["token"].reveal() == PLAIN_SENTINEL


# --------------------------------------------------------------------------- Secret


def test_secret_never_shows_its_value():
    s = Secret(SENTINEL, "API_KEY")
    assert repr(s) == "Secret(name='API_KEY', value='***')"
    assert repr(Secret(SENTINEL)) == "Secret(value='***')"
    shown = [repr(s), str(s), f"{s}", f"{s!r}", f"{s:>20}", format(s),
             "{}".format(s), "%s" % s, "%r" % (s,),  # noqa: UP031, UP032 - every form
             repr([s]), repr({"k": s}), str((s,))]
    for text in shown:
        assert SENTINEL not in text and "***" in text
    assert s.reveal() == SENTINEL
    for dump in (pickle.dumps, lambda x: pickle.dumps(x, protocol=0),
                 lambda x: pickle.dumps({"nested": [x]})):
        with pytest.raises(SecretError) as info:
            dump(s)
        assert SENTINEL not in str(info.value) and "reference" in str(info.value)
    with pytest.raises(AttributeError):
        s.name = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        json.dumps({"k": s})
    assert copy.copy(s) is s and copy.deepcopy(s) is s
    assert s == Secret(SENTINEL) and s != Secret("other-value") and s != SENTINEL
    assert hash(s) == hash(Secret(SENTINEL))
    assert bool(s) and not bool(Secret(""))
    with pytest.raises(SecretError, match="holds text"):
        Secret(b"bytes")  # type: ignore[arg-type]


def test_connection_with_a_secret_hides_it_and_refuses_export(tmp_path):
    conn = Connection("dev", "https://api.example.com",
                      secrets={"token": Secret(SENTINEL, "token")})
    assert SENTINEL not in repr(conn) and SENTINEL not in str(conn)
    assert SENTINEL not in repr(dataclasses.asdict(conn))
    assert dataclasses.replace(conn, default=True).secrets == conn.secrets
    with pytest.raises(SecretError) as info:
        conn.to_dict()
    assert "'dev'" in str(info.value) and "'token'" in str(info.value)
    assert SENTINEL not in str(info.value)
    c = Connector("tasks", base_url="https://api.example.com", auth=BearerAuth())
    c.connections = (conn,)
    assert SENTINEL not in repr(c)
    for target in (tmp_path / "pkg", tmp_path / "pkg.zip"):
        with pytest.raises(PackageError) as info:
            c.export(target)
        text = info.value.full_text()
        assert "in-memory Secret" in text and "'dev'" in text and "'token'" in text
        assert "env:TOKEN" in text and SENTINEL not in text
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_connection_refuses_literal_strings_and_malformed_references():
    with pytest.raises(SecretError) as info:
        Connection("dev", "https://api.example.com", secrets={"value": PLAIN_SENTINEL})
    assert str(info.value) == (
        "Connection 'dev' field 'value' looks like a literal secret; pass a reference such as "
        "env:DEV_VALUE, keyring:dev-value or prompt, or wrap it in "
        "nbconnect.Secret(...) in Python.")
    with pytest.raises(SecretError, match="malformed env:"):
        Connection("dev", "https://api.example.com", secrets={"value": "env:9"})
    with pytest.raises(SecretError, match="must map field names"):
        Connection("dev", "https://api.example.com", secrets="env:X")  # type: ignore[arg-type]
    with pytest.raises(SecretError, match="must map field names"):
        Connection("dev", "https://api.example.com", secrets={"": "env:X"})
    with pytest.raises(SecretError, match="twice"):
        Connection("dev", "https://api.example.com",
                   secrets=(("token", "env:A"), ("token", "env:B")))
    # references are kept as given (sorted by field); settings are unchanged
    conn = Connection("dev", "https://api.example.com",
                      secrets={"token": "prompt:Token", "password": "keyring:dev/pw"},
                      settings={"username": "ada"})
    assert conn.secrets == (("password", "keyring:dev/pw"), ("token", "prompt:Token"))
    assert conn.to_dict()["secrets"] == {"password": "keyring:dev/pw", "token": "prompt:Token"}
    assert Connection.from_dict(conn.to_dict()) == conn


# --------------------------------------------------------------------------- redaction


def test_redact_plain_percent_encoded_json_and_base64_forms():
    register(SENTINEL)
    b64 = base64.b64encode(SENTINEL.encode()).decode()
    basic = base64.b64encode(f"ada:{SENTINEL}".encode()).decode()
    basic_urlsafe = base64.urlsafe_b64encode(f"bob:{SENTINEL}".encode()).decode()
    texts = [
        f"token {SENTINEL} end",
        f"GET /x?k={quote(SENTINEL, safe='')}",
        f"GET /x?k={quote(SENTINEL)}",
        f"form k={quote_plus(SENTINEL)}",
        "lower " + re.sub("%[0-9A-F]{2}", lambda m: m.group().lower(),
                          quote(SENTINEL, safe="")),  # some clients use lowercase hex
        json.dumps({"k": SENTINEL}),
        f"Authorization: Basic {basic}",
        f"authorization: basic {basic_urlsafe}",
        f"raw base64 {b64} and inside {base64.b64encode(('x' + SENTINEL).encode()).decode()}",
        f"and {base64.b64encode(('xy' + SENTINEL + 'z').encode()).decode()}",
    ]
    for text in texts:
        out = redact(text)
        assert "***" in out, text
        assert SENTINEL not in out and quote(SENTINEL, safe="") not in out
        assert quote_plus(SENTINEL) not in out and basic not in out and b64 not in out
    assert redact(f"Authorization: Basic {basic}") == "Authorization: Basic ***"
    # text without secrets is left alone; Basic credentials of other users too
    other = base64.b64encode(b"ada:not-a-registered-secret").decode()
    assert redact(f"Basic {other} and basic auth") == f"Basic {other} and basic auth"
    # very short values are not registered (they would shred every log line)
    register("ab")
    assert redact("abcabc") == "abcabc"


def test_redact_headers():
    register(PLAIN_SENTINEL)
    headers = {
        "Authorization": f"Bearer {PLAIN_SENTINEL}",
        "proxy-authorization": "Basic Zm9vOmJhcg==",
        "Cookie": f"session={PLAIN_SENTINEL}; theme=dark",
        "Set-Cookie": f"sid={PLAIN_SENTINEL}; Path=/; HttpOnly",
        "X-API-Key": "unregistered-key-value",
        "X-Custom-Token": "also-unregistered",
        "X-Echo": f"prefix {PLAIN_SENTINEL}",
        "Accept": "application/json",
    }
    out = redact_headers(headers, names=["x-custom-token"])
    assert out == {
        "Authorization": "Bearer ***",
        "proxy-authorization": "Basic ***",
        "Cookie": "session=***; theme=***",
        "Set-Cookie": "sid=***; Path=/; HttpOnly",
        "X-API-Key": "***",
        "X-Custom-Token": "***",
        "X-Echo": "prefix ***",
        "Accept": "application/json",
    }
    assert redact_headers(headers)["X-Custom-Token"] == "also-unregistered"
    # httpx2.Headers (whose own repr masks only authorization) and pairs work too
    h = httpx2.Headers([("x-api-key", "k1-unregistered"), ("X-Key", "k2-unregistered"),
                        ("x-key", "k3-unregistered")])
    assert "k1-unregistered" in repr(h)  # the reason redact_headers exists
    assert redact_headers(h, names=["X-KEY"]) == {"x-api-key": "***", "x-key": "***, ***"}
    assert redact_headers([(b"Authorization", b"token-only")]) == {"Authorization": "***"}


def test_redact_url_masks_named_query_parameters_even_unregistered():
    url = ("https://ada:pw-unregistered@api.example.com/v1/items?page=2&MyKey=abc123"
           "&api_key=zzz&access_token=t0k&q=a%20b#frag")
    assert redact_url(url, query_names=["mykey"]) == (
        "https://ada:***@api.example.com/v1/items?page=2&MyKey=***&api_key=***"
        "&access_token=***&q=a%20b#frag")
    assert redact_url("https://api.example.com/x?MyKey=abc123") == \
        "https://api.example.com/x?MyKey=abc123"
    register_query_name("sig")
    assert redact_url(httpx2.URL("https://api.example.com/x?sig=s1&n=1")) == \
        "https://api.example.com/x?sig=***&n=1"
    register(PLAIN_SENTINEL)
    assert redact_url(f"https://api.example.com/{PLAIN_SENTINEL}/x?other={PLAIN_SENTINEL}") \
        == "https://api.example.com/***/x?other=***"
    # redact() masks URLs inside free text, as in an httpx2 raise_for_status message
    assert redact("Client error for url 'https://h.example/x?token=abc&n=1'") == \
        "Client error for url 'https://h.example/x?token=***&n=1'"


# --------------------------------------------------------------------------- logging


def _app() -> Starlette:
    async def echo(request):
        return JSONResponse({"ok": True})

    async def fail(request):
        return PlainTextResponse("no", status_code=401)

    return Starlette(routes=[Route("/echo", echo), Route("/fail", fail)])


def test_log_filter_redacts_httpx2_request_lines(serve_app, caplog):
    install_log_filter()
    install_log_filter()  # idempotent
    assert sum(isinstance(f, secrets.RedactingFilter)
               for f in logging.getLogger("httpx2").filters) == 1
    srv = serve_app(_app())
    Secret(SENTINEL, "API_KEY")  # made (so registered) as resolve would
    unregistered = "unregistered-5b1e-value"
    register_query_name("x-unregistered-key")
    caplog.set_level(logging.DEBUG)
    with httpx2.Client(base_url=srv.url) as client:
        assert client.get("/echo", params={"api_key": SENTINEL}).status_code == 200
        assert client.get("/echo", params={"x-unregistered-key": unregistered}).status_code \
            == 200
        response = client.get("/fail", params={"apikey": SENTINEL})
        try:
            response.raise_for_status()
        except httpx2.HTTPStatusError:
            logging.getLogger("nbconnect.test").exception("request failed")
        # a child logger made after install (a logger filter would not see it)
        logging.getLogger("httpx2.child.later").warning("url %s", srv.url + "/?k=" + SENTINEL)
        logging.getLogger("some.other.library").info("got %s", SENTINEL)
    messages = [r.getMessage() for r in caplog.records]
    request_lines = [m for m in messages if m.startswith("HTTP Request:")]
    assert len(request_lines) == 3
    assert f"{srv.url}/echo?api_key=***" in request_lines[0]
    assert f"{srv.url}/echo?x-unregistered-key=***" in request_lines[1]
    assert any("httpcore2" in r.name for r in caplog.records)  # DEBUG from the transport
    forms = (SENTINEL, quote(SENTINEL, safe=""), quote_plus(SENTINEL), unregistered)
    for record in caplog.records:
        for form in forms:
            assert form not in record.getMessage()
            assert form not in (record.exc_text or "")
    for form in forms:
        assert form not in caplog.text
    assert "request failed" in caplog.text and "HTTPStatusError" in caplog.text


def test_redaction_lives_in_its_own_module_and_stays_reachable_from_secrets():
    from nbconnect.auth import redaction

    assert secrets.redact is redaction.redact and secrets.register is redaction.register
    register("s3cr3t-moved-value")
    register_query_name("X-Moved-Key")
    assert "s3cr3t-moved-value" in redaction.registered_values()
    assert "x-moved-key" in redaction.masked_query_names()
    # older callers read the live registry through nbconnect.auth.secrets
    assert secrets._values is redaction.registered_values()
    assert secrets._query_names is redaction.masked_query_names()
    with pytest.raises(AttributeError):
        secrets._no_such_name  # noqa: B018
