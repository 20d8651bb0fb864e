"""The served dashboard behind its gate (nspawn_tui.web.server), through aiohttp's test client.

Every request (page, static file, websocket) without the right token gets
403; with it, 200 and a cookie that carries it afterwards.  A tab's
websocket runs the real demo app; ending the server ends it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from nspawn_tui.web.command import child_argv, command_string
from nspawn_tui.web.gate import COOKIE, NO_TOKEN, NOT_LOOPBACK, Gate
from nspawn_tui.web.server import WebServer

TOKEN = "s3cret-token-0123456789"
DEMO = command_string(child_argv(["--demo", "--read-only"]))
Client = TestClient[aiohttp.web.Request, aiohttp.web.Application]
Served = tuple[WebServer, Client]
PATHS = ["/", "/static/js/textual.js", "/static/css/xterm.css", "/download/nothing"]


async def client_for(server: WebServer) -> Client:
    client: Client = TestClient(TestServer(await server.make_app(), host="127.0.0.1"))
    await client.start_server()
    return client


@pytest.fixture
async def with_token() -> AsyncIterator[Served]:
    server = WebServer(DEMO, Gate(TOKEN))
    client = await client_for(server)
    try:
        yield server, client
    finally:
        await server.end_sessions(grace=3)
        await client.close()


@pytest.mark.parametrize("path", PATHS)
async def test_no_token_or_a_wrong_one_gets_403(with_token: Served, path: str) -> None:
    _, client = with_token
    for params in ({}, {"token": "wrong"}, {"token": TOKEN[:-1]}):
        response = await client.get(path, params=params)
        assert response.status == 403, (path, params)
        assert await response.text() == NO_TOKEN + "\n"
        assert COOKIE not in response.cookies


async def test_the_token_opens_the_page_and_sets_the_cookie(with_token: Served) -> None:
    _, client = with_token
    page = await client.get("/", params={"token": TOKEN})
    assert page.status == 200
    text = await page.text()
    host = f"127.0.0.1:{client.port}"
    assert f'data-session-websocket-url="ws://{host}/ws"' in text  # from the request's Host
    assert f"http://{host}/static/js/textual.js" in text
    cookie = page.cookies[COOKIE]
    assert cookie.value == TOKEN and cookie["httponly"] and cookie["samesite"] == "Strict"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    # then the cookie alone is enough (the client keeps it): static files and the page
    static = await client.get("/static/js/textual.js")
    assert static.status == 200 and len(await static.read()) > 100_000
    assert (await client.get("/")).status == 200


async def test_websocket_refused_without_the_token(with_token: Served) -> None:
    server, client = with_token
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await client.ws_connect("/ws")
    assert refused.value.status == 403
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await client.ws_connect("/ws", headers={"Cookie": f"{COOKIE}=wrong"})
    assert refused.value.status == 403
    assert server.sessions == {}  # no app was started


async def test_websocket_from_another_site_refused(with_token: Served) -> None:
    server, client = with_token
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await client.ws_connect(
            "/ws", params={"token": TOKEN}, headers={"Origin": "http://evil.example"}
        )
    assert refused.value.status == 403
    assert server.sessions == {}


async def test_without_a_token_only_loopback_names_pass() -> None:
    server = WebServer(DEMO, Gate(None))
    client = await client_for(server)
    try:
        assert (await client.get("/")).status == 200
        rebound = await client.get("/", headers={"Host": f"evil.example:{client.port}"})
        assert rebound.status == 403
        assert await rebound.text() == NOT_LOOPBACK + "\n"
        assert (await client.get("/", headers={"Host": f"localhost:{client.port}"})).status == 200
    finally:
        await client.close()


async def test_a_tab_runs_the_demo_app_and_ending_the_server_ends_it(with_token: Served) -> None:
    server, client = with_token
    websocket = await client.ws_connect(
        "/ws", params={"token": TOKEN, "width": "120", "height": "40"}
    )
    screen = b""
    deadline = time.monotonic() + 20
    while b"ci-runner" not in screen and time.monotonic() < deadline:
        message = await websocket.receive(timeout=deadline - time.monotonic())
        assert message.type == aiohttp.WSMsgType.BINARY, message
        screen += message.data
    assert b"ci-runner" in screen  # the demo dashboard, drawn for the browser
    (service,) = server.sessions
    process = service._process
    assert process is not None and process.returncode is None
    started = time.monotonic()
    await server.end_sessions(grace=3)
    closed = await websocket.receive(timeout=5)
    assert closed.type in {aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED}
    await asyncio.wait_for(process.wait(), 5)
    assert process.returncode is not None
    assert time.monotonic() - started < 3  # it quit when asked, not killed after the grace
    assert server.sessions == {}
