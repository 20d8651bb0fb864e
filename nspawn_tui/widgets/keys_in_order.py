"""Keys applied in the order typed, when they arrive in one burst.

Over SSH, typed fast or repeated, several keys arrive in one read.  Textual
hands each to the widget focused when the app takes it from its queue, and
runs a widget's bindings only after the key has bubbled up to the app
through the queue of every container above it; the keys typed after it go
on meanwhile.  Out of order, ``abc`` Backspace ``d`` left ``abc`` (the
Backspace deleted the ``d``), ``ct-00`` Ctrl+U ``build`` nothing, ``abc``
Left Left ``X`` ``abcX``; and the keys typed right after the one that opens
a prompt (``/boot`` on the journal view) reached the list, as commands.

- :func:`run_bindings_now`: a one-line input runs the binding of a key it
  does not type (its own, then its screen's and the app's, in Textual's
  order, with the user's keymap) in its key handler, at once, as Textual
  would have run it after the bubble: Escape closes a prompt, Tab moves on,
  before the next key is typed (``SafeInput``); a key nothing binds bubbles
  as before.  :func:`run_own_binding`: only the widget's own bindings, for
  a widget whose key handler takes keys its screen binds (``SafeTextArea``:
  Enter and Tab are text there).
- :func:`bound_action` and :func:`type_ahead`: a screen opens its prompt in
  its own key handler (keys bubble through it in the order typed) and gives
  the prompt the keys that bubble after it, queued for the list before the
  focus moved: typed in, or run as the prompt's own bindings.

If this Textual lacks what :func:`run_own_binding` reads, keys take Textual's path.
"""

from __future__ import annotations

from typing import Any

from textual import events
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Input

__all__ = ["bound_action", "run_bindings_now", "run_own_binding", "type_ahead"]


async def run_own_binding(widget: Widget, event: events.Key) -> bool:
    """Run ``widget``'s own binding of ``event``'s key now; True if one ran (the key is used)."""
    chain = getattr(widget.screen, "_modal_binding_chain", None)
    if chain is None:
        return False
    for namespace, bindings in chain:
        if namespace is not widget:
            continue
        for binding in bindings.key_to_bindings.get(event.key, ()):
            # a priority binding ran before the key reached the widget
            if not binding.priority and await widget.app.run_action(binding.action, widget):
                event.stop()
                event.prevent_default()
                return True
        break
    return False


async def run_bindings_now(widget: Widget, event: events.Key) -> bool:
    """Run the binding of ``event``'s key for the focused ``widget`` now; True if one ran.

    The bindings Textual would run once the key bubbled up to the app: the
    widget's, then its containers', its screen's and the app's.
    """
    check = getattr(widget.app, "_check_bindings", None)
    if check is None or widget.screen.focused is not widget:
        return False
    if not await check(event.key):
        return False
    event.stop()
    event.prevent_default()
    return True


def bound_action(screen: Screen[Any], key: str) -> str | None:
    """The action ``key`` runs on ``screen`` now (its enabled binding's, keymap applied)."""
    bound = screen.active_bindings.get(key)
    return None if bound is None or not bound.enabled else bound.binding.action


async def type_ahead(box: Input, event: events.Key) -> bool:
    """While ``box`` has the focus, a key that bubbled up from elsewhere is the box's.

    Typed into it (printable), or run as its own binding (Backspace, Ctrl+U,
    the arrows...); True if the box used it.  Call from the screen's key
    handler after setting the focus at once (``Screen.set_focus``).
    """
    if box.screen.focused is not box:
        return False
    if event.is_printable and event.character:
        event.stop()
        event.prevent_default()
        box.insert_text_at_cursor(event.character)
        return True
    return await run_own_binding(box, event)
