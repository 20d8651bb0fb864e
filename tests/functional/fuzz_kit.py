"""The machinery of the input fuzz (test_inputs_fuzz.py): hostile texts and a case driver.

:data:`HOSTILE_TEXT` is random text (``st.text()`` over every code point,
surrogates included) mixed with the strings that broke or could break a
field: ESC/CSI/OSC sequences, 8-bit C1 controls, bidi overrides, zero-width
and combining characters, double-width characters, very long strings, lone
surrogates, Textual markup (``[/]`` killed the app from the name filter),
bad regular expressions, bad paths, limits syntax, shell words.

:class:`Driver` keeps one app running under ``run_test()`` on an event loop
of its own, so synchronous ``@given`` tests drive it case by case with
``loop.run_until_complete``: a fresh app per case would cost a second.
:data:`RECORDS` are journal records made of the hostile strings, for the
log view and the export.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
from collections import Counter
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from hypothesis import strategies as st
from textual import events
from textual.app import App
from textual.keys import _character_to_key
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Input

from nspawn_tui.journal.sources import LogBatch, LogEvent, LogOptions, LogRecord, parse_record

T = TypeVar("T")

ESC = "\x1b"
HOSTILE: tuple[str, ...] = (
    # Textual markup
    "[/]",
    "[/",
    "[/bold]",
    "[bold]",
    "[bold red on blue]x",
    "[@click=app.quit]quit[/]",
    "[@click=app.bell]",
    "[link=https://example.com]x[/link]",
    "[link=x]",
    "[$accent]",
    "[",
    "]",
    "[[",
    "\\[",
    "[b]x[/i]",
    "[on]",
    "[/]" * 300,
    # terminal sequences: CSI, OSC (title, clipboard, hyperlink), DCS, 8-bit C1
    f"{ESC}[31mred{ESC}[0m",
    f"{ESC}[2J{ESC}[H",
    f"{ESC}[6n",
    f"{ESC}]0;pwned\x07",
    f"{ESC}]52;c;cm0gLXJmIC8K\x07",
    f"{ESC}]8;;https://example.com{ESC}\\link{ESC}]8;;{ESC}\\",
    f"{ESC}P+q544e{ESC}\\",
    f"{ESC}c",
    "\x9b31m",
    "\x9d0;title\x9c",
    "\x90q\x9c",
    "\x85",
    "\x00",
    "\x07",
    "\x08\x08\x08",
    "\x7f",
    "\r",
    "\r\n",
    "\n",
    "\t",
    "\x0b\x0c",
    "\x1c\x1d\x1e",
    "\u2028\u2029",
    # bidi, zero-width, format characters
    "\u202e",
    "\u202egnp.exe",
    "\u202d\u202a\u202b\u202c",
    "\u2066\u2067\u2068\u2069",
    "\u200e\u200f\u061c",
    "\u200b\u200c\u200d\u2060\ufeff",
    "\u00ad",
    "\U000e0041\U000e007f",
    # combining and double-width characters
    "e\u0301",
    "\u0301",
    "Z" + "\u0336\u0317\u0353" * 40,
    "全角テキスト",
    "🐳",
    "👩\u200d👩\u200d👧",
    "🇫🇷",
    "\u3000",
    # invalid UTF-8 kept as lone surrogates, and other surrogates
    "\udc80\udcff",
    "\udcc3(",
    "\ud800",
    "\udfff",
    "\ud83d",
    # long texts
    "x" * 5000,
    "全" * 2000,
    "a\u0301" * 1000,
    # regular expressions, good and bad
    "re:",
    "re:(",
    "re:)",
    "re:[",
    "re:*",
    "re:\\",
    "re:(?P<[/]>x)",
    "re:(?<=a+)b",
    "re:a{99999999999}",
    "re:" + "(" * 3000 + ")" * 3000,
    "re:(?i)[a-z]+",
    "re:^$",
    "re:.*",
    "re:x*",
    "re:\\d{3}",
    # paths and shell words
    "~",
    "~nobody-here/x",
    "/",
    "//",
    ".",
    "..",
    "dir/",
    "a/b/c/d",
    "/dev/null",
    "/proc/self/mem",
    "n" * 300,
    "'",
    '"',
    "'unclosed",
    "\\",
    "$(reboot)",
    "`id`",
    "; rm -rf /",
    "%s%n%x",
    "{0}{name}",
    # limits syntax
    "infinity",
    "-1",
    "0",
    "100%",
    "200%",
    "0.5%",
    "1e309",
    "nan",
    "0x10",
    "999999999999999999999999T",
    "1K",
    "1.5G",
    "0-3,7",
    "   ",
    "",
)

_PIECE = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=12))
#: any code point: st.text() leaves out surrogates unless asked
_ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=80)
HOSTILE_TEXT: st.SearchStrategy[str] = st.one_of(
    _ANY_TEXT,
    st.sampled_from(HOSTILE),
    st.lists(_PIECE, min_size=2, max_size=6).map("".join),
)


def keyed(text: str) -> bool:
    """Whether :meth:`Driver.type_text` types ``text`` key by key (else it pastes it)."""
    return len(text) <= 8 and text.isprintable()


def typed(text: str) -> str:
    """What an Input receives when ``text`` is typed: a paste gives only its first line."""
    if keyed(text) or not text:
        return text
    return text.splitlines()[0]


# ----------------------------------------------------------------- driver


@dataclass
class FuzzCount:
    """Texts typed into each field, and how many of them were submitted (Enter, ctrl+s)."""

    typed: Counter[str] = field(default_factory=Counter)
    submitted: Counter[str] = field(default_factory=Counter)


def _resolve(done: asyncio.Future[None]) -> None:
    """A callback for call_later: a plain function (Textual counts its parameters once)."""
    if not done.done():
        done.set_result(None)


class Driver:
    """One app under ``run_test()`` on an event loop of its own, driven case by case."""

    def __init__(self, make_app: Callable[[], App[Any]], size: tuple[int, int]) -> None:
        self.make_app = make_app
        self.size = size
        self.loop = asyncio.new_event_loop()
        self.crashes: list[BaseException] = []
        self._context: AbstractAsyncContextManager[Pilot[Any]] | None = None
        self._vars = contextvars.Context()
        self.start()

    @property
    def app(self) -> App[Any]:
        return self.pilot.app

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run ``coroutine`` to its end in the app's context (its active app)."""
        task = self.loop.create_task(coroutine, context=self._vars)
        return self.loop.run_until_complete(task)

    def call(self, function: Callable[..., T], *args: Any) -> T:
        """``function(*args)`` inside the app's loop (where it may start tasks), then settle."""

        async def inside() -> T:
            result = function(*args)
            await self.settle()
            return result

        return self.run(inside())

    def start(self) -> None:
        app = self.make_app()
        self._context = app.run_test(size=self.size, notifications=True)

        # one Context for every step: run_test() sets the active app in it on
        # entry and resets it on exit (a token is reset in the Context that made it)
        self._vars = contextvars.Context()
        self.pilot = self.run(self._context.__aenter__())

    def stop(self) -> BaseException | None:
        """Shut the app down; the exception that killed it, if one did."""
        context, self._context = self._context, None
        if context is None:
            return None
        try:
            self.run(context.__aexit__(None, None, None))
        except BaseException as crash:  # noqa: BLE001 - returned: the caller reports it
            return crash
        return None

    def close(self) -> None:
        crash = self.stop()
        self.loop.close()
        if crash is not None:
            raise crash

    @property
    def alive(self) -> bool:
        return self.app.is_running and self.app.return_code is None

    def revive(self) -> None:
        """A fresh app if the last case killed this one (that case has failed already)."""
        if not self.alive:
            crash = self.stop()
            if crash is not None:
                self.crashes.append(crash)
            self.start()

    def post(self, *messages: events.Event) -> None:
        """Events as the terminal driver sends them: to the app, which forwards them."""
        for message in messages:
            message.set_sender(self.app)
            self.app.post_message(message)

    async def settle(self, max_rounds: int = 12) -> None:
        """Wait until every node of the screen has handled what was sent, then repaint.

        A round asks each node (the app, the screen and its widgets) to call
        back once the messages queued before are handled; a message handled
        may post others, so rounds repeat until every queue is empty.
        """
        loop = asyncio.get_running_loop()
        for _ in range(max_rounds):
            app = self.app
            nodes: list[App[Any] | Widget] = [app, *app.screen.walk_children(with_self=True)]
            waiting = []
            for node in nodes:
                done = loop.create_future()
                if node.call_later(_resolve, done):
                    waiting.append(done)
            dead = loop.create_task(app._exception_event.wait())
            await asyncio.wait([asyncio.gather(*waiting), dead], return_when="FIRST_COMPLETED")
            dead.cancel()
            if not self.alive:
                return
            if all(node._message_queue.empty() for node in nodes) and app.screen is nodes[1]:
                break
        # what a frame would paint (Textual runs this on a timer): a crash in a
        # render method or in markup shows here
        self.app.screen._on_timer_update()

    def type_text(
        self,
        widget: Input,
        text: str,
        *,
        submit: bool = True,
        before: Callable[[], object] | None = None,
    ) -> None:
        """Clear ``widget``, type ``text`` into it, press Enter; wait for all of it to be handled.

        Short printable texts are typed key by key, others are pasted (a paste
        is how anything else reaches an Input).  ``before`` runs first, in the
        same turn (opening a prompt, resetting the other fields): one wait for
        the whole case.
        """

        async def type_it() -> None:
            if before is not None:
                before()
            widget.value = ""
            widget.focus()
            if keyed(text):
                self.post(*(events.Key(_character_to_key(c), c) for c in text))
            else:
                self.post(events.Paste(text))
            if submit:
                self.post(events.Key("enter", "\r"))
            await self.settle()

        self.run(type_it())

    def sleep(self, seconds: float) -> None:
        self.run(asyncio.sleep(seconds))

    def press(self, *keys: str) -> None:
        self.call(self.post, *(events.Key(key, None) for key in keys))

    def check(self) -> None:
        assert self.alive, f"the app died: {self.app._exception!r}"


def driver_fixture(
    make_app: Callable[[], App[Any]], size: tuple[int, int] = (80, 24)
) -> Iterator[Driver]:
    driver = Driver(make_app, size)
    try:
        yield driver
    finally:
        driver.close()
    assert not driver.crashes, f"cases killed the app: {driver.crashes!r}"


class DialogApp(App[None]):
    """Shows one dialog; a new one when the last was dismissed (its result kept)."""

    def __init__(self, dialog: Callable[[], Screen[Any]]) -> None:
        super().__init__()
        self.dialog = dialog
        self.results: list[Any] = []

    def on_mount(self) -> None:
        self.reopen()

    def reopen(self) -> None:
        self.push_screen(self.dialog(), self.results.append)


def reopen(driver: Driver, kind: type[Screen[Any]]) -> Any:
    """The dialog of ``driver``'s DialogApp, opened again if the last case closed it."""
    app = driver.app
    assert isinstance(app, DialogApp)
    if not isinstance(app.screen, kind):
        driver.call(app.reopen)
    assert isinstance(app.screen, kind)
    return app.screen


# ------------------------------------------------------------ journal records

LOG_NAMES = ["web", "db[/]", f"{ESC}]0;x\x07"]
UNITS = ("a.service", "b[/].service", f"{ESC}[2J.service")


def hostile_records() -> list[LogRecord]:
    records = []
    for i, text in enumerate(HOSTILE[:60]):
        line = json.dumps(
            {
                "MESSAGE": text,
                "__REALTIME_TIMESTAMP": str(1_700_000_000_000_000 + i * 1000),
                "_SYSTEMD_UNIT": UNITS[i % 3],
                "SYSLOG_IDENTIFIER": text[:20],
                "PRIORITY": str(i % 8),
            }
        )
        record = parse_record(line, LOG_NAMES[i % 3])
        assert record is not None
        records.append(record)
    return records


RECORDS = hostile_records()


async def static_source(options: LogOptions) -> AsyncIterator[LogEvent]:
    """The records above, once (the unit filter applied as journalctl would)."""
    unit = options.unit
    yield LogBatch("web", [r for r in RECORDS if not unit or r.unit == unit], 0)
