"""The new machine's ``.nspawn`` file, made with the settings model (:mod:`nspawn_tui.nspawn`).

Network host (``VirtualEthernet=no``), private veth (``VirtualEthernet=yes``)
or a bridge (``Bridge=NAME``, which implies a veth); ``Port=`` forwards
(only with a private network); ``Bind=``/``BindReadOnly=`` whose host path
must exist; ``PrivateUsers=no|pick``.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Callable

from nspawn_tui.create.model import Bind, NspawnSetup
from nspawn_tui.nspawn.settings import SettingsError, SettingsFile

HEADER = "# Written by nspawn-tui create\n"


def bind_value(bind: Bind) -> str:
    if bind.container_path and bind.container_path != bind.host_path:
        return f"{bind.host_path}:{bind.container_path}"
    return bind.host_path


def setup_problem(setup: NspawnSetup, exists: Callable[[str], bool] = os.path.exists) -> str | None:
    """Why the settings cannot be written, or None (checked before anything runs)."""
    if setup.network == "bridge" and not setup.bridge:
        return "a bridged network needs the bridge's name"
    if setup.network == "host" and setup.ports:
        return "port forwards need a private network (veth or bridge), not the host's"
    for port in setup.ports:
        for number in (port.host_port, port.container_port):
            if not 1 <= number <= 65535:
                return f"{number} is not a port number (1-65535)"
    for bind in setup.binds:
        for path in (bind.host_path, bind.container_path):
            if path and (not path.startswith("/") or ":" in path or "\n" in path):
                return f"a bind mount path must be absolute, without ':' ({path!r})"
        if not exists(bind.host_path):
            return f"the bind mount's host path {bind.host_path} does not exist"
    try:
        settings_text(setup)
    except SettingsError as error:
        return str(error)
    return None


def settings_text(setup: NspawnSetup) -> str:
    """The file's text; raises :class:`SettingsError` for what systemd-nspawn would refuse."""
    settings = SettingsFile.parse(HEADER)
    settings.set("Exec", "PrivateUsers", "pick" if setup.private_users else "no")
    if setup.network == "host":
        settings.set("Network", "VirtualEthernet", "no")
    elif setup.network == "bridge":
        settings.set("Network", "Bridge", setup.bridge)
    else:
        settings.set("Network", "VirtualEthernet", "yes")
    for port in setup.ports:
        settings.add("Network", "Port", f"{port.protocol}:{port.host_port}:{port.container_port}")
    for bind in setup.binds:
        settings.add("Files", "BindReadOnly" if bind.read_only else "Bind", bind_value(bind))
    settings.validate()
    return settings.render()


def settings_command(path: str, text: str) -> str:
    return f"cat > {shlex.quote(path)} <<'EOF'\n{text}EOF"
