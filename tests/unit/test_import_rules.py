"""The tree tells the architecture: import rules and the shape of the package, read with ``ast``.

- The UI (``app.py``, ``screens/``, ``widgets/``) never imports a concrete
  backend (``host.machined``, ``host.demo``, ``cgroups``, D-Bus); only
  ``cli.py`` chooses the Host.
- Every package imports only what its docstring says it may (:data:`RULES`
  transcribes the docstrings; the docstring names each package of
  nspawn_tui it may import).
- The top level of ``nspawn_tui/`` holds the entry points and packages only;
  every package has a docstring that says what it owns; no module is over
  500 lines.

Imports are read from the source, so imports inside functions, in
``if TYPE_CHECKING:`` blocks, relative imports and ``importlib.import_module``
with a literal name all count.  Each rule has a control: a synthetic source
or tree that breaks it makes its check fail.  (That the backend never *loads*
Textual at run time is ``test_import_hygiene.py``.)
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "nspawn_tui"
ROOT = "nspawn_tui"
MAX_LINES = 500
TOP_LEVEL_FILES = frozenset({"__init__.py", "__main__.py", "app.py", "cli.py", "py.typed"})

UI = ("nspawn_tui.app", "nspawn_tui.screens", "nspawn_tui.widgets")
HOST_IMPLEMENTATIONS = ("nspawn_tui.host.machined", "nspawn_tui.host.demo")
DBUS = ("dbus_next", "dbus_fast", "dbus", "jeepney", "sdbus")
#: What the UI never imports: a concrete host, the cgroup readers, D-Bus.
UI_FORBIDDEN = (*HOST_IMPLEMENTATIONS, "nspawn_tui.cgroups", *DBUS)
#: The only modules of the package that choose a Host (import an implementation).
HOST_CHOOSERS = frozenset({"nspawn_tui.cli", "nspawn_tui.remote.host"})


@dataclass(frozen=True)
class Rule:
    """What the modules of one package may import besides the standard library and themselves."""

    internal: tuple[str, ...] = ()  # packages or modules of nspawn_tui
    external: tuple[str, ...] = ()  # third-party top-level modules


_SCREEN_IMPORTS = (
    "nspawn_tui.config",
    "nspawn_tui.view",
    "nspawn_tui.safe",
    "nspawn_tui.host.base",
    "nspawn_tui.host.events",
    "nspawn_tui.host.images",
    "nspawn_tui.host.network",
    "nspawn_tui.host.processes",
    "nspawn_tui.images",
    "nspawn_tui.journal",
    "nspawn_tui.nspawn",
    "nspawn_tui.units",
    "nspawn_tui.create.model",
    "nspawn_tui.create.firstboot",
)
#: The Host interface and the types of its answers (what a backend fills).
_HOST_TYPES = (
    "nspawn_tui.host.base",
    "nspawn_tui.host.events",
    "nspawn_tui.host.images",
    "nspawn_tui.host.network",
    "nspawn_tui.host.processes",
)

#: Each package's declared imports, transcribed from its ``__init__`` docstring
#: (the most specific key applies to a module).  ``rich`` is Textual's renderer.
RULES: dict[str, Rule] = {
    "nspawn_tui.safe": Rule(external=("rich",)),
    "nspawn_tui.units": Rule(),
    "nspawn_tui.nspawn": Rule(internal=("nspawn_tui.units",)),
    "nspawn_tui.journal": Rule(internal=("nspawn_tui.safe",), external=("regex",)),
    "nspawn_tui.terminal": Rule(external=("psutil",)),
    "nspawn_tui.view": Rule(
        internal=(
            "nspawn_tui.host.base",
            "nspawn_tui.host.network",
            "nspawn_tui.create",
            "nspawn_tui.images.names",
            "nspawn_tui.journal",
            "nspawn_tui.units",
            "nspawn_tui.safe",
        )
    ),
    "nspawn_tui.cgroups": Rule(internal=("nspawn_tui.host.base",)),
    "nspawn_tui.net": Rule(internal=(*_HOST_TYPES, "nspawn_tui.safe"), external=("pyroute2",)),
    "nspawn_tui.procs": Rule(
        internal=(*_HOST_TYPES, "nspawn_tui.cgroups", "nspawn_tui.safe"), external=("psutil",)
    ),
    "nspawn_tui.images": Rule(
        internal=("nspawn_tui.host.images", "nspawn_tui.units", "nspawn_tui.safe")
    ),
    "nspawn_tui.commands": Rule(
        internal=(
            *_HOST_TYPES,
            "nspawn_tui.create",
            "nspawn_tui.images",
            "nspawn_tui.exporter",
            "nspawn_tui.view",
            "nspawn_tui.config",
            "nspawn_tui.units",
            "nspawn_tui.safe",
            "nspawn_tui.web.serve",
        )
    ),
    "nspawn_tui.host": Rule(
        internal=("nspawn_tui.journal", "nspawn_tui.create.model", "nspawn_tui.safe"),
        external=("psutil",),
    ),
    "nspawn_tui.create": Rule(
        internal=(
            "nspawn_tui.host.base",
            "nspawn_tui.host.images",
            "nspawn_tui.nspawn",
            "nspawn_tui.images",
            "nspawn_tui.units",
            "nspawn_tui.safe",
        )
    ),
    "nspawn_tui.host.machined": Rule(
        internal=(
            *_HOST_TYPES,
            "nspawn_tui.host.hoststats",
            "nspawn_tui.dbus",
            "nspawn_tui.cgroups",
            "nspawn_tui.net",
            "nspawn_tui.procs",
            "nspawn_tui.images",
            "nspawn_tui.journal",
            "nspawn_tui.nspawn",
            "nspawn_tui.create",
            "nspawn_tui.units",
            "nspawn_tui.safe",
        ),
        external=("dbus_next", "psutil"),
    ),
    "nspawn_tui.host.demo": Rule(
        internal=(
            *_HOST_TYPES,
            "nspawn_tui.create",
            "nspawn_tui.images",
            "nspawn_tui.journal",
            "nspawn_tui.nspawn",
            "nspawn_tui.units",
        )
    ),
    "nspawn_tui.dbus": Rule(external=("dbus_next",)),
    "nspawn_tui.remote": Rule(
        internal=(
            *_HOST_TYPES,
            "nspawn_tui.dbus",
            "nspawn_tui.host.machined",
            "nspawn_tui.host.hoststats",
            "nspawn_tui.cgroups",
            "nspawn_tui.units",
            "nspawn_tui.safe",
        ),
        external=("dbus_next",),
    ),
    "nspawn_tui.fleet": Rule(
        internal=(
            *_HOST_TYPES,
            "nspawn_tui.create.model",
            "nspawn_tui.journal",
            "nspawn_tui.remote.target",
            "nspawn_tui.safe",
        )
    ),
    "nspawn_tui.exporter": Rule(
        internal=(*_HOST_TYPES, "nspawn_tui.fleet.names", "nspawn_tui.safe"),
        external=("prometheus_client",),
    ),
    "nspawn_tui.config": Rule(
        internal=("nspawn_tui.fleet.hostsfile", "nspawn_tui.remote.target", "nspawn_tui.safe")
    ),
    "nspawn_tui.web": Rule(
        internal=("nspawn_tui.safe",), external=("textual_serve", "aiohttp", "aiohttp_jinja2")
    ),
    "nspawn_tui.screens": Rule(
        internal=("nspawn_tui.widgets", *_SCREEN_IMPORTS), external=("textual", "rich")
    ),
    "nspawn_tui.widgets": Rule(internal=_SCREEN_IMPORTS, external=("textual", "rich")),
}

#: Packages whose docstring declares their imports by reference to another's.
DECLARED_BY = {"nspawn_tui.widgets": "nspawn_tui.screens"}

#: The packages that must never import Textual, a Host implementation or D-Bus.
TEXTUAL_FREE = (
    "journal",
    "terminal",
    "nspawn",
    "units",
    "safe",
    "view",
    "net",
    "procs",
    "images",
    "commands",
    "config",
    "fleet",
    "exporter",
)


# -- reading the tree ---------------------------------------------------------


def module_name(path: Path, package_dir: Path = PACKAGE) -> str:
    parts = path.relative_to(package_dir.parent).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def source_files(package_dir: Path = PACKAGE) -> dict[str, Path]:
    """Every module of the package by dotted name."""
    return {
        module_name(path, package_dir): path
        for path in sorted(package_dir.rglob("*.py"))
        if "__pycache__" not in path.parts
    }


def package_dirs(package_dir: Path = PACKAGE) -> dict[str, Path]:
    """Every package (a folder with ``__init__.py``) by dotted name."""
    return {
        module_name(init, package_dir): init.parent
        for init in sorted(package_dir.rglob("__init__.py"))
        if "__pycache__" not in init.parts
    }


def within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _dynamic_import(node: ast.Call) -> str | None:
    func = node.func
    called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    if called not in ("import_module", "__import__") or not node.args:
        return None
    first = node.args[0]
    if isinstance(first, ast.Constant) and isinstance(first.value, str):
        return first.value
    return None


def imports_of(
    source: str, module: str, *, is_package: bool = False, known: Iterable[str] = ()
) -> set[str]:
    """Every module ``source`` imports, anywhere in it, as absolute dotted names.

    ``from X import Y`` counts as ``X.Y`` when that is a module in ``known``,
    else as ``X``.
    """
    known_modules = set(known)
    package = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = parts[: len(parts) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            for alias in node.names:
                candidate = f"{target}.{alias.name}"
                found.add(candidate if candidate in known_modules else target)
        elif isinstance(node, ast.Call) and (name := _dynamic_import(node)):
            found.add(name)
    return found


def tree_imports(package_dir: Path = PACKAGE) -> dict[str, set[str]]:
    files = source_files(package_dir)
    return {
        name: imports_of(
            path.read_text(encoding="utf-8"),
            name,
            is_package=path.name == "__init__.py",
            known=files,
        )
        for name, path in files.items()
    }


# -- the checks ---------------------------------------------------------------


def forbidden_imports(imports: Iterable[str], forbidden: Iterable[str]) -> list[str]:
    banned = tuple(forbidden)
    return sorted(name for name in imports if any(within(name, b) for b in banned))


def ui_violations(imports_by_module: Mapping[str, set[str]]) -> dict[str, list[str]]:
    """UI modules that import a concrete backend, with what they import."""
    found: dict[str, list[str]] = {}
    for module, imports in imports_by_module.items():
        if any(within(module, ui) for ui in UI):
            bad = forbidden_imports(imports, UI_FORBIDDEN)
            if bad:
                found[module] = bad
    return found


def host_choosers(imports_by_module: Mapping[str, set[str]]) -> set[str]:
    """Modules outside a Host implementation that import one."""
    return {
        module
        for module, imports in imports_by_module.items()
        for impl in HOST_IMPLEMENTATIONS
        if not within(module, impl) and forbidden_imports(imports, [impl])
    }


def rule_for(module: str, rules: Mapping[str, Rule] = RULES) -> str | None:
    keys = [key for key in rules if within(module, key)]
    return max(keys, key=len) if keys else None


def rule_violations(
    imports_by_module: Mapping[str, set[str]], rules: Mapping[str, Rule] = RULES
) -> dict[str, list[str]]:
    """Modules importing what their package's rule does not allow."""
    found: dict[str, list[str]] = {}
    for module, imports in imports_by_module.items():
        key = rule_for(module, rules)
        if key is None:
            continue
        rule = rules[key]
        bad = sorted(
            name
            for name in imports
            if not within(name, key)
            and not any(within(name, allowed) for allowed in rule.internal)
            and not (not within(name, ROOT) and name.split(".")[0] in rule.external)
            and not (not within(name, ROOT) and name.split(".")[0] in sys.stdlib_module_names)
        )
        if bad:
            found[module] = bad
    return found


def package_docstring(package_dir: Path) -> str:
    init = package_dir / "__init__.py"
    return ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""


def docstring_problems(package: str, package_dir: Path) -> list[str]:
    """What the package's docstring fails to say: a paragraph of what it owns and may import."""
    doc = package_docstring(package_dir)
    if not doc.strip():
        return ["no docstring"]
    problems = []
    summary, _, body = doc.partition("\n\n")
    if len(body.split()) < 12:
        problems.append("no paragraph after the summary line")
    if "import" not in doc.lower():
        problems.append("does not say what it may import")
    if (
        package != ROOT
        and not within(package, "nspawn_tui.screens")
        and not within(package, "nspawn_tui.widgets")
    ):
        # a capability package names every module and sub-package it owns
        owned = sorted(
            {p.stem for p in package_dir.glob("*.py") if p.name != "__init__.py"}
            | {p.parent.name for p in package_dir.glob("*/__init__.py")}
        )
        # as ``:mod:`.name``` or a dotted ``nspawn_tui.package.name``
        problems += [
            f"does not name {name!r}" for name in owned if not re.search(rf"\.{name}\b", doc)
        ]
    # every :mod:`.x` it names exists
    for ref in re.findall(r":mod:`~?\.(\w+)", doc):
        if (
            not (package_dir / f"{ref}.py").is_file()
            and not (package_dir / ref / "__init__.py").is_file()
        ):
            problems.append(f"names a module .{ref} that does not exist")
    return problems


def undeclared_imports(package: str, doc: str, rules: Mapping[str, Rule] = RULES) -> list[str]:
    """Packages of nspawn_tui the rule allows but the docstring does not name."""
    parent = package.rpartition(".")[0]
    return [
        name
        for name in rules[package].internal
        # a sibling module in the same (non-root) parent package, e.g. host.base
        # for host.machined, belongs to the parent, whose docstring names it
        if not (parent != ROOT and name.rpartition(".")[0] == parent) and name not in doc
    ]


def top_level_intruders(package_dir: Path = PACKAGE) -> list[str]:
    """Entries at the top of the package other than the entry points and packages."""
    bad = []
    for entry in sorted(package_dir.iterdir()):
        if entry.name == "__pycache__":
            continue
        if entry.is_dir():
            if not (entry / "__init__.py").is_file():
                bad.append(entry.name + "/")
        elif entry.name not in TOP_LEVEL_FILES:
            bad.append(entry.name)
    return bad


def folders_without_init(package_dir: Path = PACKAGE) -> list[str]:
    """Folders holding Python files but no ``__init__.py`` (namespace packages escape the rules)."""
    return sorted(
        str(folder.relative_to(package_dir))
        for folder in {p.parent for p in package_dir.rglob("*.py")}
        if "__pycache__" not in folder.parts and not (folder / "__init__.py").is_file()
    )


def long_modules(package_dir: Path = PACKAGE, limit: int = MAX_LINES) -> dict[str, int]:
    found = {}
    for name, path in source_files(package_dir).items():
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > limit:
            found[name] = lines
    return found


# -- the tree as it is ----------------------------------------------------------


@pytest.fixture(scope="module")
def imports() -> dict[str, set[str]]:
    return tree_imports()


def test_the_tree_is_read(imports: dict[str, set[str]]) -> None:
    assert "nspawn_tui.host.machined.actions" in imports["nspawn_tui.host.machined.host"]
    assert "nspawn_tui.host.base" in imports["nspawn_tui.screens.dashboard"]
    assert "textual.app" in imports["nspawn_tui.app"]


def test_ui_imports_no_concrete_backend(imports: dict[str, set[str]]) -> None:
    assert ui_violations(imports) == {}


def test_only_cli_chooses_the_host(imports: dict[str, set[str]]) -> None:
    assert host_choosers(imports) == HOST_CHOOSERS


def test_every_package_has_a_rule() -> None:
    unruled = {p for p in package_dirs() if p != ROOT and rule_for(p) is None}
    assert unruled == set()
    assert rule_for("nspawn_tui.network") is None  # control: a new package has none


def test_packages_import_only_what_they_declare(imports: dict[str, set[str]]) -> None:
    assert rule_violations(imports) == {}


@pytest.mark.parametrize("package", sorted(RULES))
def test_docstring_names_the_declared_imports(package: str) -> None:
    dirs = package_dirs()
    doc = package_docstring(dirs[DECLARED_BY.get(package, package)])
    assert undeclared_imports(package, doc) == []


@pytest.mark.parametrize("package", TEXTUAL_FREE)
def test_core_rules_forbid_textual_hosts_and_dbus(package: str) -> None:
    rule = RULES[f"nspawn_tui.{package}"]
    allowed = rule.internal + rule.external
    assert forbidden_imports(allowed, ("textual", *HOST_IMPLEMENTATIONS, *DBUS)) == []


def test_top_level_holds_entry_points_and_packages() -> None:
    assert top_level_intruders() == []
    assert folders_without_init() == []


@pytest.mark.parametrize("package", sorted(package_dirs()))
def test_package_docstring_says_what_it_owns(package: str) -> None:
    assert docstring_problems(package, package_dirs()[package]) == []


def test_no_module_over_500_lines() -> None:
    assert long_modules() == {}


# -- controls: each check fails on a tree that breaks its rule -----------------

KNOWN = ("nspawn_tui.host.machined", "nspawn_tui.host.demo", "nspawn_tui.host.base")


@pytest.mark.parametrize(
    "source",
    [
        "from nspawn_tui.host.machined.host import MachinedHost\n",
        "from nspawn_tui.host import machined\n",
        "def pick():\n    from nspawn_tui.host.demo import host\n    return host\n",
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from nspawn_tui.cgroups import CgroupReader\n",
        "import dbus_next.aio\n",
        "from ..host.machined import bus\n",
        "import importlib\nbus = importlib.import_module('nspawn_tui.host.machined.bus')\n",
    ],
)
@pytest.mark.parametrize(
    "module", ["nspawn_tui.screens.x", "nspawn_tui.widgets.x", "nspawn_tui.app"]
)
def test_control_ui_importing_a_backend_is_caught(source: str, module: str) -> None:
    if module == "nspawn_tui.app":  # a top-level module: one dot is its package
        source = source.replace("from ..", "from .")
    found = imports_of(source, module, known=KNOWN)
    assert ui_violations({module: found}) != {}
    assert ui_violations({"nspawn_tui.view.x": found}) == {}  # not UI: not this rule


def test_control_ui_may_import_the_interface() -> None:
    found = imports_of("from nspawn_tui.host import base\n", "nspawn_tui.screens.x", known=KNOWN)
    assert found == {"nspawn_tui.host.base"}
    assert ui_violations({"nspawn_tui.screens.x": found}) == {}


def test_control_a_second_host_chooser_is_caught(imports: dict[str, set[str]]) -> None:
    broken = dict(imports)
    broken["nspawn_tui.view.rows"] = imports_of(
        "def demo():\n    from nspawn_tui.host.demo.host import DemoHost\n", "nspawn_tui.view.rows"
    )
    assert host_choosers(broken) == HOST_CHOOSERS | {"nspawn_tui.view.rows"}
    broken = dict(imports)
    broken["nspawn_tui.host.demo.sim"] = {"nspawn_tui.host.machined.bus"}
    assert "nspawn_tui.host.demo.sim" in host_choosers(broken)


@pytest.mark.parametrize("package", TEXTUAL_FREE)
@pytest.mark.parametrize(
    "source",
    [
        "from textual.widget import Widget\n",
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from nspawn_tui.host.machined.host import MachinedHost\n",
        "def f():\n    from nspawn_tui.host.demo import sim\n",
        "import dbus_next\n",
        "from nspawn_tui.screens.help import HelpScreen\n",
        "import requests\n",
    ],
)
def test_control_core_package_breaking_its_rule_is_caught(package: str, source: str) -> None:
    module = f"nspawn_tui.{package}.x"
    found = imports_of(source, module)
    assert rule_violations({module: found}) != {}


def test_control_rules_allow_what_they_declare() -> None:
    module = "nspawn_tui.journal.x"
    found = imports_of(
        "import os\nfrom . import store\nfrom nspawn_tui.safe import clean\n",
        module,
        known=["nspawn_tui.journal.store"],
    )
    assert found == {"os", "nspawn_tui.journal.store", "nspawn_tui.safe"}
    assert rule_violations({module: found}) == {}
    assert rule_violations({"nspawn_tui.units.x": found}) == {
        "nspawn_tui.units.x": ["nspawn_tui.journal.store", "nspawn_tui.safe"]
    }


def test_control_undeclared_import_is_caught() -> None:
    rules = {"nspawn_tui.nspawn": Rule(internal=("nspawn_tui.units",))}
    assert undeclared_imports("nspawn_tui.nspawn", "It may import the stdlib.", rules) == [
        "nspawn_tui.units"
    ]
    doc = "It may import :mod:`nspawn_tui.units`."
    assert undeclared_imports("nspawn_tui.nspawn", doc, rules) == []


def _write(path: Path, text: str = "") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


GOOD_DOC = (
    '"""Thing: what it is.\n\nOwns :mod:`.parse` (the parser) and nothing else; '
    'it may import the standard library only, never Textual."""\n'
)


def test_control_top_level_intruders_are_caught(tmp_path: Path) -> None:
    pkg = tmp_path / "nspawn_tui"
    for name in ("__init__.py", "__main__.py", "app.py", "cli.py", "thing/__init__.py"):
        _write(pkg / name)
    assert top_level_intruders(pkg) == []
    assert folders_without_init(pkg) == []
    _write(pkg / "formatting.py")
    _write(pkg / "loose" / "helpers.py")
    assert top_level_intruders(pkg) == ["formatting.py", "loose/"]
    assert folders_without_init(pkg) == ["loose"]


def test_control_docstring_problems_are_caught(tmp_path: Path) -> None:
    pkg = tmp_path / "nspawn_tui" / "thing"
    _write(pkg / "__init__.py", GOOD_DOC)
    _write(pkg / "parse.py")
    assert docstring_problems("nspawn_tui.thing", pkg) == []
    _write(pkg / "extra.py")
    assert docstring_problems("nspawn_tui.thing", pkg) == ["does not name 'extra'"]
    _write(pkg / "__init__.py", GOOD_DOC.replace(".parse`", ".parse` and extra"))
    assert docstring_problems("nspawn_tui.thing", pkg) == ["does not name 'extra'"]
    _write(pkg / "__init__.py", GOOD_DOC.replace(".parse`", ".parse`, :mod:`.gone`, .extra"))
    assert docstring_problems("nspawn_tui.thing", pkg) == [
        "names a module .gone that does not exist"
    ]
    _write(pkg / "__init__.py", '"""Thing: what it is."""\n')
    problems = docstring_problems("nspawn_tui.thing", pkg)
    assert "no paragraph after the summary line" in problems
    assert "does not say what it may import" in problems
    _write(pkg / "__init__.py", "X = 1\n")
    assert docstring_problems("nspawn_tui.thing", pkg) == ["no docstring"]


def test_control_long_module_is_caught(tmp_path: Path) -> None:
    pkg = tmp_path / "nspawn_tui"
    _write(pkg / "__init__.py")
    _write(pkg / "ok.py", "x = 1\n" * MAX_LINES)
    assert long_modules(pkg) == {}
    _write(pkg / "big.py", "x = 1\n" * (MAX_LINES + 1))
    assert long_modules(pkg) == {"nspawn_tui.big": MAX_LINES + 1}
