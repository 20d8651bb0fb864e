"""Netlink messages recorded on a real kernel (fixtures/netlink.json, see
record_fixtures.py) read by nspawn_tui.net.links (the sweep's hand-made
decoder), checked against pyroute2's decoding of the very same bytes; and the
detail's records made from pyroute2's messages (nspawn_tui.net.iproute)."""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

import pytest
from pyroute2.netlink.rtnl.ifaddrmsg import ifaddrmsg
from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg

from nspawn_tui.host.network import LinkCounters
from nspawn_tui.net import iproute
from nspawn_tui.net import netlink as nl
from nspawn_tui.net.links import (
    LinkRecord,
    counters_from,
    host_view,
    match_links,
    parse_link,
    parse_nsid,
    parse_stats_raw,
)

FIXTURE = json.loads((Path(__file__).parent / "fixtures" / "netlink.json").read_text())
SIDES = ("host", "container")


def counters(stats: dict[str, int]) -> LinkCounters:
    return LinkCounters(**stats)


def links(side: str) -> list[dict[str, Any]]:
    return list(FIXTURE[side]["links"])


def decoded(message_class: Any, raw: bytes) -> Any:
    """pyroute2's message of ``raw``, decoded as IPRoute decodes what it receives."""
    msg = message_class(raw)
    msg.decode()
    return msg


@pytest.mark.parametrize("side", SIDES)
def test_every_recorded_link_reads_as_pyroute2_decoded_it(side: str) -> None:
    for entry in links(side):
        expected = entry["pyroute2"]
        record = parse_link(bytes.fromhex(entry["raw"]))
        assert record is not None
        assert record.index == expected["index"]
        assert record.name == expected["name"]
        assert record.state == expected["operstate"].lower()
        assert record.master == expected["master"]
        assert record.link_netnsid == expected["link_netnsid"]
        assert record.mac == expected["address"]
        assert record.counters == counters(expected["stats64"])
        if expected["kind"] is not None:
            assert record.kind == expected["kind"]


def test_kinds_and_bridge_of_the_host_side() -> None:
    records = {
        r.name: r
        for r in map(parse_link, map(bytes.fromhex, (e["raw"] for e in links("host"))))
        if r
    }
    assert records["lo"].kind == "loopback"  # no IFLA_LINKINFO: from the ARPHRD type
    assert records["ve-ntl-alpha"].kind == "veth"
    assert records["br-ntl"].kind == "bridge"
    assert records["vb-ntl-beta"].master == records["br-ntl"].index
    assert records["ve-ntl-alpha"].state == "up"
    # a veth whose peer is in the same namespace has no peer namespace id
    assert records["eth-lower"].link_netnsid is None


def test_container_side_kinds() -> None:
    records = {
        r.name: r
        for r in map(parse_link, map(bytes.fromhex, (e["raw"] for e in links("container"))))
        if r
    }
    assert records["mv-eth-lower"].kind == "macvlan"
    assert records["host0"].kind == "veth"
    assert records["lo"].kind == "loopback"


@pytest.mark.parametrize("side", SIDES)
def test_stats_dump_agrees_with_the_link_dump(side: str) -> None:
    by_index = {e["pyroute2"]["index"]: counters(e["pyroute2"]["stats64"]) for e in links(side)}
    parsed = [parse_stats_raw(bytes.fromhex(raw)) for raw in FIXTURE[side]["stats"]]
    assert all(p is not None for p in parsed)
    assert {p[0]: counters_from(p[1]) for p in parsed if p is not None} == by_index


# ------------------------------------------- the detail's records, from pyroute2


@pytest.mark.parametrize("side", SIDES)
def test_the_details_records_agree_with_the_sweeps_decoder(side: str) -> None:
    for entry in links(side):
        raw = bytes.fromhex(entry["raw"])
        assert iproute.link_record(decoded(ifinfmsg, raw)) == parse_link(raw)


def test_the_details_records_of_the_host_side() -> None:
    records = {
        r.name: r
        for r in (
            iproute.link_record(decoded(ifinfmsg, bytes.fromhex(e["raw"]))) for e in links("host")
        )
    }
    assert records["lo"].kind == "loopback" and records["lo"].mac == "00:00:00:00:00:00"
    assert records["vb-ntl-beta"].master == records["br-ntl"].index
    assert records["ve-ntl-alpha"].kind == "veth" and records["ve-ntl-alpha"].state == "up"
    assert records["ve-ntl-alpha"].link_netnsid is not None
    assert records["ve-ntl-alpha"].counters is not None


@pytest.mark.parametrize("side", SIDES)
def test_addresses_read_as_pyroute2_decoded_them(side: str) -> None:
    for entry in FIXTURE[side]["addresses"]:
        expected = entry["pyroute2"]
        parsed = iproute.address(decoded(ifaddrmsg, bytes.fromhex(entry["raw"])))
        own = expected["local"] or expected["address"]
        assert parsed == (expected["index"], f"{own}/{expected['prefixlen']}")


def test_hostile_names_leave_the_details_records_cleaned() -> None:
    for name in (b"ve-\x1b]0;pwned\x07x", b"\xff\xfe"):
        record = iproute.link_record(decoded(ifinfmsg, link_message(name)))
        assert record == parse_link(link_message(name))  # cleaned alike, whichever decoder
        assert "\x1b" not in record.name and "\x07" not in record.name


def test_the_namespace_id_answer() -> None:
    (listed,) = FIXTURE["nsid"]["ip_netns_list_id"]
    assert parse_nsid(bytes.fromhex(FIXTURE["nsid"]["raw"])) == listed["nsid"]


def test_an_unassigned_namespace_id_is_none() -> None:
    body = struct.pack("=Bxxx", 0) + nl.attr(nl.NETNSA_NSID, struct.pack("=i", -1))
    message = nl.HEADER.pack(16 + len(body), nl.RTM_NEWNSID, 0, 1, 0) + body
    assert parse_nsid(message) is None


def test_host_veth_traffic_is_swapped_to_the_containers_view() -> None:
    host = {
        r.name: r
        for r in map(parse_link, map(bytes.fromhex, (e["raw"] for e in links("host"))))
        if r
    }
    inside = {
        r.name: r
        for r in map(parse_link, map(bytes.fromhex, (e["raw"] for e in links("container"))))
        if r
    }
    sent_by_host = host["ve-ntl-alpha"].counters
    assert sent_by_host is not None and inside["host0"].counters is not None
    view = host_view(sent_by_host)
    # the 20 datagrams the host sent are what the container received
    assert view.rx_bytes == inside["host0"].counters.rx_bytes == sent_by_host.tx_bytes >= 20 * 1000
    assert view.tx_packets == sent_by_host.rx_packets
    assert host_view(view) == sent_by_host


# ------------------------------------------------------------------ robustness


def first_link() -> bytes:
    return bytes.fromhex(links("host")[1]["raw"])


def test_wrong_type_and_short_messages_are_none() -> None:
    message = first_link()
    assert parse_link(message[:20]) is None
    assert parse_stats_raw(message) is None  # an RTM_NEWLINK is not stats
    assert parse_nsid(message) is None
    assert parse_link(b"") is None


def test_a_truncated_attribute_stops_the_walk_without_error() -> None:
    message = bytearray(first_link())
    # claim a huge length for the first attribute: nothing after the header is read
    struct.pack_into("=H", message, 32, 0xFFF0)
    record = parse_link(bytes(message))
    assert record is not None and record.name == "" and record.counters is None
    # a length below the attribute header is not an endless loop
    struct.pack_into("=H", message, 32, 2)
    assert parse_link(bytes(message)) is not None


def link_message(name: bytes, index: int = 9, nsid: int | None = None) -> bytes:
    body = struct.pack("=BxHiII", 0, 1, index, 0, 0) + nl.attr(3, name + b"\0")
    if nsid is not None:
        body += nl.attr(37, struct.pack("=i", nsid))
    return nl.HEADER.pack(16 + len(body), nl.RTM_NEWLINK, 0, 1, 0) + body


def test_hostile_names_leave_cleaned() -> None:
    record = parse_link(link_message(b"ve-\x1b]0;pwned\x07x"))
    assert record is not None
    assert "\x1b" not in record.name and "\x07" not in record.name
    assert parse_link(link_message(b"\xff\xfe")) is not None  # not UTF-8: still a name


# -------------------------------------------------------------------- matching


def rec(index: int, name: str, nsid: int | None) -> LinkRecord:
    return LinkRecord(index=index, name=name, kind="veth", link_netnsid=nsid)


def test_links_match_machines_by_peer_namespace_not_by_name() -> None:
    table = [
        rec(1, "lo", None),
        rec(5, "ve-ntl-a-5f0e9c", 3),  # nspawn's shortened name of a long machine name
        rec(6, "ve-ntl-beta", 7),  # named after beta, but its peer is in gamma's namespace
        rec(7, "vb-ntl-beta", 4),  # beta's, on a bridge
        rec(8, "ve-extra", 3),  # a second link into the long-named machine
        rec(9, "ve-gone", 11),  # a namespace no machine has
    ]
    matched = match_links(
        table,
        {"ntl-a-very-long-machine-name": 3, "ntl-beta": 4, "ntl-gamma": 7, "ntl-private": None},
    )
    assert {name: [link.name for link in found] for name, found in matched.items()} == {
        "ntl-a-very-long-machine-name": ["ve-ntl-a-5f0e9c", "ve-extra"],
        "ntl-beta": ["vb-ntl-beta"],
        "ntl-gamma": ["ve-ntl-beta"],
    }


def test_recorded_host_side_links_match_the_recorded_namespace() -> None:
    table = [r for r in map(parse_link, map(bytes.fromhex, (e["raw"] for e in links("host")))) if r]
    nsid = parse_nsid(bytes.fromhex(FIXTURE["nsid"]["raw"]))
    matched = match_links(table, {"ntl-alpha": nsid, "other": 42})
    assert [link.name for link in matched["ntl-alpha"]] == [
        "ve-ntl-alpha", "ve-ntl-a-5f0e9c", "vb-ntl-beta",
    ]  # fmt: skip
    assert "other" not in matched
