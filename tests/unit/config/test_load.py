"""The config file: every setting read, every mistake a problem naming file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from nspawn_tui.config.default import default_text
from nspawn_tui.config.load import (
    default_config_path,
    key_problem,
    load_config,
    parse_config,
    with_options,
)
from nspawn_tui.config.model import COLUMN_KEYS, CONFIRM_DEFAULTS, Config, ConfigProblem
from nspawn_tui.view.rows import COLUMN_KEYS as TABLE_COLUMNS

F = "cfg.toml"

GOOD = """\
interval = 2.5
cpu = "host"
columns = ["name", "cpu", "state", "memory"]
sort = "-cpu"
scrollback = 500
theme = "nord"

[keys]
"dashboard.kill" = "K"
dashboard.logs = ["l", "enter"]
"app.help" = "question_mark"

[confirm]
poweroff = false
reboot = true

[[hosts]]
address = "local"
"""


def test_every_setting_is_read() -> None:
    config = parse_config(GOOD, F)
    assert config.problems == ()
    assert config.interval == 2.5 and config.cpu_mode == "host"
    assert config.columns == ("name", "cpu", "state", "memory")
    assert (config.sort, config.sort_reverse) == ("cpu", True)
    assert config.scrollback == 500 and config.theme == "nord"
    assert config.keys == {
        "dashboard.kill": ("K",),
        "dashboard.logs": ("l", "enter"),  # a dotted bare key is the same id
        "app.help": ("question_mark",),
    }
    assert config.key_lines == {"dashboard.kill": 9, "dashboard.logs": 10, "app.help": 11}
    assert config.confirm == {**CONFIRM_DEFAULTS, "poweroff": False, "reboot": True}
    assert not config.asks("poweroff") and config.asks("reboot") and config.asks("kill")
    assert config.path == F


#: (file, line, key, message): the problem each bad file gets
BAD = [
    ("interval = 2\ncolour = 1\n", 2, "colour",
     "unknown key (known: interval, cpu, columns, sort, scrollback, theme, keys, confirm, hosts)"),
    ('interval = "fast"\n', 1, "interval", "must be a number of seconds, not a string"),
    ("interval = true\n", 1, "interval", "must be a number of seconds, not a boolean"),
    ("\ninterval = 20\n", 2, "interval", "must be between 0.25 and 10, not 20"),
    ('cpu = "cores"\n', 1, "cpu", 'must be "core" or "host", not "cores"'),
    ('columns = "name"\n', 1, "columns", "must be a list of columns, not a string"),
    ('columns = ["name",\n  "cpuu"]\n', 1, "columns",
     'unknown column "cpuu" (known: name, state, os, address, cpu, memory, tasks, rx, tx, '
     "uptime)"),
    ('columns = ["name", "cpu", "cpu"]\n', 1, "columns", '"cpu" is listed twice'),
    ('columns = ["cpu", "memory"]\n', 1, "columns", 'must include "name"'),
    ('sort = "-ram"\n', 1, "sort",
     'unknown column "ram" (known: name, state, os, address, cpu, memory, tasks, rx, tx, uptime)'),
    ("sort = 3\n", 1, "sort", "must be a string, not a whole number"),
    ("scrollback = 0\n", 1, "scrollback", "must be between 1 and 1000000, not 0"),
    ("scrollback = 1.5\n", 1, "scrollback", "must be a whole number of lines, not a number"),
    ('theme = ""\n', 1, "theme", "must be the name of a theme, not an empty string"),
    ('keys = "K"\n', 1, "keys", "must be a table ([keys]), not a string"),
    ('[keys]\n"dashboard.kill" = 3\n', 2, "keys.dashboard.kill",
     "must be a key or a list of keys, not a whole number"),
    ('[keys]\n\n"dashboard.kill" = ["K", "ctrl+"]\n', 3, "keys.dashboard.kill",
     '"ctrl+" is not a key name (e.g. "K", "ctrl+x", "f5", "question_mark")'),
    ('[keys]\ndashboard.help = "?"\n', 2, "keys.dashboard.help",
     '"?" is not a key name: write "question_mark"'),
    ('[keys]\n"dashboard.kill" = []\n', 2, "keys.dashboard.kill", "needs at least one key"),
    ("[confirm]\npoweroff = false\npowerof = false\n", 3, "confirm.powerof",
     "unknown action class (known: poweroff, terminate, kill, reboot, disable, images, signal)"),
    ('[confirm]\nkill = "no"\n', 2, "confirm.kill", "must be true or false, not a string"),
    ('[[hosts]]\naddress = "local"\n\n[[hosts]]\nadress = "web1"\n', 4, "hosts",
     "unknown key 'adress' (a host has address, group, name)"),
    ("interval = 1\ncpu = \n", 2, "", "not valid TOML: Invalid value (column 7)"),
    ('[keys]\n"a" = "b"\n[keys]\n', 3, "", "not valid TOML: Cannot declare ('keys',) twice "
     "(column 6)"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "line", "key", "message"), BAD)
def test_a_bad_file_gets_a_problem_naming_its_line_and_key(
    text: str, line: int, key: str, message: str
) -> None:
    config = parse_config(text, F)
    assert config.problems == (ConfigProblem(F, line, key, message),)
    where = f"{F}, line {line}"
    assert str(config.problems[0]) == (
        f"{where}: {key}: {message}" if key else f"{where}: {message}"
    )


def test_the_table_has_enough_bad_files() -> None:
    assert len(BAD) >= 12
    assert len({key for _, _, key, _ in BAD}) >= 10  # many different keys, not one many times


def test_a_bad_entry_keeps_its_default_and_the_rest_applies() -> None:
    text = 'interval = 99\ncpu = "host"\nsort = "nope"\nscrollback = 42\n[confirm]\nkill = 1\n'
    text += "terminate = false\n"
    config = parse_config(text, F)
    assert [(p.line, p.key) for p in config.problems] == [
        (1, "interval"),
        (3, "sort"),
        (6, "confirm.kill"),
    ]
    assert config.interval == 1.0 and config.sort == "name"  # defaults kept
    assert config.cpu_mode == "host" and config.scrollback == 42  # the rest applies
    assert config.confirm["kill"] is True and config.confirm["terminate"] is False


def test_bad_toml_applies_nothing() -> None:
    config = parse_config('interval = 3\ncpu = "host\n', F)
    assert len(config.problems) == 1 and config.problems[0].line == 2
    assert config.problems[0].message.startswith("not valid TOML: ")
    assert (config.interval, config.cpu_mode) == (1.0, "core")


def test_one_bad_key_in_keys_leaves_the_others() -> None:
    config = parse_config('[keys]\n"a.b" = "x"\n"a.c" = "ctrl+"\n"a.d" = ["f5", "ctrl+x"]\n', F)
    assert config.keys == {"a.b": ("x",), "a.d": ("f5", "ctrl+x")}
    assert config.key_lines == {"a.b": 2, "a.d": 4}
    assert [p.key for p in config.problems] == ["keys.a.c"]


@pytest.mark.parametrize(
    "key", ["K", "k", "1", "ctrl+x", "ctrl+shift+up", "f5", "question_mark", "enter", "slash"]
)
def test_key_names_textual_accepts(key: str) -> None:
    assert key_problem(key) is None


@pytest.mark.parametrize("key", ["", "ctrl+", "Ctrl+x", "two words", "é", "\x1b[31m", "K,L"])
def test_key_names_refused(key: str) -> None:
    problem = key_problem(key)
    assert problem is not None and "is not a key name" in problem
    assert problem.isprintable()  # a control in a key comes out escaped


def test_the_default_file_parses_back_to_the_defaults() -> None:
    text = default_text()
    config = parse_config(text, F)
    assert config.problems == ()
    assert config == Config(path=F)
    for key in COLUMN_KEYS:
        assert f'"{key}"' in text
    for name in CONFIRM_DEFAULTS:
        assert f"\n{name} = " in text


def test_the_config_knows_the_tables_columns() -> None:
    assert COLUMN_KEYS == TABLE_COLUMNS


def test_every_column_in_the_default_order_is_the_default() -> None:
    config = parse_config(f"columns = {list(COLUMN_KEYS)!r}".replace("'", '"'), F)
    assert config.problems == () and config.columns is None


def test_load_config_reads_the_xdg_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert load_config(None) == Config()  # no file: the defaults, no problem
    path = tmp_path / "nspawn-tui" / "config.toml"
    path.parent.mkdir()
    path.write_text("interval = 3\nbogus = 1\n")
    config = load_config(None)
    assert config.interval == 3.0 and config.path == str(path)
    assert config.problems[0].path == str(path) and config.problems[0].line == 2


def test_load_config_of_a_file_that_is_not_there_or_not_text(tmp_path: Path) -> None:
    missing = load_config(str(tmp_path / "none.toml"))
    assert [str(p) for p in missing.problems] == [f"{tmp_path / 'none.toml'}: no such file"]
    binary = tmp_path / "bin.toml"
    binary.write_bytes(b"interval = \xff\n")
    assert "cannot be read" in load_config(str(binary)).problems[0].message


def test_options_override_the_file() -> None:
    config = parse_config("interval = 3\nscrollback = 50\n", F)
    assert with_options(config, interval=None, scrollback=None) == config
    both = with_options(config, interval=0.5, scrollback=7)
    assert (both.interval, both.scrollback, both.path) == (0.5, 7, F)
    assert with_options(config, interval=None, scrollback=9).interval == 3.0


def test_default_config_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", "/xdg")
    assert default_config_path() == "/xdg/nspawn-tui/config.toml"
    monkeypatch.setenv("XDG_CONFIG_HOME", "relative/ignored")
    monkeypatch.setenv("HOME", "/home/u")
    assert default_config_path() == "/home/u/.config/nspawn-tui/config.toml"
    monkeypatch.delenv("XDG_CONFIG_HOME")
    monkeypatch.delenv("HOME")
    assert default_config_path() is None
