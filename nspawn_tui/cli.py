"""Command line: the dashboard, and subcommands for scripts.

Options work before or after a subcommand (``nspawn-tui --demo list`` and
``nspawn-tui list --demo`` are the same).  Expected failures print one line
and exit with status 2; no Python traceback.  A lost terminal or SIGHUP ends
the dashboard and a shell with status 129, SIGTERM with 143
(:mod:`nspawn_tui.terminal.lifeline`).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import gc
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

from nspawn_tui import __version__
from nspawn_tui.commands import parser as _parser
from nspawn_tui.commands.parser import LOG_LINES as LOG_LINES
from nspawn_tui.host.base import Host, HostError, HostUnavailable, Snapshot
from nspawn_tui.safe import clean
from nspawn_tui.terminal.lifeline import EXIT_HANGUP, Lifeline, terminal_fds

if TYPE_CHECKING:
    from nspawn_tui.config.model import Config
    from nspawn_tui.host.network import NetworkInfo
    from nspawn_tui.remote.target import SshTarget

EXIT_UNAVAILABLE = 2


def build_parser(*, commands: bool = True) -> argparse.ArgumentParser:
    """The command line (:mod:`nspawn_tui.commands.parser`) with this version."""
    return _parser.build_parser(__version__, commands=commands)


#: Subcommands for scripts: each runs on a connected Host (nspawn_tui.commands).
SCRIPTS: frozenset[str] = frozenset({"ps", "images", "import", "export", "create"})


def _script_runner(command: str) -> Callable[[Host, argparse.Namespace], Awaitable[int]]:
    if command == "create":
        from nspawn_tui.commands import create as create_command

        return create_command.run
    if command == "ps":
        from nspawn_tui.commands import ps as ps_command

        return ps_command.run
    from nspawn_tui.commands import images as images_command

    return images_command.run


async def _script(args: argparse.Namespace) -> int:
    host = make_host(args)
    try:
        await host.connect()
        return await _script_runner(args.command)(host, args)
    finally:
        await host.close()


def make_host(args: argparse.Namespace) -> Host:
    """The Host the options ask for: one host, or a fleet of several (``--host``, config file)."""
    if args.demo:
        from nspawn_tui.host.demo.host import DemoHost

        if args.demo_hosts <= 1:
            return DemoHost(seed=args.seed, machines=args.demo_machines, read_only=args.read_only)
        demos: list[Host] = []
        for index in range(args.demo_hosts):
            demo = DemoHost(
                seed=args.seed + index, machines=args.demo_machines, read_only=args.read_only
            )
            demo.label = f"demo{index + 1}"
            demos.append(demo)
        return _fleet(demos, args)
    hosts = [_one_host(target, args) for target in host_targets(args)]
    return hosts[0] if len(hosts) == 1 else _fleet(hosts, args)


def _one_host(target: SshTarget | None, args: argparse.Namespace) -> Host:
    if target is None:
        from nspawn_tui.host.machined.host import MachinedHost

        return MachinedHost(args.bus, read_only=args.read_only)
    from nspawn_tui.remote.host import remote_host

    if args.ssh_config:
        target = dataclasses.replace(target, ssh_config=args.ssh_config)
    host = remote_host(target, read_only=args.read_only)
    host.group = target.group
    return host


def _fleet(hosts: list[Host], args: argparse.Namespace) -> Host:
    from nspawn_tui.fleet.host import FleetHost

    return FleetHost(hosts, read_only=args.read_only)


def _config_file(args: argparse.Namespace) -> str | None:
    """The config file that names the hosts: ``--config``'s, else the XDG one if it exists."""
    from nspawn_tui.config.load import default_config_path

    if args.config:
        return str(args.config)
    path = default_config_path()
    return path if path is not None and os.path.exists(path) else None


def host_targets(args: argparse.Namespace) -> list[SshTarget | None]:
    """``--host`` values, else the config file's hosts, else this machine (None is local).

    Raises :class:`HostsError` naming the value, or the file and line, that is wrong.
    """
    path = _config_file(args)
    if not args.host and path is None:
        return [None]  # no hosts to read: the hosts' reader is not loaded (a plain start)
    from nspawn_tui.fleet.hostsfile import HostsError, load_hosts, targets_from_options

    if args.host:
        return targets_from_options(args.host)
    assert path is not None
    if not os.path.exists(path):
        raise HostsError(f"{path}: no such file")
    try:
        found = load_hosts(path)
    except HostsError:  # a problem of the config file (said by settings()): this machine
        return [None]
    return found or [None]


def _hosts_problem(args: argparse.Namespace) -> str | None:
    """What is wrong with ``--host`` or a missing ``--config`` file (None: nothing)."""
    if not args.host and _config_file(args) is None:
        return None
    from nspawn_tui.fleet.hostsfile import HostsError

    try:
        host_targets(args)
    except HostsError as exc:
        return str(exc)
    return None


async def _probe(args: argparse.Namespace) -> None:
    """Connect once and disconnect: tells early whether the host is reachable."""
    host = make_host(args)
    try:
        await host.connect()
    finally:
        await host.close()


def _fail(message: str) -> int:
    print(f"nspawn-tui: {message}", file=sys.stderr)
    print("nspawn-tui: try --demo for a simulated host", file=sys.stderr)
    return EXIT_UNAVAILABLE


async def _networks(host: Host, snapshot: Snapshot) -> dict[str, NetworkInfo]:
    """The interfaces of every running machine; one that cannot be read is left out (null)."""
    networks: dict[str, NetworkInfo] = {}
    for name in snapshot.samples:
        try:
            networks[name] = await host.network(name)
        except HostError:
            continue  # its "interfaces" is null: unavailable, as the JSON says
    return networks


async def _list(args: argparse.Namespace) -> int:
    host = make_host(args)
    try:
        await host.connect()
        first = await host.snapshot()
        if not first.connected:
            raise HostUnavailable(first.error or "host not reachable")
        host.watch_network([m.name for m in first.machines if m.running])  # all are "shown"
        await asyncio.sleep(max(0.05, args.interval))
        snapshot = await host.snapshot()
        if not snapshot.connected:
            raise HostUnavailable(snapshot.error or "host not reachable")
        from nspawn_tui.commands.listing import machine_records, table

        networks = await _networks(host, snapshot) if args.json else {}
        records = machine_records(snapshot, host.now(), networks, host=host.label)
        for status in snapshot.hosts:  # a fleet: say which hosts are missing or late
            if status.error:
                print(f"nspawn-tui: {status.label}: {clean(status.error)}", file=sys.stderr)
    finally:
        await host.close()
    if args.json:
        import json

        # ensure_ascii: every control, C1 and bidi character is a \u escape, never raw
        print(json.dumps(records, indent=2, ensure_ascii=True))
    else:
        print(table(records))
    return 0


async def _logs_to_pipe(args: argparse.Namespace) -> int:
    from nspawn_tui.journal.records import LogOptions
    from nspawn_tui.view.log_printer import print_logs

    host = make_host(args)
    try:
        await host.connect()
        options = LogOptions(lines=args.lines, follow=args.follow)
        return await print_logs(host, args.names, options, sys.stdout, sys.stderr)
    finally:
        await host.close()


def _print_logs(args: argparse.Namespace) -> int:
    """``logs`` into a pipe or a file: the records as text (see :mod:`nspawn_tui.view.log_printer`).

    Under a :class:`Lifeline` (watching standard output: a pipe whose reader
    is gone): SIGHUP, SIGTERM or a lost reader end the ``journalctl``
    readers with us, within its grace period.
    """
    with Lifeline([1]) as lifeline:
        status = _print_logs_until_done(args)
    return lifeline.status if lifeline.status is not None else status


def _print_logs_until_done(args: argparse.Namespace) -> int:
    try:
        try:
            return asyncio.run(_logs_to_pipe(args))
        except HostError as exc:
            if not args.or_demo or args.demo:
                return _fail(clean(str(exc)))
            print(f"nspawn-tui: {clean(str(exc))}: the demo host (simulated) instead",
                  file=sys.stderr)  # fmt: skip
            args.demo = True
            return asyncio.run(_logs_to_pipe(args))
    except BrokenPipeError:
        # The reader is gone (``| head``): stop quietly, with the status of a
        # process killed by SIGPIPE; stdout to /dev/null so exiting flushes nothing.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return 128 + 13


def _run_dashboard(args: argparse.Namespace, config: Config) -> int:
    # Nothing made before the app runs is garbage worth a collection's time: the
    # collector waits until then (its passes over Textual's imports were ~10 ms
    # of the first frame; the few hundred cycles left by then are frozen).
    gc.disable()
    try:
        return _dashboard(args, config)
    finally:
        gc.enable()


def _dashboard(args: argparse.Namespace, config: Config) -> int:
    notice = None
    if not args.demo:
        try:
            asyncio.run(_probe(args))
        except HostError as exc:
            if not args.or_demo:
                return _fail(str(exc))
            notice = f"{exc}: showing the demo host (simulated) instead"
            print(f"nspawn-tui: {notice}", file=sys.stderr)
            args.demo = True
    from nspawn_tui.app import NspawnApp

    logs = args.names if args.command == "logs" else None
    # Standard input is the dashboard's only input: its end ends the app too.
    with Lifeline(terminal_fds(0)) as lifeline:
        app = NspawnApp(
            make_host(args),
            interval=args.interval,
            notice=notice,
            logs=logs,
            scrollback=args.scrollback,
            lifeline=lifeline,
            config=config,
            web=args.web_child,
        )
        # What the imports made lives as long as the process: the collector need not
        # scan it again (a third of the first frame's collections; benchmarks/README.md).
        gc.freeze()
        # A poll makes a few thousand short-lived objects; at the default threshold
        # (700) that was two young collections a poll, a tenth of the dashboard's own
        # time. Most die by reference count before a collection sees them.
        gc.set_threshold(10_000, 20, 10)
        gc.enable()
        app.run()
    if lifeline.status is not None:
        return lifeline.status
    return app.return_code or 0


async def _open_pty(args: argparse.Namespace, command: list[str]) -> int:
    host = make_host(args)
    try:
        await host.connect()
        if args.command == "login":
            return await host.open_login(args.name)
        return await host.open_shell(args.name, args.user, command)
    finally:
        await host.close()


def _attach(args: argparse.Namespace, command: list[str]) -> int:
    from nspawn_tui.terminal.relay import relay, restore_terminal_modes

    if command and not command[0].startswith("/"):
        print(f"nspawn-tui: the command must be an absolute path, not {command[0]!r}",
              file=sys.stderr)  # fmt: skip
        return EXIT_UNAVAILABLE
    # Only terminals: piped input ends with an end-of-file sent to the shell.
    with Lifeline(terminal_fds()) as lifeline:
        try:
            fd = asyncio.run(_open_pty(args, command))
        except HostError as exc:
            print(f"nspawn-tui: {exc}", file=sys.stderr)
            return lifeline.status or EXIT_UNAVAILABLE
        try:
            login = args.command == "login"
            result = relay(fd, ignore_vhangup=login, abort_fd=lifeline.abort_fd)
            if result.reason == "hangup":
                lifeline.end(EXIT_HANGUP, result.message)  # the first end (and status) wins
        finally:
            os.close(fd)
            if os.isatty(1):
                restore_terminal_modes(1)
    if lifeline.status is not None:
        print(f"\r\nnspawn-tui: ended: {lifeline.reason}", file=sys.stderr)
        return lifeline.status
    print(f"\r\nnspawn-tui: {result.message}", file=sys.stderr)
    return 1 if result.reason == "error" else 0


def _serve_metrics(args: argparse.Namespace) -> int:
    """``nspawn-tui export`` without NAME and FILE: the Prometheus exporter until interrupted."""
    from nspawn_tui.commands import metrics as metrics_command

    args.read_only = True  # the exporter only reads: nothing can change the host through it
    try:
        return asyncio.run(metrics_command.serve(make_host(args), args))
    except HostError as exc:
        return _fail(str(exc))


def main(argv: Sequence[str] | None = None) -> int:
    raw = list(sys.argv[1:] if argv is None else argv)
    command: list[str] = []
    if "--" in raw:
        at = raw.index("--")
        raw, command = raw[:at], raw[at + 1 :]
    args = _parser.parse_args(raw, __version__)
    if command and args.command != "shell":
        build_parser().error("a command after -- is only for 'shell'")
    from nspawn_tui.commands import config as config_command

    if args.command == "config":
        return config_command.run(args, sys.stdout, sys.stderr)
    problem = _hosts_problem(args)  # a wrong --host or a missing --config file: said first
    if problem is not None:
        print(f"nspawn-tui: {clean(problem)}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    config = config_command.settings(args, sys.stderr)  # its problems said; options win
    try:
        if args.command == "export" and args.name is None and args.file is None:
            return _serve_metrics(args)
        if args.command == "serve":
            from nspawn_tui.web import serve as web_serve

            return web_serve.run(args)
        if args.command in {"shell", "login"}:
            return _attach(args, command)
        if args.command == "list" or args.command in SCRIPTS:
            run = _list if args.command == "list" else _script
            try:
                return asyncio.run(run(args))
            except HostError as exc:
                if args.command != "list" and not isinstance(exc, HostUnavailable):
                    print(f"nspawn-tui: {exc}", file=sys.stderr)  # cleaned (HostError)
                    return 1
                if args.or_demo and not args.demo:
                    args.demo = True
                    return asyncio.run(run(args))
                return _fail(str(exc))
        if args.command == "logs" and not sys.stdout.isatty():
            return _print_logs(args)
        return _run_dashboard(args, config)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
