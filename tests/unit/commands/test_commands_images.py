"""``nspawn-tui images|import|export`` on the demo host."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from nspawn_tui import cli
from nspawn_tui.commands.images import follow, guess_kind, image_records, progress_line
from nspawn_tui.host.base import HostError, Image
from nspawn_tui.host.demo.host import DemoHost
from nspawn_tui.host.images import TransferProgress

FIELDS = {"name", "type", "read_only", "usage_bytes", "limit_bytes", "created", "modified",
          "path", "running"}  # fmt: skip


def test_images_json_demo(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--demo", "images", "--json"]) == 0
    out = capsys.readouterr().out
    assert out.isascii()
    records = {r["name"]: r for r in json.loads(out)}
    assert all(set(r) == FIELDS for r in records.values())
    assert records["web"]["running"] is True and records["debian-base"]["running"] is False
    assert records["fedora-golden"]["read_only"] is True
    assert records["fedora-golden"]["type"] == "raw"
    assert records["arch-template"]["limit_bytes"] is None
    assert "fedora-vm" not in records  # a VM has no image


def test_images_table_demo(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--demo", "images"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["NAME", "TYPE", "RO", "USAGE", "LIMIT", "RUNNING", "PATH"]
    assert any(line.startswith("web ") and "running" in line for line in lines)


def test_hostile_names_are_escaped_in_json_and_cleaned_in_tables() -> None:
    image = Image("evil\x1b]0;x\x07\u202e", "directory", False, "/var/lib/machines/evil")
    records = image_records([image], set())
    assert json.dumps(records, ensure_ascii=True).isascii()
    from nspawn_tui.commands.images import image_table

    table = image_table(records)
    assert "\x1b" not in table and "\u202e" not in table


def test_import_and_export_on_the_demo(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    source = tmp_path / "root.tar"
    source.write_bytes(b"\0" * 10_000)
    assert cli.main(["--demo", "import", str(source), "newimg", "--image-read-only"]) == 0
    out = capsys.readouterr().out
    assert "\r" not in out and out.count("\n") == 1 and "done" in out
    target = tmp_path / "web.tar"
    target.write_bytes(b"mine")
    assert cli.main(["--demo", "export", "web", str(target)]) == 1
    err = capsys.readouterr().err
    assert "exists already" in err and target.read_bytes() == b"mine"
    assert cli.main(["--demo", "--read-only", "import", str(source), "x"]) == 1
    assert "--read-only" in capsys.readouterr().err


def test_guess_kind(tmp_path: Path) -> None:
    assert guess_kind(str(tmp_path)) == "directory"
    assert guess_kind("/x/disk.raw") == "raw" and guess_kind("/x/a.qcow2") == "raw"
    assert guess_kind("/x/root.tar.xz") == "tar"


def test_progress_line_uses_our_byte_format() -> None:
    line = progress_line(TransferProgress(512 * 2**20, 2**30, 64 * 2**20, 8.0))
    assert line == "50.0%  512M / 1.0G  64M/s  0:08 left"


async def test_follow_draws_in_place_on_a_terminal_and_cancels(tmp_path: Path) -> None:
    host = DemoHost(seed=1, frozen=True)
    host.transfer_rate = 500_000.0
    source = tmp_path / "a.raw"
    source.write_bytes(b"\0" * 200_000)
    terminal = io.StringIO()
    assert await follow(await host.import_image(str(source), "a", "raw"), terminal) == 0
    drawn = terminal.getvalue()
    assert drawn.count("\r") >= 2 and drawn.endswith("\n")
    slow = await host.import_image(str(source), "b", "raw")
    await slow.cancel()
    assert await follow(slow, None) == 1  # cancelled from outside: a failure of the transfer
    with pytest.raises(HostError):
        await host.image("b")
