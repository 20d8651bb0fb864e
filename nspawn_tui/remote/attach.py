"""(placeholder: written by the remote-host work)."""
