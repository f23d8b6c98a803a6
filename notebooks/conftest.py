"""nbval support for the docs notebooks: compare a test report's JSON bundle without latencies.

``--nbval-sanitize-with notebooks/sanitize.cfg`` rewrites string outputs only, but a
:class:`~nbconnect.testing.runner.TestReport` is also shown as
``application/vnd.nbconnect.report+json``, a JSON object whose ``latency_ms`` values
change on every run. This plugin wraps nbval's ``sanitize`` so that, in JSON outputs,
every ``latency_ms`` value is blanked (on the stored and the fresh output alike) before
nbval compares them; everything else in the bundle is still compared.
"""

from __future__ import annotations

from typing import Any

_VARYING_KEYS = frozenset({"latency_ms"})


def blank_varying(value: Any) -> Any:
    """``value`` with every ``latency_ms`` inside its dicts and lists set to None."""
    if isinstance(value, dict):
        return {k: None if k in _VARYING_KEYS else blank_varying(v) for k, v in value.items()}
    if isinstance(value, list):
        return [blank_varying(v) for v in value]
    return value


def pytest_configure(config: Any) -> None:
    try:
        from nbval.plugin import IPyNbCell
    except ImportError:  # nbval not installed: nothing to adjust
        return
    original = IPyNbCell.sanitize
    if getattr(original, "_nbconnect_wrapped", False):
        return

    def sanitize(self: Any, s: Any) -> Any:
        if isinstance(s, dict | list):
            return blank_varying(s)
        return original(self, s)

    sanitize._nbconnect_wrapped = True  # type: ignore[attr-defined]
    IPyNbCell.sanitize = sanitize
