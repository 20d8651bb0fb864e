"""The hosts of the config file: good files give targets, every bad one a message
naming the file, the line and what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from nspawn_tui.fleet.hostsfile import (
    HostsError,
    load_hosts,
    parse_hosts,
    targets_from_options,
)
from nspawn_tui.remote.target import SshTarget

GOOD = """\
# my fleet
[[hosts]]
address = "local"

[[hosts]]
address = "root@web1.example:2222"
name = "web1"
group = "production"

[[ hosts ]]  # spaces and a comment
address = "db"
"""


def test_a_good_file_gives_its_hosts_in_order() -> None:
    hosts = parse_hosts(GOOD, "config.toml")
    assert hosts[0] is None  # this machine
    web1, db = hosts[1], hosts[2]
    assert isinstance(web1, SshTarget) and isinstance(db, SshTarget)
    assert (web1.host, web1.user, web1.port, web1.name, web1.group) == (
        "web1.example",
        "root",
        2222,
        "web1",
        "production",
    )
    assert (db.host, db.user, db.port, db.name, db.group) == ("db", None, None, "db", "")


@pytest.mark.parametrize("text", ["", "# nothing\n", "[ui]\ntheme = 'dark'\n"])
def test_a_file_without_hosts_has_none(text: str) -> None:
    assert parse_hosts(text, "c.toml") == []


#: (file text, the line named, words of the message)
BAD: list[tuple[str, int, tuple[str, ...]]] = [
    ("[[hosts]]\naddress = \n", 2, ("not valid TOML",)),
    ('[[hosts]]\naddress = "a"\n\n[[hosts]]\naddres = "b"\n', 4, ("unknown key 'addres'",)),
    ("[[hosts]]\naddress = 3\n", 1, ("'address' must be a string, not int",)),
    ('[[hosts]]\naddress = "a"\nname = true\n', 1, ("'name' must be a string, not bool",)),
    ('[[hosts]]\nname = "web"\n', 1, ("has no 'address'",)),
    (
        '[[hosts]]\naddress = "web"\n[[hosts]]\naddress = "web"\n',
        3,
        ("the host 'web' is listed twice",),
    ),
    (
        '[[hosts]]\naddress = "a"\nname = "x"\n[[hosts]]\naddress = "b"\nname = "x"\n',
        4,
        ("the host 'x' is listed twice",),
    ),
    ('# hosts\n\nhosts = "web1"\n', 3, ("'hosts' must be a list of tables",)),
    ('[[hosts]]\naddress = "-oProxyCommand=touch /tmp/x"\n', 1, ("'address'", "[USER@]HOST")),
    ('[[hosts]]\naddress = "web:99999"\n', 1, ("'address'", "not a port")),
    ('[[hosts]]\naddress = "web"\nname = "a/b"\n', 1, ("'name'", "a host's name is")),
    ('\n\nhosts = [{address = "a"}, {adress = "b"}]\n', 3, ("hosts entry 2", "unknown key")),
    ('hosts = ["web1"]\n', 1, ("hosts entry 1", "each host is a table")),
]


@pytest.mark.parametrize(("text", "line", "words"), BAD)
def test_a_bad_file_names_the_line(text: str, line: int, words: tuple[str, ...]) -> None:
    with pytest.raises(HostsError) as error:
        parse_hosts(text, "/cfg/config.toml")
    message = str(error.value)
    assert message.startswith("/cfg/config.toml")
    assert f"line {line}" in message
    for word in words:
        assert word in message


def test_load_hosts_reads_the_file_and_says_when_it_cannot(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[[hosts]]\naddress = "web1"\n', encoding="utf-8")
    assert [t.name if t else "local" for t in load_hosts(path)] == ["web1"]
    with pytest.raises(HostsError, match="cannot be read"):
        load_hosts(tmp_path / "missing.toml")
    path.write_bytes(b"\xff\xfe[[hosts]]")
    with pytest.raises(HostsError, match="cannot be read"):
        load_hosts(path)


def test_host_options_in_order_once_each() -> None:
    found = targets_from_options(["web1", "local", "root@web2:22", "web1"])
    assert [t.name if t else "local" for t in found] == ["web1", "local", "root@web2:22"]
    with pytest.raises(HostsError, match="^--host"):
        targets_from_options(["-oProxyCommand=x"])
