"""`import nbconnect` stays light: heavy libraries load only when first used."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ["yaml", "openapi_spec_validator", "jsonschema", "httpx2", "jwt", "authlib",
         "ipywidgets", "IPython", "nbconnect.spec.importer", "nbconnect.package.format"]


def _modules_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys, json\n"
                          "print(json.dumps(sorted(sys.modules)))"],
                         capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout.splitlines()[-1]))


def test_import_nbconnect_loads_no_heavy_module():
    loaded = _modules_after("import nbconnect")
    assert not [m for m in HEAVY if m in loaded]


def test_public_api_resolves_lazily():
    loaded = _modules_after("import nbconnect\nnbconnect.ImportResult\n")
    assert "nbconnect.spec.importer" in loaded


def test_core_modules_do_not_import_ipython():
    loaded = _modules_after(
        "import nbconnect, nbconnect.spec.importer, nbconnect.package.format, nbconnect.cli")
    assert "IPython" not in loaded
    assert "ipywidgets" not in loaded


def test_limits_live_in_one_place():
    from nbconnect import limits

    assert limits.MAX_IMPORTED_ENDPOINTS == 150
    assert limits.MAX_MANUAL_ENDPOINTS == 50
    assert limits.MAX_SPEC_BYTES == 100 * 1024 * 1024
