"""``nspawn-tui serve``: the dashboard in a browser, one app process per tab.

``add_parser(sub)`` gives the subcommand (``cli.py`` adds the host options,
which each tab's app gets too); ``run(args)`` checks ``--listen`` and
``--token``, builds the per-tab command (:mod:`.command`) and serves
(:mod:`.server`, imported only here: the dashboard never loads aiohttp).
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from nspawn_tui.safe import clean
from nspawn_tui.web.command import child_argv, command_string, host_words
from nspawn_tui.web.listen import (
    DEFAULT_HOST,
    DEFAULT_PORT,
    ListenError,
    decide_token,
    parse_listen,
)

EXIT_USAGE = 2


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        "serve",
        help="the dashboard in a web browser (each tab runs its own app; read-only by default)",
        description="Serve the dashboard over HTTP with textual-serve. It listens on loopback "
        "unless told otherwise; any other address always needs a token (--token, or a "
        "generated one printed in the URL).",
    )
    parser.add_argument(
        "--listen",
        default=f"{DEFAULT_HOST}:{DEFAULT_PORT}",
        metavar="ADDRESS:PORT",
        help=f"where to listen (default {DEFAULT_HOST}:{DEFAULT_PORT}; port 0: any free port)",
    )
    parser.add_argument(
        "--token",
        default=None,
        metavar="TOKEN",
        help="every request must carry it (?token=TOKEN, then a cookie); generated when "
        "listening off loopback without one",
    )
    parser.add_argument(
        "--allow-actions",
        action="store_true",
        help="let the browser change machines (boot, power off, limits...); default read-only",
    )
    return parser


def run(args: argparse.Namespace) -> int:
    """Serve until SIGTERM, SIGINT or SIGHUP (status 0); a wrong ``--listen`` or bind: status 2."""
    try:
        listen = parse_listen(args.listen)
        token = decide_token(listen, args.token)
    except ListenError as exc:
        print(f"nspawn-tui: {clean(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    options = host_words(args, read_only=not args.allow_actions)
    command = command_string(child_argv(options))
    from nspawn_tui.web.gate import Gate
    from nspawn_tui.web.server import WebServer, serve

    server = WebServer(command, Gate(token))
    try:
        return asyncio.run(serve(server, listen, sys.stdout))
    except OSError as exc:  # the address is in use, not ours, ...
        print(f"nspawn-tui: cannot listen on {clean(args.listen)}: {clean(str(exc))}",
              file=sys.stderr)  # fmt: skip
        return EXIT_USAGE
