"""Checking one delivery against a webhook's signature configuration: :func:`verify_delivery`
and its :class:`Verification`.

The check runs on the raw request bytes, before any parsing, and compares with
:func:`hmac.compare_digest` only. The outcome's ``status`` is what a receiver answers:

* 200 - accepted (``verified`` says whether a signature was actually checked);
* 401 - not authenticated: signature, timestamp or signed id header missing or empty, no
  signature matches (tampered body, wrong secret, algorithm or encoding), timestamp older or
  newer than the tolerance (replay protection, both directions);
* 400 - malformed: a signature, timestamp or id header given twice, a timestamp that is not
  whole Unix seconds (non-numeric, or milliseconds).

``reason`` is one sentence for the person debugging (expected vs received, shortened;
secret values never shown). It is for logs and the ``webhook verify`` calculator, not for
the HTTP response: a receiver sends :attr:`Verification.public_reason`, which holds no
computed value (an expected signature would make the receiver a signing oracle).
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..auth.secrets import Secret, redact, register
from ..errors import WebhookDefinitionError
from ..model.webhook import Signature, Webhook
from .signing import (
    DIGEST_SIZES,
    decode_signature,
    digest,
    encode_signature,
    hmac_key,
    join_signed,
    secret_text,
    signed_pieces,
)

__all__ = ["HeaderSource", "Verification", "Verifier", "header_values", "verify_delivery"]

#: Headers as a receiver has them: a mapping (starlette/httpx ``Headers`` keep repeated
#: headers through ``getlist``/``get_list``; a plain dict value may be a list), or pairs.
HeaderSource = Mapping[str, Any] | Iterable[tuple[str, str]]
#: a timestamp above this is not Unix seconds (it is year 5138): milliseconds, most likely
_MAX_SECONDS = 10**11
_SHOWN = 10


@dataclass(frozen=True)
class Verification:
    """The outcome of checking one delivery.

    ``ok``: accept it; ``status``: 200, 401 or 400 (see the module docstring); ``reason``:
    one sentence (secrets masked); ``delivery_id``: the id header's value, or None;
    ``timestamp``: the timestamp in Unix seconds, or None; ``verified``: a signature was
    checked and matched (False for a webhook without a signature check).
    """

    ok: bool
    status: int
    reason: str
    delivery_id: str | None = None
    timestamp: int | None = None
    verified: bool = False

    @property
    def public_reason(self) -> str:
        """A short reason that is safe to send back to the caller (no computed values)."""
        if self.ok:
            return "accepted"
        return "malformed webhook request" if self.status == 400 else \
            "webhook signature verification failed"

    def __bool__(self) -> bool:
        return self.ok


def header_values(headers: HeaderSource, name: str) -> list[str]:
    """Every value of header ``name`` (case-insensitive) in ``headers``, in order."""
    getter = getattr(headers, "getlist", None) or getattr(headers, "get_list", None)
    if callable(getter):
        return [v if type(v) is str else str(v) for v in getter(name)]
    lower = name.lower()
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    out: list[str] = []
    for key, value in pairs:
        if str(key).lower() == lower:
            out.extend(str(v) for v in value) if isinstance(value, list | tuple) \
                else out.append(str(value))
    return out


def _short(text: str) -> str:
    return text if len(text) <= _SHOWN + 2 else text[:_SHOWN] + "…"


class _Fail(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


def _one(headers: HeaderSource, name: str, what: str, *, needed: bool) -> str | None:
    values = header_values(headers, name)
    if len(values) > 1:
        raise _Fail(400, f"The {what} header {name} came {len(values)} times; a sender "
                         "sends it once, so the request is malformed.")
    if not values or not values[0].strip():
        if needed:
            state = "is empty" if values else "is missing"
            raise _Fail(401, f"The {what} header {name} {state}; the sender must send it "
                             "(check that no proxy drops it).")
        return None
    return values[0].strip()


def _items(sig: Signature, value: str) -> list[str]:
    return [p.strip() for p in value.split(sig.separator)] if sig.separator else [value]


def _timestamp(sig: Signature, headers: HeaderSource, now: float) -> tuple[int, str]:
    name = sig.timestamp_header or ""
    raw = _one(headers, name, "timestamp", needed=True) or ""
    if sig.timestamp_prefix:
        found = [i[len(sig.timestamp_prefix):] for i in _items(sig, raw)
                 if i.startswith(sig.timestamp_prefix)]
        if not found:
            raise _Fail(401, f"The header {name} has no {sig.timestamp_prefix!r} timestamp "
                             "item; the sender must send one.")
        if len(found) > 1:
            raise _Fail(400, f"The header {name} has {len(found)} {sig.timestamp_prefix!r} "
                             "timestamp items; the request is malformed.")
        raw = found[0]
    if not raw.isascii() or not raw.isdigit():
        raise _Fail(400, f"The timestamp in {name} is not whole Unix seconds (received "
                         f"{_short(raw)!r}); the request is malformed.")
    ts = int(raw)
    if ts >= _MAX_SECONDS:
        raise _Fail(400, f"The timestamp in {name} ({_short(raw)}) looks like milliseconds; "
                         "the scheme sends whole Unix seconds.")
    skew = now - ts
    if abs(skew) > sig.tolerance:
        where = "old" if skew > 0 else "in the future"
        raise _Fail(401, f"The timestamp in {name} is {abs(int(skew))} s {where}, over the "
                         f"{sig.tolerance} s tolerance (a replay, or a clock off); "
                         "check the sender's clock or resend.")
    return ts, raw


def _mismatch(sig: Signature, candidates: list[str], expected: bytes, secret: str) -> str:
    exp = sig.signature_prefix + _short(encode_signature(sig.encoding, expected))
    # a received value that looks like part of the secret is never shown
    got = ["***" if c[:_SHOWN] in secret else sig.signature_prefix + _short(c)
           for c in candidates]
    hint = ""
    decoded = [decode_signature(sig.encoding, c) for c in candidates]
    if all(d is None for d in decoded):
        hint = f"; the received value is not {sig.encoding} - is the encoding another one?"
    else:
        sizes = {len(d) for d in decoded if d is not None}
        if sizes and len(expected) not in sizes:
            size = sizes.pop()
            alg = next((a for a, n in DIGEST_SIZES.items() if n == size), None)
            hint = (f"; it is {size} bytes where {sig.algorithm} gives {len(expected)}"
                    + (f" - is the algorithm {alg}?" if alg else ""))
        else:
            hint = ("; check the secret (and its format), and that the body is the raw "
                    "bytes as sent")
    return (f"The signature in {sig.header} does not match: expected {exp} "
            f"(HMAC-{sig.algorithm.upper()} of {sig.signed}, {sig.encoding}), received "
            f"{', '.join(got)}{hint}.")


def verify_delivery(webhook: Webhook, headers: HeaderSource, body: bytes, *,
                    secret: str | Secret | None, now: float | None = None) -> Verification:
    """Check one delivery of ``webhook``: ``headers`` as received, ``body`` the raw bytes,
    ``secret`` the resolved secret value, ``now`` the receiver's clock in Unix seconds
    (default: ``time.time()``). Returns a :class:`Verification`; never raises for a bad
    request. A webhook without a signature check accepts (``verified`` False). An empty
    secret for a webhook that has a check raises
    :class:`~nbconnect.errors.WebhookDefinitionError` (the receiver's setup is wrong, not
    the request).
    """
    return Verifier(webhook, secret)(headers, body, now)


class Verifier:
    """:func:`verify_delivery` prepared once for one webhook and its secret: the HMAC key
    decoded, the signed-content template parsed and the secret registered for redaction
    ahead of the first delivery, so a receiver pays only for the HMAC per request.
    ``Verifier(webhook, secret)(headers, body, now)`` gives what ``verify_delivery(webhook,
    headers, body, secret=secret, now=now)`` gives (the same checks, in the same order).
    """

    __slots__ = ("_error", "_key", "_pieces", "_secret", "sig", "webhook")

    def __init__(self, webhook: Webhook, secret: str | Secret | None) -> None:
        self.webhook = webhook
        self.sig = webhook.signature
        self._error: Exception | None = None
        self._secret, self._key, self._pieces = "", b"", ()
        if self.sig is None:
            return
        try:
            self._secret = secret_text(secret)  # type: ignore[arg-type]
            register(self._secret)  # redact() masks it in every reason
            if self.sig.algorithm != "none":
                self._key = hmac_key(self.sig, self._secret)
                self._pieces = signed_pieces(self.sig.signed)
        except WebhookDefinitionError as exc:  # raised per call, after the id check
            self._error = exc

    def __call__(self, headers: HeaderSource, body: bytes,
                 now: float | None = None) -> Verification:
        """The :class:`Verification` of one delivery (see :func:`verify_delivery`)."""
        if not isinstance(body, bytes | bytearray | memoryview):
            raise TypeError("verify_delivery() takes the raw body as bytes")
        body = bytes(body)
        sig, webhook = self.sig, self.webhook
        now = time.time() if now is None else float(now)
        try:
            ident = _one(headers, sig.id_header, "id", needed="{id}" in sig.signed) \
                if sig is not None and sig.id_header else None
        except _Fail as exc:
            return Verification(False, exc.status, exc.reason)
        if sig is None:
            return Verification(True, 200, f"Webhook {webhook.name!r} has no signature "
                                           "check; the delivery is accepted unauthenticated.",
                                ident)
        if self._error is not None:
            raise self._error
        secret_value = self._secret
        ts: int | None = None
        try:
            value = _one(headers, sig.header, "signature", needed=True) or ""
            raw_ts = None
            if sig.timestamp_header:
                ts, raw_ts = _timestamp(sig, headers, now)
            items = _items(sig, value)
            prefix = sig.signature_prefix
            candidates = [i[len(prefix):] for i in items
                          if i.startswith(prefix) and i != prefix]
            if not candidates:
                shown = "***" if sig.algorithm == "none" or value[:_SHOWN] in secret_value \
                    else _short(value)
                raise _Fail(401, f"The header {sig.header} holds no signature starting with "
                                 f"{prefix!r} (received {shown}); check the "
                                 "signature prefix.")
            if sig.algorithm == "none":
                want = secret_value.encode("utf-8")
                if any(hmac.compare_digest(c.encode("utf-8"), want) for c in candidates):
                    return Verification(True, 200, f"verified: {sig.header} equals the "
                                                   "secret.", ident, ts, True)
                raise _Fail(401, f"The header {sig.header} does not equal the secret "
                                 "(expected *** , received ***; algorithm none compares the "
                                 "secret itself); check the secret.")
            expected = digest(sig, self._key, join_signed(self._pieces, body, raw_ts, ident))
            for c in candidates:
                got = decode_signature(sig.encoding, c)
                if got is not None and hmac.compare_digest(got, expected):
                    return Verification(True, 200, f"verified: HMAC-{sig.algorithm.upper()} "
                                                   f"({sig.encoding}) in {sig.header} "
                                                   "matches.", ident, ts, True)
            raise _Fail(401, _mismatch(sig, candidates, expected, secret_value))
        except _Fail as exc:
            return Verification(False, exc.status, redact(exc.reason), ident, ts)
