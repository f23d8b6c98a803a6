"""The mock's parameter checks: path, query, header and cookie values against their schemas.

Path parameters are converted by their schema's type (an integer given ``abc`` is a 400
naming the parameter); required query, header and cookie parameters must be present, and
present ones must match their schemas. Arrays are split by their style (exploded form
parameters repeat, others are comma-separated). Objects are not checked.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..errors import clip
from .routes import Operation, Param
from .validation import Validators

__all__ = ["check_params"]


def check_params(validators: Validators, op: Operation, values: Mapping[str, str],
                 query: list[tuple[str, str]], headers: Mapping[str, str],
                 cookies: Mapping[str, str]) -> str | None:
    """None when the parameters are fine, else a one-sentence problem."""
    for p in op.params:
        if p.location == "path":
            raw: list[str] | None = [values[p.name]] if p.name in values else None
        elif p.location == "query":
            raw = [v for k, v in query if k == p.name] or None
        elif p.location == "header":
            raw = [headers[p.name.lower()]] if p.name.lower() in headers else None
        else:
            raw = [cookies[p.name]] if p.name in cookies else None
        if raw is None:
            if p.required and p.location != "path":
                return (f"The {p.location} parameter {p.name!r} is required; add it to the "
                        "request.")
            continue
        if p.schema_pointer is None or p.kind == "object":
            continue
        value, problem = _convert(raw, p)
        if problem is None:
            problem = validators.first_error(p.schema_pointer, value)
        if problem is not None:
            shown = clip(raw[0] if len(raw) == 1 else ",".join(raw), 60)
            return (f"The {p.location} parameter {p.name!r} is {shown!r}, which does not "
                    f"match its schema ({clip(problem, 120)}); send a valid value.")
    return None


def _scalar(text: str, kind: str | None) -> tuple[Any, str | None]:
    if kind == "integer":
        if re.fullmatch(r"[+-]?\d+", text.strip()):
            return int(text), None
        return text, f"expected an integer, got {clip(text, 40)!r}"
    if kind == "number":
        try:
            number = float(text)
        except ValueError:
            return text, f"expected a number, got {clip(text, 40)!r}"
        return (int(number) if number.is_integer() and "." not in text else number), None
    if kind == "boolean":
        if text.lower() in ("true", "false"):
            return text.lower() == "true", None
        return text, f"expected true or false, got {clip(text, 40)!r}"
    return text, None


def _convert(raw: list[str], p: Param) -> tuple[Any, str | None]:
    if p.kind == "array":
        parts = raw if (p.explode and p.location in ("query", "cookie")) or len(raw) > 1 \
            else raw[0].split(",")
        values: list[Any] = []
        for part in parts:
            value, problem = _scalar(part, p.item_kind)
            if problem is not None:
                return None, problem
            values.append(value)
        return values, None
    return _scalar(raw[-1], p.kind)
