"""The simulation behind :class:`nspawn_tui.host.demo.host.DemoHost`.

Machine specs (the hand-written roster and generated ``ct-NNNN`` machines),
behaviour profiles and the per-interval step that moves CPU, memory, tasks
and I/O along smooth, seeded random curves.  No clocks are read here.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from nspawn_tui.host.base import RUNNING_STATES, UNLIMITED, Machine

#: Simulated wall-clock time at which every demo host starts.
EPOCH: Final = datetime(2026, 1, 15, 9, 0, 0, tzinfo=UTC).timestamp()
#: Simulated ``time.monotonic()`` at the start of a frozen host.
FROZEN_MONOTONIC_BASE: Final = 1000.0
HOSTNAME: Final = "demo-host"
MiB: Final = 1024**2
GiB: Final = 1024**3
PAGE: Final = 4096
TWO_PI: Final = 2.0 * math.pi
_UNIFORM_TO_UNIT: Final = math.sqrt(12.0)  # scales uniform(-.5, .5) to std 1
MIN_STEP: Final = 1e-3  # shorter intervals are accumulated, not simulated

_HOME: Final = "HOME_URL"
OS_RELEASE: Final[dict[str, dict[str, str]]] = {
    "debian": {"NAME": "Debian GNU/Linux", "PRETTY_NAME": "Debian GNU/Linux 12 (bookworm)",
               "ID": "debian", "VERSION_ID": "12", "VERSION": "12 (bookworm)",
               "VERSION_CODENAME": "bookworm", _HOME: "https://www.debian.org/"},
    "ubuntu": {"NAME": "Ubuntu", "PRETTY_NAME": "Ubuntu 24.04.1 LTS", "ID": "ubuntu",
               "ID_LIKE": "debian", "VERSION_ID": "24.04", "VERSION": "24.04.1 LTS (Noble Numbat)",
               "VERSION_CODENAME": "noble", _HOME: "https://www.ubuntu.com/"},
    "fedora": {"NAME": "Fedora Linux", "PRETTY_NAME": "Fedora Linux 40 (Container Image)",
               "ID": "fedora", "VERSION_ID": "40", "VERSION": "40 (Container Image)",
               "VARIANT": "Container Image", "VARIANT_ID": "container",
               _HOME: "https://fedoraproject.org/"},
    "arch": {"NAME": "Arch Linux", "PRETTY_NAME": "Arch Linux", "ID": "arch",
             "BUILD_ID": "rolling", _HOME: "https://archlinux.org/"},
    "alpine": {"NAME": "Alpine Linux", "PRETTY_NAME": "Alpine Linux v3.20", "ID": "alpine",
               "VERSION_ID": "3.20.3", _HOME: "https://alpinelinux.org/"},
    "opensuse": {"NAME": "openSUSE Tumbleweed", "PRETTY_NAME": "openSUSE Tumbleweed",
                 "ID": "opensuse-tumbleweed", "ID_LIKE": "opensuse suse",
                 "VERSION_ID": "20250110", _HOME: "https://www.opensuse.org/"},
    "rocky": {"NAME": "Rocky Linux", "PRETTY_NAME": "Rocky Linux 9.4 (Blue Onyx)", "ID": "rocky",
              "ID_LIKE": "rhel centos fedora", "VERSION_ID": "9.4", "VERSION": "9.4 (Blue Onyx)",
              _HOME: "https://rockylinux.org/"},
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Profile:
    """How a machine's CPU and I/O behave (CPU in % of one core)."""

    cpu_base: float
    cpu_amp: float  # amplitude of the slow sine
    cpu_period: float  # seconds
    cpu_noise: float  # std of the smoothed noise
    cpu_lo: float
    cpu_hi: float
    io_read: float  # typical bytes/s
    io_write: float


PROFILES: Final[dict[str, Profile]] = {
    "idle": Profile(0.8, 0.4, 600.0, 0.5, 0.1, 3.0, 2e3, 8e3),
    "light": Profile(4.0, 2.0, 900.0, 1.5, 0.5, 15.0, 20e3, 60e3),
    "web": Profile(12.0, 8.0, 900.0, 4.0, 2.0, 45.0, 150e3, 400e3),
    "db": Profile(18.0, 10.0, 1200.0, 5.0, 3.0, 70.0, 2e6, 3.5e6),
    "bursty": Profile(40.0, 35.0, 240.0, 12.0, 1.0, 99.0, 4e6, 8e6),
    "busy": Profile(170.0, 10.0, 180.0, 5.0, 150.0, 190.0, 12e6, 30e6),
}


@dataclass(frozen=True, slots=True)
class MachineSpec:
    """What to create: the static description of a simulated machine or image."""

    name: str
    os_id: str = "debian"  # key of OS_RELEASE, "" for unknown (VMs)
    profile: str = "idle"  # key of PROFILES
    state: str = "running"
    machine_class: str = "container"
    image_type: str | None = "directory"  # None: no image (a VM)
    memory: int = 128 * MiB  # typical memory.current
    memory_max: int = UNLIMITED
    memory_high: int = UNLIMITED
    near_limit: bool = False  # memory stays at 92-97 % of memory_max
    tasks: int = 12
    tasks_max: int = 16384
    uptime: float = 3600.0  # seconds running before the host's epoch
    enabled: bool = False
    network: str = "veth"  # "veth", "zone", "host"
    ipv6: bool = True
    read_only: bool = False
    oom_kills: int = 0
    #: more OOM kills at these host times (seconds after EPOCH), near_limit machines only:
    #: the demo shows an OOM count rising while the app runs
    oom_at: tuple[float, ...] = ()
    usage_bytes: int = 800 * MiB


@dataclass(slots=True)
class SimMachine:
    """Mutable simulation state of one machine or image."""

    spec: MachineSpec
    profile: Profile
    rng: random.Random
    state: str
    addresses: tuple[str, ...]
    image_created: float
    memory_max: int
    memory_high: int
    tasks_max: int
    enabled: bool
    leader: int | None = None
    started_at: float | None = None
    cpu_phase: float = 0.0
    cpu_noise: float = 0.0
    cpu_percent: float = 0.0
    cpu_usage_usec: int = 0
    mem_target: float = 0.0
    mem_noise: float = 0.0
    memory_current: int = 0
    memory_peak: int = 0
    oom_kills: int = 0
    oom_due: int = 0  # index of the next of spec.oom_at
    tasks: float = 0.0
    io_walk_read: float = 0.0
    io_walk_write: float = 0.0
    io_read_bytes: int = 0
    io_write_bytes: int = 0
    io_read_bps: float = 0.0
    io_write_bps: float = 0.0
    row: Machine | None = None  # cached list row, rebuilt after changes

    @property
    def running(self) -> bool:
        return self.state in RUNNING_STATES


@dataclass(frozen=True, slots=True)
class Factors:
    """Per-interval constants shared by every machine in one step."""

    dt: float
    usec_per_pct: float  # cpu usage µs per % over dt
    k_cpu: float
    s_cpu: float
    k_mem: float
    s_mem: float
    k_io: float
    s_io: float
    p_jump: float
    p_oom: float


def factors(dt: float) -> Factors:
    def pair(tau: float) -> tuple[float, float]:
        k = math.exp(-dt / tau)
        return k, math.sqrt(1.0 - k * k) * _UNIFORM_TO_UNIT

    k_cpu, s_cpu = pair(12.0)
    k_mem, s_mem = pair(90.0)
    k_io, s_io = pair(30.0)
    return Factors(
        dt, dt * 1e4, k_cpu, s_cpu, k_mem, s_mem, k_io, s_io,
        1.0 - math.exp(-dt / 1800.0), 1.0 - math.exp(-dt / 2400.0),
    )  # fmt: skip


def clamp(value: float, lo: float, hi: float) -> float:
    return lo if value < lo else hi if value > hi else value


def memory_bounds(m: SimMachine) -> tuple[float, float]:
    """The range memory.current may take (bytes)."""
    limit = m.memory_max
    if m.spec.near_limit and limit != UNLIMITED:
        return 0.92 * limit, 0.97 * limit
    hi = m.spec.memory * 3.0
    if limit != UNLIMITED:
        hi = min(hi, 0.9 * limit)
    return min(4 * MiB, hi), hi


def cpu_target(m: SimMachine, t: float) -> float:
    p = m.profile
    wave = p.cpu_amp * math.sin(TWO_PI * t / p.cpu_period + m.cpu_phase)
    return clamp(p.cpu_base + wave + m.cpu_noise, p.cpu_lo, p.cpu_hi)


def step(m: SimMachine, t: float, f: Factors) -> None:
    """Advance one running machine by ``f.dt`` seconds, ending at time ``t``.

    Run for every machine every second: :func:`cpu_target`,
    :func:`memory_bounds` and :func:`clamp` are inlined here (the same
    arithmetic in the same order, so the same figures).
    """
    rnd = m.rng.random
    p = m.profile
    spec = m.spec
    # CPU: slow sine plus mean-reverting noise; the counter follows the percentage.
    noise = m.cpu_noise = m.cpu_noise * f.k_cpu + (rnd() - 0.5) * f.s_cpu * p.cpu_noise
    cpu = p.cpu_base + p.cpu_amp * math.sin(TWO_PI * t / p.cpu_period + m.cpu_phase) + noise
    lo, hi = p.cpu_lo, p.cpu_hi
    usec_per_pct = f.usec_per_pct
    delta = int((lo if cpu < lo else hi if cpu > hi else cpu) * usec_per_pct)
    m.cpu_usage_usec += delta
    m.cpu_percent = delta / usec_per_pct
    # Memory: noise around a target that occasionally steps.
    limit = m.memory_max
    if spec.near_limit and limit != UNLIMITED:
        lo, hi = 0.92 * limit, 0.97 * limit
    else:
        hi = spec.memory * 3.0
        if limit != UNLIMITED:
            hi = min(hi, 0.9 * limit)
        lo = min(4 * MiB, hi)
    if spec.near_limit:
        m.mem_target = (lo + hi) / 2
        if rnd() < f.p_oom:
            m.oom_kills += 1
        due = m.oom_due
        if due < len(spec.oom_at) and t >= spec.oom_at[due]:
            m.oom_kills += 1  # a scheduled one (no random draw: the figures stay the seed's)
            m.oom_due = due + 1
    elif rnd() < f.p_jump:
        target = m.mem_target * (0.8 + 0.45 * rnd())
        m.mem_target = lo if target < lo else hi if target > hi else target
    target = m.mem_target
    mem_noise = m.mem_noise = m.mem_noise * f.k_mem + (rnd() - 0.5) * f.s_mem * 0.015 * target
    value = target + mem_noise
    current = int(lo if value < lo else hi if value > hi else value) // PAGE * PAGE
    m.memory_current = current
    if current > m.memory_peak:
        m.memory_peak = current
    # Tasks drift towards the spec's figure.
    base = spec.tasks
    k_mem = f.k_mem
    m.tasks = m.tasks * k_mem + base * (1.0 - k_mem) + (rnd() - 0.5) * f.s_mem * 0.1 * base
    # I/O: log-normal rates, counters integrate them.
    k_io, s_io, dt = f.k_io, f.s_io, f.dt
    walk_read = m.io_walk_read = m.io_walk_read * k_io + (rnd() - 0.5) * s_io * 0.6
    walk_write = m.io_walk_write = m.io_walk_write * k_io + (rnd() - 0.5) * s_io * 0.6
    read = int(p.io_read * math.exp(walk_read) * dt)
    write = int(p.io_write * math.exp(walk_write) * dt)
    m.io_read_bytes += read
    m.io_write_bytes += write
    m.io_read_bps = read / dt
    m.io_write_bps = write / dt


def escape_unit(text: str) -> str:
    return text.replace("-", "\\x2d")


def roster() -> tuple[MachineSpec, ...]:
    """The hand-written machines, most interesting first (``machines=N`` takes a prefix)."""
    h, d = 3600.0, 86400.0
    return (
        MachineSpec("web", "debian", "web", memory=310 * MiB, memory_max=1 * GiB, tasks=23,
                    tasks_max=512, uptime=3 * d + 4 * h, enabled=True, usage_bytes=1400 * MiB),
        MachineSpec("ci-runner", "fedora", "busy", memory=3 * GiB + 300 * MiB, tasks=186,
                    uptime=2 * h + 900, usage_bytes=9 * GiB, image_type="subvolume"),
        MachineSpec("cache", "alpine", "light", memory=512 * MiB, memory_max=512 * MiB,
                    near_limit=True, tasks=9, tasks_max=256, uptime=5 * d + 2 * h, enabled=True,
                    oom_kills=2, oom_at=(40.0, 330.0), usage_bytes=180 * MiB, network="zone"),
        MachineSpec("debian-base", "debian", state="stopped", usage_bytes=620 * MiB),
        MachineSpec("db", "ubuntu", "db", memory=2100 * MiB, memory_max=4 * GiB,
                    memory_high=int(3.5 * GiB), tasks=41, tasks_max=1024, uptime=12 * d + 7 * h,
                    enabled=True, usage_bytes=14 * GiB),
        MachineSpec("build-arch", "arch", "bursty", memory=1200 * MiB, tasks=64,
                    uptime=47 * 60.0, network="host", usage_bytes=6 * GiB),
        MachineSpec("mail", "opensuse", "light", memory=420 * MiB, memory_max=2 * GiB, tasks=38,
                    tasks_max=4096, uptime=9 * d + 20 * h, enabled=True, network="zone"),
        MachineSpec("dns", "alpine", "idle", memory=24 * MiB, tasks=4, tasks_max=64,
                    uptime=21 * d + 3 * h, enabled=True, network="zone", ipv6=False,
                    usage_bytes=40 * MiB),
        MachineSpec("monitoring", "rocky", "light", memory=760 * MiB, tasks=52,
                    uptime=1 * d + 6 * h, enabled=True, usage_bytes=2 * GiB),
        MachineSpec("fedora-vm", "", "light", machine_class="vm", image_type=None,
                    memory=2 * GiB + 90 * MiB, tasks=7, uptime=6 * h + 1200, network="host"),
        MachineSpec("fedora-golden", "fedora", state="stopped", image_type="raw", read_only=True,
                    usage_bytes=2 * GiB),
        MachineSpec("arch-template", "arch", state="stopped", image_type="subvolume",
                    usage_bytes=1300 * MiB),
    )  # fmt: skip


def generated_spec(rng: random.Random, index: int) -> MachineSpec:
    """A machine for large hosts: ``ct-0001``, ``ct-0002``, ... with varied behaviour."""
    os_id = rng.choice(tuple(OS_RELEASE))
    kind = rng.choices(
        ("idle", "light", "web", "db", "bursty", "busy", "near", "stopped"),
        weights=(45, 22, 10, 6, 6, 2, 3, 6),
    )[0]
    memory = (
        int(rng.uniform(20, 400) * MiB)
        if kind in ("idle", "light")
        else int(rng.uniform(300, 2500) * MiB)
    )
    limited = kind == "near" or rng.random() < 0.5
    memory_max = max(memory * 2, 256 * MiB) if limited else UNLIMITED
    if kind == "near":
        memory_max = memory
    return MachineSpec(
        name=f"ct-{index:04d}",
        os_id=os_id,
        profile="light" if kind in ("near", "stopped") else kind,
        state="stopped" if kind == "stopped" else "running",
        image_type=rng.choice(("directory", "directory", "subvolume", "raw")),
        memory=memory,
        memory_max=memory_max // MiB * MiB,
        near_limit=kind == "near",
        tasks=rng.randint(3, 120),
        tasks_max=rng.choice((16384, 16384, 4096, 1024, 512)),
        uptime=rng.uniform(120.0, 40 * 86400.0),
        enabled=rng.random() < 0.6,
        network=rng.choices(("veth", "zone", "host"), weights=(70, 20, 10))[0],
        ipv6=rng.random() < 0.6,
        usage_bytes=int(rng.uniform(0.1, 8.0) * GiB),
    )


def host_size(count: int) -> tuple[int, int]:
    """(cpu_count, memory_total): a host plausibly big enough for ``count`` machines."""
    if count <= 16:
        return 8, 32 * GiB
    if count <= 100:
        return 32, 256 * GiB
    return 128, 2048 * GiB
