"""The .nspawn file of each network mode round-trips through the settings model."""

from __future__ import annotations

import pytest

from nspawn_tui.create.model import Bind, NspawnSetup, PortForward
from nspawn_tui.create.nspawnfile import settings_text, setup_problem
from nspawn_tui.nspawn.settings import SettingsFile, parse_checked

PORTS = (PortForward(8080, 80), PortForward(5353, 53, "udp"))
BINDS = (Bind("/srv/data"), Bind("/srv/logs", "/var/log/app", read_only=True))


@pytest.mark.parametrize(
    ("setup", "network"),
    [
        (NspawnSetup(network="host"), {"VirtualEthernet": ["no"]}),
        (NspawnSetup(network="veth", ports=PORTS),
         {"VirtualEthernet": ["yes"], "Port": ["tcp:8080:80", "udp:5353:53"]}),
        (NspawnSetup(network="bridge", bridge="br0", ports=PORTS[:1]),
         {"Bridge": ["br0"], "Port": ["tcp:8080:80"]}),
    ],
)  # fmt: skip
def test_round_trip_per_network_mode(setup: NspawnSetup, network: dict[str, list[str]]) -> None:
    text = settings_text(setup)
    parsed = parse_checked(text)  # systemd-nspawn would take it
    assert parsed.render() == text  # renders back byte for byte
    found = {key: parsed.get("Network", key) for key in ("VirtualEthernet", "Bridge", "Port")}
    assert {k: v for k, v in found.items() if v} == network
    assert parsed.get("Exec", "PrivateUsers") == ["no"]
    assert SettingsFile.parse(text).problems() == []


def test_binds_and_private_users() -> None:
    parsed = parse_checked(settings_text(NspawnSetup(binds=BINDS, private_users=True)))
    assert parsed.get("Files", "Bind") == ["/srv/data"]
    assert parsed.get("Files", "BindReadOnly") == ["/srv/logs:/var/log/app"]
    assert parsed.get("Exec", "PrivateUsers") == ["pick"]


@pytest.mark.parametrize(
    ("setup", "words"),
    [
        (NspawnSetup(network="bridge"), "bridge's name"),
        (NspawnSetup(network="host", ports=PORTS), "private network"),
        (NspawnSetup(ports=(PortForward(0, 80),)), "not a port number"),
        (NspawnSetup(binds=(Bind("/nowhere/at/all"),)), "does not exist"),
        (NspawnSetup(binds=(Bind("relative"),)), "absolute"),
        (NspawnSetup(binds=(Bind("/a:b"),)), "without ':'"),
    ],
)
def test_refused_before_anything_runs(setup: NspawnSetup, words: str) -> None:
    problem = setup_problem(setup, exists=lambda path: path != "/nowhere/at/all")
    assert problem is not None and words in problem
