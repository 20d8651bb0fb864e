"""The limits editor and the .nspawn settings editor, driven with Pilot in a tiny App."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.app import App, ComposeResult
from textual.screen import ModalScreen
from textual.widgets import Input, Static, TextArea

from nspawn_tui.screens.limits_editor import LimitsEditor, LimitsRequest, input_id, message_id
from nspawn_tui.screens.settings_editor import NEXT_BOOT_NOTICE, SettingsEditor
from nspawn_tui.units.limits import LIMIT_FIELDS

CURRENT = {
    "CPUQuota": "",
    "CPUWeight": "",
    "MemoryMax": "infinity",
    "MemoryHigh": "infinity",
    "MemorySwapMax": "infinity",
    "TasksMax": "4915",
    "IOWeight": "",
    "AllowedCPUs": "",
}
USAGE = {"CPUQuota": "CPU 12 %", "MemoryMax": "memory 180 MiB", "TasksMax": "tasks 14"}
NOT_DISMISSED = object()


class ModalHost(App[None]):
    """Pushes one modal screen and records what it was dismissed with."""

    def __init__(self, screen: ModalScreen[Any]) -> None:
        super().__init__()
        self.modal = screen
        self.result: object = NOT_DISMISSED

    def compose(self) -> ComposeResult:
        yield Static("host")

    def on_mount(self) -> None:
        self.push_screen(self.modal, self._record)

    def _record(self, result: object) -> None:
        self.result = result


def editor(machines: tuple[str, ...] = ("web",)) -> LimitsEditor:
    return LimitsEditor(machines, CURRENT, USAGE)


def focused_id(app: App[Any]) -> str | None:
    return app.focused.id if app.focused is not None else None


def field(app: ModalHost, name: str) -> Input:
    return app.modal.query_one(f"#{input_id(name)}", Input)


def text_of(widget: Static) -> str:
    return str(widget.render())


async def set_field(pilot: Any, app: ModalHost, name: str, text: str) -> None:
    field(app, name).value = text
    await pilot.pause()


async def test_opens_on_the_first_field_with_current_values_and_usage() -> None:
    app = ModalHost(editor())
    async with app.run_test(size=(110, 40)) as pilot:
        await pilot.pause()
        assert focused_id(app) == input_id("CPUQuota")
        assert field(app, "TasksMax").value == "4915"
        assert field(app, "MemoryMax").value == "infinity"
        labels = [text_of(label) for label in app.modal.query(".limit-usage").results(Static)]
        assert "memory 180 MiB" in labels
        assert "tasks 14" in labels
        assert "No changes yet" in text_of(app.modal.query_one("#limits-command", Static))
        assert app.result is NOT_DISMISSED


async def test_tab_goes_through_the_fields_in_order() -> None:
    app = ModalHost(editor())
    async with app.run_test(size=(110, 40)) as pilot:
        await pilot.pause()
        seen = [focused_id(app)]
        for _ in range(len(LIMIT_FIELDS) - 1 + 3):
            await pilot.press("tab")
            seen.append(focused_id(app))
        assert seen == [input_id(f.name) for f in LIMIT_FIELDS] + [
            "apply-runtime",
            "apply-persistent",
            "cancel",
        ]


async def test_invalid_value_shows_message_and_is_not_applied() -> None:
    app = ModalHost(editor())
    async with app.run_test(size=(110, 40)) as pilot:
        await pilot.pause()
        await pilot.press("tab", "tab")  # to MemoryMax
        assert focused_id(app) == input_id("MemoryMax")
        field(app, "MemoryMax").value = ""
        await pilot.press("1", "2", "X")
        message = app.modal.query_one(f"#{message_id('MemoryMax')}", Static)
        assert "'12X' is not a size" in text_of(message)
        assert message.has_class("-invalid")
        await pilot.press("enter")
        await pilot.press("ctrl+s")
        await pilot.click("#apply-runtime")
        await pilot.pause()
        assert app.result is NOT_DISMISSED
        assert "fix MemoryMax" in text_of(app.modal.query_one("#limits-status", Static))
        # fixing it clears the message and lets the request through
        await pilot.press("backspace", "M")
        assert not message.has_class("-invalid")
        await pilot.press("enter")
        await pilot.pause()
        assert app.result == LimitsRequest({"MemoryMax": "12M"}, runtime=True)


async def test_enter_applies_runtime_with_only_changed_fields() -> None:
    app = ModalHost(editor())
    async with app.run_test(size=(110, 40)) as pilot:
        await pilot.pause()
        await pilot.press("2", "0", "%")  # CPUQuota, focused first
        await set_field(pilot, app, "MemoryMax", "300M")
        command = text_of(app.modal.query_one("#limits-command", Static))
        assert (
            "systemctl set-property --runtime systemd-nspawn@web.service CPUQuota=20% MemoryMax=300M"
            in command
        )
        field(app, "CPUQuota").focus()
        await pilot.press("enter")
        await pilot.pause()
        assert app.result == LimitsRequest({"CPUQuota": "20%", "MemoryMax": "300M"}, runtime=True)


async def test_ctrl_s_applies_persistent() -> None:
    app = ModalHost(editor(("web", "db")))
    async with app.run_test(size=(110, 40)) as pilot:
        await pilot.pause()
        await set_field(pilot, app, "TasksMax", "")
        command = text_of(app.modal.query_one("#limits-command", Static))
        assert "systemctl set-property --runtime systemd-nspawn@web.service TasksMax=" in command
        assert "systemctl set-property --runtime systemd-nspawn@db.service TasksMax=" in command
        assert "ctrl+s: the same without --runtime" in command
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.result == LimitsRequest({"TasksMax": ""}, runtime=False)


async def test_persistent_button() -> None:
    app = ModalHost(editor())
    async with app.run_test(size=(110, 40)) as pilot:
        await pilot.pause()
        await set_field(pilot, app, "AllowedCPUs", "0-1")
        await pilot.click("#apply-persistent")
        await pilot.pause()
        assert app.result == LimitsRequest({"AllowedCPUs": "0-1"}, runtime=False)


async def test_nothing_changed_is_not_a_request() -> None:
    app = ModalHost(editor())
    async with app.run_test(size=(110, 40)) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert app.result is NOT_DISMISSED
        assert "Nothing changed" in text_of(app.modal.query_one("#limits-status", Static))


async def test_escape_cancels() -> None:
    app = ModalHost(editor())
    async with app.run_test(size=(110, 40)) as pilot:
        await pilot.pause()
        await pilot.press("5", "0", "%")
        await pilot.press("escape")
        await pilot.pause()
        assert app.result is None


# ------------------------------------------------------------ settings editor

TEXT = "# web\n[Exec]\nBoot=yes\n"


def settings_app() -> ModalHost:
    return ModalHost(SettingsEditor("web", Path("/etc/systemd/nspawn/web.nspawn"), TEXT))


async def test_settings_editor_saves_valid_text() -> None:
    app = settings_app()
    async with app.run_test(size=(110, 40)) as pilot:
        await pilot.pause()
        area = app.modal.query_one(TextArea)
        assert app.focused is area
        assert NEXT_BOOT_NOTICE in text_of(app.modal.query_one("#settings-notice", Static))
        area.text = TEXT + "\n[Network]\nZone=web\n"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.result == TEXT + "\n[Network]\nZone=web\n"


async def test_settings_editor_refuses_resource_section() -> None:
    app = settings_app()
    async with app.run_test(size=(110, 40)) as pilot:
        await pilot.pause()
        area = app.modal.query_one(TextArea)
        area.text = TEXT + "[Resource]\nMemoryMax=1G\n"
        await pilot.click("#save")
        await pilot.pause()
        assert app.result is NOT_DISMISSED
        errors = text_of(app.modal.query_one("#settings-errors", Static))
        assert "line 4: unknown section [Resource]" in errors
        assert "systemctl set-property" in errors
        await pilot.press("escape")
        await pilot.pause()
        assert app.result is None


async def test_settings_editor_unchanged_returns_none() -> None:
    app = settings_app()
    async with app.run_test(size=(110, 40)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.result is None
