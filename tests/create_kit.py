"""A scripted creation for the create form and progress tests: no timing, no simulation.

:class:`ScriptedCreation` yields the readings a test pushes (``push``), one
by one; ``cancel`` is recorded and answered with a cancelled reading.
:class:`CreateHost` is the frozen demo host whose ``create_support`` is fixed
(debootstrap available, pacstrap not) and whose ``create_container`` records
the plan and hands back the scripted creation; ``start`` is recorded.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

from nspawn_tui.create.model import (
    Bootstrapper,
    CreatePlan,
    CreateProgress,
    CreateSupport,
    Creation,
    Step,
)
from nspawn_tui.host.demo.host import DemoHost

SUPPORT = CreateSupport(
    bootstrappers=(
        Bootstrapper(
            ("debian", "ubuntu"), "debootstrap", "debootstrap", True, "/usr/sbin/debootstrap"
        ),
        Bootstrapper(("arch",), "pacstrap", "arch-install-scripts", False),
        Bootstrapper(("fedora",), "dnf", "dnf", False),
    ),
    default_mirror="http://deb.debian.org/debian",
    existing=frozenset({"web", "db", "debian-base"}),
)

TREE = "/var/lib/machines/web1"
STEPS = (
    Step(
        "bootstrap",
        "Bootstrap Debian bookworm",
        "debootstrap --variant=minbase --include=systemd,dbus,systemd-sysv bookworm "
        f"{TREE} http://deb.debian.org/debian",
    ),
    Step("firstboot", "First boot setup", f"systemd-firstboot --root={TREE} --hostname=web1"),
    Step("settings", "Write web1.nspawn", "cat > /etc/systemd/nspawn/web1.nspawn <<'EOF' ..."),
    Step("enable", "Enable at boot", "machinectl enable web1"),
)


def steps(*states: str) -> tuple[Step, ...]:
    """The four steps with these states (the rest pending)."""
    padded = (*states, *("pending",) * (len(STEPS) - len(states)))
    return tuple(replace(step, state=state) for step, state in zip(STEPS, padded, strict=True))  # type: ignore[arg-type]


RETRIEVING = CreateProgress(
    steps("running"),
    stage="Retrieving",
    done=37,
    total=120,
    fraction=0.2,
    log_tail=(
        "I: Retrieving InRelease",
        "I: Checking Release signature",
        "I: Valid Release signature (key id 4D64FEC119C2029067D6E791F8D2585B8783D481)",
        "I: Retrieving Packages",
        "I: Validating Packages",
        "I: Resolving dependencies of required packages...",
        "I: Retrieving libc6 2.36-9+deb12u4",
    ),
    elapsed=12.0,
)
DONE = CreateProgress(
    steps("done", "done", "done", "done"),
    fraction=1.0,
    log_tail=("I: Base system installed successfully.",),
    elapsed=41.0,
    finished=True,
)


class ScriptedCreation(Creation):
    description = "Debian bookworm as web1 in /var/lib/machines"

    def __init__(self) -> None:
        self.queue: asyncio.Queue[CreateProgress] = asyncio.Queue()
        self.cancelled = 0

    def push(self, *readings: CreateProgress) -> None:
        for reading in readings:
            self.queue.put_nowait(reading)

    async def updates(self) -> AsyncIterator[CreateProgress]:
        while True:
            reading = await self.queue.get()
            yield reading
            if reading.finished or reading.error:
                return

    async def cancel(self) -> None:
        self.cancelled += 1
        self.push(
            CreateProgress(
                steps("cancelled"),
                log_tail=RETRIEVING.log_tail,
                elapsed=13.0,
                error="cancelled: the tree was removed",
            )
        )


class CreateHost(DemoHost):
    """The frozen demo host with a fixed create support and a scripted creation."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(seed=1, frozen=True, **kwargs)
        self.creation = ScriptedCreation()
        self.plans: list[CreatePlan] = []
        self.started: list[str] = []
        self.support = SUPPORT

    async def create_support(self) -> CreateSupport:
        return self.support

    async def _do_create_container(self, plan: CreatePlan) -> Creation:
        self.plans.append(plan)
        return self.creation

    async def _do_start(self, name: str) -> None:
        self.started.append(name)


def fake_hash(clear: str) -> str:
    """Stands for hash_password in tests that must not run openssl (never the clear text)."""
    return "$6$salt$" + "h" * 86
