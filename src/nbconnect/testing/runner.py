"""Test endpoints against a real API: the public face of :mod:`nbconnect.testing`.

This module re-exports what the rest of nbconnect imports; the work is done by modules of
one job each:

* :mod:`~nbconnect.testing.values`: the one test-value policy (explicit value, saved test
  value, link, default, example, first enum value; coercion; the text form of a value),
  shared with the Postman export.
* :mod:`~nbconnect.testing.request`: :func:`build_request`, an endpoint plus test values
  as an ``httpx2.Request``.
* :mod:`~nbconnect.testing.judging`: pass or fail a response (2xx **and** the declared
  JSON Schema or content type) with a reason a person can act on (``401 Unauthorized —
  the API rejected the credentials (check the connection's api key)``, ``timed out after
  10 s``, ...); every reason passes through :func:`nbconnect.auth.secrets.redact`.
* :mod:`~nbconnect.testing.running`: :func:`test_endpoint` and :func:`test_endpoints`
  (threads, retries of 429/503 with ``Retry-After``, the body sample bound, progress).
* :mod:`~nbconnect.testing.report`: :class:`TestResult` and :class:`TestReport` (text, JSON).

Concurrency: one ``httpx2.Client`` shared by a pool of threads. Measured here
(httpx2 2.16.2, 2 CPUs, 150 requests to a uvicorn server in another process that
answers after 20 ms; median of 3)::

    concurrency      1      5      8     10     16     20     32     50
    sync + threads 3.31   0.70   0.45   0.38   0.25   0.20   0.21   0.16  s
    AsyncClient    3.38   0.71   0.46   0.36   0.29   0.26   0.25   0.21  s

httpx2 did not slow down past 10 as httpx's AsyncClient did (encode/httpx#3215);
threads were as fast or faster at every level and keep sync auth flows and sync
record/replay transports usable, and the gain flattens at 20, so
:data:`DEFAULT_CONCURRENCY` is 20 (newman takes 5.3 s for the same 150 requests).
With it, test-all of 150 endpoints (schema checked) took 0.225 s against a bare
httpx2 20-thread loop's 0.211 s (1.07x) at 20 ms per request, 0.178 s vs 0.176 s with
no delay; 150 responses of 2 MB each peaked at 196 MB RSS (1 MB samples kept).

httpx2 and jsonschema are imported when a test runs, not when this module is imported.
"""

from __future__ import annotations

from ..errors import MissingParameterError
from .judging import response_json_schema
from .report import TestReport, TestResult
from .request import (
    DEFAULT_TIMEOUT,
    ENDPOINT_EXTENSION,
    USER_AGENT,
    build_request,
    request_values,
)
from .running import (
    BODY_SAMPLE_BYTES,
    DEFAULT_CONCURRENCY,
    MAX_RETRIES,
    MAX_RETRY_WAIT,
    ProgressFn,
    test_endpoint,
    test_endpoints,
)

__all__ = [
    "BODY_SAMPLE_BYTES",
    "DEFAULT_CONCURRENCY",
    "DEFAULT_TIMEOUT",
    "ENDPOINT_EXTENSION",
    "MAX_RETRIES",
    "MAX_RETRY_WAIT",
    "USER_AGENT",
    "MissingParameterError",
    "ProgressFn",
    "TestReport",
    "TestResult",
    "build_request",
    "request_values",
    "response_json_schema",
    "test_endpoint",
    "test_endpoints",
]
