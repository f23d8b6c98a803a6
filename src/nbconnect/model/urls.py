"""The base URL rule: one absolute ``https`` URL (``http`` only to loopback hosts)."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from ..errors import BaseUrlError

__all__ = ["check_base_url", "is_loopback_host", "redact_userinfo"]


def is_loopback_host(host: str | None) -> bool:
    """True for ``localhost``, 127.0.0.0/8 and ``::1``."""
    if not host:
        return False
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def redact_userinfo(url: str) -> str:
    """``url`` with any ``user:password@`` part replaced by ``***@`` (for messages)."""
    return re.sub(r"(?<=//)[^/@?#]*@", "***@", url)


def check_base_url(url: object, *, what: str = "base URL") -> str:
    """Return ``url`` stripped of surrounding blanks, or raise :class:`BaseUrlError`.

    Absolute, ``https``; ``http`` is accepted only for loopback hosts so local mock and
    test servers work. No credentials, query or fragment: those belong to the auth
    config and to endpoints.
    """
    if not isinstance(url, str) or not url.strip():
        raise BaseUrlError(f"The {what} is empty; give an absolute https URL such as "
                           "https://api.example.com/v2/.")
    url = url.strip()
    shown = redact_userinfo(url)
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise BaseUrlError(f"The {what} {shown!r} contains blanks or control characters; "
                           "remove them or percent-encode them.")
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise BaseUrlError(f"The {what} {shown!r} is not a valid URL ({exc}); "
                           "give an absolute https URL.") from None
    if not parts.scheme and not parts.netloc:
        raise BaseUrlError(f"The {what} {shown!r} is relative; it must be absolute, "
                           "such as https://api.example.com/v2/.")
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise BaseUrlError(f"The {what} {shown!r} uses {scheme}:, but connectors speak HTTP; "
                           "use an https:// URL.")
    if not host:
        raise BaseUrlError(f"The {what} {shown!r} has no host; give an absolute https URL "
                           "such as https://api.example.com/v2/.")
    if scheme == "http" and not is_loopback_host(host):
        raise BaseUrlError(f"The {what} {shown!r} uses plain http to {host}, which is not a "
                           "loopback host; use https (http is allowed only for 127.0.0.1, "
                           "::1 and localhost).")
    if parts.username is not None or parts.password is not None:
        raise BaseUrlError(f"The {what} for {host} carries credentials; remove them and set "
                           "them in the auth config and a test connection instead.")
    if parts.query or url.endswith("?"):
        raise BaseUrlError(f"The {what} for {host} has a query string; put query parameters "
                           "on the endpoints instead.")
    if parts.fragment or "#" in url:
        raise BaseUrlError(f"The {what} for {host} has a #fragment; remove it.")
    return url
