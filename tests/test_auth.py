"""Tests of the auth configs (model.py) and flows (auth.py): API key, Basic, Bearer, JWT.

End to end over TLS against ``tests/auth_app.py`` (uvicorn on 127.0.0.1, a trustme
certificate) through :func:`nbconnect.auth.flows.client_for`; the RFC 7617 and RFC 7515 A.1
test vectors as unit tests; every bad input of issue 3 that concerns these types; and
the sentinel secret never in a repr, str, error message or log record.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from typing import Any

import httpx2
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from tests.auth_app import Expected, make_auth_app
from tests.servers import serve

from nbconnect.auth import flows as auth
from nbconnect.auth.flows import (
    ApiKeyFlow,
    BasicFlow,
    BearerFlow,
    JwtFlow,
    basic_credentials,
    build_auth,
    client_for,
    find_connection,
)
from nbconnect.auth.secrets import Secret
from nbconnect.errors import (
    AuthConfigError,
    ConnectionNotFoundError,
    NbConnectError,
    SecretError,
)
from nbconnect.model import (
    ApiKeyAuth,
    BasicAuth,
    BearerAuth,
    Connection,
    Connector,
    JwtAuth,
    OAuth2ClientCredentials,
    OAuth2Code,
    OAuth2Password,
    auth_from_dict,
)

#: the secret value used everywhere: it must never show up in anything we print or log
SENTINEL = "nbcSENTINEL0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"
assert len(SENTINEL) >= 64

ALGORITHMS = ["HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384",
              "PS512", "ES256", "ES384", "ES512", "EdDSA"]


# --------------------------------------------------------------------------- fixtures


def _pem(key: Any) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def _public_pem(key: Any) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)


@pytest.fixture(scope="module")
def keys() -> dict[str, Any]:
    return {
        "rsa": rsa.generate_private_key(public_exponent=65537, key_size=2048),
        "P-256": ec.generate_private_key(ec.SECP256R1()),
        "P-384": ec.generate_private_key(ec.SECP384R1()),
        "P-521": ec.generate_private_key(ec.SECP521R1()),
        "ed25519": ed25519.Ed25519PrivateKey.generate(),
    }


def _key_for(alg: str, keys: dict[str, Any]) -> Any:
    if alg.startswith(("RS", "PS")):
        return keys["rsa"]
    return {"ES256": keys["P-256"], "ES384": keys["P-384"], "ES512": keys["P-521"],
            "EdDSA": keys["ed25519"]}[alg]


def signing_secret(alg: str, keys: dict[str, Any]) -> str:
    return SENTINEL if alg.startswith("HS") else _pem(_key_for(alg, keys))


@pytest.fixture(scope="module")
def expected(keys: dict[str, Any]) -> Expected:
    jwt_keys: dict[str, Any] = {}
    for alg in ALGORITHMS:
        jwt_keys[alg] = SENTINEL if alg.startswith("HS") else _public_pem(_key_for(alg, keys))
    return Expected(api_key=SENTINEL, username="ada", password=SENTINEL + "-pässwörd-£",
                    token=SENTINEL, jwt_keys=jwt_keys)


@pytest.fixture(scope="module")
def server(tls_ca: Any, expected: Expected) -> Any:
    with serve(make_auth_app(expected), tls=tls_ca) as srv:
        yield srv


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Capture every log record at DEBUG, httpx2's request lines included."""
    caplog.set_level(logging.DEBUG)
    for name in ("httpx2", "httpcore2", "httpcore", "nbconnect"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    return caplog


def connector(srv: Any, config: Any, secrets: Any, settings: Any = ()) -> Connector:
    c = Connector("auth-test", base_url=srv.url, auth=config)
    c.connections = (Connection("local", srv.url, secrets=secrets, settings=settings,
                                default=True),)
    return c


def assert_no_sentinel(*things: Any) -> None:
    for thing in things:
        for text in (repr(thing), str(thing)):
            assert SENTINEL not in text, text


def assert_logs_clean(caplog: pytest.LogCaptureFixture) -> None:
    assert caplog.records, "expected httpx2 to log the request"
    for record in caplog.records:
        assert SENTINEL not in record.getMessage()
    assert SENTINEL not in caplog.text


def _ref_or_literal(kind: str, monkeypatch: pytest.MonkeyPatch, var: str, value: str) -> Any:
    if kind == "env":
        monkeypatch.setenv(var, value)
        return f"env:{var}"
    return Secret(value, var)


# --------------------------------------------------------------------------- API key


@pytest.mark.parametrize("kind", ["env", "literal"])
@pytest.mark.parametrize(("add_to", "key", "path"), [
    ("header", "X-API-Key", "/api-key/header"),
    ("query", "api_key", "/api-key/query"),
    ("cookie", "session", "/api-key/cookie"),
])
def test_api_key_end_to_end(server, logs, monkeypatch, kind, add_to, key, path):
    ref = _ref_or_literal(kind, monkeypatch, "TEST_API_KEY", SENTINEL)
    c = connector(server, ApiKeyAuth(key=key, add_to=add_to), {"value": ref})
    with client_for(c, verify=server.client_ssl_context()) as client:
        assert isinstance(client.auth, ApiKeyFlow)
        r = client.get(path, params={"page": "2"}, headers={"Cookie": "theme=dark"})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["via"] == add_to
        if add_to == "query":  # the key is added next to the request's own parameters
            assert body["params"] == ["api_key", "page"]
            assert str(r.request.url).count("api_key=") == 1
        if add_to == "cookie":  # and next to the request's own cookies
            assert body["cookies"] == ["session", "theme"]
        assert_no_sentinel(client.auth, c, c.connections[0])
    assert_logs_clean(logs)


def test_api_key_wrong_value_is_refused_by_the_server(server):
    c = connector(server, ApiKeyAuth(), {"value": Secret("not-the-key-" + "x" * 20)})
    with client_for(c, verify=server.client_ssl_context()) as client:
        assert client.get("/api-key/header").status_code == 401
        # no auth at all: refused as well (the server really checks)
    with httpx2.Client(base_url=server.url, verify=server.client_ssl_context()) as plain:
        assert plain.get("/api-key/header").status_code == 401


def test_api_key_query_url_is_redacted_in_httpx2_logs(server, logs, monkeypatch):
    monkeypatch.setenv("TEST_API_KEY", SENTINEL)
    c = connector(server, ApiKeyAuth(key="api_key", add_to="query"),
                  {"value": "env:TEST_API_KEY"})
    with client_for(c, verify=server.client_ssl_context()) as client:
        r = client.get("/api-key/query")
    assert r.status_code == 200
    # the sentinel really was in the URL httpx2 logged, and the record shows it masked
    assert SENTINEL in str(r.request.url)
    lines = [rec.getMessage() for rec in logs.records if rec.name == "httpx2"]
    assert any("/api-key/query?api_key=" in line for line in lines), lines
    assert_logs_clean(logs)


@pytest.mark.parametrize("add_to", ["header", "cookie", "query"])
def test_api_key_value_with_line_break_is_refused_without_echo(add_to):
    bad = SENTINEL + "\r\nX-Injected: 1"
    with pytest.raises(AuthConfigError, match="line break") as err:
        build_auth(ApiKeyAuth(key="k", add_to=add_to), {"value": Secret(bad)}, {})
    assert_no_sentinel(err.value)


def test_api_key_cookie_value_must_be_a_cookie_value():
    with pytest.raises(AuthConfigError, match="cookie value") as err:
        ApiKeyFlow("session", SENTINEL + "; admin=1", "cookie")
    assert_no_sentinel(err.value)


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"key": "X-Key\r\nEvil: 1"}, "line break"),
    ({"key": "X-Key\nEvil"}, "line break"),
    ({"key": "api\r\nkey", "add_to": "query"}, "line break"),
    ({"key": ""}, "name (key); set it"),
    ({"key": None}, "name (key); set it"),
    ({"key": "X Key"}, "not a valid HTTP header"),
    ({"key": "a{b}", "add_to": "query"}, "braces"),
    ({"add_to": "body"}, "add-to 'body'"),
])
def test_api_key_config_errors(kwargs, words):
    with pytest.raises(AuthConfigError) as err:
        ApiKeyAuth(**kwargs)
    assert words in str(err.value)
    assert str(err.value).startswith("API key")


# --------------------------------------------------------------------------- Basic


def test_rfc7617_basic_test_vectors():
    # RFC 7617 section 2: Aladdin / open sesame
    assert basic_credentials("Aladdin", "open sesame") == "QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
    # RFC 7617 section 2.1: user "test", password "123£" in UTF-8
    assert basic_credentials("test", "123\u00a3") == "dGVzdDoxMjPCow=="
    flow = BasicFlow("Aladdin", Secret("open sesame"))
    request = next(flow.auth_flow(httpx2.Request("GET", "https://example.com/")))
    assert request.headers["Authorization"] == "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="


@pytest.mark.parametrize("kind", ["env", "literal"])
def test_basic_end_to_end(server, expected, logs, monkeypatch, kind):
    ref = _ref_or_literal(kind, monkeypatch, "TEST_BASIC_PASSWORD", expected.password)
    c = connector(server, BasicAuth(), {"password": ref}, {"username": "ada"})
    with client_for(c, verify=server.client_ssl_context()) as client:
        r = client.get("/basic")
        assert (r.status_code, r.json()) == (200, {"ok": True, "user": "ada"})
        assert repr(client.auth) == "BasicFlow(username='ada', password='***')"
        assert_no_sentinel(client.auth, r.request.headers)
    assert_logs_clean(logs)
    wrong = connector(server, BasicAuth(), {"password": Secret("wrong-password")},
                      {"username": "ada"})
    with client_for(wrong, verify=server.client_ssl_context()) as client:
        assert client.get("/basic").status_code == 401


def test_basic_username_with_colon_is_refused():
    with pytest.raises(AuthConfigError, match="contains ':'") as err:
        build_auth(BasicAuth(), {"password": Secret(SENTINEL)}, {"username": "ada:admin"})
    assert_no_sentinel(err.value)
    with pytest.raises(AuthConfigError, match="RFC 7617"):
        basic_credentials("a:b", "pw")


def test_basic_needs_a_username_and_a_password():
    with pytest.raises(AuthConfigError, match="username") as err:
        build_auth(BasicAuth(), {"password": Secret(SENTINEL)}, {})
    assert "setting username=NAME" in str(err.value) and err.value.option == "set"
    with pytest.raises(AuthConfigError, match="secret 'password'") as err:
        build_auth(BasicAuth(), {}, {"username": "ada"})
    assert "password=env:NAME" in str(err.value) and err.value.option == "secret"
    assert "--" not in str(err.value)


def test_basic_password_with_control_characters_is_refused_without_echo():
    with pytest.raises(AuthConfigError, match="control characters") as err:
        build_auth(BasicAuth(), {"password": Secret(SENTINEL + "\r\n")}, {"username": "ada"})
    assert_no_sentinel(err.value)


# --------------------------------------------------------------------------- Bearer


@pytest.mark.parametrize("kind", ["env", "literal"])
def test_bearer_end_to_end(server, logs, monkeypatch, kind):
    ref = _ref_or_literal(kind, monkeypatch, "TEST_BEARER", SENTINEL)
    c = connector(server, BearerAuth(), {"token": ref})
    with client_for(c, verify=server.client_ssl_context()) as client:
        assert isinstance(client.auth, BearerFlow)
        r = client.get("/bearer")
        assert r.status_code == 200
        assert r.request.headers["authorization"] == f"Bearer {SENTINEL}"
        assert repr(client.auth) == "BearerFlow(token='***')"
    assert_logs_clean(logs)
    other = connector(server, BearerAuth(), {"token": Secret("another-token-1234")})
    with client_for(other, verify=server.client_ssl_context()) as client:
        assert client.get("/bearer").status_code == 401


@pytest.mark.parametrize("bad", [SENTINEL + "\n", SENTINEL + " more", SENTINEL + "\u00e9"])
def test_bearer_token_that_cannot_be_a_header_is_refused(bad):
    with pytest.raises(AuthConfigError, match="bearer token") as err:
        build_auth(BearerAuth(), {"token": Secret(bad)}, {})
    assert_no_sentinel(err.value)


# --------------------------------------------------------------------------- JWT


def test_rfc7515_a1_hs256_vector():
    """RFC 7515 Appendix A.1: the JWS verifies with its key, by pyjwt and by hand."""
    token = ("eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
             ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19y"
             "b290Ijp0cnVlfQ"
             ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
    k = "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"
    key = base64.urlsafe_b64decode(k + "=" * (-len(k) % 4))
    assert len(key) == 64
    claims = jwt.decode(token, key, algorithms=["HS256"], options={"verify_exp": False})
    assert claims == {"iss": "joe", "exp": 1300819380, "http://example.com/is_root": True}
    signing_input, _, signature = token.rpartition(".")
    mac = hmac.new(key, signing_input.encode("ascii"), hashlib.sha256).digest()
    assert base64.urlsafe_b64encode(mac).rstrip(b"=").decode() == signature
    # the RFC's signing input (octets of header and payload) as printed in A.1
    assert list(signing_input.encode("ascii")[:10]) == [101, 121, 74, 48, 101, 88, 65, 105,
                                                         79, 105]
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token[:-2] + ("Xk" if not token.endswith("Xk") else "Yk"), key,
                   algorithms=["HS256"], options={"verify_exp": False})


@pytest.mark.parametrize("alg", ALGORITHMS)
def test_jwt_end_to_end_every_algorithm(server, expected, keys, logs, monkeypatch, alg):
    monkeypatch.setenv("TEST_JWT_SECRET", signing_secret(alg, keys))
    config = JwtAuth(algorithm=alg, payload={"sub": "ada", "iat": "now", "exp": "+300s",
                                             "jti": "random", "scope": ["read"]})
    c = connector(server, config, {"secret": "env:TEST_JWT_SECRET"})
    with client_for(c, verify=server.client_ssl_context()) as client:
        assert isinstance(client.auth, JwtFlow)
        r = client.get(f"/jwt/{alg}")
        assert r.status_code == 200, r.text
        claims = r.json()["claims"]
        assert claims["sub"] == "ada" and claims["scope"] == ["read"]
        assert claims["exp"] - claims["iat"] == 300
        assert len(claims["jti"]) == 32
        header = jwt.get_unverified_header(r.request.headers["authorization"].split()[1])
        assert header["alg"] == alg
        assert_no_sentinel(client.auth)
    assert_logs_clean(logs)


def test_jwt_named_header_and_query(server, logs):
    hdr = connector(server, JwtAuth(header_name="X-JWT", payload='{"exp": "+60s"}'),
                    {"secret": Secret(SENTINEL)})
    with client_for(hdr, verify=server.client_ssl_context()) as client:
        r = client.get("/jwt/HS256")
        assert r.status_code == 200
        assert "authorization" not in r.request.headers and "x-jwt" in r.request.headers
    qry = connector(server, JwtAuth(add_to="query", query_name="jwt", payload={"exp": "+60s"}),
                    {"secret": Secret(SENTINEL)})
    with client_for(qry, verify=server.client_ssl_context()) as client:
        r = client.get("/jwt/HS256", params={"a": "1"})
        assert r.status_code == 200
        assert r.request.url.params["a"] == "1"
        token = r.request.url.params["jwt"]
        assert repr(client.auth) == ("JwtFlow(algorithm='HS256', add_to='query', "
                                     "query_name='jwt', secret='***')")
    # the token in the URL is masked in httpx2's log lines
    assert all(token not in rec.getMessage() for rec in logs.records)
    assert_logs_clean(logs)


def test_jwt_expired_token_is_refused_by_the_server(server):
    c = connector(server, JwtAuth(payload={"sub": "ada", "exp": "-30s"}),
                  {"secret": Secret(SENTINEL)})
    with client_for(c, verify=server.client_ssl_context()) as client:
        r = client.get("/jwt/HS256")
    assert (r.status_code, r.json()["reason"]) == (401, "token expired")


def test_jwt_wrong_key_is_refused_by_the_server(server, keys):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    c = connector(server, JwtAuth(algorithm="RS256", payload={"exp": "+60s"}),
                  {"secret": Secret(_pem(other))})
    with client_for(c, verify=server.client_ssl_context()) as client:
        assert client.get("/jwt/RS256").status_code == 401


class FakeClock:
    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


def test_jwt_is_cached_and_re_signed_shortly_before_exp(server, expected):
    import time

    clock = FakeClock(time.time())
    flow = JwtFlow(JwtAuth(payload={"sub": "ada", "exp": "+300s", "jti": "random"}),
                   Secret(SENTINEL), clock=clock)
    start = clock.now
    seen = len(expected.jwt_tokens)
    with httpx2.Client(base_url=server.url, auth=flow,
                       verify=server.client_ssl_context()) as client:
        assert client.get("/jwt/HS256").status_code == 200
        clock.now = start + 200
        assert client.get("/jwt/HS256").status_code == 200
        clock.now = start + 269  # still more than 30 s before exp: reused
        assert client.get("/jwt/HS256").status_code == 200
        clock.now = start + 271  # within 30 s of exp: re-signed
        assert client.get("/jwt/HS256").status_code == 200
        clock.now = start + 290
        assert client.get("/jwt/HS256").status_code == 200
    tokens = expected.jwt_tokens[seen:]
    claims = expected.jwt_seen[seen:]
    assert tokens[0] == tokens[1] == tokens[2]
    assert tokens[3] != tokens[2] and tokens[4] == tokens[3]
    assert claims[3]["exp"] - claims[0]["exp"] == 271
    assert claims[3]["jti"] != claims[0]["jti"]
    assert flow.signed == 2


def test_jwt_time_templates_and_static_payloads():
    clock = FakeClock(1_000_000.0)
    flow = JwtFlow(JwtAuth(payload={"iat": "now", "nbf": "-30s", "exp": "+5m",
                                    "auth_time": 999_000}), Secret(SENTINEL), clock=clock)
    assert flow.claims(1_000_000.0) == {"iat": 1_000_000, "nbf": 999_970, "exp": 1_000_300,
                                        "auth_time": 999_000}
    decoded = jwt.decode(flow.token(), SENTINEL, algorithms=["HS256"],
                         options={"verify_exp": False, "verify_nbf": False,
                                  "verify_iat": False})
    assert decoded["exp"] == 1_000_300
    # a static payload is signed once; a template without exp is signed per request
    static = JwtFlow(JwtAuth(payload={"sub": "ada"}), Secret(SENTINEL), clock=clock)
    assert static.token() == static.token() and static.signed == 1
    dynamic = JwtFlow(JwtAuth(payload={"iat": "now"}), Secret(SENTINEL), clock=clock)
    first = dynamic.token()
    clock.now += 1
    second = dynamic.token()
    assert dynamic.signed == 3 and first != second
    assert jwt.decode(second, SENTINEL, algorithms=["HS256"])["iat"] == 1_000_001


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
def test_jwt_algorithm_none_is_refused(alg):
    with pytest.raises(AuthConfigError, match="unsigned"):
        JwtAuth(algorithm=alg)


@pytest.mark.parametrize("alg", ["HS1024", "RS128", "hs256", "", None])
def test_jwt_unknown_algorithm_is_refused(alg):
    with pytest.raises(AuthConfigError, match="JWT algorithm") as err:
        JwtAuth(algorithm=alg)
    assert "HS256" in str(err.value)


@pytest.mark.parametrize(("alg", "length"), [("HS256", 31), ("HS384", 47), ("HS512", 63),
                                             ("HS256", 0)])
def test_jwt_hmac_key_too_short(alg, length):
    with pytest.raises(AuthConfigError, match=r"shorter than|secret 'secret'") as err:
        build_auth(JwtAuth(algorithm=alg), {"secret": Secret(SENTINEL[:length])}, {})
    assert_no_sentinel(err.value)


@pytest.mark.parametrize(("alg", "length"), [("HS256", 32), ("HS384", 48), ("HS512", 64)])
def test_jwt_hmac_key_long_enough(alg, length):
    flow = build_auth(JwtAuth(algorithm=alg), {"secret": Secret(SENTINEL[:length])}, {})
    assert jwt.decode(flow.token(), SENTINEL[:length], algorithms=[alg]) == {}


def _bad_pems(keys: dict[str, Any], tls_ca: Any) -> list[tuple[str, str, str]]:
    enc = keys["rsa"].private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"pass-phrase")).decode()
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    cert = tls_ca.issue_cert("example.com").cert_chain_pems[0].bytes().decode()
    return [
        ("RS256", _public_pem(keys["rsa"]).decode(), "not a private key"),
        ("ES256", _public_pem(keys["P-256"]).decode(), "not a private key"),
        ("RS256", cert, "not a private key"),
        ("RS256", SENTINEL, "not a PEM private key"),
        ("RS256", "-----BEGIN PRIVATE KEY-----\n" + SENTINEL + "\n-----END PRIVATE KEY-----",
         "not a readable PEM"),
        ("RS256", enc, "encrypted"),
        ("RS256", _pem(small), "under 2048 bits"),
        ("RS256", _pem(keys["P-256"]), "does not match RS256"),
        ("PS256", _pem(keys["ed25519"]), "does not match PS256"),
        ("ES256", _pem(keys["rsa"]), "does not match ES256"),
        ("ES384", _pem(keys["P-256"]), "does not match ES384"),
        ("ES512", _pem(keys["P-384"]), "does not match ES512"),
        ("EdDSA", _pem(keys["P-256"]), "does not match EdDSA"),
        ("HS256", _pem(keys["rsa"]), "is a PEM key"),
    ]


def test_jwt_bad_pems_are_refused(keys, tls_ca):
    for alg, pem, words in _bad_pems(keys, tls_ca):
        with pytest.raises(AuthConfigError) as err:
            build_auth(JwtAuth(algorithm=alg), {"secret": Secret(pem)}, {})
        assert words in str(err.value), (alg, words, str(err.value))
        assert "PRIVATE KEY-----\nMII" not in str(err.value)
        assert_no_sentinel(err.value)


def test_jwt_pem_with_escaped_newlines_from_one_env_line(keys, monkeypatch):
    one_line = _pem(keys["P-256"]).replace("\n", "\\n")
    flow = build_auth(JwtAuth(algorithm="ES256"), {"secret": Secret(one_line)}, {})
    assert jwt.decode(flow.token(), _public_pem(keys["P-256"]), algorithms=["ES256"]) == {}


@pytest.mark.parametrize(("payload", "words"), [
    ("[1, 2]", "not an array"),
    ('"ada"', "not a string"),
    ("42", "not a number"),
    ("{bad json", "not valid JSON"),
    ([1, 2], "not an array"),
    (7, "not a number"),
    ({"exp": "+5 minutes"}, "'exp'"),
    ({"iat": "tomorrow"}, "'iat'"),
    ({"nbf": True}, "'nbf'"),
    ({"exp": None}, "'exp'"),
    ({"x": float("nan")}, "plain JSON"),
    ({"x": object()}, "plain JSON"),
])
def test_jwt_payload_must_be_a_json_object(payload, words):
    with pytest.raises(AuthConfigError) as err:
        JwtAuth(payload=payload)
    assert words in str(err.value)


def test_jwt_payload_as_json_text_equals_dict():
    a = JwtAuth(payload='{"sub": "ada", "exp": "+300s"}')
    b = JwtAuth(payload={"sub": "ada", "exp": "+300s"})
    assert a == b and a.to_dict() == {"type": "jwt", "algorithm": "HS256", "add_to": "header",
                                      "payload": {"sub": "ada", "exp": "+300s"}}
    assert auth_from_dict(a.to_dict()) == a


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"add_to": "query"}, "(query_name); set it"),
    ({"add_to": "cookie"}, "add-to 'cookie'"),
    ({"header_name": "X-JWT\r\nEvil: 1"}, "line break"),
    ({"header_name": "X JWT"}, "not a valid HTTP header"),
    ({"add_to": "query", "query_name": "jwt", "header_name": "X-JWT"}, "header_name set"),
    ({"query_name": "jwt"}, "query_name set"),
])
def test_jwt_add_to_errors(kwargs, words):
    with pytest.raises(AuthConfigError) as err:
        JwtAuth(**kwargs)
    assert words in str(err.value)


# --------------------------------------------------------------------------- OAuth2 configs


@pytest.mark.parametrize("cls", [OAuth2ClientCredentials, OAuth2Password, OAuth2Code])
def test_oauth2_token_url_is_required(cls):
    with pytest.raises(AuthConfigError, match=r"token URL \(token_url\); set it") as err:
        cls(authorization_url="https://a.example.com/a") if cls is OAuth2Code else cls()
    assert err.value.option == "token_url" and "--" not in str(err.value)


def test_oauth2_code_needs_authorization_url_and_identity_pairs():
    with pytest.raises(AuthConfigError, match=r"authorization URL \(authorization_url\)") as err:
        OAuth2Code(token_url="https://a.example.com/t")
    assert err.value.option == "authorization_url"
    with pytest.raises(AuthConfigError, match="identity_param") as err:
        OAuth2Code(token_url="https://a.example.com/t", authorization_url="https://a.example.com/a",
                   identity_endpoint="/me")
    assert err.value.option == "identity_param" and "--" not in str(err.value)
    with pytest.raises(AuthConfigError, match="identity_endpoint"):
        OAuth2Code(token_url="https://a.example.com/t", authorization_url="https://a.example.com/a",
                   identity_param="email")
    ok = OAuth2Code(token_url="https://a.example.com/t",
                    authorization_url="https://a.example.com/a?prompt=consent",
                    identity_endpoint="https://api.example.com/me", identity_param="email")
    assert ok.authorization_url.endswith("?prompt=consent")


@pytest.mark.parametrize(("field", "url"), [
    ("token_url", "http://auth.example.com/token"),
    ("token_url", "/oauth/token"),
    ("token_url", "ftp://auth.example.com/token"),
    ("token_url", "https://user:pw@auth.example.com/token"),
    ("refresh_url", "http://auth.example.com/refresh"),
    ("authorization_url", "auth.example.com/authorize"),
    ("redirect_url", "http://app.example.com/callback"),
    ("identity_endpoint", "http://api.example.com/me"),
])
def test_oauth2_urls_must_be_absolute_https(field, url):
    kwargs: dict[str, Any] = {"token_url": "https://a.example.com/t",
                              "authorization_url": "https://a.example.com/a"}
    if field == "identity_endpoint":
        kwargs["identity_param"] = "email"
    kwargs[field] = url
    with pytest.raises(AuthConfigError) as err:
        OAuth2Code(**kwargs)
    assert f"({field})" in str(err.value)
    assert "pw@" not in str(err.value)


def test_oauth2_loopback_http_is_allowed():
    c = OAuth2Code(token_url="http://127.0.0.1:9000/token",
                   authorization_url="http://localhost:9000/authorize",
                   redirect_url="http://127.0.0.1:8765/callback")
    assert c.token_url == "http://127.0.0.1:9000/token"


def test_oauth2_client_auth_choices():
    for method in ("basic", "body", "basic-form-encoded"):
        assert OAuth2ClientCredentials(token_url="https://a.example.com/t",
                                       client_auth=method).client_auth == method
    with pytest.raises(AuthConfigError, match="client authentication"):
        OAuth2ClientCredentials(token_url="https://a.example.com/t", client_auth="jwt")


def test_secret_and_setting_fields():
    assert ApiKeyAuth.secret_fields == ("value",)
    assert BasicAuth.secret_fields == ("password",) and BasicAuth.setting_fields == ("username",)
    assert BearerAuth.secret_fields == ("token",)
    assert JwtAuth.secret_fields == ("secret",)
    assert OAuth2Password.secret_fields == ("client_secret", "password")
    assert OAuth2Password.setting_fields == ("client_id", "username")
    assert OAuth2ClientCredentials.secret_fields == ("client_secret",)


# --------------------------------------------------------------------------- dispatch & dicts


@pytest.mark.parametrize("data", [{"type": "digest"}, {"type": None}, {}, {"type": "API-KEY"}])
def test_unknown_auth_type(data):
    with pytest.raises(AuthConfigError, match="is not one of api-key, basic"):
        auth_from_dict(data)
    with pytest.raises(AuthConfigError):
        build_auth(data, {}, {})


def test_secret_fields_are_not_config_fields():
    with pytest.raises(AuthConfigError, match="it is a secret") as err:
        auth_from_dict({"type": "basic", "password": SENTINEL})
    assert "reference such as password=env:NAME" in str(err.value)
    assert err.value.option == "secret" and "--" not in str(err.value)
    assert_no_sentinel(err.value)
    with pytest.raises(AuthConfigError, match="a setting of each test connection") as err:
        auth_from_dict({"type": "basic", "username": "ada"})
    assert err.value.option == "set" and "--" not in str(err.value)
    with pytest.raises(AuthConfigError, match="no field"):
        auth_from_dict({"type": "bearer", "colour": "red"})


def test_auth_from_dict_accepts_kebab_case():
    assert auth_from_dict({"type": "jwt", "add-to": "query", "query-name": "t"}) == \
        JwtAuth(add_to="query", query_name="t")


def test_bad_auth_leaves_the_connector_unchanged():
    c = Connector("x", base_url="https://api.example.com", auth=BearerAuth())
    for bad in ({"type": "jwt", "algorithm": "none"}, {"type": "api-key", "key": "a\r\nb"},
                {"type": "oauth2-client-credentials", "token_url": "http://x.example.com/t"},
                {"type": "magic"}):
        with pytest.raises(AuthConfigError):
            c.auth = bad
        assert c.auth == BearerAuth()


@pytest.mark.parametrize(("config", "field"), [
    (ApiKeyAuth(), "value"), (BearerAuth(), "token"), (JwtAuth(), "secret"),
])
def test_missing_secret_names_the_field(config, field):
    with pytest.raises(AuthConfigError, match=f"secret '{field}'") as err:
        build_auth(config, {}, {})
    assert f"reference such as {field}=env:NAME" in str(err.value)
    assert err.value.option == "secret" and "--" not in str(err.value)


def test_build_auth_none_and_type_errors():
    assert build_auth(None, {}, {}) is None
    with pytest.raises(AuthConfigError, match="must be an AuthConfig"):
        build_auth("bearer", {}, {})  # type: ignore[arg-type]


def test_build_auth_accepts_plain_strings_and_masks_them():
    flow = build_auth(BearerAuth(), {"token": SENTINEL}, {})
    assert_no_sentinel(flow)
    assert vars(flow) and all(SENTINEL not in repr(v) for v in vars(flow).values())


def test_oauth2_types_go_to_the_oauth_module():
    flow = build_auth(OAuth2ClientCredentials(token_url="https://auth.example.com/token",
                                              client_id="cid"),
                      {"client_secret": Secret(SENTINEL)}, {})
    assert isinstance(flow, httpx2.Auth)
    assert type(flow).__module__ == "nbconnect.auth.oauth"
    assert_no_sentinel(flow)


# --------------------------------------------------------------------------- connections


def test_find_connection():
    c = Connector("x", base_url="https://api.example.com")
    with pytest.raises(ConnectionNotFoundError, match="has no test connection") as err:
        find_connection(c)
    assert "%connect" not in str(err.value) and "--" not in str(err.value)
    a = Connection("alpha", "https://a.example.com")
    b = Connection("beta", "https://b.example.com")
    c.connections = (a,)
    assert find_connection(c) is a  # the only one
    c.connections = (a, b)
    with pytest.raises(ConnectionNotFoundError,
                       match=r"none is the default; name one or mark one as the default") as err:
        find_connection(c)
    assert err.value.option == "connection"
    c.connections = (a, Connection("beta", "https://b.example.com", default=True))
    assert find_connection(c).name == "beta"
    assert find_connection(c, "alpha") is a
    with pytest.raises(ConnectionNotFoundError, match="did you mean alpha"):
        find_connection(c, "alpah")
    with pytest.raises(ConnectionNotFoundError, match="its connections are alpha, beta"):
        find_connection(c, "zzz")


def test_client_for_uses_the_connection_base_url(server):
    c = Connector("x", base_url="https://api.example.com")
    with client_for(c) as client:  # no connections and no auth: the connector's URL
        assert str(client.base_url) == "https://api.example.com"
        assert client.auth is None
    c.auth = BearerAuth()
    with pytest.raises(ConnectionNotFoundError, match="has no test connection; add one"):
        client_for(c)
    c = connector(server, BearerAuth(), {"token": Secret(SENTINEL)})
    conn = Connection("other", "https://other.example.com/v1", secrets={"token": Secret(SENTINEL)})
    with client_for(c, conn) as client:
        assert str(client.base_url) == "https://other.example.com/v1/"
    with client_for(c, "local", verify=server.client_ssl_context(), timeout=3.0) as client:
        assert client.timeout.read == 3.0
        assert client.get("/bearer").status_code == 200


def test_client_for_unset_env_secret_names_the_variable(server, monkeypatch):
    monkeypatch.delenv("NBC_TEST_UNSET_TOKEN", raising=False)
    c = connector(server, BearerAuth(), {"token": "env:NBC_TEST_UNSET_TOKEN"})
    with pytest.raises(SecretError, match="NBC_TEST_UNSET_TOKEN"):
        client_for(c)


def test_client_for_connection_without_the_secret(server, monkeypatch):
    monkeypatch.delenv("NBCONNECT_SECRET_LOCAL_TOKEN", raising=False)
    c = connector(server, BearerAuth(), {})
    with pytest.raises(SecretError, match="token"):
        client_for(c)


def test_client_for_prompt_reference(server):
    asked: list[str] = []

    def prompt(label: str) -> str:
        asked.append(label)
        return SENTINEL

    c = connector(server, BearerAuth(), {"token": "prompt"})
    with client_for(c, prompt=prompt, verify=server.client_ssl_context()) as client:
        assert client.get("/bearer").status_code == 200
    assert len(asked) == 1 and SENTINEL not in asked[0]


def test_errors_are_one_sentence():
    errors: list[NbConnectError] = []
    for make in (lambda: ApiKeyAuth(key=""), lambda: JwtAuth(algorithm="none"),
                 lambda: JwtAuth(payload="[1]"), lambda: OAuth2ClientCredentials(),
                 lambda: build_auth(BasicAuth(), {"password": "p"}, {"username": "a:b"})):
        with pytest.raises(AuthConfigError) as err:
            make()
        errors.append(err.value)
    for e in errors:
        text = str(e)
        assert text.endswith(".") and "\n" not in text
        assert text.count(". ") == 0 or "e.g. " in text, text


def test_flow_reprs_are_stable_and_masked(keys):
    flows = [
        ApiKeyFlow("X-API-Key", Secret(SENTINEL)),
        BasicFlow("ada", Secret(SENTINEL)),
        BearerFlow(Secret(SENTINEL)),
        JwtFlow(JwtAuth(header_name="X-JWT"), Secret(SENTINEL)),
        JwtFlow(JwtAuth(algorithm="ES256"), Secret(_pem(keys["P-256"]))),
    ]
    assert [repr(f) for f in flows] == [
        "ApiKeyFlow(key='X-API-Key', add_to='header', value='***')",
        "BasicFlow(username='ada', password='***')",
        "BearerFlow(token='***')",
        "JwtFlow(algorithm='HS256', add_to='header', header_name='X-JWT', secret='***')",
        "JwtFlow(algorithm='ES256', add_to='header', secret='***')",
    ]
    assert_no_sentinel(*flows)
    assert json.dumps([repr(f) for f in flows]).count("***") == 5
    assert auth.MASK == "***"
