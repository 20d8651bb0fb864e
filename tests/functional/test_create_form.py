"""The create form (``n``): live checks under the fields, previews, read-only, Create.

The host is the frozen demo host with a fixed ``create_support`` and a
scripted creation (create_kit.py): nothing here depends on a simulation's
timing.  Messages are read from the widgets under each field and from the
drawn frame.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from create_kit import SUPPORT, CreateHost, fake_hash
from pilot_waits import dashboard_polled
from screen_text import notifications, screen_text
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Button, Input, Select, Static

from nspawn_tui.app import NspawnApp
from nspawn_tui.create.model import Bootstrapper, CreateSupport
from nspawn_tui.create.repos import ForeignRepos
from nspawn_tui.screens.create_form import CreateForm
from nspawn_tui.screens.create_progress import CreateProgressScreen


class FormApp(App[None]):
    def __init__(self, host: CreateHost, support: CreateSupport | None = SUPPORT) -> None:
        super().__init__()
        self.host = host
        self.support = support

    def on_mount(self) -> None:
        self.push_screen(CreateForm(self.host, self.support, hasher=fake_hash))


async def form_of(pilot: Pilot[Any]) -> CreateForm:
    for _ in range(50):
        await pilot.pause(0.02)
        screen = pilot.app.screen
        if isinstance(screen, CreateForm) and screen.support is not None:
            return screen
    raise AssertionError("the form never opened")


async def type_into(pilot: Pilot[Any], form: CreateForm, key: str, text: str) -> None:
    box = form.query_one(f"#f-{key}", Input)
    box.focus()
    box.value = ""
    await pilot.press(*text) if text.isascii() and len(text) < 30 else None
    if box.value != text:  # long or non-ASCII texts: set as a paste would
        box.value = text
    await pilot.pause()


def message(form: CreateForm, key: str) -> str:
    widget = form.query_one(f"#m-{key}", Static)
    return str(widget.render()) if widget.display else ""


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("web", "a machine or image called web exists already"),
        (".host", "'.host' is the host itself"),
        ("bad name", "U+0020 is not allowed"),
        ("-web", "cannot start or end with '-'"),
        ("a..b", "'..'"),
        ("x" * 65, "at most 64"),
        ("web1", ""),
    ],
)
async def test_the_name_is_checked_as_it_is_typed(name: str, expected: str) -> None:
    async with FormApp(CreateHost()).run_test(size=(120, 40)) as pilot:
        form = await form_of(pilot)
        assert message(form, "name") == ""  # nothing said before anything is typed
        await type_into(pilot, form, "name", name)
        shown = message(form, "name")
        if expected:
            assert expected in shown
            assert expected.split("'")[0] in screen_text(pilot.app)
        else:
            assert shown == ""
            assert "web1" in str(form.query_one("#p-tree", Static).render())


async def test_the_preview_follows_the_fields() -> None:
    async with FormApp(CreateHost()).run_test(size=(120, 40)) as pilot:
        form = await form_of(pilot)
        tree = form.query_one("#p-tree", Static)
        assert str(tree.render()) == (
            "$ debootstrap --variant=minbase --include=systemd,dbus,systemd-sysv bookworm "
            "/var/lib/machines/NAME http://deb.debian.org/debian"
        )
        await type_into(pilot, form, "name", "web1")
        await type_into(pilot, form, "packages", "vim, curl")
        assert (
            "--include=systemd,dbus,systemd-sysv,vim,curl bookworm /var/lib/machines/web1"
            in str(tree.render())
        )
        assert "always included: systemd, dbus, systemd-sysv" in screen_text(pilot.app)
        # Ubuntu: the release follows (it was the default), the Debian mirror goes
        form.query_one("#f-distro", Select).value = "ubuntu"
        await pilot.pause()
        assert form.query_one("#f-release", Input).value == "noble"
        assert form.query_one("#f-mirror", Input).value == ""
        assert str(tree.render()).endswith("noble /var/lib/machines/web1")
        await type_into(pilot, form, "ports", "tcp:8080:80, 2222:22")
        settings = str(form.query_one("#p-settings", Static).render())
        assert "VirtualEthernet=yes Port=tcp:8080:80 Port=tcp:2222:22" in settings


async def test_an_unavailable_bootstrapper_names_its_package() -> None:
    async with FormApp(CreateHost()).run_test(size=(120, 40)) as pilot:
        form = await form_of(pilot)
        select = form.query_one("#f-distro", Select)
        labels = [str(option[0]) for option in select._options]
        assert "Arch Linux (unavailable: install arch-install-scripts)" in labels
        assert "Debian" in labels
        select.value = "arch"
        await pilot.pause()
        assert message(form, "distro") == (
            "pacstrap is not installed: apt-get install arch-install-scripts"
        )
        assert not form.query_one("#row-release").display  # arch has no release
        await type_into(pilot, form, "name", "arch1")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(pilot.app.screen, CreateForm)
        assert form.host.plans == []  # type: ignore[attr-defined]


async def test_the_passwords_must_match_and_are_never_shown() -> None:
    host = CreateHost()
    async with FormApp(host).run_test(size=(120, 40), notifications=True) as pilot:
        form = await form_of(pilot)
        await type_into(pilot, form, "name", "web1")
        await type_into(pilot, form, "password", "s3cret")
        await type_into(pilot, form, "password_again", "s3cre")
        assert message(form, "password_again") == "the passwords differ"
        text = screen_text(pilot.app)
        assert "s3cre" not in text and "••••••" in text
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert host.plans == []
        shown = notifications(pilot.app)
        assert shown and "the passwords differ" in shown[-1].message
        assert pilot.app.focused is form.query_one("#f-password_again", Input)
        await type_into(pilot, form, "password_again", "s3cret")
        assert message(form, "password_again") == ""
        assert "--root-password-hashed='$6$...'" in str(
            form.query_one("#p-firstboot", Static).render()
        )


async def test_a_missing_bind_path_is_said_under_the_field(tmp_path: Path) -> None:
    async with FormApp(CreateHost()).run_test(size=(120, 40)) as pilot:
        form = await form_of(pilot)
        missing = tmp_path / "nothing-here"
        await type_into(pilot, form, "binds_ro", f"{tmp_path}, {missing}:/data")
        assert message(form, "binds_ro") == f"{missing} does not exist on the host"
        missing.mkdir()
        await type_into(pilot, form, "binds_ro", f"{tmp_path}, {missing}:/data")
        assert message(form, "binds_ro") == ""
        await type_into(pilot, form, "binds", "relative/path")
        assert "must be absolute" in message(form, "binds")


async def test_create_sends_the_plan_with_the_hash_only(tmp_path: Path) -> None:
    host = CreateHost()
    key = tmp_path / "id.pub"
    key.write_text("# a comment\nssh-ed25519 AAAAC3Nza test@example\n")
    async with FormApp(host).run_test(size=(120, 40), notifications=True) as pilot:
        form = await form_of(pilot)
        await type_into(pilot, form, "name", "web1")
        await type_into(pilot, form, "password", "s3cret")
        await type_into(pilot, form, "password_again", "s3cret")
        await type_into(pilot, form, "ssh_key", str(key))
        await type_into(pilot, form, "timezone", "Europe/Berlin")
        await type_into(pilot, form, "ports", "2222:22")
        form.query_one("#f-enable").value = True  # type: ignore[attr-defined]
        await pilot.pause()
        form.query_one("#create-start", Button).press()
        for _ in range(50):
            await pilot.pause(0.02)
            if isinstance(pilot.app.screen, CreateProgressScreen):
                break
        assert isinstance(pilot.app.screen, CreateProgressScreen)
        (plan,) = host.plans
        assert plan.name == "web1" and plan.distro == "debian" and plan.release == "bookworm"
        assert plan.variant == "minbase" and plan.enable and not plan.start
        assert plan.mirror == "http://deb.debian.org/debian"
        assert plan.firstboot.hostname == "web1"
        assert plan.firstboot.root_password_hash == fake_hash("")
        assert plan.firstboot.root_ssh_key == "ssh-ed25519 AAAAC3Nza test@example"
        assert plan.firstboot.timezone == "Europe/Berlin"
        assert [(p.host_port, p.container_port) for p in plan.nspawn.ports] == [(2222, 22)]
        assert "s3cret" not in repr(plan)


async def test_a_refusal_is_said_and_create_is_disabled() -> None:
    support = CreateSupport((), refusal="creating containers is not supported on a remote host")
    async with FormApp(CreateHost(), support).run_test(size=(120, 40)) as pilot:
        await form_of(pilot)
        assert "Creating containers is not possible here: creating containers is not supported " \
            "on a remote host" in screen_text(pilot.app)  # fmt: skip
        assert pilot.app.screen.query_one("#create-start", Button).disabled


async def test_enter_goes_to_the_next_field_and_never_creates() -> None:
    host = CreateHost()
    async with FormApp(host).run_test(size=(120, 40)) as pilot:
        form = await form_of(pilot)
        await type_into(pilot, form, "name", "web1")  # a complete form from here on
        await pilot.press("enter")
        await pilot.pause()
        assert pilot.app.focused is form.query_one("#f-release", Input)
        await pilot.press("enter", "enter")
        await pilot.pause(0.1)
        assert host.plans == [] and pilot.app.screen is form
        await pilot.press("ctrl+s")
        for _ in range(50):
            await pilot.pause(0.02)
            if host.plans:
                break
        assert [plan.name for plan in host.plans] == ["web1"]


async def test_escape_cancels() -> None:
    host = CreateHost()
    async with FormApp(host).run_test(size=(80, 24)) as pilot:
        await form_of(pilot)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(pilot.app.screen, CreateForm)
        assert host.plans == []


async def test_n_opens_the_form_with_the_hosts_support() -> None:
    app = NspawnApp(CreateHost(), interval=0.5)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await dashboard_polled(pilot)
        await pilot.press("n")
        form = await form_of(pilot)
        assert form.support is SUPPORT
        assert form.query_one("#f-directory", Input).value == "/var/lib/machines"
        assert not notifications(app)


async def test_read_only_refuses_n_without_opening_the_form() -> None:
    host = CreateHost(read_only=True)
    app = NspawnApp(host, interval=0.5)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        screen = await dashboard_polled(pilot)
        await pilot.press("n")
        await pilot.pause(0.1)
        assert app.screen is screen
        (shown,) = notifications(app)
        assert shown.title == "Read-only"
        assert shown.message.startswith("create a container refused")
        assert host.plans == []


async def test_fedora_on_a_host_without_its_repositories_or_key() -> None:
    """Debian's dnf: no repositories and no Fedora key here; the form says what mends it."""
    support = CreateSupport(
        (*SUPPORT.bootstrappers[:1],
         Bootstrapper(("arch",), "pacstrap", "arch-install-scripts", True, "/usr/bin/pacstrap"),
         Bootstrapper(("fedora",), "dnf", "dnf", True, "/usr/bin/dnf")),
        default_mirror=SUPPORT.default_mirror, existing=SUPPORT.existing, foreign=ForeignRepos(),
    )  # fmt: skip
    host = CreateHost()
    async with FormApp(host, support).run_test(size=(120, 40), notifications=True) as pilot:
        form = await form_of(pilot)
        assert not form.query_one("#row-signing_key").display  # Debian: no key field
        form.query_one("#f-distro", Select).value = "fedora"
        await pilot.pause()
        assert form.query_one("#row-signing_key").display
        await type_into(pilot, form, "name", "fed1")
        await type_into(pilot, form, "release", "40")
        await pilot.press("ctrl+s")  # tried: every problem is shown
        await pilot.pause()
        assert "dnf has no repositories: give a Fedora mirror" in message(form, "mirror")
        await type_into(pilot, form, "mirror", "https://m.example/fedora/40/os/")
        assert "RPM-GPG-KEY-fedora-40-primary in /etc/pki/rpm-gpg" in message(form, "signing_key")
        await type_into(pilot, form, "signing_key", "https://m.example/fedora.gpg")
        assert message(form, "signing_key") == "" and message(form, "mirror") == ""
        tree = str(form.query_one("#p-tree", Static).render())
        assert "--setopt=nspawn-tui.gpgkey=https://m.example/fedora.gpg" in tree
        # Arch: the keyring is the host's; without one the distribution says how to make it
        form.query_one("#f-distro", Select).value = "arch"
        await pilot.pause()
        assert "pacman-key --populate archlinux" in message(form, "distro")
        assert not form.query_one("#row-signing_key").display
        form.query_one("#f-distro", Select).value = "fedora"
        await pilot.pause()
        form.query_one("#create-start", Button).press()
        for _ in range(50):
            await pilot.pause(0.02)
            if host.plans:
                break
        (plan,) = host.plans
        assert plan.distro == "fedora" and plan.signing_key == "https://m.example/fedora.gpg"
        assert plan.mirror == "https://m.example/fedora/40/os/"
