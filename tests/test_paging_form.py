"""The paging form in the notebook (nbconnect.notebook.pagingform), at the widget level:
the magic opens it, fields set and Save store the rule, a bad field shows its sentence in
the form and changes nothing, Detect fills the fields from the spec (and from one response
of the real loopback paged API), Clear removes the rule, a text/html fallback."""

from __future__ import annotations

import json

import pytest
from tests.pagedapi import PagedAPI, spec

import nbconnect
from nbconnect.model.paging import PagingRule
from nbconnect.notebook.pagingform import PagingForm


@pytest.fixture
def paged():
    connector = nbconnect.Connector("paged")
    connector.import_spec(json.dumps(spec("http://127.0.0.1:9")))
    return connector


def _set(form, **fields):
    for name, value in fields.items():
        if name == "type":
            form.type.value = value
        else:
            form.fields[name].value = value


def test_the_magic_opens_the_form_and_save_stores_the_rule(ip, paged):
    ip.magics_manager.registry["ConnectMagics"].session.set_connector(paged)
    form = ip.run_line_magic("connect", "paging")
    assert isinstance(form, PagingForm)
    form.endpoint.value = "listCursor"
    assert "stored rule: none" in form.stored.value
    _set(form, type="cursor", param="cursor", field="next_cursor", limit_param="limit",
         limit="10")
    form.save_button.click()
    assert form.outcome == "saved", form.message
    session = ip.magics_manager.registry["ConnectMagics"].session
    assert session.connector.endpoint("listCursor").paging == PagingRule(
        "cursor", param="cursor", field="next_cursor", limit_param="limit", limit=10)
    assert "stored rule: cursor: param cursor &lt;- field next_cursor, size limit=10" \
        in form.stored.value
    assert form.message == "Saved: cursor: param cursor <- field next_cursor, size limit=10."
    assert repr(form) == "PagingForm(connector='paged', endpoint='listCursor', outcome='saved')"


@pytest.mark.parametrize("fields,words", [
    ({"type": "cursor", "param": "cursr", "field": "next_cursor"},
     ["request parameter 'cursr'", "did you mean cursor?", "(the param box)"]),
    ({"type": "cursor", "param": "cursor", "field": "next_cursor", "limit_param": "limit",
      "limit": "ten"}, ["must be a whole number of at least 1, not 'ten'", "(the limit box)"]),
    ({"type": "offset", "param": "offset", "field": "next"},
     ["leave the field out", "(the next field box)"]),
    ({"type": "cursor", "param": "cursor"}, ["needs the response field"]),
    ({"param": "cursor"}, ["Pick the paging type"]),
])
def test_a_bad_field_shows_its_sentence_in_the_form_and_changes_nothing(paged, fields, words):
    from nbconnect.paging.store import set_paging

    set_paging(paged, "listCursor", {"type": "cursor", "param": "cursor",
                                     "field": "next_cursor"})
    before = paged.to_dict()
    form = PagingForm(paged, "listCursor")
    assert form.type.value == "cursor" and form.fields["field"].value == "next_cursor"
    _set(form, **{"type": "(none)", "param": "", "field": "", "limit_param": "", **fields})
    form.save()
    assert form.outcome == "failed"
    for word in words:
        assert word in form.message
    assert "color:#b00020" in form.status.value
    assert paged.to_dict() == before
    assert "stored rule: cursor: param cursor &lt;- field next_cursor" in form.stored.value


def test_detect_fills_the_fields_from_the_spec_and_save_keeps_it(paged):
    form = PagingForm(paged, "listPages")
    form.detect()
    assert form.outcome == "detected"
    assert form.message.startswith("Detected from the spec: ")
    assert (form.type.value, form.fields["param"].value, form.fields["field"].value) == \
        ("page", "page", "meta.next_page")
    assert paged.endpoint("listPages").paging is None  # not stored before Save
    form.save()
    assert paged.endpoint("listPages").paging == \
        nbconnect.paging.detect.detect_paging(paged, "listPages").rule
    form.endpoint.value = "listRepeat"  # another endpoint: its own (no) rule shown
    assert form.type.value == "(none)" and "stored rule: none" in form.stored.value
    form.endpoint.value = "listPages"
    assert form.type.value == "page"


def test_detect_from_one_response_of_the_real_api():
    with PagedAPI() as api:
        connector = api.connector()
        form = PagingForm(connector, "listLink", verify=lambda c, name: True)
        form.call.value = True
        form.detect()
        assert form.outcome == "detected", form.message
        assert "the response has a Link header" in form.message
        assert form.type.value == "link"
        assert api.hits() == [("/link", "")]


def test_nothing_detected_and_clear(paged):
    from nbconnect.paging.store import set_paging

    connector = nbconnect.Connector("bare")
    connector.import_spec(json.dumps({
        "openapi": "3.1.0", "info": {"title": "t", "version": "1"},
        "paths": {"/things": {"get": {"operationId": "listThings",
                                      "responses": {"200": {"description": "ok"}}}}}}))
    bare = PagingForm(connector)
    bare.detect()
    assert bare.outcome == "failed"
    assert bare.message.startswith("No paging rule was detected for endpoint listThings")
    set_paging(paged, "listLink", {"type": "link"})
    form = PagingForm(paged, "listLink")
    form.clear()
    assert form.outcome == "cleared" and paged.endpoint("listLink").paging is None
    assert "stored rule: none" in form.stored.value


def test_the_html_fallback_shows_the_stored_rule(paged):
    from nbconnect.paging.store import set_paging

    set_paging(paged, "listOffset", {"type": "offset", "param": "offset",
                                     "total_field": "total"})
    form = PagingForm(paged, "listOffset")
    bundle = form._repr_mimebundle_()
    html = bundle["text/html"]
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert "<b>listOffset</b>" in html and "<b>paged</b>" in html
    assert "stored rule: offset: param offset from 0, total in field total" in html
    assert "<td>total field</td><td><code>total</code></td>" in html
    assert "<td>next field</td>" not in html  # blank fields are left out
    assert "0x" not in repr(form)


def test_a_connector_without_endpoints_gets_a_sentence():
    form = PagingForm(nbconnect.Connector("empty"))
    form.type.value = "link"
    form.save()
    assert form.outcome == "failed"
    assert form.message == "The connector has no endpoint; add or import one first."
    assert "Paging rule of no endpoint of connector <b>empty</b>" in form.fallback_html()
