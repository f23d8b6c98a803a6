#!/usr/bin/env bash
# Build the JupyterLab extension (labextension/) into src/nbconnect/labextension, which the
# wheel ships as share/jupyter/labextensions/nbconnect (hatch shared-data in pyproject.toml).
# Needs node/npm and the `jupyter-builder` command (PyPI package jupyter-builder, installed
# with jupyterlab>=4.6): taken from .venv/bin when present, else from PATH.
# After building, (re)install the package (`pip install -e .`) so the files land.
# A wheel or sdist build (`pip wheel .`, `python -m build`) runs the same npm build itself
# through the hatch-jupyter-builder hook (pyproject.toml, scripts/labextension_build.py) and
# skips it when this script has already built the files; this script always rebuilds clean.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
if [[ -x "$root/.venv/bin/jupyter-builder" ]]; then
  export PATH="$root/.venv/bin:$PATH"
fi
command -v npm >/dev/null || { echo "build-labextension: npm is required (install Node.js 20+)" >&2; exit 1; }
command -v jupyter-builder >/dev/null || {
  echo "build-labextension: jupyter-builder not found; install jupyterlab>=4.6 first (pip install -e '.[test]')" >&2
  exit 1
}
cd "$root/labextension"
npm ci --no-audit --no-fund
npm run clean
npm run build
test -f "$root/src/nbconnect/labextension/package.json" || {
  echo "build-labextension: the build did not produce src/nbconnect/labextension/package.json" >&2
  exit 1
}
echo "build-labextension: built $(ls "$root/src/nbconnect/labextension/static" | wc -l) files into src/nbconnect/labextension"
