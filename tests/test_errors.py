"""The error tree: one tree in nbconnect.errors, and only its leaves are raised."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

import nbconnect
from nbconnect import errors

SRC = Path(nbconnect.__file__).parent


def _tree() -> dict[str, type]:
    return {name: obj for name, obj in vars(errors).items()
            if inspect.isclass(obj) and issubclass(obj, errors.NbConnectError)}


def _raised_names() -> list[tuple[str, int, str]]:
    """(file, line, class name) of every ``raise Name(...)`` in the package."""
    found = []
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                func = node.exc.func
                name = func.id if isinstance(func, ast.Name) else \
                    func.attr if isinstance(func, ast.Attribute) else None
                if name:
                    found.append((str(path.relative_to(SRC)), node.lineno, name))
    return found


def test_only_leaf_errors_are_raised():
    tree = _tree()
    inner = {name for name, cls in tree.items()
             if any(other is not cls and issubclass(other, cls) for other in tree.values())}
    assert {"NbConnectError", "SpecError", "EndpointError"} <= inner
    offenders = [f"{f}:{line} raises {name}" for f, line, name in _raised_names()
                 if name in inner]
    assert not offenders, "raise a leaf class instead:\n" + "\n".join(offenders)


def test_every_error_class_lives_in_the_one_tree():
    """No module outside nbconnect.errors defines its own exception class for users."""
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        if path.name == "errors.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                bases = {b.id if isinstance(b, ast.Name) else getattr(b, "attr", "")
                         for b in node.bases}
                if bases & {"Exception", "ValueError", "LookupError"} and \
                        not node.name.startswith("_"):
                    offenders.append(f"{path.relative_to(SRC)}: class {node.name}")
    assert not offenders, "define user errors in nbconnect.errors:\n" + "\n".join(offenders)


def test_the_docstring_tree_names_every_class():
    for name in _tree():
        assert name in errors.__doc__, f"{name} is missing from the tree in errors' docstring"


@pytest.mark.parametrize("name", sorted(errors.__all__))
def test_public_names_exist(name):
    assert hasattr(errors, name)
