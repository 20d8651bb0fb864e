"""One key at a time: the app hands a key out when the one before it is done.

Textual hands each key from the terminal to the widget focused when the app
takes it from its queue, and runs the key's bindings only once it has bubbled
back up to the app through the queue of every container on the way.  Keys
that arrive in one read (typed fast, or held up on a slow SSH link) were all
handed out before the first one's binding ran: after ``l`` (the journal view)
the ``/sshd`` typed behind it reached the dashboard, whose own filter took it,
and after ``?`` an Escape went to the dashboard instead of closing the help.

:class:`KeyQueue` (its ``on_event`` is the app's) holds every key from the terminal
until the key before it is done: stopped by a handler (once that handler has
returned) or through the app's bindings.  If that key brought another screen
to the top, the next one waits until that screen has taken its focus.  A key
lost on its way (its widget removed meanwhile) holds the ones behind it for
:data:`MAX_HOLD` seconds at most.  Typed slowly, nothing changes: a key with
none before it is handed out at once.

A paste (the terminal's bracketed paste: one event with the text) waits in
the same line: pasted behind ``/`` in one read, it goes to the filter that
``/`` opens, not to the table the ``/`` was typed on.  It is handed out as a
:class:`QueuedPaste` to the widget focused then, and the keys behind it
follow at once (it has no bindings to wait for).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from textual import events

try:  # which handler is running (Textual's own; without it: after the app's next message)
    from textual._context import active_message_pump
except ImportError:  # pragma: no cover - a Textual without it
    active_message_pump = None  # type: ignore[assignment]

if TYPE_CHECKING:
    from textual.app import App
    from textual.screen import Screen

__all__ = ["MAX_HOLD", "KeyQueue", "QueuedKey", "QueuedPaste"]

#: Seconds a key lost on its way holds the keys behind it.
MAX_HOLD = 0.5


class QueuedKey(events.Key):
    """A key from the terminal on its way; tells its queue when it is done."""

    __slots__ = ("_queue",)

    def __init__(self, event: events.Key, queue: KeyQueue) -> None:
        super().__init__(event.key, event.character)
        # None, as the driver's: a key with a sender (Pilot's: the app) is stopped by
        # Textual at the widget under the sender, which would count as done
        self._sender = None
        self.time = event.time
        self._queue = queue

    def stop(self, stop: bool = True) -> QueuedKey:
        super().stop(stop)
        if stop:
            self._queue.done_after_handler(self)
        return self


QueuedKey.handler_name = events.Key.handler_name  # on_key, as any key


class QueuedPaste(events.Paste):
    """A paste from the terminal, handed out after the keys typed before it."""


QueuedPaste.handler_name = events.Paste.handler_name  # on_paste, as any paste


class KeyQueue:
    """The keys from the terminal, handed out one at a time, in the order typed."""

    def __init__(self, app: App[Any]) -> None:
        self._app = app
        self._waiting: deque[events.Key | events.Paste] = deque()
        self._current: QueuedKey | None = None
        self._screen: Screen[Any] | None = None
        self._hold: asyncio.TimerHandle | None = None

    @property
    def idle(self) -> bool:
        """No key on its way, none waiting."""
        return self._current is None and not self._waiting

    async def on_event(
        self, event: events.Event, handle: Callable[[events.Event], Awaitable[None]]
    ) -> None:
        """The app's ``on_event``; ``handle`` is Textual's (``super().on_event``)."""
        if isinstance(event, events.Key) and not isinstance(event, QueuedKey):
            if not event.is_forwarded:  # from the terminal
                queued = self.take(event)
                if queued is None:
                    return  # held behind the keys before it
                event = queued
        elif isinstance(event, events.Paste) and not isinstance(event, QueuedPaste):
            if not event.is_forwarded and not self.idle:  # from the terminal, behind keys
                self._waiting.append(event)
                return
        if not isinstance(event, QueuedKey):
            await handle(event)
        elif event.is_forwarded:  # bubbled back up: done once the app's bindings ran
            self.bubbled(event)
            await handle(event)
        else:  # handed to the focused widget, or kept by a priority binding
            await handle(event)
            self.handed(event)

    def take(self, event: events.Key) -> QueuedKey | None:
        """The key to hand out now, or None: held until the keys before it are done."""
        if self._current is not None or self._waiting:
            self._waiting.append(event)
            return None
        return self._start(event)

    def done(self, key: QueuedKey) -> None:
        """``key`` was handled: the next one goes once the screen on top has its focus."""
        if key is not self._current:
            return
        self._current = None
        self._cancel_hold()
        if not self._waiting:
            return
        self._hold_for(self._next)
        screen = self._top()
        if screen is not None and screen is not self._screen:
            # behind the new screen's resume (which sets its focus), then the app's queue
            if screen.call_later(self._app.call_later, self._next):
                return
        self._app.call_later(self._next)

    def done_after_handler(self, key: QueuedKey) -> None:
        """``key`` was stopped: done when the handler that stopped it has returned."""
        pump = active_message_pump.get(None) if active_message_pump is not None else None
        (pump or self._app).call_next(self.done, key)

    def bubbled(self, key: QueuedKey) -> None:
        """``key`` reached the app: done after the app's bindings ran."""
        self._app.call_next(self.done, key)

    def handed(self, key: QueuedKey) -> None:
        """After the app took ``key``: one it kept (a priority binding) is done now."""
        if not key.is_forwarded:
            self.done(key)

    async def _next(self) -> None:
        if self._current is not None or not self._waiting:
            return
        self._cancel_hold()
        waiting = self._waiting.popleft()
        if isinstance(waiting, events.Paste):
            await self._app.on_event(QueuedPaste(waiting.text))  # to the widget focused now
            if self._waiting:
                self._app.call_later(self._next)
            return
        key = self._start(waiting)
        await self._app.on_event(key)

    def _start(self, event: events.Key) -> QueuedKey:
        key = QueuedKey(event, self)
        self._current, self._screen = key, self._top()
        self._hold_for(lambda: self.done(key))
        return key

    def _top(self) -> Screen[Any] | None:
        stack = self._app.screen_stack
        return stack[-1] if stack else None

    def _hold_for(self, then: Any) -> None:
        self._cancel_hold()
        loop = asyncio.get_running_loop()
        self._hold = loop.call_later(MAX_HOLD, self._app.call_later, then)

    def _cancel_hold(self) -> None:
        if self._hold is not None:
            self._hold.cancel()
            self._hold = None
