"""``nspawn-tui images|import|export``: images, their sizes, and transfers for scripts.

``images`` lists every image (``--json``: ASCII JSON, null where a figure
is unknown).  ``import FILE NAME`` and ``export NAME FILE`` run a transfer
through the host (importd on a real host) and wait for its end: on a
terminal a progress line is redrawn in place (``\\r``), otherwise nothing is
printed until the final line.  Ctrl-C cancels the transfer and waits for
importd to say so (exit 130).  A failure exits 1 with the reason.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
from typing import Any, TextIO

from nspawn_tui.host.base import Host, HostError, Image, NoSuchMachine
from nspawn_tui.host.images import EXPORT_KINDS, IMPORT_KINDS, Transfer, TransferProgress
from nspawn_tui.images.progress import progress_line as figures
from nspawn_tui.safe import cell_width, clean
from nspawn_tui.view.formatting import format_bytes

EXIT_CANCELLED = 130
#: Suffixes of files imported as raw disk images when --kind is not given.
RAW_SUFFIXES = (".raw", ".img", ".qcow2", ".raw.xz", ".raw.gz", ".img.xz", ".qcow2.xz")


def add_parsers(sub: Any) -> list[argparse.ArgumentParser]:
    images: argparse.ArgumentParser = sub.add_parser(
        "images", help="every image with its type, size and limit"
    )
    images.add_argument("--json", action="store_true", help="JSON for scripts")
    importer: argparse.ArgumentParser = sub.add_parser(
        "import", help="import FILE (a tar, raw image or directory) as image NAME"
    )
    importer.add_argument("file", metavar="FILE")
    importer.add_argument("name", metavar="NAME")
    importer.add_argument(
        "--kind",
        choices=IMPORT_KINDS,
        help="what FILE is (default: directory for a directory, raw for .raw/.img/.qcow2, "
        "else tar)",
    )
    # not --read-only: that is every command's "change nothing" (which refuses an import)
    importer.add_argument(
        "--image-read-only", action="store_true", help="mark the new image read-only"
    )
    importer.add_argument("--force", action="store_true", help="replace an image called NAME")
    exporter: argparse.ArgumentParser = sub.add_parser(
        "export",
        help="export image NAME to the new file FILE (never replaced); "
        "without NAME and FILE: serve metrics for Prometheus",
        usage="nspawn-tui export NAME FILE [--kind tar|raw]\n"
        "       nspawn-tui export [--listen ADDRESS:PORT] [--host HOST...]",
    )
    exporter.add_argument("name", metavar="NAME", nargs="?")
    exporter.add_argument("file", metavar="FILE", nargs="?")
    exporter.add_argument(
        "--kind", choices=EXPORT_KINDS, default="tar", help="tar (default) or raw"
    )
    exporter.add_argument(
        "--listen",
        default=None,
        metavar="ADDRESS:PORT",
        help="metrics: where to serve them (default 127.0.0.1:9750; loopback unless given)",
    )
    return [images, importer, exporter]


async def run(host: Host, args: argparse.Namespace) -> int:
    if args.command == "images":
        return await _images(host, args.json)
    if args.command == "import":
        kind = args.kind or guess_kind(args.file)
        transfer = await host.import_image(
            args.file, args.name, kind, read_only=args.image_read_only, force=args.force
        )
    elif args.command == "export":
        if args.name is None or args.file is None:
            raise HostError("export needs an image NAME and a FILE (or neither, for metrics)")
        transfer = await host.export_image(args.name, args.file, args.kind)
    else:
        raise HostError(f"unknown images command {args.command!r}")
    return await follow(transfer, sys.stdout if sys.stdout.isatty() else None)


def guess_kind(path: str) -> str:
    if os.path.isdir(path):
        return "directory"
    return "raw" if path.lower().endswith(RAW_SUFFIXES) else "tar"


# ---------------------------------------------------------------- images


async def detailed_images(host: Host) -> tuple[list[Image], set[str]]:
    """Every image with its limit (one ``image()`` each), and the running machines' names."""
    listed = await host.list_images()

    async def detail(image: Image) -> Image:
        try:
            return await host.image(image.name)
        except NoSuchMachine:
            return image  # removed meanwhile: what the list said

    detailed = list(await asyncio.gather(*(detail(image) for image in listed)))
    running = {m.name for m in await host.list_machines() if m.running}
    return detailed, running


def image_records(images: list[Image], running: set[str]) -> list[dict[str, Any]]:
    """The ``images --json`` objects: names as the host gives them, null where unknown."""
    return [
        {
            "name": image.name,
            "type": image.image_type or None,
            "read_only": image.read_only,
            "usage_bytes": image.usage_bytes,
            "limit_bytes": image.limit_bytes,
            "created": image.created,
            "modified": image.modified,
            "path": image.path or None,
            "running": image.name in running,
        }
        for image in images
    ]


def image_table(records: list[dict[str, Any]]) -> str:
    """The ``images`` table: every cell cleaned, columns aligned by terminal cells."""
    header = ("NAME", "TYPE", "RO", "USAGE", "LIMIT", "RUNNING", "PATH")
    rows = [header]
    for r in records:
        rows.append(
            (
                clean(r["name"]),
                clean(r["type"] or "?"),
                "ro" if r["read_only"] else "",
                format_bytes(r["usage_bytes"]),
                "" if r["limit_bytes"] is None else format_bytes(r["limit_bytes"]),
                "running" if r["running"] else "",
                clean(r["path"] or ""),
            )
        )
    widths = [max(cell_width(row[i]) for row in rows) for i in range(len(header))]
    return "\n".join(
        "  ".join(
            cell + " " * (widths[i] - cell_width(cell)) for i, cell in enumerate(row)
        ).rstrip()
        for row in rows
    )


async def _images(host: Host, as_json: bool) -> int:
    images, running = await detailed_images(host)
    records = image_records(images, running)
    if as_json:
        # ensure_ascii: every control, C1 and bidi character is a \u escape, never raw
        print(json.dumps(records, indent=2, ensure_ascii=True))
    else:
        print(image_table(records))
    return 0


# ------------------------------------------------------------- transfers


def progress_line(progress: TransferProgress) -> str:
    """The transfer's figures on one line (see :func:`nspawn_tui.images.progress.progress_line`)."""
    return figures(progress, format_bytes)


async def follow(transfer: Transfer, terminal: TextIO | None) -> int:
    """Wait for ``transfer``'s end, drawing its progress on ``terminal`` (if any).

    SIGINT (Ctrl-C) cancels the transfer; its end is still waited for.
    """
    loop = asyncio.get_running_loop()
    cancelled = False

    def interrupt() -> None:
        nonlocal cancelled
        cancelled = True
        loop.create_task(transfer.cancel())

    try:
        loop.add_signal_handler(signal.SIGINT, interrupt)
        handled = True
    except (NotImplementedError, RuntimeError, ValueError):
        handled = False  # not the main thread: ^C ends the program as usual
    shown = 0
    last: TransferProgress | None = None
    try:
        async for progress in transfer.updates():
            last = progress
            if terminal is not None:
                line = clean(f"{transfer.description}: {progress_line(progress)}")
                terminal.write("\r" + line + " " * max(0, shown - cell_width(line)))
                terminal.flush()
                shown = cell_width(line)
    except HostError as exc:
        if terminal is not None and shown:
            terminal.write("\n")
        print(f"nspawn-tui: {exc}", file=sys.stderr)  # cleaned (HostError)
        return EXIT_CANCELLED if cancelled else 1
    finally:
        if handled:
            loop.remove_signal_handler(signal.SIGINT)
    if terminal is not None and shown:
        terminal.write("\n")
    summary = progress_line(last) if last is not None else "done"
    message = f" ({last.message})" if last is not None and last.message else ""
    print(clean(f"{transfer.description}: done, {summary}{message}"))
    return 0
