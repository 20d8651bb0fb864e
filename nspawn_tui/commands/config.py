"""``nspawn-tui config --check [FILE]`` and ``nspawn-tui config --print-default``.

No Host: the file alone.  ``--check`` prints ``FILE: ok`` (status 0) or
each problem, naming its line and key (status 1); ``--print-default`` prints
the full default file, commented.
"""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from nspawn_tui.config.load import config_path, load_config, with_options
from nspawn_tui.config.model import Config
from nspawn_tui.safe import clean


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """The ``config`` subcommand, on the subparsers ``sub`` of the main parser."""
    parser: argparse.ArgumentParser = sub.add_parser(
        "config",
        help="check a config file, or print the default one",
        description="Check a config file (default: --config, else "
        "$XDG_CONFIG_HOME/nspawn-tui/config.toml), or print the default file.",
    )
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument(
        "--check",
        nargs="?",
        const="",
        metavar="FILE",
        help="say what is wrong in FILE, naming lines and keys (status 1), or 'FILE: ok'",
    )
    action.add_argument(
        "--print-default", action="store_true", help="print the full default file, commented"
    )
    return parser


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Check a file or print the default one; the exit status."""
    if args.print_default:
        from nspawn_tui.config.default import default_text  # not loaded on every start

        out.write(default_text())
        return 0
    path = config_path(args.check or getattr(args, "config", None))
    if path is None:
        err.write("nspawn-tui: no config file: give one (HOME and XDG_CONFIG_HOME are unset)\n")
        return 2
    config = load_config(path)
    if not config.problems:
        out.write(f"{clean(path)}: ok\n")
        return 0
    for problem in config.problems:
        out.write(f"{clean(str(problem))}\n")
    return 1


def settings(args: argparse.Namespace, err: TextIO) -> Config:
    """The config file (``--config``, else the XDG one) under the command line's options.

    Each problem of the file goes to ``err`` (cleaned); its entry keeps its
    default.  ``args.interval`` and ``args.scrollback`` (None: not given)
    become the values in force.
    """
    config = load_config(args.config)
    for problem in config.problems:
        err.write(f"nspawn-tui: {clean(str(problem))}\n")
    config = with_options(config, interval=args.interval, scrollback=args.scrollback)
    args.interval, args.scrollback = config.interval, config.scrollback
    return config
