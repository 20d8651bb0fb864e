"""Journals: records, their parser, journalctl sources and their merger, the store, export.

Owns everything between a ``journalctl -o json`` process and the lines a
log view or ``nspawn-tui logs`` shows: :mod:`.records` (the record types
and the parser of journalctl's JSON lines), :mod:`.sources` (one
``journalctl`` reader per machine, restarted after a back-off, whose
command line a prefix such as ``ssh HOST`` can wrap, and the merger of
several), :mod:`.store` (the time-ordered, bounded store behind a view, held
in columns), :mod:`.filters` (which records a view shows), :mod:`.patterns`
(what a search looks for, each look bounded in time), :mod:`.search`
(finding records in a store) and :mod:`.export` (writing a view to a file,
cleaned or raw). It may import the standard library, ``regex`` (a regular
expression's search, which can be stopped) and :mod:`nspawn_tui.safe`;
never Textual, never a Host.
"""
