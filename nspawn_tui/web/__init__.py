"""The dashboard in a browser: ``nspawn-tui serve`` through textual-serve.

(stub: filled by the web work) Never imports Textual itself (each browser tab
runs the app in its own process). May import: nspawn_tui.safe; textual_serve, aiohttp.
"""
