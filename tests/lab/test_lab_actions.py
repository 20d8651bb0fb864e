"""Lifecycle actions of MachinedHost on the nested lab (real systemd manager).

The assertions run *inside* the outer container, where the outer's systemd,
machined and PIDs are the real thing: ``inner_actions/inner_lifecycle.py``
boots the stopped inner image with ``start()`` and powers it off, reboots it,
kills it with SIGKILL, terminates it, enables and disables it (unit file state
and the ``machines.target.wants`` symlink), and checks that a boot of a name
without an image fails with the unit's journal in the message. Here, on the
VM, we check that it all passed and that the lab is left as it was.

``--read-only`` refusal of every mutating method is tested without a lab in
``tests/unit/host/test_host_read_only.py``.
"""

from __future__ import annotations

import labkit
from conftest import INNER_RUNNING, INNER_STOPPED
from labkit.inside import passed_count, run_pytest_inside

INNER_ENV = {"NTL_INNER_RUNNING": INNER_RUNNING, "NTL_INNER_STOPPED": INNER_STOPPED}


def test_lifecycle_actions_inside_the_outer(nested_lab: labkit.NestedLab) -> None:
    result = run_pytest_inside(nested_lab, ["inner_lifecycle.py"], env=INNER_ENV)
    assert passed_count(result) >= 7
    # the session's inner containers are as the other tests expect them
    assert nested_lab.inner_state(INNER_STOPPED) is None
    assert nested_lab.unit_state(INNER_STOPPED) == "inactive"
    assert nested_lab.inner_state(INNER_RUNNING) == "running"
    wants = nested_lab.outer_root / "etc/systemd/system/machines.target.wants"
    assert not (wants / f"systemd-nspawn@{INNER_STOPPED}.service").is_symlink()
