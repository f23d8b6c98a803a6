"""The Redis Streams event log, for several receiver processes or machines sharing one log.

``redis://HOST:PORT/N`` (``rediss://`` for TLS, a password in the URL's userinfo) names the
server and database. Events go to one stream, ``nbconnect:webhooks:<namespace>:events``
(XADD; fields ``webhook``, ``delivery_id``, ``meta`` (JSON: received at, verified,
timestamp, headers) and ``body``); a hash ``...:deliveries`` maps ``<webhook> <delivery id>``
to the stream entry, and a Lua script does both at once (atomic on the server), so a
redelivered event is stored once even when two receivers get it at the same moment. From
the receiver's event loop, concurrent appends go out together in one pipeline (one round
trip: one script call stores the batch, so Redis writes and fsyncs the AOF once for it; up
to four batches in flight); each caller is answered with its own event's result.

Durability is the server's: an acknowledged XADD survives a crash of Redis only with the
append-only file fsynced on every write (``appendonly yes``, ``appendfsync always``). The
log reads that configuration when it opens (``CONFIG GET``) and sets
:attr:`~nbconnect.webhooks.eventlog.EventLog.durable` to False when it is weaker (or cannot
be read), so the receiver can say so. Redis 7.2's ``WAITAOF`` is used when the server has
it and fsyncs less often.

redis-py is imported when a log is opened.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ..errors import EventLogError
from .eventlog import EventLog, StoredEvent

__all__ = ["RedisEventLog"]

#: pipelines in flight at once from one receiver (each takes every append waiting)
_PIPELINES = 4
#: events one script call stores at most
_BATCH = 256

# KEYS[1] the stream, KEYS[2] the deliveries hash; ARGV: per event five values (the delivery
# key, webhook, delivery id, meta, body); returns 1 (stored) or 0 (a redelivery) per event
_APPEND = """
local out = {}
for i = 1, #ARGV, 5 do
  if redis.call('HEXISTS', KEYS[2], ARGV[i]) == 1 then
    out[#out + 1] = 0
  else
    local id = redis.call('XADD', KEYS[1], '*', 'webhook', ARGV[i + 1],
                          'delivery_id', ARGV[i + 2], 'meta', ARGV[i + 3], 'body', ARGV[i + 4])
    redis.call('HSET', KEYS[2], ARGV[i], id)
    out[#out + 1] = 1
  end
end
return out
"""


def _shown(url: str) -> str:
    """The URL without its userinfo (a password never shows)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


class RedisEventLog(EventLog):
    """Events in a Redis stream; idempotent by ``(webhook, delivery id)``."""

    def __init__(self, url: str, *, namespace: str = "default", timeout: float = 10.0) -> None:
        import redis

        self.url = url
        self.location = _shown(url)
        prefix = f"nbconnect:webhooks:{namespace}"
        self.stream = f"{prefix}:events"
        self.deliveries = f"{prefix}:deliveries"
        self._timeout = timeout
        try:
            self._client = redis.Redis.from_url(url, socket_timeout=timeout,
                                                socket_connect_timeout=timeout)
            self._client.ping()
        except (redis.exceptions.RedisError, ValueError, OSError) as exc:
            raise EventLogError(f"The Redis event log at {self.location} cannot be reached "
                                f"({type(exc).__name__}); start the server or fix the URL.",
                                option="event_log") from None
        self._script = self._client.register_script(_APPEND)
        self.durable, self._waitaof = self._durability()
        self._async: Any = None
        self._pending: list[tuple[StoredEvent, asyncio.Future[bool]]] = []
        self._sha: str | None = None
        self._flushers: set[asyncio.Task[None]] = set()

    def _durability(self) -> tuple[bool, bool]:
        """(an acknowledged write survives a Redis crash, use WAITAOF)."""
        import redis

        try:
            conf = self._client.config_get("append*")
            version = str(self._client.info("server").get("redis_version", "0"))
        except redis.exceptions.RedisError:
            return False, False
        conf = {_text(k): _text(v) for k, v in conf.items()}
        aof = conf.get("appendonly") == "yes"
        fsync = conf.get("appendfsync", "")
        major_minor = tuple(int(p) for p in version.split(".")[:2] if p.isdigit())
        waitaof = aof and fsync != "always" and major_minor >= (7, 2)
        return aof and (fsync == "always" or waitaof), waitaof

    # -- writing ---------------------------------------------------------------------

    @staticmethod
    def _args(events: list[StoredEvent]) -> list[Any]:
        """The script's ARGV for ``events``: five values each."""
        out: list[Any] = []
        for e in events:
            meta = json.dumps([e.received_at, int(e.verified), e.timestamp,
                               [list(h) for h in e.headers]], separators=(",", ":"))
            out += [f"{e.webhook} {e.delivery_id}", e.webhook, e.delivery_id, meta,
                    bytes(e.body)]
        return out

    def _failed(self, exc: BaseException) -> EventLogError:
        return EventLogError(f"The Redis event log at {self.location} could not store an "
                             f"event ({type(exc).__name__}: {exc}); check the server.")

    def append(self, event: StoredEvent) -> bool:
        import redis

        try:
            (stored,) = self._script(keys=[self.stream, self.deliveries],
                                     args=self._args([event]))
            if self._waitaof and stored:
                self._client.execute_command("WAITAOF", 1, 0, int(self._timeout * 1000))
        except redis.exceptions.RedisError as exc:
            raise self._failed(exc) from None
        return bool(int(stored))

    async def append_async(self, event: StoredEvent) -> bool:
        """:meth:`append` from an event loop. Concurrent calls are sent together, one
        pipeline per round trip (Redis then fsyncs them with one write), and each caller is
        answered when its own entry is acknowledged."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[bool] = loop.create_future()
        self._pending.append((event, future))
        self._flushers = {t for t in self._flushers if not t.done()}
        if len(self._flushers) < _PIPELINES:
            self._flushers.add(loop.create_task(self._flush()))
        return await future

    async def _flush(self) -> None:
        import redis
        import redis.asyncio as aioredis

        if self._async is None:  # made in the loop that uses it
            pool = aioredis.BlockingConnectionPool.from_url(
                self.url, max_connections=_PIPELINES + 1, timeout=self._timeout,
                socket_timeout=self._timeout, socket_connect_timeout=self._timeout)
            self._async = aioredis.Redis(connection_pool=pool)
        while self._pending:
            batch, self._pending = self._pending[:_BATCH], self._pending[_BATCH:]
            try:
                replies = await self._send(batch)
                if isinstance(replies[0], redis.exceptions.NoScriptError):
                    self._sha = None  # the server restarted and forgot the script
                    replies = await self._send(batch)
            except (redis.exceptions.RedisError, OSError) as exc:
                error = self._failed(exc)
                for _, future in batch:
                    if not future.done():
                        future.set_exception(error)
                continue
            reply = replies[0]
            for i, (_, future) in enumerate(batch):
                if future.done():
                    continue
                if isinstance(reply, Exception):
                    future.set_exception(self._failed(reply))
                else:
                    future.set_result(bool(int(reply[i])))

    async def _send(self, batch: list[tuple[StoredEvent, Any]]) -> list[Any]:
        """One round trip: the append script for the whole batch (then WAITAOF when used);
        the replies, errors as values."""
        if self._sha is None:
            self._sha = await self._async.script_load(_APPEND)
        pipe = self._async.pipeline(transaction=False)
        pipe.evalsha(self._sha, 2, self.stream, self.deliveries,
                     *self._args([e for e, _ in batch]))
        if self._waitaof:
            pipe.execute_command("WAITAOF", 1, 0, int(self._timeout * 1000))
        return list(await pipe.execute(raise_on_error=False))

    # -- reading ---------------------------------------------------------------------

    def _read(self) -> list[StoredEvent]:
        import redis

        try:
            entries = self._client.xrange(self.stream)
        except redis.exceptions.RedisError as exc:
            raise EventLogError(f"The Redis event log at {self.location} cannot be read "
                                f"({type(exc).__name__}); check the server.",
                                option="event_log") from None
        return [_event(entry_id, fields) for entry_id, fields in entries]

    def events(self, webhook: str | None = None, *, limit: int | None = None) -> list[StoredEvent]:
        found = [e for e in self._read() if webhook is None or e.webhook == webhook]
        if limit is None:
            return found
        return found[-limit:] if limit > 0 else []

    def get(self, webhook: str, delivery_id: str) -> StoredEvent | None:
        import redis

        try:
            entry = self._client.hget(self.deliveries, f"{webhook} {delivery_id}")
            if entry is None:
                return None
            found = self._client.xrange(self.stream, entry, entry)
        except redis.exceptions.RedisError as exc:
            raise EventLogError(f"The Redis event log at {self.location} cannot be read "
                                f"({type(exc).__name__}); check the server.") from None
        return _event(*found[0]) if found else None

    def count(self, webhook: str | None = None) -> int:
        if webhook is None:
            return int(self._client.xlen(self.stream))
        return len(self.events(webhook))

    async def aclose(self) -> None:
        client, self._async = self._async, None
        if client is not None:
            with contextlib.suppress(Exception):
                await client.aclose()
        self.close()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._client.close()


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _event(entry_id: Any, fields: dict[Any, Any]) -> StoredEvent:
    f = {_text(k): v for k, v in fields.items()}
    received, verified, ts, headers = json.loads(_text(f["meta"]))
    return StoredEvent(webhook=_text(f["webhook"]), delivery_id=_text(f["delivery_id"]),
                       received_at=float(received), verified=bool(verified),
                       timestamp=None if ts is None else int(ts),
                       headers=tuple((str(k), str(v)) for k, v in headers),
                       body=bytes(f.get("body", b"")), position=_text(entry_id))
