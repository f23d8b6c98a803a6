"""The webhook definition verbs: ``webhook add`` (flags, a preset, or YAML: ``%%connect
webhook``), ``list``, ``show``, ``remove``; the signature calculator ``webhook verify``;
``webhook detect`` (the scheme of one captured delivery); and ``webhook send`` (the
simulator: signs an event as the third party would and posts it).

The receiver verbs (``webhook serve``, ``events``, ``subscribe``, ``unsubscribe``) live in
their own module. Secret values are read through their references at the moment they are
needed and never printed.
"""

from __future__ import annotations

import argparse
import json
import shlex
from pathlib import Path
from typing import Any

from ..model.webhook import (
    ALGORITHMS,
    CHALLENGE_RESPONSES,
    CHALLENGE_SOURCES,
    ENCODINGS,
    SECRET_FORMATS,
    WEBHOOK_TYPES,
    Webhook,
)
from .table import Arg, Family, Verb, register, usage_error

__all__ = ["read_delivery", "resolve_webhook_secret", "send_event", "webhook_json",
           "webhook_text"]

_PRESETS = ("standard-webhooks", "github", "stripe", "slack", "zoom", "shopify")


def _arrow(workspace: Any) -> str:
    written = workspace.written
    return f" -> {written}" if written is not None else ""


def resolve_webhook_secret(webhook: Webhook, ref: str | None = None) -> Any:
    """The webhook's secret as a :class:`~nbconnect.auth.secrets.Secret`, from ``ref`` or
    the signature's reference (``NBCONNECT_SECRET_WEBHOOK_<NAME>_SECRET`` wins over a
    keyring or prompt reference). Raises SecretError when there is none."""
    from ..auth.secrets import resolve
    from ..errors import SecretError

    sig = webhook.signature
    chosen = ref if ref is not None else (sig.secret if sig is not None else None)
    if chosen is None:
        raise SecretError(f"Webhook {webhook.name!r} has no secret reference; give one such "
                          "as env:WEBHOOK_SECRET.", option="secret")
    return resolve(chosen, connection=f"webhook_{webhook.name}", field="secret")


def read_delivery(headers_path: str, body_path: str, verb: tuple[str, ...]
                  ) -> tuple[list[tuple[str, str]], bytes]:
    """(header pairs, raw body bytes) of a captured delivery: the headers file is a JSON
    object ``{name: value}`` (a list value repeats the header) or a list of ``[name,
    value]`` pairs; the body file is read as bytes, unchanged."""
    try:
        raw = Path(headers_path).expanduser().read_text(encoding="utf-8")
        body = Path(body_path).expanduser().read_bytes()
    except (OSError, UnicodeDecodeError) as exc:
        what = getattr(exc, "filename", None) or headers_path
        raise usage_error(f"The file {what} could not be read ({type(exc).__name__}); check "
                          "the path.", verb) from None
    try:
        data = json.loads(raw)
    except ValueError:
        data = None
    pairs: list[tuple[str, str]] = []
    if isinstance(data, dict):
        for k, v in data.items():
            for item in v if isinstance(v, list) else [v]:
                pairs.append((str(k), str(item)))
    elif isinstance(data, list) and all(isinstance(p, list) and len(p) == 2 for p in data):
        pairs = [(str(k), str(v)) for k, v in data]
    else:
        raise usage_error(f"The headers file {headers_path} must be a JSON object of header "
                          "names to values (or a list of [name, value] pairs).", verb,
                          option="headers")
    return pairs, body


def _now(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("give Unix seconds, such as 1700000000") from None
    if not 0 <= value < 10**11:
        raise argparse.ArgumentTypeError("give Unix seconds, such as 1700000000")
    return value


def _tolerance(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError("give whole seconds, such as 300")
    return int(text)


# --------------------------------------------------------------------------- add & co


_SIG_ARGS = ("key", "prefix", "algorithm", "encoding", "secret_format", "signed",
             "signature_prefix", "separator", "timestamp_header", "timestamp_prefix",
             "tolerance", "id_header")


def run_add(workspace: Any, args: argparse.Namespace) -> Webhook:
    """Add (or with --replace, replace) a webhook from flags or a YAML body."""
    from ..webhooks.define import add_webhook, build_webhook, options_from_mapping

    connector = workspace.require()
    if args.definition is not None:
        from .auth import load_yaml

        options = options_from_mapping(load_yaml(args.definition, "webhook",
                                                 "such as name: orders, preset: github",
                                                 ("webhook", "add")))
        if args.name and "name" not in options:
            options["name"] = args.name
    else:
        options = {k: getattr(args, k) for k in (
            "name", "type", "description", "preset", "secret", "challenge_key",
            "challenge_source", "challenge_response", "subscribe", "unsubscribe",
            "callback_field", "subscription_id_path", *_SIG_ARGS)}
        options["challenge_signed"] = True if args.challenge_signed else None
    name = options.pop("name", None)
    if not name:
        raise usage_error("the following arguments are required: NAME", ("webhook", "add"))
    options = {k: v for k, v in options.items() if v is not None}
    hook = build_webhook(str(name), **options)
    hook = add_webhook(connector, hook, replace=args.replace)
    for line in hook.warnings:
        workspace.warn(line)
    return hook


def run_remove(workspace: Any, args: argparse.Namespace) -> Webhook:
    """Remove the webhook NAME."""
    from ..webhooks.define import remove_webhook

    return remove_webhook(workspace.require(), args.name)


def webhook_json(hook: Webhook) -> dict[str, Any]:
    """A webhook as ``show --json`` prints it: its definition plus its receiver ``path``."""
    return {**hook.to_dict(), "path": hook.path}


def webhook_text(hook: Webhook) -> str:
    """A webhook as a few lines of text (secret shown as its reference only)."""
    lines = [f"webhook {hook.name} ({hook.type}{', preset ' + hook.preset if hook.preset else ''})"]
    if hook.description:
        lines.append(f"  {hook.description}")
    lines.append(f"  receiver path: {hook.path}")
    sig = hook.signature
    if sig is None:
        lines.append("  signature: none (deliveries are not authenticated)")
    else:
        lines.append(f"  signature: header {sig.header}, {sig.algorithm}, {sig.encoding}, "
                     f"signed {sig.signed}, secret {sig.secret or '(not set)'}")
        extra = [f"{k} {v!r}" for k, v in (("value prefix", sig.signature_prefix),
                                            ("separator", sig.separator),
                                            ("timestamp header", sig.timestamp_header),
                                            ("id header", sig.id_header)) if v]
        if sig.timestamp_header:
            extra.append(f"tolerance {sig.tolerance} s")
        if extra:
            lines.append("    " + ", ".join(extra))
    ch = hook.challenge
    if ch is not None:
        lines.append(f"  URL validation: {ch.source} {ch.key!r}, answer {ch.response}"
                     f"{', signed' if ch.signed else ''}")
    rh = hook.resthook
    if rh is not None:
        state = f"subscribed as {rh.subscription_id}" if rh.subscription_id else \
            "not subscribed"
        lines.append(f"  RESThook: subscribe {rh.subscribe}, unsubscribe {rh.unsubscribe}, "
                     f"callback field {rh.callback_field}, id at {rh.subscription_id_path} "
                     f"({state})")
    lines += [f"  warning: {w}" for w in hook.warnings]
    return "\n".join(lines)


def _add_text(hook: Webhook, args: argparse.Namespace, workspace: Any) -> str:
    return (f"webhook {hook.name} ({hook.type}) added to {workspace.connector.name}"
            f"{_arrow(workspace)}; receiver path {hook.path}")


def _list_text(hooks: Any, args: argparse.Namespace, workspace: Any) -> str:
    if args.json:
        return json.dumps([webhook_json(h) for h in hooks], indent=2, ensure_ascii=False)
    if not hooks:
        return "no webhooks"
    rows = [("NAME", "TYPE", "SIGNATURE", "CHALLENGE")]
    for h in hooks:
        sig = h.signature
        signed = f"{sig.header} ({h.preset or sig.algorithm})" if sig else "none"
        rows.append((h.name, h.type, signed, h.challenge.response if h.challenge else "-"))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, [*widths, 0], strict=True)).rstrip()
                     for r in rows)


def _show_text(hook: Webhook, args: argparse.Namespace, workspace: Any) -> str:
    if args.json:
        return json.dumps(webhook_json(hook), indent=2, ensure_ascii=False)
    return webhook_text(hook)


# --------------------------------------------------------------------------- verify & detect


def run_verify(workspace: Any, args: argparse.Namespace) -> Any:
    """Check a captured delivery against the webhook NAME; returns the Verification."""
    from ..webhooks.verify import verify_delivery

    hook = workspace.require().webhooks[args.name]
    headers, body = read_delivery(args.headers, args.body, ("webhook", "verify"))
    secret = resolve_webhook_secret(hook, args.secret) if hook.signature else None
    return verify_delivery(hook, headers, body, secret=secret, now=args.now)


def run_detect(workspace: Any, args: argparse.Namespace) -> Any:
    """Find the signature scheme of a captured delivery; returns the Detection."""
    from ..auth.secrets import resolve
    from ..webhooks.detect import detect_scheme

    headers, body = read_delivery(args.headers, args.body, ("webhook", "detect"))
    secret = resolve(args.secret, connection="webhook_detect", field="secret")
    return detect_scheme(headers, body, secret=secret, now=args.now)


def detection_flags(detection: Any) -> str:
    """The ``webhook add`` flags of a found configuration (``--preset github``, ...)."""
    return " ".join(f"--{k.replace('_', '-')} {shlex.quote(str(v))}"
                    for k, v in detection.options().items())


def _detect_text(det: Any, args: argparse.Namespace, workspace: Any) -> str:
    if det.found:
        return (f"found: {detection_flags(det)}\n{det.note}\nadd it with: webhook add NAME "
                f"{detection_flags(det)} --secret {args.secret}")
    return "\n".join([det.note, "tried:", *(f"  {t}" for t in det.tried)])


# --------------------------------------------------------------------------- send


def send_event(hook: Webhook, url: str, body: bytes, *, secret: Any = None,
               now: float | None = None, delivery_id: str | None = None,
               headers: dict[str, str] | None = None, timeout: float = 30.0,
               verify: Any = True) -> Any:
    """Sign ``body`` as ``hook``'s third party would (:func:`~nbconnect.webhooks.signing.sign`)
    and POST it to ``url`` with ``Content-Type: application/json``; returns the
    ``httpx2.Response``. ``headers`` are added (not signed). Connection failures raise
    ``httpx2.HTTPError``."""
    import httpx2

    from ..webhooks.signing import sign

    sent = {"Content-Type": "application/json", **(headers or {})}
    if hook.signature is not None:
        sent.update(sign(hook, body, secret=secret, now=now, delivery_id=delivery_id))
    with httpx2.Client(timeout=timeout, verify=verify) as client:
        return client.post(url, content=body, headers=sent)


def run_send(workspace: Any, args: argparse.Namespace) -> Any:
    """Sign and post an event to URL; returns the response."""
    import httpx2

    from ..auth.secrets import redact_url
    from ..errors import WebhookDefinitionError

    hook = workspace.require().webhooks[args.name]
    if args.body.startswith("@"):
        body = Path(args.body[1:]).expanduser().read_bytes()
    else:
        try:
            json.loads(args.body)
        except ValueError:
            raise WebhookDefinitionError("The event body is not JSON; give a JSON text such "
                                         "as '{\"event\": \"ping\"}' or @FILE for raw bytes.",
                                         option="body") from None
        body = args.body.encode("utf-8")
    extra: dict[str, str] = {}
    for item in args.header:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise usage_error("--header takes NAME=VALUE.", ("webhook", "send"),
                              option="header")
        extra[key.strip()] = value
    url = args.url
    if url is None:
        # the receiver the notebook runs in the background (verbs/webhook_serve.py)
        receiver = getattr(workspace, "webhook_receiver", None)
        if receiver is None or not getattr(receiver, "running", False):
            raise usage_error("the following arguments are required: --url (no webhook "
                              "receiver is running here to send to)", ("webhook", "send"))
        url = receiver.urls[hook.name]
    secret = resolve_webhook_secret(hook, args.secret) if hook.signature else None
    try:
        response = send_event(hook, url, body, secret=secret, now=args.now,
                              delivery_id=args.id, headers=extra, timeout=args.timeout)
    except httpx2.HTTPError as exc:
        raise WebhookDefinitionError(f"The event could not be sent to {redact_url(url)} "
                                     f"({type(exc).__name__}); check that the receiver is "
                                     "running and the URL.", option="url") from None
    return response


def _send_text(response: Any, args: argparse.Namespace, workspace: Any) -> str:
    preview = response.text[:200].replace("\n", " ")
    return f"sent {args.name} -> {response.status_code} {response.reason_phrase}" + \
        (f": {preview}" if preview else "")


# --------------------------------------------------------------------------- table


_NAME = Arg("name", metavar="NAME", required=True, help="the webhook's name")
_SECRET = Arg("secret", ("--secret",), "REF", secret=True,
              help="a reference to the secret instead of the webhook's (env:NAME, "
                   "keyring:NAME, prompt)")
_NOW = Arg("now", ("--now",), "EPOCH", type=_now,
           help="the clock in Unix seconds (default: now), to check an old capture")
_HEADERS = Arg("headers", ("--headers",), "FILE.json", required=True,
               help="the delivery's headers: a JSON object (or [name, value] pairs)")
_BODY = Arg("body", ("--body",), "FILE", required=True,
            help="the delivery's raw body, byte for byte")

register(
    Family("webhook", "webhook add NAME [--preset P] [--secret REF] [OPTIONS]",
           "define incoming webhooks (also: list, show NAME, remove NAME, verify, detect, "
           "send)", cell_action="add",
           description="Incoming webhooks: definitions, signature checks, URL validation."),
    Verb(("webhook", "add"), "define an incoming webhook (no arguments: a form)",
         "Define an incoming webhook: static (a URL with an unguessable token) or resthook "
         "(subscribed through two endpoints), its signature check (a preset, or key, prefix, "
         "algorithm, encoding, signed content, ...; the secret as a reference) and URL "
         "validation (challenge key and response).", run_add, changes=True, text=_add_text,
         form="webhook", form_when=lambda a: not a.name and a.definition is None,
         cell_synopsis="%%connect webhook [NAME] [--replace]",
         cell_summary="define a webhook described in YAML in the cell body",
         args=(Arg("name", metavar="NAME", help="the webhook's name"),
               Arg("type", ("--type",), choices=WEBHOOK_TYPES, default="static",
                   help="static (default) or resthook"),
               Arg("description", ("--description",), "D", help="short description"),
               Arg("preset", ("--preset",), choices=_PRESETS,
                   help="fill the signature check (and URL validation) of a provider"),
               Arg("secret", ("--secret",), "REF", secret=True,
                   help="a reference to the signing secret (env:NAME, keyring:NAME, prompt)"),
               Arg("key", ("--key",), "HEADER", help="the signature header's label"),
               Arg("prefix", ("--prefix",), "P",
                   help="put before the key to make the header name (x- + zoom_signature)"),
               Arg("algorithm", ("--algorithm",), choices=ALGORITHMS,
                   help="none (the header equals the secret) or HMAC sha1/sha256/sha512"),
               Arg("encoding", ("--encoding",), choices=ENCODINGS, help="hex, base64, base64url"),
               Arg("secret_format", ("--secret-format",), choices=SECRET_FORMATS,
                   help="text (default; Stripe) or base64 after whsec_ (Standard Webhooks)"),
               Arg("signed", ("--signed",), "TEMPLATE",
                   help="what is signed: {body} (default), or with {timestamp} and {id}"),
               Arg("signature_prefix", ("--signature-prefix",), "P",
                   help="before each signature in the header (sha256=, v1,)"),
               Arg("separator", ("--separator",), "C",
                   help="several signatures in one header, split by C"),
               Arg("timestamp_header", ("--timestamp-header",), "HEADER",
                   help="the header with the send time in Unix seconds"),
               Arg("timestamp_prefix", ("--timestamp-prefix",), "P",
                   help="the timestamp is the header item starting with P (t=)"),
               Arg("tolerance", ("--tolerance",), "S", type=_tolerance,
                   help="seconds a timestamp may be off, both ways (default 300)"),
               Arg("id_header", ("--id-header",), "HEADER",
                   help="the header with the delivery id"),
               Arg("challenge_key", ("--challenge-key",), "K",
                   help="URL validation: the challenge's label (a dotted JSON path)"),
               Arg("challenge_source", ("--challenge-source",), choices=CHALLENGE_SOURCES,
                   help="where the challenge is: body (default) or query"),
               Arg("challenge_response", ("--challenge-response",),
                   choices=CHALLENGE_RESPONSES, help="echo (default) or zoom"),
               Arg("challenge_signed", ("--challenge-signed",), switch=True,
                   help="answer only challenges that pass the signature check"),
               Arg("subscribe", ("--subscribe",), "ID", help="RESThook: subscribe endpoint"),
               Arg("unsubscribe", ("--unsubscribe",), "ID",
                   help="RESThook: unsubscribe endpoint"),
               Arg("callback_field", ("--callback-field",), "PATH",
                   help="RESThook: where the receiver URL goes in the subscribe body"),
               Arg("subscription_id_path", ("--subscription-id",), "PATH",
                   help="RESThook: where the subscription id is in the subscribe response"),
               Arg("definition", ("--yaml",), "FILE", yaml=True,
                   help="the webhook as YAML (%%connect webhook: the cell body)"),
               Arg("replace", ("--replace",), switch=True,
                   help="replace the webhook of that name if there is one"))),
    Verb(("webhook", "list"), "list the webhooks", "List the connector's webhooks.",
         lambda w, a: w.require().webhooks, text=_list_text,
         args=(Arg("json", ("--json",), switch=True, help="print JSON: a list of webhooks"),)),
    Verb(("webhook", "show"), "show one webhook", "Show the webhook NAME.",
         lambda w, a: w.require().webhooks[a.name], text=_show_text,
         args=(_NAME, Arg("json", ("--json",), switch=True, help="print it as JSON"))),
    Verb(("webhook", "remove"), "remove a webhook", "Remove the webhook NAME.",
         run_remove, changes=True, args=(_NAME,),
         text=lambda h, a, w: f"webhook {h.name} removed from {w.connector.name}{_arrow(w)}"),
    Verb(("webhook", "verify"), "check a captured delivery's signature",
         "Check a captured delivery (its headers as JSON, its raw body) against the webhook "
         "NAME: prints 'verified' (exit 0) or why not, expected vs received with secrets "
         "masked (exit 1).", run_verify, exit_code=lambda v: 0 if v.verified else 1,
         text=lambda v, a, w: v.reason,
         args=(_NAME, _HEADERS, _BODY, _NOW, _SECRET)),
    Verb(("webhook", "detect"), "find the signature scheme of a captured delivery",
         "Try every preset and the generic combinations (header, value prefix, algorithm, "
         "encoding, signed content, secret format) against one captured delivery: prints the "
         "configuration that verifies it (exit 0), or what was tried (exit 1).", run_detect,
         package="none", exit_code=lambda d: 0 if d.found else 1, text=_detect_text,
         args=(_HEADERS, _BODY, Arg("secret", ("--secret",), "REF", secret=True,
                                    required=True, help="a reference to the secret"), _NOW)),
    Verb(("webhook", "send"), "sign an event as the third party would and post it",
         "Sign a JSON event as the webhook's third party would (its signature scheme, a "
         "fresh timestamp and delivery id) and POST it to URL: the end-to-end check without "
         "the third party. Exit 0 on a 2xx answer, else 1.", run_send,
         exit_code=lambda r: 0 if 200 <= r.status_code < 300 else 1, text=_send_text,
         args=(_NAME, Arg("url", ("--url",), "URL",
                          help="where to post (default in a notebook: the running "
                               "receiver's URL for this webhook)"),
               Arg("body", ("--body",), "JSON", required=True,
                   help="the event as JSON text (@FILE: a file's raw bytes)"),
               Arg("header", ("--header",), "NAME=VALUE", repeatable=True,
                   help="an extra header (repeatable)"),
               Arg("id", ("--id",), "ID", help="the delivery id (default: a fresh one)"),
               Arg("timeout", ("--timeout",), "S", type=float, default=30.0,
                   help="seconds to wait for the answer (default 30)"), _NOW, _SECRET)),
)
