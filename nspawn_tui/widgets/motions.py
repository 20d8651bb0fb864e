"""The keys that move in every list (vim motions beside the arrows), under one id each.

Every list (the machine table, the process and image tables, the log view)
binds these ids, so one keymap entry (``"list.down" = ["down", "j", "n"]``)
changes the key in all of them.  The action names differ per widget (each
list moves its own cursor); the ids and default keys are the same.
"""

from __future__ import annotations

from textual.binding import Binding, BindingType

#: id -> (default keys, description)
LIST_MOTIONS: dict[str, tuple[str, str]] = {
    "list.up": ("up,k", "Up"),
    "list.down": ("down,j", "Down"),
    "list.page_up": ("pageup", "Page up"),
    "list.page_down": ("pagedown", "Page down"),
    "list.half_page_up": ("ctrl+u", "Half page up"),
    "list.half_page_down": ("ctrl+d", "Half page down"),
    "list.first": ("home,g", "First"),
    "list.last": ("end,G", "Last"),
}


def motion_bindings(
    actions: dict[str, str], labels: dict[str, str] | None = None, shown: tuple[str, ...] = ()
) -> list[BindingType]:
    """The list motions bound to ``actions`` (id -> action); ``labels``: other descriptions;
    ``shown``: the ids the footer shows."""
    bindings: list[BindingType] = []
    for binding_id, action in actions.items():
        keys, description = LIST_MOTIONS[binding_id]
        label = (labels or {}).get(binding_id, description)
        bindings.append(Binding(keys, action, label, show=binding_id in shown, id=binding_id))
    return bindings
