"""Textual widgets, one per module: the machine table, detail panel, header, log view, inputs.

Owns how things are drawn: Line-API widgets that repaint only what changed,
and the last step before the terminal (:mod:`.safe_text`: outside text as
inert content, cleaned strips, safe inputs; :mod:`.geometry`: a widget's
size without a compositor lookup; :mod:`.wrapping`: the detail panel's line
wrapping, shared by its text and :mod:`.graph_column`'s titles;
:mod:`.plain_lines`: Line-API widgets whose plain lines skip Textual's
styles cache; :mod:`.paint_now`: a poll's changed lines drawn in the poll's
own step; :mod:`.key_queue`: the app hands out the keys of one burst one at
a time, in the order typed; :mod:`.mount_later`: a widget's place kept
until the screen's first frame with data is drawn).  Same imports as
:mod:`nspawn_tui.screens`, and never a screen.
"""
