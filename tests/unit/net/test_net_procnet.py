"""/proc/PID/net/dev parsing, odd lines included."""

from __future__ import annotations

import os

from nspawn_tui.host.network import LinkCounters
from nspawn_tui.net.procnet import parse_net_dev, read_net_dev

SAMPLE = """\
Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:     840      12    0    0    0     0          0         0      840      12    0    0    0     0       0          0
 host0: 18446744073709551615 200 1 2 0 0 0 0 5000 40 3 4 0 0 0 0
"""


def test_header_lines_are_skipped_and_fields_land_where_they_belong() -> None:
    found = parse_net_dev(SAMPLE)
    assert set(found) == {"lo", "host0"}
    assert found["lo"] == LinkCounters(840, 840, 12, 12, 0, 0, 0, 0)
    host0 = found["host0"]
    assert host0.rx_bytes == 2**64 - 1  # 64-bit counters stay exact
    assert (host0.rx_packets, host0.rx_errors, host0.rx_dropped) == (200, 1, 2)
    assert (host0.tx_bytes, host0.tx_packets, host0.tx_errors, host0.tx_dropped) == (5000, 40, 3, 4)


def test_a_long_name_without_padding_and_odd_lines() -> None:
    text = (
        "averyverylongnm:1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"  # 15 chars: no space before the numbers
        "broken: 1 2 3\n"  # too few fields
        "nan0: x 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"  # not a number
        ": 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"  # no name
        "\n"
        "no colon at all\n"
        "future0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18\n"  # more fields than today
    )
    found = parse_net_dev(text)
    assert set(found) == {"averyverylongnm", "future0"}
    assert found["averyverylongnm"].rx_bytes == 1 and found["averyverylongnm"].tx_bytes == 9
    assert found["future0"].tx_dropped == 12


def test_hostile_names_are_cleaned() -> None:
    found = parse_net_dev(
        b"e\x1b[2Jvil: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n\xff0: " + b"0 " * 16
    )
    assert len(found) == 2
    assert all("\x1b" not in name for name in found)


def test_reading_our_own_namespace() -> None:
    found = read_net_dev(os.getpid())
    assert "lo" in found
