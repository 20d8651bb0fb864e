"""Images against real machined and real systemd-importd on the flat lab's bus.

ImportTar of a tarball made here (and of the lab's cached root tarball, for
the speed) through a pipe we count, with the progress reaching 100 %; the
new image in ``MachinedHost.list_images`` and in ``nspawn-tui images --json``;
clone, rename, read-only and remove changing what machined lists; ExportTar
into a new file that ``tar -t`` reads; cancel; and importd missing from the
bus said in words.  Every image made here is removed at the end.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import labkit
import pytest
from labkit.importd import Importd

from nspawn_tui.host.base import HostError, Image, NoSuchMachine
from nspawn_tui.host.images import Transfer, TransferProgress
from nspawn_tui.host.machined.host import MachinedHost
from nspawn_tui.host.machined.importd import ImportdMissing

PREFIX = "ntl-img-"
MACHINES = Path("/var/lib/machines")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def importd(lab_host: labkit.FlatLab) -> Iterator[Importd]:
    daemon = Importd(lab_host)
    try:
        yield daemon
    finally:
        daemon.stop()
        for leftover in MACHINES.glob(f"{PREFIX}*"):
            shutil.rmtree(leftover, ignore_errors=True)


@pytest.fixture
async def host(lab_host: labkit.FlatLab, importd: Importd) -> AsyncIterator[MachinedHost]:
    importd.ensure()  # it exits when idle for a while
    machined_host = MachinedHost(lab_host.bus_address)
    await machined_host.connect()
    made = set(os.listdir(MACHINES))
    try:
        yield machined_host
    finally:
        for name in sorted(set(os.listdir(MACHINES)) - made):
            if name.startswith(PREFIX):
                try:
                    await machined_host.set_image_read_only(name, False)
                    await machined_host.remove_image(name)
                except HostError:
                    shutil.rmtree(MACHINES / name, ignore_errors=True)
        await machined_host.close()


@pytest.fixture(scope="module")
def small_tar(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small root-like tree as an uncompressed tar made with tar(1)."""
    base = tmp_path_factory.mktemp("tree")
    (base / "etc").mkdir()
    (base / "etc" / "hostname").write_text("ntl-img\n")
    (base / "etc" / "os-release").write_text('NAME="Lab"\nPRETTY_NAME="Lab image"\nID=lab\n')
    (base / "usr" / "lib").mkdir(parents=True)
    (base / "usr" / "lib" / "blob").write_bytes(os.urandom(3 << 20))
    target = base.parent / "small.tar"
    subprocess.run(["tar", "-C", str(base), "-cf", str(target), "."], check=True)
    return target


async def run_transfer(transfer: Transfer) -> list[TransferProgress]:
    return [progress async for progress in transfer.updates()]


async def names(host: MachinedHost) -> dict[str, Image]:
    host._images_at = float("-inf")  # no cached ListImages: what machined says now
    return {image.name: image for image in await host.list_images()}


def cli(lab: labkit.FlatLab, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nspawn_tui", *args, "--bus", lab.bus_address],
        capture_output=True, text=True, timeout=120, cwd=ROOT, stdin=subprocess.DEVNULL,
    )  # fmt: skip


async def test_without_importd_the_reason_is_said(lab_host: labkit.FlatLab) -> None:
    daemon = Importd(lab_host)
    if daemon.on_bus():
        pytest.skip("an importd is on the lab's bus already")
    host = MachinedHost(lab_host.bus_address)
    await host.connect()
    try:
        with pytest.raises(ImportdMissing, match="systemd-importd is not available"):
            await host.import_image("/etc/hostname", f"{PREFIX}none", "tar")
        # everything else still works
        assert isinstance(await host.list_images(), list)
    finally:
        await host.close()


async def test_import_tar_is_listed_with_progress_to_the_end(
    host: MachinedHost, small_tar: Path, lab_host: labkit.FlatLab
) -> None:
    name = f"{PREFIX}a"
    transfer = await host.import_image(str(small_tar), name, "tar")
    readings = await run_transfer(transfer)
    last = readings[-1]
    assert last.finished and last.fraction == 1.0
    assert last.done_bytes == last.total_bytes == small_tar.stat().st_size
    assert all(r.total_bytes == small_tar.stat().st_size for r in readings[:-1])
    image = (await names(host))[name]
    assert image.image_type in {"directory", "subvolume"}
    assert (MACHINES / name / "etc" / "hostname").read_text() == "ntl-img\n"
    detailed = await host.image(name)
    assert detailed.path == str(MACHINES / name)
    listed = cli(lab_host, "images", "--json")
    assert listed.returncode == 0, listed.stderr
    records = {r["name"]: r for r in json.loads(listed.stdout)}
    assert records[name]["type"] == image.image_type
    assert records[name]["running"] is False
    assert records[name]["path"] == str(MACHINES / name)
    assert listed.stdout.isascii()


async def test_clone_rename_read_only_remove_change_the_list(
    host: MachinedHost, small_tar: Path
) -> None:
    base, copy, moved = f"{PREFIX}b", f"{PREFIX}b-copy", f"{PREFIX}b-moved"
    await run_transfer(await host.import_image(str(small_tar), base, "tar"))
    await host.clone_image(base, copy, read_only=True)
    listed = await names(host)
    assert listed[copy].read_only and not listed[base].read_only
    with pytest.raises(HostError, match="exists already"):
        await host.clone_image(base, copy)
    await host.set_image_read_only(copy, False)
    assert not (await names(host))[copy].read_only
    await host.rename_image(copy, moved)
    listed = await names(host)
    assert moved in listed and copy not in listed
    await host.set_image_read_only(moved, True)
    assert (await names(host))[moved].read_only
    await host.remove_image(moved)  # machined removes a read-only image too (the demo agrees)
    assert moved not in await names(host)
    with pytest.raises(NoSuchMachine):
        await host.remove_image(moved)
    with pytest.raises(HostError) as refused:
        await host.set_image_limit(base, 1 << 30)
    print(f"\nSetImageLimit on a {listed[base].image_type} image: {refused.value}")
    assert "subvolume" in str(refused.value) or "quota" in str(refused.value).lower()
    await host.remove_image(base)
    assert base not in await names(host)


async def test_export_tar_writes_a_new_file_tar_reads(
    host: MachinedHost, small_tar: Path, tmp_path: Path
) -> None:
    name = f"{PREFIX}c"
    await run_transfer(await host.import_image(str(small_tar), name, "tar"))
    out = tmp_path / "out.tar"
    readings = await run_transfer(await host.export_image(name, str(out), "tar"))
    assert readings[-1].finished and readings[-1].done_bytes == out.stat().st_size
    listing = subprocess.run(["tar", "-tf", str(out)], capture_output=True, text=True, check=True)
    assert "./etc/hostname" in listing.stdout.split()
    before = out.read_bytes()
    with pytest.raises(HostError, match="exists already"):
        await host.export_image(name, str(out), "tar")
    assert out.read_bytes() == before  # never replaced
    with tarfile.open(out) as archive:
        assert archive.extractfile("./etc/hostname").read() == b"ntl-img\n"  # type: ignore[union-attr]


@contextlib.contextmanager
def paused(importd: Importd) -> Iterator[None]:
    """importd's next worker stopped (SIGSTOP) as soon as it starts, so it cannot finish first.

    importd's cancel sends its worker SIGTERM and then SIGCONT, as to any worker;
    a worker still there at the end is continued.
    """
    stopped: list[int] = []
    deadline = time.monotonic() + 30
    while not stopped:
        assert time.monotonic() < deadline, "importd never started a worker"
        stopped = importd.workers()
        time.sleep(0.001)
    for pid in stopped:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for pid in stopped:
            with contextlib.suppress(ProcessLookupError):  # gone: cancelled as it should be
                os.kill(pid, signal.SIGCONT)


async def test_cancel_stops_the_import(host: MachinedHost, importd: Importd) -> None:
    tarball = labkit.ensure_rootfs()
    name = f"{PREFIX}d"
    transfer = await host.import_image(str(tarball), name, "tar")
    # The lab's root imports in well under a second from the page cache, faster
    # than one progress reading at times (CI saw it end before the cancel).
    # (paused() blocks the event loop on purpose: our pump cannot feed it either.)
    seen: list[TransferProgress] = []
    with paused(importd):
        with pytest.raises(HostError, match="cancelled"):
            async with asyncio.timeout(60):
                async for progress in transfer.updates():
                    seen.append(progress)  # counted per 1 MiB written: may stay 0 here
                    await transfer.cancel()
    assert seen and not seen[-1].finished
    assert seen[-1].done_bytes < tarball.stat().st_size  # stopped part way
    assert name not in await names(host)


async def test_import_speed_of_the_lab_root(host: MachinedHost) -> None:
    """The lab's 250 MB root tarball, counted through the pipe: the speed is printed."""
    tarball = labkit.ensure_rootfs()
    name = f"{PREFIX}speed"
    started = time.monotonic()
    readings = await run_transfer(await host.import_image(str(tarball), name, "tar"))
    seconds = time.monotonic() - started
    size = tarball.stat().st_size
    assert readings[-1].fraction == 1.0 and readings[-1].done_bytes == size
    rates = [r.rate_bps for r in readings if r.rate_bps]
    print(
        f"\nImportTar of {size / 2**20:.0f} MiB in {seconds:.2f} s: "
        f"{size / 2**20 / seconds:.0f} MiB/s; {len(readings)} readings, "
        f"rate shown {min(rates) / 2**20:.0f}-{max(rates) / 2**20:.0f} MiB/s"
    )
    assert (MACHINES / name / "etc" / "os-release").exists()
    await host.remove_image(name)


async def test_import_a_directory(host: MachinedHost, tmp_path: Path) -> None:
    """ImportFileSystem: importd copies the tree; its size is not counted (total unknown)."""
    tree = tmp_path / "tree"
    (tree / "etc").mkdir(parents=True)
    (tree / "etc" / "hostname").write_text("ntl-img-dir\n")
    name = f"{PREFIX}dir"
    readings = await run_transfer(await host.import_image(str(tree), name, "directory"))
    assert readings[-1].finished and readings[-1].total_bytes in (None, 0)
    assert name in await names(host)
    assert (MACHINES / name / "etc" / "hostname").read_text() == "ntl-img-dir\n"


def test_cli_ctrl_c_cancels_the_import(lab_host: labkit.FlatLab, importd: Importd) -> None:
    importd.ensure()
    name = f"{PREFIX}sigint"
    command = [sys.executable, "-m", "nspawn_tui", "import", str(labkit.ensure_rootfs()), name]
    proc = subprocess.Popen(
        [*command, "--bus", lab_host.bus_address],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
    )  # fmt: skip
    try:
        # The lab's root imports in well under a second from the page cache.
        with paused(importd):
            deadline = time.monotonic() + 30
            while name not in importd.transfers():
                assert time.monotonic() < deadline, "the import is not listed"
                time.sleep(0.05)
            time.sleep(0.3)  # the command has its transfer's id
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, (out, err)
    assert "was cancelled" in err and "Traceback" not in err
    assert not (MACHINES / name).exists()


def test_cli_import_and_export(
    lab_host: labkit.FlatLab, importd: Importd, small_tar: Path, tmp_path: Path
) -> None:
    importd.ensure()
    name = f"{PREFIX}cli"
    try:
        done = cli(lab_host, "import", str(small_tar), name)
        assert done.returncode == 0, done.stderr
        assert "\r" not in done.stdout  # not a terminal: no progress line
        assert done.stdout.count("\n") == 1 and "done" in done.stdout
        out = tmp_path / "cli.tar"
        exported = cli(lab_host, "export", name, str(out))
        assert exported.returncode == 0, exported.stderr
        assert out.stat().st_size > small_tar.stat().st_size // 2
        again = cli(lab_host, "export", name, str(out))
        assert again.returncode == 1 and "exists already" in again.stderr
        twice = cli(lab_host, "import", str(small_tar), name)
        assert twice.returncode == 1 and "exists" in twice.stderr, twice.stderr
    finally:
        subprocess.run(["rm", "-rf", str(MACHINES / name)], check=False)
