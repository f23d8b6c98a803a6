"""Finding the signature scheme of one captured delivery: :func:`detect_scheme`.

Given the headers and raw body of a real delivery and the secret, it tries every preset and
then the generic combinations of the reference's fields and what real schemes add: which
header holds the signature (and its value prefix such as ``sha256=`` or ``v1,``), hash
algorithm (SHA-1/256/512 or none), encoding (hex, base64, base64url), what is signed (the
body, or the body with a timestamp and/or id header in the common layouts) and the secret
format (text, or base64 after ``whsec_``). Each HMAC is computed once per combination and
compared with every decoded candidate in constant time. The timestamp's age is not held
against a captured delivery; the result says how old it was.
"""

from __future__ import annotations

import hmac
import itertools
from dataclasses import dataclass, field

from ..auth.secrets import Secret
from ..errors import NbConnectError
from ..model.webhook import Signature, Webhook
from .presets import PRESETS
from .signing import decode_signature, digest, hmac_key, secret_text, signed_content
from .verify import HeaderSource, header_values, verify_delivery

__all__ = ["SIGNED_LAYOUTS", "Detection", "detect_scheme"]

#: what may be signed, besides the body alone
SIGNED_LAYOUTS = ("{body}", "{timestamp}.{body}", "v0:{timestamp}:{body}",
                  "{id}.{timestamp}.{body}", "{timestamp}{body}", "{id}.{body}",
                  "{timestamp}:{body}")
_SKIP = {"host", "content-type", "content-length", "user-agent", "accept", "accept-encoding",
         "connection", "date", "expect", "transfer-encoding", "x-forwarded-for",
         "x-forwarded-proto", "x-real-ip", "cookie"}
_VALUE_PREFIXES = ("sha1=", "sha256=", "sha512=", "v1=", "v0=", "v1,", "v0,", "t=")


@dataclass(frozen=True)
class Detection:
    """What :func:`detect_scheme` found.

    ``signature``: the configuration that verifies the delivery (secret not included), or
    None; ``preset``: the preset it is, if one; ``tried``: lines saying what was tried;
    ``note``: one sentence (the timestamp's age, or why nothing matched).
    """

    signature: Signature | None
    preset: str | None = None
    tried: tuple[str, ...] = field(default_factory=tuple)
    note: str = ""

    @property
    def found(self) -> bool:
        return self.signature is not None

    def __repr__(self) -> str:  # short and stable (the note holds an age in seconds)
        if self.signature is None:
            return f"Detection(found=False, tried={len(self.tried)} kinds)"
        if self.preset:
            return f"Detection(found=True, preset={self.preset!r})"
        return f"Detection(found=True, signature={self.signature!r})"

    def options(self) -> dict[str, object]:
        """The found configuration as ``webhook add`` options (``{}`` when none)."""
        if self.signature is None:
            return {}
        if self.preset:
            return {"preset": self.preset}
        out = self.signature.to_dict()
        out.pop("secret", None)
        return out


def _names(headers: HeaderSource) -> list[str]:
    pairs = headers.items() if hasattr(headers, "items") else headers
    seen: dict[str, str] = {}
    for key, _ in pairs:  # type: ignore[misc]
        seen.setdefault(str(key).lower(), str(key))
    return list(seen.values())


def _split(value: str) -> list[tuple[str | None, str, str]]:
    """(separator, value prefix, signature) readings of a header value."""
    out: list[tuple[str | None, str, str]] = [(None, "", value.strip())]
    for sep in (" ", ","):
        if sep in value.strip():
            for item in value.split(sep):
                item = item.strip()
                for pre in _VALUE_PREFIXES:
                    if item.startswith(pre) and pre != "t=":
                        out.append((sep, pre, item[len(pre):]))
    for pre in _VALUE_PREFIXES:
        if value.startswith(pre) and pre != "t=":
            out.append((None, pre, value[len(pre):].strip()))
    return out


def _timestamps(headers: HeaderSource, names: list[str]) -> list[tuple[str, str, str]]:
    """(header, item prefix, value) of every header that holds Unix seconds."""
    out = []
    for name in names:
        for value in header_values(headers, name):
            if value.strip().isdigit() and 9 <= len(value.strip()) <= 10:
                out.append((name, "", value.strip()))
            for item in value.split(","):
                item = item.strip()
                if item.startswith("t=") and item[2:].isdigit():
                    out.append((name, "t=", item[2:]))
    return out


def _preset_pass(headers: HeaderSource, body: bytes, secret: str) -> tuple[str, Signature] | None:
    for name, p in PRESETS.items():
        sig = p.signature()
        if sig.timestamp_header:
            stamp = header_values(headers, sig.timestamp_header)
            now = _stamp_of(sig, stamp[0]) if len(stamp) == 1 else None
        else:
            now = None
        try:
            check = verify_delivery(Webhook("detect", signature=sig), headers, body,
                                    secret=secret, now=now)
        except NbConnectError:  # e.g. a text secret for a base64 scheme
            continue
        if check.verified:
            return name, sig
    return None


def _stamp_of(sig: Signature, value: str) -> float | None:
    for item in (value.split(sig.separator) if sig.separator else [value]):
        item = item.strip()
        if item.startswith(sig.timestamp_prefix) and item[len(sig.timestamp_prefix):].isdigit():
            return float(item[len(sig.timestamp_prefix):])
    return None


def detect_scheme(headers: HeaderSource, body: bytes, *, secret: str | Secret,
                  now: float | None = None) -> Detection:
    """The signature configuration that verifies this captured delivery, or what was tried.

    ``headers`` as received (a mapping or pairs), ``body`` the raw bytes, ``secret`` the
    resolved secret value, ``now`` the clock for the age note (default: the clock).
    """
    import time

    body = bytes(body)
    value = secret_text(secret)
    names = _names(headers)
    tried = [f"presets: {', '.join(PRESETS)}"]
    hit = _preset_pass(headers, body, value)
    if hit is not None:
        return _result(hit[1], hit[0], headers, tried, now or time.time())
    cands = [n for n in names if n.lower() not in _SKIP]
    stamps = _timestamps(headers, names)
    ids = [n for n in cands if len(header_values(headers, n)) == 1]
    # algorithm none: a header that equals the secret
    for name in cands:
        for v in header_values(headers, name):
            if hmac.compare_digest(v.strip().encode(), value.encode()):
                sig = Signature(key=name, algorithm="none")
                return _result(sig, None, headers, tried, now or time.time())
    readings = {(name, sep, pre, enc): decoded
                for name in cands for v in header_values(headers, name)
                for sep, pre, text in _split(v)
                for enc in ("hex", "base64", "base64url")
                if (decoded := decode_signature(enc, text)) is not None
                and len(decoded) in (20, 32, 64)}
    tried += [f"signature headers: {', '.join(cands) or '(none but standard headers)'}",
              "algorithms: none, sha1, sha256, sha512", "encodings: hex, base64, base64url",
              f"signed: {', '.join(SIGNED_LAYOUTS)}",
              f"timestamp headers: {', '.join(sorted({s[0] for s in stamps})) or '(none)'}",
              "secret formats: text, base64 (after whsec_)"]
    for fmt, alg, layout in itertools.product(("text", "base64"), ("sha256", "sha1", "sha512"),
                                              SIGNED_LAYOUTS):
        probe = Signature(key="x", algorithm=alg, secret_format=fmt)  # type: ignore[arg-type]
        try:
            key = hmac_key(probe, value)
        except NbConnectError:
            continue
        stamp_opts = stamps if "{timestamp}" in layout else [(None, "", None)]
        id_opts = ids if "{id}" in layout else [None]
        for (ts_name, ts_pre, ts), ident in itertools.product(stamp_opts, id_opts):
            id_value = header_values(headers, ident)[0] if ident else None
            content = _render(layout, body, ts, id_value)
            mac = digest(probe, key, content)
            for (name, sep, pre, enc), got in readings.items():
                if len(got) == len(mac) and hmac.compare_digest(got, mac):
                    try:
                        sig = Signature(key=name, algorithm=alg, encoding=enc,  # type: ignore[arg-type]
                                        secret_format=fmt, signed=layout,  # type: ignore[arg-type]
                                        signature_prefix=pre, separator=sep,
                                        timestamp_header=ts_name, timestamp_prefix=ts_pre,
                                        id_header=ident)
                    except NbConnectError:
                        continue
                    found = _result(sig, None, headers, tried, now or time.time())
                    if enc == "base64" and _ambiguous(readings, name):
                        found = Detection(sig, None, found.tried, found.note + (
                            " Its signature has none of + / - _, so it could also be "
                            "base64url; check another delivery if one fails."))
                    return found
    note = ("No configuration verifies this delivery: check the secret (a whsec_ secret is "
            "tried both as text and as base64), and that the body file holds the raw bytes "
            "as sent, not re-serialized JSON.")
    return Detection(None, None, tuple(tried), note)


def _ambiguous(readings: dict[tuple[str, str | None, str, str], bytes], name: str) -> bool:
    return any(k[0] == name and k[3] == "base64url" for k in readings)


def _render(layout: str, body: bytes, ts: str | None, ident: str | None) -> bytes:
    fake = Signature(key="x", signed=layout,
                     timestamp_header="t" if "{timestamp}" in layout else None,
                     id_header="i" if "{id}" in layout else None)
    return signed_content(fake, body, ts, ident)


def _result(sig: Signature, name: str | None, headers: HeaderSource, tried: list[str],
            now: float) -> Detection:
    note = f"Verified as {'preset ' + name if name else 'a custom scheme'}."
    if sig.timestamp_header:
        values = header_values(headers, sig.timestamp_header)
        ts = _stamp_of(sig, values[0]) if values else None
        if ts is not None:
            note += (f" The delivery's timestamp is {int(now - ts)} s old; a receiver accepts "
                     f"it within {sig.tolerance} s.")
    return Detection(sig, name, tuple(tried), note)
