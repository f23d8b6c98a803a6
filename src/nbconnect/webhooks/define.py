"""Defining webhooks on a connector: :func:`build_webhook` from flat options (the verb's flags,
a form's fields, a YAML body), :func:`add_webhook` and :func:`remove_webhook`.

Options given explicitly override what a preset fills. Every check runs before the
connector changes, so a bad option leaves it exactly as it was.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from ..auth.secrets import Secret, parse_reference
from ..errors import EndpointNotFoundError, SecretError, WebhookDefinitionError
from ..model import Connector
from ..model.webhook import Challenge, Resthook, Signature, Webhook, Webhooks
from .presets import preset as get_preset

__all__ = ["SIGNATURE_OPTIONS", "add_webhook", "build_webhook", "options_from_mapping",
           "remove_webhook"]

#: the Signature fields an option may set (besides ``secret``)
SIGNATURE_OPTIONS = ("key", "prefix", "algorithm", "encoding", "secret_format", "signed",
                     "signature_prefix", "separator", "timestamp_header", "timestamp_prefix",
                     "tolerance", "id_header")
_OTHER = ("name", "type", "description", "preset", "secret", "challenge_key",
          "challenge_source", "challenge_response", "challenge_signed", "subscribe",
          "unsubscribe", "callback_field", "subscription_id_path", "token")
#: YAML/form spellings accepted for an option
_ALIASES = {"subscription_id": "subscription_id_path", "header_prefix": "prefix"}


def build_webhook(name: str, *, type: str = "static", description: str = "",
                  preset: str | None = None, secret: str | Secret | None = None,
                  challenge_key: str | None = None, challenge_source: str | None = None,
                  challenge_response: str | None = None, challenge_signed: bool | None = None,
                  subscribe: str | None = None, unsubscribe: str | None = None,
                  callback_field: str | None = None, subscription_id_path: str | None = None,
                  token: str = "", **signature: Any) -> Webhook:
    """A :class:`Webhook` from flat options (None means "not given").

    ``signature`` holds the :data:`SIGNATURE_OPTIONS` (``key``, ``prefix``, ``algorithm``,
    ``encoding``, ...). A signature check exists when a preset or a ``key`` is given; a
    secret, algorithm or other signature option without either is refused. The challenge
    exists when a preset has one or ``challenge_key`` is given. Raises
    :class:`~nbconnect.errors.WebhookDefinitionError` (``option`` names the bad one).
    """
    unknown = sorted(set(signature) - set(SIGNATURE_OPTIONS))
    if unknown:
        raise WebhookDefinitionError(f"Unknown webhook option {unknown[0]!r}; the signature "
                                     f"options are {', '.join(SIGNATURE_OPTIONS)}.",
                                     option=unknown[0])
    given = {k: v for k, v in signature.items() if v is not None}
    if secret is not None and not isinstance(secret, Secret):
        try:
            parse_reference(secret, field="webhook secret")
        except SecretError as exc:
            raise SecretError(exc.message, option="secret") from None
    found = get_preset(preset) if preset is not None else None
    sig: Signature | None = None
    if found is not None:
        sig = found.signature(secret, **given)
    elif given.get("key"):
        sig = Signature(secret=secret, **given)
    elif given or secret is not None:
        what = "secret" if secret is not None and not given else sorted(given)[0]
        raise WebhookDefinitionError(f"The webhook's {what.replace('_', ' ')} is set but not "
                                     "the signature header; give the key (header label) or a "
                                     "preset.", option="key")
    challenge = found.challenge if found is not None else None
    if challenge_key is not None or challenge is not None:
        base = challenge or Challenge(challenge_key or "challenge")
        changes = {k: v for k, v in (("key", challenge_key), ("source", challenge_source),
                                     ("response", challenge_response),
                                     ("signed", challenge_signed)) if v is not None}
        challenge = dataclasses.replace(base, **changes)
    elif challenge_source is not None or challenge_response is not None:
        raise WebhookDefinitionError("A challenge response or source needs the challenge "
                                     "key too; give the label of the challenge parameter.",
                                     option="challenge_key")
    resthook = None
    rest = {k: v for k, v in (("callback_field", callback_field),
                              ("subscription_id_path", subscription_id_path)) if v is not None}
    if type == "resthook" or subscribe or unsubscribe:
        if type != "resthook":
            raise WebhookDefinitionError("Subscribe and unsubscribe endpoints are for a "
                                         "RESThook; make the type resthook.", option="type")
        if not subscribe or not unsubscribe:
            raise WebhookDefinitionError("A RESThook needs both its subscribe and its "
                                         "unsubscribe endpoint; give both.",
                                         option="unsubscribe" if subscribe else "subscribe")
        resthook = Resthook(subscribe, unsubscribe, **rest)
    elif rest:
        raise WebhookDefinitionError("A callback field or subscription id path is for a "
                                     "RESThook; make the type resthook.", option="type")
    return Webhook(name=name, type=type, description=description or "", token=token,  # type: ignore[arg-type]
                   signature=sig, challenge=challenge, resthook=resthook, preset=preset)


def options_from_mapping(data: Mapping[str, Any]) -> dict[str, Any]:
    """Flat options from a YAML body or form: keys in snake_case or kebab-case (``key``,
    ``challenge-key``, ``subscription-id``, ...); unknown keys raise
    :class:`~nbconnect.errors.WebhookDefinitionError`."""
    if not isinstance(data, Mapping):
        raise WebhookDefinitionError("A webhook definition is a mapping such as "
                                     "{name: orders, preset: github, secret: env:GH_SECRET}.")
    out: dict[str, Any] = {}
    known = set(SIGNATURE_OPTIONS) | set(_OTHER)
    for raw_key, value in data.items():
        key = _ALIASES.get(str(raw_key).replace("-", "_"), str(raw_key).replace("-", "_"))
        if key not in known:
            raise WebhookDefinitionError(f"Unknown webhook field {str(raw_key)!r}; the fields "
                                         f"are {', '.join(sorted(known))}.")
        out[key] = value
    return out


def add_webhook(connector: Connector, webhook: Webhook, *, replace: bool = False) -> Webhook:
    """Add ``webhook`` to ``connector`` (``replace``: instead of the one of that name);
    returns it. A RESThook's subscribe and unsubscribe endpoints must be endpoints of the
    connector. A taken name without ``replace`` raises WebhookDefinitionError."""
    if webhook.resthook is not None:
        for what in ("subscribe", "unsubscribe"):
            ident = getattr(webhook.resthook, what)
            try:
                connector.endpoint(ident)
            except EndpointNotFoundError as exc:
                raise WebhookDefinitionError(f"The RESThook's {what} endpoint {ident!r} is not "
                                             f"an endpoint of the connector ({exc.message}).",
                                             option=what) from None
    hooks = list(connector.webhooks)
    names = [w.name for w in hooks]
    if webhook.name in names:
        if not replace:
            raise WebhookDefinitionError(f"Connector {connector.name!r} already has a webhook "
                                         f"{webhook.name!r}; remove it first or pick another "
                                         "name.")
        hooks[names.index(webhook.name)] = webhook
    else:
        hooks.append(webhook)
    connector.webhooks = Webhooks.of(hooks)
    return webhook


def remove_webhook(connector: Connector, name: str) -> Webhook:
    """Remove and return the webhook called ``name`` (WebhookNotFoundError if none)."""
    hook = connector.webhooks[name]
    connector.webhooks = Webhooks.of(w for w in connector.webhooks if w.name != name)
    return hook
