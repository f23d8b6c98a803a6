"""OAuth2 end to end: auth.oauth against an authlib-built authorization server over TLS."""

from __future__ import annotations

import base64
import hashlib
import logging
import socket
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx2
import pytest
from tests.oauth_server import OAuthTestServer
from tests.servers import free_port, serve

from nbconnect.auth import oauth, oauth_grants
from nbconnect.errors import AuthConfigError, OAuthError
from nbconnect.model import OAuth2ClientCredentials, OAuth2Code, OAuth2Password

SENTINEL = "s3ntinel-CLIENT-secret-7f3a9"
PASSWORD = "s3ntinel-PASSWORD-2b71"
ODD_ID = "svc:reports 100%"
ODD_SECRET = "s3ntinel:odd %41 secret+x"
RAW_ID = "raw id+1"  # no ':' (RFC 7617 forbids it in Basic), but ' ' and '+' differ


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    oauth.clear_token_cache()
    yield
    oauth.clear_token_cache()


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    for name in ("httpx2", "httpcore2", "httpcore", "authlib", "nbconnect"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    return caplog


@pytest.fixture
def auth_server(tls_ca: Any) -> Iterator[tuple[OAuthTestServer, Any]]:
    server = OAuthTestServer()
    server.add_user("ada", PASSWORD, "ada@example.com")
    server.add_client("app", SENTINEL)
    server.add_client("poster", SENTINEL, auth_methods=("client_secret_post",))
    server.add_client(ODD_ID, ODD_SECRET, auth_methods=("client_secret_basic_form",))
    server.add_client(RAW_ID, SENTINEL + " %41+x", auth_methods=("client_secret_basic",))
    server.add_client("public", None)
    with serve(server.app, tls=tls_ca) as srv:
        yield server, srv


def _cc(srv: Any, **kw: Any) -> OAuth2ClientCredentials:
    return OAuth2ClientCredentials(token_url=srv.url + "/token", **{"client_id": "app", **kw})


def _me(auth: Any, srv: Any) -> httpx2.Response:
    with httpx2.Client(auth=auth, verify=srv.client_ssl_context()) as client:
        return client.get(srv.url + "/api/me")


def _assert_clean(text: str, *extra: str) -> None:
    for value in (SENTINEL, PASSWORD, ODD_SECRET, *extra):
        assert value not in text


def _client_records(logs: pytest.LogCaptureFixture) -> str:
    """Log text from the client side (the test server's own authlib logs excluded)."""
    return "\n".join(r.getMessage() for r in logs.records
                     if not r.name.startswith("authlib.oauth2.rfc"))


# --------------------------------------------------------------------------- unit


def test_pkce_rfc7636_appendix_b_vector() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert oauth.pkce_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_pkce_verifier_is_fresh_and_well_formed() -> None:
    a, b = oauth.pkce_verifier(), oauth.pkce_verifier()
    assert a != b and 43 <= len(a) <= 128
    assert set(a) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
    digest = base64.urlsafe_b64encode(hashlib.sha256(a.encode()).digest()).rstrip(b"=")
    assert oauth.pkce_challenge(a) == digest.decode()


def test_token_info_repr_masks_tokens() -> None:
    info = oauth.TokenInfo("AT-" + SENTINEL, refresh_token="RT-" + SENTINEL, expires_in=300,
                           scope="read", identity="ada@example.com")
    for text in (repr(info), str(info), f"{info}"):
        assert SENTINEL not in text
    assert repr(info) == ("TokenInfo(token_type='Bearer', expires_in=300, scope='read', "
                          "identity='ada@example.com', access_token='***', "
                          "refresh_token='***')")
    with pytest.raises(TypeError):
        __import__("pickle").dumps(info)


def test_token_info_refuses_response_without_access_token() -> None:
    with pytest.raises(OAuthError, match="without an access_token"):
        oauth.TokenInfo.from_response({"token_type": "Bearer"}, now=0)
    with pytest.raises(OAuthError, match="only Bearer"):
        oauth.TokenInfo.from_response({"access_token": "x", "token_type": "mac"}, now=0)


def test_missing_fields_are_config_errors() -> None:
    url = "https://127.0.0.1:1/token"
    with pytest.raises(AuthConfigError, match="client secret") as err:
        oauth.build_oauth2_auth(OAuth2ClientCredentials(token_url=url, client_id="a"), {}, {})
    assert err.value.option == "secret" and "--" not in str(err.value)
    with pytest.raises(AuthConfigError, match="client id") as err:
        oauth.build_oauth2_auth(OAuth2ClientCredentials(token_url=url), {"client_secret": "s"})
    assert err.value.option == "client_id" and "--" not in str(err.value)
    with pytest.raises(AuthConfigError, match="username") as err:
        oauth.build_oauth2_auth(OAuth2Password(token_url=url, client_id="a"),
                                {"password": PASSWORD}, {})
    assert err.value.option == "set" and "--" not in str(err.value)
    with pytest.raises(AuthConfigError, match="password") as err:
        oauth.build_oauth2_auth(OAuth2Password(token_url=url, client_id="a"), {},
                                {"username": "ada"})
    assert err.value.option == "secret" and "--" not in str(err.value)
    with pytest.raises(AuthConfigError, match="identity_base_url"):
        oauth.authorize_code(OAuth2Code(token_url=url, client_id="a",
                                        authorization_url="https://127.0.0.1:1/authorize",
                                        identity_endpoint="/api/me",
                                        identity_param="email"), {})
    with pytest.raises(AuthConfigError, match="loopback") as err:
        oauth.authorize_code(OAuth2Code(token_url=url, client_id="a",
                                        authorization_url="https://127.0.0.1:1/authorize",
                                        redirect_url="https://app.example.com/cb"), {})
    assert err.value.option == "paste" and "paste=" not in str(err.value)


def test_basic_form_encoding_follows_rfc6749_2_3_1() -> None:
    class C:
        client_id = ODD_ID
        client_secret = ODD_SECRET

    _, headers, _ = oauth_grants._encode_client_secret_basic_form(C(), "POST", "u", {}, "")
    decoded = base64.b64decode(headers["Authorization"].split()[1]).decode()
    assert decoded == "svc%3Areports+100%25:s3ntinel%3Aodd+%2541+secret%2Bx"


# --------------------------------------------------------------------------- grants


def test_client_credentials_end_to_end(auth_server: Any, logs: Any) -> None:
    server, srv = auth_server
    auth = oauth.build_oauth2_auth(_cc(srv, scope="read"), {"client_secret": SENTINEL}, {},
                                   verify=srv.client_ssl_context())
    assert server.token_requests == []  # lazy: nothing before the first request
    first = _me(auth, srv)
    second = _me(auth, srv)
    assert first.status_code == second.status_code == 200
    assert first.json() == {"client_id": "app", "scope": "read"}
    assert server.grants() == ["client_credentials"]  # cached, fetched once
    assert server.token_requests[0]["scope"] == "read"
    assert server.token_requests[0]["basic"] and not server.token_requests[0]["post"]
    token = auth.token
    assert token is not None and token.scope == "read" and token.expires_in == 3600
    access = token.reveal_access_token()
    assert [bearer for _, bearer in server.resource_requests] == [access, access]
    _assert_clean(repr(auth) + str(auth) + repr(token), access)
    _assert_clean(_client_records(logs), access)
    assert SENTINEL not in logs.text


def test_scope_is_not_sent_when_unset(auth_server: Any) -> None:
    server, srv = auth_server
    auth = oauth.build_oauth2_auth(_cc(srv), {"client_secret": SENTINEL},
                                   verify=srv.client_ssl_context())
    assert _me(auth, srv).status_code == 200
    assert server.token_requests[0]["scope"] is None


def test_password_grant_end_to_end(auth_server: Any, logs: Any) -> None:
    server, srv = auth_server
    config = OAuth2Password(token_url=srv.url + "/token", client_id="app")
    auth = oauth.build_oauth2_auth(config, {"client_secret": SENTINEL, "password": PASSWORD},
                                   {"username": "ada"}, verify=srv.client_ssl_context())
    response = _me(auth, srv)
    assert response.status_code == 200
    assert response.json()["email"] == "ada@example.com"
    assert server.grants() == ["password"]
    assert auth.token.has_refresh_token
    _assert_clean(repr(auth), auth.token.reveal_refresh_token())
    assert PASSWORD not in logs.text and SENTINEL not in logs.text


def test_client_auth_body_uses_client_secret_post(auth_server: Any) -> None:
    server, srv = auth_server
    auth = oauth.build_oauth2_auth(_cc(srv, client_id="poster", client_auth="body"),
                                   {"client_secret": SENTINEL},
                                   verify=srv.client_ssl_context())
    assert _me(auth, srv).status_code == 200
    assert server.token_requests[0]["post"] and not server.token_requests[0]["basic"]


def test_basic_form_encoded_differs_from_basic(auth_server: Any) -> None:
    _server, srv = auth_server
    ctx = srv.client_ssl_context()
    secrets = {"client_secret": ODD_SECRET}
    form = oauth.build_oauth2_auth(_cc(srv, client_id=ODD_ID,
                                       client_auth="basic-form-encoded"), secrets, verify=ctx)
    assert _me(form, srv).status_code == 200
    oauth.clear_token_cache()
    plain = oauth.build_oauth2_auth(_cc(srv, client_id=ODD_ID), secrets, verify=ctx)
    with pytest.raises(OAuthError) as err:
        _me(plain, srv)
    assert "invalid_client" in str(err.value) and "basic-form-encoded" in str(err.value)
    _assert_clean(str(err.value))


def test_plain_basic_client_refuses_form_encoding(auth_server: Any) -> None:
    _server, srv = auth_server
    ctx = srv.client_ssl_context()
    secrets = {"client_secret": SENTINEL + " %41+x"}
    plain = oauth.build_oauth2_auth(_cc(srv, client_id=RAW_ID), secrets, verify=ctx)
    assert _me(plain, srv).status_code == 200
    oauth.clear_token_cache()
    form = oauth.build_oauth2_auth(_cc(srv, client_id=RAW_ID,
                                       client_auth="basic-form-encoded"), secrets, verify=ctx)
    with pytest.raises(OAuthError, match="invalid_client"):
        _me(form, srv)


# --------------------------------------------------------------------------- refresh


def test_refresh_before_expiry_uses_refresh_token(auth_server: Any) -> None:
    server, srv = auth_server
    now = [time.time()]
    config = OAuth2Password(token_url=srv.url + "/token", client_id="app")
    auth = oauth.build_oauth2_auth(config, {"client_secret": SENTINEL, "password": PASSWORD},
                                   {"username": "ada"}, verify=srv.client_ssl_context(),
                                   leeway=60, clock=lambda: now[0])
    assert _me(auth, srv).status_code == 200
    first = auth.token.reveal_access_token()
    now[0] += 3600 - 90  # 90 s left: not yet within the leeway
    assert _me(auth, srv).status_code == 200
    assert server.grants() == ["password"]
    now[0] += 45  # 45 s left: within the leeway, refreshed before it expires
    assert _me(auth, srv).status_code == 200
    assert server.grants() == ["password", "refresh_token"]
    second = auth.token.reveal_access_token()
    assert second != first
    assert [bearer for _, bearer in server.resource_requests] == [first, first, second]
    assert all(status == 200 for status, _ in server.resource_requests)


def test_refresh_url_is_used_for_refresh(auth_server: Any, tls_ca: Any) -> None:
    server, srv = auth_server
    now = [time.time()]
    config = OAuth2Password(token_url=srv.url + "/token", client_id="app",
                            refresh_url=srv.url + "/token")
    auth = oauth.build_oauth2_auth(config, {"client_secret": SENTINEL, "password": PASSWORD},
                                   {"username": "ada"}, verify=srv.client_ssl_context(),
                                   clock=lambda: now[0])
    _me(auth, srv)
    now[0] += 3600
    assert _me(auth, srv).status_code == 200
    assert server.grants() == ["password", "refresh_token"]


def test_client_credentials_without_refresh_token_fetches_again(auth_server: Any) -> None:
    server, srv = auth_server
    now = [time.time()]
    auth = oauth.build_oauth2_auth(_cc(srv), {"client_secret": SENTINEL},
                                   verify=srv.client_ssl_context(), clock=lambda: now[0])
    _me(auth, srv)
    now[0] += 3600 - 10
    assert _me(auth, srv).status_code == 200
    assert server.grants() == ["client_credentials", "client_credentials"]


def test_short_lived_tokens_refresh_at_half_life_not_every_request(auth_server: Any) -> None:
    server, srv = auth_server
    server.access_lifetime = 40  # shorter than twice the 60 s leeway
    now = [time.time()]
    auth = oauth.build_oauth2_auth(_cc(srv), {"client_secret": SENTINEL},
                                   verify=srv.client_ssl_context(), clock=lambda: now[0])
    _me(auth, srv)
    _me(auth, srv)
    assert server.grants() == ["client_credentials"]
    now[0] += 25
    _me(auth, srv)
    assert server.grants() == ["client_credentials", "client_credentials"]


def test_refresh_once_on_401(auth_server: Any) -> None:
    server, srv = auth_server
    config = OAuth2Password(token_url=srv.url + "/token", client_id="app")
    auth = oauth.build_oauth2_auth(config, {"client_secret": SENTINEL, "password": PASSWORD},
                                   {"username": "ada"}, verify=srv.client_ssl_context())
    assert _me(auth, srv).status_code == 200
    server.revoke_access_tokens()  # the server drops the token before its expiry
    response = _me(auth, srv)
    assert response.status_code == 200
    assert server.grants() == ["password", "refresh_token"]
    assert [status for status, _ in server.resource_requests] == [200, 401, 200]


def test_401_after_refresh_is_returned_not_retried_forever(auth_server: Any) -> None:
    server, srv = auth_server
    auth = oauth.build_oauth2_auth(_cc(srv), {"client_secret": SENTINEL},
                                   verify=srv.client_ssl_context())
    with httpx2.Client(auth=auth, verify=srv.client_ssl_context()) as client:
        assert client.get(srv.url + "/api/me").status_code == 200
        server.access_lifetime = 0  # every token the server issues from now on is dead
        server.revoke_access_tokens()
        response = client.get(srv.url + "/api/me")
    assert response.status_code == 401
    assert server.grants() == ["client_credentials", "client_credentials"]
    assert [status for status, _ in server.resource_requests] == [200, 401, 401]


def test_revoked_refresh_token_falls_back_to_a_new_grant(auth_server: Any) -> None:
    server, srv = auth_server
    config = OAuth2Password(token_url=srv.url + "/token", client_id="app")
    auth = oauth.build_oauth2_auth(config, {"client_secret": SENTINEL, "password": PASSWORD},
                                   {"username": "ada"}, verify=srv.client_ssl_context())
    _me(auth, srv)
    server.revoke_access_tokens()
    server.revoke_refresh_tokens()
    assert _me(auth, srv).status_code == 200
    assert server.grants() == ["password", "refresh_token", "password"]


def test_async_client_gets_and_refreshes_tokens(auth_server: Any) -> None:
    import asyncio

    server, srv = auth_server
    auth = oauth.build_oauth2_auth(_cc(srv), {"client_secret": SENTINEL},
                                   verify=srv.client_ssl_context())

    async def run() -> list[int]:
        async with httpx2.AsyncClient(auth=auth, verify=srv.client_ssl_context()) as client:
            first = await client.get(srv.url + "/api/me")
            server.revoke_access_tokens()
            second = await client.get(srv.url + "/api/me")
            return [first.status_code, second.status_code]

    assert asyncio.run(run()) == [200, 200]
    assert server.grants() == ["client_credentials", "client_credentials"]


# --------------------------------------------------------------------------- token errors


def test_invalid_client_shows_rfc_error_not_secret(auth_server: Any, logs: Any) -> None:
    _server, srv = auth_server
    auth = oauth.build_oauth2_auth(_cc(srv), {"client_secret": "wrong-" + SENTINEL},
                                   verify=srv.client_ssl_context())
    with pytest.raises(OAuthError) as err:
        _me(auth, srv)
    message = str(err.value)
    assert message.startswith("The token endpoint refused the request: invalid_client "
                              "(The client cannot authenticate")
    assert err.value.__cause__ is None and err.value.__suppress_context__
    _assert_clean(message + repr(err.value) + repr(auth))
    assert SENTINEL not in logs.text


def test_invalid_grant_shows_rfc_error_not_password(auth_server: Any, logs: Any) -> None:
    _server, srv = auth_server
    config = OAuth2Password(token_url=srv.url + "/token", client_id="app")
    auth = oauth.build_oauth2_auth(config, {"client_secret": SENTINEL,
                                            "password": "bad-" + PASSWORD},
                                   {"username": "ada"}, verify=srv.client_ssl_context())
    with pytest.raises(OAuthError) as err:
        _me(auth, srv)
    assert str(err.value) == ("The token endpoint refused the request: invalid_grant (The "
                              "username or password is wrong); check the username and "
                              "password, or authorize again.")
    assert PASSWORD not in logs.text and SENTINEL not in logs.text


def test_error_description_echoing_a_secret_is_scrubbed(auth_server: Any) -> None:
    server, srv = auth_server
    body = ('{"error": "invalid_request", "error_description": "bad secret '
            + SENTINEL + '"}')
    server.token_override = (400, "application/json", body)
    auth = oauth.build_oauth2_auth(_cc(srv), {"client_secret": SENTINEL},
                                   verify=srv.client_ssl_context())
    with pytest.raises(OAuthError) as err:
        _me(auth, srv)
    assert "invalid_request (bad secret ***)" in str(err.value)
    _assert_clean(str(err.value))


@pytest.mark.parametrize("status", [200, 400, 502])
def test_html_token_response(auth_server: Any, status: int) -> None:
    server, srv = auth_server
    server.token_override = (status, "text/html", "<html><body>Sign in</body></html>")
    auth = oauth.build_oauth2_auth(_cc(srv), {"client_secret": SENTINEL},
                                   verify=srv.client_ssl_context())
    with pytest.raises(OAuthError) as err:
        _me(auth, srv)
    assert f"answered HTTP {status} (text/html) instead of a JSON token" in str(err.value)
    assert server.resource_requests == []


def test_json_without_access_token(auth_server: Any) -> None:
    server, srv = auth_server
    server.token_override = (200, "application/json", '{"token_type": "Bearer"}')
    auth = oauth.build_oauth2_auth(_cc(srv), {"client_secret": SENTINEL},
                                   verify=srv.client_ssl_context())
    with pytest.raises(OAuthError, match="without an access_token"):
        _me(auth, srv)


def test_unreachable_token_endpoint(tls_ca: Any) -> None:
    url = f"https://127.0.0.1:{free_port()}/token"
    auth = oauth.build_oauth2_auth(OAuth2ClientCredentials(token_url=url, client_id="app"),
                                   {"client_secret": SENTINEL}, timeout=2)
    with (pytest.raises(OAuthError, match="Could not reach the token endpoint") as err,
          httpx2.Client(auth=auth) as client):
        client.get("https://127.0.0.1:1/")
    _assert_clean(str(err.value))


def test_untrusted_certificate_is_a_clear_error(auth_server: Any) -> None:
    _server, srv = auth_server
    auth = oauth.build_oauth2_auth(_cc(srv), {"client_secret": SENTINEL})  # default trust
    with pytest.raises(OAuthError, match="TLS certificate"):
        _me(auth, srv)


# --------------------------------------------------------------------------- code flow


def _code_config(srv: Any, **kw: Any) -> OAuth2Code:
    values: dict[str, Any] = {"token_url": srv.url + "/token", "client_id": "app",
                              "authorization_url": srv.url + "/authorize", "scope": "read",
                              "identity_endpoint": "/api/me", "identity_param": "email"}
    values.update(kw)
    return OAuth2Code(**values)


def _browser(srv: Any, tamper: dict[str, str] | None = None) -> Any:
    """An open_url that plays the browser: GET the URL, follow redirects to the listener."""
    seen: dict[str, Any] = {}

    def open_url(url: str) -> None:
        seen["url"] = url
        if tamper:
            parts = urlsplit(url)
            query = dict(parse_qsl(parts.query))
            query.update(tamper)
            url = urlunsplit(parts._replace(query=urlencode(query)))
        with httpx2.Client(verify=srv.client_ssl_context(), follow_redirects=True) as b:
            response = b.get(url)
        seen["landed"] = str(response.url)
        seen["status"] = response.status_code
        seen["body"] = response.text

    open_url.seen = seen  # type: ignore[attr-defined]
    return open_url


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        sock.listen()
        return True


def test_authorization_code_with_pkce_and_loopback_listener(auth_server: Any,
                                                            logs: Any) -> None:
    server, srv = auth_server
    browser = _browser(srv)
    config = _code_config(srv)
    info = oauth.authorize_code(config, {"client_secret": SENTINEL}, {}, open_url=browser,
                                timeout=10, verify=srv.client_ssl_context(),
                                identity_base_url=srv.url + "/")
    query = dict(parse_qsl(urlsplit(browser.seen["url"]).query))
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) == 43 and len(query["state"]) >= 20
    assert query["scope"] == "read"
    redirect = urlsplit(query["redirect_uri"])
    assert (redirect.scheme, redirect.hostname, redirect.path) == ("http", "127.0.0.1",
                                                                   "/callback")
    assert browser.seen["status"] == 200 and "close this tab" in browser.seen["body"]
    assert browser.seen["landed"].startswith(query["redirect_uri"] + "?code=")
    assert server.grants() == ["authorization_code"]
    assert info.identity == "ada@example.com"
    assert "identity='ada@example.com'" in repr(info)
    assert _port_is_free(redirect.port)

    # build_oauth2_auth reuses the cached code token: no second token request
    auth = oauth.build_oauth2_auth(config, {"client_secret": SENTINEL}, {},
                                   verify=srv.client_ssl_context())
    assert _me(auth, srv).json()["email"] == "ada@example.com"
    assert server.grants() == ["authorization_code"]
    access = info.reveal_access_token()
    _assert_clean(repr(info) + repr(auth), access, info.reveal_refresh_token())
    _assert_clean(_client_records(logs), access)


def test_code_token_refreshes_after_401(auth_server: Any) -> None:
    server, srv = auth_server
    config = _code_config(srv, identity_endpoint=None, identity_param=None)
    info = oauth.authorize_code(config, {"client_secret": SENTINEL}, {},
                                open_url=_browser(srv), timeout=10,
                                verify=srv.client_ssl_context())
    assert info.identity is None
    auth = oauth.build_oauth2_auth(config, {"client_secret": SENTINEL}, {},
                                   verify=srv.client_ssl_context())
    server.revoke_access_tokens()
    assert _me(auth, srv).status_code == 200
    assert server.grants() == ["authorization_code", "refresh_token"]
    # the refresh token itself revoked: refreshing fails with the RFC error
    server.revoke_access_tokens()
    server.revoke_refresh_tokens()
    with pytest.raises(OAuthError, match=r"invalid_grant.*authorize again"):
        _me(auth, srv)


def test_code_auth_without_token_asks_to_authorize(auth_server: Any) -> None:
    server, srv = auth_server
    auth = oauth.build_oauth2_auth(_code_config(srv), {"client_secret": SENTINEL}, {},
                                   verify=srv.client_ssl_context())
    with pytest.raises(OAuthError, match="run the authorization again"):
        _me(auth, srv)
    assert server.token_requests == []


def test_public_client_code_flow_with_fixed_redirect_port(auth_server: Any) -> None:
    server, srv = auth_server
    port = free_port()
    config = _code_config(srv, client_id="public",
                          redirect_url=f"http://127.0.0.1:{port}/callback",
                          identity_endpoint=srv.url + "/api/me",
                          identity_param="profile.email")
    info = oauth.authorize_code(config, {}, {}, open_url=_browser(srv), timeout=10,
                                verify=srv.client_ssl_context())
    assert info.identity == "ada@example.com"
    assert _port_is_free(port)
    # the same fixed port works again right away
    oauth.authorize_code(config, {}, {}, open_url=_browser(srv), timeout=10,
                         verify=srv.client_ssl_context())
    assert server.grants() == ["authorization_code", "authorization_code"]


def test_pasted_redirect_url(auth_server: Any) -> None:
    server, srv = auth_server
    landed: dict[str, str] = {}

    def open_url(url: str) -> None:  # a remote kernel: the browser cannot reach us
        with httpx2.Client(verify=srv.client_ssl_context()) as b:
            landed["url"] = b.get(url).headers["location"]

    config = _code_config(srv, redirect_url="http://127.0.0.1/callback")
    info = oauth.authorize_code(config, {"client_secret": SENTINEL}, {}, open_url=open_url,
                                paste=lambda: "  " + landed["url"] + "\n",
                                verify=srv.client_ssl_context(),
                                identity_base_url=srv.url)
    assert landed["url"].startswith("http://127.0.0.1/callback?code=")
    assert info.identity == "ada@example.com"
    assert server.grants() == ["authorization_code"]


def test_wrong_state_is_refused(auth_server: Any) -> None:
    server, srv = auth_server
    with pytest.raises(OAuthError, match="different state"):
        oauth.authorize_code(_code_config(srv), {"client_secret": SENTINEL}, {},
                             open_url=_browser(srv, tamper={"state": "forged-state-value"}),
                             timeout=10, verify=srv.client_ssl_context(),
                             identity_base_url=srv.url)
    assert server.token_requests == []
    assert oauth.cached_token(_code_config(srv)) is None


def test_access_denied(auth_server: Any) -> None:
    server, srv = auth_server
    server.authorize_as = None  # the user says no
    browser = _browser(srv)
    with pytest.raises(OAuthError) as err:
        oauth.authorize_code(_code_config(srv), {"client_secret": SENTINEL}, {},
                             open_url=browser, timeout=10, verify=srv.client_ssl_context(),
                             identity_base_url=srv.url)
    assert str(err.value).startswith(
        "The authorization server refused the authorization: access_denied (The resource "
        "owner or authorization server denied the request)")
    assert server.token_requests == []
    assert _port_is_free(urlsplit(browser.seen["landed"]).port)


def test_issuer_mismatch_is_refused(tls_ca: Any) -> None:
    server = OAuthTestServer(issuer="https://evil.example")
    server.add_user("ada", PASSWORD, "ada@example.com")
    server.add_client("app", SENTINEL)
    with serve(server.app, tls=tls_ca) as srv:
        config = _code_config(srv, identity_endpoint=None, identity_param=None)
        with pytest.raises(OAuthError, match=r"issuer 'https://evil\.example'"):
            oauth.authorize_code(config, {"client_secret": SENTINEL}, {},
                                 open_url=_browser(srv), timeout=10,
                                 verify=srv.client_ssl_context(),
                                 issuer="https://auth.example")
        info = oauth.authorize_code(config, {"client_secret": SENTINEL}, {},
                                    open_url=_browser(srv), timeout=10,
                                    verify=srv.client_ssl_context(),
                                    issuer="https://evil.example")
    assert info.has_refresh_token
    assert server.grants() == ["authorization_code"]


def test_redirect_timeout_frees_the_port(auth_server: Any) -> None:
    server, srv = auth_server
    port = free_port()
    shown: list[str] = []
    config = _code_config(srv, redirect_url=f"http://127.0.0.1:{port}/callback")
    with pytest.raises(OAuthError, match=r"No authorization redirect arrived within 0\.3 s"):
        oauth.authorize_code(config, {"client_secret": SENTINEL}, {}, open_url=shown.append,
                             timeout=0.3, verify=srv.client_ssl_context(),
                             identity_base_url=srv.url)
    assert shown and f"127.0.0.1%3A{port}" in shown[0]
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", port))  # no SO_REUSEADDR: the listener is really gone
    assert server.token_requests == []


def test_busy_redirect_port_is_a_clear_error(auth_server: Any) -> None:
    _server, srv = auth_server
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        config = _code_config(srv, redirect_url=f"http://127.0.0.1:{port}/callback")
        with pytest.raises(OAuthError, match=f"Cannot listen .* on 127.0.0.1:{port}"):
            oauth.authorize_code(config, {}, {}, open_url=lambda url: None, timeout=1,
                                 identity_base_url=srv.url)


def test_identity_field_missing_is_an_error_and_nothing_cached(auth_server: Any) -> None:
    _server, srv = auth_server
    config = _code_config(srv, identity_param="login")
    with pytest.raises(OAuthError, match="no field 'login'"):
        oauth.authorize_code(config, {"client_secret": SENTINEL}, {},
                             open_url=_browser(srv), timeout=10,
                             verify=srv.client_ssl_context(), identity_base_url=srv.url)
    assert oauth.cached_token(config) is None


def test_default_open_url_prints_the_link(auth_server: Any,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    _server, srv = auth_server
    with pytest.raises(OAuthError, match="No authorization redirect"):
        oauth.authorize_code(_code_config(srv), {"client_secret": SENTINEL}, {},
                             timeout=0.1, identity_base_url=srv.url)
    out = capsys.readouterr().out
    assert out.startswith("Open this URL in a browser to authorize:\n" + srv.url +
                          "/authorize?")
    _assert_clean(out)


def test_secret_objects_are_accepted_and_never_shown(auth_server: Any, logs: Any) -> None:
    _server, srv = auth_server

    from nbconnect.auth.secrets import Secret

    config = OAuth2Password(token_url=srv.url + "/token", client_id="app", scope="read")
    auth = oauth.build_oauth2_auth(config, {"client_secret": Secret(SENTINEL, "CS"),
                                            "password": Secret(PASSWORD, "PW")},
                                   {"username": "ada"}, verify=srv.client_ssl_context())
    assert _me(auth, srv).status_code == 200
    _assert_clean(repr(auth) + repr(auth._creds) + logs.text)
