"""Record and replay HTTP exchanges as cassettes: one deterministic JSON file per endpoint
(this module gathers the public names of the ``cassette_*`` modules).

A package keeps its cassettes in ``cassettes/<endpoint_id>.json``, read and written
through :class:`~nbconnect.package.package.Package` (a directory, a zip, or a zip of a
package folder). Each file holds the recorded exchanges of one endpoint, sorted, with
sorted keys and no timestamps or latencies, so recording the same exchanges twice gives the
same bytes::

    {"endpoint": "getTask", "exchanges": [{"match": {...}, "request": {...},
     "response": {...}}], "format": "nbconnect-cassette/1"}

* ``request``: method, URL (its password and the values of sensitive query parameters
  masked with :func:`nbconnect.auth.secrets.redact_url`), an allow-list of headers (credentials
  masked with :func:`nbconnect.auth.secrets.redact_headers`) and the body (credential-like JSON
  and form fields such as ``password``, ``token`` or ``client_secret`` masked, every
  registered secret redacted; binary request bodies are left out).
* ``response``: status, an allow-list of headers, and the body as text or base64, cut
  at ``max_body_bytes`` (1 MB by default) with ``"truncated": true`` and its full size.
* ``match``: what :class:`ReplayTransport` compares: method, path, query (without the
  auth query parameters) and a SHA-256 of the canonical, redacted body.

:class:`RecordingTransport` wraps a real httpx2 transport: it passes every response
through unchanged (streamed, not buffered) and records it when its body has been read.
:class:`ReplayTransport` answers from the cassettes without the network; a request that
matches nothing raises :class:`ReplayMissError` (an ``httpx2.TransportError``) whose
message is ``no recorded exchange for GET /path (record it with --record)``.

Requests name their endpoint in ``request.extensions["nbconnect.endpoint"]`` (the
runner sets it); a request without it is filed under a slug of its method and path.

The parts: :mod:`.cassette_records` (what an exchange holds, redaction, match keys),
:mod:`.cassette_files` (where the files live), :mod:`.cassette_store` (the store),
:mod:`.cassette_transports` (record and replay). This module imports httpx2;
``import nbconnect`` does not import it.
"""

from __future__ import annotations

from .cassette_records import (
    CASSETTE_DIR,
    CASSETTE_FORMAT,
    ENDPOINT_EXTENSION,
    MAX_BODY_BYTES,
    MAX_EXCHANGES,
    REQUEST_HEADERS,
    RESPONSE_HEADERS,
    endpoint_key,
    sensitive_names,
)
from .cassette_store import CassetteStore
from .cassette_transports import RecordingTransport, ReplayMissError, ReplayTransport

__all__ = [
    "CASSETTE_DIR",
    "CASSETTE_FORMAT",
    "ENDPOINT_EXTENSION",
    "MAX_BODY_BYTES",
    "MAX_EXCHANGES",
    "REQUEST_HEADERS",
    "RESPONSE_HEADERS",
    "CassetteStore",
    "RecordingTransport",
    "ReplayMissError",
    "ReplayTransport",
    "endpoint_key",
    "sensitive_names",
]
