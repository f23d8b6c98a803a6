"""JSON Schema validators with OAS semantics, the same on every machine and cheap to import.

Part of the OpenAPI toolkit :mod:`nbconnect.spec.oas`.

- :func:`import_jsonschema` imports ``jsonschema`` without the optional format packages'
  import cost: ``rfc3987-syntax`` (pulled in by JupyterLab) builds its Lark parsers at import
  (1.5-2.5 s of CPU). It is given to jsonschema as a stand-in that loads the real package the
  first time an ``iri``/``iri-reference`` value is checked, so jsonschema registers exactly the
  same format checks and every verdict is the same; only the cost moves to the rare first use.
- :func:`format_checker` is the deliberate set of format checks (OAS 3.0.3 §4.7.4.1 / 3.1
  §4.8.5.1 formats plus the JSON Schema formats that need no optional package), so a spec gets
  the same verdict whether or not ``rfc3986-validator``, ``fqdn`` and the like are installed.
- :func:`validator` builds a Draft 2020-12 validator whose ``multipleOf`` is exact for decimal
  steps (``19.99`` is a multiple of ``0.01``: the decimal values are compared, not binary
  floating point) and whose ``pattern`` is read by :func:`.patterns.compile_pattern`
  (``\\p{L}``, ``\\z``: ECMA-262/PCRE patterns Python's ``re`` rejects); a pattern nothing
  here can compile is skipped (:func:`unusable_patterns` names them); formats are
  annotations unless a checker is passed.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
import types
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = ["FORMATS", "format_checker", "import_jsonschema", "is_multiple_of",
           "pattern_keyword", "regex_format_checker", "unusable_patterns", "validator",
           "validator_class"]

#: Packages jsonschema imports for format checks that are expensive to import.
_DEFERRED = {"rfc3987_syntax": ("is_valid_syntax",)}
#: The format checks every install gets: OAS formats and the optional-package-free ones.
FORMATS = ("int32", "int64", "float", "double", "byte", "binary", "password", "regex",
           "date", "email", "idn-email", "ipv4", "ipv6", "uuid")

_lock = threading.Lock()
_cls: Any = None


def _stand_in(name: str, attrs: tuple[str, ...]) -> types.ModuleType:
    module = types.ModuleType(name, f"nbconnect stand-in: loads {name} on first use")

    def forward(attr: str) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            real = sys.modules.get(name)
            if real is None or real is module:
                sys.modules.pop(name, None)
                real = importlib.import_module(name)
            return getattr(real, attr)(*args, **kwargs)
        call.__name__ = attr
        return call

    for attr in attrs:
        setattr(module, attr, forward(attr))
    return module


def import_jsonschema() -> Any:
    """The ``jsonschema`` module, imported without the format packages' import cost (see
    the module docstring); the same module object whoever imports it."""
    module = sys.modules.get("jsonschema")
    if module is not None:
        return module
    with _lock:
        placed: dict[str, types.ModuleType] = {}
        for name, attrs in _DEFERRED.items():
            if name not in sys.modules and importlib.util.find_spec(name) is not None:
                placed[name] = sys.modules[name] = _stand_in(name, attrs)
        try:
            import jsonschema
        finally:
            for name, stand_in in placed.items():
                if sys.modules.get(name) is stand_in:
                    del sys.modules[name]
    return jsonschema


def format_checker() -> Any:
    """A ``jsonschema.FormatChecker`` with exactly :data:`FORMATS` (missing ones skipped;
    ``regex`` is any pattern :func:`.patterns.compile_pattern` reads)."""
    jsonschema = import_jsonschema()
    from openapi_schema_validator import oas30_format_checker

    checker = jsonschema.FormatChecker(())
    base = jsonschema.FormatChecker()
    for fmt in FORMATS:
        found = oas30_format_checker.checkers.get(fmt) or base.checkers.get(fmt)
        if found is not None:
            checker.checkers[fmt] = found
    checker.checks("regex")(_is_regex)  # ECMA-262/PCRE as the pattern keyword reads them
    return checker


def regex_format_checker(base: Any) -> Any:
    """A copy of the ``FormatChecker`` ``base`` whose ``regex`` is :func:`_is_regex`."""
    jsonschema = import_jsonschema()
    checker = jsonschema.FormatChecker(())
    checker.checkers = dict(base.checkers)
    checker.checks("regex")(_is_regex)
    return checker


def _is_regex(instance: Any) -> bool:
    """A ``regex`` format value: a string some engine here compiles (see :mod:`.patterns`)."""
    if not isinstance(instance, str):
        return True
    from .patterns import compile_pattern

    return compile_pattern(instance) is not None


def _decimal(value: Any) -> Decimal:
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def is_multiple_of(value: Any, step: Any) -> bool:
    """True when ``value`` is a multiple of ``step`` as decimals (``19.99``, ``0.01``)."""
    try:
        step_d = _decimal(step)
        if step_d == 0:
            return True
        return _decimal(value) % step_d == 0
    except (InvalidOperation, ValueError, TypeError):
        return False


def _multiple_of(validator: Any, step: Any, instance: Any, schema: Any) -> Any:
    if not validator.is_type(instance, "number"):
        return
    if not is_multiple_of(instance, step):
        from jsonschema.exceptions import ValidationError

        yield ValidationError(f"{instance!r} is not a multiple of {step!r}")


def pattern_keyword(validator: Any, pattern: Any, instance: Any, schema: Any) -> Any:
    """The ``pattern`` keyword with :func:`.patterns.compile_pattern` (for ``extend``)."""
    if not validator.is_type(instance, "string") or not isinstance(pattern, str):
        return
    from .patterns import compile_pattern

    compiled = compile_pattern(pattern)
    if compiled is not None and compiled.search(instance) is None:
        from jsonschema.exceptions import ValidationError

        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def unusable_patterns(schema: Any) -> list[str]:
    """The ``pattern`` values in ``schema`` that no engine here can compile (the validator
    skips them), in document order without repeats."""
    from .patterns import compile_pattern

    found: list[str] = []
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            pattern = node.get("pattern")
            if isinstance(pattern, str) and compile_pattern(pattern) is None and \
                    pattern not in found:
                found.append(pattern)
            stack.extend(reversed(list(node.values())))
        elif isinstance(node, list):
            stack.extend(reversed(node))
    return found


def validator_class() -> Any:
    """Draft 2020-12 with exact decimal ``multipleOf`` and ECMA-262 ``pattern`` (built
    once)."""
    global _cls
    if _cls is None:
        jsonschema = import_jsonschema()
        _cls = jsonschema.validators.extend(jsonschema.Draft202012Validator,
                                            {"multipleOf": _multiple_of,
                                             "pattern": pattern_keyword})
    return _cls


def validator(schema: Any, *, formats: Any = None) -> Any:
    """A validator for a JSON Schema 2020-12 document (see :mod:`.schema` for OAS schemas);
    ``formats`` a checker such as :func:`format_checker`, or None (formats annotate only)."""
    return validator_class()(schema, format_checker=formats)
