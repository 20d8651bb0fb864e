"""The command line of ``nspawn-tui``: the dashboard's options and the subcommands.

The subcommands' modules (and their parsers) load only when a subcommand or
``--help`` is given (:func:`parse_args`): the dashboard's start does not pay
for them (see benchmarks/README.md).
"""

from __future__ import annotations

import argparse
from typing import Any

#: records ``logs`` prints by default when its output is not a terminal
LOG_LINES = 1000


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, not {value}")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _common_options(parser: argparse.ArgumentParser, suppress: bool) -> None:
    def default(value: Any) -> Any:
        return argparse.SUPPRESS if suppress else value

    group = parser.add_argument_group("host")
    group.add_argument(
        "--demo", action="store_true", default=default(False), help="use a simulated host"
    )
    group.add_argument(
        "--seed", type=int, default=default(1), metavar="N", help="seed of the demo host"
    )
    group.add_argument(
        "--demo-machines",
        type=int,
        default=default(12),
        metavar="N",
        help="number of machines of the demo host",
    )
    group.add_argument(
        "--bus",
        default=default(None),
        metavar="ADDRESS",
        help="D-Bus address of the system bus (default: $DBUS_SYSTEM_BUS_ADDRESS, "
        "then the standard system bus)",
    )
    group.add_argument(
        "--interval",
        type=float,
        default=default(None),  # None: the config file's, else 1
        metavar="S",
        help="seconds between refreshes (list: between the two CPU readings)",
    )
    group.add_argument(
        "--read-only",
        action="store_true",
        default=default(False),
        help="refuse every action that changes the host",
    )
    group.add_argument(
        "--scrollback",
        type=_positive_int,
        default=default(None),  # None: the config file's, else 10000
        metavar="N",
        help="lines kept per journal view (memory is bounded by it; default 10000)",
    )
    group.add_argument(
        "--host",
        action="append",
        default=default(None),
        metavar="[USER@]HOST[:PORT]",
        help="a host reached over ssh (systemd-stdio-bridge), or 'local'; repeat for a fleet "
        "(default: the hosts of the config file, else this machine)",
    )
    group.add_argument(
        "--ssh-config",
        default=default(None),
        metavar="FILE",
        help="ssh's configuration file (ssh -F FILE; default: ssh's own, ~/.ssh/config)",
    )
    group.add_argument(
        "--config",
        default=default(None),
        metavar="FILE",
        help="the config file (default: $XDG_CONFIG_HOME/nspawn-tui/config.toml)",
    )
    group.add_argument(
        "--demo-hosts",
        type=_positive_int,
        default=default(1),
        metavar="N",
        help="with --demo: a fleet of N simulated hosts",
    )
    group.add_argument(
        "--or-demo",
        action="store_true",
        default=default(False),
        help="fall back to the demo host when machined is not reachable (saying so)",
    )


def build_parser(version: str, *, commands: bool = True) -> argparse.ArgumentParser:
    """The command line; ``commands`` False: the dashboard's options only (no subcommands)."""
    parser = argparse.ArgumentParser(
        prog="nspawn-tui",
        description="A terminal dashboard for systemd-nspawn containers.",
    )
    parser.add_argument("--version", action="version", version=f"nspawn-tui {version}")
    parser.add_argument("--web-child", action="store_true", help=argparse.SUPPRESS)  # serve's tabs
    _common_options(parser, suppress=False)
    if not commands:
        parser.set_defaults(command=None)
        return parser
    from nspawn_tui.commands import config as config_command
    from nspawn_tui.commands import images as images_command
    from nspawn_tui.commands import ps as ps_command
    from nspawn_tui.web import serve as web_serve

    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    lister = sub.add_parser("list", help="print every machine with its metrics")
    lister.add_argument("--json", action="store_true", help="JSON for scripts")
    _common_options(lister, suppress=True)
    shell = sub.add_parser(
        "shell",
        help="a shell in a machine (^]^]^] or the shell's end returns)",
        usage="nspawn-tui shell NAME [--user U] [-- COMMAND...]",
    )
    shell.add_argument("name", metavar="NAME")
    shell.add_argument("--user", "-u", default="root", help="user to run the shell as")
    _common_options(shell, suppress=True)
    logs = sub.add_parser(
        "logs",
        help="the journals of one or more machines, merged (printed when not on a terminal)",
    )
    logs.add_argument("names", metavar="NAME", nargs="+")
    logs.add_argument(
        "-f",
        "--follow",
        action="store_true",
        help="not on a terminal: keep printing new records (on a terminal the view follows)",
    )
    logs.add_argument(
        "-n",
        "--lines",
        type=_count,
        default=LOG_LINES,
        metavar="N",
        help=f"not on a terminal: the last N records (default {LOG_LINES})",
    )
    _common_options(logs, suppress=True)
    login = sub.add_parser("login", help="a login prompt of a machine")
    login.add_argument("name", metavar="NAME")
    _common_options(login, suppress=True)
    for script in (ps_command.add_parser(sub), *images_command.add_parsers(sub)):
        _common_options(script, suppress=True)
    _common_options(config_command.add_parser(sub), suppress=True)
    _common_options(web_serve.add_parser(sub), suppress=True)
    from nspawn_tui.commands import create as create_command  # only when a subcommand is asked

    _common_options(create_command.add_parser(sub), suppress=True)
    return parser


def parse_args(raw: list[str], version: str) -> argparse.Namespace:
    """The dashboard's options alone, or the whole parser when a subcommand or help is asked."""
    if not any(word in {"-h", "--help"} for word in raw):
        args, rest = build_parser(version, commands=False).parse_known_args(raw)
        if not rest:
            return args
    return build_parser(version).parse_args(raw)
