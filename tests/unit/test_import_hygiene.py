"""The layers are visible in the tree: nothing below the UI loads Textual."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import nspawn_tui

UI_PREFIXES = ("nspawn_tui.screens", "nspawn_tui.widgets", "nspawn_tui.app")


def backend_modules() -> list[str]:
    names = [
        info.name
        for info in pkgutil.walk_packages(nspawn_tui.__path__, prefix="nspawn_tui.")
        if not info.name.startswith(UI_PREFIXES) and not info.name.endswith("__main__")
    ]
    return sorted(names)


def test_backend_modules_found() -> None:
    names = backend_modules()
    for expected in (
        "nspawn_tui.host.base",
        "nspawn_tui.host.machined.host",
        "nspawn_tui.host.demo.host",
        "nspawn_tui.cgroups",
        "nspawn_tui.cli",
        "nspawn_tui.view.formatting",
        "nspawn_tui.safe.text",
    ):
        assert expected in names


def test_backend_does_not_import_textual() -> None:
    code = (
        "import importlib, sys\n"
        f"for name in {backend_modules()!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "", f"Textual loaded by the backend: {result.stdout}"


def test_ui_does_import_textual() -> None:
    """The check above can fail: importing the app does load Textual."""
    code = "import sys, nspawn_tui.app; print('textual' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "True"
