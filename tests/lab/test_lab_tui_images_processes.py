"""The real TUI (Pilot) on the flat lab: images and processes as a user reaches them.

Images: a small tarball imported through real systemd-importd, then, on the
images screen (``i``), clone, rename, read-only and remove through the keys
and their dialogs; after each step what machined's ``ListImages`` returns
(asked with ``busctl``, not through the app) and the toast saying the
``machinectl`` equivalent.  Processes: ``P`` on the running ``ntl-alpha``
shows systemd as PID 1 inside (NSPID 1, the container's leader on the host)
and systemd-journald, on the screen and in the screen's data.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import labkit
import pytest
from labkit.importd import Importd
from labkit.pilot import STATE, cells, dashboard, describe, until
from screen_text import notifications, screen_lines, screen_text
from textual.pilot import Pilot
from textual.widgets import Input

from nspawn_tui.app import NspawnApp
from nspawn_tui.host.base import HostError
from nspawn_tui.host.machined.host import MachinedHost
from nspawn_tui.screens.dashboard import DashboardScreen
from nspawn_tui.screens.image_confirm import ImageConfirm
from nspawn_tui.screens.image_prompt import ImagePrompt
from nspawn_tui.screens.images import ImagesScreen
from nspawn_tui.screens.processes import ProcessesScreen
from nspawn_tui.widgets.image_table import ImageTable
from nspawn_tui.widgets.machine_table import MachineTable
from nspawn_tui.widgets.process_table import ProcessTableView

SIZE = (120, 40)
MACHINES = Path("/var/lib/machines")
BASE = "ntl-tui-img"
CLONE = "ntl-tui-img-copy2"  # not the dialog's suggestion: typed
MOVED = "ntl-tui-img-moved"
OURS = (BASE, CLONE, MOVED)
RUNNING = "ntl-alpha"
INIT_COMMANDS = ("/sbin/init", "/lib/systemd/systemd", "/usr/lib/systemd/systemd")
#: Seconds an action of the screen may take to show in machined and on the screen.
ACTION = 10.0


# ------------------------------------------------------------------ helpers


def list_images(lab: labkit.FlatLab) -> dict[str, bool]:
    """machined's ListImages, asked with busctl: image name -> read-only."""
    result = subprocess.run(
        ["busctl", "--json=short", "call", "org.freedesktop.machine1",
         "/org/freedesktop/machine1", "org.freedesktop.machine1.Manager", "ListImages"],
        env=lab.env, capture_output=True, text=True, timeout=15, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)["data"][0]  # (name, type, ro, crtime, mtime, usage, path)
    return {str(row[0]): bool(row[2]) for row in rows}


async def machined_images(lab: labkit.FlatLab) -> dict[str, bool]:
    return await asyncio.to_thread(list_images, lab)


async def remove_ours(host: MachinedHost) -> None:
    """RemoveImage of every image of this file (read-only ones made writable first)."""
    host._images_at = float("-inf")  # what machined says now, not the cached list
    for image in await host.list_images():
        if image.name not in OURS:
            continue
        try:
            if image.read_only:
                await host.set_image_read_only(image.name, False)
            await host.remove_image(image.name)
        except HostError:
            shutil.rmtree(MACHINES / image.name, ignore_errors=True)


def small_tar(base: Path) -> Path:
    """A small root-like tree as an uncompressed tar made with tar(1)."""
    tree = base / "tree"
    (tree / "etc").mkdir(parents=True)
    (tree / "etc" / "hostname").write_text("ntl-tui-img\n")
    (tree / "etc" / "os-release").write_text('NAME="Lab"\nPRETTY_NAME="Lab image"\nID=lab\n')
    (tree / "usr" / "lib").mkdir(parents=True)
    (tree / "usr" / "lib" / "blob").write_bytes(os.urandom(64 << 10))
    target = base / "small.tar"
    subprocess.run(["tar", "-C", str(tree), "-cf", str(target), "."], check=True)
    return target


def toasts(pilot: Pilot[None]) -> list[str]:
    return [n.message for n in notifications(pilot.app)]


async def toast_saying(pilot: Pilot[None], *texts: str) -> str:
    """The toast that holds every one of ``texts`` (waited for)."""

    def found() -> str | None:
        return next((t for t in toasts(pilot) if all(x in t for x in texts)), None)

    return await until(
        pilot, found, timeout=ACTION, what=f"a toast saying {texts}",
        details=lambda: "\n".join(toasts(pilot)) + "\n" + screen_text(pilot.app),
    )  # fmt: skip


async def machined_says(
    pilot: Pilot[None], lab: labkit.FlatLab, check: object, what: str
) -> dict[str, bool]:
    """Waits (letting the app run) until ``check(ListImages)`` holds; returns that listing."""
    listing: dict[str, bool] = {}

    async def poll() -> None:
        nonlocal listing
        listing = await machined_images(lab)

    def probe() -> dict[str, bool] | None:
        return listing if listing and check(listing) else None  # type: ignore[operator]

    deadline = asyncio.get_running_loop().time() + ACTION
    while True:
        await poll()
        if probe() is not None:
            return listing
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"machined never said: {what}\nListImages: {listing}")
        await pilot.pause(0.1)


def images_table(pilot: Pilot[None]) -> ImageTable:
    screen = pilot.app.screen
    assert isinstance(screen, ImagesScreen), type(screen)
    return screen.query_one(ImageTable)


async def image_cursor_to(pilot: Pilot[None], name: str) -> None:
    """Moves the images table's cursor to ``name`` with the arrow keys, as a user would."""
    table = await until(
        pilot,
        lambda: t if name in (t := images_table(pilot)).images else None,
        timeout=ACTION,
        what=f"{name} in the images table",
        details=lambda: screen_text(pilot.app),
    )
    for _ in range(table.row_count + 1):
        if table.cursor_name == name:
            return
        target = table.get_row_index(name)
        await pilot.press("down" if target > table.cursor_row else "up")
    raise AssertionError(f"the cursor never reached {name}\n{screen_text(pilot.app)}")


async def machine_cursor_to(pilot: Pilot[None], screen: DashboardScreen, name: str) -> None:
    """Moves the dashboard's cursor to machine ``name`` with the arrow keys."""
    table = screen.query_one(MachineTable)
    for _ in range(len(table.visible_names) + 1):
        if table.cursor_name == name:
            return
        names = table.visible_names
        current = names.index(table.cursor_name) if table.cursor_name in names else -1
        await pilot.press("down" if names.index(name) > current else "up")
    raise AssertionError(f"the cursor never reached {name}\n{describe(screen)}")


async def answer_prompt(pilot: Pilot[None], new: str, command: str) -> None:
    """Types ``new`` over the dialog's suggestion (selected on focus) and presses Enter."""
    prompt = await until(
        pilot,
        lambda: s if isinstance(s := pilot.app.screen, ImagePrompt) else None,
        timeout=5,
        what="the dialog",
    )
    await pilot.pause()
    await pilot.press(*new)
    assert prompt.query_one("#prompt-value", Input).value == new
    await pilot.pause()
    assert f"$ {command}" in screen_text(pilot.app)  # the command it equals, before Enter
    await pilot.press("enter")
    await until(
        pilot,
        lambda: True if isinstance(pilot.app.screen, ImagesScreen) else None,
        timeout=5,
        what="the dialog to close",
    )


# ----------------------------------------------------------------- fixtures


@pytest.fixture
def importd(flat_lab: labkit.FlatLab) -> Iterator[Importd]:
    daemon = Importd(flat_lab)
    try:
        yield daemon
    finally:
        daemon.stop()  # the lab's other tests expect no importd unless they start one


@pytest.fixture
async def other(flat_lab: labkit.FlatLab) -> AsyncIterator[MachinedHost]:
    """A second connection to the lab's machined: setup and cleanup, not the app's."""
    host = MachinedHost(flat_lab.bus_address)
    await host.connect()
    try:
        await remove_ours(host)  # a crashed run's leftovers
        yield host
    finally:
        try:
            await remove_ours(host)
        finally:
            await host.close()
            for name in OURS:
                shutil.rmtree(MACHINES / name, ignore_errors=True)


# -------------------------------------------------------------------- tests


async def test_images_clone_rename_read_only_remove_through_the_screen(
    flat_lab: labkit.FlatLab, importd: Importd, other: MachinedHost, tmp_path: Path
) -> None:
    importd.ensure()
    transfer = await other.import_image(str(small_tar(tmp_path)), BASE, "tar")
    readings = [progress async for progress in transfer.updates()]
    assert readings and readings[-1].finished
    before = await machined_images(flat_lab)
    assert before.get(BASE) is False and CLONE not in before and MOVED not in before, before

    app = NspawnApp(MachinedHost(flat_lab.bus_address), interval=0.5)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await dashboard(pilot)
        await pilot.press("i")
        await until(
            pilot,
            lambda: (
                True if isinstance(s := app.screen, ImagesScreen) and s.refreshes >= 1 else None
            ),
            timeout=ACTION,
            what="the images screen's first read",
        )
        await image_cursor_to(pilot, BASE)
        assert f"{BASE}: {MACHINES / BASE}" in screen_text(app)  # the detail line

        # clone: c, the new name typed over the suggestion, Enter
        await pilot.press("c")
        await answer_prompt(pilot, CLONE, f"machinectl clone {BASE} {CLONE}")
        listed = await machined_says(
            pilot, flat_lab, lambda images: CLONE in images, f"{CLONE} listed"
        )
        assert listed[CLONE] is False and listed[BASE] is False, listed
        await toast_saying(
            pilot, f"Cloned {BASE} to {CLONE}.", f"$ machinectl clone {BASE} {CLONE}"
        )
        assert (MACHINES / CLONE / "etc" / "hostname").read_text() == "ntl-tui-img\n"

        # rename the clone: n, the new name, Enter
        await image_cursor_to(pilot, CLONE)
        await pilot.press("n")
        await answer_prompt(pilot, MOVED, f"machinectl rename {CLONE} {MOVED}")
        listed = await machined_says(
            pilot, flat_lab, lambda images: MOVED in images and CLONE not in images,
            f"{CLONE} renamed to {MOVED}",
        )  # fmt: skip
        assert BASE in listed, listed
        await toast_saying(
            pilot, f"Renamed {CLONE} to {MOVED}.", f"$ machinectl rename {CLONE} {MOVED}"
        )

        # read-only: r, no dialog
        await image_cursor_to(pilot, MOVED)
        await pilot.press("r")
        listed = await machined_says(
            pilot, flat_lab, lambda images: images.get(MOVED) is True, f"{MOVED} read-only"
        )
        assert listed[BASE] is False, listed  # only the one under the cursor
        await toast_saying(
            pilot, f"Marked {MOVED} read-only.", f"$ machinectl read-only {MOVED} true"
        )
        await until(
            pilot,
            lambda: True if images_table(pilot).images[MOVED].read_only else None,
            timeout=ACTION,
            what=f"{MOVED} shown read-only",
        )
        line = next(line for line in screen_lines(app) if f"{MOVED} " in line)
        assert re.search(rf"{MOVED}\s+\S+\s+ro\s", line), line

        # remove: d, the confirmation naming it (read-only), y
        await image_cursor_to(pilot, MOVED)
        await pilot.press("d")
        await until(
            pilot,
            lambda: True if isinstance(app.screen, ImageConfirm) else None,
            timeout=5,
            what="the confirmation",
        )
        text = screen_text(app)
        assert "Remove this image?" in text and f"$ machinectl remove {MOVED}" in text, text
        assert re.search(rf"• {MOVED}  (directory|subvolume) image, .+, read-only", text), text
        assert MOVED in await machined_images(flat_lab)  # nothing is removed before y
        await pilot.press("y")
        listed = await machined_says(
            pilot, flat_lab, lambda images: MOVED not in images, f"{MOVED} removed"
        )
        assert BASE in listed and CLONE not in listed, listed
        await toast_saying(pilot, f"Removed {MOVED}.", f"$ machinectl remove {MOVED}")
        await until(
            pilot,
            lambda: True if MOVED not in images_table(pilot).images else None,
            timeout=ACTION,
            what=f"{MOVED} gone from the table",
        )
        assert not any("failed" in t.lower() for t in toasts(pilot)), toasts(pilot)
    assert not (MACHINES / MOVED).exists() and not (MACHINES / CLONE).exists()


async def test_processes_of_a_running_container_through_the_screen(
    flat_lab: labkit.FlatLab,
) -> None:
    leader = flat_lab.containers[RUNNING].leader
    app = NspawnApp(MachinedHost(flat_lab.bus_address), interval=0.5)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await dashboard(pilot)
        await until(
            pilot,
            lambda: True if (row := cells(screen, RUNNING)) and row[STATE] == "running" else None,
            timeout=5,
            what=f"{RUNNING} listed as running",
            details=lambda: describe(screen),
        )
        await machine_cursor_to(pilot, screen, RUNNING)
        await pilot.press("P")
        processes = await until(
            pilot,
            lambda: (
                s if isinstance(s := app.screen, ProcessesScreen) and s.table is not None else None
            ),
            timeout=ACTION,
            what="the processes screen's first read",
            details=lambda: screen_text(app),
        )
        assert processes.machine == RUNNING
        assert processes.error == "", processes.error
        await pilot.pause()

        # the data: PID 1 inside is systemd, the container's leader on the host
        rows = [r for r in processes.query_one(ProcessTableView).shown_rows if r.pid is not None]
        init = [r for r in rows if r.cells[1] == "1"]
        assert len(init) == 1, [r.cells for r in rows]
        assert init[0].pid == leader, init[0]
        assert init[0].command.split()[0] in INIT_COMMANDS, init[0].command
        journald = [r for r in rows if "systemd-journald" in r.command]
        assert journald, [r.command for r in rows]
        assert journald[0].cells[1] not in ("1", str(journald[0].pid)), journald[0].cells

        # the screen: what a person reads
        lines = screen_lines(app)
        text = "\n".join(lines)
        assert f"Processes of {RUNNING}" in text, text
        assert f"systemd-nspawn@{RUNNING}.service" in text, text
        header = next((line for line in lines if "NSPID" in line), None)
        assert header is not None and header.index("PID") < header.index("NSPID"), text
        shown_init = [
            line
            for line in lines
            if re.match(rf"^\W*{leader}\s+1\s+root\s", line)
            and any(command in line for command in INIT_COMMANDS)
        ]
        assert shown_init, text
        shown_journald = [
            line
            for line in lines
            if "systemd-journald" in line
            and (m := re.match(r"^\W*(\d+)\s+(\d+)\s", line))
            and m.group(1) != m.group(2)
        ]
        assert shown_journald, text
        await pilot.press("escape")
        await until(
            pilot,
            lambda: True if isinstance(app.screen, DashboardScreen) else None,
            timeout=5,
            what="back on the dashboard",
        )
