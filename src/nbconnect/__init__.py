"""nbconnect: build, test and export HTTP API connectors from Jupyter notebooks.

Python API::

    import nbconnect
    c = nbconnect.Connector("petstore")
    c.import_spec("petstore.yaml")          # or nbconnect.import_spec(...)
    c.add_endpoint("GET", "/users/:id", name="Get user")
    c.export("petstore-connector")
    assert nbconnect.load("petstore-connector") == c

In IPython/Jupyter: ``%load_ext nbconnect`` then ``%connect help``.

This module stays light (``%load_ext`` pays for it): the validator, YAML, httpx2 and the
notebook layer are imported only when first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import errors, limits
from .auth.secrets import Secret
from .model import (
    ApiKeyAuth,
    BasicAuth,
    BearerAuth,
    Connection,
    Connector,
    Endpoint,
    JwtAuth,
    OAuth2ClientCredentials,
    OAuth2Code,
    OAuth2Password,
    Param,
)

if TYPE_CHECKING:
    from .spec.importer import ImportResult

__version__ = "0.1.0.dev0"

__all__ = [
    "ApiKeyAuth",
    "BasicAuth",
    "BearerAuth",
    "Connection",
    "Connector",
    "Endpoint",
    "ImportResult",
    "JwtAuth",
    "OAuth2ClientCredentials",
    "OAuth2Code",
    "OAuth2Password",
    "Param",
    "Secret",
    "__version__",
    "demo_spec_path",
    "errors",
    "export",
    "import_spec",
    "limits",
    "load",
    "load_ipython_extension",
    "unload_ipython_extension",
]


def import_spec(source: Any, **options: Any) -> ImportResult:
    """Read an OpenAPI 3.0/3.1 spec (path, https URL or text) into an ImportResult.

    See :func:`nbconnect.spec.importer.import_spec` for the options (tags, include, exclude,
    lenient, max_bytes, timeout, verify).
    """
    from .spec.importer import import_spec as _import_spec

    return _import_spec(source, **options)


def load(path: Any) -> Connector:
    """Read a connector package (directory or ``.zip``) written by :func:`export`."""
    from .package.format import load as _load

    return _load(path)


def export(connector: Connector, path: Any, *, zip: bool = False) -> Any:
    """Write ``connector`` as a package at ``path``; returns the path written."""
    from .package.format import export as _export

    return _export(connector, path, zip=zip)


def demo_spec_path() -> Any:
    """Path of the bundled demo API spec (a small task-tracker API)."""
    from pathlib import Path

    return Path(__file__).parent / "demo" / "demo-api.yaml"


def __getattr__(name: str) -> Any:
    if name == "ImportResult":
        from .spec.importer import ImportResult

        return ImportResult
    raise AttributeError(f"module 'nbconnect' has no attribute {name!r}")


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext nbconnect``: register the ``%connect`` magics (safe to call twice)."""
    from .notebook.magics import load_ipython_extension as _load_ext

    _load_ext(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    from .notebook.magics import unload_ipython_extension as _unload_ext

    _unload_ext(ipython)
