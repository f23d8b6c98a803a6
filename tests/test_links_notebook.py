"""Links in the notebook (nbconnect.notebook.linkview): the link form (its dropdowns offer the
pulled response fields of the linked endpoint), option dropdowns, the parameter form with
chained dropdowns, and the link graph drawn; against the demo mock on loopback."""

from __future__ import annotations

import pytest

from nbconnect.links.dynamic import dynamic_link
from nbconnect.links.static import set_link
from nbconnect.notebook.linkview import LinkForm, LinkGraphView, OptionsDropdown, ParamForm

pytestmark = pytest.mark.usefixtures("fresh_link_cache")



def test_the_magic_opens_the_link_form_and_it_saves(ip, demo_mock) -> None:
    ip.magics_manager.registry["ConnectMagics"].session.set_connector(demo_mock)
    form = ip.run_line_magic("connect", "link add")
    assert isinstance(form, LinkForm)
    form.endpoint.value = "searchTasks"
    assert "assignee" in form.param.options
    form.param.value = "assignee"
    form.source.value = "listUsers"
    # no response pulled yet: the declared response's fields
    assert list(form.value_path.options) == ["[*].id", "[*].display_name", "[*].email"]
    form.value_path.value = "[*].id"
    form.label_path.value = "[*].display_name"
    link = form.save()
    assert form.outcome == "saved" and demo_mock.links == (link,)
    assert link.label_path == "[*].display_name"
    assert repr(form) == ("LinkForm(connector='demo', endpoint='searchTasks', "
                          "param='assignee', kind='dynamic', outcome='saved')")
    html = form._repr_mimebundle_()["text/html"]  # a notebook saved without widget state
    assert "<code>searchTasks.assignee from listUsers [*].id label [*].display_name</code>" \
        in html and "Saved: searchTasks.assignee is linked." in html


def test_the_link_form_offers_the_pulled_fields(demo_mock) -> None:
    assert demo_mock.test("listProjects").ok
    form = LinkForm(demo_mock)
    form.source.value = "listProjects"
    assert "items[*].id" in form.value_path.options
    assert "meta.next_page" in form.value_path.options
    assert "items" not in form.value_path.options  # arrays and objects give no values


def test_a_bad_static_list_in_the_form_changes_nothing(demo_mock) -> None:
    form = LinkForm(demo_mock)
    form.endpoint.value = "searchTasks"
    form.param.value = "q"
    form.kind.value = "static"
    form.values.value = "invoice, bill, invoice"
    before = demo_mock.to_dict()
    assert form.save() is None
    assert form.outcome == "failed" and "duplicate values (invoice)" in form.status.value
    assert demo_mock.to_dict() == before
    form.values.value = "invoice, bill"
    form.labels.value = "Invoice, Bill"
    assert form.save().labels == ("Invoice", "Bill")


def test_options_show_as_a_dropdown_with_an_html_fallback(ip, demo_mock) -> None:
    set_link(demo_mock, dynamic_link(demo_mock, "getProject", "projectId", "listProjects",
                                     "items[*].id", "items[*].name"))
    ip.magics_manager.registry["ConnectMagics"].session.set_connector(demo_mock)
    drop = ip.run_line_magic("connect", "options getProject projectId")
    assert isinstance(drop, OptionsDropdown)
    assert drop.options == (("Launch", "p_launch"),) and drop.value == "p_launch"
    bundle = drop._repr_mimebundle_()
    assert bundle["text/plain"] == repr(drop)
    assert '<option value="p_launch">Launch</option>' in bundle["text/html"]


def test_the_parameter_form_fills_chained_dropdowns_and_tests(demo_mock) -> None:
    set_link(demo_mock, dynamic_link(demo_mock, "getTask", "projectId", "listProjects",
                                     "items[*].id", "items[*].name"))
    set_link(demo_mock, dynamic_link(demo_mock, "getTask", "taskId", "listTasks",
                                     "items[*].id", "items[*].title",
                                     ["projectId=param:projectId"]))
    form = ParamForm(demo_mock, "getTask")
    assert form.inputs["projectId"].value == "p_launch"
    assert form.inputs["taskId"].options == (("Send the invoice", 7),)
    assert repr(form) == ("ParamForm(getTask: OptionsDropdown(getTask.projectId: 1 value: "
                          "p_launch (Launch)); OptionsDropdown(getTask.taskId: 1 value: "
                          "7 (Send the invoice)))")
    assert form.values() == {"projectId": "p_launch", "taskId": 7}
    html = form._repr_mimebundle_()["text/html"]
    assert '<option value="7">Send the invoice</option>' in html and ">projectId<" in html
    assert form.test().ok


def test_the_graph_is_drawn(ip, demo_mock) -> None:
    set_link(demo_mock, dynamic_link(demo_mock, "getProject", "projectId", "listProjects",
                                     "items[*].id"))
    ip.magics_manager.registry["ConnectMagics"].session.set_connector(demo_mock)
    view = ip.run_line_magic("connect", "link graph")
    assert isinstance(view, LinkGraphView)
    svg = view._repr_svg_()
    assert svg.startswith("<svg") and ">listProjects</text>" in svg
    assert 'class="link"' in svg and view._repr_html_().count("<svg") == 1
    assert repr(view).splitlines()[1] == "  listProjects --[items[*].id]--> getProject.projectId"
    assert LinkGraphView(demo_mock)._repr_svg_() == svg  # a connector is drawn as well
