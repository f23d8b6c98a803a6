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

__all__ = ["CACHE_SIZE", "clear_cache", "example_warnings", "validate_document"]

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
    elif schema_base is not None and hasattr(schema_base, "schema_validator_cls"):
        from functools import partial

        from .oas.validator import regex_format_checker

        class _RegexSchemaValidator(schema_base):  # type: ignore[misc, valid-type]
            """OAS 3.0 schemas checked with their own formats, but ``regex`` as ECMA-262/PCRE
            (``\\p{L}``, ``\\z``) the way the judge reads a ``pattern``."""

            def _get_schema_checker(self, schema: Any, schema_value: Any) -> Any:
                cls = self.schema_validator_cls
                return partial(cls.check_schema,
                               format_checker=regex_format_checker(cls.FORMAT_CHECKER))

        overrides["schema"] = _RegexSchemaValidator

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


# --------------------------------------------------------------------------- examples

_SCHEMA_WORDS = ("type", "properties", "items", "enum", "format", "allOf", "oneOf", "anyOf",
                 "$ref", "pattern", "minimum", "maximum", "minLength", "maxLength")


def _examples(node: Any, path: list[Any], out: list[tuple[list[Any], Any, Any]]) -> None:
    """(path of the example, schema, example) for each ``example`` beside its schema: in a
    Schema Object, a Parameter and a Media Type Object."""
    stack = [(node, path)]
    while stack:
        obj, where = stack.pop()
        if isinstance(obj, dict):
            if "example" in obj:
                if isinstance(obj.get("schema"), dict):
                    out.append(([*where, "example"], obj["schema"], obj["example"]))
                elif any(k in obj for k in _SCHEMA_WORDS):
                    schema = {k: v for k, v in obj.items() if k != "example"}
                    out.append(([*where, "example"], schema, obj["example"]))
            for key, value in obj.items():
                if key not in ("example", "examples", "default", "enum", "const") and \
                        isinstance(value, dict | list):
                    stack.append((value, [*where, key]))
        elif isinstance(obj, list):
            stack.extend((v, [*where, i]) for i, v in enumerate(obj) if isinstance(v, dict | list))


def example_warnings(document: dict[str, Any], openapi_version: str,
                     limit: int = 10) -> list[str]:
    """Warnings for ``example`` values that break their own schema (OAS semantics, the
    deliberate format set): an example is documentation, so it never refuses a spec.
    At most ``limit`` are listed, then a count of the others."""
    found: list[tuple[list[Any], Any, Any]] = []
    _examples(document, [], found)
    if not found:
        return []
    try:
        from .oas.validator import format_checker, import_jsonschema

        import_jsonschema()  # first, so the format packages' import cost is not paid
        from openapi_schema_validator import OAS30Validator, OAS31Validator
        from referencing import Registry
        from referencing.jsonschema import DRAFT4, DRAFT202012

        oas30 = not openapi_version.startswith("3.1")
        uri = "urn:nbconnect:examples"
        registry = Registry().with_resource(
            uri, (DRAFT4 if oas30 else DRAFT202012).create_resource(document))
        cls = OAS30Validator if oas30 else OAS31Validator
        formats = format_checker()
    except Exception:  # pragma: no cover - the validator libraries are dependencies
        return []
    bad: list[str] = []
    base = cls({}, registry=registry, format_checker=formats)
    for where, schema, value in found:
        try:
            err = next(iter(base.evolve(schema=_with_base(schema, uri)).iter_errors(value)),
                       None)
        except Exception:  # an odd schema: the validator proper reports real problems
            continue
        if err is not None:
            bad.append(f"{json_path(where)}: the example does not match its schema "
                       f"({short(err.message, 120)})")
    shown = bad[:limit]
    if len(bad) > limit:
        shown.append(f"… and {len(bad) - limit} more examples that do not match their schema.")
    return shown


def _with_base(schema: Any, uri: str) -> Any:
    """``schema`` with local ``#/...`` refs pointing into the document resource ``uri``."""
    if isinstance(schema, list):
        return [_with_base(v, uri) for v in schema]
    if not isinstance(schema, dict):
        return schema
    return {k: (uri + v if k == "$ref" and isinstance(v, str) and v.startswith("#") else
                v if k in ("example", "examples", "default", "enum", "const") else
                _with_base(v, uri)) for k, v in schema.items()}
