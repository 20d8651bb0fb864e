"""D-Bus plumbing shared by the local and the remote hosts (no Host logic).

Owns :mod:`.patient` (a dbus-next message bus whose writer waits for the
socket to drain instead of dropping the connection).  Never imports Textual.
May import: dbus_next.
"""
