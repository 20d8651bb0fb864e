"""The shell equivalent of each section of the create form, as the user fills it in.

Made from :class:`~nspawn_tui.view.create_form.FormValues` as they are, with
the backend's own argv builders (:mod:`nspawn_tui.create.bootstrap`,
:mod:`nspawn_tui.create.firstboot`, :mod:`nspawn_tui.create.nspawnfile`), so
the form shows what the creation will run.  A field with a problem shows
what was typed, quoted; the password is never shown (``'$6$...'``).
"""

from __future__ import annotations

import shlex
from typing import Final

from nspawn_tui.create.bootstrap import bootstrap_argv
from nspawn_tui.create.firstboot import firstboot_argv, networkd_argv, shown, ssh_key_command
from nspawn_tui.create.model import CreatePlan, FirstBoot
from nspawn_tui.units.names import machinectl
from nspawn_tui.view.create_form import DEBIAN_FAMILY, DISTROS, FormValues, split_words

NSPAWN_DIR: Final = "/etc/systemd/nspawn"
#: Stands for the hash in the preview (firstboot.shown masks it).
_HASH_STANDIN: Final = "$6$"


def tree_of(values: FormValues, machines_dir: str) -> str:
    directory = values.directory.strip() or machines_dir
    return f"{directory.rstrip('/')}/{values.name.strip() or 'NAME'}"


def _plan(values: FormValues, machines_dir: str) -> CreatePlan:
    distro = values.distro if values.distro in DISTROS else "debian"
    return CreatePlan(
        name=values.name.strip() or "NAME",
        distro=distro,
        release=values.release.strip() or "RELEASE",
        mirror=values.mirror.strip(),
        signing_key=values.signing_key.strip() if distro == "fedora" else "",
        packages=tuple(split_words(values.packages)),
        variant="minbase" if distro in DEBIAN_FAMILY and values.minbase else "",
        directory=(values.directory.strip() or machines_dir).rstrip("/") or "/",
    )


def bootstrap_preview(values: FormValues, machines_dir: str) -> str:
    """``debootstrap --variant=minbase --include=systemd,dbus,systemd-sysv bookworm DIR MIRROR``."""
    name = values.name.strip() or "NAME"
    if values.distro == "clone":
        return machinectl("clone", values.clone_source.strip() or "IMAGE", name)
    try:
        return shlex.join(bootstrap_argv(_plan(values, machines_dir)))
    except ValueError:
        return f"# no bootstrapper for {values.distro}"


def firstboot_preview(values: FormValues, machines_dir: str) -> str:
    """``systemd-firstboot --root=DIR --force --hostname=NAME --root-password-hashed='$6$...'``."""
    tree = tree_of(values, machines_dir)
    setup = FirstBoot(
        hostname=values.hostname.strip() or values.name.strip() or "NAME",
        root_password_hash=_HASH_STANDIN if values.password else "",
        timezone=values.timezone.strip(),
        locale=values.locale.strip(),
    )
    lines = [shown(firstboot_argv(tree, setup))]
    if values.ssh_key.strip():
        lines.append(ssh_key_command(tree))
    if values.networkd:
        lines.append(shlex.join(networkd_argv(tree)))
    return "\n".join(lines)


def nspawn_lines(values: FormValues) -> list[str]:
    """The .nspawn file's lines, as far as the fields can be read."""
    exec_lines = ["[Exec]", f"PrivateUsers={'pick' if values.private_users else 'no'}"]
    network = ["[Network]"]
    if values.network == "bridge":
        network.append(f"Bridge={values.bridge.strip() or 'BRIDGE'}")
    else:
        network.append(f"VirtualEthernet={'no' if values.network == 'host' else 'yes'}")
    for item in split_words(values.ports):
        has_protocol = item.lower().startswith(("tcp:", "udp:"))
        network.append(f"Port={item if has_protocol else 'tcp:' + item}")
    files = [f"Bind={item}" for item in split_words(values.binds)]
    files += [f"BindReadOnly={item}" for item in split_words(values.binds_ro)]
    return exec_lines + network + (["[Files]", *files] if files else [])


def settings_preview(values: FormValues) -> str:
    """``/etc/systemd/nspawn/NAME.nspawn: [Exec] PrivateUsers=no [Network] ...``, enable, start."""
    name = values.name.strip() or "NAME"
    lines = [f"{NSPAWN_DIR}/{name}.nspawn: {' '.join(nspawn_lines(values))}"]
    if values.enable:
        lines.append(machinectl("enable", name))
    if values.start:
        lines.append(machinectl("start", name))
    return "\n".join(lines)
