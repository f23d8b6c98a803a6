"""Tests of the connector model (model.py) and the base URL rule (urls.py)."""

from __future__ import annotations

import copy
from types import SimpleNamespace

import pytest

from nbconnect import limits
from nbconnect.errors import (
    AuthConfigError,
    BaseUrlError,
    EndpointError,
    EndpointNotFoundError,
    LimitError,
    NbConnectError,
    OverwriteError,
)
from nbconnect.model import (
    ApiKeyAuth,
    BasicAuth,
    BearerAuth,
    Connection,
    Connector,
    Endpoint,
    JwtAuth,
    OAuth2ClientCredentials,
    OAuth2Code,
    OAuth2Password,
    Param,
    auth_from_dict,
    parse_path,
    slugify,
)
from nbconnect.model.urls import check_base_url, is_loopback_host, redact_userinfo


def snapshot(c: Connector) -> tuple:
    return (c.name, c.base_url, c.auth, c.endpoints, c.connections, copy.deepcopy(c.schemas),
            c.description, repr(c))


def sample() -> Connector:
    c = Connector("tasks", base_url="https://api.example.com/v1", auth=ApiKeyAuth())
    c.add_endpoint("GET", "/tasks/:task_id", name="Get task")
    c.add_endpoint("GET", "/tasks", name="List tasks", params=[Param("limit", type="integer")])
    c.add_endpoint("POST", "/tasks", name="Create task",
                   body=[Param("title", location="body", required=True)])
    c.connections = (Connection("prod", "https://api.example.com/v1",
                                secrets={"value": "env:TASKS_KEY"}, default=True),)
    return c


# --------------------------------------------------------------------------- base URL rule


@pytest.mark.parametrize("url", [
    "https://api.example.com", "https://api.example.com/v2/", "HTTPS://API.EXAMPLE.COM:8443/x",
    "http://127.0.0.1:8000", "http://127.5.5.5/api", "http://[::1]:9000/", "http://localhost",
    "http://LOCALHOST:3000/v1", "http://app.localhost/", "  https://api.example.com  ",
])
def test_base_url_accepted(url):
    assert check_base_url(url) == url.strip()
    c = Connector("x", base_url=url)
    assert c.base_url == url.strip()


@pytest.mark.parametrize(("url", "words"), [
    ("/v1/users", "relative"),
    ("api.example.com/v1", "relative"),
    ("ftp://files.example.com/", "ftp:"),
    ("file:///etc/passwd", "file:"),
    ("http://api.example.com", "plain http to api.example.com"),
    ("http://10.0.0.1/", "not a loopback host"),
    ("http://localhost.evil.example/", "not a loopback host"),
    ("http://127.0.0.1.evil.example/", "not a loopback host"),
    ("https://api.example.com/v1?key=1", "query string"),
    ("https://api.example.com/v1?", "query string"),
    ("https://api.example.com/v1#top", "fragment"),
    ("https:///nohost", "no host"),
    ("https://api.example.com:99999/", "not a valid URL"),
    ("https://api.exa mple.com/", "blanks"),
    ("", "empty"),
    (None, "empty"),
])
def test_base_url_refused(url, words):
    with pytest.raises(BaseUrlError) as info:
        check_base_url(url)
    assert words in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("url", ["https://alice:hunter2-pass@api.example.com/v1",
                                 "https://:hunter2-pass@api.example.com/",
                                 "http://alice:hunter2-pass@api.example.com/",
                                 "https://alice:hunter2-pass@api.example.com/v1?x=1"])
def test_base_url_with_credentials_is_refused_without_showing_them(url):
    c = Connector("x", base_url="https://api.example.com")
    with pytest.raises(BaseUrlError) as info:
        c.base_url = url
    assert "hunter2-pass" not in info.value.full_text()
    assert "hunter2-pass" not in repr(info.value)
    assert c.base_url == "https://api.example.com"


def test_loopback_and_redaction_helpers():
    assert is_loopback_host("127.255.0.1") and is_loopback_host("[::1]")
    assert not is_loopback_host("128.0.0.1") and not is_loopback_host(None)
    assert redact_userinfo("https://a:b@h.example/x@y") == "https://***@h.example/x@y"


@pytest.mark.parametrize("url", ["http://api.example.com", "ftp://x.example.com"])
def test_bad_base_url_leaves_connector_unchanged(url):
    c = sample()
    before = snapshot(c)
    with pytest.raises(BaseUrlError):
        c.base_url = url
    assert snapshot(c) == before
    with pytest.raises(BaseUrlError):
        Connection("dev", url)


def test_other_urls_follow_the_rule():
    # auth config URLs raise AuthConfigError (naming the field), not BaseUrlError
    with pytest.raises(AuthConfigError, match="access token URL"):
        OAuth2ClientCredentials(token_url="http://auth.example.com/token")
    with pytest.raises(AuthConfigError, match="authorization URL"):
        OAuth2Code(token_url="https://a.example.com/t", authorization_url="ftp://a.example.com")
    assert Connector("x", base_url=None).base_url is None


# --------------------------------------------------------------------------- paths


@pytest.mark.parametrize(("path", "template", "request_path", "names"), [
    ("/users/:id", "/users/{id}", "/users/{id}", ("id",)),
    ("/users/{id}", "/users/{id}", "/users/{id}", ("id",)),
    ("/orgs/:org/repos/{repo}", "/orgs/{org}/repos/{repo}", "/orgs/{org}/repos/{repo}",
     ("org", "repo")),
    ("/items/{item-id}/{v.2}", "/items/{item-id}/{v.2}", "/items/{item-id}/{v.2}",
     ("item-id", "v.2")),
    ("/a:b/time:12", "/a:b/time:12", "/a:b/time:12", ()),  # ':' inside a segment is literal
    ("/search?type=user&sort=", "/search?type=user&sort=", "/search", ()),
    ("/#Action=Describe", "/#Action=Describe", "/", ()),
    ("/q/:id?x=1#frag", "/q/{id}?x=1#frag", "/q/{id}", ("id",)),
])
def test_parse_path(path, template, request_path, names):
    tpl = parse_path(path)
    assert (tpl.template, tpl.request_path, tpl.path_params) == (template, request_path, names)


def test_query_defaults_and_fragment():
    tpl = parse_path("/search?type=user&sort=&q=a%20b#users")
    assert tpl.query_defaults == (("type", "user"), ("sort", ""), ("q", "a b"))
    assert tpl.fragment == "users"
    ep = Endpoint("s", "GET", "/search?type=user&limit=10#users",
                  params=[Param("limit", type="integer", default=5)])
    assert ep.path == "/search?type=user&limit=10#users"  # the fragment is kept
    assert ep.request_path == "/search"  # ... and never sent
    assert ep.param("type").default == "user"
    assert ep.param("limit").default == 5  # an explicit param wins over the path default
    assert [p.name for p in ep.query_params] == ["limit", "type"]
    # the fragment is part of the identity: same route, different fragments coexist
    c = Connector("aws")
    c.add_endpoint("POST", "/#Action=A", name="A")
    c.add_endpoint("POST", "/#Action=B", name="B")
    assert len(c.endpoints) == 2


@pytest.mark.parametrize(("path", "words"), [
    ("/users/{id", "without its '}'"),
    ("/users/id}", "without its '{'"),
    ("/users/{{id}}", "nested braces"),
    ("/users/{a{b}}", "nested braces"),
    ("/users/{}", "empty {}"),
    ("/a/../b", "'..' segment"),
    ("/a/./b", "'..' segment"),
    ("/..", "'..' segment"),
    ("/a/{id}/b/{id}", "twice"),
    ("/a/:id/b/{id}", "twice"),
    ("/a/{0}", "not an identifier"),
    ("/a/{a b}", "blanks"),
    ("/a/{a%b}", "not an identifier"),
    ("/a/{a}b{c}/{x[0]}", "not an identifier"),
    ("users/{id}", "must start with '/'"),
    ("", "empty"),
    ("/a\tb", "blanks"),
    ("/a?{x}=1", "braces"),
])
def test_bad_paths(path, words):
    with pytest.raises(EndpointError) as info:
        parse_path(path)
    assert words in str(info.value)
    with pytest.raises(EndpointError):
        Endpoint("x", "GET", path)


def test_parameter_names_are_never_formatted():
    # a name that looks like a format field is refused; other odd names stay verbatim
    with pytest.raises(EndpointError, match="braces"):
        Param("{0}", location="query")
    p = Param("a.b[0]", location="query")
    assert Endpoint("x", "GET", "/a", params=[p]).params == (p,)


def test_stray_path_params_are_refused():
    with pytest.raises(EndpointError, match=r"path parameter\(s\) other .*not in the path"):
        Endpoint("x", "GET", "/users/{id}",
                 params=[Param("id", location="path"), Param("other", location="path")])
    ep = Endpoint("x", "GET", "/users/{id}", params=[Param("id", type="integer",
                                                           location="path",
                                                           description="User id")])
    assert ep.path_params == (Param("id", type="integer", location="path", required=True,
                                    description="User id"),)
    assert Endpoint("y", "GET", "/u/:id").path_params[0].required is True


def test_duplicate_request_params_are_refused():
    with pytest.raises(EndpointError, match="defined twice"):
        Endpoint("x", "GET", "/a", params=[Param("q"), Param("q", type="integer")])
    with pytest.raises(EndpointError, match="defined twice"):
        Endpoint("x", "GET", "/a", params=[Param("X-Key", location="header"),
                                           Param("x-key", location="header")])
    # the same name in different places is fine
    Endpoint("x", "GET", "/a", params=[Param("q"), Param("q", location="header")])
    with pytest.raises(EndpointError, match="body fields go in body"):
        Endpoint("x", "POST", "/a", params=[Param("q", location="body")])


# --------------------------------------------------------------------------- params


def test_param_validation():
    with pytest.raises(EndpointError, match="location 'form'"):
        Param("a", location="form")
    with pytest.raises(EndpointError, match="type 'float'"):
        Param("a", type="float")
    with pytest.raises(EndpointError, match="not a valid HTTP token"):
        Param("X Key", location="header")
    with pytest.raises(EndpointError, match="empty name"):
        Param("", location="query")
    assert Param("id", location="path").required is True
    p = Param("tags", type="array", enum=["a", "b"], children=[Param("x", location="body")],
              location="body")
    assert p.enum == ("a", "b") and isinstance(p.children, tuple)


def test_param_walk_and_round_trip():
    tree = Param("data", type="object", location="response", children=(
        Param("items", type="array", location="response", children=(
            Param("id", type="integer", location="response"),
            Param("tags", type="array", items="string", location="response"),
        )),
        Param("next", location="response", nullable=True, example="abc"),
    ))
    assert [path for path, _ in tree.walk()] == [
        "data", "data.items", "data.items[].id", "data.items[].tags", "data.next"]
    assert Param.from_dict(tree.to_dict(), "response") == tree
    with pytest.raises(EndpointError, match="unknown field"):
        Param.from_dict({"name": "a", "colour": "red"})
    with pytest.raises(EndpointError, match="must be a mapping"):
        Param.from_dict(["a"])


# --------------------------------------------------------------------------- endpoints


@pytest.mark.parametrize("method", ["get", "Post", "PUT", "patch", "DELETE"])
def test_methods_accepted(method):
    assert Endpoint("x", method, "/a").method == method.upper()


@pytest.mark.parametrize("method", ["HEAD", "OPTIONS", "TRACE", "CONNECT", "", "G ET", None, 1])
def test_methods_refused(method):
    with pytest.raises(EndpointError, match="not supported"):
        Endpoint("x", method, "/a")
    c = sample()
    before = snapshot(c)
    with pytest.raises(EndpointError):
        c.add_endpoint(method, "/new", name="New")
    assert snapshot(c) == before


@pytest.mark.parametrize("bad_id", ["", "-x", "a b", "a/b", ".x", None, "ünï"])
def test_endpoint_ids(bad_id):
    with pytest.raises(EndpointError, match="id"):
        Endpoint(bad_id, "GET", "/a")


def test_default_ids_and_names():
    c = Connector("x", base_url="https://api.example.com/v1")
    ep = c.add_endpoint("get", "/users/:id")
    assert (ep.id, ep.name) == ("get_users_id", "get_users_id")
    ep = c.add_endpoint("POST", "https://api.example.com/v1/users", name="Create User!")
    assert (ep.id, ep.path, ep.name) == ("create_user", "/users", "Create User!")
    with pytest.raises(EndpointError, match="not under the base URL"):
        c.add_endpoint("GET", "https://other.example.com/users", name="Other")
    assert slugify("  ") == "endpoint" and slugify("Get / Users {id}") == "get_users_id"


def test_duplicate_ids_and_routes_are_refused():
    c = sample()
    before = snapshot(c)
    with pytest.raises(EndpointError, match="already has an endpoint 'get_task'"):
        c.add_endpoint("DELETE", "/tasks/:task_id", name="Get task")
    with pytest.raises(EndpointError, match="both GET /tasks"):
        c.add_endpoint("GET", "/tasks", name="List again")
    with pytest.raises(EndpointError, match="Two endpoints have the id"):
        c.endpoints = (*c.endpoints, Endpoint("get_task", "PUT", "/x"))
    assert snapshot(c) == before


def test_manual_limit_and_connector_unchanged():
    c = Connector("many", base_url="https://api.example.com")
    for i in range(limits.MAX_MANUAL_ENDPOINTS):
        c.add_endpoint("GET", f"/r{i}", name=f"R {i}")
    before = snapshot(c)
    with pytest.raises(LimitError) as info:
        c.add_endpoint("GET", "/one-more", name="One more")
    assert "50" in str(info.value) and "limit" in str(info.value)
    assert snapshot(c) == before
    with pytest.raises(LimitError):
        c.endpoints = (*c.endpoints, Endpoint("extra", "GET", "/extra"))
    assert snapshot(c) == before
    # imported endpoints do not count against the manual limit
    c.endpoints = (*c.endpoints, Endpoint("imp", "GET", "/imp", source="openapi"))
    assert len(c.endpoints) == limits.MAX_MANUAL_ENDPOINTS + 1


def test_total_limit():
    c = Connector("big")
    eps = tuple(Endpoint(f"op{i}", "GET", f"/r{i}", source="openapi")
                for i in range(limits.MAX_ENDPOINTS + 1))
    with pytest.raises(LimitError, match="151 endpoints; the limit is 150"):
        c.endpoints = eps
    assert c.endpoints == ()
    c.endpoints = eps[:-1]
    assert len(c.endpoints) == 150


def test_endpoint_not_found_suggests_close_ids():
    c = sample()
    with pytest.raises(EndpointNotFoundError, match="did you mean get_task") as info:
        c.endpoint("get_tsk")
    assert isinstance(info.value, LookupError)
    with pytest.raises(EndpointNotFoundError,
                       match="its endpoints are get_task, list_tasks, create_task") as info:
        c.endpoint("zzzzzz")
    assert "%connect" not in str(info.value) and "nbconnect " not in str(info.value)
    with pytest.raises(EndpointNotFoundError, match="it has none yet"):
        Connector("empty").endpoint("x")
    before = snapshot(c)
    with pytest.raises(EndpointNotFoundError):
        c.remove_endpoint("nope")
    with pytest.raises(EndpointNotFoundError):
        c.replace_endpoint(Endpoint("nope", "GET", "/nope"))
    assert snapshot(c) == before


def test_remove_and_replace():
    c = sample()
    new = Endpoint("list_tasks", "GET", "/tasks", name="All tasks")
    c.replace_endpoint(new)
    assert c.endpoint("list_tasks") is new
    assert c.remove_endpoint("get_task").id == "get_task"
    assert [e.id for e in c.endpoints] == ["list_tasks", "create_task"]


# --------------------------------------------------------------------------- repr, eq, dict


def test_reprs_are_stable():
    c = sample()
    c.auth = OAuth2Code(token_url="https://a.example.com/t",
                        authorization_url="https://a.example.com/a", scope="read")
    objs = [c, *c.endpoints, *c.endpoints[1].params, c.auth, *c.connections,
            parse_path("/a/{b}?c=d#e"), ApiKeyAuth(), BasicAuth(), BearerAuth(), JwtAuth(),
            OAuth2Password(token_url="https://a.example.com/t"),
            OAuth2ClientCredentials(token_url="https://a.example.com/t")]
    for obj in objs:
        text = repr(obj)
        assert "0x" not in text and " at " not in text, text
        assert repr(obj) == text
    assert repr(c) == ("Connector(name='tasks', base_url='https://api.example.com/v1', "
                       "auth=OAuth2Code(token_url='https://a.example.com/t', scope='read', "
                       "authorization_url='https://a.example.com/a'), endpoints=3, "
                       "connections=1)")
    assert repr(c.endpoints[0]) == "Endpoint('get_task', GET /tasks/{task_id}, name='Get task')"
    assert repr(c.endpoints[1].params[0]) == "Param('limit', type='integer', location='query')"
    assert repr(sample()) == repr(sample())


def test_equality():
    assert sample() == sample()
    a, b = sample(), sample()
    b.add_endpoint("GET", "/other", name="Other")
    assert a != b
    b = sample()
    b.schemas = {"X": {"type": "string"}}
    assert a != b
    assert Param("a") == Param("a") and Param("a") != Param("a", required=True)
    assert Connection("a", "https://x.example.com", secrets={"t": "env:T", "p": "env:P"}) == \
        Connection("a", "https://x.example.com", secrets=(("t", "env:T"), ("p", "env:P")))


@pytest.mark.parametrize("auth", [
    None, ApiKeyAuth(key="api_key", add_to="query"), BasicAuth(), BearerAuth(),
    JwtAuth(algorithm="ES256", add_to="query", query_name="jwt", payload={"iss": "me"}),
    OAuth2ClientCredentials(token_url="https://a.example.com/t", client_id="c",
                            scope="a b", client_auth="basic-form-encoded"),
    OAuth2Password(token_url="https://a.example.com/t", refresh_url="https://a.example.com/r"),
    OAuth2Code(token_url="https://a.example.com/t", authorization_url="https://a.example.com/a",
               redirect_url="http://localhost:8888/cb", identity_endpoint="/me",
               identity_param="id"),
])
def test_to_dict_from_dict_round_trip(auth):
    c = sample()
    c.auth = auth
    c.description = "Tasks API"
    c.schemas = {"Task": {"type": "object", "properties": {"id": {"type": "integer"}}}}
    c.endpoints = (*c.endpoints, Endpoint(
        "op", "PUT", "/tasks/{id}?mode=full#v2", source="openapi", tags=("t",),
        request_schema={"$ref": "#/components/schemas/Task"}, response_status="202",
        response_content_type="application/json", response_schema={"type": "object"},
        body=(Param("x", location="body"),), body_content_type="application/json",
        response=(Param("y", location="response"),)))
    c.connections = (*c.connections, Connection("local", "http://127.0.0.1:9000",
                                                secrets=(("token", "env:B"), ("a", "env:A")),
                                                settings={"username": "me"}))
    data = c.to_dict()
    back = Connector.from_dict(data)
    assert back == c and back.to_dict() == data
    if auth is not None:
        assert auth_from_dict(auth.to_dict()) == auth


def test_from_dict_errors():
    with pytest.raises(NbConnectError, match="Auth type 'magic'"):
        auth_from_dict({"type": "magic"})
    with pytest.raises(NbConnectError, match="no field"):
        auth_from_dict({"type": "basic", "password": "x"})
    with pytest.raises(EndpointError, match="unknown field"):
        Endpoint.from_dict({"method": "GET", "path": "/a", "colour": "red"})
    with pytest.raises(EndpointError, match="no method"):
        Endpoint.from_dict({"path": "/a"})
    ep = Endpoint.from_dict({"method": "get", "path": "/u/:id", "name": "Get user",
                             "query": [{"name": "q"}], "headers": [{"name": "X-A"}]})
    assert ep.id == "get_user"
    assert [(p.name, p.location) for p in ep.params] == [("id", "path"), ("q", "query"),
                                                         ("X-A", "header")]


def test_connector_name_and_type_checks():
    with pytest.raises(NbConnectError, match="name is empty"):
        Connector("  ")
    with pytest.raises(NbConnectError, match="contains '/'"):
        Connector("a/b")
    c = sample()
    before = snapshot(c)
    with pytest.raises(NbConnectError):
        c.name = ""
    with pytest.raises(NbConnectError, match="must be an AuthConfig"):
        c.auth = "api-key"
    with pytest.raises(EndpointError, match="must be Endpoint objects"):
        c.endpoints = ("GET /x",)
    with pytest.raises(NbConnectError, match="named 'prod'"):
        c.connections = (*c.connections, Connection("prod", "https://api.example.com"))
    with pytest.raises(NbConnectError, match="default"):
        c.connections = (*c.connections, Connection("b", "https://api.example.com",
                                                    default=True))
    assert snapshot(c) == before
    c.auth = {"type": "bearer"}
    assert c.auth == BearerAuth()


def test_auth_config_validation():
    with pytest.raises(NbConnectError, match="API key add-to 'body'"):
        ApiKeyAuth(add_to="body")
    with pytest.raises(NbConnectError, match="JWT algorithm 'none'"):
        JwtAuth(algorithm="none")
    with pytest.raises(NbConnectError, match="client authentication"):
        OAuth2Password(token_url="https://a.example.com/t", client_auth="magic")


# --------------------------------------------------------------------------- import / overwrite


def fake_import(n: int = 2, **extra):
    eps = tuple(Endpoint(f"op{i}", "GET", f"/items/{i}", source="openapi") for i in range(n))
    base = {"endpoints": eps, "schemas": {"Item": {"type": "object"}},
            "base_url": "https://imported.example.com", "auth": BearerAuth(),
            "description": "Imported API", "warnings": []}
    base.update(extra)
    return SimpleNamespace(**base)


def test_apply_import_into_an_empty_connector():
    c = Connector("new")
    c.apply_import(fake_import())
    assert [e.id for e in c.endpoints] == ["op0", "op1"]
    assert c.schemas == {"Item": {"type": "object"}}
    assert (c.base_url, c.auth, c.description) == ("https://imported.example.com",
                                                   BearerAuth(), "Imported API")
    # existing base URL, auth and description are kept
    d = sample()
    d.apply_import(fake_import(), overwrite=True)
    assert (d.base_url, d.auth) == ("https://api.example.com/v1", ApiKeyAuth())
    assert [e.id for e in d.endpoints] == ["op0", "op1"]  # every endpoint replaced


def test_import_overwrite_refusal_leaves_connector_unchanged():
    c = sample()
    before = snapshot(c)
    with pytest.raises(OverwriteError, match="allow overwriting") as info:
        c.apply_import(fake_import())
    assert "3 endpoints" in str(info.value)
    assert info.value.option == "overwrite" and "--" not in str(info.value)
    assert snapshot(c) == before
    with pytest.raises(OverwriteError):
        c.import_spec("this text is never read")  # refused before any parsing
    assert snapshot(c) == before


def test_bad_import_result_changes_nothing():
    c = sample()
    before = snapshot(c)
    with pytest.raises(LimitError):
        c.apply_import(fake_import(limits.MAX_ENDPOINTS + 1), overwrite=True)
    dup = fake_import()
    dup.endpoints = (*dup.endpoints, Endpoint("op0", "PUT", "/x", source="openapi"))
    with pytest.raises(EndpointError, match="Two endpoints have the id 'op0'"):
        c.apply_import(dup, overwrite=True)
    assert snapshot(c) == before


def test_from_dict_with_missing_fields_raises_typed_errors():
    with pytest.raises(NbConnectError, match="connector name is empty"):
        Connector.from_dict({})
    with pytest.raises(NbConnectError, match="Connection name None"):
        Connection.from_dict({"base_url": "https://api.example.com"})
    with pytest.raises(BaseUrlError, match="connection base URL is empty"):
        Connection.from_dict({"name": "prod"})


# --------------------------------------------------------------------------- layering


def test_the_model_is_plain_data_that_imports_no_operation():
    import json
    import subprocess
    import sys

    code = ("import json, sys, nbconnect.model\n"
            "print(json.dumps(sorted(m for m in sys.modules if m.startswith('nbconnect.'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    loaded = json.loads(out.stdout.splitlines()[-1])
    for folder in ("spec", "testing", "package", "mock", "exports", "notebook", "verbs"):
        assert not [m for m in loaded if m.startswith(f"nbconnect.{folder}")], folder
    assert "nbconnect.model.connector" in loaded


def test_model_names_keep_their_home_and_their_public_path():
    import nbconnect.model as model

    assert model.Connector.__module__ == "nbconnect.model.connector"
    assert model.Endpoint.__module__ == "nbconnect.model.endpoint"
    for name in model.__all__:
        assert getattr(model, name) is not None
