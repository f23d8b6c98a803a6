"""The webhook receiver: a starlette ASGI app with one route per webhook, and its server.

Each webhook of the connector gets the route :attr:`~nbconnect.model.webhook.Webhook.path`,
``/webhooks/<name>/<token>`` (the token is the unguessable part of a static URL; RESThooks
get the same kind of URL, which subscribe hands to the third party). A delivery goes
through these steps, in this order:

1. **Size** (RFC 9110 §15.5.14): a ``Content-Length`` over the limit (default 1 MB), or a
   streamed body that grows past it, is refused with 413 before anything is hashed.
2. **URL validation**: a challenge request is answered before the signature check by
   :func:`nbconnect.webhooks.challenge.answer_challenge` (which checks the signature of a
   challenge configured as signed, as Slack and Zoom send them). Challenges are answered,
   never stored.
3. **Signature**: :func:`nbconnect.webhooks.verify.verify_delivery` on the raw bytes and
   headers: 401 for a bad or missing signature or a stale timestamp, 400 for a malformed
   one (the verifier's status). A JSON body (``Content-Type: application/json`` or
   ``+json``) that does not parse, or is not UTF-8, is 400 (RFC 8259 §8.1).
4. **Storage**: the event goes to the event log, durably, and only then the 200 is sent.
   A redelivery (same webhook and delivery id) is answered 200 and stored once. The
   delivery id is the verifier's (the scheme's id header), else ``sha256:<hex of the
   body>``. If the log cannot store it the answer is 503, so the sender retries.

Rejected requests are never stored. Secrets are resolved once, when the app is built, from
the webhooks' references (:func:`nbconnect.auth.secrets.resolve`); a header that carries a
secret value (hash algorithm ``none``) is stored masked.

:class:`ReceiverServer` serves the app with :class:`nbconnect.serving.BackgroundServer`
(in the background, or in the foreground until Ctrl-C) and knows each webhook's URL,
under ``public_url`` when the third party reaches the receiver through a proxy or tunnel.
starlette and uvicorn are imported when an app is built.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..auth.secrets import MASK, Secret, register, resolve
from ..errors import EventLogError, ServerStartError
from ..limits import MAX_WEBHOOK_BODY_BYTES
from ..model import Connector
from ..model.webhook import Webhook
from .eventlog import EventLog, StoredEvent

__all__ = ["MAX_BODY_BYTES", "Receiver", "ReceiverServer", "build_app", "webhook_urls"]

#: the default size limit of a delivery's body, in bytes (:data:`nbconnect.limits.
#: MAX_WEBHOOK_BODY_BYTES`, 1 MB; this name stays importable)
MAX_BODY_BYTES = MAX_WEBHOOK_BODY_BYTES
_JSON = b'{"status":"%s"}'


@dataclass(frozen=True)
class _Hook:
    webhook: Webhook
    secret: Secret | None
    masked_headers: frozenset[str]
    verify: Callable[..., Any]  # a prepared Verifier: (headers, body, now) -> Verification
    check: str | None  # the secret value a stored header value is masked for holding


def _resolve_secret(webhook: Webhook) -> Secret | None:
    sig = webhook.signature
    if sig is None or sig.secret is None:
        return None
    if isinstance(sig.secret, Secret):
        register(sig.secret.reveal())
        return sig.secret
    return resolve(sig.secret, connection=f"webhook {webhook.name}", field="secret")


def webhook_urls(connector: Connector, base_url: str) -> dict[str, str]:
    """``{webhook name: base_url + its path}`` for every webhook of ``connector``."""
    base = base_url.rstrip("/")
    return {w.name: base + w.path for w in connector.webhooks}


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


class _Headers(Mapping[str, str]):
    """A request's headers, read once: case-insensitive ``[name]``/``get`` (the first
    value) and ``getlist`` (every value, so the verifier sees duplicated headers)."""

    __slots__ = ("_all", "pairs")

    def __init__(self, raw: list[tuple[bytes, bytes]]) -> None:
        # ASGI gives lower-case names (uvicorn does; the spec asks servers to); decoded once
        pairs = [(k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in raw]
        found: dict[str, list[str]] = {}
        for k, v in pairs:
            if k in found:
                found[k].append(v)
            else:
                found[k] = [v]
        self.pairs = pairs
        self._all = found

    def getlist(self, name: str) -> list[str]:
        return list(self._all.get(name.lower(), ()))

    def first(self, lower_name: str) -> str | None:
        """The first value of a header given by its lower-case name, or None."""
        values = self._all.get(lower_name)
        return values[0] if values else None

    def __getitem__(self, name: str) -> str:
        return self._all[name.lower()][0]

    def get(self, name: str, default: Any = None) -> Any:
        values = self._all.get(name.lower())
        return values[0] if values else default

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._all

    def __iter__(self) -> Any:
        return iter(self._all)

    def __len__(self) -> int:
        return len(self._all)


def _start(status: int, content_type: bytes, length: int,
           extra: tuple[tuple[bytes, bytes], ...] = ()) -> dict[str, Any]:
    return {"type": "http.response.start", "status": status,
            "headers": [(b"content-type", content_type),
                        (b"content-length", str(length).encode("ascii")), *extra]}


async def _answer(send: Any, status: int, state: str,
                  extra: tuple[tuple[bytes, bytes], ...] = ()) -> None:
    body = _JSON % state.encode("ascii", errors="replace")
    await send(_start(status, b"application/json", len(body), extra))
    await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    pass


class _Endpoint:
    """The raw ASGI endpoint of one webhook (starlette routes to it)."""

    def __init__(self, receiver: Receiver, hook: _Hook) -> None:
        self.receiver = receiver
        self.hook = hook

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        await self.receiver.handle(self.hook, scope, receive, send)


#: the methods a webhook URL answers (starlette's route adds HEAD and answers 405 to others)
_METHODS = frozenset({"GET", "POST", "PUT"})


class _App:
    """The receiver's ASGI app: a request whose path is exactly a webhook's URL goes
    straight to :meth:`Receiver.handle` (one dict lookup); everything else (lifespan,
    404, 405, HEAD, a trailing slash) goes to the starlette app with the same routes, so
    the answers are starlette's. This skips starlette's middleware stack and route regexes
    on the hot path (about a tenth of the receiver's CPU per event)."""

    __slots__ = ("hooks", "receiver", "starlette")

    def __init__(self, receiver: Receiver, hooks: dict[str, _Hook], starlette: Any) -> None:
        self.receiver, self.hooks, self.starlette = receiver, hooks, starlette

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and not scope.get("root_path"):
            hook = self.hooks.get(scope["path"])
            if hook is not None and scope["method"] in _METHODS:
                await self.receiver.handle(hook, scope, receive, send)
                return
        await self.starlette(scope, receive, send)


class Receiver:
    """The receiving logic of one connector's webhooks, over one event log.

    ``app`` is the ASGI application (a direct dispatch to each webhook's URL in front of a
    starlette app with the same routes). ``on_event(stored_event, new)`` is called after
    each accepted delivery is stored (the notebook's live table listens there); an
    exception in it is ignored. ``max_body`` is in bytes.
    """

    def __init__(self, connector: Connector, log: EventLog, *, max_body: int = MAX_BODY_BYTES,
                 clock: Callable[[], float] = time.time,
                 on_event: Callable[[StoredEvent, bool], None] | None = None) -> None:
        if not isinstance(max_body, int) or isinstance(max_body, bool) or max_body < 1:
            raise ServerStartError("The webhook receiver's body size limit must be a positive "
                                   "number of bytes (default 1000000).", option="max_body")
        self.connector = connector
        self.log = log
        self.max_body = max_body
        self.clock = clock
        self.on_event = on_event
        from .verify import Verifier

        self._hooks: dict[str, _Hook] = {}
        for webhook in connector.webhooks:
            secret = _resolve_secret(webhook)
            masked: frozenset[str] = frozenset()
            sig = webhook.signature
            if sig is not None and sig.algorithm == "none":
                masked = frozenset({sig.header.lower()})
            value = secret.reveal() if secret is not None else None
            check = value if value and len(value) >= 4 else None
            self._hooks[webhook.path] = _Hook(webhook, secret, masked,
                                              Verifier(webhook, secret), check)
        self.app = self._build()

    # -- the app ---------------------------------------------------------------------

    def _build(self) -> Any:
        from starlette.applications import Starlette
        from starlette.routing import Route

        from .challenge import answer_challenge

        self._challenge = answer_challenge
        routes = [Route(path, _Endpoint(self, hook), methods=["GET", "POST", "PUT"])
                  for path, hook in self._hooks.items()]

        @contextlib.asynccontextmanager
        async def lifespan(app: Any) -> Any:
            yield
            with contextlib.suppress(Exception):
                await self.log.aclose()

        return _App(self, self._hooks, Starlette(routes=routes, lifespan=lifespan))

    async def _read_body(self, headers: _Headers, receive: Any) -> bytes:
        """The raw body; :class:`_TooLarge` as soon as it is over the limit (declared or
        streamed), before anything is hashed."""
        declared = headers.first("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body:
            raise _TooLarge
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                raise _TooLarge  # the client went away: nothing to store
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                raise _TooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    async def handle(self, hook: _Hook, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Answer one request to ``hook``'s URL (see the module docstring for the steps)."""
        webhook = hook.webhook
        headers = _Headers(scope["headers"])
        try:
            body = await self._read_body(headers, receive)
        except _TooLarge:
            await _answer(send, 413, "body too large", ((b"connection", b"close"),))
            return
        now = self.clock()
        if webhook.challenge is not None:
            from urllib.parse import parse_qsl

            query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"),
                                   keep_blank_values=True))
            # a signed challenge (Slack, Zoom) is verified inside answer_challenge first
            answer = self._challenge(webhook, headers=headers, body=body, query=query,
                                     secret=hook.secret, now=now)
            if answer is not None:
                status, content_type, content = answer
                if status >= 400:  # refused like any other request: JSON, no computed value
                    await _answer(send, status, content.decode("ascii", errors="replace"))
                    return
                await send(_start(status, content_type.encode("latin-1"), len(content)))
                await send({"type": "http.response.body", "body": content})
                return
        if scope["method"] == "GET":
            await _answer(send, 405, "send events with POST", ((b"allow", b"POST"),))
            return
        verification = hook.verify(headers, body, now)
        if not verification.ok:
            status = verification.status if verification.status in (400, 401) else 401
            await _answer(send, status, verification.public_reason)
            return
        if _is_json(headers.first("content-type") or ""):
            try:
                json.loads(body)  # bytes: UTF-8 (RFC 8259 §8.1); bad bytes raise too
            except ValueError:  # UnicodeDecodeError is a ValueError
                await _answer(send, 400, "malformed JSON body")
                return
        delivery = verification.delivery_id or "sha256:" + hashlib.sha256(body).hexdigest()
        event = StoredEvent(webhook=webhook.name, delivery_id=str(delivery), received_at=now,
                            verified=verification.verified,
                            headers=self._stored_headers(hook, headers),
                            body=body, timestamp=verification.timestamp)
        try:
            new = await self.log.append_async(event)
        except EventLogError:
            await _answer(send, 503, "not stored, retry", ((b"retry-after", b"1"),))
            return
        if self.on_event is not None:
            with contextlib.suppress(Exception):
                self.on_event(event, new)
        await _answer(send, 200, "stored" if new else "duplicate")

    @staticmethod
    def _stored_headers(hook: _Hook, headers: _Headers) -> tuple[tuple[str, str], ...]:
        check, masked = hook.check, hook.masked_headers
        if check is None and not masked:
            return tuple(headers.pairs)
        return tuple((name, MASK if name in masked or (check is not None and check in value)
                      else value) for name, value in headers.pairs)


def build_app(connector: Connector, log: EventLog, **options: Any) -> Any:
    """The receiver's ASGI app for ``connector``'s webhooks over ``log`` (options: see
    :class:`Receiver`). Raises :class:`~nbconnect.errors.SecretError` when a webhook's
    secret reference cannot be resolved."""
    return Receiver(connector, log, **options).app


class ReceiverServer:
    """The receiver of ``connector``'s webhooks on uvicorn, via ``BackgroundServer``.

    ``event_log`` is an :class:`~nbconnect.webhooks.eventlog.EventLog`, a path or a
    ``redis://`` URL (see :func:`~nbconnect.webhooks.eventlog.open_event_log`; None: the
    ``default_log`` path). ``public_url``: the base URL third parties use (default: the
    server's own ``http://127.0.0.1:PORT``). Use :meth:`start`/:meth:`stop`, ``with``, or
    :meth:`serve_forever`.
    """

    def __init__(self, connector: Connector, *, event_log: Any = None,
                 default_log: Any = None, port: int = 0, host: str = "127.0.0.1",
                 public_url: str | None = None, tls: bool = False,
                 max_body: int = MAX_BODY_BYTES,
                 on_event: Callable[[StoredEvent, bool], None] | None = None) -> None:
        from ..serving import BackgroundServer
        from .eventlog import open_event_log

        self.connector = connector
        self.public_url = public_url.rstrip("/") if public_url else None
        self.log = open_event_log(event_log, default=default_log,
                                  namespace=connector.name)
        try:
            self.receiver = Receiver(connector, self.log, max_body=max_body,
                                     on_event=on_event)
            self.server = BackgroundServer(self.receiver.app, host=host, port=port, tls=tls,
                                           name="webhook receiver")
        except BaseException:
            self.log.close()
            raise
        _remember(connector, self.log)

    @property
    def running(self) -> bool:
        return self.server.running

    @property
    def url(self) -> str:
        """The base URL third parties use (``public_url``, else the server's)."""
        return self.public_url or self.server.root_url

    @property
    def urls(self) -> dict[str, str]:
        """``{webhook name: URL}`` (each URL holds the webhook's secret token)."""
        return webhook_urls(self.connector, self.url)

    def start(self, timeout: float = 30.0) -> str:
        """Serve in the background; returns :attr:`url`."""
        self.server.start(timeout=timeout)
        return self.url

    def stop(self) -> None:
        """Stop serving and close the log (safe to call twice)."""
        self.server.stop()
        self.log.close()

    def serve_forever(self, *, ready: Callable[[], None] | None = None) -> None:
        """Serve in this thread until Ctrl-C, then close the log."""
        try:
            self.server.serve_forever(ready=ready)
        finally:
            self.log.close()

    def __enter__(self) -> ReceiverServer:
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return (f"ReceiverServer({self.connector.name!r}, webhooks={len(self.connector.webhooks)}, "
                f"{state})")


# the event log of the receiver last started for a webhook token, so that
# ``connector.webhooks.events(name)`` finds the events without being told where they are
_LOGS: dict[str, tuple[str, str]] = {}


def _remember(connector: Connector, log: EventLog) -> None:
    where = getattr(log, "url", None) or log.location
    for webhook in connector.webhooks:
        _LOGS[webhook.token] = (where, connector.name)


def remembered_log(tokens: list[str]) -> tuple[str, str] | None:
    """(event log location, Redis namespace) of the last receiver started in this process
    that served one of the webhook ``tokens``, or None."""
    for token in tokens:
        if token in _LOGS:
            return _LOGS[token]
    return None
