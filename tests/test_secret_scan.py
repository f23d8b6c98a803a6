"""Secret scan: configure every auth type through the magics with a sentinel secret (given
as an ``env:`` reference, and typed into the connection form as an in-memory Secret),
call the local test servers with it where the type allows, export the packages, and look
for the sentinel everywhere a user or a file could see it: every exported file, every
repr and rich display of the objects involved, every captured output, every log record
(DEBUG, httpx2 included), the state of every widget and the shell's input history.
The sentinel must appear zero times.
"""

from __future__ import annotations

import json
import logging
import zipfile
from pathlib import Path
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output
from ipywidgets.widgets import widget as widget_mod
from tests.auth_app import Expected, make_auth_app
from tests.oauth_server import OAuthTestServer
from traitlets.config import Config

import nbconnect
from nbconnect.notebook import magics as magics_mod

SENTINEL = "s3ntinel-Sc4nK7pW-do-not-leak-0123456789abcdef"  # >= 32 bytes (HS256 key)
ENV = "NBC_SCAN_SECRET"
ENV_PW = "NBC_SCAN_PASSWORD"


@pytest.fixture(scope="module")
def shell():
    cfg = Config()
    cfg.HistoryManager.hist_file = ":memory:"
    return InteractiveShell.instance(config=cfg)


@pytest.fixture
def ip(shell, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(ENV, SENTINEL)
    monkeypatch.setenv(ENV_PW, SENTINEL + "-pw")
    nbconnect.load_ipython_extension(shell)
    yield shell
    nbconnect.unload_ipython_extension(shell)


class Seen:
    """Everything shown to the user while the scan runs."""

    def __init__(self, ip: Any) -> None:
        self.ip = ip
        self.texts: list[str] = []

    def cell(self, cell: str) -> Any:
        with capture_output() as cap:
            result = self.ip.run_cell(cell, store_history=True)
        assert result.error_in_exec is None, cap.stderr
        self.texts += [cap.stdout, cap.stderr]
        self.show(result.result)
        return result.result

    def show(self, obj: Any) -> None:
        """Every mime type IPython would display for ``obj``, plus repr and str."""
        if obj is None:
            return
        data, _ = self.ip.display_formatter.format(obj)
        self.texts += [json.dumps(data, default=str), repr(obj), str(obj)]
        if hasattr(obj, "_repr_html_"):
            self.texts.append(obj._repr_html_() or "")

    def assert_clean(self) -> None:
        hits = [t for t in self.texts if SENTINEL in t]
        assert not hits, hits[0][:300]


def exported_texts(path: Path) -> list[str]:
    if path.is_file():
        with zipfile.ZipFile(path) as zf:
            return [zf.read(n).decode("utf-8", "replace") for n in zf.namelist()]
    return [p.read_bytes().decode("utf-8", "replace") for p in path.rglob("*") if p.is_file()]


def widget_states() -> str:
    return "\n".join(json.dumps(w.get_state(), default=str)
                     for w in list(widget_mod._instances.values()))


def history(ip: Any) -> str:
    text = "\n".join(ip.history_manager.input_hist_raw)
    assert "%connect connection add ci" in text  # the history really was recorded
    return text


# type -> (auth arguments, connection arguments, path to call or None)
SIMPLE = {
    "api-key": ("api-key --key api_key --add-to query", f"--secret value=env:{ENV}",
                "/api-key/query"),
    "basic": ("basic", f"--secret password=env:{ENV} --set username=ada", "/basic"),
    "bearer": ("bearer", f"--secret token=env:{ENV}", "/bearer"),
    "jwt": ("jwt --algorithm HS256 --payload '{\"sub\": \"ada\", \"iat\": \"now\", "
            "\"exp\": \"+300s\"}'", f"--secret secret=env:{ENV}", "/jwt/HS256"),
}


@pytest.mark.parametrize("kind", list(SIMPLE))
def test_simple_types_leave_no_trace(ip, kind, serve_app, caplog, tmp_path):
    caplog.set_level(logging.DEBUG)
    logging.getLogger("httpx2").setLevel(logging.DEBUG)
    expected = Expected(api_key=SENTINEL, username="ada", password=SENTINEL, token=SENTINEL,
                        jwt_keys={"HS256": SENTINEL})
    srv = serve_app(make_auth_app(expected))
    auth_args, conn_args, route = SIMPLE[kind]
    seen = Seen(ip)
    connector = seen.cell(f"%connect new scan-{kind} --base-url {srv.url}")
    seen.cell(f"%connect auth {auth_args}")
    seen.cell(f"%connect connection add ci {conn_args}")
    seen.cell("%connect connection list")
    seen.cell("%connect show")

    from nbconnect.auth.flows import client_for

    with client_for(connector, "ci") as client:
        response = client.get(route)
        seen.show(client.auth)
        seen.show(client)
    assert response.status_code == 200, response.text
    from nbconnect.auth.secrets import redact_url

    seen.show(redact_url(response.request.url, ["api_key"]))  # what nbconnect shows of a URL

    # the same secret typed into the connection form is held in memory, never shown
    form = seen.cell("%connect connection add")
    form.name_text.value = "typed"
    field = next(iter(form.passwords))
    form.passwords[field].value = SENTINEL
    for name, box in form.settings.items():
        box.value = "ada" if name == "username" else "app"
    form.submit()
    assert form.outcome == "added", form.status.value
    assert form.passwords[field].value == ""
    seen.show(form)
    seen.texts.append(form.status.value)
    with client_for(connector, "typed") as client:
        assert client.get(route).status_code == 200
    seen.cell("%connect connection list")
    with capture_output() as cap:
        refused = ip.run_cell("%connect export build/refused")
    assert refused.error_in_exec is not None
    seen.texts += [cap.stdout, cap.stderr]
    assert not (tmp_path / "build" / "refused").exists()
    seen.cell("%connect connection remove typed")

    written = [seen.cell(f"%connect export build/{kind}"),
               seen.cell(f"%connect export build/{kind}.zip --zip")]
    files = [t for path in written for t in exported_texts(Path(path))]
    assert any(f"env:{ENV}" in t for t in files)
    seen.texts += files
    seen.texts += [caplog.text, widget_states(), history(ip)]
    seen.texts += [r.getMessage() for r in caplog.records]
    seen.assert_clean()


OAUTH = {
    "oauth2-client-credentials": ("--client-id app", f"--secret client-secret=env:{ENV}"),
    "oauth2-password": ("--client-id app",
                        f"--secret client-secret=env:{ENV} --secret password=env:{ENV_PW} "
                        "--set username=ada"),
    "oauth2-code": ("--client-id app --authorization-url {url}/authorize "
                    "--redirect-url http://127.0.0.1:8765/callback "
                    "--identity-endpoint /api/me --identity-param email",
                    f"--secret client-secret=env:{ENV}"),
}


@pytest.mark.parametrize("kind", list(OAUTH))
def test_oauth2_types_leave_no_trace(ip, kind, serve_app, caplog):
    caplog.set_level(logging.DEBUG)
    logging.getLogger("httpx2").setLevel(logging.DEBUG)
    server = OAuthTestServer()
    server.add_client("app", SENTINEL, auth_methods=("client_secret_basic",
                                                     "client_secret_post"))
    server.add_user("ada", SENTINEL + "-pw", "ada@example.com")
    srv = serve_app(server.app)
    extra, conn_args = OAUTH[kind]
    seen = Seen(ip)
    connector = seen.cell(f"%connect new scan-{kind} --base-url {srv.url}/api")
    seen.cell(f"%connect auth {kind} --token-url {srv.url}/token "
              + extra.format(url=srv.url))
    seen.cell(f"%connect connection add ci {conn_args}")
    seen.cell("%connect connection list")
    seen.cell("%connect show")
    if kind != "oauth2-code":  # the code flow needs a browser step (tests/test_oauth.py)
        from nbconnect.auth.flows import client_for

        with client_for(connector, "ci") as client:
            response = client.get("/me")
            seen.show(client.auth)
        assert response.status_code == 200, response.text
        assert server.token_requests, "no token was fetched"
    written = [seen.cell(f"%connect export build/{kind}"),
               seen.cell(f"%connect export build/{kind}.zip --zip")]
    files = [t for path in written for t in exported_texts(Path(path))]
    assert any(f"env:{ENV}" in t for t in files)
    seen.texts += files
    seen.texts += [caplog.text, widget_states(), history(ip)]
    seen.texts += [r.getMessage() for r in caplog.records]
    seen.assert_clean()


def test_refused_literals_leave_no_trace_in_outputs_or_packages(ip):
    """Commands that carry the sentinel are refused; their outputs never show it."""
    seen = Seen(ip)
    seen.cell("%connect new leaky --base-url https://leaky.example.com")
    seen.cell("%connect auth basic")
    for cell in (f"%connect auth bearer --token {SENTINEL}",
                 f"%connect connection add dev --secret password={SENTINEL} --set username=a",
                 f"%connect connection add dev --secret {SENTINEL}",
                 f"%connect connection add dev --password {SENTINEL}",
                 f"%connect connection {SENTINEL}",
                 f"%%connect auth\ntype: basic\npassword: {SENTINEL}\n"):
        with capture_output() as cap:
            result = ip.run_cell(cell)
        assert result.error_in_exec is not None
        seen.texts += [cap.stdout, cap.stderr]
    path = seen.cell("%connect export build/leaky")
    seen.texts += exported_texts(Path(path))
    assert magics_mod.current_connector(ip).connections == ()
    seen.assert_clean()
