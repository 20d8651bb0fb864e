"""No text that is not a literal of ours is ever parsed as Textual markup.

Walks the UI's source (``app.py``, ``screens/``, ``widgets/``) with ``ast``
and fails on any call of an API that parses markup (``notify``, ``Static``,
``Label``, ``Button``, ``update``, ``Content.from_markup``, border titles)
whose text is not a string literal, a ``Content``/``Text`` object
(``plain()`` makes one of cleaned text) or given with ``markup=False``.
A machine's name, a journal field or an error text quoting a container may
hold ``[/]`` (a crash) or ``[@click=app.quit]`` (live markup).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "nspawn_tui"

#: Calls whose first argument (or ``keyword``) is parsed as markup unless markup=False.
MARKUP_CALLS: dict[str, tuple[str, ...]] = {
    "notify": ("message", "title"),  # the title is not markup, but is shown as given
    "Static": ("content",),
    "Label": ("content", "renderable"),
    "Button": ("label",),
    "update": ("content",),
    "from_markup": ("markup",),
}
#: Attributes whose assigned value is parsed as markup when it is a str.
MARKUP_ATTRIBUTES = frozenset({"border_title", "border_subtitle", "title", "sub_title"})
#: Calls that return objects Textual never parses as markup.
SAFE_FACTORIES = frozenset({"plain", "Content", "assemble", "Text", "fields_table", "Table"})


def _ui_files() -> list[Path]:
    files = [PACKAGE / "app.py"]
    for folder in ("screens", "widgets"):
        files += sorted((PACKAGE / folder).rglob("*.py"))
    return files


def _call_name(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def _is_safe(node: ast.expr | None) -> bool:
    if node is None:
        return True
    if isinstance(node, ast.Constant):
        return True  # a literal of ours (str, or None)
    if isinstance(node, ast.Call):
        name = _call_name(node)
        if name == "from_markup":
            return False
        return name in SAFE_FACTORIES
    if isinstance(node, ast.IfExp):
        return _is_safe(node.body) and _is_safe(node.orelse)
    return False


def markup_violations(source: str, filename: str = "<test>") -> list[str]:
    """Places in ``source`` where a non-literal text may be parsed as markup."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Call):
            name = _call_name(node)
            if name not in MARKUP_CALLS:
                continue
            keywords = {k.arg: k.value for k in node.keywords if k.arg}
            markup_off = isinstance(keywords.get("markup"), ast.Constant) and (
                keywords["markup"].value is False  # type: ignore[union-attr]
            )
            names = MARKUP_CALLS[name]
            texts: list[ast.expr | None] = [node.args[0] if node.args else None]
            texts += [keywords.get(key) for key in names]
            if name == "notify":
                # markup=False keeps the message from markup, not the title from
                # being shown as given: the title must be ours or plain() as well
                title = keywords.get("title")
                texts = [] if markup_off else texts[:2]
                if title is not None and not (_is_safe(title) or _is_cleaned(title)):
                    found.append(f"{filename}:{node.lineno}: notify(title=...) of outside text")
            elif markup_off:
                continue
            if not all(_is_safe(text) for text in texts):
                found.append(f"{filename}:{node.lineno}: {name}(...) of a non-literal str")
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if (
                    isinstance(target, ast.Attribute)
                    and target.attr in MARKUP_ATTRIBUTES
                    and not _is_safe(node.value)
                ):
                    found.append(f"{filename}:{node.lineno}: {target.attr} = a non-literal str")
    return found


def _is_cleaned(node: ast.expr) -> bool:
    return isinstance(node, ast.Call) and _call_name(node) == "clean"


@pytest.mark.parametrize("path", _ui_files(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_outside_text_is_parsed_as_markup(path: Path) -> None:
    assert markup_violations(path.read_text(), str(path.relative_to(PACKAGE))) == []


@pytest.mark.parametrize(
    "source",
    [
        'self.notify(f"{name} is not running")',
        "self.notify(str(exc))",
        'self.notify(plain(x), title=f"{name}")',
        "Static(text)",
        "Label(f'Shell in {machine}')",
        "self.query_one(Static).update(message)",
        "box.border_title = f'{name}: journal record'",
        "Content.from_markup(text)",
        "Static(Content.from_markup(text))",
        "Button(name)",
    ],
)
def test_control_unsafe_calls_are_found(source: str) -> None:
    """Controls: the check fails on each way outside text has reached markup."""
    assert markup_violations(source) != []


@pytest.mark.parametrize(
    "source",
    [
        'self.notify("Refresh faster")',
        "self.notify(plain(message), title=clean(name))",
        "self.notify(message, markup=False)",
        "Static(text, markup=False)",
        "Label(plain(name))",
        "status.update(Content(text))",
        "box.border_title = plain(name)",
        'Static("a" if ok else "b")',
        "Static(fields_table(fields))",
    ],
)
def test_control_safe_calls_pass(source: str) -> None:
    assert markup_violations(source) == []


def test_the_walk_covers_the_ui() -> None:
    names = {path.name for path in _ui_files()}
    assert {"app.py", "dashboard.py", "logs.py", "record.py", "machine_table.py"} <= names
