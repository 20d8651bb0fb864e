"""The images screen (``i``): every image, its actions, and imports and exports.

The table lists what the host's ``list_images`` gives (machined's
ListImages: directories, subvolumes, raw and block images) with the limit
of each from ``Host.image`` (read again after an action, else every
:data:`DETAIL_TTL` seconds) and whether a machine of that name runs.  It is
refreshed every ``interval`` seconds by one worker: a refresh starts only
after the previous one is drawn.

Actions go through the Host, which refuses them on a read-only host; the
screen asks ``Host.refusal`` first and says so at once, before any dialog.
Each says the ``machinectl`` command it equals, in its dialog or its toast.
One transfer (import or export) runs at a time, drawn by a
:class:`~nspawn_tui.widgets.transfer_bar.TransferBar`; ``x`` cancels it,
and the screen does not close under it.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import tzinfo
from typing import Final

from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Static

from nspawn_tui.host.base import Host, HostError, Image, NoSuchMachine
from nspawn_tui.host.images import Transfer
from nspawn_tui.images.names import (
    ImageNameError,
    format_image_limit,
    name_problem,
    parse_image_limit,
)
from nspawn_tui.images.progress import progress_line
from nspawn_tui.screens.confirm import asks
from nspawn_tui.screens.image_confirm import ImageConfirm
from nspawn_tui.screens.image_prompt import ImageAnswer, ImagePrompt
from nspawn_tui.screens.image_transfer_prompt import TransferPrompt, TransferRequest
from nspawn_tui.screens.span_compositor import use_span_compositor
from nspawn_tui.units.names import machinectl
from nspawn_tui.view.formatting import format_bytes
from nspawn_tui.widgets.image_table import ImageTable
from nspawn_tui.widgets.safe_text import notify_plain, plain
from nspawn_tui.widgets.transfer_bar import TransferBar

#: Seconds an image's limit (one ``Host.image`` call each) is trusted.
DETAIL_TTL: Final = 30.0
#: The Host method each action of this screen calls (for ``Host.refusal``).
HOST_METHODS: Final = {
    "clone": "clone_image",
    "rename": "rename_image",
    "remove": "remove_image",
    "read_only": "set_image_read_only",
    "limit": "set_image_limit",
    "import": "import_image",
    "export": "export_image",
}


def limit_problem(text: str) -> str | None:
    try:
        parse_image_limit(text)
    except ImageNameError as error:
        return error.message
    return None


class ImagesScreen(Screen[None]):
    BINDINGS = [
        Binding("escape,q", "close", "Close", id="images.close"),
        Binding("c", "clone", "Clone", tooltip="machinectl clone", id="images.clone"),
        Binding("n", "rename", "Rename", tooltip="machinectl rename", id="images.rename"),
        Binding("d,delete", "remove", "Remove", tooltip="machinectl remove", id="images.remove"),
        Binding(
            "r", "read_only", "Read-only", tooltip="machinectl read-only", id="images.read_only"
        ),
        Binding("l", "limit", "Limit", tooltip="machinectl set-limit", id="images.limit"),
        Binding(
            "i", "import", "Import", tooltip="machinectl import-tar/raw/fs", id="images.import"
        ),
        Binding("e", "export", "Export", tooltip="machinectl export-tar/raw", id="images.export"),
        Binding("x", "cancel_transfer", "Cancel transfer", id="images.cancel_transfer"),
        Binding("f5,R", "refresh", "Refresh", show=False, id="images.refresh"),
    ]
    DEFAULT_CSS = """
    ImagesScreen { layout: vertical; }
    ImagesScreen #images-title { height: 1; padding: 0 1; text-style: bold; }
    ImagesScreen #images-detail { height: 1; padding: 0 1; color: $text-muted; }
    ImagesScreen #images-status { height: 1; padding: 0 1; color: $text-muted; }
    ImagesScreen #images-status.-error { color: $error; }
    """

    def __init__(self, host: Host, interval: float = 1.0, *, tz: tzinfo | None = None) -> None:
        super().__init__()
        use_span_compositor(self)
        self.host = host
        self.interval = interval
        self.tz = tz
        self.refreshes = 0
        self.transfer: Transfer | None = None
        self._starting = False
        self._wake = asyncio.Event()
        self._details: dict[str, tuple[float, Image]] = {}
        self._live: set[str] = set()

    def compose(self) -> ComposeResult:
        yield Static("Images", id="images-title")
        yield ImageTable(id="images-table")
        yield Static("", id="images-detail")
        yield TransferBar(id="images-transfer")
        yield Static("reading the images…", id="images-status")
        yield Footer(show_command_palette=False)  # ctrl+p is in the help (?)

    def on_mount(self) -> None:
        self.query_one(ImageTable).focus()
        self._poll_loop()

    @property
    def table(self) -> ImageTable:
        return self.query_one(ImageTable)

    # ------------------------------------------------------------ refresh

    @work(exclusive=True, group="images-poll")
    async def _poll_loop(self) -> None:
        """One refresh at a time, the next one ``interval`` after this one is drawn."""
        loop = asyncio.get_running_loop()
        while True:
            await self._refresh()
            self._wake.clear()
            timer = loop.call_later(self.interval, self._wake.set)
            try:
                await self._wake.wait()
            finally:
                timer.cancel()

    async def _refresh(self) -> None:
        try:
            listed = await self.host.list_images()
            machines = await self.host.list_machines()
            images = [await self._detailed(image) for image in listed]
        except HostError as exc:
            self._status(f"the images could not be read: {exc}", error=True)
            return
        if not self.is_mounted or not all(
            self.query(selector) for selector in (ImageTable, "#images-title", "#images-detail")
        ):
            return  # closed while the host answered (its widgets go one by one): nothing to draw
        self._live = {m.name for m in machines if m.running}
        self.table.set_images(images, self._live, self.tz)
        total = sum(image.usage_bytes or 0 for image in images)
        running = sum(1 for image in images if image.name in self._live)
        self.query_one("#images-title", Static).update(
            plain(f"Images on {self.host.description}: {len(images)}, {format_bytes(total)}")
        )
        self._status(f"{len(images)} images, {running} with a running machine")
        self._show_detail()
        self.refreshes += 1

    async def _detailed(self, image: Image) -> Image:
        """``image`` with its limit (asked of the host at most every DETAIL_TTL seconds)."""
        now = time.monotonic()
        known = self._details.get(image.name)
        if known is None or now - known[0] > DETAIL_TTL:
            try:
                detail = await self.host.image(image.name)
            except NoSuchMachine:
                return image  # removed since it was listed: the next refresh drops it
            known = (now, detail)
            self._details[image.name] = known
        return replace(image, limit_bytes=known[1].limit_bytes)

    def _changed(self) -> None:
        """An action changed the images: read them (and their limits) again now."""
        self._details.clear()
        self._wake.set()

    def _status(self, text: str, *, error: bool = False) -> None:
        for status in self.query("#images-status").results(Static):  # none once closed
            status.update(plain(text))
            status.set_class(error, "-error")

    def _show_detail(self) -> None:
        image = self.table.cursor_image
        text = "" if image is None else f"{image.name}: {image.path or 'path unknown'}"
        self.query_one("#images-detail", Static).update(plain(text))

    def on_data_table_row_highlighted(self) -> None:
        self._show_detail()

    def action_refresh(self) -> None:
        self._changed()

    # ---------------------------------------------------------- read-only

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        method = HOST_METHODS.get(action)
        if method is not None and self.host.refusal(method) is not None:
            return None  # shown disabled; on_key says why when it is pressed
        return True

    def on_key(self, event: events.Key) -> None:
        """A key of a disabled action (read-only host): say so at once, before any dialog."""
        bound = self.active_bindings.get(event.key)
        if bound is None or bound.node is not self or bound.enabled:
            return
        if self._refused(bound.binding.action):
            event.stop()
            event.prevent_default()

    def _refused(self, action: str) -> bool:
        method = HOST_METHODS.get(action)
        refusal = None if method is None else self.host.refusal(method)
        if refusal is None:
            return False
        notify_plain(self, refusal, title="Read-only", severity="warning")
        return True

    def _selected(self) -> Image | None:
        image = self.table.cursor_image
        if image is None:
            self.notify("No image is selected.", severity="warning")
        return image

    # ------------------------------------------------------------ actions

    @work(group="image-action")
    async def _act(self, call: Callable[[], Awaitable[None]], done: str, command: str) -> None:
        try:
            await call()
        except HostError as exc:
            notify_plain(self, exc, title="Image action failed", severity="error", timeout=10)
        else:
            notify_plain(self, f"{done}\n$ {command}", title="Images")
        finally:
            self._changed()

    def _taken(self, name: str) -> str | None:
        problem = name_problem(name)
        if problem is None and name in self.table.images:
            return f"an image called {name} exists already"
        return problem

    def action_clone(self) -> None:
        if self._refused("clone"):
            return
        image = self._selected()
        if image is None:
            return
        name = image.name

        def command(new: str, read_only: bool) -> str:
            return machinectl("clone", name, new, options=["--read-only"] if read_only else [])

        def answered(answer: ImageAnswer | None) -> None:
            if answer is None:
                return
            new, read_only = answer.value, answer.checked
            self._act(
                lambda: self.host.clone_image(name, new, read_only),
                f"Cloned {name} to {new}{' (read-only)' if read_only else ''}.",
                command(new, read_only),
            )

        prompt = ImagePrompt(
            f"Clone {name} ({format_bytes(image.usage_bytes)}) as the new image:",
            self._free_name(f"{name}-copy"),
            check=self._taken, command=command, checkbox="read-only copy", action="Clone",
        )  # fmt: skip
        self.app.push_screen(prompt, answered)

    def _free_name(self, base: str) -> str:
        candidate, n = base, 2
        while candidate in self.table.images:
            candidate, n = f"{base}{n}", n + 1
        return candidate

    def action_rename(self) -> None:
        if self._refused("rename"):
            return
        image = self._selected()
        if image is None:
            return
        name = image.name

        def answered(answer: ImageAnswer | None) -> None:
            if answer is None or answer.value == name:
                return
            new = answer.value
            self._act(
                lambda: self.host.rename_image(name, new),
                f"Renamed {name} to {new}.",
                machinectl("rename", name, new),
            )

        prompt = ImagePrompt(
            f"Rename {name} to:", name, check=self._taken,
            command=lambda new, _: machinectl("rename", name, new), action="Rename",
        )  # fmt: skip
        self.app.push_screen(prompt, answered)

    def action_remove(self) -> None:
        if self._refused("remove"):
            return
        image = self._selected()
        if image is None:
            return
        name = image.name
        command = machinectl("remove", name)
        detail = f"{image.image_type or '?'} image, {format_bytes(image.usage_bytes)}"
        if image.read_only:
            detail += ", read-only"
        if name in self._live:
            detail += ", its machine is running"

        def answered(yes: bool | None) -> None:
            if yes:
                self._act(lambda: self.host.remove_image(name), f"Removed {name}.", command)

        if not asks(self.app, "images"):  # [confirm] images = false
            answered(True)
            return
        self.app.push_screen(ImageConfirm("Remove", name, detail, command), answered)

    def action_read_only(self) -> None:
        if self._refused("read_only"):
            return
        image = self._selected()
        if image is None:
            return
        name, read_only = image.name, not image.read_only
        self._act(
            lambda: self.host.set_image_read_only(name, read_only),
            f"Marked {name} {'read-only' if read_only else 'writable'}.",
            machinectl("read-only", name, "true" if read_only else "false"),
        )

    def action_limit(self) -> None:
        if self._refused("limit"):
            return
        image = self._selected()
        if image is None:
            return
        name = image.name

        def answered(answer: ImageAnswer | None) -> None:
            if answer is None:
                return
            limit = parse_image_limit(answer.value)  # checked by the prompt
            shown = format_image_limit(limit)
            self._act(
                lambda: self.host.set_image_limit(name, limit),
                f"Size limit of {name}: {shown}.",
                machinectl("set-limit", name, shown),
            )

        prompt = ImagePrompt(
            f"Size limit of {name} (btrfs subvolume images; K, M, G, T; 'none' removes it):",
            format_image_limit(image.limit_bytes), check=limit_problem,
            command=lambda text, _: machinectl("set-limit", name, text), action="Set limit",
        )  # fmt: skip
        self.app.push_screen(prompt, answered)

    # ---------------------------------------------------------- transfers

    def _transfer_busy(self) -> bool:
        if self.transfer is None and not self._starting:
            return False
        self.notify("A transfer is running: x cancels it.", severity="warning")
        return True

    def action_import(self) -> None:
        if self._refused("import") or self._transfer_busy():
            return

        def answered(request: TransferRequest | None) -> None:
            if request is None:
                return
            self._run_transfer(
                lambda: self.host.import_image(
                    request.path,
                    request.name,
                    request.kind,
                    read_only=request.read_only,
                    force=request.force,
                )  # fmt: skip
            )

        self.app.push_screen(TransferPrompt(), answered)

    def action_export(self) -> None:
        if self._refused("export") or self._transfer_busy():
            return
        image = self._selected()
        if image is None:
            return
        name = image.name

        def answered(request: TransferRequest | None) -> None:
            if request is not None:
                self._run_transfer(lambda: self.host.export_image(name, request.path, request.kind))

        default = os.path.join(os.getcwd(), f"{name}.tar")
        self.app.push_screen(TransferPrompt(image=name, path=default), answered)

    @work(group="transfer")
    async def _run_transfer(self, start: Callable[[], Awaitable[Transfer]]) -> None:
        bar = self.query_one(TransferBar)
        self._starting = True
        try:
            transfer = await start()
        except HostError as exc:
            bar.end("The transfer did not start", str(exc), failed=True)
            notify_plain(self, exc, title="Transfer", severity="error", timeout=10)
            return
        finally:
            self._starting = False
        self.transfer = transfer
        bar.begin(transfer.description)
        try:
            async for progress in transfer.updates():
                bar.show(progress)
        except HostError as exc:
            bar.end(transfer.description, str(exc), failed=True)
            notify_plain(self, exc, title="Transfer", severity="error", timeout=10)
        else:
            figures = "" if bar.last is None else progress_line(bar.last, format_bytes)
            message = f" ({bar.last.message})" if bar.last and bar.last.message else ""
            bar.end(transfer.description, f"done: {figures}{message}", failed=False)
            notify_plain(self, f"{transfer.description}: done{message}", title="Transfer")
        finally:
            self.transfer = None
            self._changed()

    def action_cancel_transfer(self) -> None:
        transfer = self.transfer
        if transfer is None:
            self.notify("No transfer is running.")
            return
        self._cancel(transfer)

    @work(group="transfer-cancel")
    async def _cancel(self, transfer: Transfer) -> None:
        try:
            await transfer.cancel()
        except HostError as exc:
            notify_plain(self, exc, title="Cancel", severity="error")

    def action_close(self) -> None:
        if self._transfer_busy():
            return
        self.dismiss(None)
