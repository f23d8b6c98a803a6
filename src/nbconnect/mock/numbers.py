"""Numbers for the mock's generated values: within the bounds and exact multiples of ``multipleOf``.

A decimal step (0.1, 0.01) is honoured exactly: a value is served only when it is a multiple
of the step both in decimal arithmetic (19.99 is a multiple of 0.01) and in binary floating
point as JSON Schema validators compute it (``value / step`` a whole number), so every judge
agrees. :func:`number_value` starts from the smallest allowed value (``minimum`` or 1) and
steps up; ``variant`` asks for the n-th allowed value (distinct items).
"""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = ["is_multiple", "number_value"]

#: candidates tried before giving up on a step that floats cannot hit
_TRIES = 200


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def is_multiple(value: float, step: float) -> bool:
    """``value`` is a multiple of ``step`` exactly in decimal and as a float division."""
    if step <= 0:
        return True
    try:
        exact = (Decimal(repr(value)) % Decimal(repr(step))) == 0
    except (InvalidOperation, ValueError):
        return False
    try:
        quotient = value / step
    except (OverflowError, ZeroDivisionError):
        return False
    return exact and math.isfinite(quotient) and float(int(quotient)) == quotient


def _fits(value: float, s: dict[str, Any]) -> bool:
    low, high = _num(s.get("minimum")), _num(s.get("maximum"))
    xlow, xhigh = s.get("exclusiveMinimum"), s.get("exclusiveMaximum")
    if low is not None and (value < low or (xlow is True and value == low)):
        return False
    if high is not None and (value > high or (xhigh is True and value == high)):
        return False
    if _num(xlow) is not None and value <= xlow:
        return False
    if _num(xhigh) is not None and value >= xhigh:
        return False
    steps = s.get("multipleOf")
    for step in steps if isinstance(steps, list) else [steps]:
        if _num(step) is not None and step > 0 and not is_multiple(value, step):
            return False
    return True


def _legacy(s: dict[str, Any], integer: bool) -> float:
    """The value earlier versions served (kept where it is valid, so bodies stay the same)."""
    low, high = _num(s.get("minimum")), _num(s.get("maximum"))
    xlow, xhigh = s.get("exclusiveMinimum"), s.get("exclusiveMaximum")
    step = s.get("multipleOf")
    step = step[0] if isinstance(step, list) and step else step
    value: float = 1 if integer else 1.5
    if low is not None:
        value = low
        if xlow is True:
            value = low + (1 if integer else 0.5)
    if _num(xlow) is not None and value <= xlow:
        value = xlow + (1 if integer else 0.5)
    if high is not None and value > high:
        value = high if xhigh is not True else high - (1 if integer else 0.5)
    if _num(xhigh) is not None and value >= xhigh:
        value = xhigh - (1 if integer else 0.5)
    if _num(step) is not None and step > 0:
        value = math.ceil(value / step) * step
        if high is not None and value > high:
            value = math.floor(high / step) * step
    return math.ceil(value) if integer else float(value)


def _step(s: dict[str, Any], integer: bool) -> Decimal:
    steps = s.get("multipleOf")
    found = [Decimal(repr(x)) for x in (steps if isinstance(steps, list) else [steps])
             if _num(x) is not None and x > 0]
    if not found:
        return Decimal(1) if integer else Decimal("0.5")
    step = found[0]
    for other in found[1:]:  # the least common multiple of decimal steps
        scale = Decimal(10) ** max(-step.as_tuple().exponent, -other.as_tuple().exponent, 0)
        a, b = int(step * scale), int(other * scale)
        step = Decimal(a * b // math.gcd(a, b)) / scale
    if integer and step != step.to_integral_value():
        step = step * Decimal(10) ** max(0, -step.as_tuple().exponent)
    return step


def number_value(s: dict[str, Any], *, integer: bool, variant: int = 0) -> int | float:
    """A number (an int for ``integer``) that obeys the bounds and ``multipleOf`` of ``s``;
    the ``variant``-th such value counting up from the smallest (or the best effort)."""
    legacy = _legacy(s, integer)
    if variant == 0 and _fits(legacy, s):
        return legacy
    step = _step(s, integer)
    low, high = _num(s.get("minimum")), _num(s.get("maximum"))
    xlow, xhigh = _num(s.get("exclusiveMinimum")), _num(s.get("exclusiveMaximum"))
    bottom = max((x for x in (low, xlow) if x is not None), default=None)
    if bottom is None:
        top = min((x for x in (high, xhigh) if x is not None), default=None)
        bottom = 1 if top is None or top >= 1 else top - 100 * float(step)
    try:
        n = math.ceil(Decimal(repr(bottom)) / step)
    except (InvalidOperation, OverflowError, ValueError):
        return legacy
    seen = 0
    for k in range(n, n + _TRIES + variant):
        exact = step * k
        value: float = int(exact) if integer else float(exact)
        if not integer and exact == exact.to_integral_value() and abs(exact) < 2 ** 53:
            value = float(int(exact))
        if not _fits(value, s):
            if high is not None and value > high:
                break
            continue
        if seen == variant:
            return value
        seen += 1
    return legacy
