"""Subcommands for scripts (``list``, ``ps``, ``images``, ``import``, ``export``): a Host in, text out.

Owns :mod:`.listing` (``list``: machines, metrics, network), :mod:`.ps`
(the processes of a machine), :mod:`.images` (images, import and
export), :mod:`.metrics` (``export`` without an image: the Prometheus
exporter) and :mod:`.config` (``config --check`` and ``--print-default``:
the config file alone, no Host), :mod:`.create` (``create``: a new
container, through :mod:`nspawn_tui.create`), and :mod:`.parser` (the command line: the
dashboard's options; the subcommands' parsers, :mod:`nspawn_tui.web.serve`'s
too, only when one is asked for).  Each other gives ``add_parser(sub)`` and
``async run(host, args) -> int``; ``cli.py`` chooses the Host and connects it.  Printed text
is cleaned (:mod:`nspawn_tui.safe`) and JSON is ASCII with escapes.  It may
import the Host and its types (:mod:`nspawn_tui.host.base`, :mod:`nspawn_tui.host.events`,
:mod:`nspawn_tui.host.images`, :mod:`nspawn_tui.host.network`,
:mod:`nspawn_tui.host.processes`), :mod:`nspawn_tui.images`, :mod:`nspawn_tui.exporter`,
:mod:`nspawn_tui.view`, :mod:`nspawn_tui.config`, :mod:`nspawn_tui.units` and
:mod:`nspawn_tui.safe`;
never Textual, never a Host implementation.
"""
