"""Incoming webhooks as plain data: ``Webhook``, its ``Signature`` check, its URL
``Challenge``, its ``Resthook`` subscription, and the ``Webhooks`` collection of a connector.

A webhook is what a third party calls to push events to the connector. ``static``: the
receiver has one URL per webhook whose path holds an unguessable generated ``token``
(:attr:`Webhook.path`); ``resthook``: the connector subscribes that URL itself through a
*subscribe* endpoint of the connector and drops it through an *unsubscribe* endpoint.

The signature check (:class:`Signature`) is data only; :mod:`nbconnect.webhooks.verify`
applies it to a delivery, :mod:`nbconnect.webhooks.signing` produces it, and
:mod:`nbconnect.webhooks.presets` fills it for known providers. The secret is a *reference*
(``env:NAME``, ``keyring:NAME``, ``prompt``; see :mod:`nbconnect.auth.secrets`), never the
value. All classes are frozen; change them with :func:`dataclasses.replace`. Reprs show no
token or secret, so notebooks stay deterministic.
"""

from __future__ import annotations

import re
import secrets as _stdlib_secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ..auth.secrets import Secret, parse_reference
from ..errors import WebhookDefinitionError, WebhookNotFoundError
from .params import _ID_RE

__all__ = ["ALGORITHMS", "CHALLENGE_RESPONSES", "CHALLENGE_SOURCES", "DEFAULT_SIGNED",
           "DEFAULT_TOLERANCE", "ENCODINGS", "SECRET_FORMATS", "WEBHOOK_TYPES", "Challenge",
           "Resthook", "Signature", "Webhook", "Webhooks", "new_token"]

WEBHOOK_TYPES = ("static", "resthook")
#: ``none``: the header must equal the secret (compared in constant time); else HMAC-SHA*
ALGORITHMS = ("none", "sha1", "sha256", "sha512")
#: how the signature bytes are written in the header (base64url: RFC 4648 §5)
ENCODINGS = ("hex", "base64", "base64url")
#: ``text``: the HMAC key is the secret's UTF-8 bytes as given (Stripe keys with the whole
#: ``whsec_...`` string); ``base64``: drop a ``whsec_`` prefix and base64-decode the rest
#: (Standard Webhooks)
SECRET_FORMATS = ("text", "base64")
CHALLENGE_SOURCES = ("body", "query")
#: ``echo``: answer 200 with the challenge value; ``zoom``: answer 200 with JSON
#: ``{"plainToken": v, "encryptedToken": hex HMAC-SHA256(secret, v)}``
CHALLENGE_RESPONSES = ("echo", "zoom")
#: seconds a timestamp may differ from now, both directions (5 minutes)
DEFAULT_TOLERANCE = 300
#: what is signed by default: the raw request body
DEFAULT_SIGNED = "{body}"
_PLACEHOLDERS = ("{body}", "{timestamp}", "{id}")
_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{22,128}\Z")
_HEADER_RE = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+\Z")  # RFC 9110 §5.6.2 token
_PATH_RE = re.compile(r"[^.\s]+(\.[^.\s]+)*\Z")


def new_token() -> str:
    """A fresh unguessable URL token (24 random bytes, base64url: 32 characters)."""
    return _stdlib_secrets.token_urlsafe(24)


def _fail(message: str, option: str | None = None) -> WebhookDefinitionError:
    return WebhookDefinitionError(message, option=option)


def _choice(value: Any, choices: tuple[str, ...], what: str, option: str) -> str:
    if value not in choices:
        shown = value if isinstance(value, str) and len(value) < 40 else type(value).__name__
        raise _fail(f"The {what} {shown!r} is not one of {', '.join(choices)}; pick one.",
                    option)
    return value


def _header(value: Any, what: str, option: str) -> str:
    if not isinstance(value, str) or not _HEADER_RE.match(value):
        raise _fail(f"The {what} must be an HTTP header name (letters, digits and '-', "
                    "such as X-Signature).", option)
    return value


def _optional_header(value: Any, what: str, option: str) -> str | None:
    return None if value in (None, "") else _header(value, what, option)


def _dotted(value: Any, what: str, option: str) -> str:
    if not isinstance(value, str) or not _PATH_RE.match(value):
        raise _fail(f"The {what} must be a dotted path such as data.id.", option)
    return value


@dataclass(frozen=True)
class Signature:
    """How a delivery is signed, in the reference's terms plus what real schemes need.

    * ``key``: the header label (``signature``); ``prefix``: put before it to make the header
      name (``x-`` + ``zoom_signature`` = ``x-zoom_signature``). :attr:`header` is the two.
    * ``secret``: a secret *reference* (``env:NAME``, ``keyring:NAME``, ``prompt``), or an
      in-memory :class:`~nbconnect.auth.secrets.Secret` from Python (then not exportable).
    * ``algorithm``: ``none`` (the header value must equal the secret) or HMAC ``sha1``,
      ``sha256``, ``sha512``; ``encoding``: ``hex``, ``base64`` or ``base64url`` (padding
      optional when read); ``secret_format``: see :data:`SECRET_FORMATS`.
    * ``signed``: a template over raw bytes with ``{body}``, ``{timestamp}``, ``{id}``
      (default ``{body}``; Slack ``v0:{timestamp}:{body}``, Standard Webhooks
      ``{id}.{timestamp}.{body}``). The body is never decoded.
    * ``signature_prefix``: written before each signature in the header (``sha256=``,
      ``v1,``, ``v0=``); ``separator``: the header holds several items split by it (``" "``
      for Standard Webhooks, ``","`` for Stripe); every item that starts with
      ``signature_prefix`` is a candidate, and one match verifies (key rotation).
    * ``timestamp_header``: the header with the send time in Unix seconds;
      ``timestamp_prefix``: the timestamp is the item of that header starting with it (Stripe:
      ``Stripe-Signature`` and ``t=``); ``tolerance``: allowed seconds off now, both ways.
    * ``id_header``: the header with the delivery id (redeliveries repeat it).
    """

    key: str
    prefix: str = ""
    secret: str | Secret | None = None
    algorithm: Literal["none", "sha1", "sha256", "sha512"] = "sha256"
    encoding: Literal["hex", "base64", "base64url"] = "hex"
    secret_format: Literal["text", "base64"] = "text"
    signed: str = DEFAULT_SIGNED
    signature_prefix: str = ""
    separator: str | None = None
    timestamp_header: str | None = None
    timestamp_prefix: str = ""
    tolerance: int = DEFAULT_TOLERANCE
    id_header: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.key, str) or not self.key:
            raise _fail("The signature key (the header label, such as signature) is empty; "
                        "give one.", "key")
        if not isinstance(self.prefix, str):
            raise _fail("The signature prefix must be text such as x-.", "prefix")
        _header(self.prefix + self.key, "signature header (prefix + key)", "key")
        if self.secret is not None and not isinstance(self.secret, Secret):
            parse_reference(self.secret, field="webhook secret")
        _choice(self.algorithm, ALGORITHMS, "hash algorithm", "algorithm")
        _choice(self.encoding, ENCODINGS, "encoding", "encoding")
        _choice(self.secret_format, SECRET_FORMATS, "secret format", "secret_format")
        self._check_template()
        for name in ("signature_prefix", "timestamp_prefix"):
            if not isinstance(getattr(self, name), str):
                raise _fail(f"The {name.replace('_', ' ')} must be text.", name)
        if self.separator is not None and (not isinstance(self.separator, str)
                                           or len(self.separator) != 1):
            raise _fail("The signature separator must be one character, such as ' ' or ','.",
                        "separator")
        object.__setattr__(self, "timestamp_header", _optional_header(
            self.timestamp_header, "timestamp header", "timestamp_header"))
        object.__setattr__(self, "id_header", _optional_header(self.id_header, "id header",
                                                               "id_header"))
        if isinstance(self.tolerance, bool) or not isinstance(self.tolerance, int) or \
                not 0 < self.tolerance <= 86400:
            raise _fail("The timestamp tolerance must be whole seconds from 1 to 86400 "
                        "(default 300).", "tolerance")
        if "{timestamp}" in self.signed and not self.timestamp_header:
            raise _fail("The signed content uses {timestamp} but no timestamp header is set; "
                        "name the header that carries it.", "timestamp_header")
        if "{id}" in self.signed and not self.id_header:
            raise _fail("The signed content uses {id} but no id header is set; name the "
                        "header that carries the delivery id.", "id_header")
        if self.timestamp_header and self.timestamp_header.lower() == self.header.lower() \
                and not (self.separator and self.timestamp_prefix):
            raise _fail("A timestamp inside the signature header needs a separator and a "
                        "timestamp prefix (Stripe: ',' and t=).", "timestamp_prefix")
        if self.algorithm == "none" and (self.signed != DEFAULT_SIGNED or self.separator):
            raise _fail("With hash algorithm none the header must equal the secret, so "
                        "signed content and a separator do not apply; pick an HMAC "
                        "algorithm or drop them.", "algorithm")

    def _check_template(self) -> None:
        if not isinstance(self.signed, str) or "{body}" not in self.signed:
            raise _fail("The signed content must be a template holding {body}, such as "
                        "{body} or v0:{timestamp}:{body}.", "signed")
        rest = self.signed
        for p in _PLACEHOLDERS:
            rest = rest.replace(p, "")
        if "{" in rest or "}" in rest:
            raise _fail("The signed content may only use {body}, {timestamp} and {id}; "
                        "write other text around them.", "signed")

    @property
    def header(self) -> str:
        """The signature header's name: ``prefix + key``."""
        return self.prefix + self.key

    def __repr__(self) -> str:
        return (f"Signature(header={self.header!r}, algorithm={self.algorithm!r}, "
                f"encoding={self.encoding!r})")

    def to_dict(self) -> dict[str, Any]:
        """Plain data (defaults left out); an in-memory Secret raises SecretError."""
        if isinstance(self.secret, Secret):
            from ..errors import SecretError

            raise SecretError("The webhook's signature holds a Secret value, and secret "
                              "values are never written; use a reference such as "
                              "env:WEBHOOK_SECRET, keyring:NAME or prompt.", option="secret")
        out: dict[str, Any] = {"key": self.key}
        defaults = Signature(key="k")
        for name in ("prefix", "secret", "algorithm", "encoding", "secret_format", "signed",
                     "signature_prefix", "separator", "timestamp_header", "timestamp_prefix",
                     "tolerance", "id_header"):
            value = getattr(self, name)
            if name in ("algorithm", "encoding") or value != getattr(defaults, name):
                out[name] = value
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Signature:
        if not isinstance(data, Mapping):
            raise _fail("A webhook signature must be a mapping with at least a key.")
        known = {f for f in cls.__dataclass_fields__}
        extra = sorted(str(k) for k in data if k not in known)
        if extra:
            raise _fail(f"Unknown webhook signature field {extra[0]!r}; the fields are "
                        f"{', '.join(sorted(known))}.")
        return cls(**dict(data))


@dataclass(frozen=True)
class Challenge:
    """URL validation: how a third party checks that the URL is ours before sending events.

    ``key``: the challenge's label, a dotted path into the JSON body (``challenge``,
    ``payload.plainToken``) or a query parameter name (``source="query"``, e.g.
    ``hub.challenge``, taken whole). ``response``: ``echo`` (200 with the value, as text)
    or ``zoom`` (200 with ``{"plainToken", "encryptedToken"}``). ``signed``: the challenge
    request must pass the signature check first (Slack and Zoom sign theirs; a computed
    answer to an unsigned request would be an HMAC oracle).
    """

    key: str
    source: Literal["body", "query"] = "body"
    response: Literal["echo", "zoom"] = "echo"
    signed: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.key, str) or not self.key.strip():
            raise _fail("The challenge key is empty; give the label of the challenge "
                        "parameter, such as challenge.", "challenge_key")
        _choice(self.source, CHALLENGE_SOURCES, "challenge source", "challenge_source")
        _choice(self.response, CHALLENGE_RESPONSES, "challenge response",
                "challenge_response")
        if self.source == "body":
            _dotted(self.key, "challenge key", "challenge_key")
        if not isinstance(self.signed, bool):
            raise _fail("Challenge 'signed' must be true or false.", "challenge_signed")

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"key": self.key, "source": self.source,
                               "response": self.response}
        if self.signed:
            out["signed"] = True
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Challenge:
        if not isinstance(data, Mapping) or set(data) - {"key", "source", "response",
                                                         "signed"}:
            raise _fail("A webhook challenge has the fields key, source, response, signed.")
        return cls(**dict(data))


@dataclass(frozen=True)
class Resthook:
    """A RESThook subscription: which endpoints subscribe and unsubscribe, and where the
    receiver URL and the subscription id go.

    ``subscribe``/``unsubscribe``: endpoint ids of the connector. ``callback_field``: a
    dotted path into the subscribe request body where the receiver URL is put
    (``target_url``, ``config.url``). ``subscription_id_path``: a dotted path into the
    subscribe response to the subscription id (``id``, ``data.id``); the unsubscribe call
    sends it back (as the path or body parameter of that name, see the RESThook verbs).
    ``subscription_id``: the stored id while subscribed, else None.
    """

    subscribe: str
    unsubscribe: str
    callback_field: str = "target_url"
    subscription_id_path: str = "id"
    subscription_id: str | None = None

    def __post_init__(self) -> None:
        for name in ("subscribe", "unsubscribe"):
            value = getattr(self, name)
            if not isinstance(value, str) or not _ID_RE.match(value):
                raise _fail(f"A RESThook needs its {name} endpoint id (an endpoint of the "
                            "connector); give one.", name)
        _dotted(self.callback_field, "callback field", "callback_field")
        _dotted(self.subscription_id_path, "subscription id path", "subscription_id")
        if self.subscription_id is not None and not isinstance(self.subscription_id, str):
            object.__setattr__(self, "subscription_id", str(self.subscription_id))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"subscribe": self.subscribe, "unsubscribe": self.unsubscribe,
                               "callback_field": self.callback_field,
                               "subscription_id_path": self.subscription_id_path}
        if self.subscription_id is not None:
            out["subscription_id"] = self.subscription_id
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Resthook:
        known = set(cls.__dataclass_fields__)
        if not isinstance(data, Mapping) or set(data) - known:
            raise _fail(f"A RESThook has the fields {', '.join(sorted(known))}.")
        return cls(**dict(data))


@dataclass(frozen=True)
class Webhook:
    """One incoming webhook.

    ``name`` (letters, digits, ``_ - .``), ``type`` (``static`` or ``resthook``),
    ``description``, ``token`` (generated when empty; the secret part of the receiver path
    :attr:`path`), ``signature`` (None: deliveries are not authenticated), ``challenge``
    (None: no URL validation), ``resthook`` (required for, and only for, type ``resthook``),
    ``preset`` (the preset it was filled from, for display only).
    """

    name: str
    type: Literal["static", "resthook"] = "static"
    description: str = ""
    token: str = ""
    signature: Signature | None = None
    challenge: Challenge | None = None
    resthook: Resthook | None = None
    preset: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _ID_RE.match(self.name):
            raise _fail(f"Webhook name {self.name!r} is not valid; use letters, digits, '_', "
                        "'-' and '.' (such as orders).")
        _choice(self.type, WEBHOOK_TYPES, "webhook type", "type")
        if not isinstance(self.description, str):
            raise _fail("The webhook description must be text.", "description")
        if not self.token:
            object.__setattr__(self, "token", new_token())
        elif not isinstance(self.token, str) or not _TOKEN_RE.match(self.token):
            raise _fail("The webhook token must be 22 to 128 URL-safe characters (leave it "
                        "empty to generate one).")
        for name, cls in (("signature", Signature), ("challenge", Challenge),
                          ("resthook", Resthook)):
            value = getattr(self, name)
            if isinstance(value, Mapping):
                object.__setattr__(self, name, cls.from_dict(value))
            elif value is not None and not isinstance(value, cls):
                raise _fail(f"The webhook {name} must be a {cls.__name__}.", name)
        if self.type == "resthook" and self.resthook is None:
            raise _fail(f"Webhook {self.name!r} is a RESThook, so it needs its subscribe and "
                        "unsubscribe endpoints; give both.", "subscribe")
        if self.type == "static" and self.resthook is not None:
            raise _fail(f"Webhook {self.name!r} is static, so subscribe and unsubscribe "
                        "endpoints do not apply; make it type resthook or drop them.", "type")
        if self.challenge is not None and self.challenge.response == "zoom" and (
                self.signature is None or self.signature.secret is None):
            raise _fail("The zoom challenge response is an HMAC of the token with the "
                        "webhook secret; set the signature secret too.", "secret")
        if self.preset is not None and not isinstance(self.preset, str):
            raise _fail("The webhook preset must be a preset name.", "preset")

    @property
    def path(self) -> str:
        """The receiver's path for this webhook: ``/webhooks/<name>/<token>``."""
        return f"/webhooks/{self.name}/{self.token}"

    @property
    def warnings(self) -> list[str]:
        """Sentences about settings that often break in transit (header names with ``_``,
        which nginx, gunicorn >= 22 and Django drop by default)."""
        out: list[str] = []
        sig = self.signature
        if sig is None:
            return out
        for what, name in (("signature", sig.header), ("timestamp", sig.timestamp_header),
                           ("id", sig.id_header)):
            if name and "_" in name:
                out.append(f"The {what} header {name!r} has an '_', and nginx, gunicorn >= 22 "
                           "and Django drop such headers by default; prefer '-' if the "
                           "sender allows it, or let the proxy pass underscores.")
        return out

    def __repr__(self) -> str:
        sig = f", signature={self.signature!r}" if self.signature else ""
        pre = f", preset={self.preset!r}" if self.preset else ""
        return f"Webhook(name={self.name!r}, type={self.type!r}{pre}{sig})"

    def to_dict(self) -> dict[str, Any]:
        """Plain data for the package (secret as a reference only)."""
        out: dict[str, Any] = {"name": self.name, "type": self.type}
        if self.description:
            out["description"] = self.description
        out["token"] = self.token
        if self.preset:
            out["preset"] = self.preset
        for name in ("signature", "challenge", "resthook"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value.to_dict()
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Webhook:
        """Build a webhook from :meth:`to_dict` output."""
        if not isinstance(data, Mapping):
            raise _fail("A webhook must be a mapping with at least a name.")
        known = set(cls.__dataclass_fields__)
        extra = sorted(str(k) for k in data if k not in known)
        if extra:
            raise _fail(f"Unknown webhook field {extra[0]!r}; the fields are "
                        f"{', '.join(sorted(known))}.")
        return cls(**dict(data))


class Webhooks(tuple):
    """The webhooks of a connector: a tuple of :class:`Webhook` in order, also looked up by
    name (``connector.webhooks["orders"]``, ``.get("orders")``, ``"orders" in ...``).

    Built with :meth:`of`, which checks that each item is a Webhook and names are unique.
    """

    __slots__ = ()

    @classmethod
    def of(cls, items: Iterable[Any] = ()) -> Webhooks:
        """The collection of ``items`` (Webhooks or their dicts); raises
        :class:`~nbconnect.errors.WebhookDefinitionError` for a duplicate name."""
        hooks = tuple(Webhook.from_dict(w) if isinstance(w, Mapping) else w for w in items)
        seen: set[str] = set()
        for w in hooks:
            if not isinstance(w, Webhook):
                raise _fail(f"Connector webhooks must be Webhook objects, not "
                            f"{type(w).__name__}.")
            if w.name in seen:
                raise _fail(f"Two webhooks are named {w.name!r}; rename one.")
            seen.add(w.name)
        return cls(hooks)

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return self.get(key, _missing=True)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):
            return any(w.name == key for w in self)
        return super().__contains__(key)

    def get(self, name: str, default: Any = None, *, _missing: bool = False) -> Any:
        """The webhook called ``name``, else ``default`` (``[name]`` raises
        :class:`~nbconnect.errors.WebhookNotFoundError`)."""
        for w in self:
            if w.name == name:
                return w
        if not _missing:
            return default
        names = self.names()
        if not names:
            raise WebhookNotFoundError(f"The connector has no webhook {name!r} (it has none "
                                       "yet); add one first.")
        import difflib

        close = difflib.get_close_matches(name, names, n=1)
        hint = f"did you mean {close[0]}?" if close else f"its webhooks are {', '.join(names)}."
        raise WebhookNotFoundError(f"The connector has no webhook {name!r}; {hint}")

    def names(self) -> list[str]:
        """The webhook names, in order."""
        return [w.name for w in self]

    def events(self, name: str | None = None, **kw: Any) -> Any:
        """The received events of webhook ``name`` (None: of all), as objects.

        Delegates to :func:`nbconnect.webhooks.events.list_events` (``kw`` are its options,
        such as where the event log is); an unknown name raises WebhookNotFoundError.
        """
        if name is not None:
            self[name]
        from ..webhooks.events import list_events

        return list_events(self, name, **kw)

    def __repr__(self) -> str:
        return f"Webhooks({self.names()!r})"

    def to_list(self) -> list[dict[str, Any]]:
        """Plain data: a list of :meth:`Webhook.to_dict`."""
        return [w.to_dict() for w in self]

