"""The RESThook lifecycle: subscribe the receiver's URL with the third party, unsubscribe it.

A RESThook webhook names two endpoints of the connector (see
:class:`~nbconnect.model.webhook.Resthook`). :func:`subscribe` calls the *subscribe*
endpoint through the test runner's request building and the connection's auth
(:func:`nbconnect.testing.request.build_request`, :func:`nbconnect.auth.flows.client_for`)
with the receiver's URL for this webhook placed at the ``callback_field`` path of the JSON
body (``target_url``, ``config.url``; parents are made as needed), reads the subscription
id at the ``subscription_id_path`` of the JSON response (``id``, ``data.id``; a number in a
list step picks an item) and stores it on the webhook. :func:`unsubscribe` calls the
*unsubscribe* endpoint with that id and clears it. The id goes where the endpoint takes
it: its path parameter named like the last step of ``subscription_id_path`` (or its only
path parameter), else a query or body parameter of that name, else a JSON body field at
that path.

The receiver URL is ``base_url + webhook.path``: ``base_url`` is where the third party
reaches the receiver (a public URL through a tunnel or proxy, or the local receiver's own).
A failed call raises :class:`~nbconnect.errors.SubscriptionError` and leaves the connector
as it was. Redirects are not followed (the runner's client), so the URL and credentials
never go to another host.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

from ..auth.secrets import redact
from ..errors import SubscriptionError, WebhookDefinitionError
from ..model import Connector
from ..model.webhook import Resthook, Webhook, Webhooks

__all__ = ["Subscription", "get_path", "set_path", "subscribe", "unsubscribe"]

_JSON = "application/json"


@dataclass(frozen=True)
class Subscription:
    """What a subscribe or unsubscribe call did: the webhook, the subscription id, the HTTP
    status of the call, and whether the webhook is now subscribed. The repr shows no URL
    (the URL holds the webhook's token)."""

    webhook: str
    subscription_id: str | None
    status: int
    subscribed: bool

    def __str__(self) -> str:
        if self.subscribed:
            return (f"Webhook {self.webhook!r} subscribed (subscription id "
                    f"{self.subscription_id}).")
        return f"Webhook {self.webhook!r} unsubscribed (subscription id {self.subscription_id})."


def _steps(path: str) -> list[str]:
    return [s for s in path.split(".") if s]


def get_path(data: Any, path: str) -> Any:
    """The value at dotted ``path`` in JSON ``data`` (a digit step indexes a list), or None."""
    for step in _steps(path):
        if isinstance(data, dict) and step in data:
            data = data[step]
        elif isinstance(data, list) and step.isdigit() and int(step) < len(data):
            data = data[int(step)]
        else:
            return None
    return data


def set_path(data: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """``data`` with ``value`` at dotted ``path`` (objects made along the way); a copy."""
    out = json.loads(json.dumps(data))
    node = out
    steps = _steps(path)
    for step in steps[:-1]:
        child = node.get(step)
        if not isinstance(child, dict):
            child = node[step] = {}
        node = child
    node[steps[-1]] = value
    return out


def _resthook(connector: Connector, name: str) -> tuple[Webhook, Resthook]:
    webhook = connector.webhooks[name]
    if webhook.type != "resthook" or webhook.resthook is None:
        raise WebhookDefinitionError(f"Webhook {name!r} is {webhook.type}, not a RESThook; "
                                     "only RESThooks are subscribed through endpoints.",
                                     option="name")
    return webhook, webhook.resthook


def _with_body(request: Any, body: dict[str, Any]) -> Any:
    import httpx2

    headers = {k: v for k, v in request.headers.items()
               if k.lower() not in ("content-length", "content-type")}
    headers["Content-Type"] = _JSON
    return httpx2.Request(request.method, request.url, headers=headers,
                          content=json.dumps(body, ensure_ascii=False).encode("utf-8"),
                          extensions=request.extensions)


def _json_body(request: Any) -> dict[str, Any] | None:
    """The request's JSON object body ({} when it has none), None for another body."""
    content = request.read()
    if not content:
        return {}
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != _JSON and not media.endswith("+json"):
        return None
    try:
        data = json.loads(content)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _send(connector: Connector, endpoint_id: str, values: dict[str, Any],
          body_path: tuple[str, Any] | None, *, connection: str | None, verify: Any,
          timeout: float, what: str) -> Any:
    """Build, send and return the response of one call; SubscriptionError on failure."""
    import httpx2

    from ..auth.flows import client_for, find_connection
    from ..testing.request import build_request

    endpoint = connector.endpoint(endpoint_id)
    base = None
    if connection is not None or connector.connections:
        base = find_connection(connector, connection).base_url
    request = build_request(connector, endpoint, values, base_url=base, timeout=timeout)
    if body_path is not None:
        body = _json_body(request)
        if body is not None and get_path(body, body_path[0]) != body_path[1]:
            request = _with_body(request, set_path(body, *body_path))
    try:
        with client_for(connector, connection, verify=verify, timeout=timeout) as client:
            response = client.send(request)
            response.read()
    except httpx2.HTTPError as exc:
        raise SubscriptionError(f"The {what} call to endpoint {endpoint_id!r} failed "
                                f"({type(exc).__name__}: {redact(str(exc))}); check the "
                                "connection's base URL and that the API is up.",
                                option="connection") from None
    return response


def _failed(what: str, endpoint_id: str, response: Any) -> SubscriptionError:
    text = " ".join(redact(response.text[:200]).split())
    return SubscriptionError(f"The {what} endpoint {endpoint_id!r} answered "
                             f"{response.status_code}{': ' + text if text else ''}; check "
                             "the connection's credentials and the endpoint's parameters.")


def subscribe(connector: Connector, name: str, base_url: str, *,
              connection: str | None = None, verify: Any = True,
              timeout: float = 10.0) -> Subscription:
    """Subscribe RESThook ``name``: send ``base_url + webhook.path`` to its subscribe
    endpoint and store the subscription id from the response on the connector's webhook.

    ``base_url``: where the third party reaches the receiver (``https://hooks.example.com``
    or the local receiver's ``http://127.0.0.1:PORT``); ``connection``: the test connection
    (default: the default one); ``verify``: TLS verification as for httpx2. Raises
    :class:`~nbconnect.errors.SubscriptionError` for a failed call or a response with no id
    at the configured path (the connector is unchanged),
    :class:`~nbconnect.errors.WebhookNotFoundError` /
    :class:`~nbconnect.errors.WebhookDefinitionError` for a name that is no RESThook.
    """
    webhook, hook = _resthook(connector, name)
    url = base_url.rstrip("/") + webhook.path
    response = _send(connector, hook.subscribe, {hook.callback_field: url},
                     (hook.callback_field, url), connection=connection, verify=verify,
                     timeout=timeout, what="subscribe")
    if not 200 <= response.status_code < 300:
        raise _failed("subscribe", hook.subscribe, response)
    try:
        found = get_path(response.json(), hook.subscription_id_path)
    except ValueError:
        found = None
    if found is None or isinstance(found, dict | list | bool) or str(found) == "":
        raise SubscriptionError(f"The subscribe endpoint {hook.subscribe!r} answered "
                                f"{response.status_code} but its JSON response has no "
                                f"subscription id at {hook.subscription_id_path!r}; set the "
                                "subscription id path to where the response keeps it.",
                                option="subscription_id")
    sub_id = str(found)
    _store(connector, webhook, dataclasses.replace(hook, subscription_id=sub_id))
    return Subscription(name, sub_id, response.status_code, True)


def unsubscribe(connector: Connector, name: str, *, connection: str | None = None,
                verify: Any = True, timeout: float = 10.0) -> Subscription:
    """Unsubscribe RESThook ``name``: call its unsubscribe endpoint with the stored
    subscription id and clear it (also when the API answers 404 or 410: it is gone).

    Raises :class:`~nbconnect.errors.SubscriptionError` when the webhook has no stored
    subscription id or the call fails (the connector is unchanged).
    """
    webhook, hook = _resthook(connector, name)
    sub_id = hook.subscription_id
    if not sub_id:
        raise SubscriptionError(f"Webhook {name!r} has no subscription id stored, so there "
                                "is nothing to unsubscribe; subscribe it first.")
    endpoint = connector.endpoint(hook.unsubscribe)
    last = _steps(hook.subscription_id_path)[-1]
    path_params = [p.name for p in endpoint.params if p.location == "path"]
    values: dict[str, Any] = {}
    body_path: tuple[str, Any] | None = None
    if last in path_params:
        values[last] = sub_id
    elif len(path_params) == 1:
        values[path_params[0]] = sub_id
    elif any(p.name == last for p in endpoint.params):
        values[last] = sub_id
    else:
        body_path = (hook.subscription_id_path, sub_id)
    response = _send(connector, hook.unsubscribe, values, body_path, connection=connection,
                     verify=verify, timeout=timeout, what="unsubscribe")
    if not (200 <= response.status_code < 300 or response.status_code in (404, 410)):
        raise _failed("unsubscribe", hook.unsubscribe, response)
    _store(connector, webhook, dataclasses.replace(hook, subscription_id=None))
    return Subscription(name, sub_id, response.status_code, False)


def _store(connector: Connector, webhook: Webhook, hook: Resthook) -> None:
    changed = dataclasses.replace(webhook, resthook=hook)
    connector.webhooks = Webhooks.of(changed if w.name == webhook.name else w
                                     for w in connector.webhooks)
