"""FleetHost as one Host: qualified names, routing to the right host, read-only,
events and merged journals (with demo hosts and small fakes)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from fleet_fakes import FakeHost

from nspawn_tui.create.model import CreatePlan
from nspawn_tui.fleet.host import FleetHost
from nspawn_tui.host.base import (
    EventKind,
    HostError,
    HostEvent,
    NoSuchMachine,
    ReadOnlyError,
    mutating_methods,
)
from nspawn_tui.host.demo.host import DemoHost
from nspawn_tui.journal.records import LogBatch, LogEvent, LogOptions, SourceStatus


def demos(count: int = 2, *, read_only: bool = False) -> list[DemoHost]:
    hosts = []
    for index in range(count):
        host = DemoHost(seed=1 + index, machines=12, frozen=True, read_only=read_only)
        host.label = f"demo{index + 1}"
        hosts.append(host)
    return hosts


def test_labels_must_be_unique_and_usable() -> None:
    with pytest.raises(ValueError, match="unique: a given twice"):
        FleetHost([FakeHost("a"), FakeHost("b"), FakeHost("a")])
    with pytest.raises(ValueError, match="without '/'"):
        FleetHost([FakeHost("a/b")])
    with pytest.raises(ValueError, match="at least one"):
        FleetHost([])
    fleet = FleetHost([FakeHost("local"), FakeHost("web1"), FakeHost("web2")])
    assert fleet.description == "3 hosts: local, web1, web2"
    assert fleet.label == "fleet"


async def test_machines_and_samples_carry_qualified_names_and_their_host() -> None:
    one, two = demos()
    two.group = "production"  # type: ignore[attr-defined]  # as a remote host has it
    fleet = FleetHost([one, two])
    await fleet.connect()
    snapshot = await fleet.snapshot()
    own = [m.name for m in (await one.snapshot()).machines]
    names = [m.name for m in snapshot.machines]
    assert names[: len(own)] == [f"demo1/{name}" for name in own]  # host by host, in order
    assert "demo2/web" in names and len(names) == 2 * len(own)
    assert all(m.host == m.name.split("/")[0] for m in snapshot.machines)
    assert set(snapshot.samples) == {m.name for m in snapshot.machines if m.running}
    assert [(s.label, s.description, s.connected, s.group) for s in snapshot.hosts] == [
        ("demo1", one.description, True, ""),
        ("demo2", two.description, True, "production"),
    ]
    assert snapshot.hosts[0].stats is not None
    assert [m.name for m in await fleet.list_machines()] == names
    images = [image.name for image in await fleet.list_images()]
    assert "demo1/debian-base" in images and "demo2/debian-base" in images
    groups = FleetHost(demos(), groups=["a", "b"])
    assert [s.group for s in (await groups.snapshot()).hosts] == ["a", "b"]
    await fleet.close()


async def test_start_on_one_host_reaches_that_host_only() -> None:
    one, two = demos()
    fleet = FleetHost([one, two])
    await fleet.connect()
    await fleet.start("demo2/debian-base")
    assert (await two.machine_details("debian-base")).machine.running
    assert not (await one.machine_details("debian-base")).machine.running
    details = await fleet.machine_details("demo2/debian-base")
    assert details.machine.name == "demo2/debian-base" and details.machine.host == "demo2"
    assert details.image is not None and details.image.name == "demo2/debian-base"
    assert (await fleet.image("demo1/fedora-golden")).name == "demo1/fedora-golden"
    table = await fleet.processes("demo2/web")
    assert table.machine == "demo2/web" and table.processes()
    assert (await fleet.network("demo1/web")).mode == (await one.network("web")).mode
    assert await fleet.unit_limits("demo1/web") == await one.unit_limits("web")
    assert (await fleet.read_settings("demo2/web")).path.endswith("/web.nspawn")
    await fleet.close()


@pytest.mark.parametrize("name", ["demo3/web", "web", "demo1/", "/web"])
async def test_a_name_of_no_host_is_no_such_machine(name: str) -> None:
    fleet = FleetHost(demos())
    with pytest.raises(NoSuchMachine):
        await fleet.machine_details(name)
    with pytest.raises(NoSuchMachine):
        await fleet.start(name)


#: Arguments of each mutating method (names qualified: all on demo2).
ARGUMENTS: dict[str, dict[str, Any]] = {
    "start": {"name": "demo2/debian-base"},
    "poweroff": {"name": "demo2/web"},
    "reboot": {"name": "demo2/web"},
    "terminate": {"name": "demo2/web"},
    "kill": {"name": "demo2/web", "signal": 9, "who": "all"},
    "enable": {"name": "demo2/web"},
    "disable": {"name": "demo2/web"},
    "open_shell": {"name": "demo2/web", "user": "root", "command": ["/bin/true"]},
    "open_login": {"name": "demo2/web"},
    "set_limits": {"name": "demo2/web", "values": {"MemoryMax": "300M"}, "runtime": True},
    "write_settings": {"name": "demo2/web", "text": "[Exec]\nBoot=yes\n"},
    "signal_process": {"name": "demo2/web", "pid": 1, "signal": 15},
    "clone_image": {"name": "demo2/debian-base", "new_name": "copy", "read_only": True},
    "rename_image": {"name": "demo2/debian-base", "new_name": "demo2/renamed"},
    "remove_image": {"name": "demo2/debian-base"},
    "set_image_read_only": {"name": "demo2/debian-base", "read_only": True},
    "set_image_limit": {"name": "demo2/debian-base", "limit": 2**30},
    "import_image": {"path": "/tmp/rootfs.tar", "name": "demo2/new", "kind": "tar"},
    "export_image": {"name": "demo2/debian-base", "path": "/tmp/out.tar", "kind": "tar"},
    # only on the fleet's "local" member: see test_a_creation_goes_to_the_local_member_only
    "create_container": {"plan": CreatePlan(name="local/new", distro="debian", release="bookworm")},
}


def spy_on(host: DemoHost, calls: list[tuple[str, str, tuple[Any, ...]]]) -> None:
    """Replace every ``_do_*`` of ``host`` by a recorder of (host, method, arguments)."""

    def recorder(method: str) -> Callable[..., Awaitable[Any]]:
        async def record(*args: Any) -> Any:
            calls.append((host.label, method, args))
            return 0

        return record

    for attr in dir(type(host)):
        if attr.startswith("_do_"):
            setattr(host, attr, recorder(attr))


async def test_every_mutating_method_reaches_its_host_with_the_plain_name() -> None:
    one, two = demos()
    calls: list[tuple[str, str, tuple[Any, ...]]] = []
    spy_on(one, calls)
    spy_on(two, calls)
    fleet = FleetHost([one, two])
    methods = mutating_methods(FleetHost)
    assert set(methods) == set(ARGUMENTS)  # a newly marked method needs an entry here
    for method in sorted(set(methods) - {"create_container"}):
        calls.clear()
        await getattr(fleet, method)(**ARGUMENTS[method])
        assert len(calls) == 1, method
        label, _, args = calls[0]
        assert label == "demo2", method
        plain = [arg for arg in args if isinstance(arg, str) and "demo" in arg]
        assert plain == [], (method, args)  # no qualified name reaches the host
    calls.clear()
    await fleet.rename_image("demo2/debian-base", "demo2/renamed")
    assert calls == [("demo2", "_do_rename_image", ("debian-base", "renamed"))]


async def test_a_creation_goes_to_the_local_member_only() -> None:
    one, two = demos()
    calls: list[tuple[str, str, tuple[Any, ...]]] = []
    spy_on(one, calls)
    spy_on(two, calls)
    with pytest.raises(HostError, match="create local/new"):
        await FleetHost([one, two]).create_container(**ARGUMENTS["create_container"])
    assert calls == []  # no local member: refused before any host is asked
    one.label = "local"
    fleet = FleetHost([one, two])
    await fleet.create_container(**ARGUMENTS["create_container"])
    assert [(label, method) for label, method, _ in calls] == [("local", "_do_create_container")]
    (plan,) = calls[0][2]
    assert plan.name == "new"  # the plain name reaches the host
    with pytest.raises(HostError, match="create demo2/other"):
        await fleet.create_container(CreatePlan(name="demo2/other", distro="debian"))


async def test_images_stay_on_their_host_and_an_import_names_its_host() -> None:
    fleet = FleetHost(demos())
    with pytest.raises(HostError, match="stays on its host"):
        await fleet.clone_image("demo1/debian-base", "demo2/copy")
    with pytest.raises(HostError, match="stays on its host"):
        await fleet.rename_image("demo1/debian-base", "demo2/copy")
    with pytest.raises(HostError, match=r"name the host of the new image: HOST/new \(HOST one"):
        await fleet.import_image("/tmp/x.tar", "new", "tar")
    await fleet.clone_image("demo1/debian-base", "copy")
    assert "demo1/copy" in [image.name for image in await fleet.list_images()]
    assert "demo2/copy" not in [image.name for image in await fleet.list_images()]


async def test_a_read_only_fleet_refuses_everything_before_any_host_is_asked() -> None:
    one, two = demos()
    calls: list[tuple[str, str, tuple[Any, ...]]] = []
    spy_on(one, calls)
    spy_on(two, calls)
    fleet = FleetHost([one, two], read_only=True)
    for method, action in sorted(mutating_methods(FleetHost).items()):
        refused = fleet.refusal(method)
        assert refused is not None and action in str(refused)
        with pytest.raises(ReadOnlyError, match="--read-only"):
            await getattr(fleet, method)(**ARGUMENTS[method])
    assert calls == []
    assert FleetHost(demos()).refusal("start") is None


async def test_a_read_only_host_in_a_writable_fleet_refuses_itself() -> None:
    one = demos(1)[0]
    two = DemoHost(seed=2, frozen=True, read_only=True)
    two.label = "demo2"
    fleet = FleetHost([one, two])
    with pytest.raises(ReadOnlyError):
        await fleet.start("demo2/debian-base")
    await fleet.start("demo1/debian-base")
    assert (await one.machine_details("debian-base")).machine.running


async def test_events_of_every_host_come_qualified() -> None:
    one, two = demos()
    fleet = FleetHost([one, two])
    seen: asyncio.Queue[HostEvent] = asyncio.Queue()

    async def listen() -> None:
        async for event in fleet.events():
            seen.put_nowait(event)

    listener = asyncio.ensure_future(listen())
    await asyncio.sleep(0)
    await fleet.connect()
    await fleet.start("demo2/debian-base")
    await fleet.poweroff("demo1/web")
    one.hub.publish(HostEvent(EventKind.DISCONNECTED, message="demo1's own"))  # not passed on
    event = await asyncio.wait_for(seen.get(), 1)
    assert (event.kind, event.name) == (EventKind.MACHINE_NEW, "demo2/debian-base")
    one._set_state("web", "stopped")  # what a clean power-off ends with
    event = await asyncio.wait_for(seen.get(), 1)
    assert (event.kind, event.name) == (EventKind.MACHINE_REMOVED, "demo1/web")
    await asyncio.sleep(0.01)
    assert seen.empty()
    listener.cancel()
    await fleet.close()


async def collect(events: Any, until: Callable[[list[LogEvent]], bool]) -> list[LogEvent]:
    found: list[LogEvent] = []
    async for event in events:
        found.append(event)
        if until(found):
            break
    await events.aclose()
    return found


async def test_merged_logs_of_two_hosts_carry_qualified_machine_names() -> None:
    one, two = demos()
    fleet = FleetHost([one, two])
    names = ["demo1/web", "demo2/web", "demo2/debian-base", "demo9/x"]
    events = await collect(
        fleet.follow_logs(names, LogOptions(lines=20, follow=False)), lambda found: False
    )
    batches = [e for e in events if isinstance(e, LogBatch)]
    machines = {record.machine for batch in batches for record in batch.records}
    assert machines == {"demo1/web", "demo2/web", "demo2/debian-base"}
    assert all(r.machine == b.machine for b in batches for r in b.records)
    statuses = {(e.machine, e.state) for e in events if isinstance(e, SourceStatus)}
    assert ("demo9/x", "error") in statuses
    assert ("demo2/debian-base", "stopped") in statuses
    record = next(r for b in batches for r in b.records if r.machine == "demo2/web")
    fields = await fleet.log_record(record)
    assert fields["MESSAGE"] == record.message


async def test_followed_logs_of_two_hosts_keep_coming_until_closed() -> None:
    fleet = FleetHost(demos())
    stream = fleet.follow_logs(["demo1/web", "demo2/db"], LogOptions(lines=0, follow=True))
    live: set[str] = set()

    def both(found: list[LogEvent]) -> bool:
        for event in found[-1:]:
            if isinstance(event, LogBatch) and event.records:
                live.add(event.machine)
        return live == {"demo1/web", "demo2/db"}

    await asyncio.wait_for(collect(stream, both), 10)
    assert live == {"demo1/web", "demo2/db"}


def test_watch_network_tells_each_host_its_own_machines() -> None:
    one, two = demos()
    fleet = FleetHost([one, two])
    fleet.watch_network(["demo1/web", "demo2/db", "demo2/cache", "nohost"])
    assert fleet.watched_network == ("demo1/web", "demo2/db", "demo2/cache", "nohost")
    assert one.watched_network == ("web",)
    assert two.watched_network == ("db", "cache")
