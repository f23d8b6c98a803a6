"""Editing an endpoint: ``endpoint show ID --yaml`` prints what ``endpoint add --replace``
takes, a replace keeps what the YAML does not mention (both faces), and the endpoint form
(``endpoint add`` without arguments, ``endpoint edit ID``) changes one field and nothing
else (checked in the package diff)."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest
import yaml
from tests.test_magics_test import ok

import nbconnect
from nbconnect.notebook.endpointform import EndpointForm
from nbconnect.verbs.endpoint import edit_endpoint, merge_definition


def _demo() -> nbconnect.Connector:
    c = nbconnect.Connector("demo")
    c.import_spec(nbconnect.demo_spec_path())
    return c


def _yaml_of(done) -> str:
    return done.out if isinstance(done.result, int) else str(done.result)


def test_show_yaml_round_trips_through_replace(face):
    face.start(_demo())
    before = face.connector.endpoint("getTask")
    done = face.run("endpoint show getTask --yaml")
    assert done.code == 0, done.error
    text = _yaml_of(done)
    assert yaml.safe_load(text) == before.to_dict()
    done = face.run("endpoint --replace", cell=text)
    assert done.code == 0, done.error
    assert face.connector.endpoint("getTask") == before


def test_replace_keeps_what_the_yaml_does_not_mention(face):
    face.start(_demo())
    before = face.connector.endpoint("getTask")
    assert before.response and before.description and before.tags
    cell = ("id: getTask\nmethod: GET\npath: /projects/{projectId}/tasks/{taskId}\n"
            "name: Fetch one task\nquery:\n  - {name: expand, type: boolean}\n")
    done = face.run("endpoint --replace", cell=cell)
    assert done.code == 0, done.error
    after = face.connector.endpoint("getTask")
    assert after.name == "Fetch one task"
    assert after.response == before.response and after.response_schema == \
        before.response_schema
    assert after.description == before.description and after.tags == before.tags
    types = {p.name: p.type for p in after.params}
    assert types == {**{p.name: p.type for p in before.params}, "expand": "boolean"}
    # --exact takes the YAML as the whole definition
    done = face.run("endpoint --replace --exact", cell=cell)
    assert done.code == 0, done.error
    exact = face.connector.endpoint("getTask")
    assert not exact.response and not exact.tags and exact.description == ""


def test_a_bad_replace_leaves_the_connector_as_it_was():
    c = _demo()
    before = c.to_dict()
    with pytest.raises(nbconnect.errors.EndpointDefinitionError):
        edit_endpoint(c, "getTask", {"params": [{"name": "taskId", "in": "path",
                                                 "type": "nonsense"}]})
    with pytest.raises(nbconnect.errors.EndpointDefinitionError):
        edit_endpoint(c, "getTask", {"id": "listTasks"})  # taken
    assert c.to_dict() == before


def test_merge_updates_a_named_parameter_field_by_field():
    ep = _demo().endpoint("listProjects")
    merged = merge_definition(ep, {"query": [{"name": "page", "default": 3}]})
    page = next(p for p in merged["params"] if p["name"] == "page")
    old = next(p for p in ep.params if p.name == "page")
    assert page["default"] == 3 and page["type"] == old.type


def _package_text(c: nbconnect.Connector, where: Path) -> dict[str, str]:
    nbconnect.export(c, where)
    return {str(f.relative_to(where)): f.read_text() for f in sorted(where.rglob("*"))
            if f.is_file()}


def test_the_form_edits_one_field_and_nothing_else_changes(ip, tmp_path):
    c = _demo()
    ip.magics_manager.registry["ConnectMagics"].session.set_connector(c)
    before = _package_text(c, tmp_path / "before")
    form, _ = ok(ip, "%connect endpoint edit getTask")
    assert isinstance(form, EndpointForm)
    assert [r.name.value for r in form.rows] == ["projectId", "taskId"]
    form.name.value = "Fetch one task"
    form.save()
    assert form.outcome == "saved", form.message
    after = _package_text(c, tmp_path / "after")
    assert set(after) == set(before)
    changed = [(f, line) for f in before for line in difflib.unified_diff(
        before[f].splitlines(), after[f].splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    assert changed and len(changed) == 2 * len({f for f, _ in changed}), changed
    assert all("Get a task" in line or "Fetch one task" in line for _, line in changed), \
        changed
    # saving again with nothing changed says so and changes nothing
    form.save()
    assert form.message.startswith("Nothing changed")


def test_endpoint_add_without_arguments_opens_the_form(ip):
    ok(ip, "%connect new shop")
    ok(ip, "%connect base-url https://shop.example.com")
    form, _ = ok(ip, "%connect endpoint add")
    assert isinstance(form, EndpointForm)
    form.path.value = "/items/{itemId}"
    assert "itemId" in form.path_params.value
    assert [(r.location.value, r.name.value) for r in form.rows] == [("path", "itemId")]
    form.rows[0].type.value = "integer"
    form.name.value = "Get item"
    form.save()
    assert form.outcome == "saved", form.message
    ep = form.connector.endpoint("get_item")
    assert ep.path == "/items/{itemId}" and ep.params[0].type == "integer"
    # an error names the form's own field, not a flag
    form2, _ = ok(ip, "%connect endpoint add")
    form2.name.value = "Broken"
    form2.path.value = "no-slash"
    form2.save()
    assert form2.outcome == "failed" and "--" not in form2.message
    assert 'role="alert"' in form2.status.value


def test_endpoint_edit_outside_a_notebook_says_how(face):
    face.start(_demo())
    done = face.run("endpoint edit getTask")
    if face.name == "cli":
        assert done.code == 2 and "endpoint show ID --yaml" in done.error
    else:
        assert isinstance(done.result, EndpointForm)


def test_the_form_edits_a_body_field_and_keeps_the_others(ip):
    c = _demo()
    ip.magics_manager.registry["ConnectMagics"].session.set_connector(c)
    before = c.endpoint("createTask")
    assert before.body
    form, _ = ok(ip, "%connect endpoint edit createTask")
    body_rows = [r for r in form.rows if r.location.value == "body"]
    assert [r.name.value for r in body_rows] == [p.name for p in before.body]
    row = body_rows[0]
    row.default.value = "from the form"
    form.save()
    assert form.outcome == "saved", form.message
    after = c.endpoint("createTask")
    assert after.body[0].default == "from the form"
    assert after.body[1:] == before.body[1:] and after.body[0].type == before.body[0].type
    assert after.body[0].children == before.body[0].children
    assert after.params == before.params and after.response == before.response


def test_an_open_form_follows_a_change_from_code(ip):
    c = _demo()
    ip.magics_manager.registry["ConnectMagics"].session.set_connector(c)
    form, _ = ok(ip, "%connect endpoint edit getTask")
    ok(ip, "from nbconnect.notebook.magics import current_connector\n"
           "from nbconnect.verbs.endpoint import edit_endpoint\n"
           "edit_endpoint(current_connector(), 'getTask', {'name': 'Renamed in code'})")
    assert form.name.value == "Renamed in code" and "changed elsewhere" in form.message
    form.description.value = "typed in the form"
    ok(ip, "edit_endpoint(current_connector(), 'getTask', {'tags': ['x']})")
    assert "lays your changes over" in form.message
    form.save()
    ep = c.endpoint("getTask")
    assert (ep.name, ep.description, ep.tags) == ("Renamed in code", "typed in the form",
                                                  ("x",))
    ok(ip, "current_connector().remove_endpoint('getTask')")
    assert form.save_button.disabled and "was removed" in form.message
