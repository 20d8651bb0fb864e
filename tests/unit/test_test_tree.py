"""Test modules have unique file names: pytest imports them by basename (no __init__.py),
and two of the same name stop the whole run at collection."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def duplicates(root: Path) -> dict[str, int]:
    counts = Counter(path.name for path in root.rglob("test_*.py"))
    return {name: n for name, n in counts.items() if n > 1}


def test_test_modules_have_unique_basenames() -> None:
    assert duplicates(TESTS) == {}


def test_control_a_duplicate_is_found(tmp_path: Path) -> None:
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "test_same.py").write_text("")
    assert duplicates(tmp_path) == {"test_same.py": 2}
