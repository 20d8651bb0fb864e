"""Image actions over machined and transfers over importd, on a real host.

A mixin of :class:`~nspawn_tui.host.machined.host.MachinedHost`.  machined's
``CloneImage``, ``RenameImage``, ``RemoveImage``, ``MarkImageReadOnly`` and
``SetImageLimit`` (what ``machinectl clone|rename|remove|read-only|set-limit``
call); an image's usage and limit from its object's properties; imports and
exports through importd (:mod:`.importd`), fed and drained through pipes we
count.  New names and limits are checked first (:mod:`nspawn_tui.images`),
so machined's refusals are rare; those that come are said in words.  The
read-only check is done by the public methods in
:class:`~nspawn_tui.host.base.Host`, not here.
"""

from __future__ import annotations

import asyncio
import os
import stat
from typing import TYPE_CHECKING, Any, Final

from dbus_next.aio import MessageBus

from nspawn_tui.host.base import HostError, Image, NoSuchMachine
from nspawn_tui.host.machined import bus as du
from nspawn_tui.host.machined import importd
from nspawn_tui.images import names

if TYPE_CHECKING:
    # A transfer's pieces load when one starts, not before the dashboard's first
    # frame (benchmarks/README.md).
    from nspawn_tui.host.images import Transfer

MACHINE1_IMAGE: Final = "org.freedesktop.machine1.Image"
NO_SUCH_IMAGE: Final = "org.freedesktop.machine1.NoSuchImage"
_IMPORT_CALLS: Final = {"tar": "ImportTar", "raw": "ImportRaw", "directory": "ImportFileSystem"}
_EXPORT_CALLS: Final = {"tar": "ExportTar", "raw": "ExportRaw"}
#: importd's compression names, by the suffix of the file an export writes.
_COMPRESSION: Final = ((".tar.xz", "xz"), (".txz", "xz"), (".xz", "xz"), (".tar.gz", "gzip"),
                       (".tgz", "gzip"), (".gz", "gzip"), (".bz2", "bzip2"))  # fmt: skip


def compression_for(path: str) -> str:
    """importd's ``format`` argument for an export to ``path``: "" is uncompressed."""
    lowered = path.lower()
    for suffix, name in _COMPRESSION:
        if lowered.endswith(suffix):
            return name
    return ""


def image_words(
    what: str, name: str, new_name: str = "", unsupported: str = ""
) -> importd.ErrorWords:
    """machined's refusals of image calls, in words (by D-Bus error name and text)."""

    def words(error: str, text: str) -> HostError | None:
        lowered = text.lower()
        if error == NO_SUCH_IMAGE:
            return NoSuchMachine(f"{what}: there is no image called {name}")
        if error.endswith(".EBUSY") or "busy" in lowered:
            return HostError(
                f"{what}: {name} is in use (a machine of that name is running, or another "
                f"operation holds the image) ({text})"
            )
        if error.endswith(("FileExists", ".EEXIST")) or "exists" in lowered:
            return HostError(f"{what}: an image called {new_name or name} exists already")
        if error.endswith((".EROFS",)) or "read-only" in lowered:
            return HostError(f"{what}: {name} is read-only; mark it writable first ({text})")
        if (
            error.endswith((".NotSupported", ".EOPNOTSUPP", ".ENOTTY"))
            or "not supported" in lowered
        ):
            return HostError(f"{what}: {unsupported or 'not supported for ' + name} ({text})")
        if error.endswith((".EPERM",)) or "not permitted" in lowered:
            return HostError(f"{what}: operation not permitted ({text}); run nspawn-tui as root")
        return None

    return words


def _limit_of(value: Any) -> int | None:
    limit = int(value or 0)
    return limit if 0 < limit < names.NO_LIMIT else None


class MachinedImages:
    """Needs ``_connected_bus()`` and ``list_images()`` from the host; invalidates
    its ListImages cache (``_images_at``) after each change."""

    _images_at: float
    bus_address: str | None
    _importd: importd.ImportdWatch | None = None

    async def _connected_bus(self) -> MessageBus:
        raise NotImplementedError

    async def list_images(self) -> list[Image]:
        raise NotImplementedError

    def _images_changed(self) -> None:
        self._images_at = float("-inf")  # the next list_images asks machined again

    async def _machine1(
        self,
        member: str,
        signature: str,
        body: list[Any],
        what: str,
        name: str,
        new: str = "",
        unsupported: str = "",
    ) -> list[Any]:
        bus = await self._connected_bus()
        return await importd.send(
            bus, du.MACHINE1, du.MACHINE1_PATH, du.MACHINE1_MANAGER, member, signature, body,
            what=what, words=image_words(what, name, new, unsupported),
        )  # fmt: skip

    # ------------------------------------------------------------- machined

    async def image(self, name: str) -> Image:
        what = f"read image {name}"
        (path,) = await self._machine1("GetImage", "s", [name], what, name)
        bus = await self._connected_bus()
        props = await du.get_all(bus, du.MACHINE1, str(path), MACHINE1_IMAGE, what=what)
        created = int(props.get("CreationTimestamp") or 0)
        modified = int(props.get("ModificationTimestamp") or 0)
        usage = int(props.get("Usage") or 0)
        return Image(
            name=str(props.get("Name", name)),
            image_type=str(props.get("Type", "")),
            read_only=bool(props.get("ReadOnly", False)),
            path=str(props.get("Path", "")),
            created=created / 1e6 if created else None,
            modified=modified / 1e6 if modified else None,
            usage_bytes=usage if 0 < usage < names.NO_LIMIT else None,
            limit_bytes=_limit_of(props.get("Limit")),
        )

    async def _do_clone_image(self, name: str, new_name: str, read_only: bool) -> None:
        what = f"clone {name} to {new_name}"
        self._check_new_name(what, new_name)
        await self._machine1("CloneImage", "ssb", [name, new_name, read_only], what, name, new_name)
        self._images_changed()

    async def _do_rename_image(self, name: str, new_name: str) -> None:
        what = f"rename {name} to {new_name}"
        self._check_new_name(what, new_name)
        await self._machine1("RenameImage", "ss", [name, new_name], what, name, new_name)
        self._images_changed()

    async def _do_remove_image(self, name: str) -> None:
        await self._machine1("RemoveImage", "s", [name], f"remove {name}", name)
        self._images_changed()

    async def _do_set_image_read_only(self, name: str, read_only: bool) -> None:
        what = f"mark {name} {'read-only' if read_only else 'writable'}"
        await self._machine1("MarkImageReadOnly", "sb", [name, read_only], what, name)
        self._images_changed()

    async def _do_set_image_limit(self, name: str, limit: int) -> None:
        what = f"set the size limit of {name}"
        if not 0 < limit <= names.NO_LIMIT:
            raise HostError(f"{what}: {limit} is not a size limit")
        unsupported = "size limits work only for btrfs subvolume images"
        await self._machine1(
            "SetImageLimit", "st", [name, limit], what, name, unsupported=unsupported
        )
        self._images_changed()

    @staticmethod
    def _check_new_name(what: str, new_name: str) -> None:
        problem = names.name_problem(new_name)
        if problem is not None:
            raise HostError(f"{what}: {problem}")

    # --------------------------------------------------------------- importd

    async def _importd_watch(self, bus: MessageBus) -> importd.ImportdWatch:
        watch = self._importd
        if watch is None or watch.bus is not bus:
            watch = importd.ImportdWatch(bus)
            await watch.start()
            self._importd = watch
        return watch

    async def _import1(
        self, member: str, signature: str, body: list[Any], fd: int, what: str
    ) -> tuple[importd.ImportdWatch, int, str, importd.ErrorWords]:
        """Start a transfer; its id and object.  ``fd`` is ours to close afterwards."""
        bus = await self._connected_bus()
        if not getattr(bus, "_negotiate_unix_fd", True):
            raise HostError(
                f"{what}: this connection to the bus cannot pass file descriptors, "
                "which importd needs"
            )
        watch = await self._importd_watch(bus)
        words = importd.importd_words(what, du.describe_address(self.bus_address))
        transfer_id, path = await importd.send(
            bus, importd.IMPORT1, importd.IMPORT1_PATH, importd.IMPORT1_MANAGER, member,
            signature, body, what=what, fds=[fd], words=words,
        )  # fmt: skip
        return watch, int(transfer_id), str(path), words

    async def _do_import_image(
        self, path: str, name: str, kind: str, read_only: bool, force: bool
    ) -> Transfer:
        from nspawn_tui.host.images import IMPORT_KINDS
        from nspawn_tui.host.machined.import_transfer import ImportdTransfer
        from nspawn_tui.images.progress import ProgressMeter
        from nspawn_tui.images.pump import Pump

        what = f"import of {path} as {name}"
        if kind not in IMPORT_KINDS:
            raise HostError(f"{what}: the kind must be one of {', '.join(IMPORT_KINDS)}")
        self._check_new_name(what, name)
        source, size = await asyncio.to_thread(_open_source, path, kind, what)
        if kind == "directory":
            try:
                watch, tid, tpath, words = await self._import1(
                    _IMPORT_CALLS[kind], "hsbb", [0, name, force, read_only], source, what
                )
            finally:
                os.close(source)
            return ImportdTransfer(
                watch, tid, tpath, what, pump=None, meter=ProgressMeter(None), words=words,
                export=False, on_end=self._images_changed,
            )  # fmt: skip
        read_end, write_end = os.pipe2(os.O_CLOEXEC)
        pump = Pump(source, write_end, what)
        try:
            os.set_blocking(write_end, False)
            watch, tid, tpath, words = await self._import1(
                _IMPORT_CALLS[kind], "hsbb", [0, name, force, read_only], read_end, what
            )
        except BaseException:
            pump.discard()
            raise
        finally:
            os.close(read_end)
        pump.start()
        return ImportdTransfer(
            watch, tid, tpath, what, pump=pump, meter=ProgressMeter(size), words=words,
            export=False, on_end=self._images_changed,
        )  # fmt: skip

    async def _do_export_image(self, name: str, path: str, kind: str) -> Transfer:
        from nspawn_tui.host.images import EXPORT_KINDS
        from nspawn_tui.host.machined.import_transfer import ImportdTransfer
        from nspawn_tui.images.progress import ProgressMeter
        from nspawn_tui.images.pump import Pump

        what = f"export of {name} to {path}"
        if kind not in EXPORT_KINDS:
            raise HostError(f"{what}: the kind must be one of {', '.join(EXPORT_KINDS)}")
        image = await self.image(name)
        target, created = await asyncio.to_thread(_create_target, path, what)

        def remove_partial() -> None:
            _remove_created(path, created)

        read_end, write_end = os.pipe2(os.O_CLOEXEC)
        pump = Pump(read_end, target, what)
        try:
            os.set_blocking(read_end, False)
            watch, tid, tpath, words = await self._import1(
                _EXPORT_CALLS[kind], "shs", [name, 0, compression_for(path)], write_end, what
            )
        except BaseException:
            pump.discard()
            remove_partial()
            raise
        finally:
            os.close(write_end)
        pump.start()
        return ImportdTransfer(
            watch, tid, tpath, what, pump=pump, meter=ProgressMeter(image.usage_bytes),
            words=words, export=True, on_failure=remove_partial,
        )  # fmt: skip


def _open_source(path: str, kind: str, what: str) -> tuple[int, int | None]:
    """The file (or directory) to import, opened, and its size in bytes."""
    flags = os.O_RDONLY | os.O_CLOEXEC | (os.O_DIRECTORY if kind == "directory" else 0)
    try:
        fd = os.open(path, flags)
    except NotADirectoryError:
        raise HostError(f"{what}: {path} is not a directory") from None
    except OSError as exc:
        raise HostError(f"{what}: cannot open {path}: {exc.strerror}") from None
    info = os.fstat(fd)
    if kind != "directory" and not stat.S_ISREG(info.st_mode):
        os.close(fd)
        hint = " (use the kind 'directory')" if stat.S_ISDIR(info.st_mode) else ""
        raise HostError(f"{what}: {path} is not a regular file{hint}")
    return fd, (info.st_size if kind != "directory" else None)


def _create_target(path: str, what: str) -> tuple[int, tuple[int, int]]:
    """The export's new file (never an existing one replaced), and its identity."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
    except FileExistsError:
        raise HostError(
            f"{what}: {path} exists already; nspawn-tui never replaces a file, choose another name"
        ) from None
    except OSError as exc:
        raise HostError(f"{what}: cannot create {path}: {exc.strerror}") from None
    info = os.fstat(fd)
    return fd, (info.st_dev, info.st_ino)


def _remove_created(path: str, identity: tuple[int, int]) -> None:
    """Remove the partial export, if the file at ``path`` is still the one we made."""
    try:
        info = os.stat(path)
        if (info.st_dev, info.st_ino) == identity:
            os.unlink(path)
    except FileNotFoundError:
        pass
