"""--read-only is enforced in the Host layer: every mutating method refuses, and
nothing reaches the host (no ``_do_*`` implementation runs, no D-Bus traffic).

The methods are enumerated with :func:`mutating_methods`, so a new mutating
method is covered as soon as it is marked; a method that loses its mark fails
:func:`test_every_action_of_the_ui_is_marked_mutating`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from nspawn_tui.create.model import CreatePlan
from nspawn_tui.host.base import Host, ReadOnlyError, mutating_methods
from nspawn_tui.host.demo.host import DemoHost
from nspawn_tui.host.machined import bus as dbus_util
from nspawn_tui.host.machined.host import MachinedHost

#: What the UI does to a host; each must be refused on a read-only host.
EXPECTED_MUTATING = {
    "start",
    "poweroff",
    "reboot",
    "terminate",
    "kill",
    "enable",
    "disable",
    "open_shell",
    "open_login",
    "set_limits",
    "write_settings",
    "signal_process",
    "clone_image",
    "rename_image",
    "remove_image",
    "set_image_read_only",
    "set_image_limit",
    "import_image",
    "export_image",
}

#: Plausible arguments of each mutating method (the demo host accepts all of
#: them). The ``mutating`` wrapper hides the signature, so they are listed here;
#: a newly marked method without an entry fails the tests until it gets one.
ARGUMENTS: dict[str, dict[str, Any]] = {
    "start": {"name": "debian-base"},
    "poweroff": {"name": "web"},
    "reboot": {"name": "web"},
    "terminate": {"name": "web"},
    "kill": {"name": "web", "signal": 9, "who": "all"},
    "enable": {"name": "web"},
    "disable": {"name": "web"},
    "open_shell": {"name": "web", "user": "root", "command": ["/bin/true"]},
    "open_login": {"name": "web"},
    "set_limits": {"name": "web", "values": {"MemoryMax": "300M"}, "runtime": True},
    "write_settings": {"name": "web", "text": "[Exec]\nBoot=yes\n"},
    "signal_process": {"name": "web", "pid": 1, "signal": 15},
    "clone_image": {"name": "debian-base", "new_name": "copy", "read_only": True},
    "rename_image": {"name": "debian-base", "new_name": "renamed"},
    "remove_image": {"name": "debian-base"},
    "set_image_read_only": {"name": "debian-base", "read_only": True},
    "set_image_limit": {"name": "debian-base", "limit": 2**30},
    "import_image": {"path": "/tmp/rootfs.tar", "name": "new", "kind": "tar"},
    "export_image": {"name": "debian-base", "path": "/tmp/out.tar", "kind": "tar"},
    "create_container": {"plan": CreatePlan(name="new", distro="debian", release="bookworm")},
}

HOST_CLASSES = (DemoHost, MachinedHost)


def arguments_for(method_name: str) -> dict[str, Any]:
    assert method_name in ARGUMENTS, f"add arguments for {method_name} to ARGUMENTS"
    return ARGUMENTS[method_name]


class Spy:
    """Records every call that would reach the host."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def recorder(self, label: str) -> Callable[..., Awaitable[Any]]:
        async def record(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(label)
            raise AssertionError(f"{label} reached the host")

        return record


def make_host(cls: type[Host], read_only: bool, spy: Spy, monkeypatch: pytest.MonkeyPatch) -> Host:
    host: Host
    if cls is MachinedHost:
        # A bus nobody listens on: connecting would fail, so any traffic is
        # caught by the spies below before it could reach anything.
        host = MachinedHost("unix:path=/nonexistent/nspawn-tui-test-bus", read_only=read_only)
        for helper in ("connect_system_bus", "call", "call_with_fds", "get_all", "get_property"):
            monkeypatch.setattr(dbus_util, helper, spy.recorder(f"dbus_util.{helper}"))
    else:
        host = DemoHost(seed=1, frozen=True, read_only=read_only)
    for attr in dir(type(host)):
        if attr.startswith("_do_"):
            monkeypatch.setattr(host, attr, spy.recorder(attr))
    return host


def test_every_action_of_the_ui_is_marked_mutating() -> None:
    for cls in HOST_CLASSES:
        assert EXPECTED_MUTATING <= set(mutating_methods(cls)), cls.__name__


@pytest.mark.parametrize("cls", HOST_CLASSES, ids=lambda cls: cls.__name__)
async def test_read_only_host_refuses_every_mutating_method(
    cls: type[Host], monkeypatch: pytest.MonkeyPatch
) -> None:
    spy = Spy()
    host = make_host(cls, True, spy, monkeypatch)
    methods = mutating_methods(cls)
    assert methods, "no mutating methods found"
    for method_name, action in sorted(methods.items()):
        method = getattr(host, method_name)
        with pytest.raises(ReadOnlyError) as refused:
            await method(**arguments_for(method_name))
        assert action in str(refused.value)
        assert "--read-only" in str(refused.value)
    assert spy.calls == []


@pytest.mark.parametrize("cls", HOST_CLASSES, ids=lambda cls: cls.__name__)
async def test_the_same_calls_reach_a_writable_host(
    cls: type[Host], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Control: the spies do see these calls when the host is not read-only."""
    for method_name in sorted(mutating_methods(cls)):
        spy = Spy()
        host = make_host(cls, False, spy, monkeypatch)
        method = getattr(host, method_name)
        with pytest.raises(AssertionError, match="reached the host"):
            await method(**arguments_for(method_name))
        assert spy.calls, method_name
