"""The dashboard in a browser: ``nspawn-tui serve`` through textual-serve.

Owns :mod:`.serve` (the subcommand: ``add_parser``, ``run``), :mod:`.listen`
(``--listen`` and whether a token is needed), :mod:`.command` (the per-tab
command: ``python -m nspawn_tui --web-child`` and the host options, quoted
for ``/bin/sh``), :mod:`.gate` (the token, Host and Origin checks) and
:mod:`.server` (textual-serve's server behind the gate; every tab's app
ended with the server).  Never imports Textual itself (each browser tab runs
the app in its own process).  May import :mod:`nspawn_tui.safe`;
textual_serve, aiohttp and aiohttp_jinja2.
"""
