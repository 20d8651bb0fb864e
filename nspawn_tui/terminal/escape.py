"""machinectl's escape from an attached shell: ``^]`` three times within a second.

No Textual here; :mod:`nspawn_tui.terminal.relay` uses this in its relay loop.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Final

ESCAPE_BYTE: Final = b"\x1d"


class EscapeDetector:
    """machinectl's escape (``count`` times ^] within ``window`` seconds of the first).

    :meth:`feed` returns the bytes that may go to the container now. ``^]``
    bytes that may still become part of an escape are held back; they are
    dropped when the escape completes, and released (before the byte that
    broke the sequence) when another byte arrives or, by :meth:`flush_expired`,
    when the window has passed. All bytes of one :meth:`feed` call count as
    arriving at the same moment.
    """

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        count: int = 3,
        window: float = 1.0,
    ) -> None:
        if count < 1:
            raise ValueError("count must be at least 1")
        self.clock = clock
        self.count = count
        self.window = window
        self._held = 0  # ^] bytes held back
        self._start = 0.0  # when the first held ^] arrived

    @property
    def held(self) -> int:
        """How many ^] bytes are held back right now."""
        return self._held

    def feed(self, data: bytes) -> tuple[bytes, bool]:
        """Bytes to forward now, and whether the escape completed in ``data``.

        After an escape the rest of ``data`` is discarded and the detector
        starts afresh.
        """
        held = self._held
        if not held:
            i = data.find(ESCAPE_BYTE)
            if i < 0:
                return data, False  # the fast path: no ^] anywhere near
        else:
            i = 0
        now = self.clock()
        out = bytearray(data[:i])
        n = len(data)
        while i < n:
            if data[i] == 0x1D:
                if held and now > self._start + self.window:
                    out += ESCAPE_BYTE * held  # too late: these can no longer escape
                    held = 0
                if not held:
                    self._start = now
                held += 1
                i += 1
                if held >= self.count:
                    self._held = 0
                    return bytes(out), True
            else:
                if held:
                    out += ESCAPE_BYTE * held
                    held = 0
                j = data.find(ESCAPE_BYTE, i)
                if j < 0:
                    out += data[i:]
                    break
                out += data[i:j]
                i = j
        self._held = held
        return bytes(out), False

    def pending_deadline(self) -> float | None:
        """When the held bytes must be released (by :attr:`clock`), or None."""
        return self._start + self.window if self._held else None

    def flush_expired(self) -> bytes:
        """The held bytes if their window has passed (they cannot escape any more)."""
        if self._held and self.clock() > self._start + self.window:
            out = ESCAPE_BYTE * self._held
            self._held = 0
            return out
        return b""

    def flush(self) -> bytes:
        """All held bytes, regardless of time (e.g. when input ends)."""
        out = ESCAPE_BYTE * self._held
        self._held = 0
        return out
