"""A fleet in the dashboard: machines grouped under host rows (issue 14).

Runs the real app on a :class:`FleetHost` of frozen demo hosts (its clock
frozen too, so a down host's back-off text does not move).
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from screen_text import notifications, screen_lines, screen_text
from textual.geometry import Region
from textual.pilot import Pilot

from nspawn_tui.app import NspawnApp
from nspawn_tui.fleet.host import FleetHost
from nspawn_tui.host.base import HostStats, HostStatus, HostUnavailable
from nspawn_tui.host.demo.host import DemoHost
from nspawn_tui.screens.dashboard import DashboardScreen
from nspawn_tui.view.host_rows import host_row_refusal
from nspawn_tui.view.rows import layout_columns
from nspawn_tui.widgets.detail_panel import DetailPanel, _Text
from nspawn_tui.widgets.machine_table import MachineBand, MachineTable

UNREACHABLE = "ssh: connect to host demo2 port 22: No route to host"
NAMES = ["cache", "ci-runner", "debian-base", "web"]  # a demo host's 4 machines, by name


def fleet(
    *, down: str | None = None, labels: tuple[str, ...] = ()
) -> tuple[FleetHost, list[DemoHost]]:
    """Three frozen demo hosts (demo1..demo3) of 4 machines; ``down``: demo2 never connects."""
    demos = []
    for index in range(3):
        demo = DemoHost(seed=1 + index, frozen=True, machines=4)
        demo.label = labels[index] if labels else f"demo{index + 1}"
        demos.append(demo)
    if down is not None:

        async def refuse() -> None:
            raise HostUnavailable(down)

        demos[1].connect = refuse  # type: ignore[method-assign]
    return FleetHost(demos, clock=lambda: 0.0), demos


def fleet_app(**options: object) -> NspawnApp:
    host, _ = fleet(**options)  # type: ignore[arg-type]
    return NspawnApp(host, interval=0.2)


async def polled(pilot: Pilot[None], polls: int = 2) -> DashboardScreen:
    for _ in range(200):
        await pilot.pause(0.02)
        screen = pilot.app.screen
        if isinstance(screen, DashboardScreen) and screen.polls >= polls:
            await pilot.pause()
            return screen
    raise AssertionError("the dashboard never polled the fleet")


def grouped(*hosts: tuple[str, list[str]]) -> list[str]:
    """The keys of the table's lines: each host's row ("demo1/") then its machines."""
    return [
        key for label, names in hosts for key in [f"{label}/", *(f"{label}/{n}" for n in names)]
    ]


def line_of(app: NspawnApp, start: str) -> str:
    return next(line for line in screen_lines(app) if line.startswith(start))


async def test_machines_are_grouped_under_their_hosts_in_order() -> None:
    app = fleet_app(down=UNREACHABLE)
    async with app.run_test(size=(120, 40)) as pilot:
        await polled(pilot)
        table = app.screen.query_one(MachineTable)
        assert table.visible_keys == grouped(("demo1", NAMES), ("demo2", []), ("demo3", NAMES))
        assert table.visible_names == [f"demo{i}/{n}" for i in (1, 3) for n in NAMES]
        demo1 = line_of(app, "▾ demo1").split()
        assert demo1[:5] == ["▾", "demo1", "up", "4", "machines"]
        assert demo1[-1].endswith("G/32G")  # the host's memory used/total
        assert line_of(app, "  ci-runner").split()[:2] == ["ci-runner", "running"]
        assert "3 hosts (2 up)" in screen_lines(app)[0]  # the down host is counted


async def test_a_host_row_folds_and_unfolds_with_enter() -> None:
    app = fleet_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await polled(pilot)
        table = app.screen.query_one(MachineTable)
        assert table.cursor_host == "demo1" and table.cursor_name is None
        await pilot.press("enter")
        assert table.visible_keys == ["demo1/", *grouped(("demo2", NAMES), ("demo3", NAMES))]
        await pilot.pause()
        assert line_of(app, "▸ demo1").split()[:3] == ["▸", "demo1", "up"]
        await pilot.press("enter")
        assert table.visible_keys == grouped(*((f"demo{i}", NAMES) for i in (1, 2, 3)))
        # Enter on a machine folds its own host, and the cursor goes to the host's row
        await pilot.press("down", "down", "down", "down", "down", "down")
        assert table.cursor_name == "demo2/cache"
        await pilot.press("enter")
        assert table.cursor_host == "demo2"
        assert "demo2/cache" not in table.visible_keys
        await polled(pilot, app.screen.polls + 2)  # a poll keeps it folded
        assert "demo2/cache" not in table.visible_keys and "▸ demo2" in screen_text(app)


async def test_sorted_by_cpu_there_are_no_host_rows_and_names_are_qualified() -> None:
    app = fleet_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await polled(pilot)
        table = app.screen.query_one(MachineTable)
        await pilot.press("o", "o", "o", "o")  # name, state, OS, address, then CPU
        assert table.sort_key == "cpu"
        assert not [key for key in table.visible_keys if key.endswith("/")]
        assert len(table.visible_keys) == 12
        lines = screen_lines(app)
        assert lines[1].startswith("NAME") and "CPU%▼" in lines[1]
        first = lines[2].split()[0]
        assert first.startswith("demo") and "/" in first  # HOST/NAME, comparable across hosts
        cpus = [table.row(name).sort_keys[4][1] for name in table.visible_names[:9]]  # type: ignore[union-attr]
        assert cpus == sorted(cpus, reverse=True)
        assert "▾" not in screen_text(app)
        # back to the name: the host rows again
        for _ in range(6):
            await pilot.press("o")
        assert table.sort_key == "name"
        assert table.visible_keys[0] == "demo1/"


async def test_the_filter_matches_qualified_names_and_host_labels() -> None:
    app = fleet_app(down=UNREACHABLE)
    async with app.run_test(size=(120, 40)) as pilot:
        await polled(pilot)
        table = app.screen.query_one(MachineTable)
        await pilot.press("slash", "w", "e", "b")
        assert table.visible_keys == grouped(("demo1", ["web"]), ("demo3", ["web"]))
        await pilot.press("escape", "slash", *"demo3/")
        assert table.visible_keys == grouped(("demo3", NAMES))
        await pilot.press("escape", "slash", *"demo2")  # a label: the host with no machines
        assert table.visible_keys == ["demo2/"]
        await pilot.press("enter")
        assert "filter: 'demo2' (0 shown)" in screen_text(app)


async def test_a_host_that_drops_shows_why_on_its_row_and_keeps_its_machines() -> None:
    host, demos = fleet()
    app = NspawnApp(host, interval=0.2)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await polled(pilot)
        demos[1].fail_next_snapshot("ssh: Connection to demo2 closed by remote host.", 10_000)
        await polled(pilot, screen.polls + 3)
        table = screen.query_one(MachineTable)
        assert table.visible_keys == grouped(*((f"demo{i}", NAMES) for i in (1, 2, 3)))
        row = line_of(app, "▾ demo2")
        assert row.split()[:5] == ["▾", "demo2", "down", "4", "machines"]
        assert "Connection to demo2 closed by remote host." in row
        assert line_of(app, "▾ demo1").split()[2] == "up"  # the others carry on
        assert line_of(app, "▾ demo3").split()[2] == "up"
        assert "3 hosts (2 up)" in screen_lines(app)[0]
        # its row in the detail panel: state, reason, latency, group
        await pilot.press("down", "down", "down", "down", "down")
        assert table.cursor_host == "demo2"
        await pilot.pause()
        props = app.screen.query_one(DetailPanel).query_one("#detail-props", _Text).text
        assert props.startswith("demo2  (host, down)")
        assert "Why:       ssh: Connection to demo2 closed by remote host." in props
        assert "Latency:" in props and "Group:     —" in props
        assert "Machines:  4 (3 running)" in props


async def test_machine_actions_on_a_host_row_are_refused_with_a_toast() -> None:
    app = fleet_app()
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        screen = await polled(pilot)
        table = screen.query_one(MachineTable)
        assert table.cursor_host == "demo1"
        for key in ("b", "p", "t", "K", "l", "s", "S", "L", "P", "e", "N", "a"):
            await pilot.press(key)
            await pilot.pause()
            assert app.screen is screen, key  # no dialog, no other screen
        said = [n.message for n in notifications(app)]
        assert said and all(m == "choose a machine: this is the host row of demo1" for m in said)
        assert len(said) == 12
        # space selects no host row; through the palette the same refusal
        await pilot.press("space")
        assert table.selected == set() and table.targets() == []
        await app.screen.run_action("boot")
        await pilot.pause()
        assert len(notifications(app)) == 13
        # with machines selected, the actions that apply to the selection go ahead
        await pilot.press("down", "down", "space", "up", "up")
        assert table.selected == {"demo1/ci-runner"} and table.cursor_host == "demo1"
        assert table.targets() == ["demo1/ci-runner"]
        assert host_row_refusal("demo1", True, "logs") is None
        assert host_row_refusal("demo1", True, "shell") is not None  # the cursor's machine
        assert host_row_refusal(None, False, "boot") is None


async def test_hostile_host_labels_and_reasons_are_shown_inert() -> None:
    label = "ev[bold]il\x1b[2J"
    reason = "[@click=app.quit]boom[/] \x1b]0;pwned\x07 \u202eflip"
    app = fleet_app(down=reason, labels=("ok", label, "[red]x"))
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        screen = await polled(pilot)
        text = screen_text(app)
        assert "▾ ev[bold]il^[[2J" in text and "▾ [red]x" in text
        row = line_of(app, "▾ ev[bold]il")
        assert "[@click=app.quit]boom[/]" in row and "^[]0;pwned^G" in row
        assert "\x1b" not in text and "\u202e" not in text
        await pilot.press("down", "down", "down", "down", "down")
        assert screen.query_one(MachineTable).cursor_host == label
        await pilot.press("b")
        await pilot.pause()
        assert notifications(app)[-1].message == (
            "choose a machine: this is the host row of ev[bold]il^[[2J"
        )
        await pilot.click(MachineBand, offset=(2, 6))  # whatever the markup, no action runs
        assert app.is_running


def _metrics_end(key: str, width: int) -> int:
    x, starts, ends = 0, {}, {}
    for column, w in layout_columns(width):
        starts[column.key], ends[column.key] = x, x + w
        x += w + 1
    return ends[key] - starts["cpu"]


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
async def test_a_host_figure_change_repaints_only_its_cell(
    monkeypatch: pytest.MonkeyPatch, size: tuple[int, int]
) -> None:
    app = fleet_app()
    async with app.run_test(size=size) as pilot:
        screen = await polled(pilot)
        table = screen.query_one(MachineTable)
        identity, metrics = list(table.query(MachineBand))
        marked: dict[str, list[Region]] = {"identity": [], "metrics": []}
        monkeypatch.setattr(identity, "refresh", lambda *r, **k: marked["identity"].extend(r))
        monkeypatch.setattr(metrics, "refresh", lambda *r, **k: marked["metrics"].extend(r))
        rows = [table.row(name) for name in table.visible_names]
        hosts = list(table.hosts)
        stats = hosts[1].stats
        assert stats is not None
        hosts[1] = replace(hosts[1], stats=replace(stats, cpu_percent=99.5))
        table.set_rows([r for r in rows if r is not None], hosts)
        y = table.visible_keys.index("demo2/") + 1
        assert marked == {
            "identity": [],
            "metrics": [Region(0, y, _metrics_end("cpu", size[0]), 1)],
        }
        # a reason appearing marks the host's line from its count on, nothing else
        marked["metrics"].clear()
        hosts[1] = replace(hosts[1], connected=False, error="gone")
        table.set_rows([r for r in rows if r is not None], hosts)
        assert marked["identity"] == [Region(0, y, identity.size.width, 1)]
        assert marked["metrics"] == [Region(0, y, metrics.size.width, 1)]


async def test_one_host_has_no_fold_key_and_a_fleet_has_one() -> None:
    single = NspawnApp(DemoHost(seed=1, frozen=True), interval=0.2)
    async with single.run_test(size=(120, 40)) as pilot:
        screen = await polled(pilot)
        assert "enter" not in screen.active_bindings
        assert screen.query_one(MachineTable).hosts == ()
        single_commands = [c.title for c in single.get_system_commands(screen)]
    assert "Fold" not in single_commands
    app = fleet_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await polled(pilot)
        assert screen.active_bindings["enter"].binding.description == "Fold"
        palette = [c.title for c in app.get_system_commands(screen)]
        assert "Fold" in palette
        await pilot.press("question_mark")
        await pilot.pause()
        assert "Fold" in screen_text(app)


def test_a_host_row_without_stats_shows_na() -> None:
    from nspawn_tui.view.host_rows import build_host_row

    row = build_host_row(HostStatus("w", "ssh w", True, stats=None), 0, 0)
    assert row.cells[:3] == ("▾ w", "up", "0 machines")
    assert row.cells[4:6] == ("n/a", "n/a")
    stats = HostStats("w", 4, 12.5, 8 << 30, 2 << 30)
    slow = build_host_row(HostStatus("w", "", True, stats=stats, stale=True), 1, 1, collapsed=True)
    assert slow.cells[:3] == (
        "▸ w",
        "slow",
        "1 machine  no answer in time: figures are from an earlier refresh",
    )
    assert slow.cells[4:6] == ("12.5", "2.0G/8.0G") and slow.styles[4] == "dim"
