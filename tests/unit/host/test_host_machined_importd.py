"""machined/importd.py and machined/images.py without a bus: signal routing, words, helpers."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from dbus_next import Message

from nspawn_tui.host.base import HostError, NoSuchMachine
from nspawn_tui.host.machined import images as machined_images
from nspawn_tui.host.machined.import_transfer import failure_words
from nspawn_tui.host.machined.importd import (
    IMPORT1_MANAGER,
    IMPORT1_TRANSFER,
    ImportdMissing,
    ImportdWatch,
    importd_words,
)


def signal(path: str, interface: str, member: str, signature: str, body: list[Any]) -> Message:
    return Message.new_signal(path, interface, member, signature, body)


async def test_watch_routes_results_and_logs_whenever_they_come() -> None:
    watch = ImportdWatch(bus=None)  # type: ignore[arg-type]
    path = "/org/freedesktop/import1/transfer/_7"
    watch._on_message(signal(path, IMPORT1_TRANSFER, "LogMessage", "us", [30, "Importing 'x'"]))
    watch._on_message(signal(path, IMPORT1_TRANSFER, "LogMessage", "us", [27, "bad \x1b[31m"]))
    # the end may come before the Transfer object asks for it
    watch._on_message(
        signal("/org/freedesktop/import1", IMPORT1_MANAGER, "TransferRemoved", "uos",
               [7, path, "failed"])
    )  # fmt: skip
    ended = watch.ended(7)
    assert ended.done() and ended.result() == "failed"
    assert [text for _p, text in watch.log(path)] == ["Importing 'x'", "bad ^[[31m"]
    waiting = watch.ended(8)
    assert not waiting.done()
    watch._ended(8, "done")
    assert waiting.result() == "done"
    watch.forget(7, path)
    assert watch.log(path) == []
    not_a_signal = Message(destination="org.example.X", path="/", member="Ping")
    watch._on_message(not_a_signal)


def test_failure_words_leave_out_the_routine() -> None:
    lines = [(30, "Importing 'pipe:[1]', saving as 'x'."), (27, "Image 'x' already exists."),
             (30, "Exiting.")]  # fmt: skip
    assert failure_words(lines) == "Image 'x' already exists."
    assert "no reason" in failure_words([(30, "Exiting.")])
    many = [(6, f"tar: line {i}") for i in range(10)]
    assert failure_words(many).count("tar:") == 4


def test_importd_missing_and_refusals_in_words() -> None:
    words = importd_words("import of f as x", "unix:path=/run/bus")
    missing = words("org.freedesktop.DBus.Error.ServiceUnknown", "The name is not activatable")
    assert isinstance(missing, ImportdMissing)
    assert "systemd-importd is not available on unix:path=/run/bus" in str(missing)
    refused = words("org.freedesktop.DBus.Error.InvalidArgs", "Local name x/y is invalid")
    assert isinstance(refused, HostError) and "importd refused it" in str(refused)
    assert words("org.freedesktop.DBus.Error.Failed", "boom") is None


@pytest.mark.parametrize(
    ("error", "text", "words"),
    [
        (
            "org.freedesktop.machine1.NoSuchImage",
            "No image 'a' known",
            "there is no image called a",
        ),
        ("System.Error.EBUSY", "Device or resource busy", "a is in use"),
        ("org.freedesktop.DBus.Error.FileExists", "File exists", "an image called b exists"),
        ("System.Error.EROFS", "Read-only file system", "mark it writable first"),
        ("org.freedesktop.DBus.Error.NotSupported", "Operation not supported", "not supported"),
        ("System.Error.EPERM", "Operation not permitted", "run nspawn-tui as root"),
    ],
)
def test_machined_image_refusals_in_words(error: str, text: str, words: str) -> None:
    said = machined_images.image_words("clone a to b", "a", "b")(error, text)
    assert said is not None and words in str(said)
    if error.endswith("NoSuchImage"):
        assert isinstance(said, NoSuchMachine)
    assert machined_images.image_words("x", "a")("org.freedesktop.DBus.Error.Failed", "?") is None


def test_compression_follows_the_file_name() -> None:
    assert machined_images.compression_for("/tmp/a.tar") == ""
    assert machined_images.compression_for("/tmp/a.tar.xz") == "xz"
    assert machined_images.compression_for("/tmp/a.TGZ") == "gzip"
    assert machined_images.compression_for("/tmp/a.raw.bz2") == "bzip2"


def test_sources_and_targets(tmp_path: Path) -> None:
    tar = tmp_path / "a.tar"
    tar.write_bytes(b"x" * 100)
    fd, size = machined_images._open_source(str(tar), "tar", "import")
    os.close(fd)
    assert size == 100
    fd, size = machined_images._open_source(str(tmp_path), "directory", "import")
    os.close(fd)
    assert size is None
    with pytest.raises(HostError, match="use the kind 'directory'"):
        machined_images._open_source(str(tmp_path), "tar", "import")
    with pytest.raises(HostError, match="is not a directory"):
        machined_images._open_source(str(tar), "directory", "import")
    with pytest.raises(HostError, match="No such file"):
        machined_images._open_source(str(tmp_path / "missing"), "tar", "import")
    with pytest.raises(HostError, match="exists already"):
        machined_images._create_target(str(tar), "export")
    assert tar.read_bytes() == b"x" * 100
    out = tmp_path / "out.tar"
    fd, identity = machined_images._create_target(str(out), "export")
    os.close(fd)
    other = tmp_path / "other"
    other.write_bytes(b"someone else's")
    os.replace(other, out)  # replaced meanwhile: not ours to remove
    machined_images._remove_created(str(out), identity)
    assert out.exists()
    fd, identity = machined_images._create_target(str(tmp_path / "mine"), "export")
    os.close(fd)
    machined_images._remove_created(str(tmp_path / "mine"), identity)
    assert not (tmp_path / "mine").exists()
