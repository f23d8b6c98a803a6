"""Notebook views of remote MCP servers: the tools table with expandable input schemas, the
server list, a tool result (text, JSON, images), and the ``mcp add`` form.

The views are plain HTML with a ``text/plain`` twin (the same text as the CLI,
:mod:`nbconnect.mcp.text`), so they survive a reopened notebook without widget state and
nbval compares their deterministic text. Each tool's input schema sits in a ``<details>``
element: the table stays short and a click expands the schema.

:class:`McpForm` is the form ``%connect mcp add`` opens without arguments: name, URL,
authentication (none, header, oauth) with the fields of the chosen kind, and **Add** /
**Add and check** buttons. It holds secret *references* only (never a value) and goes
through the same :class:`~nbconnect.model.mcpserver.McpServer` checks as the line and the CLI.
"""

from __future__ import annotations

import base64
import json
from html import escape
from typing import Any

from ..errors import McpToolError, NbConnectError

__all__ = ["McpCheckView", "McpForm", "McpServersView", "ToolResultView"]

_CSS = ("<style>.nbc-mcp td,.nbc-mcp th{text-align:left !important;vertical-align:top;"
        "padding:2px 8px}.nbc-mcp pre{margin:0;font-size:90%}</style>")


def _schema_html(schema: Any) -> str:
    from ..mcp.text import schema_summary

    if not schema:
        return ""
    text = json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True)
    return (f"<details><summary>{escape(schema_summary(schema))}</summary>"
            f"<pre>{escape(text)}</pre></details>")


def tools_html(tools: Any) -> str:
    """A table of tools: name, description, input schema (expandable), output schema."""
    rows = []
    for t in tools:
        rows.append(f"<tr><td><code>{escape(str(t.get('name')))}</code></td>"
                    f"<td>{escape(t.get('description') or t.get('title') or '')}</td>"
                    f"<td>{_schema_html(t.get('input_schema'))}</td>"
                    f"<td>{_schema_html(t.get('output_schema'))}</td></tr>")
    if not rows:
        return "<p>(no tools)</p>"
    return ("<table class='nbc-mcp'><thead><tr><th>tool</th><th>description</th>"
            "<th>input schema</th><th>output schema</th></tr></thead><tbody>"
            + "".join(rows) + "</tbody></table>")


class McpCheckView:
    """A :class:`~nbconnect.mcp.remote.CheckResult` shown as the server's identity, the
    discovery steps (oauth) and the tools table. ``result`` is the CheckResult."""

    def __init__(self, result: Any) -> None:
        self.result = result

    def __repr__(self) -> str:
        from ..mcp.text import check_text

        return check_text(self.result)

    def _repr_html_(self) -> str:
        r = self.result
        c = r.check
        parts = [_CSS]
        if r.discovery is not None:
            steps = "".join(f"<li>{escape(s.line())}</li>" for s in r.discovery.steps)
            parts.append(f"<details><summary>Authorization discovery ({len(r.discovery.steps)}"
                         f" steps)</summary><ol>{steps}</ol></details>")
        who = escape(c.server_name or "(no name given)")
        version = escape(c.server_version)
        caps = escape(", ".join(sorted(c.capabilities)) or "none")
        parts.append(f"<p><b>{escape(r.server.name)}</b>: {who} {version} — protocol "
                     f"<code>{escape(c.protocol)}</code>; capabilities: {caps}</p>")
        for note in r.notes:
            parts.append(f"<p>{escape(note)}</p>")
        parts.append(tools_html(c.tools))
        return "".join(parts)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {"text/plain": repr(self), "text/html": self._repr_html_()}


class McpServersView:
    """The connector's remote MCP servers as a table."""

    def __init__(self, servers: Any) -> None:
        self.servers = tuple(servers)

    def __repr__(self) -> str:
        from ..mcp.text import servers_table

        return servers_table(self.servers)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        from ..mcp.text import _auth_summary

        def checked(s: Any) -> str:
            return f"{s.checked.protocol}, {len(s.checked.tools)} tools" if s.checked \
                else "never"

        rows = "".join(
            f"<tr><td>{escape(s.name)}</td><td><code>{escape(s.url)}</code></td>"
            f"<td>{escape(_auth_summary(s))}</td><td>{escape(checked(s))}</td></tr>"
            for s in self.servers)
        html = (_CSS + "<table class='nbc-mcp'><thead><tr><th>name</th><th>URL</th>"
                "<th>auth</th><th>checked</th></tr></thead><tbody>" + rows + "</tbody></table>"
                if self.servers else "<p>(no MCP servers)</p>")
        return {"text/plain": repr(self), "text/html": html}


class ToolResultView:
    """A tool result: its JSON, its text and its images (inline)."""

    def __init__(self, result: Any) -> None:
        self.result = result

    def __repr__(self) -> str:
        from ..mcp.text import result_text

        return result_text(self.result)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        r = self.result
        parts = [_CSS]
        if r.json is not None:
            parts.append("<pre>" + escape(json.dumps(r.json, indent=2, ensure_ascii=False,
                                                     sort_keys=True)) + "</pre>")
        elif r.texts:
            parts.append("<pre>" + escape(r.text) + "</pre>")
        for mime, data in r.images:
            b64 = base64.b64encode(data).decode("ascii")
            parts.append(f"<img alt='image from {escape(r.tool)}' "
                         f"src='data:{escape(mime)};base64,{b64}'/>")
        return {"text/plain": repr(self), "text/html": "".join(parts)}


class McpForm:
    """The ``mcp add`` form (ipywidgets): fields, **Add** and **Add and check**.

    ``outcome`` is ``"pending"``, ``"added"``, ``"checked"`` or ``"failed"``; ``server`` the
    stored :class:`~nbconnect.model.mcpserver.McpServer`; ``check`` the CheckResult after a check.
    """

    def __init__(self, connector: Any, *, open_url: Any = None) -> None:
        import ipywidgets as widgets

        self.connector = connector
        self.open_url = open_url
        self.outcome = "pending"
        self.server: Any = None
        self.check: Any = None
        style = {"description_width": "10em"}
        layout = {"width": "36em"}

        def text(label: str, placeholder: str = "") -> Any:
            return widgets.Text(description=label, placeholder=placeholder, style=style,
                                layout=layout)

        self.name = text("name", "tools")
        self.url = text("URL", "https://mcp.example.com/mcp")
        self.auth = widgets.Dropdown(options=("none", "header", "oauth"), value="none",
                                     description="authentication", style=style)
        self.header = text("header", "Authorization")
        self.secret = text("header value ref", "env:MCP_TOKEN")
        self.client_id = text("client id", "registered by hand (optional)")
        self.client_secret = text("client secret ref", "env:MCP_CLIENT_SECRET (optional)")
        self.dcr = widgets.Checkbox(description="Use dynamic client registration",
                                    style=style)
        self.scopes = text("scopes", "read write (optional)")
        self.metadata_url = text("client metadata URL", "https://app.example/client.json "
                                                        "(optional)")
        self.fields = widgets.VBox()
        self.add_button = widgets.Button(description="Add", icon="plus")
        self.check_button = widgets.Button(description="Add and check",
                                           button_style="primary", icon="check")
        self.status = widgets.HTML()
        self.output = widgets.Output()
        self.add_button.on_click(lambda _b: self.submit(check=False))
        self.check_button.on_click(lambda _b: self.submit(check=True))
        self.auth.observe(lambda _c: self._show_fields(), names="value")
        self._show_fields()
        self.widget = widgets.VBox([widgets.HTML("<b>Add an MCP server</b>"), self.name,
                                    self.url, self.auth, self.fields,
                                    widgets.HBox([self.add_button, self.check_button]),
                                    self.status, self.output])

    def _show_fields(self) -> None:
        kind = self.auth.value
        self.fields.children = (
            (self.header, self.secret) if kind == "header" else
            (self.client_id, self.client_secret, self.dcr, self.metadata_url, self.scopes)
            if kind == "oauth"
            else ())

    def __repr__(self) -> str:
        return f"McpForm(connector={self.connector.name!r}, outcome={self.outcome!r})"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> Any:
        return self.widget._repr_mimebundle_(include=include, exclude=exclude)

    def _values(self) -> dict[str, Any]:
        def val(w: Any) -> str | None:
            return w.value.strip() or None

        kind = self.auth.value
        values: dict[str, Any] = {"name": val(self.name) or "", "url": val(self.url) or "",
                                  "auth": kind}
        if kind == "header":
            values.update(header=val(self.header), secret=val(self.secret))
        elif kind == "oauth":
            values.update(client_id=val(self.client_id),
                          client_secret=val(self.client_secret), dcr=self.dcr.value,
                          client_metadata_url=val(self.metadata_url),
                          scopes=tuple((val(self.scopes) or "").split()))
        return values

    def submit(self, check: bool = False) -> None:
        """Add the server (and check it): one message, the connector unchanged on error."""
        from ..model.mcpserver import McpServer

        for box in (self.secret, self.client_secret):  # a pasted value never stays in state
            from ..auth.secrets import is_reference

            if box.value.strip() and not is_reference(box.value.strip()):
                box.value = ""
                self.outcome = "failed"
                self.status.value = ("<span style='color:#b00'>A secret field takes a "
                                     "reference such as env:NAME, keyring:NAME or prompt, "
                                     "never the value; it was cleared.</span>")
                return
        try:
            server = McpServer(**self._values())
            self.server = self.connector.mcp.add(server)
        except NbConnectError as exc:
            self.outcome = "failed"
            self.status.value = f"<span style='color:#b00'>{escape(str(exc))}</span>"
            return
        self.outcome = "added"
        self.status.value = f"MCP server {escape(self.server.name)} added."
        if not check:
            return
        try:
            self.check = self.connector.mcp.check(self.server.name, open_url=self.open_url)
        except NbConnectError as exc:
            self.outcome = "failed"
            details = "".join(f"<li>{escape(d)}</li>" for d in exc.details)
            self.status.value = (f"Added, but the check failed: <span style='color:#b00'>"
                                 f"{escape(str(exc))}</span>"
                                 + (f"<ol>{details}</ol>" if details else ""))
            return
        self.outcome = "checked"
        self.server = self.check.server
        self.status.value = f"MCP server {escape(self.server.name)} added and checked."
        self.output.outputs = ({"output_type": "display_data",
                                "data": McpCheckView(self.check)._repr_mimebundle_(),
                                "metadata": {}},)


class McpServeForm:
    """The ``mcp preflight --form`` form (ipywidgets): a client, the tags or ids to include
    and exclude, **Preflight** (the report, with or without calls), **Serve** (Streamable HTTP
    in the background, fitted to the client; its URL shown) and **Stop**.

    ``report`` is the last :class:`~nbconnect.mcp.preflight.PreflightReport`; ``server`` the
    running :class:`~nbconnect.mcp.serve.HttpMcpServer` or None; ``status`` says what
    happened, one sentence on error (nothing changes on the connector either way).
    """

    def __init__(self, connector: Any) -> None:
        import ipywidgets as widgets

        from ..mcp.clients import CLIENTS

        self.connector = connector
        self.report: Any = None
        self.server: Any = None
        style = {"description_width": "10em"}
        self.client = widgets.Dropdown(options=tuple(CLIENTS), value="generic",
                                       description="client", style=style)
        self.include = widgets.Text(description="include", placeholder="tags or ids, a,b",
                                    style=style)
        self.exclude = widgets.Text(description="exclude", placeholder="tags or ids, a,b",
                                    style=style)
        self.calls = widgets.Checkbox(value=True, description="call every tool against "
                                      "the mock API", style=style)
        self.preflight_button = widgets.Button(description="Preflight", icon="check",
                                               button_style="primary")
        self.serve_button = widgets.Button(description="Serve", icon="play")
        self.stop_button = widgets.Button(description="Stop", icon="stop")
        self.status = widgets.HTML()
        self.preflight_button.on_click(lambda _b: self.run_preflight())
        self.serve_button.on_click(lambda _b: self.serve())
        self.stop_button.on_click(lambda _b: self.stop())
        self.widget = widgets.VBox([
            widgets.HTML(f"<b>Serve {escape(connector.name)} as an MCP server</b>"),
            self.client, self.include, self.exclude, self.calls,
            widgets.HBox([self.preflight_button, self.serve_button, self.stop_button]),
            self.status])

    def __repr__(self) -> str:
        return f"McpServeForm(connector={self.connector.name!r}, client={self.client.value!r})"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> Any:
        return self.widget._repr_mimebundle_(include=include, exclude=exclude)

    def _words(self, box: Any) -> tuple[str, ...]:
        return tuple(w.strip() for w in box.value.split(",") if w.strip())

    def _fail(self, exc: NbConnectError) -> None:
        self.status.value = f"<span style='color:#b00'>{escape(str(exc))}</span>"

    def run_preflight(self) -> Any:
        """Run the preflight for the chosen client; shows and returns the report (None on
        error)."""
        from ..mcp.preflight import preflight

        try:
            self.report = preflight(self.connector, self.client.value,
                                    include=self._words(self.include),
                                    exclude=self._words(self.exclude), calls=self.calls.value)
        except NbConnectError as exc:
            self._fail(exc)
            return None
        self.status.value = f"<pre>{escape(self.report.text())}</pre>"
        return self.report

    def serve(self) -> Any:
        """Serve the selected tools, fitted to the client, over Streamable HTTP in the
        background (a running one is stopped first); returns the server (None on error)."""
        from ..mcp.serve import ToolServer, start_http

        self.stop()
        try:
            tools = ToolServer(self.connector, include=self._words(self.include),
                               exclude=self._words(self.exclude), client=self.client.value)
            self.server = start_http(tools)
        except NbConnectError as exc:
            self._fail(exc)
            return None
        notes = "".join(f"<br>{escape(n)}" for n in tools.notes)
        self.status.value = (f"Serving {len(tools.tools)} tools at <code>"
                             f"{escape(self.server.url)}</code> (Streamable HTTP).{notes}")
        return self.server

    def stop(self) -> None:
        """Stop the server this form started, if any."""
        if self.server is not None:
            self.server.stop()
            self.server = None
            self.status.value = "MCP server stopped."


class McpCallForm:
    """The ``mcp call`` form (ipywidgets): a checked server, one of its tools, a text box per
    argument of the tool's input schema (typed by that schema, as ``--arg K=V`` is), **Call**.

    ``result`` is the last :class:`~nbconnect.mcp.calls.ToolResult` (shown below the form);
    a failure is one sentence in ``status`` and changes nothing.
    """

    def __init__(self, connector: Any, *, open_url: Any = None) -> None:
        import ipywidgets as widgets

        self.connector = connector
        self.open_url = open_url
        self.result: Any = None
        style = {"description_width": "10em"}
        checked = [s.name for s in connector.mcp.values() if s.checked is not None]
        self.server = widgets.Dropdown(options=checked, value=checked[0] if checked else None,
                                       description="server", style=style)
        self.tool = widgets.Dropdown(description="tool", style=style)
        self.arguments: dict[str, Any] = {}
        self.fields = widgets.VBox()
        self.call_button = widgets.Button(description="Call", icon="play",
                                          button_style="primary")
        self.status = widgets.HTML("" if checked else
                                   "No MCP server of this connector has been checked yet; "
                                   "check one first, then call its tools.")
        self.output = widgets.Output()
        self.server.observe(lambda _c: self._tools(), names="value")
        self.tool.observe(lambda _c: self._argument_fields(), names="value")
        self.call_button.on_click(lambda _b: self.call())
        self._tools()
        self.widget = widgets.VBox([widgets.HTML("<b>Call a tool of an MCP server</b>"),
                                    self.server, self.tool, self.fields, self.call_button,
                                    self.status, self.output])

    def __repr__(self) -> str:
        return f"McpCallForm(connector={self.connector.name!r}, server={self.server.value!r})"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> Any:
        return self.widget._repr_mimebundle_(include=include, exclude=exclude)

    def _entry(self) -> Any:
        if not self.server.value or not self.tool.value:
            return None
        return self.connector.mcp[self.server.value].checked.tool(self.tool.value)

    def _tools(self) -> None:
        server = self.connector.mcp[self.server.value] if self.server.value else None
        names = server.checked.tool_names if server is not None else []
        self.tool.options = names
        self.tool.value = names[0] if names else None
        self._argument_fields()

    def _argument_fields(self) -> None:
        import ipywidgets as widgets

        entry = self._entry()
        schema = (entry or {}).get("input_schema") or {}
        required = set(schema.get("required") or ())
        self.arguments = {}
        for name, prop in (schema.get("properties") or {}).items():
            kind = prop.get("type", "any") if isinstance(prop, dict) else "any"
            self.arguments[name] = widgets.Text(
                description=name + (" *" if name in required else ""),
                placeholder=str(kind), style={"description_width": "10em"})
        self.fields.children = tuple(self.arguments.values())

    def call(self) -> Any:
        """Call the chosen tool with the filled-in arguments (an empty box is left out);
        shows and returns the result (None on error)."""
        from ..mcp.calls import call_tool, parse_arguments

        try:
            if not self.server.value or not self.tool.value:
                raise McpToolError("Choose a checked MCP server and one of its tools first.")
            words = [f"{k}={w.value}" for k, w in self.arguments.items() if w.value.strip()]
            arguments = parse_arguments(words, self._entry())
            self.result = call_tool(self.connector.mcp[self.server.value], self.tool.value,
                                    arguments, open_url=self.open_url)
        except NbConnectError as exc:
            self.status.value = f"<span style='color:#b00'>{escape(str(exc))}</span>"
            return None
        self.status.value = f"{escape(self.tool.value)} answered."
        self.output.outputs = ({"output_type": "display_data",
                                "data": ToolResultView(self.result)._repr_mimebundle_(),
                                "metadata": {}},)
        return self.result
