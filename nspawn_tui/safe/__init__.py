"""Outside text made safe to show: everything a container controls is hostile.

Owns :mod:`.text`: :func:`clean` (and its helpers), the one function every piece of
outside text passes through before it reaches a terminal, a file the user
reads, or a widget: machine and image names, os-release fields, hostnames,
unit names, journal fields, addresses, and error texts that quote them.
Control characters, bidirectional overrides, invisible format characters
and invalid UTF-8 become visible, inert placeholders, so the text can
neither drive the terminal (title, clipboard, cursor moves) nor shift a
column.  It imports only the standard library and :mod:`rich.cells` (for
cell widths); never Textual, so the backend and the command line use it too.
"""

from __future__ import annotations

from nspawn_tui.safe.text import cell_width, clean, clean_lines, is_clean

__all__ = ["cell_width", "clean", "clean_lines", "is_clean"]
