"""Build the JupyterLab extension during a Python build (the hatch-jupyter-builder build function).

pyproject.toml names ``scripts.labextension_build.build`` as the ``build-function`` of the
``jupyter-builder`` hatch hook, the route the JupyterLab extension template takes. It checks
what the npm build needs and says so in one sentence when something is missing (instead of
hatch-jupyter-builder's "Could not find cmd" or a wheel without the extension), then hands over
to ``hatch_jupyter_builder.npm_builder``, which runs ``npm install`` and ``npm run build`` in
``labextension/`` (``jupyter-builder build .`` writes ``src/nbconnect/labextension``).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from pathlib import Path
from typing import Any


class LabExtensionBuildError(RuntimeError):
    """A requirement of the lab extension build is missing (its message says which and how)."""


def _require_tools() -> None:
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if missing:
        raise LabExtensionBuildError(
            f"Building nbconnect needs Node.js 20+ with npm on PATH to build its JupyterLab "
            f"extension ({' and '.join(missing)} not found): install Node.js, or install "
            f"nbconnect from a wheel or sdist that already holds the built extension.")
    if importlib.util.find_spec("jupyter_builder") is None:
        raise LabExtensionBuildError(
            "Building nbconnect's JupyterLab extension needs the Python package "
            "jupyter-builder in the build environment: install 'jupyter-builder>=1.2,<2' "
            "(pyproject.toml lists it in build-system.requires).")


def build(target_name: str, version: str, **kwargs: Any) -> None:
    """Build the lab extension for ``target_name`` ("wheel"/"sdist") in ``version`` mode."""
    _require_tools()
    # `npm run build` calls `jupyter-builder`: make the build environment's scripts findable
    # even when the interpreter was started by path (pip --no-build-isolation, a bare venv).
    scripts = str(Path(sys.executable).parent)
    path = os.environ.get("PATH", "")
    if scripts not in path.split(os.pathsep):
        os.environ["PATH"] = scripts + os.pathsep + path
    from hatch_jupyter_builder import npm_builder

    npm_builder(target_name, version, **kwargs)
