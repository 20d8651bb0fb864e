"""Resource limits through MachinedHost against the outer's real systemd.

Run inside the outer by ``tests/lab/test_lab_limits.py``, on the running
inner container. Every test puts the limits back to "no limit" and removes
the drop-ins it caused (see the ``clean_limits`` fixture).
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from inner_actions.inner_helpers import show, systemctl, unit
from nspawn_tui.host.base import HostError
from nspawn_tui.host.machined import bus as dbus_util
from nspawn_tui.host.machined.host import MachinedHost

PERSISTENT = Path("/etc/systemd/system.control")
RUNTIME = Path("/run/systemd/system.control")
SHOWN = ("MemoryMax", "CPUQuotaPerSecUSec", "MemoryHigh", "TasksMax")


def dropins(base: Path, name: str) -> dict[str, str]:
    """systemd's own drop-ins for the unit under ``base``, by file name."""
    directory = base / f"{unit(name)}.d"
    if not directory.is_dir():
        return {}
    return {path.name: path.read_text() for path in sorted(directory.iterdir())}


@pytest.fixture
async def clean_limits(host: MachinedHost, inner_running: str) -> AsyncIterator[str]:
    """The running inner machine, with no limits before and after the test."""

    async def reset() -> None:
        no_limits = {"MemoryMax": "infinity", "CPUQuota": ""}
        await host.set_limits(inner_running, no_limits, runtime=False)
        await host.set_limits(inner_running, no_limits, runtime=True)
        for base in (PERSISTENT, RUNTIME):
            shutil.rmtree(base / f"{unit(inner_running)}.d", ignore_errors=True)
        systemctl("daemon-reload")

    await reset()
    assert show(inner_running, "MemoryMax", "CPUQuotaPerSecUSec") == {
        "MemoryMax": "infinity",
        "CPUQuotaPerSecUSec": "infinity",
    }
    try:
        yield inner_running
    finally:
        await reset()


async def test_runtime_memory_and_cpu_limits(host: MachinedHost, clean_limits: str) -> None:
    name = clean_limits
    await host.set_limits(name, {"MemoryMax": "300M", "CPUQuota": "20%"}, runtime=True)
    assert show(name, "MemoryMax", "CPUQuotaPerSecUSec") == {
        "MemoryMax": str(300 * 1024**2),
        "CPUQuotaPerSecUSec": "200ms",
    }
    limits = await host.unit_limits(name)
    assert limits["MemoryMax"] == "300M"
    assert limits["CPUQuota"] == "20%"
    # runtime only: systemd keeps them under /run, nothing under /etc
    assert any("MemoryMax=" in text for text in dropins(RUNTIME, name).values())
    assert dropins(PERSISTENT, name) == {}


async def test_persistent_limit_survives_a_reload(host: MachinedHost, clean_limits: str) -> None:
    name = clean_limits
    await host.set_limits(name, {"MemoryMax": "400M", "CPUQuota": "35%"}, runtime=False)
    persistent = dropins(PERSISTENT, name)
    assert any("MemoryMax=" in text for text in persistent.values()), persistent
    assert any("CPUQuota=" in text for text in persistent.values()), persistent
    systemctl("daemon-reload")  # the unit is reloaded from its files: values come back
    assert show(name, "MemoryMax", "CPUQuotaPerSecUSec") == {
        "MemoryMax": str(400 * 1024**2),
        "CPUQuotaPerSecUSec": "350ms",
    }
    assert (await host.unit_limits(name))["MemoryMax"] == "400M"


async def test_reset_to_infinity(host: MachinedHost, clean_limits: str) -> None:
    name = clean_limits
    await host.set_limits(name, {"MemoryMax": "300M", "CPUQuota": "20%"}, runtime=True)
    assert show(name, "MemoryMax")["MemoryMax"] == str(300 * 1024**2)
    await host.set_limits(name, {"MemoryMax": "infinity", "CPUQuota": ""}, runtime=True)
    assert show(name, "MemoryMax", "CPUQuotaPerSecUSec") == {
        "MemoryMax": "infinity",
        "CPUQuotaPerSecUSec": "infinity",
    }
    limits = await host.unit_limits(name)
    assert limits["MemoryMax"] == "infinity"
    assert limits["CPUQuota"] == "infinity"  # no quota, as systemctl show says


@pytest.mark.parametrize(
    "values",
    [{"MemoryMax": "12X"}, {"MemoryMax": "200M", "CPUQuota": "20"}],
    ids=["bad-size", "one-bad-of-two"],
)
async def test_bad_value_is_refused_before_anything_is_sent(
    host: MachinedHost,
    clean_limits: str,
    values: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    name = clean_limits
    before = show(name, *SHOWN)
    sent: list[str] = []
    real_call: Callable[..., Any] = dbus_util.call

    async def spy(bus: Any, destination: str, path: str, interface: str, member: str,
                  *args: Any, **kwargs: Any) -> Any:  # fmt: skip
        sent.append(member)
        return await real_call(bus, destination, path, interface, member, *args, **kwargs)

    monkeypatch.setattr(dbus_util, "call", spy)
    with pytest.raises(HostError) as refused:
        await host.set_limits(name, values, runtime=True)
    message = str(refused.value)
    bad_field = "MemoryMax" if "12X" in values.values() else "CPUQuota"
    assert bad_field in message
    assert "SetUnitProperties" not in sent
    assert show(name, *SHOWN) == before
    # a valid value still goes through afterwards (the spy does see it)
    await host.set_limits(name, {"MemoryMax": "200M"}, runtime=True)
    assert "SetUnitProperties" in sent
    assert show(name, "MemoryMax")["MemoryMax"] == str(200 * 1024**2)
