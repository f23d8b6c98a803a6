"""Manifest bytes to a Connector: parse ``connector.yaml`` safely, check it, build the model.

The manifest is read with YAML 1.1 rules (it is written by PyYAML's 1.1 dumper) and a safe
loader that refuses aliases, merge keys and duplicate keys and keeps dates as strings. Then:
the ``format`` key, secret references only, local ``$ref``s only and bounded nesting, the
JSON Schema shipped in the wheel (``schema/connector.schema.json``), and the model's own
checks, each failure a :class:`~nbconnect.errors.PackageError` naming the JSON path.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from typing import Any

from .. import limits
from ..errors import NbConnectError, PackageError, clip, json_path
from ..model import Connection, Connector, Endpoint, auth_from_dict
from ..model.mcpserver import check_mcp_servers
from ..model.webhook import Webhook
from .dumping import check_secrets
from .members import FORMAT

__all__ = ["check_refs", "manifest_schema", "read_manifest"]


def manifest_schema() -> dict[str, Any]:
    """The JSON Schema of ``connector.yaml`` (shipped as nbconnect/schema/connector.schema.json)."""
    from importlib.resources import files

    resource = files("nbconnect").joinpath("schema").joinpath("connector.schema.json")
    return json.loads(resource.read_text("utf-8"))


@functools.lru_cache(maxsize=1)
def _manifest_validator() -> Any:
    from ..spec.oas.validator import import_jsonschema  # without the format packages' cost

    jsonschema = import_jsonschema()
    return jsonschema.Draft202012Validator(manifest_schema())


class _ManifestShapeError(Exception):
    """A YAML feature manifests never use (alias, merge key, duplicate key)."""

    def __init__(self, what: str, fix: str, mark: Any) -> None:
        super().__init__(what)
        self.what, self.fix, self.mark = what, fix, mark


def _yaml_loader() -> Any:
    # Not specio's spec loader on purpose: the manifest is written by PyYAML's YAML 1.1
    # dumper, which quotes only what YAML 1.1 would mis-read, so it must be read back with
    # 1.1 rules (a plain "1e5" is a string in 1.1, a float under specio's 1.2 rules).
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class Loader(base):  # type: ignore[misc, valid-type]
        """Safe loader: no aliases or merge keys, no duplicate keys, dates stay strings."""

        def construct_object(self, node: Any, deep: bool = False) -> Any:
            if node in self.constructed_objects:  # only an alias visits a node twice
                raise _ManifestShapeError("uses a YAML alias (*name)",
                                          "write the value out instead", node.start_mark)
            return super().construct_object(node, deep)

        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            seen: set[tuple[str, str]] = set()
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    raise _ManifestShapeError("uses a YAML merge key (<<)",
                                              "write the keys out instead", key_node.start_mark)
                if isinstance(key_node.value, str):
                    key = (key_node.tag, key_node.value)
                    if key in seen:
                        raise _ManifestShapeError(f"has the key {key_node.value!r} twice",
                                                  "keep one", key_node.start_mark)
                    seen.add(key)
            return super().construct_mapping(node, deep)

    Loader.add_constructor("tag:yaml.org,2002:timestamp", Loader.construct_yaml_str)
    return Loader


def _at(mark: Any) -> str:
    return f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""


def _parse_manifest(data: bytes, where: str) -> Any:
    import yaml

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PackageError(f"{where} is not UTF-8 (bad byte at offset {exc.start}); save it "
                           "as UTF-8.") from None
    try:
        return yaml.load(text, Loader=_yaml_loader())
    except _ManifestShapeError as exc:
        raise PackageError(f"{where} {exc.what}{_at(exc.mark)}; {exc.fix}.") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "malformed"
        raise PackageError(f"{where} is not valid YAML{_at(mark)} ({problem}); fix it or "
                           "re-export the connector.") from None
    except yaml.YAMLError as exc:
        raise PackageError(f"{where} is not valid YAML ({type(exc).__name__}); fix it or "
                           "re-export the connector.") from None
    except RecursionError:
        raise PackageError(f"{where} is nested too deeply to be a connector manifest; "
                           "re-export the connector.") from None


def check_refs(value: Any, path: list[Any], where: str) -> None:
    """Refuse non-local ``$ref``s and absurd nesting (iteratively: no RecursionError)."""
    stack: list[tuple[Any, list[Any]]] = [(value, path)]
    while stack:
        node, at = stack.pop()
        if len(at) > limits.MAX_NESTING_DEPTH:
            raise PackageError(f"{where} is nested deeper than {limits.MAX_NESTING_DEPTH} "
                               f"levels at {json_path(at[:8])}...; flatten it.")
        if isinstance(node, Mapping):
            ref = node.get("$ref")
            if "$ref" in node and not (isinstance(ref, str) and ref.startswith("#")):
                raise PackageError(f"{where} has a $ref at {json_path([*at, '$ref'])} that is "
                                   "not local to the document; packages only use #/... refs "
                                   "(remote and file refs are never fetched).")
            stack.extend((v, [*at, k]) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((v, [*at, i]) for i, v in enumerate(node))


def _schema_check(data: Any, where: str) -> None:
    from ..spec.oas.validator import import_jsonschema

    jsonschema = import_jsonschema()
    validator = _manifest_validator()
    errors = sorted(validator.iter_errors(data),
                    key=lambda e: (list(map(str, e.absolute_path)), e.message))
    if not errors:
        return

    def line(err: Any) -> str:
        parts = list(err.absolute_path)
        if "secrets" in parts or "secret" in parts or "client_secret" in parts:  # never echo
            return (f"{json_path(parts)}: is not a secret reference "
                    "(env:NAME, keyring:NAME, prompt)")
        return f"{json_path(parts)}: {clip(err.message)}"

    best = jsonschema.exceptions.best_match(errors)
    first = line(best)
    shown = [line(e) for e in errors[:limits.MAX_ERRORS_SHOWN]]
    if len(errors) > len(shown):
        shown.append(f"... and {len(errors) - len(shown)} more")
    path, _, message = first.partition(": ")
    raise PackageError(f"{where} does not match the manifest schema at {path} ({message}); "
                       "fix it or re-export the connector.", shown)


def _build(data: Mapping[str, Any], where: str) -> Connector:
    """Connector.from_dict with the JSON path of the part that failed in the message."""
    def fail(path: list[Any], exc: NbConnectError) -> PackageError:
        return PackageError(f"{where} at {json_path(path)} is not valid: {exc.message}",
                            exc.details)

    endpoints: list[Endpoint] = []
    for i, item in enumerate(data.get("endpoints") or ()):
        try:
            endpoints.append(Endpoint.from_dict(item))
        except NbConnectError as exc:
            raise fail(["endpoints", i], exc) from None
    connections: list[Connection] = []
    for i, item in enumerate(data.get("connections") or ()):
        try:
            connections.append(Connection.from_dict(item))
        except NbConnectError as exc:
            raise fail(["connections", i], exc) from None
    try:
        auth = auth_from_dict(data.get("auth"))
    except NbConnectError as exc:
        raise fail(["auth"], exc) from None
    webhooks: list[Webhook] = []
    for i, item in enumerate(data.get("webhooks") or ()):
        try:
            webhooks.append(Webhook.from_dict(item))
        except NbConnectError as exc:
            raise fail(["webhooks", i], exc) from None
    try:
        mcp_servers = check_mcp_servers(data.get("mcp") or ())
    except NbConnectError as exc:
        raise fail(["mcp"], exc) from None
    connector = Connector(name=data["name"])
    for key, value in (("description", data.get("description") or ""),
                       ("base_url", data.get("base_url")), ("auth", auth),
                       ("schemas", dict(data.get("schemas") or {})),
                       ("test_values", dict(data.get("test_values") or {})),
                       ("mcp_servers", mcp_servers),
                       ("connections", tuple(connections)), ("endpoints", tuple(endpoints)),
                       ("links", tuple(data.get("links") or ())),
                       ("webhooks", tuple(webhooks))):
        try:
            setattr(connector, key, value)
        except NbConnectError as exc:
            raise fail([key], exc) from None
    return connector


def read_manifest(raw: bytes, where: str) -> Connector:
    """The connector in the manifest bytes ``raw``; ``where`` names the file in messages."""
    data = _parse_manifest(raw, where)
    if not isinstance(data, Mapping):
        raise PackageError(f"{where} is not a mapping of connector fields; give a manifest "
                           "exported from a connector.")
    fmt = data.get("format")
    if fmt != FORMAT:
        if isinstance(fmt, str) and fmt.startswith("nbconnect/"):
            raise PackageError(f"{where} has format {fmt!r}, but this nbconnect reads "
                               f"{FORMAT!r}; upgrade nbconnect to read it.")
        raise PackageError(f"{where} has no 'format: {FORMAT}' key, so it is not an "
                           "nbconnect manifest; give a package exported from a connector.")
    check_secrets(data.get("connections"), where)
    check_refs(data, [], where)
    _schema_check(data, where)
    return _build(data, where)
