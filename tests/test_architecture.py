"""The "never" rules of ARCHITECTURE.md, checked on the source (imports read with ``ast``).

- the core (everything but ``notebook/`` and ``cli.py``) imports no IPython, ipywidgets or
  Jupyter package, at module level or inside a function;
- the faces do not import each other (``cli`` never imports ``notebook``, nor the other way);
- no core module imports a face, and the capability folders do not import ``verbs/``;
- ``model/`` imports no import, runner, package, mock or export module at module level (a
  thin convenience method may import one inside the function);
- the entry points (``nbconnect.load_ipython_extension``, ``python -m nbconnect``) reach a
  face only inside a function;
- ``errors`` and ``limits`` import nothing from nbconnect;
- every module opens with a docstring, and none is over the size the house rules allow.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import nbconnect

SRC = Path(nbconnect.__file__).parent
FACES = ("nbconnect.cli", "nbconnect.notebook")
JUPYTER = ("IPython", "ipywidgets", "ipykernel", "jupyter", "jupyterlab", "jupyter_client",
           "jupyter_core", "jupyter_server", "nbformat", "nbclient", "traitlets")
CAPABILITIES = ("spec", "auth", "testing", "mock", "package", "exports", "model", "pull",
                "paging", "links", "webhooks", "mcp")
#: ``%load_ext nbconnect`` and ``python -m nbconnect`` hand over to a face
ENTRY_POINTS = ("nbconnect", "nbconnect.__main__")
#: the line count a module may reach ("no module over ~500 lines")
MAX_LINES = 560


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[str, bool]]:
    """(absolute module imported, at module level?) for every import in ``path``."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = set()
    for node in tree.body:
        for sub in ast.walk(node):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                break
            top.add(id(sub))
    # class bodies run at import time too; functions do not
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if not isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    for sub in ast.walk(item):
                        top.add(id(sub))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.extend((a.name, id(node) in top) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                mod = ".".join([*base, node.module] if node.module else base)
            else:
                mod = node.module or ""
            out.append((mod, id(node) in top))
            # ``from . import x`` imports the submodule x
            out.extend((f"{mod}.{a.name}", id(node) in top) for a in node.names)
    return out


def _type_checking_only(path: Path) -> set[str]:
    """Modules imported only under ``if TYPE_CHECKING:`` (never at run time)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for sub in ast.walk(node):
                if isinstance(sub, ast.ImportFrom) and sub.module:
                    names.add(sub.module.lstrip("."))
    return names


MODULES = sorted(SRC.rglob("*.py"))


def _is_face(name: str) -> bool:
    return any(name == f or name.startswith(f + ".") for f in FACES)


def _starts(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_core_imports_no_jupyter_and_no_face(path):
    name = _module_name(path)
    if _is_face(name):
        return
    imports = _imports(path)
    if name in ENTRY_POINTS:
        # the entry points hand over to a face, lazily: never at module level
        imports = [(m, top) for m, top in imports if top or not _is_face(m)]
        if name == "nbconnect.__main__":
            imports = [(m, top) for m, top in imports if not _starts(m, ("nbconnect.cli",))]
    bad = [mod for mod, _ in imports if _starts(mod, JUPYTER) or _is_face(mod)]
    assert not bad, f"{name} (core) imports {bad}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_faces_do_not_import_each_other(path):
    name = _module_name(path)
    if _starts(name, ("nbconnect.cli",)):
        assert not any(_starts(m, ("nbconnect.notebook",)) for m, _ in _imports(path))
    if _starts(name, ("nbconnect.notebook",)):
        assert not any(_starts(m, ("nbconnect.cli",)) for m, _ in _imports(path))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_capabilities_do_not_import_the_verb_table(path):
    name = _module_name(path)
    if _starts(name, tuple(f"nbconnect.{c}" for c in CAPABILITIES)):
        bad = [m for m, _ in _imports(path) if _starts(m, ("nbconnect.verbs",))]
        assert not bad, f"{name} imports the verb table: {bad}"


@pytest.mark.parametrize("path", sorted((SRC / "model").rglob("*.py")),
                         ids=lambda p: str(p.relative_to(SRC)))
def test_model_is_plain_data(path):
    heavy = tuple(f"nbconnect.{c}" for c in ("spec", "testing", "package", "mock", "exports",
                                             "verbs", "pull", "paging", "links", "webhooks",
                                             "mcp"))
    lazy_ok = _type_checking_only(path)
    bad = [m for m, top in _imports(path)
           if top and _starts(m, heavy) and m.removeprefix("nbconnect.") not in lazy_ok]
    assert not bad, f"{_module_name(path)} imports {bad} at module level"


@pytest.mark.parametrize("name", ["errors.py", "limits.py"])
def test_leaf_modules_import_nothing_from_nbconnect(name):
    assert not [m for m, _ in _imports(SRC / name) if _starts(m, ("nbconnect",))]


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_every_module_says_its_job_and_is_small(path):
    text = path.read_text(encoding="utf-8")
    assert ast.get_docstring(ast.parse(text)), f"{path.relative_to(SRC)} has no docstring"
    lines = text.count("\n")
    assert lines <= MAX_LINES, f"{path.relative_to(SRC)} has {lines} lines; split it"
