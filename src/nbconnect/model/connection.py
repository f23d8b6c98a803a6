"""Test connections: ``Connection``, a base URL plus references to secrets (never values).

A connection names where to call the API and which secrets and settings its auth method
reads. Secret fields hold references (``env:NAME``, ``keyring:NAME``, ``prompt``) checked
by :mod:`nbconnect.auth.secrets`, or an in-memory ``Secret`` that can never be written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..auth.secrets import Secret, parse_reference
from ..errors import ConnectorError, SecretError
from .params import _ID_RE
from .urls import check_base_url

__all__ = ["Connection"]


@dataclass(frozen=True)
class Connection:
    """A test connection: a base URL and references to the secrets (never the values).

    ``secrets`` maps a secret field (``value``, ``password``, ``token``, ``secret``,
    ``client_secret``) to a reference such as ``env:NAME``, ``keyring:NAME`` or
    ``prompt`` (see :mod:`nbconnect.auth.secrets`). From Python a value may also be an
    in-memory :class:`~nbconnect.auth.secrets.Secret`; such a connection cannot be exported
    (``to_dict`` raises :class:`~nbconnect.errors.SecretError`). A plain string that is
    not a reference is refused, so a pasted value never lands in a package. ``settings``
    holds non-secret per-connection values (``username``, ``client_id``).
    """

    name: str
    base_url: str
    secrets: tuple[tuple[str, str | Secret], ...] = ()
    settings: tuple[tuple[str, str], ...] = ()
    default: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _ID_RE.match(self.name):
            raise ConnectorError(f"Connection name {self.name!r} is not valid; use letters, "
                                 "digits, '_', '-' and '.'.")
        object.__setattr__(self, "base_url",
                           check_base_url(self.base_url, what="connection base URL"))
        object.__setattr__(self, "secrets", self._check_secrets(self.secrets))
        value = self.settings
        pairs = value.items() if isinstance(value, Mapping) else value
        object.__setattr__(self, "settings", tuple(sorted(tuple(p) for p in pairs)))

    def _check_secrets(self, value: object) -> tuple[tuple[str, str | Secret], ...]:
        if isinstance(value, str | bytes):
            raise SecretError(f"Connection {self.name!r} secrets must map field names to "
                              "references, such as {'token': 'env:API_TOKEN'}.")
        try:
            pairs = [tuple(p) for p in (value.items() if isinstance(value, Mapping)
                                        else value)]  # type: ignore[union-attr]
        except TypeError:
            pairs = [()]
        out: dict[str, str | Secret] = {}
        for pair in pairs:
            if len(pair) != 2 or not isinstance(pair[0], str) or not pair[0]:
                raise SecretError(f"Connection {self.name!r} secrets must map field names to "
                                  "references, such as {'token': 'env:API_TOKEN'}.")
            field_name, ref = pair
            if field_name in out:
                raise SecretError(f"Connection {self.name!r} gives secret {field_name!r} "
                                  "twice; keep one.")
            if not isinstance(ref, Secret):
                parse_reference(ref, connection=self.name, field=field_name)
            out[field_name] = ref
        return tuple(sorted(out.items(), key=lambda p: p[0]))

    def to_dict(self) -> dict[str, Any]:
        """Plain data for the package; a :class:`Secret` value raises SecretError."""
        out: dict[str, Any] = {"name": self.name, "base_url": self.base_url}
        if self.secrets:
            for field_name, ref in self.secrets:
                if isinstance(ref, Secret):
                    raise SecretError(
                        f"Connection {self.name!r} holds a Secret value for {field_name!r}, "
                        "and secret values are never written; use a reference such as "
                        f"env:{_upper_slug(self.name, field_name)}, keyring:NAME or prompt.")
            out["secrets"] = dict(self.secrets)
        if self.settings:
            out["settings"] = dict(self.settings)
        if self.default:
            out["default"] = True
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Connection:
        return cls(name=data.get("name"), base_url=data.get("base_url"),
                   secrets=data.get("secrets") or {}, settings=data.get("settings") or {},
                   default=bool(data.get("default", False)))


def _upper_slug(*parts: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "_", "_".join(parts)).upper()
