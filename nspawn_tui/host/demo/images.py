"""Simulated image actions and transfers of the demo host.

A mixin of :class:`~nspawn_tui.host.demo.host.DemoHost`.  Images are the
simulation's machines that have one (``spec.image_type``): a clone adds a
stopped machine, a rename moves it, a removal drops it, the read-only mark
and the size limit change what :meth:`image` and the machine list say.  They
refuse what machined refuses (a running machine's image is in use, a name
taken, a limit on anything but a subvolume).

A transfer (:mod:`.transfer`, loaded when one starts) progresses in real
time at :attr:`DemoImages.transfer_rate` bytes per second (a test sets it),
counted by the same :class:`~nspawn_tui.images.progress.ProgressMeter` as a
real one; names are checked by :mod:`nspawn_tui.images.names`, loaded when
first needed.  An import reads nothing but the size of the file named (it
must exist) and adds the image at the end; an export creates its file
exclusively, as a real one does, and writes a small placeholder tar (the
demo has no image data).
"""

from __future__ import annotations

import os
import stat
from dataclasses import replace
from typing import TYPE_CHECKING, Final

from nspawn_tui.host.base import EventKind, HostError, HostEvent, Image, NoSuchMachine
from nspawn_tui.host.demo.sim import MachineSpec, MiB, SimMachine
from nspawn_tui.host.events import EventHub

if TYPE_CHECKING:
    from nspawn_tui.host.images import Transfer

#: Simulated bytes per second of an import or export.
TRANSFER_RATE: Final = 200.0 * MiB
#: What a directory import is taken to copy (its size is not counted).
DIRECTORY_BYTES: Final = 300 * MiB


class DemoImages:
    _machines: dict[str, SimMachine]
    _limits_text: dict[str, dict[str, str]]
    _settings_text: dict[str, str]
    _rows: object
    hub: EventHub
    #: Simulated bytes per second of transfers (tests make them slow or fast).
    transfer_rate: float = TRANSFER_RATE
    _image_limits: dict[str, int] | None = None

    def _get(self, name: str) -> SimMachine:
        raise NotImplementedError

    def _image(self, m: SimMachine) -> Image:
        raise NotImplementedError

    def _add_machine(self, spec: MachineSpec) -> SimMachine:
        raise NotImplementedError

    def _remove_machine(self, name: str) -> None:
        raise NotImplementedError

    @property
    def _limits(self) -> dict[str, int]:
        if self._image_limits is None:
            self._image_limits = {}
        return self._image_limits

    # ----------------------------------------------------------- lookups

    def _image_machine(self, name: str, what: str) -> SimMachine:
        try:
            m = self._get(name)
        except NoSuchMachine:
            raise NoSuchMachine(f"{what}: there is no image called {name}") from None
        if m.spec.image_type is None:
            raise NoSuchMachine(f"{what}: {name} is a VM without an image")
        return m

    def _idle(self, name: str, what: str) -> SimMachine:
        m = self._image_machine(name, what)
        if m.running:
            raise HostError(f"{what}: {name} is in use (a machine of that name is running)")
        return m

    def _free_name(self, new_name: str, what: str) -> None:
        from nspawn_tui.images import names

        problem = names.name_problem(new_name)
        if problem is not None:
            raise HostError(f"{what}: {problem}")
        if new_name in self._machines:
            raise HostError(f"{what}: an image called {new_name} exists already")

    def _changed(self, m: SimMachine) -> None:
        m.row = None
        self._rows = None

    async def image(self, name: str) -> Image:
        m = self._image_machine(name, f"read image {name}")
        return replace(self._image(m), limit_bytes=self._limits.get(name))

    # ----------------------------------------------------------- actions

    async def _do_clone_image(self, name: str, new_name: str, read_only: bool) -> None:
        what = f"clone {name} to {new_name}"
        m = self._image_machine(name, what)
        self._free_name(new_name, what)
        spec = replace(
            m.spec, name=new_name, state="stopped", read_only=read_only, enabled=False,
            oom_kills=0, oom_at=(),
        )  # fmt: skip
        self._add_machine(spec)

    async def _do_rename_image(self, name: str, new_name: str) -> None:
        what = f"rename {name} to {new_name}"
        m = self._idle(name, what)
        self._free_name(new_name, what)
        del self._machines[name]
        m.spec = replace(m.spec, name=new_name)
        self._machines[new_name] = m
        if name in self._limits:
            self._limits[new_name] = self._limits.pop(name)
        if name in self._limits_text:
            self._limits_text[new_name] = self._limits_text.pop(name)
        if name in self._settings_text:
            self._settings_text[new_name] = self._settings_text.pop(name)
        self._changed(m)
        self.hub.publish(HostEvent(EventKind.MACHINE_REMOVED, name))
        self.hub.publish(HostEvent(EventKind.MACHINE_NEW, new_name))

    async def _do_remove_image(self, name: str) -> None:
        what = f"remove {name}"
        self._idle(name, what)  # machined removes a read-only image too
        self._remove_machine(name)
        self._limits.pop(name, None)

    async def _do_set_image_read_only(self, name: str, read_only: bool) -> None:
        m = self._image_machine(name, f"mark {name} {'read-only' if read_only else 'writable'}")
        m.spec = replace(m.spec, read_only=read_only)
        self._changed(m)

    async def _do_set_image_limit(self, name: str, limit: int) -> None:
        from nspawn_tui.images import names

        what = f"set the size limit of {name}"
        m = self._image_machine(name, what)
        if m.spec.image_type != "subvolume":
            raise HostError(
                f"{what}: size limits work only for btrfs subvolume images "
                f"({name} is a {m.spec.image_type} image)"
            )
        if not 0 < limit <= names.NO_LIMIT:
            raise HostError(f"{what}: {limit} is not a size limit")
        if limit >= names.NO_LIMIT:
            self._limits.pop(name, None)
        else:
            self._limits[name] = limit

    # --------------------------------------------------------- transfers

    async def _do_import_image(
        self, path: str, name: str, kind: str, read_only: bool, force: bool
    ) -> Transfer:
        from nspawn_tui.host.demo.transfer import DemoTransfer
        from nspawn_tui.host.images import IMPORT_KINDS
        from nspawn_tui.images import names

        what = f"import of {path} as {name}"
        if kind not in IMPORT_KINDS:
            raise HostError(f"{what}: the kind must be one of {', '.join(IMPORT_KINDS)}")
        problem = names.name_problem(name)
        if problem is not None:
            raise HostError(f"{what}: {problem}")
        if name in self._machines and not force:
            raise HostError(f"{what}: an image called {name} exists already (force replaces it)")
        try:
            info = os.stat(path)
        except OSError as exc:
            raise HostError(f"{what}: cannot open {path}: {exc.strerror}") from None
        if kind == "directory" and not stat.S_ISDIR(info.st_mode):
            raise HostError(f"{what}: {path} is not a directory")
        if kind != "directory" and not stat.S_ISREG(info.st_mode):
            hint = " (use the kind 'directory')" if stat.S_ISDIR(info.st_mode) else ""
            raise HostError(f"{what}: {path} is not a regular file{hint}")
        size = info.st_size if kind != "directory" else DIRECTORY_BYTES

        def finish() -> str:
            if name in self._machines:
                self._idle(name, what)
                self._remove_machine(name)
            image_type = "raw" if kind == "raw" else "directory"
            spec = MachineSpec(
                name, "debian", state="stopped", image_type=image_type, read_only=read_only,
                usage_bytes=max(size, 4096), enabled=False,
            )  # fmt: skip
            self._add_machine(spec)
            return f"imported {name} (demo host: simulated)"

        return DemoTransfer(
            what, size, lambda: self.transfer_rate, known_total=kind != "directory", finish=finish
        )

    async def _do_export_image(self, name: str, path: str, kind: str) -> Transfer:
        from nspawn_tui.host.demo.transfer import DemoTransfer, placeholder_tar
        from nspawn_tui.host.images import EXPORT_KINDS

        what = f"export of {name} to {path}"
        if kind not in EXPORT_KINDS:
            raise HostError(f"{what}: the kind must be one of {', '.join(EXPORT_KINDS)}")
        m = self._image_machine(name, what)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
        except FileExistsError:
            raise HostError(
                f"{what}: {path} exists already; nspawn-tui never replaces a file, "
                "choose another name"
            ) from None
        except OSError as exc:
            raise HostError(f"{what}: cannot create {path}: {exc.strerror}") from None
        os.close(fd)
        usage = m.spec.usage_bytes

        def finish() -> str:
            with open(path, "r+b") as out:
                out.write(placeholder_tar(name) if kind == "tar" else b"nspawn-tui demo\n")
            return f"exported {name} (demo host: a placeholder file)"

        def fail() -> None:
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass

        return DemoTransfer(
            what, usage, lambda: self.transfer_rate, known_total=True, finish=finish, fail=fail
        )
