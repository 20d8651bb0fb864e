"""A simulated container host for ``--demo``, tests, screenshots and benchmarks.

Everything is derived from the seed and a simulated clock, so two hosts built
with the same seed and advanced by the same :meth:`DemoHost.tick` calls return
identical snapshots.  In live mode (``frozen=False``) each snapshot advances
the simulated clock by the real time elapsed since the previous one.  The
simulation itself (machine specs, profiles, curves) is in
:mod:`nspawn_tui.host.demo.sim`.
"""

from __future__ import annotations

import random
import time

from nspawn_tui.host.base import (
    RUNNING_STATES,
    UNLIMITED,
    EventKind,
    Host,
    HostEvent,
    HostStats,
    Image,
    Machine,
    MachineDetails,
    NoSuchMachine,
    Sample,
    Snapshot,
)
from nspawn_tui.host.demo.actions import DemoActions
from nspawn_tui.host.demo.create import DemoCreate
from nspawn_tui.host.demo.images import DemoImages
from nspawn_tui.host.demo.network import DemoNetwork
from nspawn_tui.host.demo.processes import DemoProcesses
from nspawn_tui.host.demo.sim import (
    EPOCH,
    FROZEN_MONOTONIC_BASE,
    HOSTNAME,
    MIN_STEP,
    OS_RELEASE,
    PAGE,
    PROFILES,
    TWO_PI,
    GiB,
    MachineSpec,
    MiB,
    SimMachine,
    clamp,
    cpu_target,
    escape_unit,
    factors,
    generated_spec,
    host_size,
    memory_bounds,
    roster,
    step,
)
from nspawn_tui.units.names import unit_of

__all__ = ["EPOCH", "DemoHost", "MachineSpec"]


class DemoHost(DemoCreate, DemoNetwork, DemoProcesses, DemoImages, DemoActions, Host):
    """A deterministic simulated host; see the module docstring."""

    description = "demo host (simulated)"

    def __init__(
        self, *, seed: int = 1, machines: int = 12, read_only: bool = False, frozen: bool = False
    ) -> None:
        super().__init__(read_only=read_only)
        self._init_actions()
        if machines < 0:
            raise ValueError(f"machines must be >= 0, not {machines}")
        self.seed = seed
        self.frozen = frozen
        self.cpu_count, self.memory_total = host_size(machines)
        self._machines: dict[str, SimMachine] = {}
        self._rows: tuple[Machine, ...] | None = None
        self._elapsed = 0.0  # simulated seconds since EPOCH
        self._simulated_to = 0.0  # simulation state is valid for this elapsed time
        self._last_real = time.monotonic()
        self._monotonic_base = FROZEN_MONOTONIC_BASE if frozen else self._last_real
        self._failures: list[str] = []
        self._connected = True
        self._veth = self._zone = 0
        self._rng = random.Random(f"demo-host:{seed}")
        fixed = roster()
        specs = list(fixed[:machines])
        specs += [generated_spec(self._rng, i) for i in range(1, machines - len(fixed) + 1)]
        for spec in specs:
            self._add_machine(spec)

    # -- Host interface -------------------------------------------------------

    async def connect(self) -> None:
        self._connected = True

    async def close(self) -> None:
        return None

    async def list_machines(self) -> list[Machine]:
        return list(self._sorted_rows())

    async def list_images(self) -> list[Image]:
        return [self._image(m) for m in self._sorted_sims() if m.spec.image_type is not None]

    async def machine_details(self, name: str) -> MachineDetails:
        m = self._get(name)
        spec = m.spec
        if spec.machine_class == "vm":
            cgroup = f"/machine.slice/machine-{escape_unit(f'qemu-1-{spec.name}')}.scope"
        else:
            cgroup = f"/machine.slice/{unit_of(spec.name)}"
        return MachineDetails(
            machine=self._row(m),
            os_release=dict(OS_RELEASE.get(spec.os_id, {})),
            cgroup=cgroup if m.running else None,
            image=self._image(m) if spec.image_type is not None else None,
            enabled=None if spec.image_type is None else ("enabled" if m.enabled else "disabled"),
        )

    async def snapshot(self) -> Snapshot:
        self._pump_clock()
        if self._failures:
            message = self._failures.pop(0)
            if self._connected:
                self._connected = False
                self.hub.publish(HostEvent(EventKind.DISCONNECTED, message=message))
            stats = HostStats(HOSTNAME, self.cpu_count, None, self.memory_total, None)
            return Snapshot((), {}, stats, connected=False, error=message)
        if not self._connected:
            self._connected = True
            self.hub.publish(HostEvent(EventKind.CONNECTED, message="demo host reconnected"))
        self._simulate()
        timestamp = self._monotonic_base + self._simulated_to
        samples: dict[str, Sample] = {}
        cpu_total = 0.0
        memory_used = int(2.6 * GiB)
        for name, m in self._machines.items():
            if not m.running:
                continue
            cpu_total += m.cpu_percent
            memory_used += m.memory_current
            net_mode, rx, tx = self._net_update(m, self._simulated_to)
            samples[name] = Sample(
                timestamp, m.cpu_usage_usec, m.cpu_percent, m.memory_current, m.memory_max,
                m.memory_high, m.memory_peak, m.oom_kills, round(m.tasks), m.tasks_max,
                m.io_read_bytes, m.io_write_bytes, m.io_read_bps, m.io_write_bps, net_mode, rx, tx,
            )  # fmt: skip
        stats = HostStats(
            hostname=HOSTNAME,
            cpu_count=self.cpu_count,
            cpu_percent=min(100.0, 1.5 + cpu_total / self.cpu_count),
            memory_total=self.memory_total,
            memory_used=min(memory_used, int(self.memory_total * 0.98)),
        )
        return Snapshot(self._sorted_rows(), samples, stats)

    def now(self) -> float:
        pending = 0.0 if self.frozen else max(0.0, time.monotonic() - self._last_real)
        return EPOCH + self._elapsed + pending

    # -- simulation controls ----------------------------------------------------

    def tick(self, seconds: float) -> None:
        """Advance the simulated clock; the next snapshot simulates the interval."""
        if seconds < 0:
            raise ValueError(f"cannot tick backwards ({seconds} s)")
        self._elapsed += seconds

    def fail_next_snapshot(self, message: str, count: int = 1) -> None:
        """Make the next ``count`` snapshots report a lost connection, then recover."""
        self._failures.extend([message] * count)

    # -- state changes (used by actions built on top) ---------------------------

    def _add_machine(self, spec: MachineSpec) -> SimMachine:
        if spec.name in self._machines:
            raise ValueError(f"machine {spec.name!r} already exists")
        if spec.os_id and spec.os_id not in OS_RELEASE:
            raise ValueError(f"unknown os_id {spec.os_id!r}")
        rng = random.Random(f"{self.seed}:{spec.name}")
        # 128 bits drawn and unused (they were a machine ID nothing read): every
        # seed keeps the machines, figures and screenshots it always had
        rng.getrandbits(128)
        m = SimMachine(
            spec=spec,
            profile=PROFILES[spec.profile],
            rng=rng,
            state="stopped",
            addresses=self._allocate_addresses(spec),
            image_created=EPOCH - spec.uptime - rng.uniform(1, 200) * 86400.0,
            memory_max=spec.memory_max,
            memory_high=spec.memory_high,
            tasks_max=spec.tasks_max,
            enabled=spec.enabled,
            oom_kills=spec.oom_kills,
        )
        self._machines[spec.name] = m
        if spec.state in RUNNING_STATES:
            self._start(m, started_at=self._sim_now() - spec.uptime)
            m.state = spec.state
        self._rows = None
        self.hub.publish(HostEvent(EventKind.MACHINE_NEW, spec.name))
        return m

    def _remove_machine(self, name: str) -> None:
        self._get(name)
        del self._machines[name]
        self._rows = None
        self.hub.publish(HostEvent(EventKind.MACHINE_REMOVED, name))

    def _set_state(self, name: str, state: str) -> None:
        """Change a machine's state; booting resets its counters, stopping drops them.

        Stopping a machine without an image (a VM) removes it, as machined does.
        """
        if state not in RUNNING_STATES and state != "stopped":
            raise ValueError(f"unknown state {state!r}")
        m = self._get(name)
        was_running = m.running
        if state == "stopped" and m.spec.image_type is None:
            self._remove_machine(name)
            return
        if state in RUNNING_STATES and not was_running:
            self._pump_clock()
            self._simulate()
            self._start(m, started_at=self._sim_now())
            m.oom_kills = 0  # a fresh cgroup
        elif state == "stopped":
            m.leader = m.started_at = None
        m.state = state
        m.row = None
        self._rows = None
        if was_running != m.running:
            kind = EventKind.MACHINE_NEW if m.running else EventKind.MACHINE_REMOVED
            self.hub.publish(HostEvent(kind, name))

    # -- internals --------------------------------------------------------------

    def _get(self, name: str) -> SimMachine:
        try:
            return self._machines[name]
        except KeyError:
            raise NoSuchMachine(f"no machine or image named {name!r}") from None

    def _sim_now(self) -> float:
        """Simulated wall-clock time, without live mode's not yet simulated interval."""
        return EPOCH + self._elapsed

    def _pump_clock(self) -> None:
        if self.frozen:
            return
        real = time.monotonic()
        self._elapsed += max(0.0, real - self._last_real)
        self._last_real = real

    def _simulate(self) -> None:
        dt = self._elapsed - self._simulated_to
        if dt < MIN_STEP:
            return
        self._simulated_to = self._elapsed
        shared = factors(dt)
        t = self._elapsed
        for m in self._machines.values():
            if m.running:
                step(m, t, shared)

    def _start(self, m: SimMachine, started_at: float) -> None:
        """Give a machine fresh runtime state as if it booted at ``started_at``."""
        rng, spec = m.rng, m.spec
        uptime = max(0.0, self._sim_now() - started_at)
        m.state = "running"
        m.started_at = started_at
        self._net_booted(m, uptime)  # a new network namespace: counters from its boot
        m.leader = rng.randint(1200, 390000)
        m.cpu_phase = rng.uniform(0.0, TWO_PI)
        m.cpu_noise = 0.0
        m.cpu_percent = cpu_target(m, self._elapsed)
        m.cpu_usage_usec = int(m.profile.cpu_base * uptime * 1e4) + rng.randint(0, 5_000_000)
        lo, hi = memory_bounds(m)
        m.mem_target = clamp(float(spec.memory), lo, hi)
        m.mem_noise = 0.0
        m.memory_current = int(m.mem_target) // PAGE * PAGE
        peak = int(m.memory_current * rng.uniform(1.05, 1.4))
        if m.memory_max != UNLIMITED:
            peak = min(peak, int(m.memory_max * 0.995))
        m.memory_peak = max(peak, m.memory_current) // PAGE * PAGE
        m.tasks = float(spec.tasks)
        m.io_walk_read = m.io_walk_write = 0.0
        m.io_read_bps, m.io_write_bps = m.profile.io_read, m.profile.io_write
        m.io_read_bytes = int((m.profile.io_read * uptime + 50 * MiB) * rng.uniform(0.5, 1.5))
        m.io_write_bytes = int((m.profile.io_write * uptime + 10 * MiB) * rng.uniform(0.5, 1.5))

    def _allocate_addresses(self, spec: MachineSpec) -> tuple[str, ...]:
        if spec.network == "veth":
            k = self._veth
            self._veth += 1
            v4, v6 = f"10.0.{k // 16}.{k % 16 * 16 + 2}", f"fd00::{k * 16 + 2:x}"
        elif spec.network == "zone":
            k = self._zone
            self._zone += 1
            v4, v6 = f"10.1.{k // 250}.{k % 250 + 2}", f"fd00:0:0:1::{k + 2:x}"
        else:
            return ()
        return (v4, v6) if spec.ipv6 else (v4,)

    def _row(self, m: SimMachine) -> Machine:
        if m.row is None:
            m.row = self._make_row(m)
        return m.row

    def _make_row(self, m: SimMachine) -> Machine:
        spec = m.spec
        pretty = OS_RELEASE.get(spec.os_id, {}).get("PRETTY_NAME", "")
        if not m.running:
            return Machine(
                spec.name, spec.machine_class, m.state, os=pretty,
                root_directory=self._image(m).path if spec.image_type else "",
                image_type=spec.image_type, read_only=spec.read_only,
            )  # fmt: skip
        if spec.machine_class == "vm":
            unit = f"machine-{escape_unit(f'qemu-1-{spec.name}')}.scope"
            service, root = "libvirt-qemu", ""
        else:
            unit = unit_of(spec.name)
            service, root = "systemd-nspawn", f"/var/lib/machines/{spec.name}"
        return Machine(
            spec.name, spec.machine_class, m.state, service, m.leader, root, unit, pretty,
            m.addresses, m.started_at, spec.image_type, spec.read_only,
        )  # fmt: skip

    def _image(self, m: SimMachine) -> Image:
        spec = m.spec
        image_type = spec.image_type or "directory"
        suffix = ".raw" if image_type == "raw" else ""
        modified = m.started_at if m.started_at is not None else m.image_created + 3600.0
        return Image(
            spec.name, image_type, spec.read_only, f"/var/lib/machines/{spec.name}{suffix}",
            m.image_created, modified, spec.usage_bytes,
        )  # fmt: skip

    def _sorted_sims(self) -> list[SimMachine]:
        return [self._machines[name] for name in sorted(self._machines)]

    def _sorted_rows(self) -> tuple[Machine, ...]:
        if self._rows is None:
            self._rows = tuple(self._row(m) for m in self._sorted_sims())
        return self._rows
