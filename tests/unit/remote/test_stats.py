"""RemoteStats: the remote host's CPU %, memory and name from /proc texts, sharing the batch
of RemoteMetrics (one round trip per refresh), and never raising when the shell fails."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import psutil
import pytest

from nspawn_tui.remote.shell import RemoteShell
from nspawn_tui.remote.stats import (
    HOSTNAME,
    MEMINFO,
    PROC_STAT,
    RemoteStats,
    parse_meminfo,
    parse_proc_stat,
)

STAT_1 = (
    "cpu  1000 0 500 8000 500 0 0 0 0 0\n"
    "cpu0 500 0 250 4000 250 0 0 0 0 0\ncpu1 500 0 250 4000 250 0 0 0 0 0\n"
    "intr 12345 0 0\nctxt 999\nbtime 1700000000\n"
)
# +400 user, +100 system, +400 idle, +100 iowait: 500 busy of 1000
STAT_2 = STAT_1.replace("cpu  1000 0 500 8000 500", "cpu  1400 0 600 8400 600")
MEMINFO_TEXT = (
    "MemTotal:       16384000 kB\nMemFree:         1000000 kB\n"
    "MemAvailable:   12288000 kB\nBuffers:          100000 kB\nCached:          2000000 kB\n"
)


@pytest.fixture
async def shell() -> AsyncIterator[RemoteShell]:
    sh = RemoteShell(["sh"])
    yield sh
    await sh.close()


def test_cpu_percent_from_two_proc_stat_texts() -> None:
    assert parse_proc_stat(STAT_1) == (10000, 8500, 2)
    stats = RemoteStats(RemoteShell(["sh"]))
    texts = {PROC_STAT: STAT_1, MEMINFO: MEMINFO_TEXT, HOSTNAME: "web1\n"}
    first = stats.compute(texts)
    assert first.cpu_percent is None and first.cpu_count == 2 and first.hostname == "web1"
    assert first.memory_total == 16384000 * 1024
    assert first.memory_used == (16384000 - 12288000) * 1024
    second = stats.compute(texts | {PROC_STAT: STAT_2})
    assert second.cpu_percent == pytest.approx(50.0)
    # counters going backwards (a reboot): no figure rather than a wrong one
    assert stats.compute(texts).cpu_percent is None


def test_malformed_or_old_texts() -> None:
    with pytest.raises(ValueError):
        parse_proc_stat("intr 1 2\n")
    assert parse_meminfo("garbage") == (None, None)
    old_kernel = "MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 50 kB\nCached: 250 kB\n"
    assert parse_meminfo(old_kernel) == (1000 * 1024, 600 * 1024)
    stats = RemoteStats(RemoteShell(["sh"]))
    hostile = stats.compute({PROC_STAT: None, MEMINFO: None, HOSTNAME: "evil\x1b[2J\n"})
    assert hostile.hostname == "evil^[[2J" and hostile.cpu_percent is None


async def test_read_gives_this_hosts_figures_through_the_shell(shell: RemoteShell) -> None:
    stats = RemoteStats(shell)
    first = await stats.read()
    assert first.hostname == socket.gethostname()
    assert first.cpu_count == psutil.cpu_count()
    assert first.memory_total == psutil.virtual_memory().total
    assert first.cpu_percent is None
    await asyncio.sleep(0.1)
    second = await stats.read()  # no other batch meanwhile: it sends its own
    assert second.cpu_percent is not None and 0.0 <= second.cpu_percent <= 100.0
    assert shell.batches == 2


async def test_read_uses_the_batch_another_reader_sent(shell: RemoteShell) -> None:
    stats = RemoteStats(shell)
    await stats.read()
    await asyncio.sleep(0.1)  # a few jiffies (10 ms each) pass
    await shell.read_files(["/proc/self/mountinfo"])  # RemoteMetrics' batch of this refresh
    assert shell.batches == 2
    stats_now = await stats.read()
    assert shell.batches == 2  # no round trip of its own
    assert stats_now.cpu_percent is not None


async def test_a_failing_shell_gives_the_last_name_and_no_figures() -> None:
    shell = RemoteShell(["sh"])
    stats = RemoteStats(shell)
    good = await stats.read()
    await shell.close()
    shell.argv = ["sh", "-c", "echo 'Connection closed by remote host' >&2; exit 255"]
    degraded = await stats.read()  # never raises
    assert degraded.hostname == good.hostname and degraded.cpu_count == good.cpu_count
    assert degraded.cpu_percent is None and degraded.memory_total is None
    assert stats.error is not None and "connection lost" in stats.error
    await shell.close()
