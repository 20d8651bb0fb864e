"""``nspawn-tui ps NAME [--json]``: the processes of one machine (filled in by the processes work)."""

from __future__ import annotations

import argparse
from typing import Any

from nspawn_tui.host.base import Host, HostError


def add_parser(sub: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = sub.add_parser("ps", help="the processes of a machine")
    parser.add_argument("name", metavar="NAME")
    parser.add_argument("--json", action="store_true", help="JSON for scripts")
    return parser


async def run(host: Host, args: argparse.Namespace) -> int:
    raise HostError("ps is not written yet")
