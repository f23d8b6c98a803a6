"""Schema validation for the mock: OAS 3.0/3.1 validators found by JSON pointer, cached.

References inside a schema resolve inside the mocked document (a ``referencing`` registry
holding it); a schema the validator cannot handle never blocks the mock. As in OAS 3.0, a
required readOnly or writeOnly property may be missing under 3.1 too (the mock leaves
writeOnly properties out of responses; the OAS says they are not required there).

:meth:`Validators.judge_error` checks a served body with the runner's judge instead (the
public :func:`~nbconnect.spec.oas.schema.self_contained` and
:func:`~nbconnect.spec.oas.validator.validator` that :mod:`nbconnect.testing.judging` uses),
so what the mock serves is what ``nbconnect test`` accepts.
"""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import quote

__all__ = ["Validators"]


class Validators:
    """OAS 3.0/3.1 schema validators by JSON pointer (refs resolve inside the document)."""

    URI = "urn:nbconnect:mock-spec"

    def __init__(self, doc: dict[str, Any], oas30: bool) -> None:
        self.doc = doc
        self.oas30 = oas30
        self._cache: dict[str, Any] = {}
        self._registry: Any = None
        self._lock = threading.Lock()
        self._judge_defs: dict[str, Any] | None = None

    def get(self, pointer: str) -> Any:
        with self._lock:
            hit = self._cache.get(pointer)
            if hit is not None:
                return hit
            if self._registry is None:
                from referencing import Registry
                from referencing.jsonschema import DRAFT4, DRAFT202012

                spec = DRAFT4 if self.oas30 else DRAFT202012
                self._registry = Registry().with_resource(self.URI,
                                                          spec.create_resource(self.doc))
            cls = _oas30() if self.oas30 else _oas31()
            validator = cls({"$ref": f"{self.URI}#{quote(pointer, safe='/~')}"},
                            registry=self._registry)
            self._cache[pointer] = validator
            return validator

    def first_error(self, pointer: str, value: Any) -> str | None:
        """The first validation error's message, or None when ``value`` is valid."""
        try:
            for err in self.get(pointer).iter_errors(value):
                return str(err.message)
        except Exception:  # an unresolvable or odd schema: do not block the mock
            return None
        return None

    def judge_error(self, schema: Any, value: Any, direction: str = "response") -> str | None:
        """The runner's verdict on ``value`` under the spec's ``schema`` (refs to
        ``#/components/schemas/X``): the first error's message, or None when it passes (or
        the schema cannot be judged)."""
        from ..spec.oas.schema import direction_defs, self_contained
        from ..spec.oas.validator import validator

        components = self.doc.get("components")
        schemas = components.get("schemas") if isinstance(components, dict) else None
        schemas = schemas if isinstance(schemas, dict) else {}
        try:
            with self._lock:
                if self._judge_defs is None or direction != "response":
                    defs = direction_defs(schemas, direction)
                    if direction == "response":
                        self._judge_defs = defs
                else:
                    defs = self._judge_defs
            root = self_contained(schema, schemas, direction, defs)
            for err in validator(root).iter_errors(value):
                return str(err.message)
        except Exception:  # an odd schema or pattern: not the mock's to judge
            return None
        return None

    def is_valid(self, pointer: str, value: Any) -> bool:
        if not pointer:
            return False
        try:
            return bool(self.get(pointer).is_valid(value))
        except Exception:
            return False


_OAS31: Any = None
_OAS30: Any = None


def _oas30() -> Any:
    """OAS30Validator whose ``pattern`` reads ECMA-262/PCRE patterns (``\\p{L}``, ``\\z``)."""
    global _OAS30
    if _OAS30 is None:
        from jsonschema.validators import extend
        from openapi_schema_validator import OAS30Validator

        from ..spec.oas.validator import pattern_keyword

        _OAS30 = extend(OAS30Validator, {"pattern": pattern_keyword})
    return _OAS30


def _oas31() -> Any:
    """OAS31Validator whose ``required`` lets readOnly and writeOnly properties be missing
    and whose ``pattern`` reads ECMA-262/PCRE patterns."""
    global _OAS31
    if _OAS31 is None:
        from jsonschema.validators import extend
        from openapi_schema_validator import OAS31Validator, _keywords

        from ..spec.oas.validator import pattern_keyword

        _OAS31 = extend(OAS31Validator, {"required": _keywords.required,
                                         "pattern": pattern_keyword})
    return _OAS31
