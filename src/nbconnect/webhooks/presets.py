"""Signature presets: the whole signature check (and URL validation) of known providers.

Each preset fills a :class:`~nbconnect.model.webhook.Signature` (and a
:class:`~nbconnect.model.webhook.Challenge` where the provider validates URLs) as the
provider documents its scheme:

* ``standard-webhooks`` - the Standard Webhooks spec: ``webhook-id``, ``webhook-timestamp``,
  ``webhook-signature: v1,<base64> v1,<base64>`` over ``{id}.{timestamp}.{body}``, the key
  being the base64 decoding of what follows ``whsec_``;
* ``github`` - ``X-Hub-Signature-256: sha256=<hex>`` over the body, id ``X-GitHub-Delivery``;
* ``stripe`` - ``Stripe-Signature: t=<ts>,v1=<hex>[,v1=...]`` over ``{timestamp}.{body}``,
  keyed with the whole ``whsec_...`` string as text (unlike Standard Webhooks);
* ``slack`` - ``X-Slack-Signature: v0=<hex>`` over ``v0:{timestamp}:{body}`` with
  ``X-Slack-Request-Timestamp``; its ``url_verification`` challenge is signed and echoed;
* ``zoom`` - ``x-zm-signature: v0=<hex>`` over ``v0:{timestamp}:{body}`` with
  ``x-zm-request-timestamp``; ``endpoint.url_validation`` answered with
  ``{plainToken, encryptedToken}``;
* ``shopify`` - ``X-Shopify-Hmac-Sha256: <base64>`` over the body, id ``X-Shopify-Webhook-Id``.

Timestamps are Unix seconds with the default 300 s tolerance.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..auth.secrets import Secret
from ..errors import WebhookDefinitionError
from ..model.webhook import Challenge, Signature

__all__ = ["PRESETS", "Preset", "preset", "preset_names"]


@dataclass(frozen=True)
class Preset:
    """One provider's scheme: ``fields`` for :class:`Signature` (all but the secret), the
    challenge (or None) and a one-line ``description``."""

    name: str
    description: str
    fields: tuple[tuple[str, Any], ...]
    challenge: Challenge | None = None

    def signature(self, secret: str | Secret | None = None, **overrides: Any) -> Signature:
        """The preset's :class:`Signature` with ``secret`` (a reference) and any field
        overridden (None values are ignored)."""
        values = dict(self.fields)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return Signature(secret=secret, **values)


PRESETS: dict[str, Preset] = {p.name: p for p in (
    Preset("standard-webhooks", "Standard Webhooks (Svix and others): webhook-id, "
           "webhook-timestamp, webhook-signature v1,<base64>; whsec_ secret is base64",
           (("key", "webhook-signature"), ("algorithm", "sha256"), ("encoding", "base64"),
            ("secret_format", "base64"), ("signed", "{id}.{timestamp}.{body}"),
            ("signature_prefix", "v1,"), ("separator", " "),
            ("timestamp_header", "webhook-timestamp"), ("id_header", "webhook-id"))),
    Preset("github", "GitHub: X-Hub-Signature-256 sha256=<hex> of the body",
           (("key", "X-Hub-Signature-256"), ("algorithm", "sha256"), ("encoding", "hex"),
            ("signature_prefix", "sha256="), ("id_header", "X-GitHub-Delivery"))),
    Preset("stripe", "Stripe: Stripe-Signature t=<ts>,v1=<hex> of {timestamp}.{body}; the "
           "whole whsec_ secret is the key",
           (("key", "Stripe-Signature"), ("algorithm", "sha256"), ("encoding", "hex"),
            ("signed", "{timestamp}.{body}"), ("signature_prefix", "v1="),
            ("separator", ","), ("timestamp_header", "Stripe-Signature"),
            ("timestamp_prefix", "t="))),
    Preset("slack", "Slack: X-Slack-Signature v0=<hex> of v0:{timestamp}:{body}; signed "
           "url_verification challenge, echoed",
           (("key", "X-Slack-Signature"), ("algorithm", "sha256"), ("encoding", "hex"),
            ("signed", "v0:{timestamp}:{body}"), ("signature_prefix", "v0="),
            ("timestamp_header", "X-Slack-Request-Timestamp")),
           Challenge("challenge", "body", "echo", signed=True)),
    Preset("zoom", "Zoom: x-zm-signature v0=<hex> of v0:{timestamp}:{body}; "
           "endpoint.url_validation answered with plainToken and encryptedToken",
           (("key", "x-zm-signature"), ("algorithm", "sha256"), ("encoding", "hex"),
            ("signed", "v0:{timestamp}:{body}"), ("signature_prefix", "v0="),
            ("timestamp_header", "x-zm-request-timestamp")),
           Challenge("payload.plainToken", "body", "zoom", signed=True)),
    Preset("shopify", "Shopify: X-Shopify-Hmac-Sha256 <base64> of the body",
           (("key", "X-Shopify-Hmac-Sha256"), ("algorithm", "sha256"), ("encoding", "base64"),
            ("id_header", "X-Shopify-Webhook-Id"))),
)}


def preset_names() -> list[str]:
    """The preset names, in a fixed order."""
    return list(PRESETS)


def preset(name: str) -> Preset:
    """The preset called ``name`` (raises :class:`~nbconnect.errors.WebhookDefinitionError`
    naming the presets)."""
    found = PRESETS.get(name) if isinstance(name, str) else None
    if found is None:
        raise WebhookDefinitionError(f"There is no webhook preset {name!r}; the presets are "
                                     f"{', '.join(PRESETS)}.", option="preset")
    return found
