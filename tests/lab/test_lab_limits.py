"""Resource limits on the nested lab (real systemd manager), runtime and persistent.

Run *inside* the outer container (``inner_actions/``):

- ``inner_limits.py``: MachinedHost.set_limits on the running inner
  container: MemoryMax=300M and CPUQuota=20% at runtime, read back with
  ``systemctl show`` (314572800, 200ms) and ``unit_limits()`` (300M, 20%);
  persistent values land in systemd's drop-in under
  ``/etc/systemd/system.control/systemd-nspawn@NAME.service.d/`` and survive
  a daemon-reload; reset to ``infinity``; a bad value ("12X", or one bad
  field among good ones) is refused before any D-Bus call and nothing changes.
- ``inner_limits_app.py``: the real app under Pilot: ``e`` on the inner
  container, MemoryMax=300M, Enter (runtime); systemd agrees, the equivalent
  ``systemctl set-property --runtime`` command is shown, and the editor shows
  300M when opened again.

- ``inner_cpu_quota.py``: the quota is *enforced*: a CPU burner in a
  container gets about 20 % of one CPU with CPUQuota=20%, and much more once
  the quota is reset. On these VMs nspawn mounts the outer's cgroup v1
  hierarchies read-only and cgroup2 has no controllers, so out of the box the
  outer's systemd accepts CPUQuota but cannot apply it. That test remounts
  the outer's cpu/cpuacct hierarchies read-write, re-executes the outer's
  systemd so it uses them, boots the stopped inner image (so that systemd
  places it in its cpu cgroup) and undoes all of it afterwards; see its
  docstring.
"""

from __future__ import annotations

import labkit
from conftest import INNER_RUNNING, INNER_STOPPED
from labkit.inside import passed_count, run_pytest_inside

INNER_ENV = {"NTL_INNER_RUNNING": INNER_RUNNING, "NTL_INNER_STOPPED": INNER_STOPPED}


def unit_dropins(nested_lab: labkit.NestedLab) -> list[str]:
    root = nested_lab.outer_root
    directory = root / "etc/systemd/system.control" / f"systemd-nspawn@{INNER_RUNNING}.service.d"
    return sorted(str(path) for path in directory.iterdir()) if directory.is_dir() else []


def memory_max(nested_lab: labkit.NestedLab) -> str:
    result = nested_lab.run(
        ["systemctl", "show", "--property=MemoryMax", "--value", f"systemd-nspawn@{INNER_RUNNING}"]
    )
    return result.stdout.strip()


def test_limits_through_the_host_inside_the_outer(nested_lab: labkit.NestedLab) -> None:
    result = run_pytest_inside(nested_lab, ["inner_limits.py"], env=INNER_ENV)
    assert passed_count(result) >= 5
    # left without limits and without persistent drop-ins
    assert memory_max(nested_lab) == "infinity"
    assert unit_dropins(nested_lab) == []
    assert nested_lab.inner_state(INNER_RUNNING) == "running"


def test_limits_editor_of_the_app_inside_the_outer(nested_lab: labkit.NestedLab) -> None:
    result = run_pytest_inside(nested_lab, ["inner_limits_app.py"], env=INNER_ENV)
    assert passed_count(result) == 1
    assert memory_max(nested_lab) == "infinity"


def test_cpu_quota_is_enforced_inside_the_outer(nested_lab: labkit.NestedLab) -> None:
    result = run_pytest_inside(nested_lab, ["inner_cpu_quota.py"], env=INNER_ENV)
    assert passed_count(result) == 1
    # undone: the outer's cpu hierarchy is read-only again, the inner image stopped
    mountinfo = nested_lab.run(["cat", "/proc/self/mountinfo"]).stdout
    cpu = [line for line in mountinfo.splitlines() if " /sys/fs/cgroup/cpu " in line]
    assert cpu and all(" ro," in line for line in cpu), cpu
    assert nested_lab.inner_state(INNER_STOPPED) is None
    assert nested_lab.inner_state(INNER_RUNNING) == "running"
