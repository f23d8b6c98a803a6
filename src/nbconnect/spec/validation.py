"""Strict validation with openapi-spec-validator, every error as ``"$.json.path: message"``.

The validator (imported lazily) runs on the reduced document of an import (see
:mod:`.reduce`); results are cached by a hash of the document's content, so re-importing
the same selection costs a hash. Values (``default``) and schemas are checked with the
deliberate format set of :func:`nbconnect.spec.oas.validator.format_checker`, so a spec gets
the same verdict whether or not jsonschema's optional format packages (``rfc3986-validator``,
``rfc3987-syntax``, ... which JupyterLab installs) are present.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from typing import Any

from ..errors import json_path
from .context import short

__all__ = ["CACHE_SIZE", "clear_cache", "validate_document"]

#: How many validation results (and, in :mod:`.importer`, import results) are kept.
CACHE_SIZE = 32

_VALIDATION_CACHE: OrderedDict[str, list[str]] = OrderedDict()


def clear_cache() -> None:
    """Forget cached validation results."""
    _VALIDATION_CACHE.clear()


def _validator_class(openapi_version: str) -> Any:
    from collections import deque

    from .oas.validator import format_checker, import_jsonschema

    import_jsonschema()  # before openapi-spec-validator imports it at full cost
    from openapi_spec_validator import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator
    from openapi_spec_validator.validation import keywords

    formats = format_checker()

    base = OpenAPIV31SpecValidator if openapi_version.startswith("3.1") else \
        OpenAPIV30SpecValidator
    value_base = base.keyword_validators["default"]

    class _LocatedValueValidator(value_base):  # type: ignore[misc, valid-type]
        """Give ``default`` value errors the JSON path of the schema they belong to, with
        the deliberate format checks (not whatever optional packages are installed)."""

        value_validator_format_checker = formats

        def __call__(self, schema: Any, value: Any) -> Any:
            for err in super().__call__(schema, value):
                where = [*schema.parts, "default", *err.absolute_path]
                err.path = err.relative_path = deque(where)
                yield err

    assert issubclass(value_base, keywords.ValueValidator)

    overrides: dict[str, Any] = {"default": _LocatedValueValidator}
    schema_base = base.keyword_validators.get("schema")
    if schema_base is not None and hasattr(schema_base, "schema_validator_format_checker"):

        class _SchemaValidator(schema_base):  # type: ignore[misc, valid-type]
            schema_validator_format_checker = formats

        overrides["schema"] = _SchemaValidator

    class _Validator(base):  # type: ignore[misc, valid-type]
        keyword_validators = {**base.keyword_validators, **overrides}

    return _Validator


def _run_validator(document: dict[str, Any], openapi_version: str) -> list[str]:
    """Run openapi-spec-validator on ``document``; every error as ``"$.json.path: msg"``."""
    cls = _validator_class(openapi_version)
    errors: list[str] = []
    try:
        for err in cls(document).iter_errors():
            parts = list(getattr(err, "absolute_path", None) or getattr(err, "path", ()) or ())
            errors.append(f"{json_path(parts)}: {short(err.message, 240)}")
    except RecursionError:
        errors.append("$: the validator ran out of stack on a deeply recursive structure")
    except Exception as exc:  # the validator itself failed on a malformed document
        errors.append(f"$: the validator stopped with {type(exc).__name__}: {short(exc, 120)}")
    return errors


def validate_document(document: dict[str, Any], openapi_version: str) -> list[str]:
    """Validator errors of ``document`` (cached by a hash of its content)."""
    try:
        blob = json.dumps(document, sort_keys=True, ensure_ascii=False, default=repr,
                          separators=(",", ":"))
    except (RecursionError, ValueError):
        return _run_validator(document, openapi_version)
    key = hashlib.sha256(f"{openapi_version}\n{blob}".encode()).hexdigest()
    hit = _VALIDATION_CACHE.get(key)
    if hit is not None:
        _VALIDATION_CACHE.move_to_end(key)
        return list(hit)
    errors = _run_validator(document, openapi_version)
    _VALIDATION_CACHE[key] = errors
    while len(_VALIDATION_CACHE) > CACHE_SIZE:
        _VALIDATION_CACHE.popitem(last=False)
    return list(errors)
