"""Reading a spec's raw bytes safely: a file, an https URL, spec text or bytes -> SpecSource.

A file's size is checked with ``stat`` before it is read; a URL is fetched with httpx2,
streaming, with the size cap enforced while the body arrives and a total deadline; only
``https`` (``http`` only to loopback hosts), no HTML pages, no error statuses; redirects are
followed by hand so every hop obeys the same rule. httpx2 is imported when a URL is read.
Decoding and parsing the bytes is :mod:`.parsing`'s job.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .. import limits
from ..errors import SpecSourceError, SpecTooLargeError, clip
from ..model.urls import is_loopback_host, redact_userinfo

__all__ = ["SpecSource", "read_source"]

_MAX_REDIRECTS = 5


@dataclass(frozen=True)
class SpecSource:
    """Raw bytes of a spec and where they came from.

    ``origin`` names the source in messages (a path, a URL without credentials, or
    ``"the spec text"``); ``url`` is the final URL when the spec came from the network
    (used to resolve relative server URLs), else ``None``.
    """

    data: bytes | str
    origin: str
    url: str | None = None


def _fmt_size(n: int) -> str:
    for unit, size in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= size:
            return f"{n / size:.1f} {unit}".replace(".0 ", " ")
    return f"{n} bytes"


def _too_large(origin: str, size: int | None, cap: int) -> SpecTooLargeError:
    what = f"is {_fmt_size(size)}" if size is not None else "is larger than that"
    return SpecTooLargeError(
        f"The spec {origin} {what}, over the size cap of {_fmt_size(cap)}; raise the cap if "
        "you trust it.", option="max_bytes")


def _looks_like_url(text: str) -> bool:
    return re.match(r"[A-Za-z][A-Za-z0-9+.\-]*://", text) is not None


def read_source(source: Any, *, max_bytes: int | None = None, timeout: float | None = None,
                verify: Any = True) -> SpecSource:
    """Read ``source`` (path, ``http(s)://`` URL, spec text or bytes) within the size cap.

    A ``str`` is a URL if it starts with ``scheme://``, spec text if it contains a line
    break or starts with ``{``/``[``, and a file path otherwise.
    """
    cap = limits.MAX_SPEC_BYTES if max_bytes is None else int(max_bytes)
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        if len(data) > cap:
            raise _too_large("text", len(data), cap)
        return SpecSource(data, "text")
    if isinstance(source, str):
        stripped = source.strip()
        if not stripped:
            raise SpecSourceError("The spec is empty; give a file path, an https URL or the "
                                  "spec text.")
        if "\n" not in stripped and _looks_like_url(stripped):
            return _read_url(stripped, cap=cap, timeout=timeout, verify=verify)
        if "\n" in stripped or stripped[0] in "{[" or len(stripped) > 4096:
            if len(source) > cap or (len(source) * 4 > cap and len(source.encode()) > cap):
                raise _too_large("text", len(source.encode("utf-8", "replace")), cap)
            return SpecSource(source, "text")
        path = Path(stripped).expanduser()
        if not path.exists() and not re.search(r"[/\\]|\.(ya?ml|json)$", stripped, re.I):
            return SpecSource(source, "text")  # one line of text, not a path
        return _read_file(path, cap)
    if isinstance(source, os.PathLike):
        return _read_file(Path(os.fspath(source)).expanduser(), cap)
    raise SpecSourceError(f"Cannot read a spec from a {type(source).__name__}; give a file "
                          "path, an https URL, or the spec as str or bytes.")


def _read_file(path: Path, cap: int) -> SpecSource:
    origin = str(path)
    try:
        st = path.stat()
    except FileNotFoundError:
        raise SpecSourceError(f"There is no file {origin}; check the path (or give an "
                              "https URL or the spec text).") from None
    except OSError as exc:
        raise SpecSourceError(f"Cannot read {origin} ({exc.strerror or exc}); check the path "
                              "and its permissions.") from None
    import stat as stat_mod

    if stat_mod.S_ISDIR(st.st_mode):
        raise SpecSourceError(f"{origin} is a directory; give the spec file inside it.")
    if st.st_size > cap:
        raise _too_large(origin, st.st_size, cap)
    try:
        with path.open("rb") as fh:
            data = fh.read(cap + 1)
    except OSError as exc:
        raise SpecSourceError(f"Cannot read {origin} ({exc.strerror or exc}); check the "
                              "file and its permissions.") from None
    if len(data) > cap:  # the file grew after stat
        raise _too_large(origin, None, cap)
    return SpecSource(data, origin)


def _check_fetch_url(url: str) -> str:
    """Return the URL shown in messages; raise if the URL may not be fetched."""
    shown = redact_userinfo(url)
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        raise SpecSourceError(f"The spec URL {shown!r} is not a valid URL; check it.") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise SpecSourceError(f"The spec URL {shown!r} uses {scheme}:, which nbconnect does "
                              "not fetch; download the file and import its path, or use an "
                              "https URL.")
    if not host:
        raise SpecSourceError(f"The spec URL {shown!r} has no host; give a full https URL.")
    if scheme == "http" and not is_loopback_host(host):
        raise SpecSourceError(f"The spec URL {shown!r} uses plain http to {host}, which is not "
                              "a loopback host; use https (http is allowed only for "
                              "127.0.0.1, ::1 and localhost).")
    return shown


def _read_url(url: str, *, cap: int, timeout: float | None, verify: Any) -> SpecSource:
    import httpx2

    limit = limits.SPEC_URL_TIMEOUT if timeout is None else float(timeout)
    shown = _check_fetch_url(url)
    deadline = time.monotonic() + limit
    try:
        with httpx2.Client(verify=verify, timeout=httpx2.Timeout(limit),
                           follow_redirects=False, trust_env=False,
                           headers={"Accept": "application/json, application/yaml, "
                                              "text/yaml, */*;q=0.5"}) as client:
            for _ in range(_MAX_REDIRECTS + 1):
                with client.stream("GET", url) as resp:
                    if resp.is_redirect and resp.headers.get("location"):
                        url = str(resp.url.join(resp.headers["location"]))
                        shown = _check_fetch_url(url)
                        continue
                    return _read_response(resp, url, shown, cap, deadline, limit)
            raise SpecSourceError(f"The spec URL {shown} redirects more than "
                                  f"{_MAX_REDIRECTS} times; give the final URL.")
    except httpx2.TimeoutException:
        raise SpecSourceError(f"The spec URL {shown} did not answer within {limit:g} s; try "
                              "again, raise the timeout, or download the file and import "
                              "its path.") from None
    except httpx2.ConnectError as exc:
        host = urlsplit(url).hostname
        text = str(exc)
        if "CERTIFICATE" in text.upper() or "SSL" in text.upper():
            raise SpecSourceError(f"The TLS certificate of {host} could not be verified "
                                  f"({clip(text)}); fix the server's certificate or pass "
                                  "verify= a CA bundle.") from None
        raise SpecSourceError(f"Could not connect to {host} to fetch the spec "
                              f"({clip(text)}); check the URL and your network.") from None
    except httpx2.HTTPError as exc:
        raise SpecSourceError(f"Fetching the spec URL {shown} failed ({type(exc).__name__}: "
                              f"{clip(str(exc))}); check the URL and try again.") from None




def _read_response(resp: Any, url: str, shown: str, cap: int, deadline: float,
                   limit: float) -> SpecSource:
    if resp.status_code == 404:
        raise SpecSourceError(f"The spec URL {shown} was not found (HTTP 404); check the URL.")
    if resp.status_code >= 400 or resp.status_code < 200:
        raise SpecSourceError(f"The spec URL {shown} answered HTTP {resp.status_code} "
                              f"{resp.reason_phrase}; check the URL and your access to it.")
    if resp.status_code >= 300:
        raise SpecSourceError(f"The spec URL {shown} answered HTTP {resp.status_code} without "
                              "a usable redirect; give the final URL.")
    ctype = resp.headers.get("content-type", "").lower()
    if "html" in ctype:
        raise SpecSourceError(f"The spec URL {shown} returned an HTML page, not a spec; link "
                              "to the raw JSON or YAML file instead.")
    length = resp.headers.get("content-length")
    if length and length.isdigit() and int(length) > cap:
        raise _too_large(shown, int(length), cap)
    chunks: list[bytes] = []
    size = 0
    for chunk in resp.iter_raw():
        size += len(chunk)
        if size > cap:
            raise _too_large(shown, None, cap)
        chunks.append(chunk)
        if time.monotonic() > deadline:
            raise SpecSourceError(f"The spec URL {shown} did not finish within {limit:g} s; "
                                  "try again, raise the timeout, or download the file and "
                                  "import its path.")
    data = b"".join(chunks)
    encoding = resp.headers.get("content-encoding", "").lower().strip()
    if encoding and encoding != "identity":
        data = _decompress(data, encoding, shown, cap)
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<!doctype html", b"<html")):
        raise SpecSourceError(f"The spec URL {shown} returned an HTML page, not a spec; link "
                              "to the raw JSON or YAML file instead.")
    return SpecSource(data, shown, url)


def _decompress(data: bytes, encoding: str, shown: str, cap: int) -> bytes:
    """Undo gzip/deflate with the size cap applied to the output (no zip bombs)."""
    import zlib

    if encoding in ("gzip", "x-gzip"):
        wbits = 16 + zlib.MAX_WBITS
    elif encoding == "deflate":
        wbits = zlib.MAX_WBITS
    else:
        raise SpecSourceError(f"The spec URL {shown} sent content-encoding {encoding!r}, "
                              "which nbconnect does not decode; download the file and import "
                              "its path.")
    dec = zlib.decompressobj(wbits)
    try:
        out = dec.decompress(data, cap + 1)
    except zlib.error:
        raise SpecSourceError(f"The spec URL {shown} sent a corrupt {encoding} body; try "
                              "again or download the file.") from None
    if len(out) > cap or dec.unconsumed_tail:
        raise _too_large(shown, None, cap)
    return out


