"""Connector to package bytes: the manifest and ``openapi.json``, deterministic, secret-free.

The same connector gives the same bytes (fixed key order, fixed YAML/JSON options, no
timestamps). Only plain data is written (tuples become lists; non-finite numbers, lone
surrogates, non-string keys and other objects are refused), and a connection secret that is
not a reference (``env:NAME``, ``keyring:NAME``, ``prompt``) is refused: secret values are
never written.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

from ..auth.secrets import Secret, is_reference
from ..errors import NbConnectError, PackageError, json_path
from ..model import Connection, Connector
from .members import FORMAT, MANIFEST, OPENAPI

__all__ = ["check_secret_reference", "check_secrets", "dump_manifest", "dump_openapi",
           "render"]


def check_secret_reference(value: object) -> bool:
    """True if ``value`` is a secret reference (``env:NAME``, ``keyring:NAME``, ``prompt``)."""
    return is_reference(value)


def check_secrets(connections: Any, where: str) -> None:
    """Refuse connection secrets that are not references: literal strings in a manifest
    and in-memory :class:`~nbconnect.auth.secrets.Secret` values on export. The message names
    the connection and the field, never the value."""
    if not isinstance(connections, list | tuple):
        return
    for i, conn in enumerate(connections):
        if isinstance(conn, Connection):
            name, secrets = conn.name, dict(conn.secrets)
        elif isinstance(conn, Mapping) and isinstance(conn.get("secrets"), Mapping):
            name, secrets = conn.get("name"), conn["secrets"]
        else:
            continue
        for field, value in secrets.items():
            if not is_reference(value):
                kind = "an in-memory Secret" if isinstance(value, Secret) else "a literal value"
                raise PackageError(
                    f"{where}: connection {name!r} holds {kind} for secret "
                    f"{field!r} at {json_path(['connections', i, 'secrets', field])}, and "
                    "secret values are never written; use a reference such as "
                    f"env:{re.sub(r'[^A-Za-z0-9]', '_', str(field)).upper()}, keyring:NAME "
                    "or prompt.")


def _plain(value: Any, path: list[Any]) -> Any:
    """``value`` as plain JSON data (tuples become lists); raise on anything else."""
    if value is None or isinstance(value, bool):
        return value if type(value) is bool or value is None else bool(value)
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise PackageError(f"The connector holds text that is not valid Unicode (a lone "
                               f"surrogate) at {json_path(path)}; fix that text.") from None
        return str(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise PackageError(f"The connector holds the number {value!r} at "
                               f"{json_path(path)}, which JSON and YAML packages cannot "
                               "carry portably; use a finite number or a string.")
        return float(value)
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise PackageError(f"The connector has a non-string key {k!r} at "
                                   f"{json_path(path)}; use string keys only.")
            out[k] = _plain(v, [*path, k])
        return out
    if isinstance(value, list | tuple):
        return [_plain(v, [*path, i]) for i, v in enumerate(value)]
    raise PackageError(f"The connector holds a {type(value).__name__} at {json_path(path)}, "
                       "which is not plain data; use strings, numbers, booleans, lists or "
                       "mappings.")


def _yaml_dumper() -> Any:
    import yaml

    base = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

    class Dumper(base):  # type: ignore[misc, valid-type]
        def ignore_aliases(self, data: Any) -> bool:
            return True

    def str_presenter(dumper: Any, data: str) -> Any:
        style = "|" if "\n" in data else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)

    Dumper.add_representer(str, str_presenter)
    return Dumper


def dump_manifest(connector: Connector) -> bytes:
    """The bytes of ``connector.yaml`` for ``connector`` (deterministic)."""
    import yaml

    data = {"format": FORMAT, **_plain(connector.to_dict(), [])}
    text = yaml.dump(data, Dumper=_yaml_dumper(), sort_keys=False, allow_unicode=True,
                     default_flow_style=False, indent=2, width=100, line_break="\n",
                     explicit_start=False, explicit_end=False)
    return text.encode("utf-8")


def dump_openapi(connector: Connector) -> bytes:
    """The bytes of ``openapi.json`` for ``connector`` (deterministic)."""
    from ..spec.writer import to_openapi

    doc = _plain(to_openapi(connector), [])
    return (json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False) + "\n").encode()


def render(connector: Connector) -> dict[str, bytes]:
    """The members export writes for ``connector``, ``openapi.json`` first and the manifest
    (the commit point of a package directory) last."""
    if not isinstance(connector, Connector):
        raise PackageError(f"export needs a Connector, not {type(connector).__name__}.")
    check_secrets(connector.connections, "Export refused")
    try:
        manifest = dump_manifest(connector)  # first: its errors name connector paths
        return {OPENAPI: dump_openapi(connector), MANIFEST: manifest}
    except PackageError:
        raise
    except NbConnectError as exc:
        raise PackageError(f"The connector cannot be exported: {exc.message}",
                           exc.details) from None
