"""``nspawn-tui create NAME --distro debian --release bookworm [...]``: a container for scripts.

Prints each step's title and shell equivalent, then the bootstrapper's stage
lines as it goes (plain text, cleaned), and ends with status 0 (created) or 1
(refused, failed or cancelled: nothing is left behind).  The root password
is read from standard input or a file, hashed at once, and never printed.
Ctrl-C cancels: the bootstrapper's process group is ended and the tree removed.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import replace
from typing import TextIO

from nspawn_tui.create.firstboot import FirstBootError, hash_password
from nspawn_tui.create.model import (
    MACHINES_DIR,
    Bind,
    CreatePlan,
    CreateProgress,
    FirstBoot,
    NetworkMode,
    NspawnSetup,
    PortForward,
)
from nspawn_tui.host.base import Host, HostError
from nspawn_tui.safe import clean

DISTROS = ("debian", "ubuntu", "arch", "fedora")
REPORT_EVERY = 2.0  # seconds between two progress lines within one stage


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    create = sub.add_parser(
        "create",
        help="create a container: bootstrap, first-boot setup, .nspawn file, enable, start",
    )
    create.add_argument("name", metavar="NAME")
    create.add_argument("--distro", choices=DISTROS, default="debian")
    create.add_argument("--release", default="", help="bookworm, noble, 40 (not for arch)")
    create.add_argument("--variant", default="", help="debootstrap --variant, e.g. minbase")
    create.add_argument("--mirror", default="", help="default: this host's apt sources")
    create.add_argument("--gpg-key", default="", metavar="URL",
                        help="dnf with --mirror: the key its packages are signed with "
                             "(default: RPM-GPG-KEY-fedora-RELEASE-primary in /etc/pki/rpm-gpg)")  # fmt: skip
    create.add_argument("--packages", default="", metavar="A,B", help="extra packages")
    create.add_argument("--directory", default=MACHINES_DIR, metavar="DIR")
    create.add_argument("--clone", default="", metavar="IMAGE", help="clone IMAGE instead")
    create.add_argument("--hostname", default="")
    secret = create.add_mutually_exclusive_group()
    secret.add_argument("--root-password-stdin", action="store_true",
                        help="read root's password from standard input (one line)")  # fmt: skip
    secret.add_argument("--root-password-file", metavar="FILE",
                        help="read root's password from the first line of FILE")  # fmt: skip
    create.add_argument("--ssh-key", metavar="FILE", help="a public key file for root's login")
    create.add_argument("--timezone", default="")
    create.add_argument("--locale", default="")
    create.add_argument("--network", default="veth", metavar="host|veth|bridge:NAME")
    create.add_argument("--port", action="append", default=[], metavar="[tcp:]HOST:CONTAINER")
    create.add_argument("--bind", action="append", default=[], metavar="SRC[:DST]")
    create.add_argument("--bind-ro", action="append", default=[], metavar="SRC[:DST]")
    create.add_argument("--private-users", action="store_true", help="PrivateUsers=pick")
    create.add_argument("--networkd", action="store_true",
                        help="enable systemd-networkd inside (for a veth network)")  # fmt: skip
    create.add_argument("--enable", action="store_true", help="start it at host boot")
    create.add_argument("--start", action="store_true", help="start it when created")
    return create


class UsageError(ValueError):
    """An option that cannot be used; the message says why."""


def _network(text: str) -> tuple[NetworkMode, str]:
    if text in ("host", "veth"):
        return text, ""  # type: ignore[return-value]
    if text.startswith("bridge:") and text[7:]:
        return "bridge", text[7:]
    raise UsageError(f"--network takes host, veth or bridge:NAME, not {text!r}")


def _port(text: str) -> PortForward:
    parts = text.split(":")
    protocol = parts.pop(0) if parts[0] in ("tcp", "udp") else "tcp"
    try:
        numbers = [int(p) for p in parts]
    except ValueError:
        raise UsageError(f"--port takes [tcp|udp:]HOST:CONTAINER, not {text!r}") from None
    if len(numbers) == 1:
        numbers *= 2
    if len(numbers) != 2:
        raise UsageError(f"--port takes [tcp|udp:]HOST:CONTAINER, not {text!r}")
    return PortForward(numbers[0], numbers[1], "udp" if protocol == "udp" else "tcp")


def _bind(text: str, read_only: bool) -> Bind:
    source, _, target = text.partition(":")
    return Bind(source, target, read_only)


def _first_line(stream: TextIO) -> str:
    return stream.readline().rstrip("\r\n")


def _password(args: argparse.Namespace, stdin: TextIO) -> str:
    if args.root_password_stdin:
        clear = _first_line(stdin)
    elif args.root_password_file:
        try:
            with open(args.root_password_file, encoding="utf-8") as handle:
                clear = _first_line(handle)
        except OSError as error:
            raise UsageError(f"cannot read {args.root_password_file}: {error.strerror}") from None
    else:
        return ""
    try:
        return hash_password(clear)
    except FirstBootError as error:
        raise UsageError(str(error)) from None


def _ssh_key(path: str | None) -> str:
    if not path:
        return ""
    try:
        with open(path, encoding="utf-8") as handle:
            lines = [line.strip() for line in handle if line.strip()]
    except OSError as error:
        raise UsageError(f"cannot read {path}: {error.strerror}") from None
    if len(lines) != 1:
        raise UsageError(f"{path} must hold one public key line")
    return lines[0]


def plan_from_args(args: argparse.Namespace, stdin: TextIO) -> CreatePlan:
    """The plan the options ask for (the password hashed at once); :class:`UsageError`."""
    network, bridge = _network(args.network)
    setup = NspawnSetup(
        network=network, bridge=bridge, ports=tuple(_port(p) for p in args.port),
        binds=tuple([_bind(b, False) for b in args.bind] + [_bind(b, True) for b in args.bind_ro]),
        private_users=args.private_users,
    )  # fmt: skip
    boot = FirstBoot(
        hostname=args.hostname, root_password_hash=_password(args, stdin),
        root_ssh_key=_ssh_key(args.ssh_key), timezone=args.timezone, locale=args.locale,
        enable_networkd=args.networkd,
    )  # fmt: skip
    packages = tuple(p.strip() for p in args.packages.split(",") if p.strip())
    return CreatePlan(
        name=args.name, distro="clone" if args.clone else args.distro, release=args.release,
        mirror=args.mirror, signing_key=args.gpg_key, packages=packages, variant=args.variant,
        directory=args.directory,
        clone_source=args.clone, firstboot=boot, nspawn=setup, enable=args.enable,
        start=args.start,
    )  # fmt: skip


class Printer:
    """Prints the steps as they start and the stage lines as they move (plain text)."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.started: set[str] = set()
        self.last: tuple[str, float] = ("", float("-inf"))

    def show(self, progress: CreateProgress) -> None:
        for step in progress.steps:
            if step.state != "pending" and step.key not in self.started:
                self.started.add(step.key)
                print(f"==> {clean(step.title)}", file=self.out)
                for number, line in enumerate(step.command.splitlines()):
                    print(f"    {'  ' if number else '$ '}{clean(line)}", file=self.out)
        current = progress.current
        stage = progress.stage if current is not None and current.key == "bootstrap" else ""
        group = "Retrieving" if stage == "Validating" else stage  # they alternate per package
        if stage and (group != self.last[0] or progress.elapsed - self.last[1] >= REPORT_EVERY):
            self.last = (group, progress.elapsed)
            count = ""  # a stage without packages counted (resolving, checks): its name
            if progress.done or progress.total:
                total = f"/{progress.total}" if progress.total else ""
                count = f": {progress.done}{total} packages"
            share = f" ({progress.fraction:.0%})" if progress.fraction is not None else ""
            print(f"    {clean(stage)}{count}{share}, {progress.elapsed:.0f} s", file=self.out)
        self.out.flush()


async def run(
    host: Host, args: argparse.Namespace, out: TextIO = sys.stdout, err: TextIO = sys.stderr
) -> int:
    refused = host.refusal("create_container")
    if refused is not None:
        print(f"nspawn-tui: {refused}", file=err)
        return 1
    try:
        plan = await asyncio.to_thread(plan_from_args, args, sys.stdin)
        if plan.distro == "debian" and not plan.mirror:  # the mirror this host's apt uses
            plan = replace(plan, mirror=(await host.create_support()).default_mirror)
        creation = await host.create_container(plan)
    except (UsageError, HostError) as error:
        print(f"nspawn-tui: {clean(str(error))}", file=err)
        return 1
    print(f"creating {creation.description}", file=out)
    printer = Printer(out)
    last: CreateProgress | None = None
    try:
        async for progress in creation.updates():
            printer.show(progress)
            last = progress
    except asyncio.CancelledError:  # Ctrl-C: end the tool, remove the tree, then say so
        task = asyncio.current_task()
        if task is not None:
            task.uncancel()
        await creation.cancel()
        async for progress in creation.updates():  # the last reading says what was undone
            last = progress
        message = last.error if last is not None and last.error else "cancelled"
        print(f"nspawn-tui: create {clean(plan.name)}: {clean(message)}", file=err)
        return 130
    if last is None or last.error:
        message = last.error if last is not None else "no progress"
        for line in last.log_tail if last is not None else ():
            print(f"    | {line}", file=err)
        print(f"nspawn-tui: create {clean(plan.name)}: {clean(message)}", file=err)
        return 1
    print(f"created {clean(plan.name)} in {last.elapsed:.0f} s", file=out)
    return 0
