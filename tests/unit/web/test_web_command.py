"""The command each browser tab runs: every option passed on, every word quoted (nspawn_tui.web.command)."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from nspawn_tui.cli import build_parser
from nspawn_tui.web.command import HOST_OPTIONS, child_argv, command_string, host_words

HOSTILE = [
    "a; touch {marker}",
    "$(touch {marker})",
    "`touch {marker}`",
    'it\'s "quoted"',
    "line\nbreak && touch {marker}",
    "-oProxyCommand=touch {marker}",
    "*",
    "  spaces  ",
    "back\\slash",
    "ünïcödé ☃",
]


def serve_args(*words: str) -> argparse.Namespace:
    return build_parser().parse_args(["serve", *words])


def test_every_host_option_of_the_cli_is_passed_on() -> None:
    parser = build_parser()
    group = next(g for g in parser._action_groups if g.title == "host")
    cli = {(action.dest, action.option_strings[0]) for action in group._group_actions}
    assert cli == {(option.dest, option.flag) for option in HOST_OPTIONS}


def test_read_only_unless_actions_allowed() -> None:
    defaults = ["--seed=1", "--demo-machines=12", "--demo-hosts=1"]  # unset: left out
    assert host_words(serve_args(), read_only=True) == [*defaults[:2], "--read-only", defaults[2]]
    assert host_words(serve_args(), read_only=False) == defaults
    # --read-only given to serve stays, even with --allow-actions
    assert "--read-only" in host_words(serve_args("--read-only"), read_only=False)


def test_options_passed_on_as_one_word_each() -> None:
    args = serve_args(
        "--demo", "--seed", "7", "--host", "a", "--host", "b:2222", "--interval", "0.5",
        "--config", "/tmp/c.toml", "--or-demo",
    )  # fmt: skip
    words = host_words(args, read_only=True)
    assert words == [
        "--demo",
        "--seed=7",
        "--demo-machines=12",
        "--interval=0.5",
        "--read-only",
        "--host=a",
        "--host=b:2222",
        "--config=/tmp/c.toml",
        "--demo-hosts=1",
        "--or-demo",
    ]
    again = build_parser().parse_args(words)  # the tab's app reads them back the same
    assert (again.demo, again.seed, again.host, again.interval) == (True, 7, ["a", "b:2222"], 0.5)
    assert again.read_only and again.config == "/tmp/c.toml" and again.or_demo


def test_child_argv() -> None:
    assert child_argv(["--demo"], "/py") == ["/py", "-m", "nspawn_tui", "--web-child", "--demo"]
    assert child_argv([])[0] == sys.executable
    with pytest.raises(ValueError):
        command_string([])


def test_hostile_values_reach_the_app_intact_through_sh(tmp_path: Path) -> None:
    """Run the command string through /bin/sh as textual-serve does: argv intact, nothing run."""
    marker = tmp_path / "pwned"
    fake = tmp_path / "fake python"  # a space in the executable's path too
    fake.write_text(f"#!{sys.executable}\nimport json, sys\nprint(json.dumps(sys.argv[1:]))\n")
    fake.chmod(0o755)
    values = [value.format(marker=marker) for value in HOSTILE]
    words: list[str] = ["serve"]
    for value in values:
        words += ["--host", value]
    words += ["--config", values[1], "--ssh-config", values[4], "--bus", values[0]]
    args = build_parser().parse_args(words)
    argv = child_argv(host_words(args, read_only=True), str(fake))
    command = command_string(argv)
    assert command.startswith("exec ")
    out = subprocess.run(
        ["/bin/sh", "-c", command], capture_output=True, text=True, check=True, cwd=tmp_path,
        env={**os.environ, "LC_ALL": "C.UTF-8"},
    )  # fmt: skip
    assert json.loads(out.stdout) == argv[1:]
    assert not marker.exists()
    again = build_parser().parse_args(json.loads(out.stdout)[2:])  # from --web-child
    assert again.host == values and again.config == values[1] and again.bus == values[0]
    assert again.ssh_config == values[4] and again.web_child and again.read_only
