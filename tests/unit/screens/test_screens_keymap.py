"""Binding ids and the config's ``[keys]`` (nspawn_tui.screens.keymap)."""

from __future__ import annotations

from collections import Counter

import pytest
from textual.binding import Binding

from nspawn_tui.config.model import Config, ConfigProblem
from nspawn_tui.screens.keymap import (
    SCOPES,
    binding_table,
    key_problem,
    keymap_from_config,
    scope_bindings,
)
from nspawn_tui.widgets.motions import LIST_MOTIONS


def keys_config(**entries: tuple[str, ...]) -> Config:
    """A config whose [keys] has ``entries`` (``dashboard__kill`` for "dashboard.kill")
    on lines 2, 3, ... in the order given."""
    keys = {name.replace("__", "."): value for name, value in entries.items()}
    lines = {name: line for line, name in enumerate(keys, start=2)}
    return Config(keys=keys, key_lines=lines, path="t.toml")


def test_every_binding_of_every_screen_has_an_id() -> None:
    for scope in SCOPES:
        ours = [
            binding
            for cls in SCOPES[scope]
            for binding in Binding.make_bindings(cls.__dict__.get("BINDINGS", []))
        ]
        assert ours, scope
        missing = [binding.action for binding in ours if binding.id is None]
        assert missing == [], f"{scope}: bindings without an id: {missing}"


def test_ids_are_unique_per_screen_and_named_after_it() -> None:
    table = binding_table()
    for scope in SCOPES:
        per_id: dict[str, set[str]] = {}
        for binding in scope_bindings(scope):
            if binding.id is not None:
                per_id.setdefault(binding.id, set()).add(binding.action)
        # one id, one action (a binding with several keys repeats its id, nothing else)
        assert {i: a for i, a in per_id.items() if len(a) > 1} == {}, scope
    owners = Counter(info.scopes[0] for info in table.values())
    assert owners["dashboard"] > 20  # the ids really come from the classes
    for binding_id, info in table.items():
        prefix = binding_id.split(".")[0]
        # only the list motions and the app's keys are in force on several screens
        if len(info.scopes) > 1:
            assert prefix in ("list", "app"), binding_id
    assert set(LIST_MOTIONS) <= set(table)


def test_default_keys_vim_motions_and_the_moved_keys() -> None:
    table = binding_table()
    assert table["dashboard.kill"].keys == ("K",)
    assert table["processes.signal"].keys == ("K",)
    assert table["images.refresh"].keys == ("f5", "R")
    assert table["list.down"].keys == ("down", "j")
    assert table["list.up"].keys == ("up", "k")
    assert table["list.first"].keys == ("home", "g")
    assert table["list.last"].keys == ("end", "G")
    assert table["list.half_page_down"].keys == ("ctrl+d",)
    assert table["list.half_page_up"].keys == ("ctrl+u",)
    for scope in ("dashboard", "journal", "processes", "images"):
        assert scope in table["list.down"].scopes
    assert keymap_from_config(Config()) == ({}, [])  # the defaults clash nowhere


def test_a_valid_rebinding_and_a_swap() -> None:
    config = keys_config(
        dashboard__kill=("x",),
        dashboard__logs=("L", "ctrl+l"),
        dashboard__login=("ctrl+o",),  # frees L for the logs
        list__down=("down", "j", "?"),  # normalized as Textual names it... and help's key
    )
    keymap, problems = keymap_from_config(config)
    assert keymap["dashboard.kill"] == "x"
    assert keymap["dashboard.logs"] == "L,ctrl+l"
    assert keymap["dashboard.login"] == "ctrl+o"
    assert "list.down" not in keymap  # ? is the app's Help
    assert problems == [
        ConfigProblem(
            "t.toml",
            5,
            "keys.list.down",
            "'question_mark' is already app.help (Help) on the dashboard screen; keeping down,j",
        )
    ]
    # a swap: each takes the other's default key
    keymap, problems = keymap_from_config(
        keys_config(dashboard__boot=("p",), dashboard__poweroff=("b",))
    )
    assert problems == [] and keymap == {"dashboard.boot": "p", "dashboard.poweroff": "b"}


@pytest.mark.parametrize(
    ("entries", "key", "message"),
    [
        (
            {"dashboard.kil": ("x",)},
            "keys.dashboard.kil",
            "unknown binding id 'dashboard.kil' (did you mean 'dashboard.kill'?)",
        ),
        ({"nothing": ("x",)}, "keys.nothing", "unknown binding id 'nothing'"),
        ({"dashboard.kill": ()}, "keys.dashboard.kill", "no key given: the default is kept"),
        (
            {"dashboard.kill": ("ctlr+k",)},
            "keys.dashboard.kill",
            "'ctlr+k': unknown modifier 'ctlr' (ctrl, alt, shift, super, meta)",
        ),
        (
            {"dashboard.kill": ("kill",)},
            "keys.dashboard.kill",
            "'kill' is not a key name (e.g. K, ctrl+k, f5, pagedown, question_mark)",
        ),
        # a screen's other default key
        (
            {"dashboard.kill": ("b",)},
            "keys.dashboard.kill",
            "'b' is already dashboard.boot (Boot) on the dashboard screen; keeping K",
        ),
        # the app's key
        (
            {"dashboard.kill": ("q",)},
            "keys.dashboard.kill",
            "'q' is already app.quit (Quit) on the dashboard screen; keeping K",
        ),
        (
            {"app.help": ("b",)},
            "keys.app.help",
            "'b' is already dashboard.boot (Boot) on the dashboard screen; keeping question_mark",
        ),
        # the focused list's key (it would win over the screen's)
        (
            {"processes.signal": ("j",)},
            "keys.processes.signal",
            "'j' is already list.down (Down) on the processes screen; keeping K",
        ),
        (
            {"list.first": ("b",)},
            "keys.list.first",
            "'b' is already dashboard.boot (Boot) on the dashboard screen; keeping home,g",
        ),
        # Textual's own keys
        (
            {"dashboard.kill": ("ctrl+p",)},
            "keys.dashboard.kill",
            "'ctrl+p' is already a key Textual keeps on the dashboard screen; keeping K",
        ),
        (
            {"images.clone": ("enter",)},
            "keys.images.clone",
            "'enter' is already Textual's select_cursor on the images screen; keeping c",
        ),
    ],
)
def test_bad_entries_are_dropped_with_their_line(
    entries: dict[str, tuple[str, ...]], key: str, message: str
) -> None:
    good = {"dashboard.reboot": ("R",)}
    config = Config(
        keys={**good, **entries},
        key_lines={"dashboard.reboot": 2, **{name: 7 for name in entries}},
        path="/home/u/.config/nspawn-tui/config.toml",
    )
    keymap, problems = keymap_from_config(config)
    assert problems == [ConfigProblem("/home/u/.config/nspawn-tui/config.toml", 7, key, message)]
    assert keymap == {"dashboard.reboot": "R"}  # the good entry stays
    assert str(problems[0]).startswith("/home/u/.config/nspawn-tui/config.toml, line 7: ")


def test_two_entries_on_one_key_the_later_line_is_dropped() -> None:
    config = keys_config(dashboard__kill=("x",), dashboard__edit=("y",), dashboard__boot=("x",))
    keymap, problems = keymap_from_config(config)
    assert keymap == {"dashboard.kill": "x", "dashboard.edit": "y"}
    assert [(p.line, p.key) for p in problems] == [(4, "keys.dashboard.boot")]
    assert "'x' is already dashboard.kill (Kill)" in problems[0].message
    # the same key on two screens is no clash
    keymap, problems = keymap_from_config(
        keys_config(dashboard__kill=("x",), processes__tree=("x",))
    )
    assert problems == [] and len(keymap) == 2


def test_a_dropped_entry_can_make_another_clash() -> None:
    # kill takes l (logs moves away), but the logs' new key is bad: logs keeps l, so kill goes too
    config = keys_config(dashboard__kill=("l",), dashboard__logs=("no such key",))
    keymap, problems = keymap_from_config(config)
    assert keymap == {}
    assert [p.key for p in problems] == ["keys.dashboard.kill", "keys.dashboard.logs"]


@pytest.mark.parametrize(
    "key", ["K", "ctrl+k", "f5", "pagedown", "question_mark", "slash", "ctrl+shift+up", "space"]
)
def test_keys_textual_knows(key: str) -> None:
    assert key_problem(key) is None
