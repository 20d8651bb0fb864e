"""Record the netlink fixtures of tests/unit/net from this host's kernel, with pyroute2.

Run as root (it makes and removes two throwaway network namespaces)::

    .venv/bin/python tests/unit/net/record_fixtures.py

A "host" namespace holds lo, a veth whose peer is the "container"'s ``host0``
(with addresses and 20 UDP datagrams' worth of traffic), a veth with a long,
shortened name, and a bridge with an enslaved ``vb-`` veth; the container
also gets a macvlan moved in from the host.  For every message pyroute2 dumps, the fixture keeps the
raw bytes (what :mod:`nspawn_tui.net.links` parses) and pyroute2's decoding
of the attributes the parser reads (what it must agree with).  Stats and
namespace-id answers, which pyroute2 does not dump, are recorded with the
project's own socket and checked against pyroute2's ``IFLA_STATS64`` and
``ip netns list-id``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from pyroute2 import IPRoute

from nspawn_tui.net import netlink as nl
from nspawn_tui.net.namespace import made_inside

HOST_NS = "ntlrec-host"
CONTAINER_NS = "ntlrec-ctr"
OUT = Path(__file__).resolve().parent / "fixtures"
STATS_FIELDS = (
    "rx_bytes", "tx_bytes", "rx_packets", "tx_packets",
    "rx_errors", "tx_errors", "rx_dropped", "tx_dropped",
)  # fmt: skip


def ip(*args: str, netns: str | None = None) -> str:
    argv = ["ip", *(["-n", netns] if netns else []), *args]
    return subprocess.run(argv, check=True, capture_output=True, text=True).stdout


def setup() -> None:
    ip("netns", "add", HOST_NS)
    ip("netns", "add", CONTAINER_NS)
    h, c = HOST_NS, CONTAINER_NS
    ip("link", "set", "lo", "up", netns=h)
    ip("link", "set", "lo", "up", netns=c)
    ip("link", "add", "ve-ntl-alpha", "type", "veth", "peer", "name", "host0", "netns", c, netns=h)
    ip(
        "link",
        "add",
        "ve-ntl-a-5f0e9c",
        "type",
        "veth",
        "peer",
        "name",
        "host1",
        "netns",
        c,
        netns=h,
    )
    ip("link", "add", "br-ntl", "type", "bridge", netns=h)
    ip("link", "add", "vb-ntl-beta", "type", "veth", "peer", "name", "host2", "netns", c, netns=h)
    ip("link", "set", "vb-ntl-beta", "master", "br-ntl", netns=h)
    # a stand-in for a physical NIC, and a macvlan on it moved into the container
    # (as --network-macvlan does): the host keeps no link of it
    ip("link", "add", "eth-lower", "type", "veth", "peer", "name", "eth-lower-p", netns=h)
    ip("link", "add", "mv-eth-lower", "link", "eth-lower", "type", "macvlan", netns=h)
    ip("link", "set", "mv-eth-lower", "netns", c, netns=h)
    for name in ("ve-ntl-alpha", "br-ntl", "vb-ntl-beta", "eth-lower", "eth-lower-p"):
        ip("link", "set", name, "up", netns=h)
    for name in ("host0", "host2", "mv-eth-lower"):
        ip("link", "set", name, "up", netns=c)
    ip("addr", "add", "10.99.0.1/24", "dev", "ve-ntl-alpha", netns=h)
    ip("addr", "add", "10.99.0.2/24", "dev", "host0", netns=c)
    ip("addr", "add", "fd00:99::2/64", "dev", "host0", "nodad", netns=c)
    ip("addr", "add", "10.98.0.2/24", "dev", "mv-eth-lower", netns=c)
    blast = (
        "import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
        "for _ in range(20): s.sendto(bytes(1000), ('10.99.0.2', 9))"
    )
    subprocess.run(["ip", "netns", "exec", h, sys.executable, "-c", blast], check=True)
    for name in ("host2", "mv-eth-lower"):  # stop IPv6 chatter changing the counters
        ip("link", "set", name, "down", netns=c)
    subprocess.run(["sleep", "0.5"], check=True)


def teardown() -> None:
    for name in (HOST_NS, CONTAINER_NS):
        subprocess.run(["ip", "netns", "del", name], check=False, capture_output=True)


def raw(msg: Any) -> str:
    return bytes(msg.data[msg.offset : msg.offset + msg["header"]["length"]]).hex()


def link_record(msg: Any) -> dict[str, Any]:
    stats = msg.get_attr("IFLA_STATS64")
    info = msg.get_attr("IFLA_LINKINFO")
    return {
        "raw": raw(msg),
        "pyroute2": {
            "index": msg["index"],
            "ifi_type": msg["ifi_type"],
            "name": msg.get_attr("IFLA_IFNAME"),
            "operstate": msg.get_attr("IFLA_OPERSTATE"),
            "master": msg.get_attr("IFLA_MASTER"),
            "link_netnsid": msg.get_attr("IFLA_LINK_NETNSID"),
            "address": msg.get_attr("IFLA_ADDRESS"),
            "kind": info.get_attr("IFLA_INFO_KIND") if info is not None else None,
            "stats64": {field: stats[field] for field in STATS_FIELDS},
        },
    }


def addr_record(msg: Any) -> dict[str, Any]:
    return {
        "raw": raw(msg),
        "pyroute2": {
            "index": msg["index"],
            "family": msg["family"],
            "prefixlen": msg["prefixlen"],
            "local": msg.get_attr("IFA_LOCAL"),
            "address": msg.get_attr("IFA_ADDRESS"),
        },
    }


def stats_records(netns: str) -> list[str]:
    with open_inside_named(netns) as sock:
        messages, _ = sock.dump(nl.RTM_GETSTATS, nl.stats_request())
    return [message.hex() for message in messages]


def open_inside_named(netns: str) -> nl.RouteSocket:
    # made_inside() takes a PID: a sleeping process in the namespace lends its /proc entry
    proc = subprocess.Popen(["ip", "netns", "exec", netns, "sleep", "30"])
    try:
        for _ in range(100):
            children = subprocess.run(
                ["pgrep", "-P", str(proc.pid)], capture_output=True, text=True
            ).stdout.split()
            pid = int(children[0]) if children else proc.pid
            if Path(f"/proc/{pid}/ns/net").resolve() != Path("/proc/self/ns/net").resolve():
                break
        return made_inside(pid, nl.RouteSocket)
    finally:
        proc.kill()
        proc.wait()


def quiet_dump(netns: str) -> dict[str, Any]:
    """Links, addresses and stats, taken while no counter moved (IPv6 chatter
    between two dumps would make the stats disagree with the links)."""
    for _ in range(20):
        with IPRoute(netns=netns) as ipr:
            links = [link_record(m) for m in ipr.get_links()]
            addrs = [addr_record(m) for m in ipr.get_addr()]
            stats = stats_records(netns)
            again = [link_record(m) for m in ipr.get_links()]
        if [e["pyroute2"]["stats64"] for e in links] == [e["pyroute2"]["stats64"] for e in again]:
            return {"links": links, "addresses": addrs, "stats": stats}
    raise RuntimeError(f"the counters in {netns} never stood still")


def nsid_record() -> dict[str, Any]:
    fd_path = f"/run/netns/{CONTAINER_NS}"

    fd = os.open(fd_path, os.O_RDONLY)
    try:
        with open_inside_named(HOST_NS) as sock:
            answer = sock.request(nl.RTM_GETNSID, nl.nsid_request(fd))
    finally:
        os.close(fd)
    listed = json.loads(ip("-j", "netns", "list-id", netns=HOST_NS) or "[]")
    return {"raw": answer.hex(), "ip_netns_list_id": listed}


def main() -> None:
    teardown()
    try:
        setup()
        fixture: dict[str, Any] = {}
        for key, netns in (("host", HOST_NS), ("container", CONTAINER_NS)):
            fixture[key] = quiet_dump(netns)
        fixture["nsid"] = nsid_record()
        path = OUT / "netlink.json"
        path.write_text(json.dumps(fixture, indent=1, sort_keys=True) + "\n")
        print(f"wrote {path}")
    finally:
        teardown()


if __name__ == "__main__":
    main()
