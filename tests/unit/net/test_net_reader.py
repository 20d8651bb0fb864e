"""The network reader: modes, stale leaders and failures (a fake /proc), and,
as root, a real veth and a private namespace in throwaway namespaces."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from pyroute2.netlink.exceptions import NetlinkError
from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg

from nspawn_tui.host.base import Machine
from nspawn_tui.host.network import HOST_NETWORK, PRIVATE, UNAVAILABLE
from nspawn_tui.net import iproute as iproute_module
from nspawn_tui.net import reader as reader_module
from nspawn_tui.net.reader import NetFigures, NetworkReader

ROOT = Path(__file__).resolve().parents[3]


def fake_proc(tmp_path: Path) -> Path:
    """self and 100 share a namespace (the host's); 300 has another; 200 is gone."""
    proc = tmp_path / "proc"
    for pid in ("self", "100", "300"):
        (proc / pid / "ns").mkdir(parents=True)
    (proc / "self" / "ns" / "net").write_text("host")
    os.link(proc / "self" / "ns" / "net", proc / "100" / "ns" / "net")
    (proc / "300" / "ns" / "net").write_text("not a namespace")
    return proc


def test_modes_from_the_leaders_namespace(tmp_path: Path) -> None:
    reader = NetworkReader(proc=fake_proc(tmp_path))
    try:
        figures = reader.sweep(
            [
                Machine("host-net", leader=100),
                Machine("stale", leader=200),
                Machine("odd", leader=300),
                Machine("stopped", state="stopped"),
                Machine("no-leader", leader=None),
            ]
        )
    finally:
        reader.close()
    assert set(figures) == {"host-net", "stale", "odd"}  # nothing for machines not running
    assert figures["host-net"].mode == HOST_NETWORK
    assert figures["host-net"].rx_bps is None and figures["host-net"].tx_bps is None
    assert figures["stale"] == NetFigures(UNAVAILABLE, reason="leader process 200 is gone")
    assert figures["odd"].mode == UNAVAILABLE and figures["odd"].reason.startswith(
        "no namespace id"
    )


def test_our_own_process_is_host_networked() -> None:
    reader = NetworkReader()
    try:
        figures = reader.sweep([Machine("me", leader=os.getpid())])
        detail = reader.details(Machine("me", leader=os.getpid()))
    finally:
        reader.close()
    assert figures["me"].mode == HOST_NETWORK and figures["me"].rx_bps is None
    assert detail.mode == HOST_NETWORK and detail.interfaces == () and detail.rx_bps is None


def test_a_leader_that_changes_is_resolved_again(tmp_path: Path) -> None:
    proc = fake_proc(tmp_path)
    reader = NetworkReader(proc=proc)
    try:
        assert reader.sweep([Machine("m", leader=100)])["m"].mode == HOST_NETWORK
        # the machine rebooted: a new leader; the old one's PID now names something else
        os.unlink(proc / "100" / "ns" / "net")
        (proc / "100" / "ns" / "net").write_text("reused")
        assert reader.sweep([Machine("m", leader=200)])["m"].reason == "leader process 200 is gone"
        assert 100 not in reader._spaces
    finally:
        reader.close()


def test_a_netlink_failure_gives_reasons_not_exceptions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Broken:
        def __init__(self, groups: int = 0) -> None:
            raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(reader_module.nl, "RouteSocket", Broken)
    reader = NetworkReader(proc=fake_proc(tmp_path))
    figures = reader.sweep([Machine("m", leader=300)])
    assert figures["m"].mode == UNAVAILABLE and figures["m"].rx_bps is None
    assert figures["m"].reason == "cannot read the host's network links: Permission denied"
    assert reader.last_error == figures["m"].reason
    detail = reader.details(Machine("m", leader=300))
    assert detail.mode == UNAVAILABLE and "Permission denied" in detail.reason


def test_details_of_a_machine_not_running() -> None:
    reader = NetworkReader()
    assert reader.details(Machine("x", state="stopped")).reason == "not running"


# ------------------------------------------------------- real namespaces (root)

SCRIPT = textwrap.dedent(
    """
    import json, socket, sys, time
    sys.path.insert(0, {root!r})
    from nspawn_tui.host.base import Machine
    from nspawn_tui.net.reader import NetworkReader

    veth, private = Machine("ntlu-a-very-long-name", leader={veth}), Machine("ntlu-p", leader={private})
    reader = NetworkReader()
    out = {{"first": {{k: v.mode for k, v in reader.sweep([veth, private]).items()}}}}
    time.sleep(0.3)
    blast = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for _ in range(200):
        blast.sendto(bytes(1000), ("10.97.0.2", 9))
    time.sleep(0.3)
    second = reader.sweep([veth, private], watched=["ntlu-p"])
    out["second"] = {{k: [v.mode, v.rx_bps, v.tx_bps, v.reason] for k, v in second.items()}}
    for machine in (veth, private):
        info = reader.details(machine)
        out[machine.name] = {{
            "mode": info.mode, "reason": info.reason,
            "interfaces": [[i.side, i.name, i.kind, i.state, list(i.addresses),
                            i.counters.rx_bytes if i.counters else None] for i in info.interfaces],
        }}
    reader.close()
    print(json.dumps(out))
    """
)


def run(*argv: str) -> None:
    subprocess.run(argv, check=True, capture_output=True)


@pytest.fixture
def namespaces() -> Iterator[tuple[int, int]]:
    if os.geteuid() != 0 or shutil.which("ip") is None:
        pytest.skip("needs root and iproute2")
    names = ("ntlu-h", "ntlu-c", "ntlu-p")
    sleepers: list[subprocess.Popen[bytes]] = []
    try:
        for name in names:
            subprocess.run(["ip", "netns", "del", name], check=False, capture_output=True)
            run("ip", "netns", "add", name)
        run("ip", "-n", "ntlu-h", "link", "add", "ve-ntlu-a-5f0e9", "type", "veth",
            "peer", "name", "host0", "netns", "ntlu-c")  # fmt: skip
        run("ip", "-n", "ntlu-h", "link", "set", "ve-ntlu-a-5f0e9", "up")
        run("ip", "-n", "ntlu-c", "link", "set", "host0", "up")
        run("ip", "-n", "ntlu-p", "link", "set", "lo", "up")
        run("ip", "-n", "ntlu-h", "addr", "add", "10.97.0.1/24", "dev", "ve-ntlu-a-5f0e9")
        run("ip", "-n", "ntlu-c", "addr", "add", "10.97.0.2/24", "dev", "host0")
        for name in ("ntlu-c", "ntlu-p"):
            # unshare -n is not needed: the sleeper's namespace is the one it was exec'd in
            sleepers.append(subprocess.Popen(["ip", "netns", "exec", name, "sleep", "60"]))
        yield sleepers[0].pid, sleepers[1].pid
    finally:
        for sleeper in sleepers:
            sleeper.kill()
            sleeper.wait()
        for name in names:
            subprocess.run(["ip", "netns", "del", name], check=False, capture_output=True)


def test_real_veth_and_private_namespaces(namespaces: tuple[int, int]) -> None:
    veth, private = namespaces
    script = SCRIPT.format(root=str(ROOT), veth=veth, private=private)
    result = subprocess.run(
        ["ip", "netns", "exec", "ntlu-h", sys.executable, "-c", script],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    long_name = "ntlu-a-very-long-name"
    assert out["first"] == {long_name: "veth", "ntlu-p": PRIVATE}
    mode, rx, tx, _reason = out["second"][long_name]
    # the container received the 200 datagrams the host end sent: its rx, the host's tx
    assert mode == "veth" and rx is not None and rx > 200 * 1000 / 2.0 and tx is not None
    assert rx > tx
    assert out["second"]["ntlu-p"][:3] == [PRIVATE, 0.0, 0.0]  # watched: read inside, lo left out
    detail = out[long_name]
    assert detail["mode"] == "veth" and detail["reason"] == ""
    sides = {(side, name): rest for side, name, *rest in detail["interfaces"]}
    assert sides[("host", "ve-ntlu-a-5f0e9")][:2] == ["veth", "up"]
    assert sides[("container", "host0")][0] == "veth"
    assert "10.97.0.2/24" in sides[("container", "host0")][2]
    assert sides[("host", "ve-ntlu-a-5f0e9")][3] >= 200 * 1000  # container's view: rx
    private_detail = out["ntlu-p"]
    assert private_detail["mode"] == PRIVATE
    assert [i[:3] for i in private_detail["interfaces"]] == [["container", "lo", "loopback"]]
    assert "127.0.0.1/8" in private_detail["interfaces"][0][4]


# ------------------------------------------- the reader on recorded messages


class Recorded:
    """A RouteSocket answering with the messages of fixtures/netlink.json."""

    fixture = json.loads((Path(__file__).parent / "fixtures" / "netlink.json").read_text())
    queued: list[bytes] = []
    dumps: list[int] = []

    def __init__(self, groups: int = 0) -> None:
        self.groups = groups

    def dump(self, msgtype: int, body: bytes) -> tuple[list[bytes], bool]:
        Recorded.dumps.append(msgtype)
        key = {reader_module.nl.RTM_GETLINK: "links", reader_module.nl.RTM_GETSTATS: "stats"}
        entries = self.fixture["host"][key[msgtype]]
        return [bytes.fromhex(e if isinstance(e, str) else e["raw"]) for e in entries], False

    def request(self, msgtype: int, body: bytes) -> bytes:
        assert msgtype == reader_module.nl.RTM_GETNSID
        return bytes.fromhex(self.fixture["nsid"]["raw"])

    def drain(self) -> tuple[list[bytes], bool]:
        queued, Recorded.queued = Recorded.queued, []
        return queued, False

    def close(self) -> None:
        pass


def recorded_link(name: str, msgtype: int | None = None, family: int = 0) -> bytes:
    for entry in Recorded.fixture["host"]["links"]:
        if entry["pyroute2"]["name"] == name:
            message = bytearray(bytes.fromhex(entry["raw"]))
            if msgtype is not None:
                message[4:6] = msgtype.to_bytes(2, sys.byteorder)
            message[16] = family
            return bytes(message)
    raise KeyError(name)


class RecordedIPRoute:
    """pyroute2's IPRoute answering ``link("get", index=...)`` with the recorded links
    (decoded by pyroute2, as the real one decodes what it receives)."""

    gone: set[int] = set()
    asked: list[int] = []

    def link(self, command: str, index: int) -> list[Any]:
        assert command == "get"
        RecordedIPRoute.asked.append(index)
        for entry in Recorded.fixture["host"]["links"]:
            if entry["pyroute2"]["index"] == index and index not in self.gone:
                msg = ifinfmsg(bytes.fromhex(entry["raw"]))
                msg.decode()
                return [msg]
        raise NetlinkError(errno.ENODEV)


@contextmanager
def recorded_iproute(sock: object = None) -> Iterator[RecordedIPRoute]:
    assert sock is None  # the host's own namespace
    yield RecordedIPRoute()


def recorded_index(name: str) -> int:
    for entry in Recorded.fixture["host"]["links"]:
        if entry["pyroute2"]["name"] == name:
            return int(entry["pyroute2"]["index"])
    raise KeyError(name)


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader_module.nl, "RouteSocket", Recorded)
    monkeypatch.setattr(iproute_module, "iproute", recorded_iproute)
    Recorded.queued, Recorded.dumps = [], []
    RecordedIPRoute.gone, RecordedIPRoute.asked = set(), []


def test_the_link_table_follows_notifications_without_dumping_again(
    tmp_path: Path, recorded: None
) -> None:
    reader = NetworkReader(proc=fake_proc(tmp_path))
    machine = Machine("ntl-alpha", leader=300)
    first = reader.sweep([machine])
    assert first["ntl-alpha"].mode == "veth" and first["ntl-alpha"].rx_bps is None
    assert Recorded.dumps == [reader_module.nl.RTM_GETLINK]  # its counters serve this sweep
    assert reader._links is not None and len(reader._links) == 7

    # a bridge's notice about its port (AF_BRIDGE) is not a link description: ignored;
    # a link deleted is dropped from the table; no new dump of the table
    Recorded.queued = [
        recorded_link("vb-ntl-beta", family=7),
        recorded_link("ve-ntl-a-5f0e9c", reader_module.nl.RTM_DELLINK),
    ]
    Recorded.dumps = []
    info = reader.details(machine)
    assert Recorded.dumps == []  # the detail reads its links one by one (pyroute2), no dump
    assert [i.name for i in info.interfaces if i.side == "host"] == ["ve-ntl-alpha", "vb-ntl-beta"]
    bridged = [i for i in info.interfaces if i.name == "vb-ntl-beta"][0]
    assert bridged.bridge == "br-ntl" and bridged.kind == "veth"
    # the container's view: what the host end sent is what the container received
    alpha = [i for i in info.interfaces if i.name == "ve-ntl-alpha"][0]
    assert alpha.counters is not None and alpha.counters.rx_bytes >= 20 * 1000
    assert alpha.kind == "veth" and alpha.state == "up" and alpha.mac
    # inside: the fake leader's namespace cannot be entered, nor its /proc read
    assert info.reason.startswith("cannot read inside the container")
    second = reader.sweep([machine])
    assert Recorded.dumps == [reader_module.nl.RTM_GETSTATS]
    assert second["ntl-alpha"].mode == "veth"


def test_the_detail_leaves_out_host_links_gone_or_reused(tmp_path: Path, recorded: None) -> None:
    reader = NetworkReader(proc=fake_proc(tmp_path))
    machine = Machine("ntl-alpha", leader=300)
    reader.sweep([machine])
    # ve-ntl-alpha went away since the table was read; vb-ntl-beta's ifindex now
    # names a link of another namespace (the loopback's description stands in for it)
    RecordedIPRoute.gone = {recorded_index("ve-ntl-alpha")}
    beta = recorded_index("vb-ntl-beta")
    original = RecordedIPRoute.link

    def reused(self: RecordedIPRoute, command: str, index: int) -> list[Any]:
        return original(self, command, recorded_index("lo") if index == beta else index)

    RecordedIPRoute.link = reused  # type: ignore[method-assign]
    try:
        info = reader.details(machine)
    finally:
        RecordedIPRoute.link = original  # type: ignore[method-assign]
    assert [i.name for i in info.interfaces if i.side == "host"] == ["ve-ntl-a-5f0e9c"]
    assert info.mode == "veth"


def test_a_pyroute2_failure_on_the_host_side_is_a_reason(
    tmp_path: Path, recorded: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    @contextmanager
    def refused(sock: object = None) -> Iterator[None]:
        raise PermissionError(errno.EPERM, "Operation not permitted")
        yield

    reader = NetworkReader(proc=fake_proc(tmp_path))
    machine = Machine("ntl-alpha", leader=300)
    reader.sweep([machine])
    monkeypatch.setattr(iproute_module, "iproute", refused)
    info = reader.details(machine)
    assert info.mode == UNAVAILABLE
    assert info.reason == "cannot read the host's network links: Operation not permitted"
    assert reader.sweep([machine])["ntl-alpha"].mode == "veth"  # the sweep's sockets are intact
