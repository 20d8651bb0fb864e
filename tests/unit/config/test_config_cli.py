"""``nspawn-tui config --check`` and ``--print-default``; options win over the file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from nspawn_tui.cli import build_parser, main
from nspawn_tui.commands.config import settings
from nspawn_tui.config.default import default_text


@pytest.fixture(autouse=True)
def own_config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Never the user's ~/.config: an XDG config home of the test's own."""
    home = tmp_path / "xdg"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return home


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_check_a_good_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path / "good.toml", "interval = 2\n[confirm]\nkill = false\n")
    assert main(["config", "--check", str(path)]) == 0
    assert capsys.readouterr().out == f"{path}: ok\n"


def test_check_a_bad_file_names_each_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path / "bad.toml", 'interval = 0\ncpu = "host"\n[keys]\n"x.y" = 5\n')
    assert main(["config", "--check", str(path)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        f"{path}, line 1: interval: must be between 0.25 and 10, not 0",
        f"{path}, line 4: keys.x.y: must be a key or a list of keys, not a whole number",
    ]


def test_check_cleans_what_it_prints(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path / "evil.toml", '"\\u001b]0;owned\\u0007" = 1\n')
    assert main(["config", "--check", str(path)]) == 1
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out and "line 1" in out


def test_check_without_file_reads_config_option_then_xdg(
    tmp_path: Path, own_config_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chosen = write(tmp_path / "chosen.toml", "scrollback = -1\n")
    assert main(["--config", str(chosen), "config", "--check"]) == 1
    assert "scrollback" in capsys.readouterr().out
    xdg = write(own_config_home / "nspawn-tui" / "config.toml", "theme = 'nord'\n")
    assert main(["config", "--check"]) == 0
    assert capsys.readouterr().out == f"{xdg}: ok\n"
    assert main(["config", "--check", str(tmp_path / "none.toml")]) == 1
    assert capsys.readouterr().out == f"{tmp_path / 'none.toml'}: no such file\n"


def test_print_default_round_trips(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "--print-default"]) == 0
    out = capsys.readouterr().out
    assert out == default_text()
    path = write(tmp_path / "default.toml", out)
    assert main(["config", "--check", str(path)]) == 0


def test_config_needs_an_action(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["config"])
    assert exit_.value.code == 2
    assert "--check" in capsys.readouterr().err


def test_options_override_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path / "c.toml", "interval = 3\nscrollback = 77\nnope = 1\n")
    args = build_parser().parse_args(["--config", str(path), "list"])
    config = settings(args, sys.stderr)
    assert (args.interval, args.scrollback) == (3.0, 77)  # the file's
    assert (config.interval, config.scrollback) == (3.0, 77)
    assert capsys.readouterr().err == f"nspawn-tui: {path}, line 3: nope: unknown key " + (
        "(known: interval, cpu, columns, sort, scrollback, theme, keys, confirm, hosts)\n"
    )
    for argv in (["--interval", "0.5", "--config", str(path), "list"],
                 ["--config", str(path), "list", "--interval", "0.5"]):  # fmt: skip
        args = build_parser().parse_args(argv)
        config = settings(args, sys.stderr)
        assert (args.interval, config.interval, config.scrollback) == (0.5, 0.5, 77)
    args = build_parser().parse_args(["--scrollback", "9"])  # no file: the defaults
    config = settings(args, sys.stderr)
    assert (args.interval, args.scrollback, config.path) == (1.0, 9, None)


def test_a_bad_hosts_entry_does_not_stop_the_listing(tmp_path: Path) -> None:
    """The problem is said; the fleet falls back to this machine (here: the demo)."""
    path = write(tmp_path / "c.toml", '[[hosts]]\naddress = "local"\nport = 22\n')
    env = dict(os.environ, XDG_CONFIG_HOME=str(tmp_path / "xdg"), HOME=str(tmp_path))
    proc = subprocess.run(
        [sys.executable, "-m", "nspawn_tui", "--config", str(path), "list", "--demo",
         "--interval", "0.05"],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert f"{path}, line 1: hosts: unknown key 'port'" in proc.stderr
    assert "NAME" in proc.stdout


def test_a_missing_config_file_given_is_still_an_error(tmp_path: Path) -> None:
    assert main(["--config", str(tmp_path / "none.toml"), "list", "--demo"]) == 2
