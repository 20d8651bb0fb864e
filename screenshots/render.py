"""Render the app on the demo host (fixed seed, frozen clock) to SVG files here.

Run with `make screenshots`; README.md shows the result.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

from textual.pilot import Pilot

from nspawn_tui.app import NspawnApp
from nspawn_tui.fleet.host import FleetHost
from nspawn_tui.host.base import Host
from nspawn_tui.host.demo.host import DemoHost
from nspawn_tui.screens.dashboard import DashboardScreen

HERE = Path(__file__).resolve().parent

Steps = Callable[[Pilot[None]], Awaitable[None]]


async def _settle(pilot: Pilot[None]) -> None:
    for _ in range(100):
        await pilot.pause(0.05)
        screen = pilot.app.screen
        if isinstance(screen, DashboardScreen) and screen.polls >= 2:
            return


async def _history(pilot: Pilot[None], seconds: float = 300.0, step: float = 5.0) -> None:
    """Let the dashboard poll the frozen host over simulated minutes: its graphs fill."""
    screen = pilot.app.screen
    assert isinstance(screen, DashboardScreen) and isinstance(screen.host, DemoHost)
    for _ in range(int(seconds / step)):
        polls = screen.polls
        screen.host.tick(step)
        while screen.polls == polls:
            await pilot.pause(0.02)


async def _dashboard(pilot: Pilot[None]) -> None:
    await _settle(pilot)
    await pilot.press("down", "down", "down")  # the busy ci-runner
    await _history(pilot)
    await pilot.pause(0.3)


async def _logs(pilot: Pilot[None]) -> None:
    await _settle(pilot)
    await pilot.press("down", "down", "down", "space", "down", "down", "space", "l")
    await pilot.pause(1.5)


async def _limits(pilot: Pilot[None]) -> None:
    await _settle(pilot)
    await pilot.press("end", "up", "e")  # web
    await pilot.pause(0.5)


async def _processes(pilot: Pilot[None]) -> None:
    await _settle(pilot)
    await pilot.press("end", "P")  # web
    await pilot.pause(1.0)


async def _fleet_steps(pilot: Pilot[None]) -> None:
    await _settle(pilot)
    await pilot.press("down", "down")
    await pilot.pause(0.5)


async def _images(pilot: Pilot[None]) -> None:
    await _settle(pilot)
    await pilot.press("i")
    await pilot.pause(1.0)


def _demo(seed: int = 1, machines: int = 12, label: str = "local") -> DemoHost:
    host = DemoHost(seed=seed, frozen=True, machines=machines)
    host.label = label
    return host


def _fleet() -> Host:
    """Three simulated hosts in one table (as ``--host a --host b --host c`` shows them)."""
    hosts: list[Host] = [
        _demo(1, 4, "root@web1"),
        _demo(2, 3, "root@web2:2222"),
        _demo(3, 4, "db1"),
    ]
    return FleetHost(hosts)


async def render(
    name: str,
    steps: Steps,
    size: tuple[int, int] = (120, 40),
    make_host: Callable[[], Host] = _demo,
) -> Path:
    host = make_host()
    for _ in range(40):  # some history for the graphs
        for member in getattr(host, "hosts", [host]):
            if isinstance(member, DemoHost):
                member.tick(3.0)
        await host.snapshot()
    app = NspawnApp(host, interval=0.2)
    async with app.run_test(size=size) as pilot:
        await steps(pilot)
        svg = app.export_screenshot(title=f"nspawn-tui — {name}")
    path = HERE / f"{name}.svg"
    path.write_text(svg, encoding="utf-8")
    return path


async def main() -> None:
    for name, steps in (
        ("dashboard", _dashboard),
        ("logs", _logs),
        ("limits", _limits),
        ("processes", _processes),
        ("images", _images),
    ):
        print(await render(name, steps))
    print(await render("fleet", _fleet_steps, make_host=_fleet))


if __name__ == "__main__":
    asyncio.run(main())
