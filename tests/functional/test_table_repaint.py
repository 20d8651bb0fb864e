"""The machine table marks dirty only what changed: the metrics band, up to the last changed cell.

Textual sends a dirty span from the start of the widget holding it to the
span's end, so these regions are what goes to the terminal (see
machine_table's docstring and benchmarks/README.md for the bytes measured).
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from textual.geometry import Region
from textual.pilot import Pilot

from nspawn_tui.app import NspawnApp
from nspawn_tui.host.demo.host import DemoHost
from nspawn_tui.screens.dashboard import DashboardScreen
from nspawn_tui.view.rows import COLUMNS, Row, layout_columns
from nspawn_tui.widgets.detail_panel import _Text
from nspawn_tui.widgets.graph_column import TITLE, GraphColumn
from nspawn_tui.widgets.machine_table import MachineBand, MachineTable

KEYS = [column.key for column in COLUMNS]


def _cell_end(key: str, width: int) -> int:
    """End of a metrics column's text, counted from the metrics band's start (the CPU column)."""
    x, starts, ends = 0, {}, {}
    for column, w in layout_columns(width):
        starts[column.key], ends[column.key] = x, x + w
        x += w + 1
    return ends[key] - starts["cpu"]


async def _polled(pilot: Pilot[None]) -> DashboardScreen:
    """The dashboard, once it has polled the host."""
    for _ in range(50):
        await pilot.pause()
        screen = pilot.app.screen
        if isinstance(screen, DashboardScreen) and screen.polls:
            return screen
    raise AssertionError("the dashboard never polled the host")


def _with(row: Row, **cells: str) -> Row:
    values = list(row.cells)
    for key, text in cells.items():
        values[KEYS.index(key)] = text
    return replace(row, cells=tuple(values))


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
async def test_changed_figures_mark_one_region_per_line(
    demo_app: NspawnApp, monkeypatch: pytest.MonkeyPatch, size: tuple[int, int]
) -> None:
    async with demo_app.run_test(size=size) as pilot:
        await _polled(pilot)
        table = demo_app.screen.query_one(MachineTable)
        identity, metrics = list(table.query(MachineBand))
        marked: dict[str, list[Region]] = {"identity": [], "metrics": []}
        monkeypatch.setattr(identity, "refresh", lambda *r, **k: marked["identity"].extend(r))
        monkeypatch.setattr(metrics, "refresh", lambda *r, **k: marked["metrics"].extend(r))

        names = table.visible_names
        rows = {name: table.row(name) for name in names}
        running = [n for n in names if rows[n] is not None and rows[n].running]  # type: ignore[union-attr]
        cpu_only, cpu_and_tasks = running[0], running[1]
        new = dict(rows)
        new[cpu_only] = _with(rows[cpu_only], cpu="99.9")  # type: ignore[arg-type]
        new[cpu_and_tasks] = _with(rows[cpu_and_tasks], cpu="98.8", tasks="4242")  # type: ignore[arg-type]
        table.set_rows([r for r in new.values() if r is not None])

        width = size[0]
        y1, y2 = names.index(cpu_only) + 1, names.index(cpu_and_tasks) + 1
        assert marked["identity"] == []  # nothing changed there: not a cell re-sent
        assert marked["metrics"] == [
            Region(0, y1, _cell_end("cpu", width), 1),
            Region(0, y2, _cell_end("tasks", width), 1),
        ]
        await pilot.pause()
        assert "99.9" in _line(metrics, y1) and "4242" in _line(metrics, y2)

        # Nothing changed: nothing is marked.
        marked["metrics"].clear()
        table.set_rows([r for r in new.values() if r is not None])
        assert marked == {"identity": [], "metrics": []}


def _line(band: MachineBand, y: int) -> str:
    return band.render_line(y).text


async def test_graph_column_repaints_only_the_lines_that_moved(
    demo_app: NspawnApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with demo_app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        graphs = demo_app.screen.query_one("#detail-graphs", GraphColumn)
        graphs.set_values("cpu", [1.0] * 10)
        await pilot.pause()
        # the CPU title (one line here), then its graph's three lines
        assert graphs.lines()[0][0] == TITLE and graphs.render_line(0).text.startswith("CPU %")
        assert graphs.render_line(3).text.rstrip().endswith("█" * 10)
        marked: list[Region] = []
        monkeypatch.setattr(graphs, "refresh", lambda *r, **k: marked.extend(r))
        graphs.set_values("cpu", [1.0] * 10)
        assert marked == []  # same values: nothing sent
        graphs.set_values("cpu", [1.0] * 9 + [0.5])  # the newest bar drops to half: 2 lines move
        width = graphs.size.width
        assert marked == [Region(0, 1, width, 1), Region(0, 2, width, 1)]
        assert graphs.render_line(2).text.endswith("█▄") and graphs.render_line(1).text.endswith(
            "█ "
        )
        marked.clear()
        title = graphs.titles
        graphs.set_titles(("CPU % of one core, last 5m: 99.9", *title[1:]))
        # a new figure in the title: its line alone, up to the end of the longer text
        assert marked == [Region(0, 0, max(len(title[0]), 32), 1)]


async def test_detail_graphs_fill_as_bins_complete(
    demo_app: NspawnApp, demo_host: DemoHost
) -> None:
    async with demo_app.run_test(size=(120, 40)) as pilot:
        await _polled(pilot)
        screen = demo_app.screen
        assert isinstance(screen, DashboardScreen)
        table = screen.query_one(MachineTable)
        assert table.move_cursor_to_name("ci-runner")
        graphs = screen.query_one("#detail-graphs", GraphColumn)

        def bars() -> int:
            return sum(1 for ch in graphs.render_line(3).text if ch != " ")  # the CPU graph's base

        for _ in range(26):  # 26 polls one simulated second apart: at least 4 bins of 5 s
            demo_host.tick(1.0)
            screen._apply(await demo_host.snapshot())
            await pilot.pause()
        assert 4 <= bars() <= 6
        assert graphs.values["cpu"] and max(graphs.values["cpu"]) > 0  # ci-runner is busy
        table.move_cursor_to_name("debian-base")  # stopped: no history
        await pilot.pause()
        assert graphs.values["cpu"] == () and set(graphs.render_line(3).text) == {"▁"}


async def test_detail_text_marks_changed_lines_up_to_the_longer_text(
    demo_app: NspawnApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with demo_app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        props = demo_app.screen.query_one("#detail-props", _Text)
        props.set_text("Memory:    1.2G\nTasks:     64")
        await pilot.pause()
        marked: list[Region] = []
        monkeypatch.setattr(props, "refresh", lambda *r, **k: marked.extend(r))
        props.set_text("Memory:    1.25G\nTasks:     64")
        assert marked == [Region(0, 0, len("Memory:    1.25G"), 1)]
