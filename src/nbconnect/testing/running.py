"""Run tests: one endpoint or many, concurrently, with retries, bounds and progress.

:func:`test_endpoint` sends one endpoint's request, :func:`test_endpoints` sends many
through one shared client; both judge each answer (:mod:`nbconnect.testing.judging`) and
return a :class:`~nbconnect.testing.report.TestResult` or
:class:`~nbconnect.testing.report.TestReport`. A failure of the API is a failed result,
never an exception.

Limits: a timeout per request (default :data:`DEFAULT_TIMEOUT`), 429/503 answers with a
``Retry-After`` retried at most :data:`MAX_RETRIES` times, each wait at most
:data:`MAX_RETRY_WAIT` seconds (a longer Retry-After fails at once, saying so), and each
response body read as a stream of which only the first :data:`BODY_SAMPLE_BYTES` are
kept (the full size is counted; the schema is checked only when the body fit).

Concurrency: one ``httpx2.Client`` shared by a pool of threads; see
:mod:`nbconnect.testing.runner` for the measurements behind :data:`DEFAULT_CONCURRENCY`.
Progress goes to a ``progress(done, total, result)`` callback, or a tqdm bar on a terminal.
httpx2 is imported when a test runs, not when this module is imported.
"""

from __future__ import annotations

import email.utils
import functools
import re
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..auth.secrets import redact
from ..errors import NbConnectError, TestRunError, clip
from ..model import Connection, Connector, Endpoint
from .judging import Validators, error_reason, judge, media_type, seconds
from .report import TestReport, TestResult
from .request import DEFAULT_TIMEOUT, build_request, check_params

if TYPE_CHECKING:
    from ..auth.secrets import PromptFn

__all__ = [
    "BODY_SAMPLE_BYTES",
    "DEFAULT_CONCURRENCY",
    "MAX_RETRIES",
    "MAX_RETRY_WAIT",
    "ProgressFn",
    "default_ssl_context",
    "is_replay",
    "retry_after",
    "test_endpoint",
    "test_endpoints",
]

#: threads sending requests in :func:`test_endpoints` (see :mod:`nbconnect.testing.runner`)
DEFAULT_CONCURRENCY = 20
MAX_RETRIES = 2
MAX_RETRY_WAIT = 5.0
BODY_SAMPLE_BYTES = 1_000_000

ProgressFn = Callable[[int, int, TestResult], None]


def is_replay(transport: Any) -> bool:
    """Whether ``transport`` replays cassettes: replayed exchanges need no credentials
    (the cassettes answer, not the API)."""
    if transport is None:
        return False
    from .cassettes import ReplayTransport

    return isinstance(transport, ReplayTransport)


_is_replay = is_replay  # the old private name, kept for callers that use it


def retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (RFC 9110 §10.2.3: delay-seconds or an
    HTTP-date; a past date gives 0.0); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())


_retry_after = retry_after  # the old private name, kept for callers that use it


@dataclass
class _Run:
    """What a test run shares: the connector, the client, settings, cached validators."""

    connector: Connector
    client: Any
    base_url: str
    timeout: float
    retries: int
    retry_wait: float
    sample_bytes: int
    sleep: Callable[[float], None] = time.sleep
    validators: Validators = field(init=False)

    def __post_init__(self) -> None:
        self.validators = Validators(self.connector)


def _run_one(run: _Run, ep: Endpoint, values: Mapping[str, Any]) -> TestResult:
    """Test one endpoint with a prepared run; never raises for a failure of the API."""
    def result(ok: bool, reason: str, **kw: Any) -> TestResult:
        return TestResult(ep.id, ep.method, ep.path, ok, reason=redact(reason), **kw)

    if getattr(run.connector, "links", ()):  # parameter links: fill and check, before sending
        from ..links.check import run_values

        try:
            values = run_values(run, ep, values)
        except NbConnectError as exc:
            return result(False, str(exc))
    attempt = 0
    while True:
        try:
            request = build_request(run.connector, ep, values, base_url=run.base_url,
                                    timeout=run.timeout)
        except NbConnectError as exc:
            return result(False, str(exc))
        start = time.perf_counter()
        try:
            response = run.client.send(request, stream=True)
            try:
                status = response.status_code
                ra = _retry_after(response.headers.get("retry-after")) \
                    if status in (429, 503) else None
                if ra is not None and attempt < run.retries and ra <= run.retry_wait:
                    attempt += 1
                    response.close()
                    run.sleep(ra)
                    continue
                chunks: list[bytes] = []
                kept = size = 0
                deadline = start + max(run.timeout, 0.001) * 3
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if kept < run.sample_bytes:
                        piece = chunk[:run.sample_bytes - kept]
                        chunks.append(piece)
                        kept += len(piece)
                    if time.perf_counter() > deadline:
                        raise TimeoutError
                headers = response.headers
                ctype = headers.get("content-type")
            finally:
                response.close()
        except TimeoutError:
            return result(False, f"timed out after {seconds(run.timeout)} s")
        except Exception as exc:  # transport, TLS, auth flow: all become reasons
            return result(False, error_reason(exc, request, run.timeout))
        latency = (time.perf_counter() - start) * 1000.0
        sample = b"".join(chunks)
        truncated = size > len(sample)
        ok, reason = judge(run.validators, ep, status, ctype, sample, size, truncated,
                           headers, run.sample_bytes)
        if not ok and ra is not None and ra > run.retry_wait:
            reason += (f" (the API asked to wait {seconds(round(ra, 1))} s, more than the "
                       f"{seconds(run.retry_wait)} s retry bound)")
        elif not ok and status in (429, 503) and attempt:
            reason += f" (still {status} after {attempt} retries)"
        if 200 <= status < 300 and status != 204:  # a real answer: kept for pull
            _sample_keeper()(run.connector, ep.id, ctype, b"" if truncated else sample,
                             truncated=truncated)
        return result(ok, reason, status=status, latency_ms=latency, size=size,
                      content_type=media_type(ctype) or None, body=sample, truncated=truncated)


@functools.cache
def _sample_keeper() -> Callable[..., bool]:
    """:func:`nbconnect.pull.samples.keep`, imported once (not per request): it holds a 2xx
    body as bytes for ``pull`` and redacts it only when read."""
    from ..pull.samples import keep

    return keep


@functools.lru_cache(maxsize=1)
def default_ssl_context() -> Any:
    """httpx2's default (system/certifi) SSL context, made once per process: loading the
    CA bundle takes ~0.1 s, more than a whole test run of a fast local API."""
    import httpx2

    return httpx2.create_ssl_context()


_default_ssl_context = default_ssl_context  # the old private name, kept for callers that use it


def _make_run(connector: Connector, connection: str | Connection | None, *,
              prompt: PromptFn | None, verify: Any, timeout: float | None,
              transport: Any, concurrency: int, retries: int | None,
              retry_wait: float | None, sample_bytes: int | None) -> _Run:
    import httpx2

    from ..auth.flows import client_for

    if verify is True:
        verify = _default_ssl_context()
    tm = DEFAULT_TIMEOUT if timeout is None else float(timeout)
    if not tm > 0:
        raise TestRunError(f"The timeout must be a positive number of seconds, not "
                           f"{timeout!r}.", option="timeout")
    limits = httpx2.Limits(max_connections=concurrency,
                           max_keepalive_connections=concurrency)
    client = client_for(connector, connection, prompt=prompt, verify=verify, timeout=tm,
                        transport=transport, limits=limits,
                        authenticate=not _is_replay(transport))
    base = str(client.base_url)
    return _Run(connector, client, base, tm,
                MAX_RETRIES if retries is None else max(0, int(retries)),
                MAX_RETRY_WAIT if retry_wait is None else max(0.0, float(retry_wait)),
                BODY_SAMPLE_BYTES if sample_bytes is None else max(0, int(sample_bytes)))


def _connection_name(connection: str | Connection | None, connector: Connector) -> str | None:
    if isinstance(connection, Connection):
        return connection.name
    if connection is not None:
        return connection
    from ..auth.flows import find_connection

    try:
        return find_connection(connector).name if connector.connections else None
    except NbConnectError:
        return None


def test_endpoint(connector: Connector, endpoint_id: str, *,
                  connection: str | Connection | None = None,
                  params: Mapping[str, Any] | None = None, timeout: float | None = None,
                  transport: Any = None, verify: Any = True, prompt: PromptFn | None = None,
                  retries: int | None = None, retry_wait: float | None = None,
                  sample_bytes: int | None = None, generate: bool = False) -> TestResult:
    """Test one endpoint through a test connection and return its :class:`TestResult`.

    ``params`` maps parameter names (body fields as ``parent.child``) to test values; a
    name the endpoint does not have raises :class:`~nbconnect.errors.EndpointError`.
    ``connection``, ``prompt`` and ``verify`` go to :func:`nbconnect.auth.client_for`
    (connection/secret problems raise there); ``transport`` is an httpx2 transport for
    the client (record/replay). ``generate``: a required parameter that has no value
    anywhere gets one generated from its schema (:mod:`nbconnect.testing.generation`, the
    mock's generator). A failure of the API is a failed result, not an exception.
    """
    ep = connector.endpoint(endpoint_id)
    params = dict(params or {})
    check_params(ep, params)
    if generate:
        from .generation import generated_values

        params = {**params, **generated_values(connector, ep, params)}
    run = _make_run(connector, connection, prompt=prompt, verify=verify, timeout=timeout,
                    transport=transport, concurrency=1, retries=retries,
                    retry_wait=retry_wait, sample_bytes=sample_bytes)
    run.link_options = {"connection": connection, "transport": transport,  # type: ignore[attr-defined]
                        "verify": verify, "prompt": prompt, "timeout": timeout}
    with run.client:
        return _run_one(run, ep, params)


test_endpoint.__test__ = False  # type: ignore[attr-defined]


def _tqdm_progress(total: int) -> tuple[ProgressFn | None, Callable[[], None]]:
    if not (hasattr(sys.stderr, "isatty") and sys.stderr.isatty()):
        return None, lambda: None
    try:
        from tqdm import tqdm
    except ImportError:  # tqdm is optional: no bar then
        return None, lambda: None
    bar = tqdm(total=total, file=sys.stderr, unit="endpoint", leave=False)

    def update(done: int, total: int, result: TestResult) -> None:
        bar.update(1)

    return update, bar.close


def test_endpoints(connector: Connector, endpoint_ids: Iterable[str] | None = None, *,
                   connection: str | Connection | None = None,
                   params: Mapping[str, Any] | None = None, concurrency: int | None = None,
                   timeout: float | None = None, progress: ProgressFn | None = None,
                   transport: Any = None, verify: Any = True,
                   prompt: PromptFn | None = None, retries: int | None = None,
                   retry_wait: float | None = None,
                   sample_bytes: int | None = None, generate: bool = False) -> TestReport:
    """Test several endpoints (all by default) concurrently; return a :class:`TestReport`.

    Up to ``concurrency`` requests (default :data:`DEFAULT_CONCURRENCY`) are in flight
    at once through one shared client; a failing endpoint does not stop the others;
    results come back in the order of ``endpoint_ids`` (the connector's order by
    default). ``params`` is either ``{name: value}`` (used by every endpoint that has
    that parameter) or ``{endpoint_id: {name: value}}``. ``progress(done, total,
    result)`` is called after each endpoint, from the calling thread; ``None`` shows a
    tqdm bar on stderr when it is a terminal. Other arguments as for
    :func:`test_endpoint`.
    """
    import queue
    from concurrent.futures import ThreadPoolExecutor

    ids = [e.id for e in connector.endpoints] if endpoint_ids is None else \
        list(dict.fromkeys(endpoint_ids))
    endpoints = [connector.endpoint(i) for i in ids]
    n = DEFAULT_CONCURRENCY if concurrency is None else concurrency
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise TestRunError(f"The concurrency must be a whole number of at least 1, not "
                           f"{concurrency!r}.", option="concurrency")
    flat: dict[str, Any] = {}
    per: dict[str, dict[str, Any]] = {}
    for key, value in (params or {}).items():
        if key in ids and isinstance(value, Mapping):
            per[key] = dict(value)
        else:
            flat[key] = value
    run = _make_run(connector, connection, prompt=prompt, verify=verify, timeout=timeout,
                    transport=transport, concurrency=min(n, max(1, len(endpoints))),
                    retries=retries, retry_wait=retry_wait, sample_bytes=sample_bytes)
    run.link_options = {"connection": connection, "transport": transport,  # type: ignore[attr-defined]
                        "verify": verify, "prompt": prompt, "timeout": timeout}
    close_bar: Callable[[], None] = lambda: None  # noqa: E731
    if progress is None:
        progress, close_bar = _tqdm_progress(len(endpoints))
    results: list[TestResult | None] = [None] * len(endpoints)
    total = len(endpoints)
    try:
        with run.client, ThreadPoolExecutor(max_workers=min(n, max(1, total)),
                                            thread_name_prefix="nbconnect-test") as pool:
            def task(ep: Endpoint) -> TestResult:
                names = {p.name for p in ep.params} | {
                    d for top in ep.body for d, _ in top.walk()}
                values = {k: v for k, v in flat.items() if k in names}
                values.update(per.get(ep.id, {}))
                try:
                    if generate:
                        from .generation import generated_values

                        values.update(generated_values(connector, ep, values))
                    return _run_one(run, ep, values)
                except Exception as exc:  # never lose the run to one endpoint
                    return TestResult(ep.id, ep.method, ep.path, False,
                                      reason=redact(f"internal error ({type(exc).__name__}: "
                                                    f"{clip(str(exc), 100)})"))

            done_queue: queue.SimpleQueue[tuple[int, TestResult]] = queue.SimpleQueue()

            def work(i: int, ep: Endpoint) -> None:
                done_queue.put((i, task(ep)))

            order = list(range(total))
            if getattr(connector, "links", ()):  # linked endpoints first (links.graph)
                from ..links.graph import dependency_order

                rank = {e: n for n, e in enumerate(dependency_order(connector, ids))}
                order.sort(key=lambda i: rank.get(endpoints[i].id, i))
            futures = [pool.submit(work, i, endpoints[i]) for i in order]
            try:
                for done_count in range(1, total + 1):
                    i, res = done_queue.get()
                    results[i] = res
                    if progress is not None:
                        progress(done_count, total, res)
            except BaseException:
                for fut in futures:
                    fut.cancel()
                raise
    finally:
        close_bar()
    return TestReport(tuple(r for r in results if r is not None), connector.name,
                      _connection_name(connection, connector))


test_endpoints.__test__ = False  # type: ignore[attr-defined]
