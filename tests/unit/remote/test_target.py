"""``[USER@]HOST[:PORT]`` parsed, and the ssh command lines built from it."""

from __future__ import annotations

import shlex

import pytest

from nspawn_tui.remote.target import BASE_OPTIONS, SshTarget, TargetError, parse_target


@pytest.mark.parametrize(
    ("text", "host", "user", "port", "destination", "name"),
    [
        ("web1", "web1", None, None, "web1", "web1"),
        ("root@web1", "web1", "root", None, "root@web1", "root@web1"),
        ("root@web1:2222", "web1", "root", 2222, "root@web1", "root@web1:2222"),
        ("10.0.0.5:22", "10.0.0.5", None, 22, "10.0.0.5", "10.0.0.5:22"),
        ("[fe80::1%eth0]:2200", "[fe80::1%eth0]", None, 2200, "fe80::1%eth0", "[fe80::1%eth0]:2200"),
        ("ops@[2001:db8::7]", "[2001:db8::7]", "ops", None, "ops@2001:db8::7", "ops@[2001:db8::7]"),
        ("a.b@host.example.org", "host.example.org", "a.b", None, "a.b@host.example.org",
         "a.b@host.example.org"),
    ],
)  # fmt: skip
def test_parse_target(
    text: str, host: str, user: str | None, port: int | None, destination: str, name: str
) -> None:
    target = parse_target(text)
    assert target is not None
    assert (target.host, target.user, target.port) == (host, user, port)
    assert target.destination == destination
    assert target.name == name


def test_local_is_this_machine_and_labels_name_a_host() -> None:
    assert parse_target("local") is None
    assert parse_target(" local ") is None
    target = parse_target("root@web1", label="web", group="prod")
    assert target is not None and (target.name, target.group) == ("web", "prod")


@pytest.mark.parametrize(
    "text",
    [
        "", "-oProxyCommand=touch /tmp/x", "root@-oProxyCommand=x", "web1:0", "web1:65536",
        "web1:22x", "web 1", "web1;reboot", "$(reboot)", "[::1", "[::1]x", "-web1",
        "ro ot@web1", "web1:２２",
    ],
)  # fmt: skip
def test_bad_targets_are_refused(text: str) -> None:
    with pytest.raises(TargetError):
        parse_target(text)


def test_bad_labels_are_refused() -> None:
    with pytest.raises(TargetError):
        parse_target("web1", label="a b")
    with pytest.raises(TargetError):
        parse_target("web1", label="x" * 65)


def test_ssh_argv_bus_and_shell() -> None:
    target = SshTarget(host="web1", user="root", port=2222, ssh_config="/tmp/cfg")
    argv = target.ssh_argv(["systemd-stdio-bridge"])
    assert argv == [
        "ssh", "-x", "-T", *BASE_OPTIONS, "-F", "/tmp/cfg", "-p", "2222", "--", "root@web1",
        "systemd-stdio-bridge",
    ]  # fmt: skip
    assert "BatchMode=yes" in argv
    assert "StrictHostKeyChecking=no" not in " ".join(argv)
    shell = target.ssh_argv(["machinectl", "shell", "root@c1"], tty=True)
    assert shell[1:3] == ["-x", "-t"] and "-T" not in shell


def test_ssh_argv_quotes_every_remote_word() -> None:
    target = SshTarget(host="h", ssh="/opt/ssh")
    words = ["journalctl", "--after-cursor", "s=1;i=2", "a b", "$(reboot)", "'"]
    argv = target.ssh_argv(words)
    assert argv[0] == "/opt/ssh"
    remote = argv[argv.index("--") + 2 :]
    # ssh joins the words with spaces into one line; the remote shell splits it back.
    assert shlex.split(" ".join(remote)) == words
