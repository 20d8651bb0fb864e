"""Properties and CPU/memory history of the machine under the cursor."""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.geometry import Region
from textual.widget import Widget

from nspawn_tui.formatting import (
    format_bytes,
    format_count,
    format_duration,
    format_percent,
    format_rate,
)
from nspawn_tui.host.base import Machine, MachineDetails, Sample
from nspawn_tui.widgets.history_graph import HistoryGraph


class _Text(Widget):
    """Text that changes every second without a layout pass.

    ``Static.update`` asks for a layout of the whole screen each time; here a
    change of text only repaints, and only a change in the number of lines
    asks for a layout.
    """

    DEFAULT_CSS = "_Text { height: auto; }"

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.text = ""

    def set_text(self, text: str) -> None:
        if text == self.text:
            return
        old = self.text.split("\n")
        new = text.split("\n")
        self.text = text
        if len(old) != len(new):
            self.refresh(layout=True)
            return
        # Only the lines that changed, and on each only up to the end of the
        # longer text: the blank rest of the line is not sent again.
        changed = [
            Region(0, y, max(cell_len(a), cell_len(b)), 1)
            for y, (a, b) in enumerate(zip(old, new, strict=True))
            if a != b
        ]
        self.refresh(*changed)

    def render(self) -> Text:
        return Text(self.text)


class DetailPanel(Widget):
    """Shows one machine; ``show`` is cheap to call every poll (unchanged text is skipped)."""

    DEFAULT_CSS = """
    DetailPanel { height: auto; }
    DetailPanel #detail-props { width: 1fr; height: auto; }
    DetailPanel #detail-graphs { width: 1fr; height: auto; }
    DetailPanel .graph-title { color: $text-muted; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._last_text: str = ""
        self._last_titles: tuple[str, str] = ("", "")
        #: the histories last given: the dashboard passes the same lists until its bins move
        self._last_histories: tuple[Sequence[float], Sequence[float]] | None = None

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield _Text(id="detail-props")
            with Vertical(id="detail-graphs"):
                yield _Text(id="cpu-title", classes="graph-title")
                yield HistoryGraph(id="cpu-graph")
                yield _Text(id="mem-title", classes="graph-title")
                yield HistoryGraph(id="mem-graph")

    def on_mount(self) -> None:
        # Looked up once: show() runs every second.
        self._props = self.query_one("#detail-props", _Text)
        self._cpu_title = self.query_one("#cpu-title", _Text)
        self._mem_title = self.query_one("#mem-title", _Text)
        self._cpu_graph = self.query_one("#cpu-graph", HistoryGraph)
        self._mem_graph = self.query_one("#mem-graph", HistoryGraph)

    def show(
        self,
        machine: Machine | None,
        sample: Sample | None,
        details: MachineDetails | None,
        cpu_history: Sequence[float],
        mem_history: Sequence[float],
        now: float,
        history_seconds: float,
    ) -> None:
        text = self._props_text(machine, sample, details, now)
        if text != self._last_text:
            self._last_text = text
            self._props.set_text(text)
        span = format_duration(history_seconds)
        cpu_now = format_percent(sample.cpu_percent) if sample else "n/a"
        mem_now = format_bytes(sample.memory_current) if sample else "n/a"
        titles = (f"CPU % of one core, last {span}: {cpu_now}", f"Memory, last {span}: {mem_now}")
        if titles != self._last_titles:
            self._last_titles = titles
            self._cpu_title.set_text(titles[0])
            self._mem_title.set_text(titles[1])
        last = self._last_histories
        if last is None or last[0] is not cpu_history or last[1] is not mem_history:
            self._last_histories = (cpu_history, mem_history)
            self._cpu_graph.set_values(cpu_history)
            self._mem_graph.set_values(mem_history)

    @staticmethod
    def _props_text(
        machine: Machine | None,
        sample: Sample | None,
        details: MachineDetails | None,
        now: float,
    ) -> str:
        if machine is None:
            return "No machine selected."
        lines = [
            f"{machine.name}  ({machine.machine_class}, {machine.state})",
            f"OS:        {machine.os or 'unknown'}",
        ]
        if machine.running:
            uptime = format_duration(now - machine.started_at) if machine.started_at else "?"
            lines += [
                f"Unit:      {machine.unit or '—'}",
                f"Leader:    {machine.leader or '—'}   up {uptime}",
                f"Root:      {machine.root_directory or '—'}",
                f"Addresses: {', '.join(machine.addresses) or '—'}",
            ]
        else:
            lines.append(f"Image:     {machine.image_type or '?'} at {machine.root_directory}")
        if details is not None:
            if details.cgroup:
                lines.append(f"Cgroup:    {details.cgroup}")
            if details.enabled is not None:
                lines.append(f"At boot:   {details.enabled}")
        if sample is not None:
            lines.append(
                f"Memory:    {format_bytes(sample.memory_current)} of "
                f"{format_bytes(sample.memory_max)}  high {format_bytes(sample.memory_high)}"
                f"  peak {format_bytes(sample.memory_peak)}  OOM kills {format_count(sample.oom_kills)}"
            )
            lines.append(
                f"Tasks:     {format_count(sample.tasks_current)} of {format_count(sample.tasks_max)}"
                f"   IO read {format_rate(sample.io_read_bps)}  write {format_rate(sample.io_write_bps)}"
            )
        return "\n".join(lines)
