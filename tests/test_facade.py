"""The typed public facade: ``nbconnect.__all__`` is the documented surface."""

from __future__ import annotations

import inspect
import subprocess
import sys
import typing

import pytest

import nbconnect


@pytest.mark.parametrize("name", nbconnect.__all__)
def test_every_public_name_resolves_and_is_documented(name):
    obj = getattr(nbconnect, name)
    if name == "__version__":
        assert isinstance(obj, str)
        return
    assert inspect.getdoc(obj), f"nbconnect.{name} has no docstring"


@pytest.mark.parametrize("name", [n for n in nbconnect.__all__
                                  if inspect.isfunction(getattr(nbconnect, n))])
def test_public_functions_have_real_types(name):
    func = getattr(nbconnect, name)
    names = {"ssl": __import__("ssl"), **{n: getattr(nbconnect, n) for n in nbconnect.__all__}}
    hints = typing.get_type_hints(func, vars(nbconnect) | names)
    assert "return" in hints, f"nbconnect.{name} has no return type"
    assert hints["return"] is not typing.Any, f"nbconnect.{name} returns Any"
    params = inspect.signature(func).parameters
    untyped = [p for p in params if p not in hints]
    assert not untyped, f"nbconnect.{name}: untyped parameters {untyped}"


def test_facade_types_name_the_real_classes(tmp_path):
    from nbconnect.spec.importer import ImportResult
    from nbconnect.testing.runner import TestReport, TestResult

    assert nbconnect.ImportResult is ImportResult
    assert nbconnect.TestReport is TestReport
    assert nbconnect.TestResult is TestResult
    c = nbconnect.Connector("facade")
    c.add_endpoint("GET", "/ping", name="Ping")
    written = nbconnect.export(c, tmp_path / "pkg")
    assert written == tmp_path / "pkg" and written.is_dir()
    assert nbconnect.load(written) == c
    assert isinstance(nbconnect.import_spec(nbconnect.demo_spec_path()), ImportResult)


def test_lazy_names_do_not_load_their_modules_on_import():
    code = ("import nbconnect, sys; print(sorted(m for m in ('nbconnect.spec.importer', "
            "'nbconnect.testing.runner') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        nbconnect.nope  # noqa: B018
