"""The palette's "Create a container…": opens the form as ``n`` does; refused when read-only."""

from __future__ import annotations

from create_kit import CreateHost
from screen_text import notifications, screen_text
from test_palette_machines import ready, type_in_palette, until

from nspawn_tui.app import NspawnApp
from nspawn_tui.screens.create_form import CreateForm


async def test_create_a_container_opens_the_form() -> None:
    app = NspawnApp(CreateHost(), interval=0.5)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await ready(pilot)
        assert await type_in_palette(pilot, "create container") == "Create a container…"
        assert "key n · bootstrap (debootstrap, pacstrap, dnf) or clone" in screen_text(app)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, CreateForm), "the create form")
        assert not notifications(app)


async def test_create_a_container_is_refused_on_a_read_only_host() -> None:
    host = CreateHost(read_only=True)
    app = NspawnApp(host, interval=0.5)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        screen = await ready(pilot)
        assert await type_in_palette(pilot, "create") == "Create a container…"
        await pilot.press("enter")
        await until(pilot, lambda: notifications(app), "the refusal")
        (shown,) = notifications(app)
        assert shown.title == "Read-only"
        assert shown.message.startswith("create a container refused")
        await pilot.pause(0.1)
        assert app.screen is screen and host.plans == []
