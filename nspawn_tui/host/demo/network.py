"""Simulated network of the demo's machines: veth, zone (bridge) and host-networked.

Rates are a smooth function of the simulated time (no draws from the
machines' random generators, so every other figure stays the seed's);
counters integrate them between snapshots.  Rates are the container's
point of view, as :mod:`nspawn_tui.host.network` says.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass, field
from typing import Final

from nspawn_tui.host.demo.sim import TWO_PI, SimMachine
from nspawn_tui.host.network import (
    HOST_NETWORK,
    PRIVATE,
    UNAVAILABLE,
    VETH,
    Interface,
    LinkCounters,
    NetworkInfo,
)

#: Typical bytes/s received and sent by a container of each profile.
NET_PROFILES: Final[dict[str, tuple[float, float]]] = {
    "idle": (400.0, 250.0),
    "light": (18e3, 9e3),
    "web": (420e3, 2.6e6),
    "db": (1.8e6, 900e3),
    "bursty": (3.5e6, 600e3),
    "busy": (9e6, 1.2e6),
}
#: Port forwards of the roster's machines (their .nspawn files' [Network] Port=).
DEMO_PORTS: Final[dict[str, tuple[str, ...]]] = {
    "web": ("tcp:8080:80", "tcp:8443:443"),
    "mail": ("tcp:25:25",),
}
ZONE_BRIDGE: Final = "vz-apps"
HOST_REASON: Final = "on the host's network: its traffic is the host's"
PACKET: Final = 900.0  # mean bytes per packet


@dataclass(slots=True)
class _Flow:
    """Counters of one machine's link, from the container's point of view."""

    at: float  # simulated seconds of the last update
    rx_bytes: float
    tx_bytes: float
    rx_bps: float = 0.0
    tx_bps: float = 0.0
    extra: dict[str, float] = field(default_factory=dict)


def link_name(prefix: str, machine: str) -> str:
    """``ve-NAME`` / ``vb-NAME`` cut to the kernel's 15 characters, as nspawn does for short names."""
    return f"{prefix}{machine}"[:15]


def _rates(name: str, profile: str, t: float) -> tuple[float, float]:
    rx_base, tx_base = NET_PROFILES.get(profile, NET_PROFILES["idle"])
    phase = (zlib.crc32(name.encode("utf-8", "surrogatepass")) % 1000) / 1000 * TWO_PI
    wave = 1.0 + 0.55 * math.sin(TWO_PI * t / 240.0 + phase)
    ripple = 1.0 + 0.2 * math.sin(TWO_PI * t / 37.0 + 2 * phase)
    return rx_base * wave * ripple, tx_base * wave * (2.2 - ripple)


class DemoNetwork:
    """Mixin of :class:`~nspawn_tui.host.demo.host.DemoHost`: ``network()`` and the NET figures."""

    _machines: dict[str, SimMachine]
    _settings_text: dict[str, str]
    description: str
    _flows: dict[str, _Flow]

    def _net_flows(self) -> dict[str, _Flow]:
        flows: dict[str, _Flow] | None = getattr(self, "_flows", None)
        if flows is None:
            flows = {}
            self._flows = flows
        return flows

    def _net_update(self, m: SimMachine, t: float) -> tuple[str, float | None, float | None]:
        """Advance ``m``'s flow to simulated time ``t``: (mode, rx bytes/s, tx bytes/s)."""
        spec = m.spec
        if spec.network == "host" or spec.machine_class == "vm":
            return HOST_NETWORK, None, None
        flows = self._net_flows()
        rx, tx = _rates(spec.name, spec.profile, t)
        flow = flows.get(spec.name)
        if flow is None:
            flow = flows[spec.name] = _Flow(t, 0.0, 0.0)
        dt = t - flow.at
        if dt > 0:
            flow.rx_bytes += rx * dt
            flow.tx_bytes += tx * dt
            flow.at = t
        flow.rx_bps, flow.tx_bps = rx, tx
        return VETH, rx, tx

    def _net_booted(self, m: SimMachine, uptime: float) -> None:
        """A machine that booted ``uptime`` seconds ago: a new namespace, counters since then."""
        rx, tx = NET_PROFILES.get(m.spec.profile, NET_PROFILES["idle"])
        at = getattr(self, "_simulated_to", 0.0)
        self._net_flows()[m.spec.name] = _Flow(at, rx * uptime, tx * uptime)

    def _ports(self, name: str) -> tuple[str, ...]:
        text = self._settings_text.get(name)
        if text is None:
            return DEMO_PORTS.get(name, ())
        from nspawn_tui.nspawn.settings import SettingsError, SettingsFile  # once edited

        try:
            return tuple(SettingsFile.parse(text).get("Network", "Port"))
        except SettingsError:
            return ()

    async def network(self, name: str) -> NetworkInfo:
        m = self._machines.get(name)
        if m is None:
            from nspawn_tui.host.base import NoSuchMachine

            raise NoSuchMachine(f"no machine or image named {name!r}")
        ports = self._ports(name)
        if not m.running:
            return NetworkInfo(UNAVAILABLE, port_forwards=ports, reason="not running")
        spec = m.spec
        if spec.network == "host" or spec.machine_class == "vm":
            return NetworkInfo(HOST_NETWORK, port_forwards=ports, reason=HOST_REASON)
        flow = self._net_flows().get(name)
        if flow is None:
            return NetworkInfo(PRIVATE, port_forwards=ports, reason="not read yet")
        rx, tx = int(flow.rx_bytes), int(flow.tx_bytes)
        rx_pps, tx_pps = flow.rx_bps / PACKET, flow.tx_bps / PACKET
        # Host side: what the container received is what its veth's host end sent.
        host_counters = LinkCounters(tx, rx, int(tx / PACKET), int(rx / PACKET), 0, 0, 0, 0)
        inside = LinkCounters(rx, tx, int(rx / PACKET), int(tx / PACKET), 0, 0, 0, 0)
        zone = spec.network == "zone"
        host_end = Interface(
            link_name("vb-" if zone else "ve-", name), "host", "veth", "up",
            bridge=ZONE_BRIDGE if zone else None, counters=host_counters,
            rx_bps=flow.rx_bps, tx_bps=flow.tx_bps, rx_pps=rx_pps, tx_pps=tx_pps,
        )  # fmt: skip
        container = Interface(
            "host0", "container", "veth", "up", addresses=m.addresses, counters=inside,
            rx_bps=flow.rx_bps, tx_bps=flow.tx_bps, rx_pps=rx_pps, tx_pps=tx_pps,
        )  # fmt: skip
        loopback = Interface(
            "lo", "container", "loopback", "unknown", addresses=("127.0.0.1", "::1"),
            counters=LinkCounters(52_000, 52_000, 610, 610), rx_bps=0.0, tx_bps=0.0,
            rx_pps=0.0, tx_pps=0.0,
        )  # fmt: skip
        return NetworkInfo(
            VETH, (host_end, container, loopback), flow.rx_bps, flow.tx_bps, port_forwards=ports
        )
