"""The journalctl -o json record parser and the journalctl command line."""

from __future__ import annotations

import json
from datetime import UTC

from hypothesis import given, settings
from hypothesis import strategies as st

from nspawn_tui.journal.sources import (
    OMITTED_TEXT,
    LogOptions,
    LogRecord,
    format_record_text,
    format_time,
    journalctl_argv,
    options_argv,
    parse_full_record,
    parse_lines,
    parse_record,
    record_argv,
)
from nspawn_tui.safe import clean_lines

LINE = (
    b'{"__CURSOR":"s=abc;i=1","__REALTIME_TIMESTAMP":"1700000000123456",'
    b'"__MONOTONIC_TIMESTAMP":"5","_BOOT_ID":"b0","PRIORITY":"4","_PID":"42",'
    b'"_SYSTEMD_UNIT":"nginx.service","SYSLOG_IDENTIFIER":"nginx","_COMM":"nginx-bin",'
    b'"MESSAGE":"upstream timed out"}'
)


def test_parse_plain_record() -> None:
    record = parse_record(LINE, "web")
    assert record is not None
    assert record.machine == "web"
    assert record.timestamp == 1700000000123456
    assert record.priority == 4
    assert record.unit == "nginx.service"
    assert record.identifier == "nginx"
    assert record.pid == "42"
    assert record.message == "upstream timed out"
    assert record.boot_id == "b0"
    assert record.cursor == "s=abc;i=1"


def test_identifier_falls_back_to_comm_and_missing_fields_are_empty() -> None:
    record = parse_record(b'{"_COMM":"cron","MESSAGE":"hi"}', "m")
    assert record is not None
    assert record.identifier == "cron"
    assert record.timestamp is None
    assert record.priority is None
    assert record.unit == record.pid == record.cursor == ""


def test_byte_array_fields_are_decoded_losslessly_and_short_fields_cleaned() -> None:
    raw = "héllo\n".encode() + b"\xff\x01"
    line = json.dumps({"MESSAGE": list(raw), "SYSLOG_IDENTIFIER": list(b"app\x07\x1b]0;x\x07")})
    record = parse_record(line.encode(), "m")
    assert record is not None
    # the message keeps its bytes (a raw export writes them back) ...
    assert record.message.encode("utf-8", "surrogateescape") == raw
    # ... and is shown cleaned; the identifier is cleaned as it is parsed
    assert clean_lines(record.message) == "héllo\n\ufffd^A"
    assert record.identifier == "app^G^[]0;x^G"


def test_hostile_short_fields_and_full_records_are_cleaned() -> None:
    evil = "evil\x1b]0;PWNED\x07\x9b\u202e"
    line = json.dumps(
        {"MESSAGE": "m", "_SYSTEMD_UNIT": evil, "_PID": evil, "_BOOT_ID": evil, "_COMM": "c"}
    )
    record = parse_record(line, "m")
    assert record is not None
    assert record.unit == record.pid == record.boot_id == "evil^[]0;PWNED^G\ufffd\ufffd"
    full = parse_full_record(json.dumps({evil: "a\tb\nc\x1b", "MESSAGE": list(b"\xff\x1b")}))
    assert full == {"evil^[]0;PWNED^G\ufffd\ufffd": "a   b\nc^[", "MESSAGE": "\ufffd^["}


def test_null_field_becomes_placeholder() -> None:
    record = parse_record(b'{"MESSAGE":null,"__REALTIME_TIMESTAMP":"1"}', "m")
    assert record is not None
    assert record.message == OMITTED_TEXT


def test_repeated_fields_first_value_and_message_joined() -> None:
    line = json.dumps({"MESSAGE": ["one", [116, 119, 111]], "_PID": ["7", "8"]})
    record = parse_record(line.encode(), "m")
    assert record is not None
    assert record.message == "one\ntwo"
    assert record.pid == "7"


def test_multiline_and_huge_message_kept_whole() -> None:
    text = "Traceback:\n  line 1\n" + "x" * 100_000
    record = parse_record(json.dumps({"MESSAGE": text}).encode(), "m")
    assert record is not None
    assert record.message == text


def test_bad_priority_and_timestamp_become_none() -> None:
    record = parse_record(b'{"PRIORITY":"9","__REALTIME_TIMESTAMP":"soon","MESSAGE":"x"}', "m")
    assert record is not None
    assert record.priority is None
    assert record.timestamp is None


def test_invalid_lines_return_none() -> None:
    for line in (b"", b"{", b"[1,2]", b"42", b'"text"', b"\xff\xfe{}", b"[" * 100_000):
        assert parse_record(line, "m") is None


def test_parse_lines_counts_broken_and_skips_blank() -> None:
    batch = parse_lines([LINE, b"not json", b"", b"  ", LINE], "web")
    assert len(batch.records) == 2
    assert batch.broken == 1
    assert batch.records[0].seq < batch.records[1].seq


def test_parse_full_record_keeps_every_field() -> None:
    fields = parse_full_record(LINE)
    assert fields["_COMM"] == "nginx-bin"
    assert fields["__MONOTONIC_TIMESTAMP"] == "5"
    assert parse_full_record(b"nope") == {}


def test_format_time_and_export_text() -> None:
    assert format_time(1700000000123456, UTC) == "22:13:20.123"
    assert format_time(None) == "--:--:--.---"
    record = LogRecord("web", 1700000000123456, 6, "u", "app", "9", "a\nb", "", "", 0)
    assert format_record_text(record, UTC) == ("2023-11-14 22:13:20.123 web app[9]: a\n    b")


def test_journalctl_argv_running_and_stopped() -> None:
    argv = journalctl_argv("web", lines=50, follow=True, priority=3, unit="a.service", boot=0)
    assert argv[:3] == ["journalctl", "-M", "web"]
    assert argv[argv.index("-n") + 1] == "50"
    assert "-f" in argv
    assert argv[argv.index("-p") + 1] == "3"
    assert argv[argv.index("-u") + 1] == "a.service"
    assert argv[argv.index("-b") + 1] == "0"
    assert any(a.startswith("--output-fields=MESSAGE,PRIORITY,") for a in argv)
    stopped = journalctl_argv("web", lines=10, follow=True, directory="/r/var/log/journal")
    assert stopped[1:3] == ["-D", "/r/var/log/journal"]
    assert "-M" not in stopped and "-f" not in stopped
    again = options_argv("web", LogOptions(lines=10), after_cursor="s=1")
    assert "--after-cursor=s=1" in again and "-n" not in again
    record = parse_record(LINE, "web")
    assert record is not None
    full = record_argv(record)
    assert full[-3:] == ["--cursor=s=abc;i=1", "-n", "1"]
    assert "--all" in full and not any(a.startswith("--output-fields") for a in full)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False)
    | st.text()
    | st.lists(st.integers(0, 255), max_size=50),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4)
    ),
    max_leaves=20,
)
field_names = st.sampled_from(
    [
        "MESSAGE",
        "PRIORITY",
        "_SYSTEMD_UNIT",
        "SYSLOG_IDENTIFIER",
        "_COMM",
        "_PID",
        "_BOOT_ID",
        "__CURSOR",
        "__REALTIME_TIMESTAMP",
    ]
) | st.text(max_size=10)


@settings(max_examples=300)
@given(st.dictionaries(field_names, json_values, max_size=12))
def test_any_json_object_parses_without_raising(obj: dict[str, object]) -> None:
    record = parse_record(json.dumps(obj).encode(), "m")
    assert isinstance(record, LogRecord)
    assert isinstance(record.message, str)
    assert record.priority is None or 0 <= record.priority <= 7
    assert isinstance(parse_full_record(json.dumps(obj)), dict)


@settings(max_examples=300)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    result = parse_record(data, "m")
    assert result is None or isinstance(result, LogRecord)
