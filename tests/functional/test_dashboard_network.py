"""The network on the dashboard: RX/s and TX/s columns, sorting, the detail panel's section."""

from __future__ import annotations

from screen_text import screen_text

from nspawn_tui.app import NspawnApp
from nspawn_tui.host.demo.host import DemoHost
from nspawn_tui.screens.dashboard import DashboardScreen
from nspawn_tui.widgets.machine_table import MachineTable


async def test_columns_show_rates_and_sort_by_received_bytes() -> None:
    host = DemoHost(seed=1, frozen=True)
    app = NspawnApp(host, interval=0.25)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        while not (isinstance(app.screen, DashboardScreen) and app.screen.polls >= 2):
            await pilot.pause(0.05)
        text = screen_text(app)
        header = next(line for line in text.splitlines() if line.startswith("NAME"))
        assert "RX/s" in header and "TX/s" in header
        build = next(line for line in text.splitlines() if line.startswith("build-arch"))
        assert build.split()[-3:-1] == ["host", "host"]  # its traffic is the host's
        table = app.screen.query_one(MachineTable)
        table.sort_by("rx", reverse=True)
        snapshot = app.screen.snapshot
        assert snapshot is not None
        names = [n for n in table.visible_names if n in snapshot.samples]
        rates = [snapshot.samples[n].net_rx_bps for n in names]
        known = [r for r in rates if r is not None]
        assert known == sorted(known, reverse=True) and len(known) >= 6
        assert rates[len(known) :] == [None] * (len(rates) - len(known))  # host's: last


async def test_narrow_terminal_hides_the_network_columns() -> None:
    app = NspawnApp(DemoHost(seed=1, frozen=True), interval=0.25)
    async with app.run_test(size=(80, 24)) as pilot:
        while not (isinstance(app.screen, DashboardScreen) and app.screen.polls >= 1):
            await pilot.pause(0.05)
        header = next(line for line in screen_text(app).splitlines() if line.startswith("NAME"))
        assert "RX/s" not in header and "CPU%" in header


async def test_detail_panel_shows_links_ports_and_the_hosts_network() -> None:
    host = DemoHost(seed=1, frozen=True)
    app = NspawnApp(host, interval=0.25)
    # 44 rows: at 40 the action bar takes the panel's last line (its Ports: line)
    async with app.run_test(size=(120, 44), notifications=True) as pilot:
        while not (isinstance(app.screen, DashboardScreen) and app.screen.polls >= 1):
            await pilot.pause(0.05)
        screen = app.screen
        table = screen.query_one(MachineTable)
        for name, expected in (
            (
                "web",
                ("Links:     ve-web (host end) up", "host0 up  10.0.0.2", "Ports:     tcp:8080:80"),
            ),
            ("cache", ("vb-cache (host end) up  bridge vz-apps",)),
            ("build-arch", ("Network:   the host's",)),
        ):
            assert table.move_cursor_to_name(name)
            for _ in range(100):
                if screen._network and screen._network[0] == name:
                    break
                await pilot.pause(0.05)
            await pilot.pause(0.1)
            text = screen_text(app)
            for part in expected:
                assert part in text, (name, part)
        assert "Network, last 5m" in text or "Network: the host's" in text
        # a stopped image has no network section
        assert table.move_cursor_to_name("debian-base")
        await pilot.pause(0.2)
        assert "Network:" not in screen_text(app)
