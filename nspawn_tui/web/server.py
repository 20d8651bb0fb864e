"""textual-serve's server with a gate (:mod:`.gate`), its URLs taken from the request, a clean end.

Each browser tab's websocket runs :attr:`WebServer.command` as its own
process (textual-serve's ``AppService``).  :meth:`WebServer.end_sessions`
asks every tab's app to quit, closes the websockets and kills what is still
there after a grace period; :func:`serve` calls it on SIGTERM, SIGINT or SIGHUP
before the web server goes, so no app process outlives the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Final, TextIO

import aiohttp_jinja2
from aiohttp import WSCloseCode, web
from textual_serve.app_service import AppService
from textual_serve.server import Server, to_int

from nspawn_tui.web.gate import COOKIE, Gate, Request
from nspawn_tui.web.listen import Listen, page_url

log = logging.getLogger("nspawn_tui.web")

#: Seconds the tabs' apps get to quit when the server ends, before they are killed.
QUIT_GRACE: Final = 3.0
#: What ends the server cleanly (status 0); SIGHUP: the ssh session that ran it is gone.
STOP_SIGNALS: Final = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def gate_request(request: web.Request) -> Request:
    """The parts of an aiohttp request the gate judges."""
    return Request(
        host=request.headers.get("Host"),
        query_token=request.query.get("token"),
        cookie_token=request.cookies.get(COOKIE),
        origin=request.headers.get("Origin"),
        websocket=request.headers.get("Upgrade", "").lower() == "websocket",
    )


class WebServer(Server):
    """textual-serve's :class:`Server` behind a :class:`Gate`."""

    def __init__(self, command: str, gate: Gate) -> None:
        super().__init__(command, title="nspawn-tui")
        self.gate = gate
        #: The tabs being served: each one's app process and its websocket.
        self.sessions: dict[AppService, web.WebSocketResponse] = {}

    async def make_app(self) -> web.Application:
        """The aiohttp application: textual-serve's routes behind the gate."""
        app = await self._make_app()
        app.middlewares.append(self._guard)
        return app

    @web.middleware
    async def _guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        refusal = self.gate.refusal(gate_request(request))
        if refusal is not None:
            raise web.HTTPForbidden(text=refusal + "\n", headers={"Referrer-Policy": "no-referrer"})
        response = await handler(request)
        if not response.prepared:  # not a websocket or a download under way
            response.headers["Referrer-Policy"] = "no-referrer"
            response.headers["Cache-Control"] = "no-store"
            query_token = request.query.get("token")
            if self.gate.valid(query_token) and query_token is not None:
                response.set_cookie(COOKIE, query_token, httponly=True, samesite="Strict", path="/")
        return response

    async def on_startup(self, app: web.Application) -> None:
        """Quiet: :func:`serve` prints the URL itself."""

    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        """The page, its URLs built from the address the browser used (an ssh forward's too)."""
        base = f"{request.scheme}://{request.host}"
        websocket = "wss" if request.scheme == "https" else "ws"
        context = {
            "font_size": to_int(request.query.get("fontsize", "16"), 16),
            "app_websocket_url": f"{websocket}://{request.host}/ws",
            "config": {"static": {"url": f"{base}/static/"}},
            "application": {"name": self.title},
        }
        return aiohttp_jinja2.render_template("app_index.html", request, context)

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        """One tab: its app process until the websocket or the app ends."""
        websocket = web.WebSocketResponse(heartbeat=15)
        width = to_int(request.query.get("width", "80"), 80)
        height = to_int(request.query.get("height", "24"), 24)
        await websocket.prepare(request)
        service = AppService(
            self.command,
            write_bytes=websocket.send_bytes,
            write_str=websocket.send_str,
            close=partial(_close, websocket),
            download_manager=self.download_manager,
            debug=self.debug,
        )
        self.sessions[service] = websocket
        try:
            await service.start(width, height)
            try:
                await self._process_messages(websocket, service)
            finally:
                await _stop(service)
        finally:
            self.sessions.pop(service, None)
            await websocket.close()
        return websocket

    async def end_sessions(self, grace: float = QUIT_GRACE) -> None:
        """Every tab's app asked to quit, its websocket closed; killed after ``grace`` seconds."""
        services = list(self.sessions.items())
        for service, _ in services:
            if service._stdin is not None:  # its app was started
                await service.send_meta({"type": "quit"})
        closing = [
            websocket.close(code=WSCloseCode.GOING_AWAY, message=b"nspawn-tui serve ended")
            for _, websocket in services
        ]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*closing), grace)
        deadline = time.monotonic() + grace
        while self.sessions and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        for service, _ in services:
            _kill(service)


async def _close(websocket: web.WebSocketResponse) -> None:
    """The tab's app has exited: close its websocket."""
    await websocket.close()


async def _stop(service: AppService) -> None:
    """textual-serve's quit and wait, bounded: an app that does not quit is killed."""
    try:
        await asyncio.wait_for(service.stop(), QUIT_GRACE)
    except TimeoutError:
        log.warning("a tab's app did not quit within %.0f s: killed", QUIT_GRACE)
        _kill(service)
    process = service._process
    if process is not None:
        await process.wait()  # reaped: no zombie per closed tab


def _kill(service: AppService) -> None:
    process = service._process
    if process is not None and process.returncode is None:
        with contextlib.suppress(ProcessLookupError):  # it ended meanwhile
            process.kill()


async def serve(server: WebServer, listen: Listen, out: TextIO) -> int:
    """Serve until SIGTERM, SIGINT or SIGHUP; prints the URL to open (with the token) first."""
    runner = web.AppRunner(await server.make_app(), handle_signals=False, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, listen.host, listen.port)
        await site.start()
        port = int(runner.addresses[0][1])
        print(f"nspawn-tui: serving on {page_url(listen.host, port, server.gate.token)}",
              file=out, flush=True)  # fmt: skip
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in STOP_SIGNALS:
            loop.add_signal_handler(signum, stop.set)
        try:
            await stop.wait()
        finally:
            for signum in STOP_SIGNALS:
                loop.remove_signal_handler(signum)
            await server.end_sessions()
    finally:
        await runner.cleanup()
    return 0
