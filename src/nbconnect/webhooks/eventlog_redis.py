"""The Redis Streams event log, for several receiver processes or machines sharing one log.

``redis://HOST:PORT/N`` (``rediss://`` for TLS, a password in the URL's userinfo) names the
server and database. Events go to one stream, ``nbconnect:webhooks:<namespace>:events``
(XADD); a hash ``...:deliveries`` maps ``<webhook> <delivery id>`` to the stream entry, and
a Lua script does both at once (atomic on the server), so a redelivered event is stored
once even when two receivers get it at the same moment.

Durability is the server's: an acknowledged XADD survives a crash of Redis only with the
append-only file fsynced on every write (``appendonly yes``, ``appendfsync always``). The
log reads that configuration when it opens (``CONFIG GET``) and sets
:attr:`~nbconnect.webhooks.eventlog.EventLog.durable` to False when it is weaker (or cannot
be read), so the receiver can say so. Redis 7.2's ``WAITAOF`` is used when the server has
it and fsyncs less often.

redis-py is imported when a log is opened.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ..errors import EventLogError
from .eventlog import EventLog, StoredEvent

__all__ = ["RedisEventLog"]

# KEYS[1] the stream, KEYS[2] the deliveries hash; ARGV[1] the delivery key, then the fields
_APPEND = """
local seen = redis.call('HGET', KEYS[2], ARGV[1])
if seen then return {0, seen} end
local id = redis.call('XADD', KEYS[1], '*', unpack(ARGV, 2))
redis.call('HSET', KEYS[2], ARGV[1], id)
return {1, id}
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
        self._async_script: Any = None

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
    def _fields(event: StoredEvent) -> list[Any]:
        return ["webhook", event.webhook, "delivery_id", event.delivery_id,
                "received_at", repr(float(event.received_at)),
                "verified", "1" if event.verified else "0",
                "timestamp", "" if event.timestamp is None else str(int(event.timestamp)),
                "headers", event.headers_json(), "body", bytes(event.body)]

    @staticmethod
    def _key(event: StoredEvent) -> str:
        return f"{event.webhook} {event.delivery_id}"

    def _failed(self, exc: BaseException) -> EventLogError:
        return EventLogError(f"The Redis event log at {self.location} could not store an "
                             f"event ({type(exc).__name__}: {exc}); check the server.")

    def append(self, event: StoredEvent) -> bool:
        import redis

        try:
            stored, _ = self._script(keys=[self.stream, self.deliveries],
                                     args=[self._key(event), *self._fields(event)])
            if self._waitaof and stored:
                self._client.execute_command("WAITAOF", 1, 0, int(self._timeout * 1000))
        except redis.exceptions.RedisError as exc:
            raise self._failed(exc) from None
        return bool(int(stored))

    async def append_async(self, event: StoredEvent) -> bool:
        import redis
        import redis.asyncio as aioredis

        try:
            if self._async is None:
                pool = aioredis.BlockingConnectionPool.from_url(
                    self.url, max_connections=64, timeout=self._timeout,
                    socket_timeout=self._timeout, socket_connect_timeout=self._timeout)
                self._async = aioredis.Redis(connection_pool=pool)
                self._async_script = self._async.register_script(_APPEND)
            stored, _ = await self._async_script(keys=[self.stream, self.deliveries],
                                                 args=[self._key(event), *self._fields(event)])
            if self._waitaof and stored:
                await self._async.execute_command("WAITAOF", 1, 0, int(self._timeout * 1000))
        except redis.exceptions.RedisError as exc:
            raise self._failed(exc) from None
        return bool(int(stored))

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
    ts = _text(f.get("timestamp", b""))
    return StoredEvent(webhook=_text(f["webhook"]), delivery_id=_text(f["delivery_id"]),
                       received_at=float(_text(f["received_at"])),
                       verified=_text(f.get("verified", b"0")) == "1",
                       timestamp=int(ts) if ts else None,
                       headers=tuple((str(k), str(v))
                                     for k, v in json.loads(_text(f.get("headers", b"[]")))),
                       body=bytes(f.get("body", b"")), position=_text(entry_id))
