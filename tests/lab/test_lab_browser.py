"""The dashboard in a real browser: headless Chromium against ``nspawn-tui serve --demo``.

Chromium is driven over the Chrome DevTools Protocol (a websocket, with
aiohttp).  The page draws the terminal with xterm.js on a canvas, so the
text on screen is read from xterm's own buffer: ``Runtime.queryObjects``
finds the page's ``Terminal`` object (the one with ``buffer.active`` and
``onData``) and each line is ``translateToString``.  A key goes in as a real
key event (``Input.dispatchKeyEvent``) into xterm's focused textarea.
"""

from __future__ import annotations

import asyncio
import base64
import os
import select
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import psutil
import pytest

CHROMIUM = "/usr/bin/chromium"
SERVE = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "nspawn-tui"
TOKEN = "lab-browser-token-0123456789"
#: Reads every line of the page's xterm.js Terminal (found among all objects of the page).
READ_TERMINAL = """(objects) => {
  for (const o of objects) {
    try {
      if (!o || typeof o.onData !== 'function' || !o.element || !o.buffer) continue;
      const b = o.buffer.active; const lines = [];
      for (let i = 0; i < b.length; i++) { const l = b.getLine(i); if (l) lines.push(l.translateToString(true)); }
      return lines.join('\\n');
    } catch (e) { continue; }
  }
  return '';
}"""

pytestmark = pytest.mark.skipif(
    not os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is missing (apt-get install chromium)"
)


class Served:
    """``nspawn-tui serve`` in the background, and the URL it printed."""

    def __init__(self, tmp: Path, *options: str) -> None:
        env = {**os.environ, "HOME": str(tmp), "XDG_CONFIG_HOME": str(tmp / "config")}
        self.process = subprocess.Popen(
            [str(SERVE), "serve", "--demo", *options],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            start_new_session=True,
        )
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], 60)
        line = self.process.stdout.readline().decode() if ready else ""
        assert line.startswith("nspawn-tui: serving on http://"), line or "nothing printed"
        self.url = line.split()[-1]
        self.port = int(self.url.split("/")[2].rsplit(":", 1)[1])

    def apps(self) -> list[psutil.Process]:
        """The tabs' app processes (children of the server)."""
        return psutil.Process(self.process.pid).children(recursive=True)

    def end(self) -> int:
        """SIGTERM; the exit status (a server that does not end within 20 s is killed)."""
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


class Page:
    """One Chromium tab over the DevTools protocol."""

    def __init__(self, websocket: aiohttp.ClientWebSocketResponse) -> None:
        self.websocket = websocket
        self.next_id = 0

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        ident = self.next_id
        await self.websocket.send_json({"id": ident, "method": method, "params": params})
        while True:
            message = await self.websocket.receive_json(timeout=30)
            if message.get("id") == ident:
                assert "error" not in message, message
                result: dict[str, Any] = message["result"]
                return result

    async def evaluate(self, expression: str) -> Any:
        answer = await self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return answer["result"].get("value")

    async def screen(self) -> str:
        """The text xterm.js shows."""
        prototype = await self.call("Runtime.evaluate", expression="Object.prototype")
        found = await self.call(
            "Runtime.queryObjects", prototypeObjectId=prototype["result"]["objectId"]
        )
        objects = found["objects"]["objectId"]
        answer = await self.call(
            "Runtime.callFunctionOn",
            functionDeclaration=READ_TERMINAL,
            objectId=objects,
            arguments=[{"objectId": objects}],
            returnByValue=True,
        )
        await self.call("Runtime.releaseObjectGroup", objectGroup="console")
        return str(answer["result"].get("value") or "")

    async def wait_for_text(self, text: str, timeout: float = 45) -> str:
        deadline = time.monotonic() + timeout
        shown = ""
        while time.monotonic() < deadline:
            shown = await self.screen()
            if text in shown:
                return shown
            await asyncio.sleep(0.5)
        raise AssertionError(f"{text!r} never shown; the screen:\n{shown}")

    async def press(self, key: str, code: str, keycode: int, shift: bool = False) -> None:
        await self.evaluate("document.querySelector('.xterm-helper-textarea').focus()")
        common = {"key": key, "code": code, "windowsVirtualKeyCode": keycode}
        modifiers = 8 if shift else 0
        await self.call(
            "Input.dispatchKeyEvent", type="keyDown", text=key, modifiers=modifiers, **common
        )
        await self.call("Input.dispatchKeyEvent", type="keyUp", modifiers=modifiers, **common)

    async def screenshot(self, path: Path) -> None:
        shot = await self.call("Page.captureScreenshot", format="png")
        path.write_bytes(base64.b64decode(shot["data"]))


@pytest.fixture(scope="module")
def chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """Headless Chromium; its DevTools port."""
    profile = tmp_path_factory.mktemp("chromium")
    process = subprocess.Popen(
        [CHROMIUM, "--headless=new", "--no-sandbox", "--remote-debugging-port=0",
         f"--user-data-dir={profile}", "--window-size=1400,1000", "--no-first-run",
         "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        active = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while not active.exists() or not active.read_text().strip():
            assert process.poll() is None, "chromium exited"
            assert time.monotonic() < deadline, "chromium gave no DevTools port"
            time.sleep(0.1)
        yield int(active.read_text().split()[0])
    finally:
        os.killpg(process.pid, signal.SIGTERM)  # chromium and its helpers (its own group)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
async def page(chromium: int) -> AsyncIterator[Page]:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{chromium}/json/list") as answer:
            targets = await answer.json()
        target = next(t for t in targets if t["type"] == "page")
        async with http.ws_connect(target["webSocketDebuggerUrl"], max_msg_size=0) as websocket:
            tab = Page(websocket)
            await tab.call("Page.enable")
            try:
                yield tab
            finally:
                await tab.call("Page.navigate", url="about:blank")  # its websocket closes


def status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as refused:
        return refused.code


async def test_dashboard_in_the_browser_reacts_to_a_key_and_ends_clean(
    page: Page, tmp_path: Path
) -> None:
    served = Served(tmp_path, "--listen", "127.0.0.1:0")
    try:
        assert served.url == f"http://127.0.0.1:{served.port}/"  # loopback: no token
        await page.call("Page.navigate", url=served.url)
        shown = await page.wait_for_text("ci-runner")
        assert "web" in shown and "read-only" in shown  # served read-only by default
        await page.press("?", "Slash", 191, shift=True)
        await page.wait_for_text("nspawn-tui keys")  # the help screen, drawn in the browser
        await page.screenshot(tmp_path / "help.png")
        apps = served.apps()
        assert apps, "no app process for the browser tab"
        assert any("--web-child" in app.cmdline() for app in apps)
        assert all("--read-only" in app.cmdline() for app in apps if "--web-child" in app.cmdline())
        started = time.monotonic()
        assert served.end() == 0
        ended = time.monotonic() - started
        gone, alive = psutil.wait_procs(apps, timeout=5)
        assert alive == [], f"left behind: {[p.pid for p in alive]}"
        assert ended < 10, f"the server took {ended:.1f} s to end"
    finally:
        served.close()


async def test_token_off_loopback_refuses_without_and_serves_with(
    page: Page, tmp_path: Path
) -> None:
    served = Served(tmp_path, "--listen", "0.0.0.0:0", "--token", TOKEN)
    try:
        assert served.url.endswith(f":{served.port}/?token={TOKEN}")
        base = f"http://127.0.0.1:{served.port}"
        assert status_of(f"{base}/") == 403
        assert status_of(f"{base}/static/js/textual.js") == 403
        assert status_of(f"{base}/?token=wrong-{TOKEN}") == 403
        assert status_of(f"{base}/?token={TOKEN}") == 200
        # the browser: the token in the URL once, then its cookie carries the websocket
        await page.call("Page.navigate", url=f"{base}/?token={TOKEN}")
        await page.wait_for_text("ci-runner")
        assert served.end() == 0
    finally:
        served.close()


async def test_generated_token_off_loopback(tmp_path: Path) -> None:
    served = Served(tmp_path, "--listen", "0.0.0.0:0")
    try:
        assert "?token=" in served.url
        token = served.url.split("?token=")[1]
        assert len(token) >= 32
        base = f"http://127.0.0.1:{served.port}"
        assert status_of(f"{base}/") == 403
        assert status_of(f"{base}/?token={token}") == 200
        assert served.end() == 0
    finally:
        served.close()


def test_bad_listen_and_short_token_refused(tmp_path: Path) -> None:
    for options, says in [
        (["--listen", "0.0.0.0:0", "--token", "short"], "at least 16"),
        (["--listen", "::1:80"], "in brackets"),
    ]:
        done = subprocess.run(
            [str(SERVE), "serve", "--demo", *options], capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 2 and says in done.stderr, done
