"""The receiving verbs of the ``webhook`` family: ``serve``, ``events``, ``subscribe``,
``unsubscribe``; and ``webhooks serve``, the same ``serve`` under the spelling used to run
an exported package (``nbconnect webhooks serve PKG --port N``).

``webhook serve`` runs the receiver (:class:`nbconnect.webhooks.receiver.ReceiverServer`):
in the notebook in the background, showing each webhook's URL (``--stop`` stops it); in the
CLI in the foreground until Ctrl-C. ``--event-log PATH|redis://HOST:PORT/N`` picks the log
(default: ``webhook-events.sqlite`` in the package's folder, or the current directory).
``webhook events [NAME]`` lists stored events (``--json`` for JSON). ``webhook subscribe
NAME`` / ``unsubscribe NAME`` run the RESThook lifecycle
(:mod:`nbconnect.webhooks.resthook`); ``subscribe`` sends ``--public-url`` (default: the
URL of the receiver running in the background) and stores the subscription id.
"""

from __future__ import annotations

import argparse
from typing import Any

from ..limits import MAX_WEBHOOK_BODY_BYTES
from .grammar import port_arg
from .table import Arg, Family, Verb, families, register, usage_error

__all__ = ["RECEIVER_ATTR", "running_receiver", "stop_receiver"]

#: the workspace attribute holding the receiver the notebook runs in the background
RECEIVER_ATTR = "webhook_receiver"


def running_receiver(workspace: Any) -> Any:
    """The receiver running in ``workspace``'s background, or None."""
    server = getattr(workspace, RECEIVER_ATTR, None)
    return server if server is not None and server.running else None


def stop_receiver(workspace: Any) -> bool:
    """Stop the background receiver of ``workspace`` (True when one was running)."""
    server = getattr(workspace, RECEIVER_ATTR, None)
    setattr(workspace, RECEIVER_ATTR, None)
    if server is None:
        return False
    server.stop()
    return True


def _default_log(workspace: Any) -> Any:
    from ..webhooks.events import default_log_path

    return default_log_path(workspace.package_path)


def _urls_text(server: Any) -> list[str]:
    width = max((len(n) for n in server.urls), default=0)
    return [f"  {name:<{width}}  {url}" for name, url in server.urls.items()]


def run_serve(workspace: Any, args: argparse.Namespace) -> Any:
    """Serve the connector's webhooks (see the module docstring)."""
    from ..webhooks.receiver import ReceiverServer

    if args.stop:
        workspace.say("Webhook receiver stopped." if stop_receiver(workspace) else
                      "No webhook receiver is running.")
        return None
    connector = workspace.require()
    if not connector.webhooks:
        raise usage_error(f"Connector {connector.name!r} has no webhooks to receive; add "
                          "one with webhook add first.", ("webhook", "serve"))
    if workspace.background:
        stop_receiver(workspace)
    server = ReceiverServer(connector, event_log=args.event_log,
                            default_log=_default_log(workspace), port=args.port or 0,
                            host=args.host, public_url=args.public_url,
                            max_body=args.max_body)
    notes = [] if server.log.durable else [
        f"The event log at {server.log.location} is not durable as configured (Redis needs "
        "appendonly yes and appendfsync always); acknowledged events may be lost in a crash."]
    notes += [w for hook in connector.webhooks for w in hook.warnings]
    if workspace.background:
        server.start()
        setattr(workspace, RECEIVER_ATTR, server)
        if not getattr(workspace, "_webhook_atexit", False):
            import atexit

            atexit.register(stop_receiver, workspace)
            workspace._webhook_atexit = True
        for note in notes:
            workspace.say(note)
        workspace.say(f"Receiving webhooks of {connector.name!r} at {server.url} (event log: "
                      f"{server.log.location}; webhook serve --stop stops it):")
        for line in _urls_text(server):
            workspace.say(line)
        return server
    for note in notes:
        workspace.warn(note)

    def ready() -> None:
        workspace.say(f"Receiving webhooks of {connector.name!r} at {server.url} (event "
                      f"log: {server.log.location}; Ctrl-C stops it):")
        for line in _urls_text(server):
            workspace.say(line)

    server.serve_forever(ready=ready)
    return None


def run_events(workspace: Any, args: argparse.Namespace) -> Any:
    """The stored events of webhook NAME (or of all), oldest first."""
    from ..webhooks.events import list_events

    connector = workspace.require()
    log = args.event_log
    running = running_receiver(workspace)
    if log is None and running is not None:
        log = running.log
    elif log is None:
        from ..webhooks.receiver import remembered_log

        if remembered_log([w.token for w in connector.webhooks]) is None:
            log = _default_log(workspace)
    return list_events(connector, args.name, log=log, limit=args.limit)


def _events_text(events: Any, args: argparse.Namespace, workspace: Any) -> str:
    from ..webhooks.events import events_json, events_text

    return events_json(events) if args.json else events_text(events)


def _public_url(workspace: Any, args: argparse.Namespace) -> str:
    if args.public_url:
        return str(args.public_url)
    running = running_receiver(workspace)
    if running is None:
        raise usage_error("subscribe needs the receiver's URL as the third party must see "
                          "it; give the public URL, or start the receiver first (webhook "
                          "serve).", ("webhook", "subscribe"), option="public_url")
    return str(running.url)


def run_subscribe(workspace: Any, args: argparse.Namespace) -> Any:
    """Subscribe RESThook NAME with the third party and store the subscription id."""
    from ..webhooks.resthook import subscribe

    connector = workspace.require()
    base = _public_url(workspace, args)
    verify = workspace._verify_for(connector, args.connection)
    result = subscribe(connector, args.name, base, connection=args.connection, verify=verify)
    workspace.say(str(result))
    return result


def run_unsubscribe(workspace: Any, args: argparse.Namespace) -> Any:
    """Unsubscribe RESThook NAME and clear its stored subscription id."""
    from ..webhooks.resthook import unsubscribe

    connector = workspace.require()
    verify = workspace._verify_for(connector, args.connection)
    result = unsubscribe(connector, args.name, connection=args.connection, verify=verify)
    workspace.say(str(result))
    return result


def _max_body(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("must be a number of bytes") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1 byte")
    return value


_SERVE_ARGS = (
    Arg("port", ("--port",), "N", type=port_arg, default=0,
        help="the port (default 0: a free one, printed)"),
    Arg("host", ("--host",), "HOST", default="127.0.0.1",
        help="the address to listen on (default 127.0.0.1; 0.0.0.0 behind a load balancer)"),
    Arg("public_url", ("--public-url",), "URL",
        help="the base URL third parties use (a tunnel or proxy; default the server's own)"),
    Arg("event_log", ("--event-log",), "PATH|redis://HOST:PORT/N",
        help="where accepted events are stored: a SQLite file or a Redis stream (default "
             "webhook-events.sqlite in the package's folder)"),
    Arg("max_body", ("--max-body",), "BYTES", type=_max_body, default=MAX_WEBHOOK_BODY_BYTES,
        help=f"the largest body accepted, in bytes (default {MAX_WEBHOOK_BODY_BYTES}; "
             "larger: 413)"),
    Arg("stop", ("--stop",), switch=True,
        help="stop the receiver running in the background (notebook)"),
)
_SERVE_TEXT = ("Receive the connector's webhooks: one URL per webhook (its token in the "
               "path), the raw body read up to --max-body (413 beyond), URL validation "
               "challenges answered, signatures verified (401 bad or missing, or a stale "
               "timestamp; 400 malformed), and every accepted event stored durably in the "
               "event log before the 200; a redelivery is stored once. The notebook runs it "
               "in the background and shows the URLs (--stop stops it); the CLI serves until "
               "Ctrl-C.")
_CONNECTION = Arg("connection", ("--connection",), "NAME",
                  help="the test connection whose base URL and auth the call uses (default: "
                       "the default one)")

if "webhook" not in families():
    register(Family("webhook", "webhook add|list|show|remove|verify|detect|send|serve|events|"
                    "subscribe|unsubscribe ...", "incoming webhooks: define, verify, "
                    "receive and see events, subscribe RESThooks"))
register(Family("webhooks", "webhooks serve PKG --port N ...",
                "run the webhook receiver of an exported package (same as webhook serve)"))

register(
    Verb(("webhook", "serve"), "receive the connector's webhooks (notebook: in the background)",
         _SERVE_TEXT, run_serve,
         synopsis="webhook serve [--port N] [--public-url URL] [--event-log PATH|redis://...]",
         args=_SERVE_ARGS),
    Verb(("webhook", "events"), "list the received events (time, webhook, verified, body)",
         "List the events the receiver stored, oldest first: when each arrived (UTC), its "
         "webhook, whether its signature was verified, its delivery id and a body preview "
         "(--json: every field, headers with secrets masked, and the body).", run_events,
         text=_events_text, view="webhook-events",
         synopsis="webhook events [NAME] [--json] [--event-log PATH|redis://...]",
         args=(Arg("name", metavar="NAME", help="only this webhook's events"),
               Arg("json", ("--json",), switch=True, help="print the events as JSON"),
               Arg("limit", ("--limit",), "N", type=int,
                   help="only the newest N events"),
               Arg("event_log", ("--event-log",), "PATH|redis://HOST:PORT/N",
                   help="the event log to read (default: the running receiver's, else "
                        "webhook-events.sqlite in the package's folder)"))),
    Verb(("webhook", "subscribe"), "subscribe a RESThook with the third party",
         "Call the RESThook's subscribe endpoint through the test connection with the "
         "receiver's URL for this webhook at the callback field, and store the subscription "
         "id read from the response (the package keeps it).", run_subscribe, changes=True,
         synopsis="webhook subscribe NAME [--connection C] [--public-url URL]",
         args=(Arg("name", metavar="NAME", required=True, help="the RESThook webhook"),
               _CONNECTION,
               Arg("public_url", ("--public-url",), "URL",
                   help="the receiver's base URL as the third party must see it (default: "
                        "the receiver running in the background)"))),
    Verb(("webhook", "unsubscribe"), "unsubscribe a RESThook and forget its subscription id",
         "Call the RESThook's unsubscribe endpoint with the stored subscription id, then "
         "clear it.", run_unsubscribe, changes=True,
         synopsis="webhook unsubscribe NAME [--connection C]",
         args=(Arg("name", metavar="NAME", required=True, help="the RESThook webhook"),
               _CONNECTION)),
    Verb(("webhooks", "serve"), "run an exported package's webhook receiver (= webhook serve)",
         _SERVE_TEXT, run_serve,
         synopsis="webhooks serve [--port N] [--public-url URL] [--event-log PATH|redis://...]",
         args=_SERVE_ARGS),
)
