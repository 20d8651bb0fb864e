"""The images screen on the demo host: open with i, actions with their dialogs, transfers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from screen_text import notifications, screen_text
from textual.pilot import Pilot
from textual.widgets import Checkbox, Input, Select

from nspawn_tui.app import NspawnApp
from nspawn_tui.host.base import Host, HostError
from nspawn_tui.host.demo.host import DemoHost
from nspawn_tui.screens.image_confirm import ImageConfirm
from nspawn_tui.screens.image_prompt import ImagePrompt
from nspawn_tui.screens.image_transfer_prompt import TransferPrompt
from nspawn_tui.screens.images import ImagesScreen
from nspawn_tui.widgets.image_table import ImageTable
from nspawn_tui.widgets.transfer_bar import TransferBar


async def wait_for(pilot: Pilot[None], check: object, what: str, tries: int = 150) -> None:
    for _ in range(tries):
        if check():  # type: ignore[operator]
            return
        await pilot.pause(0.02)
    raise AssertionError(f"never: {what}\n{screen_text(pilot.app)}")


@pytest.fixture
async def opened(request: pytest.FixtureRequest) -> AsyncIterator[tuple[Pilot[None], DemoHost]]:
    read_only = getattr(request, "param", False)
    host = DemoHost(seed=1, frozen=True, read_only=read_only)
    app = NspawnApp(host, interval=0.2)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await pilot.pause(0.2)
        await pilot.press("i")
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, ImagesScreen) and app.screen.refreshes >= 1,
            "the images screen",
        )
        yield pilot, host


def images_screen(pilot: Pilot[None]) -> ImagesScreen:
    screen = pilot.app.screen
    assert isinstance(screen, ImagesScreen)
    return screen


def table(pilot: Pilot[None]) -> ImageTable:
    return images_screen(pilot).query_one(ImageTable)


async def select(pilot: Pilot[None], name: str) -> None:
    await wait_for(pilot, lambda: table(pilot).move_to(name), f"{name} in the table")


def toast_texts(pilot: Pilot[None]) -> list[str]:
    return [n.message for n in notifications(pilot.app)]


async def test_lists_every_image_with_its_figures(
    opened: tuple[Pilot[None], DemoHost],
) -> None:
    pilot, host = opened
    shown = table(pilot).images
    assert set(shown) == {image.name for image in await host.list_images()}
    assert "fedora-vm" not in shown  # a VM without an image
    text = screen_text(pilot.app)
    web = next(line for line in text.splitlines() if line.lstrip().startswith("web "))
    assert "directory" in web and "1.4G" in web and "running" in web
    golden = next(line for line in text.splitlines() if "fedora-golden" in line)
    assert " raw " in golden and " ro " in golden and "running" not in golden
    assert "Images on demo host (simulated)" in text


async def test_clone_with_its_dialog(opened: tuple[Pilot[None], DemoHost]) -> None:
    pilot, host = opened
    await select(pilot, "debian-base")
    await pilot.press("c")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ImagePrompt), "the clone dialog")
    assert "machinectl clone debian-base debian-base-copy" in screen_text(pilot.app)
    field = pilot.app.screen.query_one("#prompt-value", Input)
    field.value = ""
    await pilot.press(*"gold")
    pilot.app.screen.query_one("#prompt-check", Checkbox).value = True
    await pilot.pause()
    assert "machinectl --read-only clone debian-base gold" in screen_text(pilot.app)
    await pilot.press("enter")
    await wait_for(pilot, lambda: "gold" in table(pilot).images, "the clone in the table")
    assert table(pilot).images["gold"].read_only
    assert any("machinectl --read-only clone debian-base gold" in t for t in toast_texts(pilot))
    assert (await host.image("gold")).read_only


async def test_a_taken_or_bad_name_is_said_in_the_dialog(
    opened: tuple[Pilot[None], DemoHost],
) -> None:
    pilot, _host = opened
    await select(pilot, "debian-base")
    await pilot.press("n")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ImagePrompt), "the rename dialog")
    prompt = pilot.app.screen
    prompt.query_one("#prompt-value", Input).value = "web"
    await pilot.press("enter")
    assert isinstance(pilot.app.screen, ImagePrompt)
    message = prompt.query_one("#prompt-message")
    assert message.has_class("-error")
    assert "an image called web exists already" in screen_text(pilot.app)
    prompt.query_one("#prompt-value", Input).value = "bad_name"
    await pilot.press("enter")
    assert "'_' is not allowed" in screen_text(pilot.app)
    prompt.query_one("#prompt-value", Input).value = "base"
    await pilot.press("enter")
    await wait_for(pilot, lambda: "base" in table(pilot).images, "the renamed image")
    assert "debian-base" not in table(pilot).images
    assert any("machinectl rename debian-base base" in t for t in toast_texts(pilot))


async def test_remove_asks_naming_the_image_and_its_size(
    opened: tuple[Pilot[None], DemoHost],
) -> None:
    pilot, host = opened
    await select(pilot, "debian-base")
    await pilot.press("d")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ImageConfirm), "the confirmation")
    text = screen_text(pilot.app)
    assert "Remove this image?" in text
    assert "debian-base  directory image, 620M" in text
    assert "$ machinectl remove debian-base" in text
    await pilot.press("n")
    await pilot.pause(0.1)
    assert "debian-base" in table(pilot).images
    await pilot.press("d")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ImageConfirm), "the confirmation")
    await pilot.press("y")
    await wait_for(pilot, lambda: "debian-base" not in table(pilot).images, "the removal")
    assert "debian-base" not in {image.name for image in await host.list_images()}


async def test_an_image_in_use_is_refused_in_words(
    opened: tuple[Pilot[None], DemoHost],
) -> None:
    pilot, _host = opened
    await select(pilot, "web")
    await pilot.press("d")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ImageConfirm), "the confirmation")
    assert "its machine is running" in screen_text(pilot.app)
    await pilot.press("y")
    await wait_for(pilot, lambda: any("in use" in t for t in toast_texts(pilot)), "the refusal")
    assert "web" in table(pilot).images


async def test_read_only_toggle_says_its_command(opened: tuple[Pilot[None], DemoHost]) -> None:
    pilot, host = opened
    await select(pilot, "fedora-golden")
    await pilot.press("r")
    await wait_for(pilot, lambda: not table(pilot).images["fedora-golden"].read_only, "writable")
    assert any("machinectl read-only fedora-golden false" in t for t in toast_texts(pilot))
    assert not (await host.image("fedora-golden")).read_only


async def test_a_bad_limit_gets_an_inline_message(opened: tuple[Pilot[None], DemoHost]) -> None:
    pilot, host = opened
    await select(pilot, "arch-template")
    await pilot.press("l")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ImagePrompt), "the limit dialog")
    prompt = pilot.app.screen
    prompt.query_one("#prompt-value", Input).value = "lots"
    await pilot.press("enter")
    assert isinstance(pilot.app.screen, ImagePrompt)  # not sent, still asking
    assert prompt.query_one("#prompt-message").has_class("-error")
    assert "'lots' is not a size" in screen_text(pilot.app)
    prompt.query_one("#prompt-value", Input).value = "5G"
    await pilot.pause()
    assert "$ machinectl set-limit arch-template 5G" in screen_text(pilot.app)
    await pilot.press("enter")
    await wait_for(
        pilot, lambda: table(pilot).images["arch-template"].limit_bytes == 5 * 2**30, "5G"
    )
    assert (await host.image("arch-template")).limit_bytes == 5 * 2**30
    # a directory image: the host's refusal, in words
    await select(pilot, "debian-base")
    await pilot.press("l")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ImagePrompt), "the limit dialog")
    pilot.app.screen.query_one("#prompt-value", Input).value = "1G"
    await pilot.press("enter")
    await wait_for(
        pilot, lambda: any("btrfs subvolume" in t for t in toast_texts(pilot)), "the refusal"
    )


async def start_import(pilot: Pilot[None], path: Path, name: str) -> TransferPrompt:
    await pilot.press("i")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, TransferPrompt), "the dialog")
    prompt = pilot.app.screen
    assert isinstance(prompt, TransferPrompt)
    prompt.query_one("#transfer-path", Input).value = str(path)
    prompt.query_one("#transfer-name", Input).value = name
    await pilot.pause()
    return prompt


async def test_import_progress_to_the_end(
    opened: tuple[Pilot[None], DemoHost], tmp_path: Path
) -> None:
    pilot, host = opened
    source = tmp_path / "disk.raw"
    source.write_bytes(b"\0" * 400_000)
    host.transfer_rate = 200_000.0  # 2 s: a loaded machine still sees it running
    prompt = await start_import(pilot, source, "fresh")
    assert prompt.query_one("#transfer-kind", Select).value == "raw"  # guessed from the name
    assert prompt.command(prompt.request()) == f"machinectl import-raw {source} fresh"
    assert "$ machinectl import-raw" in screen_text(pilot.app)  # (the path wraps)
    await pilot.press("enter")
    screen = images_screen(pilot)
    bar = screen.query_one(TransferBar)
    await wait_for(pilot, lambda: bar.last is not None and not bar.last.finished, "progress")
    assert "import of" in screen_text(pilot.app) and "x cancels" in screen_text(pilot.app)
    await pilot.press("escape")  # does not close under a running transfer
    assert pilot.app.screen is screen
    await wait_for(pilot, lambda: "fresh" in table(pilot).images, "the new image", tries=300)
    assert bar.last is not None and bar.last.finished and bar.last.fraction == 1.0
    text = screen_text(pilot.app)
    assert "done: 100.0%" in text and "391K / 391K" in text
    assert (await host.image("fresh")).image_type == "raw"


async def test_cancel_a_transfer(opened: tuple[Pilot[None], DemoHost], tmp_path: Path) -> None:
    pilot, host = opened
    source = tmp_path / "root.tar"
    source.write_bytes(b"\0" * 1_000_000)
    host.transfer_rate = 100_000.0
    await start_import(pilot, source, "slow")
    await pilot.press("enter")
    bar = images_screen(pilot).query_one(TransferBar)
    await wait_for(pilot, lambda: bar.last is not None and bar.last.done_bytes > 0, "progress")
    await pilot.press("x")
    await wait_for(pilot, lambda: not bar.running, "the end of the transfer")
    assert "was cancelled" in screen_text(pilot.app)
    assert bar.has_class("-failed")
    assert "slow" not in {image.name for image in await host.list_images()}
    await pilot.press("escape")
    await wait_for(pilot, lambda: not isinstance(pilot.app.screen, ImagesScreen), "closed")


async def test_export_refuses_an_existing_file_in_the_dialog(
    opened: tuple[Pilot[None], DemoHost], tmp_path: Path
) -> None:
    pilot, _host = opened
    await select(pilot, "web")
    await pilot.press("e")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, TransferPrompt), "the dialog")
    prompt = pilot.app.screen
    existing = tmp_path / "keep.tar"
    existing.write_bytes(b"mine")
    prompt.query_one("#transfer-path", Input).value = str(existing)
    await pilot.press("enter")
    assert pilot.app.screen is prompt and isinstance(prompt, TransferPrompt)
    assert prompt.query_one("#transfer-message").has_class("-error")
    assert "exists already: choose a new file name" in str(prompt.problem(prompt.request()))
    assert "exists" in screen_text(pilot.app)  # (the path wraps)
    fresh = tmp_path / "web.tar"
    prompt.query_one("#transfer-path", Input).value = str(fresh)
    await pilot.pause()
    assert prompt.command(prompt.request()) == f"machinectl export-tar web {fresh}"
    assert "$ machinectl export-tar web" in screen_text(pilot.app)
    await pilot.press("enter")
    await wait_for(pilot, lambda: fresh.exists(), "the new file")
    assert existing.read_bytes() == b"mine"


@pytest.mark.parametrize("opened", [True], indirect=True)
@pytest.mark.parametrize(
    ("key", "method"),
    [("c", "clone_image"), ("n", "rename_image"), ("d", "remove_image"),
     ("r", "set_image_read_only"), ("l", "set_image_limit"), ("i", "import_image"),
     ("e", "export_image")],
)  # fmt: skip
async def test_read_only_refuses_at_once(
    opened: tuple[Pilot[None], DemoHost], key: str, method: str
) -> None:
    pilot, host = opened
    await select(pilot, "debian-base")
    pilot.app.clear_notifications()
    await pilot.press(key)
    shown = notifications(pilot.app)
    assert len(shown) == 1 and shown[0].title == "Read-only"
    refusal = host.refusal(method)
    assert refusal is not None and shown[0].message == str(refusal)
    await pilot.pause(0.1)
    assert isinstance(pilot.app.screen, ImagesScreen)  # no dialog
    assert Host.refusal(host, "list_images") is None  # control: reads are not refused


async def test_a_transfer_that_cannot_start_is_said_and_the_rest_works(
    opened: tuple[Pilot[None], DemoHost], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """importd missing from the bus: the screen says so; the image actions still work."""
    pilot, host = opened
    reason = "import of x: systemd-importd is not available on unix:path=/run/bus"

    async def missing(*args: object) -> object:
        raise HostError(reason)

    monkeypatch.setattr(host, "_do_import_image", missing)
    source = tmp_path / "a.tar"
    source.write_bytes(b"\0" * 1000)
    await start_import(pilot, source, "a")
    await pilot.press("enter")
    bar = images_screen(pilot).query_one(TransferBar)
    await wait_for(pilot, lambda: bar.has_class("-failed"), "the reason in the bar")
    assert "systemd-importd is not available" in screen_text(pilot.app)
    assert images_screen(pilot).transfer is None
    await select(pilot, "fedora-golden")
    await pilot.press("r")
    await wait_for(pilot, lambda: not table(pilot).images["fedora-golden"].read_only, "writable")
