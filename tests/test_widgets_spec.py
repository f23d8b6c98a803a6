"""The spec form (``%connect import`` without a source): read from text, an upload or a
URL, a checkbox per tag with the live count against the limit, the filter, and an import
of two tags of a bigger spec (with the overwrite confirmation when needed)."""

from __future__ import annotations

import yaml
from tests.test_magics_test import ok

from nbconnect import limits
from nbconnect.notebook.specform import SpecForm
from nbconnect.notebook.widgets import OverwriteConfirmation


def big_spec(tags: int = 6, per_tag: int = 5) -> str:
    """A spec of ``tags`` x ``per_tag`` operations (tag ``t0``... ``t5``)."""
    paths = {}
    for t in range(tags):
        for i in range(per_tag):
            paths[f"/t{t}/items{i}"] = {"get": {
                "operationId": f"t{t}Item{i}", "tags": [f"t{t}"], "summary": f"item {i}",
                "responses": {"200": {"description": "ok"}}}}
    return yaml.safe_dump({"openapi": "3.0.3", "info": {"title": "Big", "version": "2"},
                           "servers": [{"url": "https://big.example.com"}], "paths": paths})


def test_import_without_a_source_opens_the_form_and_imports_two_tags(ip):
    form, _ = ok(ip, "%connect import")
    assert isinstance(form, SpecForm)
    form.text.value = big_spec()
    form.read()
    assert form.preview is not None and len(form.preview.operations) == 30
    assert list(form.tag_boxes) == [f"t{i}" for i in range(6)]
    assert "30 of 30 operations selected" in form.count.value
    assert f"the limit is {limits.MAX_IMPORTED_ENDPOINTS}" in form.count.value
    form.tag_boxes["t1"].value = True
    assert "5 of 30 operations selected" in form.count.value
    form.tag_boxes["t4"].value = True
    assert "10 of 30" in form.count.value and form.operations.value.count("<tr>") == 11
    form.filter.value = "items[0-2]"
    assert "6 of 30" in form.count.value
    form.filter.value = ""
    form.import_spec()
    assert form.outcome == "imported", form.message
    c = ip.magics_manager.registry["ConnectMagics"].session.connector
    assert c.name == "big" and len(c.endpoints) == 10
    assert {t for ep in c.endpoints for t in ep.tags} == {"t1", "t4"}


def test_over_the_limit_and_bad_filters_are_errors_in_the_form(ip):
    form, _ = ok(ip, "%connect import")
    form.text.value = big_spec(tags=4, per_tag=40)
    form.read()
    assert "160 of 160" in form.count.value and "nbconnect-status-error" in form.count.value
    assert form.import_button.disabled
    form.tag_boxes["t0"].value = True
    assert not form.import_button.disabled
    form.filter.value = "("
    assert "nbconnect-status-error" in form.count.value and "(the filter)" in form.count.value
    assert "--" not in form.count.value.split("</style>")[-1]
    assert form.import_button.disabled


def test_upload_and_the_overwrite_confirmation(ip, tmp_path):
    ok(ip, "%connect new demo --demo")
    form, _ = ok(ip, "%connect import")
    import datetime

    data = big_spec().encode()
    form.upload.value = ({"name": "big.yaml", "type": "", "size": len(data),
                          "last_modified": datetime.datetime(2026, 1, 1,
                                                             tzinfo=datetime.UTC),
                          "content": memoryview(data)},)
    assert form.preview is not None  # reading starts on upload
    form.tag_boxes["t0"].value = form.tag_boxes["t2"].value = True
    form.import_spec()
    assert form.outcome == "confirm"
    dialog = form.confirmation
    assert isinstance(dialog, OverwriteConfirmation)
    assert dict(dialog.changes)["10 added"].startswith("t0Item0")
    dialog.confirm()
    c = dialog.connector
    assert len(c.endpoints) == 10


def test_bad_text_is_one_error_and_the_cli_still_needs_a_source(ip, face):
    form, _ = ok(ip, "%connect import")
    form.text.value = "openapi: [unclosed"
    form.read()
    assert form.message.startswith("Not read:") and form.preview is None
    assert form.import_button.disabled
    if face.name == "cli":
        done = face.run("import")
        assert done.code == 2 and "required: source" in done.error
