"""A simulated container creation on the demo host: a mixin of :class:`~nspawn_tui.host.demo.host.DemoHost`.

The bootstrap makes debootstrap-like ``I:`` lines (retrieving, validating,
extracting, unpacking, configuring a fixed set of packages) over
:attr:`DemoCreate.create_seconds` of the injectable clock and feeds them to
the real parser (:mod:`nspawn_tui.create.progress`), so the stages, counts
and fraction are what a real run shows; the later steps take a moment each.
At the end the new machine is a stopped image of the simulation (started
when the plan asks).  Cancel stops it at once and adds nothing.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Final, cast

from nspawn_tui.host.base import Host, HostError
from nspawn_tui.host.demo.sim import MachineSpec, SimMachine

if TYPE_CHECKING:
    from nspawn_tui.create.model import CreatePlan, CreateProgress, CreateSupport, Creation

REQUIRED: Final = ("adduser", "apt", "base-files", "base-passwd", "bash", "coreutils", "dash",
                   "debconf", "debian-archive-keyring", "diffutils", "dpkg", "findutils",
                   "gpgv", "grep", "gzip", "hostname", "init-system-helpers", "libc6",
                   "libc-bin", "login", "mawk", "mount", "ncurses-base", "passwd",
                   "perl-base", "sed", "sysvinit-utils", "tar", "tzdata", "util-linux",
                   "zlib1g", "systemd", "libsystemd-shared", "libsystemd0", "udev")  # fmt: skip
BASE: Final = ("dbus", "dbus-bin", "dbus-daemon", "dbus-system-bus-common", "libdbus-1-3",
               "libexpat1", "systemd-sysv")  # fmt: skip
STEP_SECONDS: Final = 0.15  # each step after the bootstrap
TICK: Final = 0.05


def demo_lines(release: str) -> list[str]:
    """The simulated debootstrap output."""
    lines = ["I: Retrieving InRelease ", "I: Retrieving Packages ", "I: Validating Packages ",
             "I: Resolving dependencies of required packages...",
             "I: Resolving dependencies of base packages...",
             "I: Checking component main on http://deb.debian.org/debian..."]  # fmt: skip
    for number, name in enumerate(REQUIRED + BASE):
        version = f"1.{number}-{release or 'demo'}"
        lines += [f"I: Retrieving {name} {version}", f"I: Validating {name} {version}"]
    lines += [f"I: Extracting {name}..." for name in REQUIRED]
    lines += ["I: Installing core packages...", "I: Unpacking required packages..."]
    lines += [f"I: Unpacking {name}..." for name in REQUIRED]
    lines.append("I: Configuring required packages...")
    lines += [f"I: Configuring {name}..." for name in REQUIRED]
    lines.append("I: Unpacking the base system...")
    lines += [f"I: Unpacking {name}..." for name in BASE]
    lines.append("I: Configuring the base system...")
    lines += [f"I: Configuring {name}..." for name in BASE]
    return [*lines, "I: Base system installed successfully."]


def demo_creation(
    host: DemoCreate, plan: CreatePlan, clock: Callable[[], float], seconds: float
) -> Creation:
    from nspawn_tui.create.model import CreateProgress, Creation, StepState
    from nspawn_tui.create.progress import DebootstrapProgress
    from nspawn_tui.create.runner import LOG_TAIL, plan_steps

    class _Creation(Creation):
        def __init__(self) -> None:
            what = plan.clone_source if plan.distro == "clone" else f"{plan.distro} {plan.release}"
            self.description = f"{what.strip()} as {plan.name} in {plan.directory} (simulated)"
            self.steps = plan_steps(plan)
            self.cancelled = asyncio.Event()
            self.over = False
            self.last: CreateProgress | None = None

        def _progress(self, started: float, reading: CreateProgress) -> CreateProgress:
            self.last = replace(reading, steps=tuple(self.steps), elapsed=clock() - started)
            return self.last

        def _mark(self, key: str, state: StepState) -> None:
            self.steps = [replace(s, state=state) if s.key == key else s for s in self.steps]

        async def _pause(self, seconds: float) -> None:
            try:
                await asyncio.wait_for(self.cancelled.wait(), seconds)
            except TimeoutError:
                return

        async def updates(self) -> AsyncIterator[CreateProgress]:
            if self.over and self.last is not None:
                yield self.last
                return
            started = clock()
            parser = DebootstrapProgress(expected=len(REQUIRED + BASE))
            tail: list[str] = []
            for step in list(self.steps):
                self._mark(step.key, "running")
                if step.key == "bootstrap":
                    lines = demo_lines(plan.release)
                    fed = 0
                    while fed < len(lines) and not self.cancelled.is_set():
                        due = int(len(lines) * min(1.0, (clock() - started) / max(seconds, 1e-3)))
                        for line in lines[fed : max(due, fed + 1)]:
                            parser.feed(line)
                            tail = [*tail, line][-LOG_TAIL:]
                        fed = max(due, fed + 1)
                        r = parser.reading()
                        yield self._progress(started, CreateProgress(
                            (), r.stage, r.done, r.total, r.fraction, tuple(tail)))  # fmt: skip
                        await self._pause(TICK)
                else:
                    yield self._progress(
                        started, CreateProgress((), "Done", 0, None, 1.0, tuple(tail))
                    )
                    await self._pause(STEP_SECONDS)
                if self.cancelled.is_set():
                    self._mark(step.key, "cancelled")
                    self.over = True
                    error = f"cancelled: {plan.name} was not created"
                    yield self._progress(started, CreateProgress((), error=error))
                    return
                self._mark(step.key, "done")
            try:
                await host._demo_created(plan)
            except HostError as error:
                self.over = True
                yield self._progress(started, CreateProgress((), error=str(error)))
                return
            self.over = True
            done = CreateProgress((), "Done", 0, None, 1.0, tuple(tail), finished=True)
            yield self._progress(started, done)

        async def cancel(self) -> None:
            if not self.over:
                self.cancelled.set()

    return _Creation()


class DemoCreate:
    """Creation on the simulation; ``create_seconds`` and ``create_clock`` are for tests."""

    _machines: dict[str, SimMachine]
    create_seconds: float = 3.0
    create_clock: Callable[[], float] = staticmethod(time.monotonic)

    def _add_machine(self, spec: MachineSpec) -> SimMachine:
        raise NotImplementedError

    async def create_support(self) -> CreateSupport:
        from nspawn_tui.create.model import Bootstrapper, CreateSupport

        tools = (
            Bootstrapper(("debian", "ubuntu"), "debootstrap", "debootstrap", True,
                         "/usr/sbin/debootstrap"),
            Bootstrapper(("arch",), "pacstrap", "arch-install-scripts", False),
            Bootstrapper(("fedora",), "dnf", "dnf", False),
        )  # fmt: skip
        return CreateSupport(
            tools, "http://deb.debian.org/debian", existing=frozenset(self._machines)
        )

    async def _do_create_container(self, plan: CreatePlan) -> Creation:
        from nspawn_tui.create.checks import plan_problem
        from nspawn_tui.nspawn.settings import default_settings_path

        support = await self.create_support()

        def exists(path: str) -> bool:  # bind sources are this machine's; nothing else is
            return path not in (plan.tree, str(default_settings_path(plan.name))) and (
                os.path.exists(path)
            )

        problem = plan_problem(plan, support, exists=exists, isdir=lambda path: True)
        if problem is not None:
            raise HostError(f"create {plan.name}: {problem}")
        return demo_creation(self, plan, self.create_clock, self.create_seconds)

    async def _demo_created(self, plan: CreatePlan) -> None:
        if plan.name in self._machines:
            raise HostError(f"create {plan.name}: a machine of that name appeared meanwhile")
        source = self._machines.get(plan.clone_source) if plan.distro == "clone" else None
        os_id = source.spec.os_id if source is not None else plan.distro
        spec = MachineSpec(plan.name, os_id if os_id in ("debian", "ubuntu", "arch", "fedora")
                           else "debian", state="stopped", enabled=plan.enable)  # fmt: skip
        self._add_machine(spec)
        host = cast(Host, self)
        if plan.start:
            await host.start(plan.name)
