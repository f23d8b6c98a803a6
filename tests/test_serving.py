"""The background-server helper: a tiny starlette app under uvicorn, plain and TLS."""

from __future__ import annotations

import contextlib
import socket
import ssl
import subprocess
import sys
import threading

import httpx2
import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from nbconnect.errors import ServerStartError
from nbconnect.serving import BackgroundServer


def _app() -> Starlette:
    async def hello(request):  # type: ignore[no-untyped-def]
        return PlainTextResponse(f"hello {request.url.scheme}")

    return Starlette(routes=[Route("/hello", hello)])


def _threads() -> set[str]:
    return {t.name for t in threading.enumerate() if t.name.startswith("nbconnect-")}


def test_http_on_a_free_port_then_stop_frees_it() -> None:
    server = BackgroundServer(_app(), name="demo")
    assert not server.running and server.port is None
    assert repr(server) == "BackgroundServer('demo', tls=False, running=False)"
    with pytest.raises(ServerStartError, match="not running"):
        _ = server.url
    url = server.start()
    port = server.port
    assert port and url == f"http://127.0.0.1:{port}" == server.url == server.root_url
    assert server.running and server.verify is True and server.ssl_context is None
    assert server.ca_pem_path is None
    assert f"nbconnect-demo-{port}" in _threads()
    assert server.start() == url  # starting twice is harmless
    r = httpx2.get(url + "/hello")
    assert (r.status_code, r.text) == (200, "hello http")
    server.stop()
    server.stop()  # and so is stopping twice
    assert not server.running and server.port is None
    assert not _threads()  # no thread left behind
    with socket.socket() as sock:  # the port is free again
        sock.bind(("127.0.0.1", port))
    with pytest.raises(httpx2.ConnectError):
        httpx2.get(url + "/hello")


def test_https_with_the_helpers_ca() -> None:
    with BackgroundServer(_app(), tls=True, name="demo") as server:
        assert server.url.startswith("https://127.0.0.1:")
        ctx = server.verify
        assert isinstance(ctx, ssl.SSLContext) and server.ssl_context is ctx
        r = httpx2.get(server.url + "/hello", verify=ctx)
        assert (r.status_code, r.text) == (200, "hello https")
        with pytest.raises(httpx2.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            httpx2.get(server.url + "/hello")
        ca = server.ca_pem_path
        assert ca is not None and ca.is_file() and ca.name == "demo-ca.pem"
        from_file = ssl.create_default_context(cafile=str(ca))
        localhost = server.url.replace("127.0.0.1", "localhost")
        assert httpx2.get(localhost + "/hello", verify=from_file).text == "hello https"
    assert not ca.exists()  # the temporary CA file goes with the server
    assert not _threads()


def test_a_busy_port_is_a_typed_error_and_nothing_is_left_running() -> None:
    with BackgroundServer(_app(), name="demo") as first:
        port = first.port
        second = BackgroundServer(_app(), port=port, name="demo")
        with pytest.raises(ServerStartError, match=f"cannot listen on port {port}") as info:
            second.start()
        assert info.value.option == "port" and "--" not in str(info.value)
        assert not second.running and second.port is None
        assert httpx2.get(first.url + "/hello").status_code == 200  # the first still serves
    assert not _threads()


def test_the_same_port_can_be_taken_again_after_stop() -> None:
    with BackgroundServer(_app()) as first:
        port = first.port
    with BackgroundServer(_app(), port=port) as again:
        assert again.port == port
        assert httpx2.get(again.url + "/hello").status_code == 200


@pytest.mark.parametrize("port", [-1, 70000, True, "80"])
def test_a_bad_port_is_refused(port: object) -> None:
    with pytest.raises(ServerStartError, match="from 0 to 65535"):
        BackgroundServer(_app(), port=port)  # type: ignore[arg-type]


def test_an_app_that_fails_at_startup_is_a_typed_error() -> None:
    @contextlib.asynccontextmanager
    async def lifespan(app):  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")
        yield  # pragma: no cover

    app = Starlette(lifespan=lifespan)
    server = BackgroundServer(app, lifespan="on", name="demo")
    with pytest.raises(ServerStartError, match="did not start"):
        server.start(timeout=5)
    assert not server.running and server.port is None
    assert not _threads()


def test_importing_the_helper_is_light() -> None:
    code = ("import sys, nbconnect.serving; "
            "print(sorted(m for m in ('uvicorn', 'trustme', 'starlette') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"
