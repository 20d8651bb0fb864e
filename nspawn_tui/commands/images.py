"""``nspawn-tui images|import|export``: images for scripts (filled in by the images work)."""

from __future__ import annotations

import argparse
from typing import Any

from nspawn_tui.host.base import Host, HostError


def add_parsers(sub: Any) -> list[argparse.ArgumentParser]:
    images: argparse.ArgumentParser = sub.add_parser("images", help="every image with its size")
    images.add_argument("--json", action="store_true", help="JSON for scripts")
    importer: argparse.ArgumentParser = sub.add_parser("import", help="import FILE as image NAME")
    importer.add_argument("file", metavar="FILE")
    importer.add_argument("name", metavar="NAME")
    exporter: argparse.ArgumentParser = sub.add_parser("export", help="export image NAME to FILE")
    exporter.add_argument("name", metavar="NAME")
    exporter.add_argument("file", metavar="FILE")
    return [images, importer, exporter]


async def run(host: Host, args: argparse.Namespace) -> int:
    raise HostError(f"{args.command} is not written yet")
