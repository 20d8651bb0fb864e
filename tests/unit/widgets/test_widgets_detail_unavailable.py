"""The detail panel says why figures are n/a (a remote host's metrics source knows), cleaned."""

from __future__ import annotations

from nspawn_tui.host.base import Machine, MachineDetails, Sample
from nspawn_tui.widgets.detail_panel import DetailPanel

NOW = 1_800_000_000.0


def test_the_reason_for_n_a_figures_is_shown_cleaned() -> None:
    machine = Machine("web", started_at=NOW - 60, unit="systemd-nspawn@web.service")
    reason = "CPU: CPUUsageNSec not set by systemd and cpu.stat not readable\x1b[2J"
    details = MachineDetails(machine=machine, unavailable=reason)
    text = DetailPanel._props_text(machine, Sample(timestamp=0.0), details, NOW)
    line = next(line for line in text.splitlines() if line.startswith("n/a:"))
    assert "CPUUsageNSec not set by systemd" in line
    assert "\x1b" not in line and "^[[2J" in line


def test_no_reason_no_line() -> None:
    machine = Machine("web", started_at=NOW - 60)
    text = DetailPanel._props_text(machine, None, MachineDetails(machine=machine), NOW)
    assert "n/a:" not in text
