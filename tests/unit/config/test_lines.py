"""The line of each key: tomllib gives none, so the file is scanned."""

from __future__ import annotations

from nspawn_tui.config.lines import key_lines, line_of

TEXT = '''\
# a comment: interval = 9
interval = 2
columns = [
  "name",
  "cpu = x",
]
theme = """
sort = "inside a string"
"""
sort = "cpu"   # here
[keys]
"dashboard.kill" = "K"
dashboard.logs = "l"
'app.quit' = "q"
[ confirm ]
kill = false
[[hosts]]
address = "a"
[[hosts]]
address = "b"
'''


def test_each_key_has_its_first_line() -> None:
    lines = key_lines(TEXT)
    assert lines[("interval",)] == 2
    assert lines[("columns",)] == 3
    assert lines[("theme",)] == 7
    assert lines[("sort",)] == 10  # not line 8, inside the multi-line string
    assert lines[("keys",)] == 11
    assert lines[("keys", "dashboard.kill")] == 12
    assert lines[("keys", "dashboard", "logs")] == 13
    assert lines[("keys", "app.quit")] == 14
    assert lines[("confirm",)] == 15 and lines[("confirm", "kill")] == 16
    assert lines[("hosts",)] == 17 and lines[("hosts", "address")] == 18  # the first entry's
    assert ("name",) not in lines and ("cpu",) not in lines  # array items are no keys


def test_line_of_falls_back_to_the_enclosing_table() -> None:
    lines = key_lines(TEXT)
    assert line_of(lines, "confirm", "nope") == 15
    assert line_of(lines, "nope") is None
