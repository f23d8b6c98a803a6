"""notebook/pullview: the collapsible tree (search, fold, keep/drop, accept as methods), its
HTML fallback and deterministic text/plain; the PullResult formatters in a real shell."""

from __future__ import annotations

import pytest

import nbconnect
from nbconnect.notebook.pullview import PullView, pull_html

SAMPLE = {"id": 7, "title": "Write <docs>", "due": None,
          "owner": {"login": "ada", "email": "ada@example.com", "token": "t0k3n-XYZ"},
          "labels": ["a", "b"]}


@pytest.fixture
def connector():
    c = nbconnect.Connector("v", base_url="https://api.example.com")
    c.add_endpoint("GET", "/task", id="getTask")
    return c


def test_search_fold_drop_and_accept(connector):
    result = connector.pull("getTask", [SAMPLE])
    view = PullView(result, connector)
    assert repr(view) == result.text()
    assert view.visible() == [f.path for f in result.walk()]
    assert view.search("LOGIN") == ["owner", "owner.login"]  # the match and its parent
    assert view.search("") == view.visible() and len(view.visible()) == 9
    assert view.toggle("owner") is True
    assert "owner.email" not in view.visible() and "owner" in view.visible()
    assert view.folds["owner"].description == "▸"
    assert view.toggle("owner") is False and "owner.email" in view.visible()
    with pytest.raises(KeyError):
        view.toggle("id")  # a leaf has no fold
    view.boxes["due"].value = False  # a click on the checkbox
    assert view.drop("owner.token") == ["due", "owner.token"]
    endpoint = view.accept()
    names = [p.name for p in endpoint.response]
    assert "due" not in names and "id" in names
    owner = next(p for p in endpoint.response if p.name == "owner")
    assert [p.name for p in owner.children] == ["login", "email"]
    assert connector.endpoint("getTask") == endpoint
    assert "Accepted 7 fields into getTask" in view.status.value


def test_html_fallback_and_text_plain(connector):
    result = connector.pull("getTask", [SAMPLE])
    html = pull_html(result)
    assert "<details open><summary>" in html and "Write &lt;docs&gt;" in html
    assert "t0k3n-XYZ" not in html + result.text()  # a token's value is never an example
    assert "string(email)" in html and "required" in html and "nullable" in html
    assert html.count(">new</span>") == 5  # nothing declared: each top-level field is new
    bundle = PullView(result, connector)._repr_mimebundle_()
    assert bundle["text/plain"] == result.text()
    assert bundle["text/html"] == html
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_a_view_without_connector_cannot_accept(connector):
    view = PullView(connector.pull("getTask", [SAMPLE]))
    assert view.accept_button.disabled
    with pytest.raises(ValueError):
        view.accept()


def test_the_magic_returns_the_view_and_results_render_in_the_shell(ip, tmp_path):
    sample = tmp_path / "s.json"
    sample.write_text('{"a": 1, "when": "2024-01-01"}')
    ip.run_line_magic("connect", "new demo")
    ip.run_line_magic("connect", "endpoint add GET /a --name geta")
    view = ip.run_line_magic("connect", f"pull geta --sample {sample}")
    assert isinstance(view, PullView)
    assert view.result.field("when").format == "date"
    result = nbconnect.Connector.pull(view.connector, "geta", [sample])
    data, _ = ip.display_formatter.format(result)
    assert data["text/plain"] == result.text()
    assert data["text/html"].startswith('<div class="nbconnect-pull">')


def test_drift_is_marked_in_the_tree():
    from nbconnect.model import Param

    c = nbconnect.Connector("m", base_url="https://api.example.com")
    c.add_endpoint("GET", "/t", id="t", response=(
        Param("id", type="string", location="response", required=True),))
    result = c.pull("t", [{"id": 7, "extra": "x"}])
    html = pull_html(result)
    assert 'title="declared string">changed</span>' in html
    assert html.count(">new</span>") == 1
    view = PullView(result, c)
    row_html = view.rows["id"].children[2].value
    assert ">changed</span>" in row_html
