"""``nspawn-tui --demo --demo-hosts N list``: a fleet on the command line.

Through ``main()`` (stdout captured) and once through the installed entry point.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from nspawn_tui.cli import main


def list_json(capsys: pytest.CaptureFixture[str], *args: str) -> list[dict[str, object]]:
    assert main(["--demo", "--demo-machines", "4", "--interval", "0.05", *args]) == 0
    records = json.loads(capsys.readouterr().out)
    assert isinstance(records, list)
    return records


def test_list_json_of_two_demo_hosts_has_host_and_qualified_names(
    capsys: pytest.CaptureFixture[str],
) -> None:
    records = list_json(capsys, "--demo-hosts", "2", "list", "--json")
    assert {r["host"] for r in records} == {"demo1", "demo2"}
    for record in records:
        name = record["name"]
        assert isinstance(name, str) and name.startswith(f"{record['host']}/")
    names = {r["name"] for r in records}
    assert {"demo1/web", "demo2/web"} <= names
    assert len(records) == 2 * 4
    running = [r for r in records if r["state"] == "running"]
    assert running and all(isinstance(r["cpu_percent"], float) for r in running)
    assert all(r["interfaces"] is not None for r in running if r["net_mode"] == "veth")


def test_list_json_of_one_host_is_as_before(capsys: pytest.CaptureFixture[str]) -> None:
    records = list_json(capsys, "list", "--json")
    assert "web" in {r["name"] for r in records}
    # one host: plain names, and the host's label ("local" here; a remote one's ssh name)
    assert all(r["host"] == "local" and "/" not in str(r["name"]) for r in records)


def test_list_table_of_a_fleet_has_a_host_column(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--demo", "--demo-hosts", "3", "--demo-machines", "2", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:3] == ["HOST", "NAME", "STATE"]
    rows = [line.split() for line in lines[1:]]
    assert len(rows) == 6
    assert {(row[0], row[1].split("/")[0]) for row in rows} == {
        ("demo1", "demo1"),
        ("demo2", "demo2"),
        ("demo3", "demo3"),
    }
    assert main(["--demo", "--demo-machines", "2", "list"]) == 0
    assert capsys.readouterr().out.splitlines()[0].split()[0] == "NAME"


def test_the_installed_command_lists_a_demo_fleet(tmp_path: Path) -> None:
    env = dict(os.environ, HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "config"))
    result = subprocess.run(
        [sys.executable, "-m", "nspawn_tui", "--demo", "--demo-hosts", "3", "list", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    records = json.loads(result.stdout)
    assert {r["host"] for r in records} == {"demo1", "demo2", "demo3"}
    assert all(r["name"].startswith(r["host"] + "/") for r in records)
