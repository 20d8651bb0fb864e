"""Properties and CPU/memory history of the machine under the cursor."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from rich.cells import cell_len
from rich.segment import Segment
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.geometry import Region, Size
from textual.strip import Strip
from textual.widget import Widget

from nspawn_tui.host.base import HostStatus, Machine, MachineDetails, Sample
from nspawn_tui.host.network import HOST_NETWORK, Interface, NetworkInfo
from nspawn_tui.safe import clean, clean_lines
from nspawn_tui.view.formatting import (
    format_bytes,
    format_count,
    format_duration,
    format_percent,
    format_rate,
)
from nspawn_tui.view.host_rows import HOST_UP, host_reason, host_state
from nspawn_tui.widgets.action_bar import ActionBar
from nspawn_tui.widgets.geometry import content_size
from nspawn_tui.widgets.graph_column import GraphColumn
from nspawn_tui.widgets.mount_later import MountLater
from nspawn_tui.widgets.paint_now import refresh_lines
from nspawn_tui.widgets.plain_lines import PlainLines
from nspawn_tui.widgets.safe_text import safe_strip
from nspawn_tui.widgets.wrapping import wrap_line


class _Text(PlainLines):
    """Text that changes every second without a layout pass.

    ``Static.update`` asks for a layout of the whole screen each time; here a
    change of text only repaints, and only a change in the number of lines
    asks for a layout.
    """

    DEFAULT_CSS = "_Text { height: auto; }"

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.text = ""
        self._wrapped: tuple[str, int, list[str]] = ("", 0, [""])
        self._line_cache: dict[str, list[str]] = {}
        self._line_cache_width = -1

    def lines(self, width: int | None = None) -> list[str]:
        """The text as shown: cleaned, wrapped to ``width`` (default: the widget's)."""
        if width is None:
            width = content_size(self).width
        text, wrapped_width, lines = self._wrapped
        if text != self.text or wrapped_width != width:
            lines = self._wrap(self.text, width)
            self._wrapped = (self.text, width, lines)
        return lines

    def _wrap(self, text: str, width: int) -> list[str]:
        # Each line's wrapping is kept while the line and the width stay: of
        # a running machine's dozen lines, one or two change in a second.
        cache = self._line_cache
        if width != self._line_cache_width:
            cache.clear()
            self._line_cache_width = width
        kept: dict[str, list[str]] = {}
        wrapped: list[str] = []
        for line in clean_lines(text).split("\n"):
            parts = cache.get(line)
            if parts is None:
                parts = wrap_line(line, width)
            kept[line] = parts
            wrapped += parts
        self._line_cache = kept  # only the lines shown now: bounded by the text
        return wrapped

    def set_text(self, text: str) -> None:
        if text == self.text:
            return
        width = content_size(self).width
        old = self.lines(width)
        new = self._wrap(text, width)
        self.text = text
        self._wrapped = (text, width, new)
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
        if changed:
            refresh_lines(self, *changed)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self.lines(width))

    def render_line(self, y: int) -> Strip:
        # A line of its own (Line API): a changed figure re-draws its line, not
        # the whole text through Content's wrap and format (~0.6 ms for the
        # 12-line text). Cleaned in lines(); safe_strip makes any text inert.
        style = self.line_style
        lines = self.lines()
        width = content_size(self).width
        text = lines[y] if 0 <= y < len(lines) else ""
        return safe_strip(Strip([Segment(text, style)]).adjust_cell_length(width, style))

    def render(self) -> Content:
        # What tests and callers read as the text; drawing is render_line's.
        # cleaned in lines(): the last step, any text set here is made inert
        return Content("\n".join(self.lines()))


#: Terminals shorter than this show no network graphs (the panel would crowd the table).
NET_GRAPHS_MIN_HEIGHT: Final = 34


def _net_title(sample: Sample | None, span: str) -> str:
    if sample is None:
        return f"Network rx/tx, last {span}: n/a"
    if sample.net_mode == HOST_NETWORK:
        return "Network: the host's (not the container's own)"
    rx, tx = format_rate(sample.net_rx_bps), format_rate(sample.net_tx_bps)
    return f"Network, last {span}: rx {rx} (upper), tx {tx}"


def _interface_line(interface: Interface) -> str:
    """``ve-web (host end) up  bridge vz-apps  10.0.0.2  rx 1.2K/s  tx 300B/s``."""
    parts = [interface.name + (" (host end)" if interface.side == "host" else "")]
    if interface.state:
        parts[0] += f" {interface.state}"
    if interface.bridge:
        parts.append(f"bridge {interface.bridge}")
    if interface.addresses:
        parts.append(", ".join(interface.addresses))
    parts.append(f"rx {format_rate(interface.rx_bps)}  tx {format_rate(interface.tx_bps)}")
    counters = interface.counters
    if counters is not None and (
        counters.rx_errors or counters.tx_errors or counters.rx_dropped or counters.tx_dropped
    ):
        parts.append(
            f"errors {counters.rx_errors}/{counters.tx_errors}"
            f"  dropped {counters.rx_dropped}/{counters.tx_dropped}"
        )
    return "  ".join(parts)


def network_lines(network: NetworkInfo | None) -> list[str]:
    """The network section of a running machine (uncleaned: the caller cleans each line)."""
    if network is None:
        return ["Network:   …"]
    if network.mode == HOST_NETWORK:
        lines = ["Network:   the host's (no namespace of its own: its traffic is the host's)"]
    else:
        head = f"Network:   {network.mode}"
        if network.rx_bps is not None or network.tx_bps is not None:
            head += f"  rx {format_rate(network.rx_bps)}  tx {format_rate(network.tx_bps)}"
        if network.reason:
            head += f"  ({network.reason})"
        lines = [head]
        for index, interface in enumerate(network.interfaces):
            lines.append(("Links:     " if index == 0 else " " * 11) + _interface_line(interface))
    if network.port_forwards:
        lines.append(f"Ports:     {', '.join(network.port_forwards)}")
    return lines


class DetailPanel(Widget):
    """Shows one machine; ``show`` is cheap to call every poll (unchanged text is skipped)."""

    DEFAULT_CSS = """
    DetailPanel { height: auto; }
    DetailPanel #detail-props { width: 1fr; height: auto; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._last_text: str = ""
        self._last_titles: tuple[str, str, str] = ("", "", "")
        #: the histories last given: the dashboard passes the same lists until its bins move
        self._last_histories: tuple[Sequence[float], ...] | None = None
        #: what show() was last given (None: show_host since)
        self._last_inputs: tuple[object, ...] | None = None
        # Made here, not in compose: the action bar and the graphs column mount
        # after the first frame (widgets/mount_later.py), and show() may come before that.
        self._bar = ActionBar(id="action-bar")
        self._props = _Text(id="detail-props")
        self._graphs = GraphColumn(id="detail-graphs")
        self._net_graphs_shown = True

    def compose(self) -> ComposeResult:
        # The buttons and the graphs mount after the first frame: their dozen
        # widgets were a fifth of it (benchmarks/README.md, "First paint").
        yield MountLater(self._bar)  # buttons for the machine under the cursor
        with Horizontal():
            yield self._props
            yield MountLater(self._graphs)

    def show(
        self,
        machine: Machine | None,
        sample: Sample | None,
        details: MachineDetails | None,
        cpu_history: Sequence[float],
        mem_history: Sequence[float],
        now: float,
        history_seconds: float,
        oom_new: int | None = None,
        *,
        network: NetworkInfo | None = None,
        net_histories: tuple[Sequence[float], Sequence[float]] = ((), ()),
    ) -> None:
        """``oom_new``: OOM kills since nspawn-tui started (or the machine appeared).

        ``network``: the machine's interfaces (None: not read yet); ``net_histories``:
        bins of its rx and tx bytes/s.
        """
        # the network graphs only where the table keeps room for its rows
        tall = self.screen.size.height >= NET_GRAPHS_MIN_HEIGHT
        if tall != self._net_graphs_shown:
            self._net_graphs_shown = tall
            self._graphs.show_net(tall)
        self._bar.show(machine)
        # The same objects as last time (a stopped machine, every poll): nothing to redo.
        # ``now`` only shows in a running machine's uptime.
        running = machine is not None and machine.running
        inputs = (machine, sample, details, cpu_history, mem_history, *net_histories, network,
                  oom_new, history_seconds, now if running else None)  # fmt: skip
        last = self._last_inputs
        if last is not None and all(a is b for a, b in zip(last, inputs, strict=True)):
            return
        self._last_inputs = inputs
        text = self._props_text(machine, sample, details, now, oom_new)
        if machine is not None and machine.running:
            text += "\n" + "\n".join(clean(line) for line in network_lines(network))
        if text != self._last_text:
            self._last_text = text
            self._props.set_text(text)
        span = format_duration(history_seconds)
        cpu_now = format_percent(sample.cpu_percent) if sample else "n/a"
        mem_now = format_bytes(sample.memory_current) if sample else "n/a"
        titles = (
            f"CPU % of one core, last {span}: {cpu_now}",
            f"Memory, last {span}: {mem_now}",
            _net_title(sample, span),
        )
        if titles != self._last_titles:
            self._last_titles = titles
            self._graphs.set_titles(titles)
        histories = (cpu_history, mem_history, *net_histories)
        last = self._last_histories
        if not last or any(a is not b for a, b in zip(last, histories, strict=True)):
            self._last_histories = histories
            for key, values in zip(("cpu", "mem", "rx", "tx"), histories, strict=True):
                self._graphs.set_values(key, values)

    def show_host(self, status: HostStatus, machines: int, running: int) -> None:
        """A fleet's host (its row under the cursor): connection, figures, machines."""
        self._last_inputs = None
        self._bar.show(None)  # no machine actions on a host's row
        state = host_state(status)
        stats = status.stats
        cpu = memory = "n/a"
        if stats is not None:
            cpu = f"{format_percent(stats.cpu_percent)} % of {stats.cpu_count} CPUs"
            memory = f"{format_bytes(stats.memory_used)} of {format_bytes(stats.memory_total)}"
        latency = "n/a" if status.latency_s is None else f"{status.latency_s * 1000:.0f} ms"
        lines = [
            f"{status.label}  (host, {state})",
            f"Via:       {status.description or '—'}",
            f"Hostname:  {stats.hostname if stats else 'n/a'}",
            f"Group:     {status.group or '—'}",
            f"Machines:  {machines} ({running} running)",
            f"CPU:       {cpu}",
            f"Memory:    {memory}",
            f"Latency:   {latency} (its last refresh)",
        ]
        if state != HOST_UP:
            lines.append(f"Why:       {host_reason(status)}")
        text = "\n".join(clean(line) for line in lines)  # the label, error, hostname: outside text
        if text != self._last_text:
            self._last_text = text
            self._props.set_text(text)
        titles = (f"Host CPU: {cpu}", f"Host memory: {memory}", "")
        if titles != self._last_titles:
            self._last_titles = titles
            self._graphs.set_titles(titles)
        if self._last_histories != ():
            self._last_histories = ()  # no history of a host: the graphs are blank
            for key in ("cpu", "mem", "rx", "tx"):
                self._graphs.set_values(key, ())

    @staticmethod
    def _props_text(
        machine: Machine | None,
        sample: Sample | None,
        details: MachineDetails | None,
        now: float,
        oom_new: int | None = None,
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
            if details.unavailable:
                lines.append(f"n/a:       {details.unavailable}")
        if sample is not None:
            since = f" ({oom_new} since nspawn-tui started)" if oom_new else ""
            lines.append(
                f"Memory:    {format_bytes(sample.memory_current)} of "
                f"{format_bytes(sample.memory_max)}  high {format_bytes(sample.memory_high)}"
                f"  peak {format_bytes(sample.memory_peak)}  OOM kills {format_count(sample.oom_kills)}"
                f"{since}"
            )
            lines.append(
                f"Tasks:     {format_count(sample.tasks_current)} of {format_count(sample.tasks_max)}"
                f"   IO read {format_rate(sample.io_read_bps)}  write {format_rate(sample.io_write_bps)}"
            )
        # each line carries outside text (name, OS, unit, paths): cleaned as one line
        return "\n".join(clean(line) for line in lines)
