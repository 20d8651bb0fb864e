"""The simulated process trees of the demo's machines, as ``machinectl status`` would show them.

Each running machine gets a plausible tree (the ``systemd-nspawn`` supervisor, the
container's init as PID 1 inside, journald and a few services for its kind),
derived from the seed, the machine's name and its leader: the same on every
host built alike.  The machine's simulated CPU and memory are shared out
among its processes, so the figures move with the demo's clock.  Loaded by
:class:`~nspawn_tui.host.demo.processes.DemoProcesses` when processes are
first asked for, not before the dashboard's first frame.
"""

from __future__ import annotations

import math
import random
import signal as signals
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from nspawn_tui.host.processes import ProcessGroup, ProcessInfo, ProcessTable
from nspawn_tui.units.names import unit_of

if TYPE_CHECKING:
    from nspawn_tui.host.demo.sim import SimMachine

PAGE: Final = 4096
#: Signals that end a simulated process (the others leave it running).
ENDING: Final = frozenset(
    int(s) for s in (signals.SIGTERM, signals.SIGKILL, signals.SIGINT, signals.SIGQUIT,
                     signals.SIGABRT)
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Spec:
    """One simulated process: where, what, who, and its share of the machine."""

    group: str  # below the machine's cgroup
    command: str
    user: str = "root"
    cpu: float = 0.1  # relative CPU weight
    mem: float = 1.0  # relative memory weight
    threads: int = 1
    parent: int = 1  # index of the parent in the machine's list (0: the supervisor)
    late: float = 2.0  # seconds after the machine's boot that it started


_SYS = "/payload/system.slice"

_BASE_SYSTEMD: Final = (
    Spec("/payload/init.scope", "/sbin/init", cpu=0.3, mem=3.0, parent=0, late=0.1),
    Spec(f"{_SYS}/systemd-journald.service", "/lib/systemd/systemd-journald", cpu=0.4, mem=4.0),
    Spec(f"{_SYS}/dbus.service", "/usr/bin/dbus-daemon --system --address=systemd: --nofork "
         "--nopidfile --systemd-activation --syslog-only", "messagebus", 0.05, 1.0),
    Spec(f"{_SYS}/systemd-logind.service", "/lib/systemd/systemd-logind", cpu=0.05, mem=1.5),
    Spec(f"{_SYS}/console-getty.service", "/sbin/agetty -o -p -- \\u --noclear --keep-baud "
         "console 115200,38400,9600 vt220", cpu=0.0, mem=0.5),
)  # fmt: skip
_BASE_ALPINE: Final = (
    Spec("/payload", "/sbin/init", cpu=0.1, mem=0.5, parent=0, late=0.1),
    Spec("/payload", "/sbin/syslogd -t -n", cpu=0.1, mem=0.4),
    Spec("/payload", "/usr/sbin/crond -c /etc/crontabs -f", cpu=0.02, mem=0.3),
)
_NGINX: Final = (
    Spec(f"{_SYS}/nginx.service", "nginx: master process /usr/sbin/nginx -g daemon on; "
         "master_process on;", cpu=0.1, mem=2.0),
    *(Spec(f"{_SYS}/nginx.service", "nginx: worker process", "www-data", 3.0, 6.0,
           parent=-1 - i) for i in range(4)),
    Spec(f"{_SYS}/php8.2-fpm.service", "php-fpm: master process (/etc/php/8.2/fpm/php-fpm.conf)",
         cpu=0.2, mem=4.0),
    *(Spec(f"{_SYS}/php8.2-fpm.service", "php-fpm: pool www", "www-data", 5.0, 12.0,
           parent=-1 - i) for i in range(3)),
)  # fmt: skip
_PG = f"{_SYS}/postgresql@16-main.service"
_POSTGRES: Final = (
    Spec(_PG, "/usr/lib/postgresql/16/bin/postgres -D /var/lib/postgresql/16/main -c "
         "config_file=/etc/postgresql/16/main/postgresql.conf", "postgres", 1.0, 30.0),
    *(Spec(_PG, f"postgres: 16/main: {what}", "postgres", cpu, mem, parent=-1 - i)
      for i, (what, cpu, mem) in enumerate((("checkpointer", 0.5, 8.0),
                                            ("background writer", 0.8, 6.0),
                                            ("walwriter", 1.0, 4.0),
                                            ("autovacuum launcher", 0.3, 2.0),
                                            ("app appdb 10.0.0.5(51234) idle", 6.0, 20.0),
                                            ("app appdb 10.0.0.5(51240) SELECT", 12.0, 24.0)))),
)  # fmt: skip
_BUILD: Final = (
    Spec(f"{_SYS}/build.service", "/usr/bin/make -j8 all", "builder", 0.5, 2.0, late=1800.0),
    *(Spec(f"{_SYS}/build.service", f"/usr/libexec/gcc/x86_64-linux-gnu/13/cc1 -quiet "
           f"src/module{i}.c -O2 -o /tmp/cc{i}.s", "builder", 30.0, 40.0, parent=-1 - i,
           late=3000.0 + 37 * i) for i in range(3)),
)  # fmt: skip
_BY_KIND: Final[dict[str, tuple[Spec, ...]]] = {
    "web": (*_NGINX, Spec(f"{_SYS}/cron.service", "/usr/sbin/cron -f", cpu=0.02, mem=0.5)),
    "db": _POSTGRES,
    "ci-runner": (
        Spec(f"{_SYS}/gitlab-runner.service", "/usr/bin/gitlab-runner run --working-directory "
             "/home/gitlab-runner --config /etc/gitlab-runner/config.toml", cpu=1.0, mem=10.0,
             threads=14),
        *_BUILD,
    ),
    "cache": (Spec("/payload", "/usr/bin/redis-server 127.0.0.1:6379", "redis", 8.0, 60.0,
                   threads=5),),
    "mail": (
        Spec(f"{_SYS}/postfix.service", "/usr/lib/postfix/bin/master -w", cpu=0.1, mem=1.0),
        Spec(f"{_SYS}/postfix.service", "pickup -l -t fifo -u", "postfix", 0.1, 1.0, parent=-1),
        Spec(f"{_SYS}/postfix.service", "qmgr -l -t fifo -u", "postfix", 0.2, 1.0, parent=-2),
        Spec(f"{_SYS}/dovecot.service", "/usr/sbin/dovecot -F", cpu=0.2, mem=2.0),
        Spec(f"{_SYS}/dovecot.service", "dovecot/anvil", "dovenull", 0.1, 0.5, parent=-1),
        Spec(f"{_SYS}/dovecot.service", "dovecot/imap", "vmail", 2.0, 4.0, parent=-2),
    ),
    "dns": (Spec("/payload", "/usr/sbin/unbound -d -p", "unbound", 2.0, 8.0, threads=2),),
    "monitoring": (
        Spec(f"{_SYS}/prometheus.service", "/usr/bin/prometheus --config.file=/etc/prometheus/"
             "prometheus.yml --storage.tsdb.path=/var/lib/prometheus", "prometheus", 6.0, 60.0,
             threads=12),
        Spec(f"{_SYS}/grafana-server.service", "/usr/share/grafana/bin/grafana server "
             "--config=/etc/grafana/grafana.ini", "grafana", 2.0, 30.0, threads=16),
        Spec(f"{_SYS}/node_exporter.service", "/usr/bin/node_exporter", "node-exp", 1.0, 4.0,
             threads=6),
    ),
    "build-arch": _BUILD,
    # generated machines, by profile (also "web" and "db")
    "idle": (Spec(f"{_SYS}/cron.service", "/usr/sbin/cron -f", cpu=0.02, mem=0.5),),
    "light": (Spec(f"{_SYS}/ssh.service", "sshd: /usr/sbin/sshd -D [listener] 0 of 10-100 "
                   "startups", cpu=0.1, mem=2.0),),
    "bursty": _BUILD,
    "busy": (Spec(f"{_SYS}/encode.service", "/usr/bin/ffmpeg -i /srv/in.mkv -c:v libx264 "
                  "/srv/out.mp4", "media", 40.0, 30.0, threads=17, late=900.0),),
}  # fmt: skip


@dataclass(slots=True)
class Live:
    """What signals changed in one machine's simulated processes (until it boots again)."""

    leader: int | None
    ended: set[int] = field(default_factory=set)
    stopped: set[int] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class Proc:
    pid: int
    ns_pid: int
    ppid: int
    spec: Spec
    phase: float
    period: float


def tree_of(seed: int, name: str, m: SimMachine) -> list[Proc]:
    """Every process the machine booted with (a pure function of seed, name and leader)."""
    assert m.leader is not None
    rng = random.Random(f"{seed}:{name}:processes:{m.leader}")
    leader = m.leader
    if m.spec.machine_class == "vm":
        qemu = Spec("/", f"/usr/bin/qemu-system-x86_64 -name guest={name},debug-threads=on "
                    "-machine pc-q35-8.2,accel=kvm -cpu host -m 2048 -smp 2 -nographic",
                    "libvirt-qemu", 1.0, 1.0, threads=9, late=0.0)  # fmt: skip
        return [Proc(leader, leader, 1, qemu, 0.0, 60.0)]
    supervisor = Spec(
        "/supervisor",
        "/usr/bin/systemd-nspawn --quiet --keep-unit --boot --link-journal=try-guest "
        f"--network-veth -U --settings=override --machine={name}",
        cpu=0.01, mem=0.6, parent=0, late=0.0,
    )  # fmt: skip
    specs = [supervisor, *specs_for(m)]
    procs = [Proc(leader - 1, leader - 1, 1, supervisor, 0.0, 60.0)]
    ns_pid = 1
    for index, spec in enumerate(specs[1:], start=1):
        ns_pid = 1 if index == 1 else ns_pid + rng.randint(2, 40)
        parent = index + spec.parent if spec.parent < 0 else spec.parent
        ppid = procs[parent].pid if 0 <= parent < len(procs) else leader
        phase, period = rng.uniform(0.0, 2 * math.pi), rng.uniform(20.0, 120.0)
        procs.append(Proc(leader + ns_pid - 1, ns_pid, ppid, spec, phase, period))
    return procs


def specs_for(m: SimMachine) -> tuple[Spec, ...]:
    base = _BASE_ALPINE if m.spec.os_id == "alpine" else _BASE_SYSTEMD
    kind = m.spec.name if m.spec.name in _BY_KIND else m.spec.profile
    extra = _BY_KIND.get(kind, ())
    if m.spec.os_id == "alpine":  # no systemd inside: services sit in payload itself
        extra = tuple(
            Spec("/payload", s.command, s.user, s.cpu, s.mem, s.threads, s.parent, s.late)
            for s in extra
        )
    return (*base, *extra)


def demo_cgroup(m: SimMachine) -> str:
    if m.spec.machine_class == "vm":
        escaped = f"qemu-1-{m.spec.name}".replace("-", "\\x2d")
        return f"/machine.slice/machine-{escaped}.scope"
    return f"/machine.slice/{unit_of(m.spec.name)}"


def table(
    name: str, m: SimMachine, procs: list[Proc], stopped: set[int], t: float, timestamp: float
) -> ProcessTable:
    """The machine's CPU and memory at simulated time ``t`` shared out among ``procs``."""
    cpu_weights = [p.spec.cpu * (1.0 + 0.6 * math.sin(t / p.period + p.phase)) for p in procs]
    cpu_total = sum(cpu_weights) or 1.0
    mem_total = sum(p.spec.mem for p in procs) or 1.0
    started = m.started_at or 0.0
    groups: dict[str, list[ProcessInfo]] = {}
    for proc, weight in zip(procs, cpu_weights, strict=True):
        spec = proc.spec
        cpu = 0.0 if proc.pid in stopped else m.cpu_percent * weight / cpu_total
        state = "stopped" if proc.pid in stopped else "running" if cpu > 20 else "sleeping"
        rss = int(0.7 * m.memory_current * spec.mem / mem_total) // PAGE * PAGE
        groups.setdefault(spec.group, []).append(
            ProcessInfo(
                pid=proc.pid,
                ns_pid=proc.ns_pid,
                ppid=proc.ppid,
                user=spec.user,
                state=state,
                command=spec.command,
                cpu_percent=round(cpu, 2),
                rss=rss,
                started_at=started + spec.late,
                threads=spec.threads,
            )  # fmt: skip
        )
    return ProcessTable(
        machine=name,
        cgroup=demo_cgroup(m),
        groups=_tree(groups),
        timestamp=timestamp,
    )


def _tree(groups: dict[str, list[ProcessInfo]]) -> tuple[ProcessGroup, ...]:
    """The groups in ``machinectl status`` order: each cgroup's processes, then its children."""
    paths = {"/"}
    for path in groups:
        parts = [p for p in path.split("/") if p]
        paths.update("/" + "/".join(parts[:i]) for i in range(1, len(parts) + 1))
    ordered = sorted(paths, key=lambda p: [part for part in p.split("/") if part])
    return tuple(
        ProcessGroup(
            path,
            tuple(sorted(groups.get(path, ()), key=lambda info: info.pid)),
            0 if path == "/" else path.count("/"),
        )
        for path in ordered
    )
