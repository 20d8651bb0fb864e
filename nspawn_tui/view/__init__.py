"""View models without Textual, shared by the widgets and the command line.

Owns :mod:`.rows` (machine table rows: cell texts, styles, sort keys, the
row cache), :mod:`.host_rows` (a fleet's host rows and the grouping of
machines under them), :mod:`.formatting` (figures as text: bytes, percentages,
durations), :mod:`.history` (5-second bins of a figure for the graphs),
:mod:`.actions` (what each lifecycle action is: its key, whether it asks,
the state that ends its wait), :mod:`.log_printer` (``nspawn-tui logs``
into a pipe), :mod:`.create_form` (the create form's problems and plan) and
:mod:`.create_preview` (its shell equivalents).  It may import
:mod:`nspawn_tui.host.base` and :mod:`nspawn_tui.host.network` (the data
types), :mod:`nspawn_tui.create` (the plan, and the argv the creation
runs), :mod:`nspawn_tui.images.names` (machined's name rules),
:mod:`nspawn_tui.journal`, :mod:`nspawn_tui.units` and
:mod:`nspawn_tui.safe`; never Textual, never a concrete host.
"""
