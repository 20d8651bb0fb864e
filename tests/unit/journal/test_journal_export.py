"""journal.export: clean text by default, the original bytes on request, every bad path refused."""

from __future__ import annotations

import errno
import json
import os
from datetime import UTC
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nspawn_tui.journal import export as journal_export
from nspawn_tui.journal.export import (
    ExportError,
    check_export_path,
    default_export_path,
    record_bytes,
    write_export,
)
from nspawn_tui.journal.sources import LogRecord, parse_record
from nspawn_tui.journal.store import SearchError, compile_search
from nspawn_tui.safe import is_clean

RAW = b"caf\xc3\xa9 \xff\xfe \x1b]0;pwned\x07 \xc2\x9b2J \xe2\x80\xae \x00 end"


def record(message: str | list[int], machine: str = "web") -> LogRecord:
    line = json.dumps({"MESSAGE": message, "__REALTIME_TIMESTAMP": "1700000000000000", "_PID": "7"})
    parsed = parse_record(line, machine)
    assert parsed is not None
    return parsed


def test_clean_export_is_inert_text() -> None:
    data = record_bytes(record(list(RAW), machine="db\x1b[2J"), UTC)
    text = data.decode("utf-8")
    assert is_clean(text, lines=True) and text.endswith("\n")
    assert "café \ufffd\ufffd ^[]0;pwned^G \ufffd2J \ufffd ^@ end" in text
    assert " db^[[2J ?[7]: " in text  # the machine name is cleaned too


def test_raw_export_is_the_bytes_received() -> None:
    data = record_bytes(record(list(RAW)), UTC, raw=True)
    assert data.endswith(b": " + RAW + b"\n")


def test_raw_export_of_a_surrogate_that_is_no_byte() -> None:
    """JSON may carry "\\ud800" (no byte stands for it): U+FFFD, not a crash."""
    data = record_bytes(record("a\ud800b\udcffc"), UTC, raw=True)
    assert data.endswith(b"a\xef\xbf\xbdb\xffc\n")


def test_multi_line_messages_are_indented() -> None:
    data = record_bytes(record("one\ntwo\n\x1b[1Athree"), UTC)
    assert data.decode().split("\n")[1:] == ["    two", "    ^[[1Athree", ""]


def test_default_path_is_a_plain_file_name() -> None:
    assert default_export_path(["web", "a/../b", "\x1b[2J"]) == os.path.join(
        "~", "nspawn-tui-logs-web-a_.._b-__2J.log"
    )
    assert default_export_path([]) == os.path.join("~", "nspawn-tui-logs-logs.log")
    assert len(os.path.basename(default_export_path(["x" * 1000] * 5))) < 255


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("", "give a file name"),
        ("  ", "give a file name"),
        ("a\x00b", "NUL"),
        ("x\ud800", "unpaired surrogate"),
        ("{tmp}", "that is a directory"),
        ("{tmp}/sub/", "that is a directory"),
        ("{tmp}/nope/x.log", "no such directory: {tmp}/nope"),
        ("{tmp}/plain/x.log", "not a directory: {tmp}/plain"),
        ("{tmp}/" + "n" * 256, "longer than 255 bytes"),
        ("/" + "d/" * 2048, "path too long"),
        ("{tmp}/link", "not a regular file"),
        ("{tmp}/plain", "exists"),
    ],
)
def test_bad_paths(tmp_path: Path, path: str, message: str) -> None:
    (tmp_path / "plain").write_text("x")
    (tmp_path / "sub").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "plain")
    with pytest.raises(ExportError) as raised:
        write_export(path.format(tmp=tmp_path), [record("x")])
    assert message.format(tmp=tmp_path) in raised.value.message
    assert raised.value.exists == (message == "exists")
    assert (tmp_path / "plain").read_text() == "x"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link", "plain", "sub"]


def test_existing_file_replaced_only_with_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "out.log"
    assert write_export(str(target), [record("one")]) == str(target)
    with pytest.raises(ExportError, match="exists"):
        write_export(str(target), [record("two")])
    assert b"one" in target.read_bytes()
    write_export(str(target), [record("two")], overwrite=True)
    assert b"two" in target.read_bytes() and b"one" not in target.read_bytes()


def test_home_is_expanded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert write_export("~/x.log", [record("x")]) == str(tmp_path / "x.log")
    assert check_export_path("~/y.log") == str(tmp_path / "y.log")


def test_permission_denied_and_a_full_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def denied(*args: object, **kwargs: object) -> int:
        raise PermissionError(errno.EACCES, "Permission denied")

    with monkeypatch.context() as patch:
        patch.setattr(journal_export.os, "open", denied)
        with pytest.raises(ExportError, match=f"Permission denied: {tmp_path}/x.log"):
            write_export(str(tmp_path / "x.log"), [record("x")])

    def full(*args: object, **kwargs: object) -> bytes:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(journal_export, "record_bytes", full)
    with pytest.raises(ExportError, match="No space left on device"):
        write_export(str(tmp_path / "y.log"), [record("x")])
    assert not (tmp_path / "y.log").exists()  # the half-written file is not left behind


@settings(max_examples=300, deadline=None)
@given(
    name=st.text(st.characters(exclude_categories=()), max_size=40),
    message=st.one_of(st.text(st.characters(exclude_categories=())), st.binary().map(list)),
    raw=st.booleans(),
)
def test_any_path_and_message_give_a_file_or_an_export_error(
    tmp_path_factory: pytest.TempPathFactory, name: str, message: str | list[int], raw: bool
) -> None:
    directory = tmp_path_factory.mktemp("any")
    path = f"{directory}/{name.replace('..', '._')}"
    try:
        target = write_export(path, [record(message)], raw=raw)
    except ExportError as error:
        assert error.message
        return
    data = Path(target).read_bytes()
    if raw and isinstance(message, list):
        assert bytes(message).replace(b"\n", b"\n    ") in data
    if not raw:
        assert is_clean(data.decode("utf-8"), lines=True)


@pytest.mark.filterwarnings("error")  # a warning would be printed on the UI's terminal
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("re:a{99999999999}", "bad regular expression"),
        ("re:" + "(" * 5000 + ")" * 5000, "nested too deeply"),
        ("re:(", "bad regular expression"),
        ("re:", "empty search"),
    ],
)
def test_bad_expressions_are_search_errors(text: str, message: str) -> None:
    """Never OverflowError or RecursionError: the log view catches SearchError only."""
    with pytest.raises(SearchError, match=message):
        compile_search(text)


@pytest.mark.filterwarnings("error")
def test_an_expression_re_warns_about_compiles_silently() -> None:
    assert compile_search("re:[[a]").found("[")
