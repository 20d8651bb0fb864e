"""A creation on this machine: the bootstrapper, first boot, the .nspawn file, enable, start.

Each step runs in turn (its shell equivalent in :class:`~.model.Step`); a
tool runs with ``asyncio.create_subprocess_exec`` in a session of its own,
its output read line by line into a bounded, cleaned tail (and
debootstrap's into :mod:`.progress`, dnf's and pacstrap's into
:mod:`.pkgprogress`).  pacstrap with a mirror reads a ``pacman.conf`` written
for the run (a temporary file, removed after) and the new tree gets the same
mirror in its mirror list (:mod:`.repos`).  A failure or :meth:`LocalCreation.cancel`
ends the tool's process group (SIGTERM, then SIGKILL), and undoes what
this run made: the .nspawn file, an enable, and the tree (removed in a
thread by :mod:`.remove`, or through the host for a clone).
"""

from __future__ import annotations

import asyncio
import os
import shlex
import signal
import tempfile
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final

from nspawn_tui.create import firstboot as fb
from nspawn_tui.create.bootstrap import bootstrap_argv
from nspawn_tui.create.model import CreatePlan, CreateProgress, Creation, Step, StepState
from nspawn_tui.create.nspawnfile import settings_command, settings_text
from nspawn_tui.create.pkgprogress import PackageProgress
from nspawn_tui.create.progress import DebootstrapProgress
from nspawn_tui.create.remove import Made, RemoveError, make_tree, remove_tree
from nspawn_tui.create.repos import mirrorlist_text, pacman_conf_text
from nspawn_tui.host.base import HostError
from nspawn_tui.nspawn import ETC_DIR
from nspawn_tui.nspawn.settings import SettingsError, default_settings_path, write_atomic
from nspawn_tui.safe import clean
from nspawn_tui.units.names import action_command, machinectl

LOG_TAIL: Final = 12  # lines of the running tool's output kept
LINE_MAX: Final = 400  # characters of one kept line
TERM_GRACE: Final = 5.0  # seconds between SIGTERM and SIGKILL
TICK: Final = 0.5  # seconds between readings while nothing happens (elapsed time)
TOOL_ENV: Final = {"LC_ALL": "C", "DEBIAN_FRONTEND": "noninteractive"}

Action = Callable[[str], Awaitable[None]]


@dataclass(frozen=True)
class HostOps:
    """What a creation asks of its host (the Host's own, checked, methods)."""

    enable: Action
    start: Action
    disable: Action | None = None
    clone: Callable[[str, str], Awaitable[None]] | None = None  # (source, new name)
    remove_image: Action | None = None
    etc_dir: Path = ETC_DIR


class StepFailed(Exception):
    """A step did not succeed; the message says why (cleaned when shown)."""


def plan_steps(plan: CreatePlan, tool: str = "", etc_dir: Path = ETC_DIR) -> list[Step]:
    """Every step the plan asks for, pending, with its shell equivalent."""
    tree, q = plan.tree, shlex.quote
    steps: list[Step] = []
    if plan.distro == "clone":
        command = machinectl("clone", plan.clone_source, plan.name)
        steps.append(Step("clone", f"Clone {plan.clone_source}", command))
    else:
        argv = bootstrap_argv(plan, os.path.basename(tool) if tool else "")
        title = f"Bootstrap {plan.distro.capitalize()} {plan.release}".rstrip()
        command = f"mkdir -m 0755 {q(tree)} && {shlex.join(argv)}"
        if plan.distro == "arch" and plan.mirror:
            mirrorlist = f"{tree}/etc/pacman.d/mirrorlist"
            conf = settings_command("pacman.conf", pacman_conf_text(plan.mirror))
            listed = settings_command(mirrorlist, mirrorlist_text(plan.mirror))
            command = f"{conf}\n{command}\n{listed}"
        steps.append(Step("bootstrap", title, command))
    boot = fb.firstboot_argv(tree, plan.firstboot)
    if boot:
        steps.append(Step("firstboot", "First-boot settings", fb.shown(boot)))
    if plan.firstboot.root_ssh_key:
        steps.append(Step("ssh-key", "SSH key for root", fb.ssh_key_command(tree)))
    if plan.firstboot.enable_networkd:
        steps.append(Step("networkd", "Enable systemd-networkd inside",
                          shlex.join(fb.networkd_argv(tree))))  # fmt: skip
    path = str(default_settings_path(plan.name, etc_dir=etc_dir))
    steps.append(Step("settings", f"Write {os.path.basename(path)}",
                      settings_command(path, settings_text(plan.nspawn))))  # fmt: skip
    if plan.enable:
        steps.append(Step("enable", "Start at host boot", action_command("enable", [plan.name])))
    if plan.start:
        steps.append(Step("start", "Start the machine", action_command("start", [plan.name])))
    return steps


class LocalCreation(Creation):
    """Runs ``plan`` here, made by a host once the plan was checked (:func:`.checks.plan_problem`)."""

    def __init__(self, plan: CreatePlan, ops: HostOps, tool: str = "") -> None:
        self.plan = plan
        self.ops = ops
        self.tool = tool
        what = plan.clone_source if plan.distro == "clone" else f"{plan.distro} {plan.release}"
        self.description = clean(f"{what.strip()} as {plan.name} in {plan.directory}")
        self.steps = plan_steps(plan, tool, ops.etc_dir)
        self.parser: DebootstrapProgress | PackageProgress | None = None
        if plan.distro in ("debian", "ubuntu"):
            self.parser = DebootstrapProgress()
        elif plan.distro in ("fedora", "arch"):
            self.parser = PackageProgress("dnf" if plan.distro == "fedora" else "pacman")
        self.tail: deque[str] = deque(maxlen=LOG_TAIL)
        self.stage = ""
        self.done = 0
        self.total: int | None = None
        self.fraction: float | None = None
        self._loop = asyncio.get_running_loop()
        self._started = self._loop.time()
        self._latest = CreateProgress(tuple(self.steps))
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._made: Made | None = None
        self._cloned = self._settings_written = self._enabled = False
        self._pending: asyncio.Future[object] | None = None  # the last step run in a thread
        self.pid: int | None = None  # the running tool's process (group) id

    # -- the Creation interface -------------------------------------------------

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._main(), name=f"create {self.plan.name}")

    async def updates(self) -> AsyncIterator[CreateProgress]:
        self.start()
        while True:
            try:
                await asyncio.wait_for(self._changed.wait(), TICK)
            except TimeoutError:
                self._publish()  # the elapsed time moves on
            self._changed.clear()
            progress = self._latest
            yield progress
            if progress.finished or progress.error:
                return

    async def cancel(self) -> None:
        task = self._task
        if task is None or task.done():
            return
        task.cancel()
        await asyncio.wait([task])

    async def wait(self) -> CreateProgress:
        """The last reading, once the creation has ended."""
        self.start()
        assert self._task is not None
        await asyncio.wait([self._task])
        return self._latest

    # -- running ----------------------------------------------------------------

    def _publish(self, *, finished: bool = False, error: str = "") -> None:
        self._latest = CreateProgress(
            steps=tuple(self.steps), stage=self.stage, done=self.done, total=self.total,
            fraction=self.fraction, log_tail=tuple(self.tail),
            elapsed=self._loop.time() - self._started, finished=finished, error=error,
        )  # fmt: skip
        self._changed.set()

    def _set(self, key: str, state: StepState, detail: str = "") -> None:
        self.steps = [replace(s, state=state, detail=clean(detail)) if s.key == key else s
                      for s in self.steps]  # fmt: skip
        self._publish()

    async def _main(self) -> None:
        current = ""
        try:
            for step in list(self.steps):
                current = step.key
                self._set(current, "running")
                await self._run_step(current)
                self._set(current, "done")
            self.stage, self.fraction = "Done", 1.0
            self._publish(finished=True)
        except asyncio.CancelledError:
            self._set(current, "cancelled", "cancelled")
            left = await self._undo()
            self._publish(error=f"cancelled: {self.plan.name} was not created{left}")
        except (StepFailed, HostError, OSError, SettingsError, fb.FirstBootError) as failure:
            self._set(current, "failed", str(failure))
            left = await self._undo()
            self._publish(error=clean(f"{str(failure)}{left}"))
        except Exception as bug:  # undone and said, then raised: a reader never waits forever
            self._set(current, "failed", repr(bug))
            left = await self._undo()
            self._publish(error=clean(f"internal error: {bug!r}{left}"))
            raise

    async def _run_step(self, key: str) -> None:
        plan, tree = self.plan, self.plan.tree
        if key == "bootstrap":
            made = await self._in_thread(make_tree, tree, plan.directory)
            assert isinstance(made, Made)
            self._made = made
            if plan.distro == "arch" and plan.mirror:
                await self._pacstrap_from_mirror()
            else:
                await self._run_tool(bootstrap_argv(plan, self.tool), self.parser)
            if isinstance(self.parser, DebootstrapProgress) and not self.parser.succeeded:
                raise StepFailed("debootstrap did not say the base system was installed")
            if plan.distro == "fedora" and self.parser is not None and not self.parser.succeeded:
                raise StepFailed("dnf did not say it completed the installation")
        elif key == "clone":
            assert self.ops.clone is not None
            self._cloned = True  # from here an undo removes the image
            await self.ops.clone(plan.clone_source, plan.name)
        elif key == "firstboot":
            await self._run_tool(fb.firstboot_argv(tree, plan.firstboot))
        elif key == "ssh-key":
            await self._in_thread(fb.write_authorized_key, tree, plan.firstboot.root_ssh_key)
        elif key == "networkd":
            await self._run_tool(fb.networkd_argv(tree))
        elif key == "settings":
            path = default_settings_path(plan.name, etc_dir=self.ops.etc_dir)
            text = settings_text(plan.nspawn)
            self._settings_written = True
            await self._in_thread(write_atomic, path, text)
        elif key == "enable":
            await self.ops.enable(plan.name)
            self._enabled = True
        elif key == "start":
            await self.ops.start(plan.name)

    async def _pacstrap_from_mirror(self) -> None:
        """pacstrap with a pacman.conf for the plan's mirror; the tree's mirror list the same."""
        plan = self.plan
        handle, conf = tempfile.mkstemp(prefix=f"nspawn-tui-{plan.name}-", suffix=".pacman.conf")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(pacman_conf_text(plan.mirror))
            await self._run_tool(bootstrap_argv(plan, self.tool, conf), self.parser)
        finally:
            os.unlink(conf)
        await self._in_thread(_write_mirrorlist, plan.tree, mirrorlist_text(plan.mirror))

    async def _in_thread(self, function: Callable[..., object], *args: object) -> object:
        """Run ``function`` in a thread; a cancel waits for it in :meth:`_undo`, never loses it."""
        future: asyncio.Future[object] = asyncio.ensure_future(asyncio.to_thread(function, *args))
        self._pending = future
        return await asyncio.shield(future)

    async def _run_tool(
        self, argv: Sequence[str], parser: DebootstrapProgress | PackageProgress | None = None
    ) -> None:
        env = {**os.environ, **TOOL_ENV}
        try:
            proc = await asyncio.create_subprocess_exec(
                *argv, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT, start_new_session=True, env=env, limit=1 << 20,
            )  # fmt: skip
        except OSError as error:
            raise StepFailed(f"cannot run {argv[0]}: {error.strerror or error}") from None
        self.pid = proc.pid
        try:
            assert proc.stdout is not None
            async for raw in _lines(proc.stdout):
                line = clean(raw.decode("utf-8", "replace").rstrip("\r\n"))[:LINE_MAX]
                self.tail.append(line)
                if parser is not None and parser.feed(line):
                    reading = parser.reading()
                    self.stage, self.done, self.total = reading.stage, reading.done, reading.total
                    self.fraction = reading.fraction
                self._publish()
            status = await proc.wait()
        except BaseException:
            await end_group(proc)  # cancelled or failed: the whole group ends
            raise
        finally:
            self.pid = None
        if status != 0:
            raise StepFailed(f"{os.path.basename(argv[0])} failed with exit status {status}")

    async def _undo(self) -> str:
        """Undo what this run made; "" when nothing is left, else what is (said in the error)."""
        left: list[str] = []
        name = self.plan.name
        pending = self._pending
        if pending is not None:
            await asyncio.wait([pending])  # a thread still writing: let it end first
            if self._made is None and not pending.cancelled() and pending.exception() is None:
                result = pending.result()
                self._made = result if isinstance(result, Made) else None
        if self._enabled and self.ops.disable is not None:
            try:
                await self.ops.disable(name)
            except HostError as error:
                left.append(f"still enabled ({error})")
        if self._settings_written:
            path = default_settings_path(name, etc_dir=self.ops.etc_dir)
            try:
                await asyncio.to_thread(path.unlink, True)
            except OSError as error:
                left.append(f"{path} ({error.strerror})")
        if self._made is not None:
            try:
                await asyncio.to_thread(remove_tree, self._made)
            except (RemoveError, OSError) as error:
                left.append(str(error))
        elif self._cloned and self.ops.remove_image is not None:
            try:
                await self.ops.remove_image(name)
            except HostError as error:
                if "no image" not in str(error):
                    left.append(f"the clone {name} ({error})")
        return f"; left behind: {'; '.join(left)}" if left else ""


def _write_mirrorlist(tree: str, text: str) -> None:
    """The tree's own mirror list (never through a link the packages put there)."""
    directory = os.path.join(tree, "etc", "pacman.d")
    os.makedirs(directory, mode=0o755, exist_ok=True)
    if os.path.islink(directory) or os.path.realpath(directory) != os.path.join(
        os.path.realpath(tree), "etc", "pacman.d"
    ):
        raise StepFailed(f"{directory} is not a directory of the new tree")
    path = os.path.join(directory, "mirrorlist")
    if os.path.islink(path):
        os.unlink(path)
    write_atomic(Path(path), text)


async def _lines(stream: asyncio.StreamReader) -> AsyncIterator[bytes]:
    """Lines of ``stream``; one longer than its limit is cut, never an error."""
    while True:
        try:
            line = await stream.readuntil(b"\n")
        except asyncio.IncompleteReadError as end:
            if end.partial:
                yield end.partial
            return
        except asyncio.LimitOverrunError as long:
            line = await stream.readexactly(long.consumed)
        yield line


async def end_group(proc: asyncio.subprocess.Process, grace: float = TERM_GRACE) -> None:
    """End ``proc`` and every process of its group: SIGTERM, ``grace`` seconds, SIGKILL."""
    if proc.returncode is None:
        _signal_group(proc.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(asyncio.shield(proc.wait()), grace)
        except TimeoutError:
            _signal_group(proc.pid, signal.SIGKILL)
            await proc.wait()
    _signal_group(proc.pid, signal.SIGKILL)  # children left in the group (dpkg, wget)


def _signal_group(pgid: int, signum: int) -> None:
    try:
        os.killpg(pgid, signum)
    except ProcessLookupError:
        return  # the group is empty: nothing left to end
