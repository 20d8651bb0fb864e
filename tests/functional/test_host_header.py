"""The host line draws itself: margins, the cut with "…", the read-only flag, changed cells only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.pilot import Pilot

from nspawn_tui.host.base import HostStats, Snapshot
from nspawn_tui.widgets.host_header import HostHeader

GiB = 1 << 30


def snapshot(cpu: float, error: str | None = None) -> Snapshot:
    stats = HostStats("box", 4, cpu, 8 * GiB, 2 * GiB)
    return Snapshot((), {}, stats, connected=error is None, error=error)


class One(App[None]):
    def __init__(self, read_only: bool = False) -> None:
        super().__init__()
        self.read_only = read_only

    def compose(self) -> ComposeResult:
        yield HostHeader("a host described at some length", read_only=self.read_only)


@asynccontextmanager
async def shown(
    width: int, read_only: bool = False
) -> AsyncIterator[tuple[HostHeader, Pilot[None]]]:
    """A header *width* cells wide showing a host at 12 % CPU, drawn once."""
    app = One(read_only)
    async with app.run_test(size=(width, 3)) as pilot:
        header = app.query_one(HostHeader)
        header.show(snapshot(12.0), 1.0, "% of one core")
        await pilot.pause()
        yield header, pilot


def text(header: HostHeader) -> str:
    return "".join(segment.text for segment in header.render_line(0))


async def test_the_line_has_margins_and_is_cut_with_an_ellipsis() -> None:
    async with shown(40) as (header, _):
        line = text(header)
        assert len(line) == 40 and line[0] == " " and line[-1] == " "
        assert line.startswith(" box │ 4 CPUs 12% │") and line[-2] == "…"
        assert header._last.startswith(line[1:-2])  # the text, cut
        background = header.rich_style.bgcolor
        assert all(segment.style.bgcolor == background for segment in header.render_line(0))


async def test_the_read_only_flag_is_bold() -> None:
    async with shown(60, read_only=True) as (header, _):
        segments = list(header.render_line(0))
        assert segments[1].text == "read-only" and segments[1].style.bold
        assert not segments[2].style.bold


async def test_a_changed_figure_marks_its_own_cells() -> None:
    async with shown(80) as (header, _):
        marked: list[tuple[Region, ...]] = []
        refresh = header.refresh

        def spy(*regions: Region, **kwargs: Any) -> Any:
            marked.append(regions)
            return refresh(*regions, **kwargs)

        header.refresh = spy  # type: ignore[method-assign]
        header.show(snapshot(17.0), 1.0, "% of one core")
        # " box │ 4 CPUs 12%": the "2" of 12 is cell 14 of the text, 15 of the line
        assert marked == [(Region(15, 0, 1, 1),)]
        assert text(header)[14:18] == "17% "


async def test_a_lost_host_colours_the_line_and_says_why() -> None:
    async with shown(80) as (header, pilot):
        before = header.render_line(0)
        header.show(snapshot(12.0, error="machined went \x1b[31maway"), 1.0, "% of one core")
        await pilot.pause()
        after = header.render_line(0)
        assert header.has_class("-disconnected")
        assert list(after)[0].style.bgcolor != list(before)[0].style.bgcolor
        assert "machined went ^[[31maway" in text(header) and "\x1b" not in text(header)
