"""JournalSource and follow_journals against a fake journalctl."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from nspawn_tui.journal.sources import (
    JournalSource,
    LogBatch,
    LogEvent,
    SourceStatus,
    follow_journals,
    journalctl_argv,
)

FAKE = """#!{python}
import json, sys, time
args = sys.argv[1:]
with open({log!r}, "a") as f:
    f.write(json.dumps(args) + "\\n")
machine = args[args.index("-M") + 1] if "-M" in args else "dir"
for i in range({count}):
    print(json.dumps({{"__REALTIME_TIMESTAMP": str(1000 + i), "__CURSOR": f"c{{i}}",
                      "MESSAGE": f"{{machine}} line {{i}}", "PRIORITY": "6"}}))
print("this is not json")
sys.stdout.flush()
print("Failed to open system bus: No such file", file=sys.stderr)
if {sleep}:
    print("{{}}".strip(), flush=True)
    time.sleep(60)
sys.exit({code})
"""


def fake_journalctl(
    tmp_path: Path, *, count: int = 3, code: int = 1, sleep: bool = False
) -> tuple[Path, Path]:
    script = tmp_path / "journalctl"
    log = tmp_path / "calls.log"
    script.write_text(
        FAKE.format(python=sys.executable, log=str(log), count=count, code=code, sleep=sleep)
    )
    script.chmod(0o755)
    return script, log


async def take(events: AsyncIterator[LogEvent], n: int) -> list[LogEvent]:
    out: list[LogEvent] = []
    async with asyncio.timeout(20):
        async for event in events:
            out.append(event)
            if len(out) == n:
                break
    return out


async def test_exit_reports_status_with_stderr_and_retries_after_cursor(tmp_path: Path) -> None:
    script, log = fake_journalctl(tmp_path, count=3, code=1)
    source = JournalSource(
        "web",
        lambda cursor: journalctl_argv("web", lines=5, after_cursor=cursor, executable=str(script)),
        retry_delay=0.01,
    )
    events: list[LogEvent] = []
    gen = source.events()
    async with asyncio.timeout(20):
        async for event in gen:
            events.append(event)
            joined = [
                i
                for i, e in enumerate(events)
                if e == SourceStatus("web", "joined", "reading the journal")
            ]
            if len(joined) == 2 and isinstance(event, LogBatch):
                break
    await gen.aclose()
    assert events[0] == SourceStatus("web", "joined", "reading the journal")
    first_run = events[1 : joined[1] - 1]
    assert all(isinstance(e, LogBatch) for e in first_run)
    records = [r.message for e in first_run if isinstance(e, LogBatch) for r in e.records]
    assert records == ["web line 0", "web line 1", "web line 2"]
    assert sum(e.broken for e in first_run if isinstance(e, LogBatch)) == 1
    status = events[joined[1] - 1]
    assert isinstance(status, SourceStatus) and status.state == "error"
    assert "status 1" in status.message and "Failed to open system bus" in status.message
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    assert "-n" in calls[0] and "-f" in calls[0]
    assert "--after-cursor=c2" in calls[1] and "-n" not in calls[1]


async def test_missing_executable_is_reported_and_others_carry_on(tmp_path: Path) -> None:
    script, _ = fake_journalctl(tmp_path, count=2, code=0)
    good = JournalSource(
        "db", lambda c: journalctl_argv("db", executable=str(script)), follow=False
    )
    bad = JournalSource(
        "gone",
        lambda c: journalctl_argv("gone", executable=str(tmp_path / "no-such-journalctl")),
        retry_delay=0.01,
    )
    seen: list[LogEvent] = []
    async with asyncio.timeout(20):
        async for event in follow_journals([bad, good]):
            seen.append(event)
            errors = [e for e in seen if isinstance(e, SourceStatus) and e.machine == "gone"]
            done = SourceStatus("db", "stopped", "end of the journal") in seen
            if done and len(errors) >= 2:
                break
    assert all(e.state == "error" and "not found" in e.message for e in errors)
    messages = [r.message for e in seen if isinstance(e, LogBatch) for r in e.records]
    assert messages == ["db line 0", "db line 1"]


async def test_one_shot_source_ends_and_merged_iteration_finishes(tmp_path: Path) -> None:
    script, _ = fake_journalctl(tmp_path, count=1, code=0)
    sources = [
        JournalSource(n, lambda c, n=n: journalctl_argv(n, executable=str(script)), follow=False)
        for n in ("a", "b")
    ]
    async with asyncio.timeout(20):
        seen = [event async for event in follow_journals(sources)]
    stopped = {e.machine for e in seen if isinstance(e, SourceStatus) and e.state == "stopped"}
    assert stopped == {"a", "b"}


async def test_closing_the_merged_stream_kills_journalctl(tmp_path: Path) -> None:
    script, _ = fake_journalctl(tmp_path, count=1, code=0, sleep=True)
    source = JournalSource("w", lambda c: journalctl_argv("w", executable=str(script)))
    stream = follow_journals([source])
    events = await take(stream, 2)
    assert isinstance(events[1], LogBatch)
    process = source._process
    assert process is not None and process.returncode is None
    pid = process.pid
    await stream.aclose()  # type: ignore[attr-defined]
    await asyncio.sleep(0.1)
    assert process.returncode is not None
    assert (
        not os.path.exists(f"/proc/{pid}")
        or "zombie" in Path(f"/proc/{pid}/status").read_text().lower()
    )


@pytest.mark.parametrize(
    ("program", "hint"),
    [
        ("no-such-dir/journalctl", "is systemd installed?"),
        ("no-such-dir/ssh", "is an OpenSSH client installed?"),  # a remote prefix: ssh HOST ...
        ("no-such-dir/sudo", "is it installed?"),
    ],
)
async def test_a_missing_program_is_named_with_the_hint_that_fits(
    tmp_path: Path, program: str, hint: str
) -> None:
    missing = str(tmp_path / program)
    source = JournalSource("web", lambda c: [missing, "journalctl", "-M", "web"], retry_delay=0.01)
    async with asyncio.timeout(20):
        async for event in follow_journals([source]):
            assert isinstance(event, SourceStatus) and event.state == "error"
            assert event.message == f"{missing} not found ({hint})"
            break
