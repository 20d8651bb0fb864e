"""Reading and checking the config file (stub: filled by the config work)."""

from __future__ import annotations

from nspawn_tui.config.model import Config


def load_config(path: str | None) -> Config:
    """The settings of the file at ``path`` (None or missing: the defaults)."""
    return Config(path=path)
