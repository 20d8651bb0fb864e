"""``nspawn-tui logs`` into a pipe: cleaned text lines, errors on stderr, the end of one-shots."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Sequence

from nspawn_tui.host.demo.host import EPOCH, DemoHost
from nspawn_tui.journal.records import (
    LogBatch,
    LogEvent,
    LogOptions,
    LogRecord,
    SourceStatus,
    next_seq,
)
from nspawn_tui.view.log_printer import print_logs

START = int(EPOCH * 1_000_000)  # the frozen demo host's now()
HOSTILE = "\x1b]0;owned\x07\x9b2J\u202e\r"


def record(machine: str, offset_s: float, message: str, **fields: str) -> LogRecord:
    return LogRecord(
        machine=machine,
        timestamp=START + int(offset_s * 1_000_000),
        priority=6,
        unit=fields.get("unit", "app.service"),
        identifier=fields.get("identifier", "app"),
        pid=fields.get("pid", "42"),
        message=message,
        boot_id="b",
        cursor="c",
        seq=next_seq(),
    )


class ScriptedHost(DemoHost):
    """The frozen demo host with a journal stream given by the test."""

    def __init__(self, events: list[LogEvent | float], *, stay_open: bool = False) -> None:
        super().__init__(frozen=True)
        self.script = events  # a float: sleep that long
        self.stay_open = stay_open  # like a real host's stream: never ends by itself
        self.asked: list[tuple[list[str], LogOptions]] = []

    def follow_logs(self, names: Sequence[str], options: LogOptions) -> AsyncIterator[LogEvent]:
        self.asked.append((list(names), options))
        return self._play()

    async def _play(self) -> AsyncIterator[LogEvent]:
        for item in self.script:
            if isinstance(item, float):
                await asyncio.sleep(item)
            else:
                yield item
        if self.stay_open:
            await asyncio.Event().wait()


async def run(
    host: DemoHost, names: Sequence[str], options: LogOptions, *, settle: float = 0.05
) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = await asyncio.wait_for(print_logs(host, names, options, out, err, settle=settle), 10)
    return status, out.getvalue(), err.getvalue()


async def test_records_are_cleaned_lines_and_errors_go_to_stderr_cleaned() -> None:
    hostile = record(
        "web",
        -5,
        f"first{HOSTILE}\nsecond\tline{HOSTILE}",
        identifier=f"app{HOSTILE}",
        pid=f"7{HOSTILE}",
    )
    host = ScriptedHost(
        [
            SourceStatus("web", "joined", "reading"),
            LogBatch("web", [hostile]),
            SourceStatus("web", "error", f"journalctl failed: {HOSTILE}"),
            SourceStatus("web", "stopped", "end of the journal"),
        ],
        stay_open=True,
    )
    status, out, err = await run(host, ["web"], LogOptions(lines=10, follow=False))
    assert status == 1  # a source failed
    for text in (out, err):
        assert not any(char in text for char in "\x1b\x07\x9b\u202e\r\t")
    head, rest = out.splitlines()
    assert head.endswith(" web app^[]0;owned^G\ufffd2J\ufffd^M[7^[]0;owned^G\ufffd2J\ufffd^M]: "
                         "first^[]0;owned^G\ufffd2J\ufffd^M")  # fmt: skip
    assert rest.startswith("    second")  # the continuation line, indented
    assert err == "nspawn-tui: web: journalctl failed: ^[]0;owned^G\ufffd2J\ufffd^M\n"


async def test_one_shot_prints_the_last_n_merged_in_time_order_and_ends() -> None:
    """A real host keeps its stream open: the end is every source's end."""
    host = ScriptedHost(
        [
            LogBatch("web", [record("web", t, f"web {t}") for t in (-9, -7, -3)]),
            LogBatch("db", [record("db", t, f"db {t}") for t in (-8, -4, -1)]),
            SourceStatus("db", "stopped", "end of the journal"),
            SourceStatus("web", "stopped", "end of the journal"),
        ],
        stay_open=True,
    )
    status, out, err = await run(host, ["web", "db", "web"], LogOptions(lines=4, follow=False))
    assert (status, err) == (0, "")
    assert [line.split(": ", 1)[1] for line in out.splitlines()] == [
        "web -7",
        "db -4",
        "web -3",
        "db -1",
    ]
    assert host.asked == [(["web", "db"], LogOptions(lines=4, follow=False))]


async def test_unknown_machine_is_reported_and_the_others_printed() -> None:
    host = ScriptedHost([LogBatch("web", [record("web", -1, "hello")])])
    status, out, err = await run(host, ["web", f"nope{HOSTILE}"], LogOptions(follow=False))
    assert status == 1
    assert out.endswith(" web app[42]: hello\n")
    assert err == "nspawn-tui: nope^[]0;owned^G\ufffd2J\ufffd^M: no such machine or image\n"
    assert host.asked[0][0] == ["web"]


async def test_follow_prints_the_backlog_tail_then_new_records() -> None:
    backlog = [record("web", t, f"old {t}") for t in (-4, -3, -2, -1)]
    host = ScriptedHost(
        [
            LogBatch("web", backlog),
            LogBatch("web", [record("web", 0.5, "new 1")]),
            0.2,  # after the settle time
            LogBatch("web", [record("web", 1, "new 2")]),
            0.05,
        ]
    )
    status, out, _ = await run(host, ["web"], LogOptions(lines=2, follow=True))
    assert status == 0
    assert [line.split(": ", 1)[1] for line in out.splitlines()] == [
        "old -2",
        "old -1",
        "new 1",  # stamped after the start: not cut by -n
        "new 2",
    ]
