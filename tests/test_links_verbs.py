"""The link verbs in both faces (``nbconnect link ... PKG`` and ``%connect link ...``):
``link add|list|remove|graph``, ``%%connect link`` with YAML, ``options``, ``show --json``
and the OpenAPI export, against the demo mock on loopback."""

from __future__ import annotations

import json

import pytest

LINK = "link add getProject projectId --from listProjects --value items[*].id " \
       "--label items[*].name"


pytestmark = pytest.mark.usefixtures("fresh_link_cache")



def test_link_add_list_show_remove(face, demo_mock) -> None:
    face.start(demo_mock)
    done = face.run(LINK)
    assert done.code == 0, done.err
    if face.name == "cli":
        assert "link getProject.projectId from listProjects items[*].id" in done.out
    else:
        assert repr(done.result) == ("Link('getProject', 'projectId', source='listProjects', "
                                     "value_path='items[*].id', label_path='items[*].name')")
    done = face.run("link add searchTasks q --values invoice,bill --labels Invoice,Bill")
    assert done.code == 0, done.err
    links = face.connector.links
    assert [lk.key for lk in links] == [("getProject", "projectId"), ("searchTasks", "q")]
    done = face.run("link list --json")
    listed = json.loads(done.out)
    assert {"endpoint": "searchTasks", "param": "sort", "values": ["relevance", "due",
            "created"], "kind": "static", "origin": "enum"} in listed
    done = face.run("link list searchTasks")
    assert "searchTasks  q" in done.out and "[invoice, bill]" in done.out
    assert "getProject" not in done.out
    done = face.run("show --json")
    shown = json.loads(done.out)["links"]
    assert shown[1] == {"endpoint": "searchTasks", "param": "q", "values": ["invoice", "bill"],
                        "labels": ["Invoice", "Bill"], "kind": "static"}
    done = face.run("link remove searchTasks q")
    assert done.code == 0
    assert "link searchTasks.q removed" in done.out if face.name == "cli" else \
        done.result.values == ("invoice", "bill")
    assert [lk.key for lk in face.connector.links] == [("getProject", "projectId")]


def test_link_from_a_yaml_cell(face, demo_mock) -> None:
    face.start(demo_mock)
    body = ("links:\n"
            "- endpoint: getTask\n  param: projectId\n  from: listProjects\n"
            "  value: items[*].id\n"
            "- endpoint: getTask\n  param: taskId\n  from: listTasks\n  value: items[*].id\n"
            "  label: items[*].title\n  inputs: {projectId: param:projectId}\n")
    done = face.run("link", cell=body)
    assert done.code == 0, done.err
    links = face.connector.links
    assert links[1].inputs[0].param == "projectId"
    if face.name == "magic":
        assert [lk.param for lk in done.result] == ["projectId", "taskId"]
    done = face.run("options getTask taskId --input projectId=p_launch --json")
    assert done.code == 0, done.err
    assert json.loads(done.out) == [{"value": 7, "label": "Send the invoice"}]
    done = face.run("link graph")
    assert done.code == 0
    text = done.out if face.name == "cli" else repr(done.result)
    assert "listTasks --[items[*].id]--> getTask.taskId" in text


@pytest.mark.parametrize(("line", "words"), [
    ("link add nope x --values 1", "'nope' is not an endpoint"),
    ("link add getProject nope --values 1", "has no parameter 'nope'"),
    ("link add searchTasks q --values a,b,a", "duplicate values (a)"),
    ("link add getProject projectId --from nope --value x", "linked endpoint 'nope'"),
    ("link add getProject projectId --from listProjects --value a..b", "does not parse"),
    ("link add listProjects page --from getProject --value task_count", "in a circle"),
    ("link add getProject projectId", "Give --values"),
    ("link add getProject projectId --values a --from listProjects", "Give --values"),
    ("link remove searchTasks q", "has no link to remove"),
])
def test_bad_links_are_one_line_and_change_nothing(face, demo_mock, line: str,
                                                    words: str) -> None:
    face.start(demo_mock)
    assert face.run(LINK).code == 0
    before = face.connector.to_dict()
    done = face.run(line)
    assert done.code == 2
    assert words in done.error, done.err
    assert face.connector.to_dict() == before


def test_a_path_matching_nothing_warns_and_then_fails_clearly(face, demo_mock) -> None:
    face.start(demo_mock)
    done = face.run("link add getProject projectId --from listProjects --value itemz[*].id")
    assert done.code == 0
    warned = done.err if face.name == "cli" else done.out
    assert "itemz[*].id matches no field of listProjects" in warned
    done = face.run("options getProject projectId")
    assert done.code == 2
    assert "matches nothing in listProjects's response" in done.error


def test_options_and_the_check_before_sending(face, demo_mock) -> None:
    face.start(demo_mock)
    face.run(LINK)
    done = face.run("options getProject projectId")
    assert done.code == 0, done.err
    if face.name == "cli":
        assert done.out.split() == ["p_launch", "Launch"]
    else:
        assert repr(done.result) == ("OptionsDropdown(getProject.projectId: 1 value: "
                                     "p_launch (Launch))")
        assert done.result.value == "p_launch"
    done = face.run("test getProject --param projectId=p_other --json")
    report = json.loads(done.out)
    assert report["failed"] == 1
    assert "not allowed for parameter projectId" in report["results"][0]["reason"]
    assert face.run("test getProject --json").code == 0


def test_openapi_export_carries_the_links(face, demo_mock, tmp_path) -> None:
    face.start(demo_mock)
    face.run(LINK)
    face.run("link add searchTasks q --values invoice,bill --labels Invoice,Bill")
    out = tmp_path / "openapi.json"
    assert face.run(f"export --format openapi -o {out}").code == 0
    doc = json.loads(out.read_text())
    search = doc["paths"]["/search/tasks"]["get"]["parameters"]
    q = next(p for p in search if p["name"] == "q")
    assert q["schema"]["enum"] == ["invoice", "bill"]
    assert q["schema"]["x-nbconnect-labels"] == ["Invoice", "Bill"]
    get = doc["paths"]["/projects/{projectId}"]["get"]["parameters"]
    project = next(p for p in get if p["name"] == "projectId")
    assert project["x-nbconnect-link"] == {"operationId": "listProjects",
                                           "value": "items[*].id", "label": "items[*].name"}


def test_a_comma_inside_a_listed_value_or_label_is_escaped(face, demo_mock) -> None:
    face.start(demo_mock)
    done = face.run(r'link add searchTasks q --values "a\,b,c" --labels "Best\, first,Due"')
    assert done.code == 0, done.err
    link = face.connector.links[-1]
    assert link.values == ("a,b", "c") and link.labels == ("Best, first", "Due")
    before = face.connector.to_dict()
    done = face.run('link add searchTasks q --values a,b --labels "Best, first,Due"')
    assert done.code == 2 and "2 values but 3 labels" in done.err.replace("\n", " ")
    assert face.connector.to_dict() == before


def test_options_without_param_opens_the_parameter_form_in_a_notebook(face, demo_mock) -> None:
    face.start(demo_mock)
    face.run("link add getTask projectId --from listProjects --value items[*].id "
             "--label items[*].name")
    face.run("link add getTask taskId --from listTasks --value items[*].id "
             "--label items[*].title --input projectId=param:projectId")
    done = face.run("options getTask")
    if face.name == "cli":  # no form on the command line: PARAM is needed
        assert done.code == 2 and "required: PARAM" in done.err
        return
    from nbconnect.notebook.linkview import ParamForm

    assert done.code == 0 and isinstance(done.result, ParamForm)
    form = done.result
    assert form.values() == {"projectId": "p_launch", "taskId": 7}
    assert form.test().ok
    done = face.run("options getTsk")
    assert done.code == 2 and "getTsk" in done.error
