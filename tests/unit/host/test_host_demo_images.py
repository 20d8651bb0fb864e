"""The demo host's images: actions change what it lists, transfers progress and end."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

from nspawn_tui.host.base import HostError, NoSuchMachine
from nspawn_tui.host.demo.host import DemoHost
from nspawn_tui.host.images import TransferProgress
from nspawn_tui.images.names import NO_LIMIT


@pytest.fixture
def host() -> DemoHost:
    return DemoHost(seed=1, frozen=True)


async def listed(host: DemoHost) -> dict[str, object]:
    return {image.name: image for image in await host.list_images()}


async def test_clone_rename_read_only_remove(host: DemoHost) -> None:
    await host.clone_image("debian-base", "base-copy", read_only=True)
    images = await host.list_images()
    copy = next(image for image in images if image.name == "base-copy")
    assert copy.read_only and copy.usage_bytes == (await host.image("debian-base")).usage_bytes
    rows = {m.name: m for m in await host.list_machines()}
    assert rows["base-copy"].state == "stopped" and rows["base-copy"].read_only
    await host.rename_image("base-copy", "renamed")
    names = await listed(host)
    assert "renamed" in names and "base-copy" not in names
    assert (await host.image("renamed")).path == "/var/lib/machines/renamed"
    await host.set_image_read_only("renamed", False)
    assert not (await host.image("renamed")).read_only
    await host.remove_image("renamed")
    assert "renamed" not in await listed(host)
    with pytest.raises(NoSuchMachine, match="no image called renamed"):
        await host.image("renamed")


async def test_refusals_in_words(host: DemoHost) -> None:
    with pytest.raises(HostError, match="web is in use"):
        await host.remove_image("web")
    with pytest.raises(HostError, match="web is in use"):
        await host.rename_image("web", "www")
    with pytest.raises(HostError, match="exists already"):
        await host.clone_image("debian-base", "web")
    with pytest.raises(HostError, match="not allowed"):
        await host.clone_image("debian-base", "bad name")
    with pytest.raises(NoSuchMachine):
        await host.clone_image("nope", "x")
    with pytest.raises(NoSuchMachine, match="VM without an image"):
        await host.image("fedora-vm")
    with pytest.raises(HostError, match="btrfs subvolume.*directory image"):
        await host.set_image_limit("debian-base", 2**30)


async def test_limits_on_a_subvolume(host: DemoHost) -> None:
    assert (await host.image("arch-template")).limit_bytes is None
    await host.set_image_limit("arch-template", 5 * 2**30)
    assert (await host.image("arch-template")).limit_bytes == 5 * 2**30
    await host.set_image_limit("arch-template", NO_LIMIT)
    assert (await host.image("arch-template")).limit_bytes is None


async def collect(transfer: object) -> list[TransferProgress]:
    return [p async for p in transfer.updates()]  # type: ignore[attr-defined]


async def test_import_progresses_to_the_end_and_adds_the_image(
    host: DemoHost, tmp_path: Path
) -> None:
    source = tmp_path / "root.tar"
    source.write_bytes(b"\0" * 600_000)
    host.transfer_rate = 2_000_000.0
    transfer = await host.import_image(str(source), "fresh", "tar", read_only=True)
    readings = await collect(transfer)
    assert len(readings) >= 3
    assert [r.done_bytes for r in readings] == sorted(r.done_bytes for r in readings)
    assert readings[-1].finished and readings[-1].fraction == 1.0
    assert readings[-1].done_bytes == 600_000
    image = await host.image("fresh")
    assert image.read_only and image.usage_bytes == 600_000
    with pytest.raises(HostError, match="exists already"):
        await host.import_image(str(source), "fresh", "tar")
    replaced = await host.import_image(str(source), "fresh", "tar", force=True)
    await collect(replaced)
    assert not (await host.image("fresh")).read_only


async def test_import_refuses_what_cannot_be_read(host: DemoHost, tmp_path: Path) -> None:
    with pytest.raises(HostError, match="cannot open"):
        await host.import_image(str(tmp_path / "missing.tar"), "x", "tar")
    with pytest.raises(HostError, match="use the kind 'directory'"):
        await host.import_image(str(tmp_path), "x", "tar")
    with pytest.raises(HostError, match="kind must be one of"):
        await host.import_image(str(tmp_path), "x", "zip")


async def test_cancel_ends_with_cancelled_and_no_image(host: DemoHost, tmp_path: Path) -> None:
    source = tmp_path / "big.raw"
    source.write_bytes(b"\0" * 1_000_000)
    host.transfer_rate = 1_000_000.0
    transfer = await host.import_image(str(source), "slow", "raw")
    seen = []
    with pytest.raises(HostError, match="cancelled"):
        async for progress in transfer.updates():
            seen.append(progress)
            if progress.done_bytes:
                await transfer.cancel()
    assert seen and not seen[-1].finished
    assert "slow" not in await listed(host)


async def test_export_never_replaces_and_writes_a_tar(host: DemoHost, tmp_path: Path) -> None:
    host.transfer_rate = 1e12
    out = tmp_path / "web.tar"
    readings = await collect(await host.export_image("web", str(out), "tar"))
    assert readings[-1].finished
    with tarfile.open(out) as archive:
        assert archive.getnames() == ["README.nspawn-tui-demo"]
    before = out.read_bytes()
    with pytest.raises(HostError, match="exists already"):
        await host.export_image("web", str(out), "tar")
    assert out.read_bytes() == before


async def test_a_cancelled_export_leaves_no_file(host: DemoHost, tmp_path: Path) -> None:
    host.transfer_rate = 1.0
    out = tmp_path / "partial.tar"
    transfer = await host.export_image("debian-base", str(out), "tar")
    assert out.exists()
    await transfer.cancel()
    with pytest.raises(HostError, match="cancelled"):
        await collect(transfer)
    assert not out.exists()
