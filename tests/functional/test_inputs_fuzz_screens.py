"""Hostile text in the Inputs of the processes and images screens, as test_inputs_fuzz.py does.

The fields: the processes screen's filter (``/``), the image name prompt
(clone and rename), the image size-limit prompt, and the import and export
dialog (its path and name fields).  Each gets :data:`fuzz_kit.HOSTILE_TEXT`,
mixed with texts that can pass (words of the demo's processes, names and
sizes systemd takes) so that both outcomes of each field are checked.  A case
is one text typed (short printable texts key by key, others pasted) into one
field, replacing what was there; after each case the app must be running,
the screen must repaint without error, the field must hold what was typed,
cleaned, and what the screen derives from it must match an oracle of this
file: the rows of the processes that match the filter and the status line
quoting it; the problem or the ``machinectl`` command under a prompt.  The
last text of each example is submitted: the filter kept, a prompt's answer
returned, or refused inline (the dialog open with the problem in red,
nothing returned).

Each field has one app for all its cases (see fuzz_kit.py).  Cases are
counted in a FuzzCount of this module, added to the session's one (the
report of conftest.py) when the session ends: test_inputs_fuzz.py's
test_fuzz_figure checks that the fields it counts are exactly its own, and
must not see these whatever the order of the modules.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from fuzz_kit import HOSTILE_TEXT, DialogApp, Driver, FuzzCount, driver_fixture, reopen, typed
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from textual.app import App
from textual.widgets import Checkbox, Input, Select, Static

from nspawn_tui.host.demo.host import DemoHost
from nspawn_tui.host.images import IMPORT_KINDS
from nspawn_tui.host.processes import ProcessTable
from nspawn_tui.images.names import NO_LIMIT, ImageNameError, name_problem, parse_image_limit
from nspawn_tui.safe import clean
from nspawn_tui.screens.image_prompt import ImageAnswer, ImagePrompt
from nspawn_tui.screens.image_transfer_prompt import TransferPrompt, TransferRequest, guess_kind
from nspawn_tui.screens.images import ImagesScreen, limit_problem
from nspawn_tui.screens.processes import ProcessesScreen
from nspawn_tui.units.names import machinectl
from nspawn_tui.widgets.process_table import ProcessTableView

#: a warning is a failure: Python prints it on stderr, the terminal the UI draws on
pytestmark = pytest.mark.filterwarnings("error")

#: ``NSPAWN_TUI_FUZZ_SCALE`` scales every field's number of cases, as in test_inputs_fuzz.py.
SCALE = float(os.environ.get("NSPAWN_TUI_FUZZ_SCALE", "1"))
#: Per field: cases (texts typed), and texts per example (the last one submitted).
PLAN = {
    "processes filter": (500, 5),
    "image name": (600, 4),
    "image limit": (500, 4),
    "transfer path/name": (500, 4),
}


def fuzz(
    field: str, texts: st.SearchStrategy[str]
) -> tuple[settings, st.SearchStrategy[list[str]]]:
    """Hypothesis settings for ``field``, and its examples: lists of ``texts``."""
    cases, per_example = PLAN[field]
    examples = max(1, -(-round(cases * SCALE) // per_example))
    return (
        settings(
            max_examples=examples,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        ),
        st.lists(texts, min_size=per_example, max_size=per_example),
    )


def mixed(passing: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Hostile texts, texts that pass, and texts that pass followed by hostile ones."""
    return st.one_of(
        HOSTILE_TEXT,
        passing,
        st.tuples(passing, HOSTILE_TEXT).map("".join),
    )


@pytest.fixture(scope="session")
def screens_count(fuzz_count: FuzzCount) -> Iterator[FuzzCount]:
    """This module's cases, added to the session's count after the last test (see above)."""
    count = FuzzCount()
    yield count
    fuzz_count.typed.update(count.typed)
    fuzz_count.submitted.update(count.submitted)


def said(widget: Static) -> str:
    return str(widget.render())


# ------------------------------------------------------- processes filter

#: pieces of the demo's "web" processes (command, user, PID, cgroup), in any case
FILTER_WORDS = (
    "nginx",
    "NGINX: Worker",
    "www-data",
    "root",
    "messagebus",
    "802",
    "80305",
    "1",
    "/payload",
    "system.slice/",
    "PHP",
    "  cron  ",
    "\\u",
    "(/etc/php",
    "init.scope",
    "--machine=web",
    "zzz-nothing",
)


class ProcessesApp(App[None]):
    def on_mount(self) -> None:
        self.push_screen(ProcessesScreen(DemoHost(seed=1, frozen=True), "web", interval=60.0))


@pytest.fixture(scope="module")
def processes() -> Iterator[Driver]:
    yield from driver_fixture(ProcessesApp, size=(80, 16))


def processes_screen(driver: Driver) -> ProcessesScreen:
    for _ in range(100):
        screen = driver.app.screen
        if isinstance(screen, ProcessesScreen) and screen.table is not None:
            return screen
        driver.sleep(0.02)
    raise AssertionError("the processes screen never read")


def filtered(table: ProcessTable, value: str) -> tuple[set[int], set[str]]:
    """The PIDs whose command, user, PIDs or cgroup hold ``value`` (stripped, any case),
    and the cgroups the tree shows for them: "/" and those above a matching process."""
    needle = value.strip().lower()
    pids, groups = set(), set()
    for group in table.groups:
        for p in group.processes:
            texts = (p.command, p.user, str(p.pid), str(p.ns_pid), group.path)
            if any(needle in text.lower() for text in texts):
                pids.add(p.pid)
                groups.add(group.path)
    headings = {"/"} | {
        path
        for path in (g.path for g in table.groups)
        if any(g == path or g.startswith(path.rstrip("/") + "/") for g in groups)
    }
    return pids, headings


_settings, _texts = fuzz("processes filter", mixed(st.sampled_from(FILTER_WORDS)))


@_settings
@given(texts=_texts, sort=st.sampled_from(["tree", "cpu", "memory"]))
def test_fuzz_processes_filter(
    processes: Driver, screens_count: FuzzCount, texts: list[str], sort: str
) -> None:
    processes.revive()
    screen = processes_screen(processes)
    table = screen.table
    assert table is not None and table.processes()
    view = screen.query_one(ProcessTableView)
    box = screen.query_one("#proc-filter", Input)
    status = screen.query_one("#proc-status", Static)

    def opening() -> None:
        screen.action_sort(sort)
        screen.action_filter()

    for i, text in enumerate(texts):
        last = i == len(texts) - 1
        processes.type_text(box, text, submit=last, before=None if i else opening)
        screens_count.typed["processes filter"] += 1
        processes.check()
        assert box.value == clean(typed(text))
        assert screen.needle == box.value
        pids, headings = filtered(table, box.value)
        rows = view.shown_rows
        shown = [row.pid for row in rows if row.pid is not None]
        assert sorted(shown) == sorted(pids)  # each once
        if sort == "tree":
            assert {row.group for row in rows if row.pid is None} == headings
        else:
            assert all(row.pid is not None for row in rows)
        if box.value:  # the status line quotes the filter: drawn, not parsed as markup
            assert f"filter: {box.value!r} ({len(pids)} shown)" in said(status)
        else:
            assert "filter:" not in said(status)
    screens_count.submitted["processes filter"] += 1
    # Enter keeps the filter (shown while it holds something) and goes back to the rows
    assert screen.focused is view and box.display == bool(box.value)
    assert screen.needle == box.value == clean(typed(texts[-1]))


# ------------------------------------------------------ image name prompt

#: the images of the (imagined) images screen: a new name must not be one of them
IMAGES = {"web": None, "db": None, "old.img": None}


def taken_check() -> Callable[[str], str | None]:
    """The images screen's own check of a new name (ImagesScreen._taken) on IMAGES."""
    return partial(ImagesScreen._taken, SimpleNamespace(table=SimpleNamespace(images=IMAGES)))


def expected_name_problem(name: str) -> str | None:
    """The oracle: systemd's rules (name_problem), and no image of that name already."""
    if name in IMAGES and name_problem(name) is None:
        return f"an image called {name} exists already"
    return name_problem(name)


def clone_command(new: str, read_only: bool) -> str:
    return machinectl("clone", "web", new, options=["--read-only"] if read_only else [])


def rename_command(new: str, _: bool) -> str:
    return machinectl("rename", "web", new)


@pytest.fixture(scope="module")
def clone_prompt() -> Iterator[Driver]:
    def dialog() -> ImagePrompt:
        return ImagePrompt(
            "Clone web (1.2 GiB) as the new image:",
            "web-copy",
            check=taken_check(),
            command=clone_command,
            checkbox="read-only copy",
            action="Clone",
        )

    yield from driver_fixture(lambda: DialogApp(dialog), size=(80, 12))


@pytest.fixture(scope="module")
def rename_prompt() -> Iterator[Driver]:
    def dialog() -> ImagePrompt:
        return ImagePrompt(
            "Rename web to:", "web", check=taken_check(), command=rename_command, action="Rename"
        )

    yield from driver_fixture(lambda: DialogApp(dialog), size=(80, 12))


_NAME = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9.-]{0,70}", fullmatch=True)
#: names: valid ones, taken ones, and near misses (length, dots, dashes, one character)
NAMES = st.one_of(
    _NAME,
    st.tuples(_NAME, st.sampled_from("_ é/:@+~*"), _NAME).map("".join),
    st.sampled_from(["web", "db", "old.img", " web-2 ", "a" * 64, "a" * 65, ".host", "x..y"]),
)


def prompt_case(
    driver: Driver,
    dialog: Any,
    texts: list[str],
    count: Callable[[], None],
    problem_of: Callable[[str], str | None],
    command: Callable[[str], str],
    before: Callable[[], object] | None = None,
) -> tuple[str, str | None]:
    """Type ``texts`` into an ImagePrompt, checking it after each; the last value and
    its problem, after it is submitted (the caller checks the outcome)."""
    app = driver.app
    assert isinstance(app, DialogApp)
    box = dialog.query_one("#prompt-value", Input)
    message = dialog.query_one("#prompt-message", Static)
    answers = len(app.results)
    value, problem = "", None
    for i, text in enumerate(texts):
        last = i == len(texts) - 1
        edited = bool(box.value or typed(text))  # else no edit: a red problem stays red
        driver.type_text(box, text, submit=last, before=None if i else before)
        count()
        driver.check()
        value = clean(typed(text)).strip()
        problem = problem_of(value)
        if not last:  # checked as typed: the problem, or the command it equals
            assert box.value == clean(typed(text))
            assert said(message) == (problem if problem is not None else f"$ {command(value)}")
            assert not (edited and message.has_class("-error"))
    if problem is not None:  # refused inline: open, in red, nothing returned
        assert app.screen is dialog and len(app.results) == answers
        assert box.value == clean(typed(texts[-1]))
        assert said(message) == problem and message.has_class("-error")
    else:
        assert app.screen is not dialog and len(app.results) == answers + 1
    return value, problem


_settings, _texts = fuzz("image name", mixed(NAMES))


@_settings
@given(texts=_texts, clone=st.booleans(), read_only=st.booleans())
def test_fuzz_image_name(
    clone_prompt: Driver,
    rename_prompt: Driver,
    screens_count: FuzzCount,
    texts: list[str],
    clone: bool,
    read_only: bool,
) -> None:
    driver = clone_prompt if clone else rename_prompt
    driver.revive()
    dialog = reopen(driver, ImagePrompt)
    if clone:
        checkbox = dialog.query_one("#prompt-check", Checkbox)

        def tick() -> None:
            checkbox.value = read_only

        before: Callable[[], object] | None = tick
        command = partial(clone_command, read_only=read_only)
    else:
        assert not dialog.query("#prompt-check")
        before, command = None, partial(rename_command, _=False)

    def count() -> None:
        screens_count.typed["image name"] += 1

    value, problem = prompt_case(
        driver, dialog, texts, count, expected_name_problem, command, before
    )
    screens_count.submitted["image name"] += 1
    if problem is None:
        answer = driver.app.results[-1]
        assert answer == ImageAnswer(value, read_only and clone)
        assert name_problem(answer.value) is None and answer.value not in IMAGES


# ----------------------------------------------------- image limit prompt


@pytest.fixture(scope="module")
def limit_prompt() -> Iterator[Driver]:
    def dialog() -> ImagePrompt:
        return ImagePrompt(
            "Size limit of web (btrfs subvolume images; K, M, G, T; 'none' removes it):",
            "10G",
            check=limit_problem,
            command=lambda text, _: machinectl("set-limit", "web", text),
            action="Set limit",
        )

    yield from driver_fixture(lambda: DialogApp(dialog), size=(80, 12))


def expected_limit_problem(value: str) -> str | None:
    try:
        parse_image_limit(value)
    except ImageNameError as error:
        return error.message
    return None


#: sizes in set-limit's syntax, and near misses (0, too large, bad suffixes, spaces)
SIZES = st.one_of(
    st.from_regex(r"\s?[0-9]{1,21}(\.[0-9]{0,3})?\s?[KMGTPEBkgi]?[B]?\s?", fullmatch=True),
    st.sampled_from(["none", "NONE", "Infinity", "-", "0", "0.5", "16E", "15E", "1.5T", "1 G"]),
)

_settings, _texts = fuzz("image limit", mixed(SIZES))


@_settings
@given(texts=_texts)
def test_fuzz_image_limit(limit_prompt: Driver, screens_count: FuzzCount, texts: list[str]) -> None:
    limit_prompt.revive()
    dialog = reopen(limit_prompt, ImagePrompt)

    def count() -> None:
        screens_count.typed["image limit"] += 1

    def command(value: str) -> str:
        return machinectl("set-limit", "web", value)

    value, problem = prompt_case(
        limit_prompt, dialog, texts, count, expected_limit_problem, command
    )
    screens_count.submitted["image limit"] += 1
    if problem is None:
        answer = limit_prompt.app.results[-1]
        assert answer == ImageAnswer(value, False)
        # what the images screen does with it: bytes for SetImageLimit, or no limit
        limit = parse_image_limit(answer.value)
        assert 0 < limit <= NO_LIMIT
        assert (limit == NO_LIMIT) == (value.lower() in {"none", "infinity", "-"})


# ---------------------------------------------------------- transfer prompt


@pytest.fixture(scope="module")
def transfer_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Files to import: an existing path for the name field, some for the path field."""
    directory = tmp_path_factory.mktemp("transfer")
    for name in ("base.tar", "disk.raw", "x", "[b]", "全角テキスト", "a.qcow2.xz"):
        (directory / name).write_bytes(b"")
    (directory / "tree").mkdir()
    return directory


@pytest.fixture(scope="module")
def importer() -> Iterator[Driver]:
    yield from driver_fixture(lambda: DialogApp(TransferPrompt), size=(100, 16))


@pytest.fixture(scope="module")
def exporter(transfer_dir: Path) -> Iterator[Driver]:
    default = str(transfer_dir / "web.tar")
    yield from driver_fixture(
        lambda: DialogApp(lambda: TransferPrompt(image="web", path=default)), size=(100, 16)
    )


def transfer_problem(request: TransferRequest, exporting: bool) -> str | None:
    """The oracle: a path given; one that exists (import) or not (export); a valid name."""
    if not request.path:
        return "give the path of the file" + ("" if exporting else " or directory")
    if exporting:
        if os.path.lexists(request.path):
            return f"{request.path} exists already: choose a new file name"
        return None
    if not os.path.exists(request.path):
        return f"{request.path} does not exist"
    problem = name_problem(request.name)
    return None if problem is None else f"name: {problem}"


def transfer_command(request: TransferRequest, exporting: bool) -> str:
    if exporting:
        verb = {"tar": "export-tar", "raw": "export-raw"}[request.kind]
        return machinectl(verb, request.name, request.path)
    verb = {"tar": "import-tar", "raw": "import-raw", "directory": "import-fs"}[request.kind]
    options = ["--read-only"] * request.read_only + ["--force"] * request.force
    return machinectl(verb, request.path, request.name, options=options)


#: which field: the import's path, the import's name, the export's path
FIELDS = ["import path", "import name", "export path"]
PATH_ENDS = st.sampled_from(
    ["", "x", "[b]", "全角テキスト", "tree", "tree/", "disk.raw", "new.raw"]
)


_settings, _texts = fuzz("transfer path/name", mixed(NAMES))


@_settings
@given(
    which=st.sampled_from(FIELDS),
    texts=_texts,
    inside=st.booleans(),
    end=PATH_ENDS,
    read_only=st.booleans(),
    force=st.booleans(),
)
def test_fuzz_transfer_prompt(
    importer: Driver,
    exporter: Driver,
    transfer_dir: Path,
    screens_count: FuzzCount,
    which: str,
    texts: list[str],
    inside: bool,
    end: str,
    read_only: bool,
    force: bool,
) -> None:
    exporting = which == "export path"
    driver = exporter if exporting else importer
    driver.revive()
    app = driver.app
    assert isinstance(app, DialogApp)
    dialog = reopen(driver, TransferPrompt)
    answers = len(app.results)
    path_box = dialog.query_one("#transfer-path", Input)
    message = dialog.query_one("#transfer-message", Static)
    kind = dialog.query_one("#transfer-kind", Select)
    existing = str(transfer_dir / "base.tar")
    if which == "import name":
        box, other_box, other = dialog.query_one("#transfer-name", Input), path_box, existing
    elif which == "import path":
        box, other_box, other = path_box, dialog.query_one("#transfer-name", Input), "new-image"
    else:
        box, other_box, other = path_box, None, ""
    if which != "import name":
        # a path under the directory of files (a hostile file name, some existing) or as typed
        prefix = f"{transfer_dir}/" if inside else ""
        texts = [prefix + re.sub(r"\.\.", "._", text) + end for text in texts]

    def reset() -> None:  # the other field and the options as this example wants them
        if other_box is not None:
            other_box.value = other
        if not exporting:
            dialog.query_one("#transfer-read-only", Checkbox).value = read_only
            dialog.query_one("#transfer-force", Checkbox).value = force

    # Enter apart, once all is handled (not in the same turn as the last text, as elsewhere);
    # keys and Enter arriving together are the two tests below
    for i, text in enumerate(texts):
        edited = bool(box.value or typed(text))  # else no edit: a red problem stays red
        driver.type_text(box, text, submit=False, before=None if i else reset)
        screens_count.typed["transfer path/name"] += 1
        driver.check()
        assert box.value == clean(typed(text))
        value = box.value.strip()
        path = value if box is path_box else other
        # the kind shown: test_transfer_kind_follows_typed_path checks that it follows the
        # path; here, that it is one of the dialog's, and the one of the command and request
        shown_kind = kind.value
        assert shown_kind in (("tar",) if exporting else IMPORT_KINDS)
        request = TransferRequest(
            path=path,
            name="web" if exporting else (other if box is path_box else value),
            kind=str(shown_kind),
            read_only=read_only and not exporting,
            force=force and not exporting,
        )
        problem = transfer_problem(request, exporting)
        # checked as typed: the problem, or the command the transfer equals
        command = transfer_command(request, exporting)
        assert said(message) == (problem if problem is not None else f"$ {command}")
        assert not (edited and message.has_class("-error"))
    driver.press("enter")
    screens_count.submitted["transfer path/name"] += 1
    driver.check()
    if problem is not None:  # refused inline: open, in red, nothing returned
        assert app.screen is dialog and len(app.results) == answers
        assert said(message) == problem and message.has_class("-error")
    else:
        assert app.screen is not dialog and len(app.results) == answers + 1
        assert app.results[-1] == request


@pytest.fixture
def fresh_importer() -> Iterator[Driver]:
    yield from driver_fixture(lambda: DialogApp(TransferPrompt), size=(100, 16))


def test_transfer_kind_follows_typed_path(fresh_importer: Driver) -> None:
    """Keys arriving together (a burst, a paste without bracketed paste): the kind is still
    guessed from the path, the user never chose one."""
    dialog = reopen(fresh_importer, TransferPrompt)
    box = dialog.query_one("#transfer-path", Input)
    kind = dialog.query_one("#transfer-kind", Select)
    fresh_importer.type_text(box, "a.rawx", submit=False)  # raw at "a.raw", then tar
    assert kind.value == "tar"
    fresh_importer.type_text(box, "b.raw", submit=False)
    assert kind.value == guess_kind("b.raw") == "raw"


def test_transfer_refusal_stays_red(fresh_importer: Driver) -> None:
    """A path typed and Enter at once: refused, and said in red (the kind guessed on the
    way, "." being a directory, must not clear it)."""
    dialog = reopen(fresh_importer, TransferPrompt)
    box = dialog.query_one("#transfer-path", Input)
    message = dialog.query_one("#transfer-message", Static)
    fresh_importer.type_text(box, ".host[b]", submit=True)
    assert fresh_importer.app.screen is dialog
    assert said(message) == ".host[b] does not exist"
    assert message.has_class("-error")
