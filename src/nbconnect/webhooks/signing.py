"""Signing a delivery as the configured third party would: the HMAC key, the signed bytes,
the digest and its text, and :func:`sign`, which returns the headers to send.

These are the building blocks :mod:`nbconnect.webhooks.verify` checks against, so a delivery
made by :func:`sign` verifies by construction; the tests check both against independent
implementations and published vectors. HMAC is RFC 2104 (FIPS 198-1) over SHA-1/SHA-256/
SHA-512; base64 and base64url are RFC 4648 §4 and §5.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import time
import uuid

from ..auth.secrets import Secret
from ..errors import WebhookDefinitionError
from ..model.webhook import Signature, Webhook

__all__ = [
    "decode_signature",
    "digest",
    "encode_signature",
    "header_value",
    "hmac_key",
    "join_signed",
    "secret_text",
    "sign",
    "signed_content",
    "signed_pieces",
]

_HASHES = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha512": hashlib.sha512}
#: digest sizes in bytes, to say which algorithm a received signature's length fits
DIGEST_SIZES = {"sha1": 20, "sha256": 32, "sha512": 64}
_WHSEC = "whsec_"
_PLACEHOLDERS = ("{body}", "{timestamp}", "{id}")


def secret_text(secret: str | Secret) -> str:
    """The secret value as text (a :class:`Secret` is revealed); empty raises
    :class:`~nbconnect.errors.WebhookDefinitionError`."""
    value = secret.reveal() if isinstance(secret, Secret) else secret
    if not isinstance(value, str) or not value:
        raise WebhookDefinitionError("The webhook secret is empty; set the secret its "
                                     "reference points to.", option="secret")
    return value


def hmac_key(signature: Signature, secret: str | Secret) -> bytes:
    """The HMAC key: the secret's UTF-8 bytes (``secret_format`` text: Stripe, GitHub, ...)
    or, for ``base64`` (Standard Webhooks), the base64 decoding of what follows an optional
    ``whsec_`` prefix. A base64 secret that does not decode raises WebhookDefinitionError."""
    value = secret_text(secret)
    if signature.secret_format == "text":
        return value.encode("utf-8")
    text = value[len(_WHSEC):] if value.startswith(_WHSEC) else value
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise WebhookDefinitionError("The webhook secret is not base64 after its whsec_ "
                                     "prefix, as the base64 secret format needs; check the "
                                     "secret or use the text format.",
                                     option="secret") from None


def signed_content(signature: Signature, body: bytes, timestamp: str | None = None,
                   delivery_id: str | None = None) -> bytes:
    """The bytes that are signed: ``signature.signed`` with ``{body}`` the raw body (never
    decoded) and ``{timestamp}``/``{id}`` the header values as UTF-8."""
    return join_signed(signed_pieces(signature.signed), body, timestamp, delivery_id)


@functools.lru_cache(maxsize=256)
def signed_pieces(template: str) -> tuple[bytes | str, ...]:
    """``template`` parsed once: literal parts as bytes, the placeholders ``{body}``,
    ``{timestamp}`` and ``{id}`` as text (a ``{`` that starts no placeholder is literal)."""
    parts: list[bytes | str] = []
    i = 0
    while i < len(template):
        for name in _PLACEHOLDERS:
            if template.startswith(name, i):
                parts.append(name)
                i += len(name)
                break
        else:
            j = template.find("{", i + 1)
            j = len(template) if j < 0 else j
            parts.append(template[i:j].encode("utf-8"))
            i = j
    return tuple(parts)


def join_signed(pieces: tuple[bytes | str, ...], body: bytes, timestamp: str | None,
                delivery_id: str | None) -> bytes:
    """The signed bytes from :func:`signed_pieces`' parts (see :func:`signed_content`)."""
    out: list[bytes] = []
    for piece in pieces:
        if type(piece) is bytes:
            out.append(piece)
        elif piece == "{body}":
            out.append(bytes(body))
        else:
            value = timestamp if piece == "{timestamp}" else delivery_id
            out.append(value.encode("utf-8") if isinstance(value, str) else bytes(value or b""))
    return b"".join(out)


def digest(signature: Signature, key: bytes, content: bytes) -> bytes:
    """HMAC of ``content`` with ``key`` and the signature's algorithm (not for ``none``)."""
    # hmac.new, not the one-shot hmac.digest: the latter releases the GIL for any size,
    # which costs a receiver's event loop a GIL hand-off per event under load
    return hmac.new(key, content, _HASHES[signature.algorithm]).digest()


def encode_signature(encoding: str, raw: bytes) -> str:
    """``raw`` as hex (lowercase), base64 or base64url (both with ``=`` padding)."""
    if encoding == "hex":
        return raw.hex()
    if encoding == "base64":
        return base64.b64encode(raw).decode("ascii")
    return base64.urlsafe_b64encode(raw).decode("ascii")


def decode_signature(encoding: str, text: str) -> bytes | None:
    """The bytes of a received signature, or None when ``text`` is not in ``encoding``
    (hex in either case; base64 with or without padding)."""
    text = text.strip()
    try:
        if encoding == "hex":
            return bytes.fromhex(text) if len(text) % 2 == 0 else None
        padded = text + "=" * (-len(text) % 4)
        if encoding == "base64":
            return base64.b64decode(padded, validate=True)
        if any(c in text for c in "+/"):
            return None
        return base64.urlsafe_b64decode(padded)
    except (binascii.Error, ValueError):
        return None


def header_value(signature: Signature, signatures: list[str], timestamp: str | None) -> str:
    """The signature header's value: each signature with ``signature_prefix``, joined by
    ``separator``, after ``timestamp_prefix`` + timestamp when the timestamp rides in the
    same header (Stripe: ``t=1700000000,v1=...``)."""
    items = [signature.signature_prefix + s for s in signatures]
    ts_header = signature.timestamp_header
    if ts_header and ts_header.lower() == signature.header.lower() and timestamp is not None:
        items.insert(0, signature.timestamp_prefix + timestamp)
    if len(items) > 1 and not signature.separator:
        raise WebhookDefinitionError("Several signatures need a separator to share one "
                                     "header; set one (such as ' ').", option="separator")
    return (signature.separator or "").join(items)


def sign(webhook: Webhook, body: bytes, *, secret: str | Secret, now: float | None = None,
         delivery_id: str | None = None, extra_secrets: tuple[str | Secret, ...] = ()
         ) -> dict[str, str]:
    """The headers the configured third party sends with ``body``: the signature header,
    and the timestamp header (``now`` in Unix seconds, default the clock, written as whole
    seconds) and the id header (``delivery_id``, default ``msg_`` + a random UUID) when the
    scheme has them. ``extra_secrets`` add more signatures to the same header (key
    rotation; needs a separator). Header names are as configured (case kept).

    A webhook without a signature check gives only its id header (if any), or ``{}``.
    Raises :class:`~nbconnect.errors.WebhookDefinitionError` for an empty or undecodable
    secret.
    """
    if not isinstance(body, bytes | bytearray | memoryview):
        raise TypeError("sign() takes the body as bytes")
    body = bytes(body)
    sig = webhook.signature
    headers: dict[str, str] = {}
    if sig is None:
        return headers
    stamp = str(int(time.time() if now is None else now)) if sig.timestamp_header else None
    ident = None
    if sig.id_header:
        ident = delivery_id if delivery_id is not None else f"msg_{uuid.uuid4().hex}"
    if sig.algorithm == "none":
        values = [secret_text(s) for s in (secret, *extra_secrets)]
    else:
        content = signed_content(sig, body, stamp, ident)
        values = [encode_signature(sig.encoding, digest(sig, hmac_key(sig, s), content))
                  for s in (secret, *extra_secrets)]
    headers[sig.header] = header_value(sig, values, stamp)
    if stamp is not None and sig.timestamp_header.lower() != sig.header.lower():  # type: ignore[union-attr]
        headers[sig.timestamp_header] = sig.timestamp_prefix + stamp  # type: ignore[index]
    if ident is not None:
        headers[sig.id_header] = ident  # type: ignore[index]
    return headers

