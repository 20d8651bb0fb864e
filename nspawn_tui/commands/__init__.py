"""Subcommands for scripts (``ps``, ``images``, ``import``, ``export``): a Host in, text out.

Each module gives ``add_parser(sub)`` and ``async run(host, args) -> int``;
``cli.py`` chooses the Host and connects it.  Printed text is cleaned
(:mod:`nspawn_tui.safe`) and JSON is ASCII with escapes.  It may import
:mod:`nspawn_tui.host.base` and the Host's types (:mod:`nspawn_tui.host.images`,
:mod:`nspawn_tui.host.network`, :mod:`nspawn_tui.host.processes`),
:mod:`nspawn_tui.images`, :mod:`nspawn_tui.view`, :mod:`nspawn_tui.units`
and :mod:`nspawn_tui.safe`; never Textual, never a Host implementation.
"""
