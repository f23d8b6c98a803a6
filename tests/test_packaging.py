"""Packaging: a wheel built from a clean clone carries the built lab extension and the LICENSE,
a build without Node fails with one sentence, and an exported package runs in a fresh venv
where only the wheel (no test extras, no JupyterLab) was installed.

The wheel is built from ``git clone`` of HEAD (committed files only) with this venv's build
requirements (``pip wheel --no-build-isolation``; the test extras list them), which runs the
hatch-jupyter-builder hook: ``npm install`` + ``npm run build`` in ``labextension/``. Needs
``git``, Node.js with npm, and the npm and PyPI registries (or their caches).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import venv
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from packaging.version import Version
from tests.servers import free_port

import nbconnect
from nbconnect.model import Connector

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
LAB = "share/jupyter/labextensions/nbconnect"
NO_NODE = "needs Node.js 20+ with npm on PATH"
BUILD_REQUIREMENTS = ("hatchling", "hatch_nodejs_version", "hatch_jupyter_builder",
                      "jupyter_builder")
KEY = "s3ntinel-H6-packaging-key-7c2e"


def _run(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, **kwargs)  # type: ignore[call-overload]


def _clone(dest: Path) -> Path:
    if shutil.which("git") is None:
        pytest.fail("git is needed to clone the repository for the packaging tests")
    done = _run(["git", "clone", "--quiet", "--no-hardlinks", str(ROOT), str(dest)])
    assert done.returncode == 0, done.stderr
    return dest


def _pip_wheel(source: Path, out: Path, env: dict[str, str] | None = None,
               ) -> subprocess.CompletedProcess[str]:
    return _run([PY, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                 "--disable-pip-version-check", "-w", str(out), str(source)], env=env)


def _path_without_node(tmp: Path) -> dict[str, str]:
    empty = tmp / "bin-without-node"
    empty.mkdir()
    return {**os.environ, "PATH": str(empty)}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A wheel built from a clean clone of HEAD (the lab extension is built by the hook)."""
    missing = [m for m in BUILD_REQUIREMENTS if importlib.util.find_spec(m) is None]
    if missing:
        pytest.fail(f"the build requirements {missing} are missing from this venv: "
                    "pip install -e '.[test]'")
    if shutil.which("npm") is None or shutil.which("node") is None:
        pytest.fail("Node.js 20+ with npm is needed to build the wheel's lab extension")
    tmp = tmp_path_factory.mktemp("wheel")
    clone = _clone(tmp / "clone")
    assert not (clone / "src/nbconnect/labextension").exists()
    started = time.monotonic()
    done = _pip_wheel(clone, tmp / "dist")
    print(f"wheel built from a clean clone in {time.monotonic() - started:.1f} s")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (built,) = (tmp / "dist").glob("nbconnect-*.whl")
    yield built


def _wheel_version(wheel: Path) -> str:
    return wheel.name.split("-")[1]


def test_wheel_holds_the_built_lab_extension_and_the_license(wheel: Path) -> None:
    version = _wheel_version(wheel)
    data = f"nbconnect-{version}.data/data/{LAB}"
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        package = json.loads(zf.read(f"{data}/package.json"))
        install = json.loads(zf.read(f"{data}/install.json"))
        license_text = zf.read(f"nbconnect-{version}.dist-info/licenses/LICENSE").decode()
        metadata = zf.read(f"nbconnect-{version}.dist-info/METADATA").decode()
    assert any(re.fullmatch(rf"{re.escape(data)}/static/remoteEntry\.\w+\.js", n)
               for n in names), sorted(names)
    assert f"{data}/static/style.js" in names
    load = package["jupyterlab"]["_build"]["load"]
    assert f"{data}/{load}" in names
    assert package["name"] == "nbconnect" and package["jupyterlab"]["mimeExtension"]
    assert install["packageName"] == "nbconnect"
    assert license_text.startswith("MIT License") and "License-File: LICENSE" in metadata
    # the build's own products are not shipped as package files
    assert not [n for n in names if n.startswith("nbconnect/labextension/")]
    assert not [n for n in names if "node_modules" in n]


def test_one_version_for_python_and_the_lab_extension(wheel: Path) -> None:
    version = _wheel_version(wheel)
    with zipfile.ZipFile(wheel) as zf:
        built = json.loads(zf.read(f"nbconnect-{version}.data/data/{LAB}/package.json"))
        generated = zf.read("nbconnect/_version.py").decode()
    source = json.loads((ROOT / "labextension/package.json").read_text(encoding="utf-8"))
    # npm's "0.1.0-dev0" is PEP 440's "0.1.0.dev0"
    assert Version(built["version"]) == Version(source["version"]) == Version(version)
    assert f'__version__ = "{version}"' in generated
    assert Version(nbconnect.__version__) == Version(version)


def test_jupyterlab_finds_the_extension_in_the_wheel(wheel: Path, tmp_path: Path) -> None:
    """``jupyter labextension list`` (of this venv's JupyterLab) on the wheel's data files."""
    version = _wheel_version(wheel)
    prefix = f"nbconnect-{version}.data/data/"
    with zipfile.ZipFile(wheel) as zf:
        for name in zf.namelist():
            if name.startswith(prefix + LAB):
                target = tmp_path / name[len(prefix):]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(zf.read(name))
    env = {**os.environ, "JUPYTER_PATH": str(tmp_path / "share/jupyter"), "NO_COLOR": "1"}
    done = _run([PY, "-m", "jupyterlab.labextensions", "list"], env=env)
    out = re.sub(r"\x1b\[[0-9;]*m", "", done.stdout + done.stderr)
    section = out.split(str(tmp_path / "share/jupyter/labextensions"), 1)
    assert len(section) == 2, out
    first = section[1].split("\n\n", 1)[0]
    assert re.search(r"nbconnect v\S+ enabled\s+OK \(python, nbconnect\)", first), out


def test_build_without_node_fails_with_one_sentence(tmp_path: Path) -> None:
    clone = _clone(tmp_path / "clone")
    done = _pip_wheel(clone, tmp_path / "dist", env=_path_without_node(tmp_path))
    assert done.returncode != 0
    out = done.stdout + done.stderr
    sentence = next(line for line in out.splitlines() if NO_NODE in line)
    assert re.search(r"Building nbconnect needs Node\.js 20\+ with npm on PATH to build its "
                     r"JupyterLab extension \(node and npm not found\): install Node\.js, .*\.$",
                     sentence), sentence
    assert not list(tmp_path.glob("dist/*.whl"))


def test_sdist_carries_the_built_extension_and_builds_a_wheel_without_node(
        wheel: Path, tmp_path: Path) -> None:
    """An sdist holds the built extension and the LICENSE; a wheel from it needs no Node."""
    clone = wheel.parents[1] / "clone"  # built by the wheel fixture: the extension is there
    done = _run([PY, "-m", "hatchling", "build", "-t", "sdist", "-d", str(tmp_path)],
                cwd=clone)
    assert done.returncode == 0, done.stdout + done.stderr
    (sdist,) = tmp_path.glob("nbconnect-*.tar.gz")
    done = _run(["tar", "-tzf", str(sdist)])
    top = f"nbconnect-{_wheel_version(wheel)}"
    names = set(done.stdout.split())
    for member in ("LICENSE", "src/nbconnect/labextension/package.json",
                   "src/nbconnect/labextension/static/style.js", "labextension/package.json",
                   "install.json", "scripts/labextension_build.py"):
        assert f"{top}/{member}" in names, member
    assert not [n for n in names if "node_modules" in n]
    done = _pip_wheel(sdist, tmp_path / "dist", env=_path_without_node(tmp_path))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (built,) = (tmp_path / "dist").glob("nbconnect-*.whl")
    with zipfile.ZipFile(built) as zf:
        assert f"{top}.data/data/{LAB}/static/style.js" in zf.namelist()


# ------------------------------------------------------------- a fresh venv, no test extras


@pytest.fixture(scope="module")
def fresh_venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new venv with only ``pip install WHEEL`` (its runtime dependencies from PyPI)."""
    home = tmp_path_factory.mktemp("fresh") / "venv"
    venv.EnvBuilder(with_pip=True).create(home)
    started = time.monotonic()
    done = _run([str(home / "bin/python"), "-m", "pip", "install", "-q",
                 "--disable-pip-version-check", str(wheel)])
    print(f"wheel installed into a fresh venv in {time.monotonic() - started:.1f} s")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return home


def test_fresh_venv_has_no_jupyterlab(fresh_venv: Path, wheel: Path) -> None:
    code = ("import importlib.util, json, nbconnect; print(json.dumps([nbconnect.__version__, "
            "[m for m in ('jupyterlab', 'jupyter_server', 'notebook', 'pytest', 'nbval') "
            "if importlib.util.find_spec(m)]]))")
    done = _run([str(fresh_venv / "bin/python"), "-c", code])
    assert done.returncode == 0, done.stderr
    version, present = json.loads(done.stdout)
    assert Version(version) == Version(_wheel_version(wheel))
    assert present == []


def test_exported_package_runs_in_the_fresh_venv(fresh_venv: Path, tmp_path: Path) -> None:
    """Export with this venv, then mock it and test it with the fresh venv's ``nbconnect``."""
    pkg = tmp_path / "demo"
    connector = Connector("demo")
    connector.import_spec(nbconnect.demo_spec_path())
    connector.export(str(pkg))
    cli = str(fresh_venv / "bin/nbconnect")
    env = {**os.environ, "H6_PACKAGING_KEY": KEY}
    port = free_port()
    mock = subprocess.Popen([cli, "mock", str(pkg), "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        first = mock.stdout.readline() if mock.stdout else ""
        url = re.search(r"http://127\.0\.0\.1:\d+/\S*", first)
        assert url, first + (mock.stderr.read() if mock.poll() is not None and mock.stderr
                             else "")
        done = _run([cli, "connection", "add", str(pkg), "mock", "--base-url", url.group(0),
                     "--secret", "value=env:H6_PACKAGING_KEY", "--default"], env=env)
        assert done.returncode == 0, done.stderr
        done = _run([cli, "test", str(pkg)], env=env)
        assert done.returncode == 0, done.stdout + done.stderr
        assert done.stdout.startswith("demo: 12 passed, 0 failed (connection mock)")
        assert KEY not in done.stdout + done.stderr
    finally:
        if mock.poll() is None:
            mock.send_signal(signal.SIGINT)
            try:
                mock.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                mock.kill()
                mock.communicate()
    assert mock.returncode == 0
