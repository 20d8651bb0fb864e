"""Simulated journals for the demo host: deterministic, realistic, bursty.

Each demo machine gets its own seeded stream of systemd, sshd, nginx,
postgres, cron, kernel and application messages with varying priorities,
occasional multi-line tracebacks and bursts. Never imports Textual.
"""

from __future__ import annotations

import asyncio
import random
import time
import zlib
from collections.abc import AsyncIterator, Callable, Collection, Iterable, Sequence
from dataclasses import dataclass

from nspawn_tui.journal.sources import (
    LogBatch,
    LogEvent,
    LogOptions,
    LogRecord,
    SourceStatus,
    next_seq,
)


@dataclass(frozen=True, slots=True)
class _Template:
    weight: int
    unit: str
    identifier: str
    priority: int
    text: str  # str.format with the fields of _fill()


_TEMPLATES: tuple[_Template, ...] = (
    _Template(
        8, "init.scope", "systemd", 6, "Started session-{n}.scope - Session {n} of User root."
    ),
    _Template(
        4,
        "init.scope",
        "systemd",
        6,
        "Starting apt-daily.service - Daily apt download activities...",
    ),
    _Template(4, "init.scope", "systemd", 6, "apt-daily.service: Deactivated successfully."),
    _Template(3, "init.scope", "systemd", 6, "Finished logrotate.service - Rotate log files."),
    _Template(
        1, "init.scope", "systemd", 4, "systemd-timesyncd.service: Watchdog timeout (limit 3min)!"
    ),
    _Template(
        10,
        "ssh.service",
        "sshd",
        6,
        "Accepted publickey for deploy from 10.0.{a}.{b} port {port} ssh2: ED25519 SHA256:{hash}",
    ),
    _Template(
        6,
        "ssh.service",
        "sshd",
        6,
        "pam_unix(sshd:session): session opened for user deploy(uid=1000) by (uid=0)",
    ),
    _Template(5, "ssh.service", "sshd", 4, "Invalid user {user} from 198.51.100.{b} port {port}"),
    _Template(
        5, "ssh.service", "sshd", 6, "Connection closed by 203.0.113.{b} port {port} [preauth]"
    ),
    _Template(
        30,
        "nginx.service",
        "nginx",
        6,
        '10.0.{a}.{b} - - "GET /{path} HTTP/1.1" 200 {size} "-" "curl/7.88.1"',
    ),
    _Template(
        6,
        "nginx.service",
        "nginx",
        5,
        '10.0.{a}.{b} - - "POST /api/login HTTP/1.1" 401 {size} "-" "python-requests/2.31"',
    ),
    _Template(
        3,
        "nginx.service",
        "nginx",
        3,
        '[error] {pid}#{pid}: *{n} connect() failed (111: Connection refused) while connecting to upstream, upstream: "http://127.0.0.1:8000/{path}"',
    ),
    _Template(
        6,
        "postgresql@15-main.service",
        "postgres",
        6,
        "LOG:  checkpoint complete: wrote {n} buffers ({pct}.{b}%); write={ms}.{a} s",
    ),
    _Template(
        3,
        "postgresql@15-main.service",
        "postgres",
        4,
        "WARNING:  there is already a transaction in progress",
    ),
    _Template(
        2,
        "postgresql@15-main.service",
        "postgres",
        3,
        'ERROR:  duplicate key value violates unique constraint "users_email_key"\nDETAIL:  Key (email)=(user{n}@example.com) already exists.',
    ),
    _Template(
        8, "cron.service", "CRON", 6, "(root) CMD (cd / && run-parts --report /etc/cron.hourly)"
    ),
    _Template(4, "cron.service", "CRON", 7, "pam_unix(cron:session): session closed for user root"),
    _Template(
        3,
        "",
        "kernel",
        4,
        "TCP: request_sock_TCP: Possible SYN flooding on port 443. Sending cookies.",
    ),
    _Template(2, "", "kernel", 5, "eth0: Link is Up - 10Gbps/Full - flow control off"),
    _Template(10, "app.service", "app", 7, "GET /health -> 200 in {ms}ms"),
    _Template(6, "app.service", "app", 6, "processed job {hash} in {ms}ms"),
    _Template(
        2,
        "app.service",
        "app",
        3,
        'Traceback (most recent call last):\n  File "/srv/app/worker.py", line {n}, in run\n    result = handler(job)\n  File "/srv/app/handlers.py", line {ms}, in handler\n    raise TimeoutError("upstream did not answer")\nTimeoutError: upstream did not answer',
    ),
    _Template(1, "app.service", "app", 2, "CRITICAL: database pool exhausted ({n} waiting)"),
    _Template(
        4,
        "systemd-journald.service",
        "systemd-journald",
        7,
        "Vacuuming done, freed 0B of archived journals from /var/log/journal.",
    ),
)
_WEIGHTS = [t.weight for t in _TEMPLATES]
_PATHS = ("", "index.html", "api/items", "static/app.js", "favicon.ico", "api/users/42")
_USERS = ("admin", "test", "oracle", "ubuntu", "git", "pi")
_BURST = tuple(t for t in _TEMPLATES if t.identifier == "nginx")


class _MachineJournal:
    """The deterministic journal of one demo machine."""

    def __init__(self, name: str, seed: int) -> None:
        self.name = name
        self.rng = random.Random(seed * 1_000_003 + zlib.crc32(name.encode()))
        self.boot_ids = (f"{self.rng.getrandbits(128):032x}", f"{self.rng.getrandbits(128):032x}")
        self.pids = {t.identifier: str(self.rng.randint(50, 30000)) for t in _TEMPLATES}
        self.pids["systemd"] = "1"
        self.counter = 0

    def record(
        self, timestamp: int, *, boot: int = 0, template: _Template | None = None
    ) -> LogRecord:
        rng = self.rng
        if template is None:
            template = rng.choices(_TEMPLATES, _WEIGHTS)[0]
        self.counter += 1
        fields = {
            "n": rng.randint(1, 9999),
            "a": rng.randint(0, 9),
            "b": rng.randint(1, 254),
            "port": rng.randint(32768, 60999),
            "hash": f"{rng.getrandbits(64):016x}",
            "user": rng.choice(_USERS),
            "path": rng.choice(_PATHS),
            "size": rng.randint(100, 90000),
            "pct": rng.randint(0, 9),
            "ms": rng.randint(1, 900),
            "pid": self.pids[template.identifier],
        }
        boot_id = self.boot_ids[1 if boot else 0]
        return LogRecord(
            machine=self.name,
            timestamp=timestamp,
            priority=template.priority,
            unit=template.unit,
            identifier=template.identifier,
            pid=self.pids[template.identifier],
            message=template.text.format(**fields),
            boot_id=boot_id,
            cursor=f"s={boot_id};i={self.counter:x};b={boot_id};t={timestamp:x}",
            seq=next_seq(),
        )


def _accepts(record: LogRecord, options: LogOptions) -> bool:
    if options.priority is not None and (record.priority or 0) > options.priority:
        return False
    return not options.unit or record.unit == options.unit


class DemoJournal:
    """Simulated journals of the demo machines.

    ``clock`` gives the wall-clock time in seconds (the demo host's),
    ``rate`` the average lines per second per machine while following.
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        clock: Callable[[], float] = time.time,
        rate: float = 4.0,
        tick: float = 0.1,
        burst_chance: float = 0.004,
        stopped: Collection[str] = (),
    ) -> None:
        self.seed = seed
        self.clock = clock
        self.rate = rate
        self.tick = tick
        self.burst_chance = burst_chance
        self.stopped = set(stopped)
        self._machines: dict[str, _MachineJournal] = {}

    def _machine(self, name: str) -> _MachineJournal:
        if name not in self._machines:
            self._machines[name] = _MachineJournal(name, self.seed)
        return self._machines[name]

    def backlog(self, name: str, n: int, options: LogOptions | None = None) -> list[LogRecord]:
        """The last ``n`` records of ``name`` (those ``options`` select), oldest first."""
        options = options or LogOptions(lines=n)
        journal = _MachineJournal(name, self.seed)  # same history on every call
        boot = 1 if options.boot == -1 else 0
        end = int(self.clock() * 1_000_000) - (3_600_000_000 if boot else 0)
        records: list[LogRecord] = []
        ts = end
        for _ in range(max(0, n) * 50):
            if len(records) >= n:
                break
            ts -= int(journal.rng.expovariate(1 / 2_000_000)) + 1
            record = journal.record(ts, boot=boot)
            if _accepts(record, options):
                records.append(record)
        records.reverse()
        return records

    def live(
        self, name: str, count: int, options: LogOptions, *, burst: bool = False
    ) -> list[LogRecord]:
        """``count`` new records of ``name`` stamped around now."""
        journal = self._machine(name)
        now = int(self.clock() * 1_000_000)
        spread = int(self.tick * 1_000_000)
        stamps = sorted(now - journal.rng.randrange(spread) for _ in range(count))
        out: list[LogRecord] = []
        for ts in stamps:
            template = journal.rng.choice(_BURST) if burst else None
            record = journal.record(ts, template=template)
            if _accepts(record, options):
                out.append(record)
        return out

    async def follow(self, names: Iterable[str], options: LogOptions) -> AsyncIterator[LogEvent]:
        """Backlog then (with ``options.follow``) new lines of every machine, forever."""
        names = list(dict.fromkeys(names))
        for name in names:
            yield SourceStatus(name, "joined", "demo journal")
            yield LogBatch(name, self.backlog(name, options.lines, options))
        live: Sequence[str] = [n for n in names if n not in self.stopped]
        for name in names:
            if name in self.stopped:
                yield SourceStatus(
                    name, "stopped", "machine is not running (journal from the image)"
                )
        if not options.follow or options.boot == -1:
            for name in live:
                yield SourceStatus(name, "stopped", "end of the journal")
            return
        pacing = random.Random(self.seed)
        while True:
            await asyncio.sleep(self.tick * pacing.uniform(0.5, 1.5))
            for name in live:
                journal = self._machine(name)
                burst = journal.rng.random() < self.burst_chance
                mean = self.rate * self.tick * journal.rng.uniform(0.2, 2.0)
                count = journal.rng.randint(100, 400) if burst else _poisson(journal.rng, mean)
                if count:
                    records = self.live(name, count, options, burst=burst)
                    if records:
                        yield LogBatch(name, records)


def _poisson(rng: random.Random, mean: float) -> int:
    """A small Poisson-distributed count (Knuth's method; mean is small)."""
    limit = 2.718281828459045 ** (-mean)
    count, product = 0, rng.random()
    while product > limit and count < 1000:
        count += 1
        product *= rng.random()
    return count
