"""Every key of the app by binding id, and the config file's ``[keys]`` turned into a keymap.

:data:`SCOPES` says which bindings are in force together (the focused list,
its screen, the app's keys): a key bound twice there would leave one of the
two actions unreachable.  :func:`binding_table` gathers every binding id with
its default keys from the classes' ``BINDINGS`` (nothing here is a list that
could go out of date); :func:`keymap_from_config` checks the user's entries
against it and gives the keymap for ``App.set_keymap`` and what was wrong
(a :class:`~nspawn_tui.config.model.ConfigProblem` with the entry's line; a
bad entry keeps its default keys, the others apply).
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from textual.binding import Binding
from textual.dom import DOMNode
from textual.keys import REPLACED_KEYS, Keys, _character_to_key, _get_unicode_name_from_key
from textual.screen import ModalScreen

from nspawn_tui.config.model import Config, ConfigProblem
from nspawn_tui.screens.app_keys import APP_BINDINGS
from nspawn_tui.screens.confirm import ConfirmScreen
from nspawn_tui.screens.dashboard import DashboardScreen
from nspawn_tui.screens.dashboard_keys import FOLD
from nspawn_tui.screens.export_prompt import ExportPrompt
from nspawn_tui.screens.help import HelpScreen
from nspawn_tui.screens.image_prompt import ImagePrompt
from nspawn_tui.screens.image_transfer_prompt import TransferPrompt
from nspawn_tui.screens.images import ImagesScreen
from nspawn_tui.screens.kill_picker import KillPicker
from nspawn_tui.screens.limits_editor import LimitsEditor
from nspawn_tui.screens.logs import LogsScreen
from nspawn_tui.screens.processes import ProcessesScreen
from nspawn_tui.screens.record import RecordScreen
from nspawn_tui.screens.settings_editor import SettingsEditor
from nspawn_tui.screens.shell_prompt import ShellPrompt
from nspawn_tui.screens.signal_picker import SignalPicker
from nspawn_tui.widgets.image_table import ImageTable
from nspawn_tui.widgets.log_view import LogView
from nspawn_tui.widgets.machine_table import MachineTable
from nspawn_tui.widgets.process_table import ProcessTableView

#: Keys Textual keeps for itself everywhere (quit, copy, the palette, focus moves).
RESERVED = ("ctrl+q", "ctrl+c", "ctrl+p", "tab", "shift+tab")

#: screen -> the classes whose keys are in force there together (focused list first)
SCOPES: dict[str, tuple[type[DOMNode], ...]] = {
    "dashboard": (MachineTable, DashboardScreen),
    "journal": (LogView, LogsScreen),
    "processes": (ProcessTableView, ProcessesScreen),
    "images": (ImageTable, ImagesScreen),
    "help": (HelpScreen,),
    "record": (RecordScreen,),
    "confirm": (ConfirmScreen,),
    "kill": (KillPicker,),
    "signal": (SignalPicker,),
    "shell prompt": (ShellPrompt,),
    "export": (ExportPrompt,),
    "image prompt": (ImagePrompt,),
    "transfer": (TransferPrompt,),
    "limits": (LimitsEditor,),
    "settings": (SettingsEditor,),
}
#: bindings a screen adds while it runs (the fleet's Fold)
EXTRA: dict[str, tuple[Binding, ...]] = {"dashboard": (FOLD,)}
MODIFIERS = frozenset({"ctrl", "alt", "shift", "super", "meta", "hyper"})
_KEY_NAMES = frozenset(key.value for key in Keys)


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """One binding id: its default keys (Textual's names), description, where it is in force."""

    id: str
    keys: tuple[str, ...]
    description: str
    tooltip: str
    scopes: tuple[str, ...]


def _class_bindings(cls: type[DOMNode]) -> list[Binding]:
    """The class's bindings with its bases' (a key redefined replaces the base's)."""
    merged = cls._merge_bindings()
    return [binding for bindings in merged.key_to_bindings.values() for binding in bindings]


def scope_bindings(scope: str) -> list[Binding]:
    """Every binding in force on ``scope``: the list's, the screen's, then the app's."""
    classes = SCOPES[scope]
    found = [binding for cls in classes for binding in _class_bindings(cls)]
    found += EXTRA.get(scope, ())
    if not issubclass(classes[-1], ModalScreen):
        found += Binding.make_bindings(APP_BINDINGS)
    return found


def binding_table() -> dict[str, KeyInfo]:
    """Every binding id of the app, in order: default keys, description, scopes."""
    keys: dict[str, list[str]] = {}
    first: dict[str, Binding] = {}
    scopes: dict[str, list[str]] = {}
    for scope in SCOPES:
        for binding in scope_bindings(scope):
            if binding.id is None:
                continue
            first.setdefault(binding.id, binding)
            shown = keys.setdefault(binding.id, [])
            if binding.key not in shown:
                shown.append(binding.key)
            where = scopes.setdefault(binding.id, [])
            if scope not in where:
                where.append(scope)
    return {
        binding_id: KeyInfo(
            binding_id,
            tuple(keys[binding_id]),
            binding.description,
            binding.tooltip,
            tuple(scopes[binding_id]),
        )
        for binding_id, binding in first.items()
    }


def normalize_key(key: str) -> str:
    """A key as Textual names it: ``?`` -> ``question_mark``; others as written."""
    key = key.strip()
    return _character_to_key(key) if len(key) == 1 else key


def key_problem(key: str) -> str | None:
    """Why ``key`` (normalized) is not a key Textual knows, or None."""
    if not key or "," in key or " " in key:
        return f"{key!r} is not a key"
    *modifiers, base = key.split("+")
    unknown = [mod for mod in modifiers if mod not in MODIFIERS]
    if unknown:
        return f"{key!r}: unknown modifier {unknown[0]!r} (ctrl, alt, shift, super, meta)"
    if len(base) == 1 or base in _KEY_NAMES:
        return None
    try:
        unicodedata.lookup(_get_unicode_name_from_key(REPLACED_KEYS.get(base, base)))
    except KeyError:
        return f"{key!r} is not a key name (e.g. K, ctrl+k, f5, pagedown, question_mark)"
    return None


def _clashes(
    keymap: Mapping[str, tuple[str, ...]], table: Mapping[str, KeyInfo]
) -> list[tuple[str, str, str, str]]:
    """(rebound id, other id, key, scope) for each key two ids would share that they did not."""
    found: list[tuple[str, str, str, str]] = []
    for scope in SCOPES:
        owners: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
        for binding in scope_bindings(scope):
            name = binding.id or f"Textual's {binding.action}"
            keys = keymap.get(name, (binding.key,)) if binding.id else (binding.key,)
            default = table[name].keys if name in table else (binding.key,)
            for key in keys:
                if all(other != name for other, _ in owners.get(key, [])):
                    owners.setdefault(key, []).append((name, default))
        for key in RESERVED:
            owners.setdefault(key, []).append(("a key Textual keeps", (key,)))
        for key, names in owners.items():
            for name, default in names:
                if name not in keymap:
                    continue
                for other, other_default in names:
                    both_default = key in default and key in other_default
                    if other != name and not both_default:
                        found.append((name, other, key, scope))
    return found


def keymap_from_config(config: Config) -> tuple[dict[str, str], list[ConfigProblem]]:
    """The config's ``[keys]`` as a Textual keymap, and a problem for each entry left out.

    Left out: an unknown binding id, a key Textual does not know, no key at
    all, and a key bound twice on one screen (with another action there, the
    app's keys included) -- the later entry by line, or the rebound one when
    the other keeps its default.  An entry left out keeps its default keys.
    """
    table = binding_table()
    path = config.path or "config"
    problems: list[ConfigProblem] = []

    def problem(binding_id: str, message: str) -> None:
        line = config.key_lines.get(binding_id)
        problems.append(ConfigProblem(path, line, f"keys.{binding_id}", message))

    accepted: dict[str, tuple[str, ...]] = {}
    for binding_id, raw in config.keys.items():
        if binding_id not in table:
            near = difflib.get_close_matches(binding_id, list(table), n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            problem(binding_id, f"unknown binding id {binding_id!r}{hint}")
            continue
        keys = tuple(dict.fromkeys(normalize_key(key) for key in raw))
        bad = next((why for key in keys if (why := key_problem(key)) is not None), None)
        if bad is not None or not keys:
            problem(binding_id, bad or "no key given: the default is kept")
            continue
        accepted[binding_id] = keys

    def line_of(binding_id: str) -> int:
        return config.key_lines.get(binding_id, 0)

    while clashes := _clashes(accepted, table):
        name, other, key, scope = clashes[0]
        dropped = name
        if other in accepted and line_of(other) > line_of(name):
            dropped, other = other, name
        what = f"{other} ({table[other].description})" if other in table else other
        kept = ",".join(table[dropped].keys)
        problem(
            dropped,
            f"{key!r} is already {what} on the {scope} screen; keeping {kept}",
        )
        del accepted[dropped]
    problems.sort(key=lambda p: p.line or 0)
    return {binding_id: ",".join(keys) for binding_id, keys in accepted.items()}, problems
