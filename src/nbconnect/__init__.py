"""nbconnect: build, test and export HTTP API connectors from Jupyter notebooks.

Python API::

    import nbconnect
    c = nbconnect.Connector("petstore")
    c.import_spec("petstore.yaml")          # or nbconnect.import_spec(...)
    c.add_endpoint("GET", "/users/:id", name="Get user")
    c.export("petstore-connector")
    assert nbconnect.load("petstore-connector") == c

In IPython/Jupyter: ``%load_ext nbconnect`` then ``%connect help``.

``nbconnect.__all__`` is the documented surface: the names below, with real types. Every
other module (``nbconnect.spec``, ``nbconnect.testing``, ...) is internal and may change
between releases; ``ARCHITECTURE.md`` says what each holds.

This module stays light (``%load_ext`` pays for it): the validator, YAML, httpx2 and the
notebook layer are imported only when first used.
"""

from __future__ import annotations

import os
from pathlib import Path
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
    import ssl

    from .spec.importer import ImportResult
    from .testing.runner import TestReport, TestResult

try:
    from ._version import __version__  # written by the build from labextension/package.json
except ImportError:  # a source tree that was never built or installed
    __version__ = "0+unknown"

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
    "TestReport",
    "TestResult",
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

#: Public names defined in modules that ``import nbconnect`` does not load (they are
#: imported on first access, so ``%load_ext nbconnect`` stays light).
_LAZY = {
    "ImportResult": "nbconnect.spec.importer",
    "TestReport": "nbconnect.testing.runner",
    "TestResult": "nbconnect.testing.runner",
}


def import_spec(source: str | os.PathLike[str] | bytes, *,
                tags: str | list[str] | tuple[str, ...] = (),
                include: str | None = None, exclude: str | None = None,
                lenient: bool = False, max_bytes: int | None = None,
                timeout: float | None = None,
                verify: bool | str | ssl.SSLContext = True) -> ImportResult:
    """Read an OpenAPI 3.0/3.1 spec (a path, an https URL, or the text/bytes of one).

    ``tags``, ``include`` and ``exclude`` (regular expressions searched in each operation's
    path and operationId) pick operations before the 150-endpoint limit applies; strict
    validation unless ``lenient``; ``max_bytes`` caps the size read, ``timeout`` (seconds)
    and ``verify`` (a bool, a CA bundle path or an ``ssl.SSLContext``) apply to URLs.
    Returns an :class:`ImportResult` (``endpoints``, ``base_url``, ``auth``, ``warnings``).
    Raises a :class:`~nbconnect.errors.SpecError` leaf (source, size, parse, version,
    validation, ``$ref``, content, selection) or :class:`~nbconnect.errors.LimitError`.
    """
    from .spec.importer import import_spec as _import_spec

    return _import_spec(source, tags=tags, include=include, exclude=exclude,
                        lenient=lenient, max_bytes=max_bytes, timeout=timeout, verify=verify)


def load(path: str | os.PathLike[str]) -> Connector:
    """Read a connector package (a directory or a ``.zip``) written by :func:`export`.

    Raises :class:`~nbconnect.errors.PackageError` when it is missing or invalid.
    """
    from .package.format import load as _load

    return _load(path)


def export(connector: Connector, path: str | os.PathLike[str], *, zip: bool = False) -> Path:
    """Write ``connector`` as a package at ``path``; returns the path written.

    A directory, or a zip file when ``zip`` is true or ``path`` ends in ``.zip``. The bytes
    are deterministic (same connector, same bytes) and hold no secret value. Raises
    :class:`~nbconnect.errors.PackageError` (for example for an in-memory secret value).
    """
    from .package.format import export as _export

    return _export(connector, path, zip=zip)


def demo_spec_path() -> Path:
    """Path of the bundled demo API spec (the Tasks Demo API, a small task tracker)."""
    return Path(__file__).parent / "demo" / "demo-api.yaml"


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is not None:
        import importlib

        return getattr(importlib.import_module(module), name)
    raise AttributeError(f"module 'nbconnect' has no attribute {name!r}")


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext nbconnect``: register the ``%connect`` magics (safe to call twice)."""
    from .notebook.magics import load_ipython_extension as _load_ext

    _load_ext(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext nbconnect``: remove what :func:`load_ipython_extension` registered."""
    from .notebook.magics import unload_ipython_extension as _unload_ext

    _unload_ext(ipython)
