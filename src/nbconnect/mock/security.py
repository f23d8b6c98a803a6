"""The mock's security: the spec's security schemes, the expected credentials, the checks.

Requirements are the operation's ``security`` or else the global one; alternatives are OR-ed,
the schemes inside one requirement AND-ed, ``{}`` allows anonymous calls. apiKey (header,
query or cookie), http basic and bearer (other http schemes: any ``Authorization`` with that
scheme), oauth2 and openIdConnect (a bearer token); mutualTLS is not checked. Without expected
credentials any non-empty credential of the right shape passes; with them a wrong value fails
too. Expected values are registered as secrets and never appear in messages. A failure is a
message and one ``WWW-Authenticate`` challenge per scheme.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from ..errors import AuthConfigError
from ..spec.oas import Resolver, security_schemes

__all__ = ["Scheme", "Security", "same_secret"]


@dataclass(eq=False)
class Scheme:
    """One security scheme of the spec, with what the mock expects for it."""

    name: str
    kind: str          # apiKey | basic | bearer | http | oauth2 | openIdConnect | mutualTLS
    location: str = ""  # apiKey: header | query | cookie
    key: str = ""       # apiKey parameter name; http: scheme name
    token_paths: tuple[str, ...] = ()
    expected: Any = None  # str | tuple[str, str] | None
    client: tuple[str, str | None] | None = None
    issued: set[str] = field(default_factory=set)

    def describe(self) -> str:
        if self.kind == "apiKey":
            where = {"header": "header", "query": "query parameter",
                     "cookie": "cookie"}.get(self.location, self.location)
            return f"the {self.key} {where} ({self.name})"
        if self.kind == "basic":
            return f"HTTP Basic credentials ({self.name})"
        if self.kind == "http":
            return f"an Authorization: {self.key} header ({self.name})"
        return f"a bearer token ({self.name})"

    def challenge(self, wrong: bool) -> str:
        if self.kind == "apiKey":
            return (f'ApiKey realm="mock", name="{self.key}", in="{self.location}"'
                    + (', error="invalid_key"' if wrong else ""))
        if self.kind == "basic":
            return 'Basic realm="mock", charset="UTF-8"'
        if self.kind == "http":
            return f'{self.key.capitalize()} realm="mock"'
        return 'Bearer realm="mock"' + (', error="invalid_token"' if wrong else "")


def _secret_text(value: Any, what: str) -> str:
    from ..auth.secrets import Secret, register

    if isinstance(value, Secret):
        value = value.reveal()
    if not isinstance(value, str) or not value:
        raise AuthConfigError(f"The mock's expected {what} must be a non-empty string (or a "
                              "Secret); fix the credentials= mapping.", option="credentials")
    register(value)
    return value


class Security:
    """The schemes of one document and the checks of a request's credentials."""

    def __init__(self, doc: Resolver, server_url: str,
                 credentials: Mapping[str, Any] | None) -> None:
        self.doc = doc
        self.server_url = server_url
        self.schemes = self._schemes()
        self._apply_credentials(credentials or {})
        #: token endpoint path -> the oauth2 schemes it serves
        self.token_paths: dict[str, list[Scheme]] = {}
        for scheme in self.schemes.values():
            for path in scheme.token_paths:
                self.token_paths.setdefault(path, []).append(scheme)
        self.lock = threading.Lock()

    def _schemes(self) -> dict[str, Scheme]:
        """The spec's security schemes (read by the OpenAPI toolkit) as the mock checks them."""
        out: dict[str, Scheme] = {}
        for name, scheme in security_schemes(self.doc).items():
            kind = scheme.type
            if kind == "apiKey":
                out[name] = Scheme(name, "apiKey", scheme.location or "header",
                                   scheme.param_name or "")
            elif kind == "http":
                if scheme.scheme in ("basic", "bearer"):
                    out[name] = Scheme(name, scheme.scheme)
                else:
                    out[name] = Scheme(name, "http", key=scheme.scheme or "unknown")
            elif kind in ("oauth2", "openIdConnect"):
                paths: list[str] = []
                for flow in scheme.flows:
                    token_url = flow.token_url
                    if token_url is not None and token_url.strip():
                        base = self.server_url.rstrip("/") + "/"
                        path = urlsplit(urljoin(base, token_url.strip())).path or "/"
                        if path not in paths:
                            paths.append(path)
                out[name] = Scheme(name, kind, token_paths=tuple(paths))
            elif kind == "mutualTLS":
                out[name] = Scheme(name, "mutualTLS")
        return out

    def _apply_credentials(self, credentials: Mapping[str, Any]) -> None:
        if not isinstance(credentials, Mapping):
            raise AuthConfigError("The mock's credentials must be a mapping of security "
                                  "scheme name to expected value, such as {'apiKey': "
                                  "'k-123'}.")
        for name, value in credentials.items():
            scheme = self.schemes.get(name)
            if scheme is None:
                known = ", ".join(sorted(self.schemes)) or "none"
                raise AuthConfigError(f"The mock's credentials name the security scheme "
                                      f"{name!r}, which the spec does not define (it has: "
                                      f"{known}); use one of those names.")
            if scheme.kind == "basic":
                if isinstance(value, Mapping):
                    value = (value.get("username"), value.get("password"))
                if isinstance(value, tuple | list) and len(value) == 2:
                    user = _secret_text(value[0], f"username for {name!r}")
                    scheme.expected = (user, _secret_text(value[1], f"password for {name!r}"))
                else:
                    text = _secret_text(value, f"credentials for {name!r}")
                    user, sep, password = text.partition(":")
                    if not sep:
                        raise AuthConfigError(f"The mock's expected Basic credentials for "
                                              f"{name!r} need a username and a password; give "
                                              "('user', 'password') or 'user:password'.")
                    scheme.expected = (user, password)
            elif scheme.kind in ("oauth2", "openIdConnect") and isinstance(value, Mapping):
                client_id = value.get("client_id")
                if client_id is None and value.get("token") is None:
                    raise AuthConfigError(f"The mock's credentials for {name!r} need a "
                                          "client_id (and client_secret) or a token; give "
                                          "{'client_id': ..., 'client_secret': ...}.")
                if client_id is not None:
                    secret = value.get("client_secret")
                    scheme.client = (_secret_text(client_id, f"client_id for {name!r}"),
                                     None if secret is None else
                                     _secret_text(secret, f"client_secret for {name!r}"))
                if value.get("token") is not None:
                    scheme.expected = _secret_text(value["token"], f"token for {name!r}")
            elif scheme.kind == "mutualTLS":
                raise AuthConfigError(f"The mock does not check mutualTLS (scheme {name!r}); "
                                      "leave it out of credentials.")
            else:
                scheme.expected = _secret_text(value, f"value for {name!r}")

    def check(self, requirements: list[Any] | None, headers: Mapping[str, str],
              query: list[tuple[str, str]], cookies: Mapping[str, str]
              ) -> tuple[str, list[str]] | None:
        """None when ``requirements`` are met, else (message, WWW-Authenticate challenges)."""
        if not requirements:
            return None
        missing: list[Scheme] = []
        wrong: list[Scheme] = []
        for requirement in requirements:
            if not isinstance(requirement, dict):
                continue
            ok = True
            for name in requirement:
                scheme = self.schemes.get(name)
                if scheme is None:
                    continue
                state = self._credential_state(scheme, headers, query, cookies)
                if state == "ok":
                    continue
                ok = False
                (wrong if state == "wrong" else missing).append(scheme)
            if ok:
                return None
        wrong = list(dict.fromkeys(wrong))
        missing = [s for s in dict.fromkeys(missing) if s not in wrong]
        if wrong:
            message = (f"The credentials were rejected: {_join(s.describe() for s in wrong)} "
                       "did not match what the mock expects.")
        else:
            wanted = _join((s.describe() for s in missing), "or")
            message = f"This operation needs credentials: {wanted}."
        challenges = [s.challenge(s in wrong) for s in [*wrong, *missing]]
        return message, list(dict.fromkeys(challenges))

    def _credential_state(self, scheme: Scheme, headers: Mapping[str, str],
                          query: list[tuple[str, str]], cookies: Mapping[str, str]) -> str:
        if scheme.kind == "mutualTLS":
            return "ok"
        if scheme.kind == "apiKey":
            if scheme.location == "query":
                value = next((v for k, v in query if k == scheme.key), None)
            elif scheme.location == "cookie":
                value = cookies.get(scheme.key)
            else:
                value = headers.get(scheme.key.lower())
            if not value:
                return "missing"
            return "ok" if scheme.expected is None or same_secret(value, scheme.expected) \
                else "wrong"
        auth = headers.get("authorization", "")
        kind, _, cred = auth.strip().partition(" ")
        cred = cred.strip()
        if scheme.kind == "basic":
            if kind.lower() != "basic" or not cred:
                return "missing"
            try:
                user, sep, password = base64.b64decode(cred, validate=True).decode(
                    "utf-8").partition(":")
            except (binascii.Error, UnicodeDecodeError, ValueError):
                return "wrong"
            if not sep:
                return "wrong"
            if scheme.expected is None:
                return "ok"
            exp_user, exp_password = scheme.expected
            return "ok" if same_secret(user, exp_user) & same_secret(password, exp_password) \
                else "wrong"
        if scheme.kind == "http":
            return "ok" if kind.lower() == scheme.key and cred else "missing"
        if kind.lower() != "bearer" or not cred:
            return "missing"
        if scheme.expected is not None:
            return "ok" if same_secret(cred, scheme.expected) else "wrong"
        if scheme.client is not None:
            with self.lock:
                issued = set(scheme.issued)
            return "ok" if any(same_secret(cred, t) for t in issued) else "wrong"
        return "ok"


def same_secret(given: str, expected: str) -> bool:
    """Constant-time comparison of a given credential with the expected one."""
    return hmac.compare_digest(given.encode("utf-8", "surrogateescape"),
                               expected.encode("utf-8", "surrogateescape"))


def _join(parts: Any, word: str = "and") -> str:
    items = list(parts)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {word} " + items[-1]
