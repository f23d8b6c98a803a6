"""URL validation: recognising a third party's challenge request and computing the answer.

A webhook's :class:`~nbconnect.model.webhook.Challenge` names the challenge's label (a dotted
path into a JSON body, or a query parameter) and the answer: ``echo`` (200, the value as
``text/plain``: Slack's ``url_verification``, ``hub.challenge`` style checks) or ``zoom``
(200, ``{"plainToken": v, "encryptedToken": hex HMAC-SHA256(secret, v)}``: Zoom's
``endpoint.url_validation``). When ``challenge.signed`` is set (the Slack and Zoom presets),
the request must pass :func:`~nbconnect.webhooks.verify.verify_delivery` first: those
providers sign their challenges, and answering an unsigned one with an HMAC would let anyone
obtain the HMAC of any text.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

from ..auth.secrets import Secret
from ..errors import WebhookDefinitionError
from ..model.webhook import Webhook
from .signing import secret_text
from .verify import HeaderSource, verify_delivery

__all__ = ["MAX_CHALLENGE_LENGTH", "ChallengeAnswer", "answer_challenge", "challenge_value"]

#: the longest challenge value answered (longer: 400); providers send short random tokens
MAX_CHALLENGE_LENGTH = 1024
#: (HTTP status, content type, body bytes)
ChallengeAnswer = tuple[int, str, bytes]
_TEXT = "text/plain; charset=utf-8"


def challenge_value(webhook: Webhook, *, body: bytes,
                    query: Mapping[str, str]) -> str | None:
    """The challenge value in the request, or None when it is not a challenge request (no
    challenge configured, no such field or parameter, or a body that is not a JSON object).
    Numbers are taken as their text; other non-string values are not challenges."""
    ch = webhook.challenge
    if ch is None:
        return None
    if ch.source == "query":
        value: Any = query.get(ch.key)
    else:
        stripped = bytes(body).lstrip()
        if not stripped.startswith(b"{"):
            return None
        try:
            value = json.loads(stripped)
        except ValueError:  # includes UnicodeDecodeError
            return None
        for part in ch.key.split("."):
            value = value.get(part) if isinstance(value, dict) else None
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        value = json.dumps(value)
    return value if isinstance(value, str) else None


def answer_challenge(webhook: Webhook, *, headers: HeaderSource, body: bytes,
                     query: Mapping[str, str], secret: str | Secret | None,
                     now: float | None = None) -> ChallengeAnswer | None:
    """The answer to a URL validation request, or None when the request is not one (then the
    receiver handles it as an event).

    Returns ``(status, content_type, body_bytes)``: 200 with the echo or Zoom answer; 400
    for an empty or over-long (> :data:`MAX_CHALLENGE_LENGTH`) value; for a challenge that
    must be signed and is not, the verification's status (401/400) and its public reason.
    ``secret`` is the resolved webhook secret (needed for ``zoom`` and signed challenges;
    missing: :class:`~nbconnect.errors.WebhookDefinitionError`). ``now``: as in
    :func:`~nbconnect.webhooks.verify.verify_delivery`.
    """
    ch = webhook.challenge
    value = challenge_value(webhook, body=body, query=query)
    if ch is None or value is None:
        return None
    if ch.signed and webhook.signature is not None:
        if secret is None:
            raise WebhookDefinitionError(f"Webhook {webhook.name!r} answers signed challenges "
                                         "only, and no secret was given; resolve its secret "
                                         "reference.", option="secret")
        check = verify_delivery(webhook, headers, body, secret=secret, now=now)
        if not check.ok:
            return check.status, _TEXT, check.public_reason.encode("utf-8")
    if not value or len(value) > MAX_CHALLENGE_LENGTH:
        return 400, _TEXT, b"challenge value empty or too long"
    if ch.response == "echo":
        return 200, _TEXT, value.encode("utf-8")
    if secret is None:
        raise WebhookDefinitionError(f"Webhook {webhook.name!r} answers Zoom's challenge with "
                                     "an HMAC of the token, and no secret was given; resolve "
                                     "its secret reference.", option="secret")
    token = hmac.new(secret_text(secret).encode("utf-8"), value.encode("utf-8"),
                     hashlib.sha256).hexdigest()
    answer = json.dumps({"plainToken": value, "encryptedToken": token},
                        separators=(",", ":"), ensure_ascii=False)
    return 200, "application/json", answer.encode("utf-8")
