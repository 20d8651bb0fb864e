"""The user's config file: one TOML file, every key optional, validated with messages that name
the file, the line and the key (a bad entry falls back to its default; nothing stops the app).

Owns :mod:`.model` (:class:`~.model.Config`, the settings with their defaults, and
:class:`~.model.ConfigProblem`), :mod:`.load` (reading and validation), :mod:`.lines`
(the line of each key in the file: tomllib gives none) and :mod:`.default` (the default
file printed by ``nspawn-tui config --print-default``).  The ``[[hosts]]`` of the
same file are read by :mod:`nspawn_tui.fleet.hostsfile`.

Never imports Textual. May import: nspawn_tui.fleet.hostsfile, nspawn_tui.remote.target,
nspawn_tui.safe.
"""
