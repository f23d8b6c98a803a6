"""The report of a test run: :class:`TestResult` per endpoint, :class:`TestReport` for a run.

Both are frozen data with deterministic text (no latencies in ``repr``, :meth:`TestReport.text`
or equality) so notebooks that show a report can be compared by nbval, and plain data /
JSON (:meth:`TestReport.to_dict`, :meth:`TestReport.to_json`) for ``--json``, the lab
extension and ``tests/last-report.json``. Every reason shown passes through
:func:`nbconnect.auth.secrets.redact`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ..auth.secrets import redact

__all__ = ["TestReport", "TestResult"]


@dataclass(frozen=True, repr=False)
class TestResult:
    """The outcome of testing one endpoint.

    ``reason`` is empty for a pass (or a note, such as a schema left unchecked because
    the body was over the sample bound) and says what to fix for a failure. ``size`` is
    the full size of the (decoded) response body; ``body`` keeps its first
    :data:`~nbconnect.testing.running.BODY_SAMPLE_BYTES` (``truncated`` when it did not
    fit). ``latency_ms`` is left out of the repr, the plain text and equality, so they
    are deterministic.
    """

    __test__ = False  # not a pytest test class

    endpoint_id: str
    method: str
    path: str
    ok: bool
    status: int | None = None
    latency_ms: float | None = field(default=None, compare=False)
    size: int | None = None
    reason: str = ""
    content_type: str | None = None
    body: bytes | None = field(default=None, compare=False)
    truncated: bool = field(default=False, compare=False)

    def __repr__(self) -> str:
        bits = [repr(self.endpoint_id), f"{self.method} {self.path}",
                "ok" if self.ok else "FAILED"]
        if self.status is not None:
            bits.append(f"status={self.status}")
        if self.size is not None:
            bits.append(f"size={self.size}")
        if self.reason:
            bits.append(f"reason={self.reason!r}")
        return f"TestResult({', '.join(bits)})"

    def to_dict(self, *, latency: bool = True) -> dict[str, Any]:
        """Plain data: endpoint id, method, path, ok, status, latency_ms, size, reason,
        content_type (no body). ``latency=False`` leaves latency_ms out."""
        out: dict[str, Any] = {"endpoint_id": self.endpoint_id, "method": self.method,
                               "path": self.path, "ok": self.ok, "status": self.status}
        if latency:
            out["latency_ms"] = (None if self.latency_ms is None
                                 else round(self.latency_ms, 1))
        out.update(size=self.size, reason=redact(self.reason),
                   content_type=self.content_type)
        return out


@dataclass(frozen=True, repr=False)
class TestReport:
    """The results of a test run, in endpoint order.

    ``passed``/``failed`` count them, ``ok`` is True when every endpoint passed,
    :meth:`failures` lists the failed ones. ``repr`` and :meth:`text` are deterministic
    (no latencies) so notebooks showing a report can be compared by nbval.
    """

    __test__ = False

    results: tuple[TestResult, ...]
    connector: str = ""
    connection: str | None = None

    @property
    def passed(self) -> int:
        return sum(1 for r in self.results if r.ok)

    @property
    def failed(self) -> int:
        return sum(1 for r in self.results if not r.ok)

    @property
    def ok(self) -> bool:
        return self.failed == 0

    def failures(self) -> tuple[TestResult, ...]:
        return tuple(r for r in self.results if not r.ok)

    def __len__(self) -> int:
        return len(self.results)

    def __iter__(self) -> Any:
        return iter(self.results)

    def result(self, endpoint_id: str) -> TestResult:
        """The result for ``endpoint_id`` (KeyError when it was not tested)."""
        for r in self.results:
            if r.endpoint_id == endpoint_id:
                return r
        raise KeyError(endpoint_id)

    def to_dict(self, *, latency: bool = True) -> dict[str, Any]:
        """Plain data: connector, connection, passed, failed, results (see
        :meth:`TestResult.to_dict`)."""
        return {"connector": self.connector, "connection": self.connection,
                "passed": self.passed, "failed": self.failed,
                "results": [r.to_dict(latency=latency) for r in self.results]}

    def to_json(self, *, latency: bool = True, indent: int | None = 2) -> str:
        """:meth:`to_dict` as JSON (sorted keys; deterministic with ``latency=False``)."""
        return json.dumps(self.to_dict(latency=latency), indent=indent, sort_keys=True,
                          ensure_ascii=False)

    def text(self) -> str:
        """A plain-text table: one line per endpoint, failures with their reason."""
        head = (f"{self.connector or 'connector'}: {self.passed} passed, "
                f"{self.failed} failed")
        if self.connection:
            head += f" (connection {self.connection})"
        if not self.results:
            return head + "\n(no endpoints tested)"
        wid = max(len(r.endpoint_id) for r in self.results)
        lines = [head]
        for r in self.results:
            status = str(r.status) if r.status is not None else "---"
            line = (f"  {'ok  ' if r.ok else 'FAIL'}  {r.endpoint_id:<{wid}}  "
                    f"{r.method:<6} {status}  {r.path}")
            if r.reason:
                line += f"  -- {redact(r.reason)}"
            lines.append(line.rstrip())
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.text()

    def __str__(self) -> str:
        return self.text()

