"""The app's own keys (``NspawnApp.BINDINGS``), in force under every full screen.

Apart from :mod:`.keymap` (which imports every screen to know every binding)
so that the app's start does not load all the screens for two bindings.
"""

from __future__ import annotations

from textual.binding import Binding, BindingType

APP_BINDINGS: list[BindingType] = [
    Binding("q", "quit", "Quit", id="app.quit"),
    Binding("question_mark", "help", "Help", key_display="?", id="app.help"),
]

#: Actions whose screen hands the terminal to a machine (shell, login).
ATTACH_ACTIONS = frozenset({"shell", "shell_as", "login"})
