"""Several hosts as one :class:`Host`: a fleet.

Every machine is named ``HOST/NAME`` (:mod:`nspawn_tui.fleet.names`) and
carries its host's label in ``Machine.host``; ``Snapshot.hosts`` has one
:class:`HostStatus` per host, in the given order, and ``Snapshot.stats`` their
sum (:mod:`nspawn_tui.fleet.poller` polls them).  Every call about a machine is
routed to its host's *public* method with the plain name, so each host's own
read-only check applies too; names in results are qualified again.  The
fleet's own ``@mutating`` check runs first (its ``_do_*`` methods forward).
Machine events of every host come renamed on the fleet's hub; connection
events are the fleet's own ("LABEL: REASON", once per change).

Never imports Textual.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, TypeVar

from nspawn_tui.fleet.logs import merged_logs
from nspawn_tui.fleet.names import qualify, split
from nspawn_tui.fleet.poller import POLL_ERRORS, Member, Poller
from nspawn_tui.host.base import (
    Host,
    HostError,
    HostEvent,
    HostUnavailable,
    Image,
    Machine,
    MachineDetails,
    NoSuchMachine,
    SettingsText,
    Snapshot,
)

if TYPE_CHECKING:
    from nspawn_tui.create.model import CreatePlan, CreateSupport, Creation
    from nspawn_tui.host.images import Transfer
    from nspawn_tui.host.network import NetworkInfo
    from nspawn_tui.host.processes import ProcessTable
    from nspawn_tui.journal.records import LogEvent, LogOptions, LogRecord

#: How long a poll waits for the hosts (seconds); a host slower than this keeps
#: its last figures for this poll.
WAIT_S = 0.8
#: The first poll waits longer for hosts that are connected (``list`` prints one poll).
FIRST_WAIT_S = 5.0

T = TypeVar("T")
#: Why a fleet without this machine cannot create containers.
NO_LOCAL = (
    "containers are created on this machine only; add it to the fleet (--host local) "
    "to create one here"
)


class FleetHost(Host):
    """Several hosts (labels unique) as one; see the module docstring."""

    label = "fleet"

    def __init__(
        self,
        hosts: Sequence[Host],
        *,
        read_only: bool = False,
        groups: Sequence[str] | None = None,
        wait_s: float = WAIT_S,
        first_wait_s: float = FIRST_WAIT_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(read_only=read_only)
        if not hosts:
            raise ValueError("a fleet needs at least one host")
        labels = [host.label for host in hosts]
        twice = sorted({label for label in labels if labels.count(label) > 1})
        if twice:
            raise ValueError(f"host labels must be unique: {', '.join(twice)} given twice")
        bad = [label for label in labels if not label or "/" in label]
        if bad:
            raise ValueError(f"a host label must be a non-empty name without '/': {bad[0]!r}")
        if groups is not None and len(groups) != len(hosts):
            raise ValueError("groups: one per host")
        members = [
            Member(
                host=host,
                label=host.label,
                group=groups[index] if groups is not None else str(getattr(host, "group", "")),
                prefix=qualify(host.label, ""),
            )
            for index, host in enumerate(hosts)
        ]
        self._members = {member.label: member for member in members}
        self._poller = Poller(
            members, self.hub, wait_s=wait_s, first_wait_s=first_wait_s, clock=clock
        )
        self._relays: list[asyncio.Task[None]] = []
        self.description = f"{len(hosts)} hosts: {', '.join(labels)}"

    @property
    def hosts(self) -> list[Host]:
        return [member.host for member in self._members.values()]

    # ------------------------------------------------------------- connection

    async def connect(self) -> None:
        """Connect every host at once; fine when one does (the others are retried later)."""
        if not self._relays:
            self._relays = [
                asyncio.ensure_future(self._relay(member)) for member in self._members.values()
            ]
            await asyncio.sleep(0)  # let each subscribe before its host connects
        await self._poller.connect()
        members = self._members.values()
        if not any(member.connected for member in members):
            reasons = "; ".join(f"{m.label}: {m.error or 'still connecting'}" for m in members)
            raise HostUnavailable(f"no host of the fleet is reachable ({reasons})")

    async def _relay(self, member: Member) -> None:
        """The host's machine events, renamed, on the fleet's hub.

        Its connection events are not passed on: the fleet publishes its own
        when it finds the host down or back (once, with the host's label).
        """
        async for event in member.host.events():
            if event.name is not None:
                self.hub.publish(HostEvent(event.kind, member.prefix + event.name, event.message))

    async def close(self) -> None:
        relays, self._relays = self._relays, []
        for task in relays:
            task.cancel()
        if relays:
            await asyncio.wait(relays)
        await self._poller.close()
        results = await asyncio.gather(
            *(member.host.close() for member in self._members.values()), return_exceptions=True
        )
        for result in results:
            if isinstance(result, BaseException):
                raise result

    async def snapshot(self) -> Snapshot:
        return await self._poller.poll()

    def now(self) -> float:
        """The first host's clock: ``time.time()`` for real hosts (a demo fleet's is simulated)."""
        return next(iter(self._members.values())).host.now()

    # -------------------------------------------------------------- routing

    def _route(self, name: str) -> tuple[Member, str]:
        label, plain = split(name)
        member = self._members.get(label)
        if member is None or not plain:
            raise NoSuchMachine(f"no host of the fleet has a machine called {name!r}")
        return member, plain

    def _same_host(self, member: Member, new_name: str, action: str) -> str:
        label, plain = split(new_name)
        if label and label != member.label:
            raise HostError(f"{action} stays on its host: {new_name!r} is not on {member.label}")
        return plain

    def _asked(self) -> list[Member]:
        """The hosts to ask for a list: those up (all of them when none is)."""
        members = list(self._members.values())
        return [m for m in members if m.connected] or members

    @staticmethod
    async def _from_each(
        members: Sequence[Member], ask: Callable[[Host], Awaitable[list[T]]]
    ) -> list[list[T]]:
        """``ask`` of each host at once, in order; a host that fails gives [] (the
        snapshot says it is down) unless every host failed."""
        results = await asyncio.gather(*(ask(m.host) for m in members), return_exceptions=True)
        answers: list[list[T]] = []
        errors: list[BaseException] = []
        for result in results:
            if isinstance(result, BaseException):
                if not isinstance(result, POLL_ERRORS):
                    raise result
                errors.append(result)
                answers.append([])
            else:
                answers.append(result)
        if errors and len(errors) == len(results):
            raise errors[0]
        return answers

    async def list_machines(self) -> list[Machine]:
        members = self._asked()
        lists = await self._from_each(members, lambda host: host.list_machines())
        found: list[Machine] = []
        for member, machines in zip(members, lists, strict=True):
            found += [replace(m, name=member.prefix + m.name, host=member.label) for m in machines]
        return found

    async def list_images(self) -> list[Image]:
        members = self._asked()
        lists = await self._from_each(members, lambda host: host.list_images())
        found: list[Image] = []
        for member, images in zip(members, lists, strict=True):
            found += [replace(image, name=member.prefix + image.name) for image in images]
        return found

    async def machine_details(self, name: str) -> MachineDetails:
        member, plain = self._route(name)
        details = await member.host.machine_details(plain)
        return replace(
            details,
            machine=replace(details.machine, name=name, host=member.label),
            image=None if details.image is None else replace(details.image, name=name),
        )

    async def image(self, name: str) -> Image:
        member, plain = self._route(name)
        return replace(await member.host.image(plain), name=name)

    async def network(self, name: str) -> NetworkInfo:
        member, plain = self._route(name)
        return await member.host.network(plain)

    def watch_network(self, names: Sequence[str]) -> None:
        self.watched_network = tuple(names)
        per_host: dict[str, list[str]] = {label: [] for label in self._members}
        for name in names:
            label, plain = split(name)
            if label in per_host and plain:
                per_host[label].append(plain)
        for label, plain_names in per_host.items():
            self._members[label].host.watch_network(plain_names)

    async def processes(self, name: str) -> ProcessTable:
        member, plain = self._route(name)
        return replace(await member.host.processes(plain), machine=name)

    async def unit_limits(self, name: str) -> dict[str, str]:
        member, plain = self._route(name)
        return await member.host.unit_limits(plain)

    async def read_settings(self, name: str) -> SettingsText:
        member, plain = self._route(name)
        return await member.host.read_settings(plain)

    def follow_logs(self, names: Sequence[str], options: LogOptions) -> AsyncIterator[LogEvent]:
        groups: dict[str, tuple[Host, list[str]]] = {}
        unknown: list[str] = []
        for name in dict.fromkeys(names):
            label, plain = split(name)
            member = self._members.get(label)
            if member is None or not plain:
                unknown.append(name)
                continue
            groups.setdefault(member.prefix, (member.host, []))[1].append(plain)
        return merged_logs(groups, unknown, options)

    async def log_record(self, record: LogRecord) -> dict[str, str]:
        member, plain = self._route(record.machine)
        return await member.host.log_record(replace(record, machine=plain))

    # ---------------------------------------------------------------- actions

    async def _do_start(self, name: str) -> None:
        member, plain = self._route(name)
        await member.host.start(plain)

    async def _do_poweroff(self, name: str) -> None:
        member, plain = self._route(name)
        await member.host.poweroff(plain)

    async def _do_reboot(self, name: str) -> None:
        member, plain = self._route(name)
        await member.host.reboot(plain)

    async def _do_terminate(self, name: str) -> None:
        member, plain = self._route(name)
        await member.host.terminate(plain)

    async def _do_kill(self, name: str, signal: int, who: str) -> None:
        member, plain = self._route(name)
        await member.host.kill(plain, signal, who)

    async def _do_enable(self, name: str, enable: bool) -> None:
        member, plain = self._route(name)
        await (member.host.enable(plain) if enable else member.host.disable(plain))

    async def _do_open_shell(self, name: str, user: str, command: Sequence[str]) -> int:
        member, plain = self._route(name)
        return await member.host.open_shell(plain, user, command)

    async def _do_open_login(self, name: str) -> int:
        member, plain = self._route(name)
        return await member.host.open_login(plain)

    async def _do_set_limits(self, name: str, values: dict[str, str], runtime: bool) -> None:
        member, plain = self._route(name)
        await member.host.set_limits(plain, values, runtime)

    async def _do_write_settings(self, name: str, text: str) -> str:
        member, plain = self._route(name)
        return await member.host.write_settings(plain, text)

    async def _do_signal_process(self, name: str, pid: int, signal: int) -> None:
        member, plain = self._route(name)
        await member.host.signal_process(plain, pid, signal)

    async def _do_clone_image(self, name: str, new_name: str, read_only: bool) -> None:
        member, plain = self._route(name)
        new_plain = self._same_host(member, new_name, "a clone")
        await member.host.clone_image(plain, new_plain, read_only)

    async def _do_rename_image(self, name: str, new_name: str) -> None:
        member, plain = self._route(name)
        new_plain = self._same_host(member, new_name, "a renamed image")
        await member.host.rename_image(plain, new_plain)

    async def _do_remove_image(self, name: str) -> None:
        member, plain = self._route(name)
        await member.host.remove_image(plain)

    async def _do_set_image_read_only(self, name: str, read_only: bool) -> None:
        member, plain = self._route(name)
        await member.host.set_image_read_only(plain, read_only)

    async def _do_set_image_limit(self, name: str, limit: int) -> None:
        member, plain = self._route(name)
        await member.host.set_image_limit(plain, limit)

    async def _do_import_image(
        self, path: str, name: str, kind: str, read_only: bool, force: bool
    ) -> Transfer:
        label, plain = split(name)
        if label not in self._members:
            hosts = ", ".join(self._members)
            raise HostError(f"name the host of the new image: HOST/{plain} (HOST one of {hosts})")
        member, plain = self._route(name)
        return await member.host.import_image(path, plain, kind, read_only=read_only, force=force)

    async def _do_export_image(self, name: str, path: str, kind: str) -> Transfer:
        member, plain = self._route(name)
        return await member.host.export_image(plain, path, kind)

    # ------------------------------------------------- creating (this machine only)

    def _local(self) -> Member | None:
        return self._members.get("local")

    async def create_support(self) -> CreateSupport:
        member = self._local()
        if member is None:
            support = await Host.create_support(self)
            return replace(support, refusal=NO_LOCAL)
        return await member.host.create_support()

    async def _do_create_container(self, plan: CreatePlan) -> Creation:
        member = self._local()
        if member is None:
            raise HostError(f"create {plan.name}: {NO_LOCAL}")
        label, plain = split(plan.name)
        if label and label != member.label:
            raise HostError(f"create {plan.name}: {NO_LOCAL}")
        source_label, source = split(plan.clone_source) if plan.clone_source else ("", "")
        if source_label and source_label != member.label:
            raise HostError(f"create {plan.name}: a clone stays on its host ({plan.clone_source})")
        local_plan = replace(plan, name=plain, clone_source=source)
        return await member.host.create_container(local_plan)
