from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from nspawn_tui.host.base import UNLIMITED, Machine, Sample
from nspawn_tui.view.rows import COLUMNS, STYLE_NA, STYLE_WARN, build_row, layout_columns

NOW = 1_000_000.0


def test_running_row_cells() -> None:
    machine = Machine(
        "web", os="Debian GNU/Linux 12 (bookworm)", addresses=("10.0.0.2",), started_at=NOW - 3700
    )
    sample = Sample(
        1.0,
        cpu_percent=12.34,
        memory_current=300 * 1024**2,
        memory_max=1024**3,
        tasks_current=12,
        tasks_max=UNLIMITED,
    )
    row = build_row(machine, sample, NOW)
    assert row.cells == (
        "web",
        "running",
        "Debian GNU/Linux 12 (bookworm)",
        "10.0.0.2",
        "12.3",
        "300M/1.0G",
        "12",
        "n/a",
        "n/a",
        "1h 01m",
    )


def test_network_cells_are_rates_host_or_unavailable() -> None:
    machine = Machine("web", started_at=NOW - 10)
    veth = build_row(machine, Sample(1.0, net_mode="veth", net_rx_bps=2048.0, net_tx_bps=0.0), NOW)
    assert veth.cells[7:9] == ("2.0K", "0B") and veth.styles[7:9] == ("", "")
    assert veth.sort_keys[7:9] == ((0, 2048.0), (0, 0.0))
    host = build_row(machine, Sample(1.0, net_mode="host"), NOW)
    assert host.cells[7:9] == ("host", "host") and host.styles[7] == "dim"
    unknown = build_row(machine, Sample(1.0, net_mode="private"), NOW)
    assert unknown.cells[7:9] == ("n/a", "n/a") and unknown.styles[7] == STYLE_NA


def test_narrow_terminals_drop_the_network_columns_before_the_address() -> None:
    keys = {width: [c.key for c, _ in layout_columns(width)] for width in (80, 100, 120)}
    assert "rx" in keys[120] and "tx" in keys[120] and "address" in keys[120]
    assert "rx" not in keys[100] and "tx" not in keys[100] and "address" in keys[100]
    assert "address" not in keys[80]


def test_unavailable_memory_is_marked_not_zero() -> None:
    row = build_row(Machine("x"), Sample(1.0, cpu_percent=1.0), NOW)
    assert row.cells[5] == "n/a" and row.styles[5] == STYLE_NA


def test_near_limit_is_warned() -> None:
    row = build_row(Machine("x"), Sample(1.0, memory_current=95, memory_max=100), NOW)
    assert row.styles[5] == STYLE_WARN


def test_cpu_scale_divides() -> None:
    row = build_row(Machine("x"), Sample(1.0, cpu_percent=160.0), NOW, cpu_scale=8)
    assert row.cells[4] == "20.0"


def test_stopped_image_row() -> None:
    row = build_row(Machine("img", state="stopped", os="Arch Linux"), None, NOW)
    assert row.cells[:3] == ("img", "stopped", "Arch Linux") and not row.running
    assert set(row.cells[3:]) == {""}


@given(st.integers(min_value=40, max_value=400))
def test_layout_fills_width(width: int) -> None:
    placed = layout_columns(width)
    total = sum(w for _, w in placed) + len(placed) - 1
    needed_min = sum(c.width for c in COLUMNS if not c.optional) + len(COLUMNS) - 2
    if width >= needed_min:
        assert total == width
    assert [c.key for c, _ in placed][:3] == ["name", "state", "os"]


def test_address_dropped_when_narrow() -> None:
    assert "address" in [c.key for c, _ in layout_columns(120)]
    assert "address" not in [c.key for c, _ in layout_columns(80)]
