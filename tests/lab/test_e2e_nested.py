"""End-to-end on the nested lab: the app runs *inside* the outer container (a
real systemd host), on the outer's own bus, so the PIDs and cgroup paths that
its machined and systemd report mean what they say.  There the v1 memory
hierarchy is read-only: memory is not accounted and must show as unavailable."""

from __future__ import annotations

import json
from pathlib import Path

import labkit
from labkit.nested import project_dir

# as in conftest.py's nested_lab (not imported from there: several conftest.py
# files under tests/lab make "import conftest" ambiguous)
INNER_RUNNING = "ntl-inner1"
INNER_STOPPED = "ntl-inner2"
INNER_TESTS = Path(__file__).resolve().parent / "e2e_inner"
INSIDE_ENV = {
    "PYTHONDONTWRITEBYTECODE": "1",  # the checkout is read-only inside
    "NTL_INSIDE_OUTER": "1",
    "NTL_INNER_RUNNING": INNER_RUNNING,
    "NTL_INNER_STOPPED": INNER_STOPPED,
}


def test_list_json_inside_the_outer(nested_lab: labkit.NestedLab) -> None:
    result = nested_lab.run(
        nested_lab.python_argv(["-m", "nspawn_tui", "list", "--json"]),
        env={"PYTHONDONTWRITEBYTECODE": "1"},
        cwd="/tmp",
    )
    assert result.returncode == 0, result.stderr
    records = {record["name"]: record for record in json.loads(result.stdout)}
    assert ".host" not in records and nested_lab.outer not in records, sorted(records)
    inner = records[INNER_RUNNING]
    assert inner["state"] == "running", inner
    assert inner["unit"] == f"systemd-nspawn@{INNER_RUNNING}.service"
    assert inner["os"].startswith("Debian GNU/Linux 12"), inner
    assert isinstance(inner["cpu_percent"], float), inner
    # not accounted (read-only v1 memory hierarchy): unavailable, never 0
    assert inner["memory_bytes"] is None, inner
    assert inner["memory_max_bytes"] is None, inner
    # the pids hierarchy is read-only too: tasks are unavailable (or counted), never 0
    assert inner["tasks"] is None or inner["tasks"] >= 1, inner
    stopped = records[INNER_STOPPED]
    assert stopped["state"] == "stopped", stopped
    assert stopped["cpu_percent"] is None and stopped["memory_bytes"] is None, stopped


def test_dashboard_inside_the_outer(nested_lab: labkit.NestedLab) -> None:
    inner_file = INNER_TESTS / "inner_dashboard.py"
    argv = nested_lab.pytest_argv(
        ["-q", "-s", "--rootdir", str(project_dir()), "-o", "python_files=inner_*.py"]
        + [str(inner_file)]
    )
    result = nested_lab.run(argv, env=INSIDE_ENV, cwd="/tmp", timeout=120)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "1 passed" in output and "skipped" not in output, output
    assert "inner-dashboard-ok" in output, output
