"""String formats a pulled field gets when every sample agrees: date-time, date, email, uri,
uuid.

:func:`detect` names the format of one string (or None); :func:`matches` checks a later
string against a format already seen, so a field keeps its format only while every value fits.
The rules follow the JSON Schema 2020-12 format vocabulary (Validation §7.3): ``date-time``
and ``date`` are RFC 3339 §5.6 ``date-time``/``full-date`` (with ``T`` and a time offset);
``email`` an RFC 5321 mailbox in its common dot-atom form; ``uri`` an absolute RFC 3986 §3 URI
with an authority (``scheme://host...``; "when clear": bare ``a:b`` strings stay plain text);
``uuid`` the RFC 9562 §4 hex-and-dash form.
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["FORMATS", "all_match", "detect", "matches"]

FORMATS = ("date-time", "date", "email", "uri", "uuid")

_DATE = r"\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])"
_DATE_RE = re.compile(_DATE + r"\Z")
_DATE_TIME_RE = re.compile(
    _DATE + r"[Tt](?:[01]\d|2[0-3]):[0-5]\d:(?:[0-5]\d|60)(?:\.\d+)?"
    r"(?:[Zz]|[+-](?:[01]\d|2[0-3]):[0-5]\d)\Z")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?"
_EMAIL_RE = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-]+)*"
                       rf"@{_LABEL}(?:\.{_LABEL})+\Z")
_URI_RE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s\x00/?#]+[^\s\x00]*\Z")
_UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                      r"[0-9a-fA-F]{12}\Z")

_MATCHERS: dict[str, Callable[[str], object]] = {
    "date-time": _DATE_TIME_RE.match,
    "date": _DATE_RE.match,
    "email": _EMAIL_RE.match,
    "uri": _URI_RE.match,
    "uuid": _UUID_RE.match,
}


def all_match(fmt: str, texts: list[str]) -> bool:
    """Whether every string of ``texts`` is a valid ``fmt`` string (True for none); one
    C-level pass (``map``) over the batch."""
    return all(map(_MATCHERS[fmt], texts))


def detect(text: str) -> str | None:
    """The format of ``text`` (one of :data:`FORMATS`), or None when none is clear.

    A cheap look at the length and a few characters picks the one candidate, so a plain
    string costs a couple of comparisons."""
    n = len(text)
    if n < 6:
        return None
    if n == 36 and text[8] == "-" and _UUID_RE.match(text):
        return "uuid"
    if text[4] == "-" and text[:4].isdigit():
        if n == 10:
            return "date" if _DATE_RE.match(text) else None
        return "date-time" if _DATE_TIME_RE.match(text) else None
    if "://" in text:
        return "uri" if _URI_RE.match(text) else None
    if "@" in text and " " not in text:
        return "email" if _EMAIL_RE.match(text) else None
    return None


def matches(fmt: str, text: str) -> bool:
    """Whether ``text`` is a valid ``fmt`` string (``fmt`` one of :data:`FORMATS`)."""
    matcher = _MATCHERS.get(fmt)
    return matcher is not None and matcher(text) is not None
