"""The create form's logic: problems per field, parsing of ports and binds, the plan, previews."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nspawn_tui.create.model import Bind, Bootstrapper, CreateSupport, PortForward
from nspawn_tui.view.create_form import (
    FormValues,
    build_plan,
    distro_problem_free,
    parse_binds,
    parse_ports,
    problems,
    read_ssh_key,
    switched_distro,
)
from nspawn_tui.view.create_preview import bootstrap_preview, firstboot_preview, settings_preview

SUPPORT = CreateSupport(
    bootstrappers=(
        Bootstrapper(("debian", "ubuntu"), "debootstrap", "debootstrap", True),
        Bootstrapper(("arch",), "pacstrap", "arch-install-scripts", False),
    ),
    default_mirror="http://deb.debian.org/debian",
    existing=frozenset({"web", "debian-base"}),
)
GOOD = FormValues(name="web1", directory="/var/lib/machines", mirror=SUPPORT.default_mirror)
MACHINES = "/var/lib/machines"


def test_a_good_form_has_no_problem() -> None:
    assert problems(GOOD, SUPPORT) == {}


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"name": ""}, "name", "empty"),
        ({"name": "web"}, "name", "exists already"),
        ({"name": ".host"}, "name", "host itself"),
        ({"name": "a_b"}, "name", "not allowed"),
        ({"name": "x" * 65}, "name", "at most 64"),
        ({"distro": "arch"}, "distro", "apt-get install arch-install-scripts"),
        ({"distro": "fedora"}, "distro", "no bootstrapper for fedora"),
        ({"release": ""}, "release", "give a release"),
        ({"release": "book worm"}, "release", "letters, digits"),
        ({"mirror": "deb.debian.org"}, "mirror", "a URL"),
        ({"packages": "vim, $(reboot)"}, "packages", "'$(reboot)' is not a package name"),
        ({"directory": "machines"}, "directory", "absolute"),
        ({"distro": "clone"}, "clone_source", "give the image"),
        ({"distro": "clone", "clone_source": "nope"}, "clone_source", "no image called nope"),
        ({"hostname": "bad host"}, "hostname", "not allowed"),
        ({"password": "a", "password_again": "b"}, "password_again", "the passwords differ"),
        ({"password": "", "password_again": "b"}, "password_again", "the passwords differ"),
        ({"password": "a"}, "password_again", "type the password again"),
        ({"ssh_key": "hello"}, "ssh_key", "public key line"),
        ({"ssh_key": "ssh-ed25519"}, "ssh_key", "TYPE KEY"),
        ({"ssh_key": "/nonexistent/key.pub"}, "ssh_key", "does not exist"),
        ({"timezone": "Europe Berlin"}, "timezone", "Area/City"),
        ({"locale": "C UTF-8"}, "locale", "C.UTF-8"),
        ({"network": "bridge"}, "bridge", "bridge's name"),
        ({"network": "bridge", "bridge": "x" * 16}, "bridge", "at most 15"),
        ({"ports": "8080:80:1"}, "ports", "HOST_PORT"),
        ({"ports": "0:80"}, "ports", "1 to 65535"),
        ({"ports": "sctp:1:2"}, "ports", "HOST_PORT"),
        ({"ports": "2222:22", "network": "host"}, "ports", "need a private network"),
        ({"binds": "/nonexistent-x"}, "binds", "/nonexistent-x does not exist on the host"),
        ({"binds_ro": "etc"}, "binds_ro", "absolute"),
        ({"binds_ro": "/etc:data"}, "binds_ro", "inside must be absolute"),
    ],
)
def test_each_problem_is_said_for_its_field(
    changes: dict[str, str], field: str, words: str
) -> None:
    found = problems(replace(GOOD, **changes), SUPPORT)
    assert field in found, found
    assert words in found[field]
    with pytest.raises(ValueError, match=field):
        build_plan(replace(GOOD, **changes), SUPPORT)


def test_a_refusal_is_the_only_problem() -> None:
    support = replace(SUPPORT, refusal="not on a remote host")
    assert problems(GOOD, support) == {"name": "not on a remote host"}


def test_ports_and_binds_parse() -> None:
    assert parse_ports("tcp:8080:80, udp:53 2222:22") == (
        PortForward(8080, 80, "tcp"),
        PortForward(53, 53, "udp"),
        PortForward(2222, 22, "tcp"),
    )
    assert parse_ports("") == ()
    binds = parse_binds("/srv, /data:/var/lib/data /x:/x", read_only=True, exists=lambda p: True)
    assert binds == (
        Bind("/srv", "", True),
        Bind("/data", "/var/lib/data", True),
        Bind("/x", "", True),
    )
    with pytest.raises(ValueError, match="/srv does not exist"):
        parse_binds("/srv", read_only=False, exists=lambda p: False)


def test_the_plan_holds_what_the_form_says(tmp_path: Path) -> None:
    values = replace(
        GOOD,
        packages="vim curl",
        hostname="",
        password="s3cret",
        password_again="s3cret",
        timezone="Europe/Berlin",
        locale="C.UTF-8",
        networkd=True,
        network="bridge",
        bridge="br0",
        ports="2222:22",
        binds=str(tmp_path),
        binds_ro=f"{tmp_path}:/ro",
        private_users=True,
        enable=True,
        start=True,
    )
    plan = build_plan(values, SUPPORT, password_hash="$6$salt$hash")
    assert (plan.name, plan.distro, plan.release, plan.variant) == (
        "web1",
        "debian",
        "bookworm",
        "minbase",
    )
    assert plan.packages == ("vim", "curl")
    assert plan.tree == "/var/lib/machines/web1"
    assert plan.firstboot.hostname == "web1"  # the name when left empty
    assert plan.firstboot.root_password_hash == "$6$salt$hash"
    assert "s3cret" not in repr(plan)
    assert plan.firstboot.enable_networkd and plan.enable and plan.start
    assert plan.nspawn.network == "bridge" and plan.nspawn.bridge == "br0"
    assert plan.nspawn.binds == (Bind(str(tmp_path)), Bind(str(tmp_path), "/ro", True))
    assert plan.nspawn.private_users


def test_a_clone_plan_has_no_bootstrap_fields() -> None:
    values = replace(GOOD, distro="clone", clone_source="debian-base", packages="vim")
    plan = build_plan(values, SUPPORT)
    assert (plan.distro, plan.clone_source, plan.release, plan.packages, plan.mirror) == (
        "clone",
        "debian-base",
        "",
        (),
        "",
    )
    assert bootstrap_preview(values, MACHINES) == "machinectl clone debian-base web1"


def test_ssh_key_from_a_file_or_a_line(tmp_path: Path) -> None:
    key = tmp_path / "id.pub"
    key.write_text("\n# comment\nssh-ed25519 AAAA me@host\n")
    assert read_ssh_key(str(key)) == "ssh-ed25519 AAAA me@host"
    assert read_ssh_key("ssh-rsa BBBB x") == "ssh-rsa BBBB x"
    (tmp_path / "empty.pub").write_text("nothing\n")
    with pytest.raises(ValueError, match="no public key line"):
        read_ssh_key(str(tmp_path / "empty.pub"))


def test_switching_distribution_moves_only_default_fields() -> None:
    ubuntu = switched_distro(GOOD, "ubuntu", SUPPORT)
    assert (ubuntu.release, ubuntu.mirror) == ("noble", "")
    typed = replace(GOOD, release="trixie", mirror="http://mirror.local/debian")
    kept = switched_distro(typed, "ubuntu", SUPPORT)
    assert (kept.release, kept.mirror) == ("trixie", "http://mirror.local/debian")
    assert switched_distro(GOOD, "fedora", SUPPORT).release == "40"
    assert distro_problem_free("debian", SUPPORT) and not distro_problem_free("arch", SUPPORT)


def test_previews() -> None:
    assert bootstrap_preview(GOOD, MACHINES) == (
        "debootstrap --variant=minbase --include=systemd,dbus,systemd-sysv bookworm "
        "/var/lib/machines/web1 http://deb.debian.org/debian"
    )
    values = replace(GOOD, password="s3cret", timezone="UTC", networkd=True, ssh_key="ssh-rsa A")
    firstboot = firstboot_preview(values, MACHINES)
    assert "s3cret" not in firstboot
    first, *rest = firstboot.splitlines()
    assert first == (
        "systemd-firstboot --root=/var/lib/machines/web1 --force --hostname=web1 "
        "--root-password-hashed='$6$...' --timezone=UTC"
    )
    assert rest[-1] == "systemctl --root=/var/lib/machines/web1 enable systemd-networkd"
    assert "authorized_keys" in rest[0]
    settings_text = settings_preview(replace(GOOD, network="host", binds_ro="/etc", enable=True))
    assert settings_text.splitlines() == [
        "/etc/systemd/nspawn/web1.nspawn: [Exec] PrivateUsers=no [Network] VirtualEthernet=no "
        "[Files] BindReadOnly=/etc",
        "machinectl enable web1",
    ]
    # a typed name with shell words is quoted in the command shown
    assert "'/var/lib/machines/a b'" in bootstrap_preview(replace(GOOD, name="a b"), MACHINES)


_TEXT = st.text(st.characters(exclude_categories=()), max_size=40)


@settings(max_examples=300, deadline=None)
@given(
    name=_TEXT,
    release=_TEXT,
    packages=_TEXT,
    ports=_TEXT,
    binds=_TEXT,
    key=_TEXT,
    network=st.sampled_from(["veth", "host", "bridge", "x"]),
    distro=st.sampled_from(["debian", "ubuntu", "arch", "fedora", "clone", "?"]),
)
def test_no_input_makes_the_logic_raise(
    name: str, release: str, packages: str, ports: str, binds: str, key: str, network: str,
    distro: str,
) -> None:  # fmt: skip
    values = replace(GOOD, name=name, release=release, packages=packages, ports=ports,
                     binds=binds, ssh_key=key, network=network, distro=distro)  # fmt: skip
    found = problems(values, SUPPORT, exists=lambda p: True)
    bootstrap_preview(values, MACHINES)
    firstboot_preview(values, MACHINES)
    settings_preview(values)
    if not found:
        build_plan(values, SUPPORT, exists=lambda p: True)
