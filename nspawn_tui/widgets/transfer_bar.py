"""TransferBar: one running import or export, as a bar with its figures.

Hidden until a transfer starts.  Shows the transfer's description, a real
progress bar (bytes done of the total; indeterminate while the total is
unknown), and a line of figures: percentage, bytes done and total, rate over
the last seconds, time left (or elapsed).  At the end it keeps the outcome
(done, failed with the reason, cancelled) until the next transfer.
Everything shown is plain text (descriptions quote paths and names).

The bar keeps its own parts rather than querying for them: the transfer's
worker may still report while the app shuts down, after Textual has removed
the bar's children, and a report then changes parts no longer shown instead
of failing.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Label, ProgressBar, Static

from nspawn_tui.host.images import TransferProgress
from nspawn_tui.images.progress import progress_line
from nspawn_tui.view.formatting import format_bytes
from nspawn_tui.widgets.safe_text import plain

#: Steps of the bar when the total is known (its percentage has one decimal).
STEPS = 1000


class TransferBar(Vertical):
    """Progress of the images screen's transfer (one at a time)."""

    DEFAULT_CSS = """
    TransferBar { height: auto; display: none; border: round $accent; padding: 0 1; }
    TransferBar.-shown { display: block; }
    TransferBar.-failed { border: round $error; }
    TransferBar.-done { border: round $success; }
    TransferBar #transfer-title { width: 1fr; text-style: bold; }
    TransferBar ProgressBar { width: 100%; }
    TransferBar ProgressBar Bar { width: 1fr; }
    TransferBar #transfer-figures { color: $text-muted; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.running = False
        self.last: TransferProgress | None = None
        self._title = Label("", id="transfer-title")
        # the percentage is in the figures line, with one decimal
        self._bar = ProgressBar(
            total=None, show_eta=False, show_percentage=False, id="transfer-progress"
        )
        self._figures = Static("", id="transfer-figures")

    def compose(self) -> ComposeResult:
        yield self._title
        yield self._bar
        yield self._figures

    def begin(self, description: str) -> None:
        self.running = True
        self.last = None
        self.set_class(True, "-shown")
        self.set_class(False, "-failed")
        self.set_class(False, "-done")
        self._title.update(plain(f"{description}  (x cancels)"))
        self._bar.update(total=None, progress=0)
        self._figures.update("starting…")

    def show(self, progress: TransferProgress) -> None:
        self.last = progress
        bar = self._bar
        fraction = progress.fraction
        if fraction is None:
            bar.update(total=None)
        else:
            bar.update(total=STEPS, progress=round(fraction * STEPS))
        figures = progress_line(progress, format_bytes)
        if progress.message and not progress.finished:
            figures += f"  ·  {progress.message}"
        self._figures.update(plain(figures))

    def end(self, description: str, outcome: str, *, failed: bool) -> None:
        """The transfer is over: ``outcome`` says how (kept until the next one)."""
        self.running = False
        self.set_class(True, "-shown")
        self.set_class(failed, "-failed")
        self.set_class(not failed, "-done")
        self._title.update(plain(description))
        if not failed:
            self._bar.update(total=STEPS, progress=STEPS)
        self._figures.update(plain(outcome, lines=True))

    def note(self, text: str) -> None:
        """Say something about transfers without one running (importd missing)."""
        self.running = False
        self.set_class(True, "-shown")
        self.set_class(True, "-failed")
        self.set_class(False, "-done")
        self._title.update("Import and export")
        self._bar.update(total=STEPS, progress=0)
        self._figures.update(plain(text, lines=True))
