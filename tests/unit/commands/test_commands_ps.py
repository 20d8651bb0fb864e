"""``nspawn-tui ps NAME [--json]`` on the demo host, and its table and records."""

from __future__ import annotations

import json

import pytest

from nspawn_tui import cli
from nspawn_tui.commands.ps import HEADER, format_table, process_records
from nspawn_tui.host.processes import ProcessGroup, ProcessInfo, ProcessTable
from nspawn_tui.safe import cell_width

FIELDS = {"pid", "ns_pid", "ppid", "user", "cgroup", "cpu_percent", "rss_bytes", "state",
          "started_at", "threads", "command"}  # fmt: skip


def test_ps_json_demo(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--demo", "ps", "web", "--json", "--interval", "0.01"]) == 0
    out = capsys.readouterr().out
    assert out.isascii()
    records = json.loads(out)
    assert all(set(r) == FIELDS for r in records)
    init = [r for r in records if r["ns_pid"] == 1][0]
    assert init["command"] == "/sbin/init"
    assert init["cgroup"] == "/machine.slice/systemd-nspawn@web.service/payload/init.scope"
    assert isinstance(init["cpu_percent"], float) and isinstance(init["rss_bytes"], int)


def test_ps_table_demo(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--demo", "ps", "db", "--interval", "0.01"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == list(HEADER)
    assert any("/payload/init.scope" in line and "/sbin/init" in line for line in lines)


def test_ps_of_a_stopped_machine_fails_in_words(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--demo", "ps", "debian-base", "--interval", "0.01"]) == 1
    err = capsys.readouterr().err
    assert "debian-base is not running" in err and "Traceback" not in err


HOSTILE = ProcessTable(
    "evil",
    "/machine.slice/systemd-nspawn@evil.service",
    (
        ProcessGroup("/", ()),
        ProcessGroup(
            "/payload",
            (
                ProcessInfo(10, 1, 9, "root", "sleeping", "init"),
                ProcessInfo(11, None, None, "ユーザー", "zombie", "x\x1b[31mred\u202e", 1.5),
            ),
            depth=1,
        ),
    ),
)


def test_records_have_null_where_unavailable_and_json_escapes() -> None:
    records = process_records(HOSTILE)
    assert records[1]["ns_pid"] is None and records[1]["rss_bytes"] is None
    assert records[1]["cgroup"] == "/machine.slice/systemd-nspawn@evil.service/payload"
    text = json.dumps(records, ensure_ascii=True)
    assert "\x1b" not in text and "\\u001b" in text and "\\u202e" in text


def test_table_cells_are_cleaned_and_aligned_by_cells() -> None:
    lines = format_table(process_records(HOSTILE), HOSTILE.cgroup).splitlines()
    assert "\x1b" not in "".join(lines) and "\u202e" not in "".join(lines)
    assert "x^[[31mred" in lines[2]
    # the CGROUP column starts at the same cell on every line (wide user name included)
    starts = [cell_width(line[: line.index("/payload")]) for line in lines[1:]]
    assert len(set(starts)) == 1
    assert "n/a" in lines[2]
