"""What a Host says about image transfers (import and export through importd).

The image list itself is :class:`nspawn_tui.host.base.Image`.  Never imports Textual.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Final

#: What :meth:`Host.import_image` takes (importd's ImportTar / ImportRaw / ImportFileSystem).
IMPORT_KINDS: Final = ("tar", "raw", "directory")
#: What :meth:`Host.export_image` writes (importd's ExportTar / ExportRaw).
EXPORT_KINDS: Final = ("tar", "raw")


@dataclass(frozen=True, slots=True)
class TransferProgress:
    """One reading of a running import or export."""

    done_bytes: int
    total_bytes: int | None  # None: unknown (a directory import, an export)
    rate_bps: float | None  # over the last few seconds; None before two readings
    elapsed: float  # seconds since the transfer started
    finished: bool = False
    message: str = ""  # importd's last log line for it (cleaned), if any

    @property
    def fraction(self) -> float | None:
        """0..1, or None when the total is unknown."""
        if not self.total_bytes:
            return 1.0 if self.finished else None
        return min(1.0, self.done_bytes / self.total_bytes)

    @property
    def seconds_left(self) -> float | None:
        if self.finished:
            return 0.0
        if not self.total_bytes or not self.rate_bps or self.rate_bps <= 0:
            return None
        return max(0.0, (self.total_bytes - self.done_bytes) / self.rate_bps)


class Transfer(ABC):
    """A running import or export; iterate :meth:`updates` until it ends."""

    #: "import of FILE as NAME", "export of NAME to FILE" (cleaned).
    description: str = ""

    @abstractmethod
    def updates(self) -> AsyncIterator[TransferProgress]:
        """Progress readings, the last one with ``finished``.

        Raises :class:`~nspawn_tui.host.base.HostError` when the transfer
        fails or is cancelled (its message says which).
        """

    @abstractmethod
    async def cancel(self) -> None:
        """Stop the transfer (importd's CancelTransfer); a finished one is left alone."""
