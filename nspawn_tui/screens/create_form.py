"""The create form (``n`` on the dashboard): a new container's tree, first boot and settings.

Three sections, each ending with its shell equivalent as the fields change
(:mod:`nspawn_tui.view.create_preview`): the tree (name, distribution,
release, mirror, packages, minbase, directory; or an image to clone), first
boot (hostname, root password twice, an SSH key, time zone, locale,
systemd-networkd) and settings (network, port forwards, bind mounts, private
users, enable, start).  Each field's problem shows under it as it is typed
(:mod:`nspawn_tui.view.create_form`); Enter goes to the next field.  Create
(ctrl+s) hashes the password in a thread, asks the Host to start, and
replaces the form with the progress view.  Escape cancels.  The clear
password stays in its two inputs.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from dataclasses import fields, replace
from typing import Any, Final

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from nspawn_tui.create.model import CreatePlan, CreateSupport
from nspawn_tui.host.base import Host, HostError
from nspawn_tui.screens.span_compositor import use_map_compositor
from nspawn_tui.view.create_form import (
    DISTRO_LABELS,
    DISTROS,
    NETWORK_LABELS,
    NETWORKS,
    FormValues,
    always_included,
    bootstrapper_for,
    build_plan,
    default_mirror,
    distro_problem_free,
    problems,
    read_ssh_key,
    switched_distro,
)
from nspawn_tui.view.create_preview import bootstrap_preview, firstboot_preview, settings_preview
from nspawn_tui.widgets.safe_input import SafeInput
from nspawn_tui.widgets.safe_text import notify_plain, plain

Hasher = Callable[[str], str]

#: The text fields: key (a FormValues field), label, placeholder.
TREE_FIELDS: Final = (
    ("name", "Name", "web1"),
    ("clone_source", "Clone from", "an image's name"),
    ("release", "Release", "bookworm, noble, 40"),
    ("mirror", "Mirror", "the bootstrapper's default"),
    ("signing_key", "Signing key", "the mirror's key URL (default: this host's)"),
    ("packages", "Extra packages", "openssh-server, vim"),
    ("directory", "Directory", "/var/lib/machines"),
)
FIRSTBOOT_FIELDS: Final = (
    ("hostname", "Hostname", "the name"),
    ("password", "Root password", "not set"),
    ("password_again", "Again", "the same password"),
    ("ssh_key", "Root SSH key", "ssh-ed25519 AAAA... or ~/.ssh/id_ed25519.pub"),
    ("timezone", "Time zone", "Europe/Berlin"),
    ("locale", "Locale", "C.UTF-8"),
)
SETTINGS_FIELDS: Final = (
    ("bridge", "Bridge", "br0"),
    ("ports", "Port forwards", "tcp:8080:80, 2222:22"),
    ("binds", "Bind (rw)", "/srv/www, /data:/var/lib/data"),
    ("binds_ro", "Bind (ro)", "/etc/ssl/certs"),
)
CHECKS: Final = ("minbase", "networkd", "private_users", "enable", "start")
_TEXT_KEYS: Final = (
    frozenset(f.name for f in fields(FormValues))
    - set(CHECKS)
    - {
        "distro",
        "network",
    }
)


def default_hasher() -> Hasher:
    """The backend's ``hash_password`` (``nspawn_tui.create.firstboot``)."""
    from nspawn_tui.create.firstboot import hash_password

    return hash_password


def distro_options(support: CreateSupport | None) -> list[tuple[str, str]]:
    """The Select's options: each distribution, an unavailable one with its package."""
    options: list[tuple[str, str]] = []
    for distro in DISTROS:
        label = DISTRO_LABELS[distro]
        tool = None if support is None else bootstrapper_for(distro, support)
        if support is not None and distro != "clone" and (tool is None or not tool.available):
            label += f" (unavailable: install {tool.package})" if tool else " (unavailable)"
        options.append((label, distro))
    return options


class CreateForm(Screen[None]):
    """Fill in, then Create: the progress view takes the form's place."""

    BINDINGS = [
        Binding("ctrl+s", "create", "Create", id="create_form.create"),
        Binding("escape", "cancel", "Cancel", id="create_form.cancel"),
    ]
    DEFAULT_CSS = """
    CreateForm { background: $surface; }
    CreateForm #create-title { text-style: bold; padding: 0 1; }
    CreateForm #create-refusal { color: $error; padding: 0 1; }
    CreateForm VerticalScroll { padding: 0 1; }
    CreateForm .section { text-style: bold; color: $accent; margin-top: 1; }
    CreateForm .row { height: 1; }
    CreateForm .row > Label { width: 16; }
    CreateForm .row > Input { width: 1fr; }
    CreateForm .row > Select { width: 40; }
    CreateForm .checks { height: 1; padding-left: 15; }
    CreateForm .checks > Checkbox { margin-right: 2; }
    CreateForm .message { color: $text-muted; padding-left: 16; height: auto; }
    CreateForm .message.-error { color: $error; }
    CreateForm .included { color: $text-muted; padding-left: 16; }
    CreateForm .preview { color: $text-muted; background: $boost; padding: 0 1;
        margin-top: 1; height: auto; }
    CreateForm #create-buttons { height: auto; dock: bottom; align-horizontal: right;
        padding: 0 1; }
    CreateForm #create-buttons Button { margin-left: 1; }
    """

    def __init__(
        self, host: Host, support: CreateSupport | None = None, hasher: Hasher | None = None
    ) -> None:
        super().__init__()
        use_map_compositor(self)
        self.host = host
        self.support = support
        self.hasher = hasher
        self.values = FormValues()
        self.problems: dict[str, str] = {}
        self.tried = False  # Create was pressed once: every problem is shown in red
        self._touched: set[str] = set()
        self._setting = False  # fields being set by code
        self._set_by_code: dict[str, str] = {}  # their values: a Changed with it is not typed
        self._distro = "debian"  # the distribution chosen last

    # -------------------------------------------------------------- layout

    def _text_row(self, key: str, label: str, placeholder: str) -> ComposeResult:
        value = getattr(self.values, key)
        with Horizontal(classes="row", id=f"row-{key}"):
            yield Label(plain(label))
            yield SafeInput(value, placeholder, password=key.startswith("password"),
                            id=f"f-{key}", compact=True)  # fmt: skip
        yield Static("", id=f"m-{key}", classes="message")

    def compose(self) -> ComposeResult:
        yield Static("Create a container", id="create-title")
        yield Static("", id="create-refusal")
        with VerticalScroll(id="create-scroll"):
            yield Static("The tree", classes="section")
            with Horizontal(classes="row"):
                yield Label("Distribution")
                yield Select(distro_options(self.support), allow_blank=False, id="f-distro",
                             compact=True)  # fmt: skip
            yield Static("", id="m-distro", classes="message")
            for key, label, placeholder in TREE_FIELDS:
                yield from self._text_row(key, label, placeholder)
            with Horizontal(classes="checks", id="row-minbase"):
                yield Checkbox("minbase variant (debootstrap)", True, id="f-minbase",
                               compact=True)  # fmt: skip
            yield Static("", id="included", classes="included")
            yield Static("", id="p-tree", classes="preview")
            yield Static("First boot", classes="section")
            for key, label, placeholder in FIRSTBOOT_FIELDS:
                yield from self._text_row(key, label, placeholder)
            with Horizontal(classes="checks"):
                yield Checkbox("enable systemd-networkd inside (for veth)", id="f-networkd",
                               compact=True)  # fmt: skip
            yield Static("", id="p-firstboot", classes="preview")
            yield Static("Settings", classes="section")
            with Horizontal(classes="row"):
                yield Label("Network")
                yield Select([(NETWORK_LABELS[n], n) for n in NETWORKS], value="veth",
                             allow_blank=False, id="f-network", compact=True)  # fmt: skip
            for key, label, placeholder in SETTINGS_FIELDS:
                yield from self._text_row(key, label, placeholder)
            with Horizontal(classes="checks"):
                yield Checkbox("private users", id="f-private_users", compact=True)
                yield Checkbox("enable at boot", id="f-enable", compact=True)
                yield Checkbox("start when done", id="f-start", compact=True)
            yield Static("", id="p-settings", classes="preview")
        with Horizontal(id="create-buttons"):
            yield Button("Create (ctrl+s)", id="create-start", variant="primary", compact=True)
            yield Button("Cancel (Esc)", id="create-cancel", compact=True)

    async def on_mount(self) -> None:
        self.query_one("#f-name", Input).focus()
        if self.support is None:
            self.query_one("#create-refusal", Static).update("Reading what this host offers…")
            self._load_support()
        else:
            self._apply_support(self.support)

    @work(group="create-support", exclusive=True)
    async def _load_support(self) -> None:
        try:
            support = await self.host.create_support()
        except HostError as exc:
            support = CreateSupport((), refusal=str(exc))
        self.support = support
        await self.recompose()  # the distributions' Select, made with what is available
        self.query_one("#f-name", Input).focus()
        self._apply_support(support)

    def _apply_support(self, support: CreateSupport) -> None:
        self.support = support
        refusal = self.query_one("#create-refusal", Static)
        refusal.update(plain(f"Creating containers is not possible here: {support.refusal}"
                             if support.refusal else ""))  # fmt: skip
        refusal.display = bool(support.refusal)
        self.query_one("#create-start", Button).disabled = bool(support.refusal)
        usable = [d for d in DISTROS if distro_problem_free(d, support)]
        first = usable[0] if usable else "debian"
        self._setting = True
        self.query_one("#f-distro", Select).value = first
        values = replace(self.values, directory=support.machines_dir, distro="debian",
                         mirror=default_mirror("debian", support))  # fmt: skip
        self._set_fields(switched_distro(values, first, support))
        self._distro = first
        self._setting = False
        self.refresh_form()

    def _set_fields(self, values: FormValues) -> None:
        for key in _TEXT_KEYS:
            box = self.query_one(f"#f-{key}", Input)
            if box.value != getattr(values, key):
                self._set_by_code[key] = box.value = getattr(values, key)
        self.values = values

    # -------------------------------------------------------------- state

    def read_values(self) -> FormValues:
        """The fields as they are now."""
        found: dict[str, Any] = {}
        for key in _TEXT_KEYS:
            found[key] = self.query_one(f"#f-{key}", Input).value
        for key in CHECKS:
            found[key] = self.query_one(f"#f-{key}", Checkbox).value
        for key in ("distro", "network"):
            value = self.query_one(f"#f-{key}", Select).value
            found[key] = value if isinstance(value, str) else getattr(self.values, key)
        return FormValues(**found)

    def refresh_form(self) -> None:
        """Problems under the fields, what is shown for the distribution, the previews."""
        support = self.support
        if support is None:
            return
        values = self.values = self.read_values()
        self.problems = {} if support.refusal else problems(values, support)
        for key in (*_TEXT_KEYS, "distro"):
            message = self.query_one(f"#m-{key}", Static)
            text = self.problems.get(key, "")
            shown = bool(text) and (self.tried or key in self._touched or key == "distro")
            message.update(plain(text if shown else ""))
            message.display = shown
            message.set_class(shown, "-error")
        clone = values.distro == "clone"
        for key in ("release", "mirror", "packages"):
            self.query_one(f"#row-{key}").display = not clone and not (
                key == "release" and values.distro == "arch"
            )
        self.query_one("#row-clone_source").display = clone
        self.query_one("#row-signing_key").display = values.distro == "fedora"
        self.query_one("#row-minbase").display = values.distro in ("debian", "ubuntu")
        self.query_one("#row-bridge").display = values.network == "bridge"
        included = always_included(values.distro)
        self.query_one("#included", Static).update(
            plain(
                f"always included: {', '.join(included)} (what a booting container needs)"
                if included
                else "the clone gets the same first boot and settings"
            )  # fmt: skip
        )
        machines_dir = support.machines_dir
        self.query_one("#p-tree", Static).update(
            plain(f"$ {bootstrap_preview(values, machines_dir)}")
        )
        self.query_one("#p-firstboot", Static).update(
            plain(self._prompted(firstboot_preview(values, machines_dir)), lines=True)
        )
        self.query_one("#p-settings", Static).update(
            plain(self._prompted(settings_preview(values)), lines=True)
        )

    @staticmethod
    def _prompted(lines: str) -> str:
        return "\n".join(f"$ {line}" for line in lines.splitlines())

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        key = (event.input.id or "").removeprefix("f-")
        if self._set_by_code.get(key) != event.value:
            self._touched.add(key)
        self.refresh_form()

    @on(Select.Changed, "#f-distro")
    def _distro_chosen(self, event: Select.Changed) -> None:
        if self._setting or self.support is None or not isinstance(event.value, str):
            return
        self._setting = True
        before = replace(self.read_values(), distro=self._distro)
        self._set_fields(switched_distro(before, event.value, self.support))
        self._distro = event.value
        self._setting = False
        self.refresh_form()

    @on(Select.Changed, "#f-network")
    @on(Checkbox.Changed)
    def _switched(self) -> None:
        self.refresh_form()

    # ------------------------------------------------------------ actions

    @on(Input.Submitted)
    def _next_field(self, event: Input.Submitted) -> None:
        """Enter goes to the next field: a long form is not sent by a stray Enter."""
        event.stop()
        self.focus_next()

    @on(Button.Pressed, "#create-start")
    def _create_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_create()

    @on(Button.Pressed, "#create-cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_create(self) -> None:
        support = self.support
        if support is None:
            return
        if support.refusal:
            notify_plain(self, support.refusal, title="Create", severity="warning")
            return
        self.tried = True
        self.refresh_form()
        if self.problems:
            key = next(iter(self.problems))
            widget = self.query_one(f"#f-{key}")
            widget.focus()
            count = len(self.problems)
            notify_plain(self, f"{count} field{'s' if count > 1 else ''} to correct: "
                         f"{self.problems[key]}", title="Create", severity="warning")  # fmt: skip
            return
        self._start(self.values, support)

    @work(group="create-start", exclusive=True)
    async def _start(self, values: FormValues, support: CreateSupport) -> None:
        try:
            plan = await asyncio.to_thread(self._plan, values, support)
            creation = await self.host.create_container(plan)
        except (ValueError, OSError, HostError) as exc:
            notify_plain(self, str(exc), title="Create failed", severity="error", timeout=12)
            return
        from nspawn_tui.screens.create_progress import CreateProgressScreen

        self.app.switch_screen(CreateProgressScreen(self.host, plan, creation))

    def _plan(self, values: FormValues, support: CreateSupport) -> CreatePlan:
        """In a thread: the hash (never the password) and the key line go into the plan."""
        hasher = self.hasher or default_hasher()
        hashed = hasher(values.password) if values.password else ""
        return build_plan(values, support, password_hash=hashed,
                          ssh_key=read_ssh_key(values.ssh_key), exists=os.path.exists)  # fmt: skip
