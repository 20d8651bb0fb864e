"""Dashboard cost in a real terminal: CPU, bytes sent, bytes per changed value; htop alongside.

The installed app (``nspawn-tui --demo --demo-machines 50``, 1 Hz) and ``htop -d 10``
each run in a 120x40 pane of a private tmux server, side by side in time (both
are light; running them together makes the comparison one of the same
moment). After a warm-up, for WINDOW seconds:

- CPU: utime + stime of the process from /proc/PID/stat, as % of one core.
- Bytes: what tmux received from the program (``pipe-pane -o 'cat >> FILE'``).
- Changed values: the screen is captured (``capture-pane``) 4 times a second and
  consecutive captures are compared. On the app's table lines a changed value
  is a column cell whose text changed (column spans from
  :func:`nspawn_tui.view.rows.layout_columns`); on other lines (host header,
  status, detail panel) it is a run of changed cells, runs separated by at least
  two unchanged cells counting apart. A value that changes twice between two
  captures counts once, so the count is a lower bound (at 1 Hz updates and a
  4 Hz capture this does not happen in practice).

Textual's own floor, in the same panes at the same time (``floor_app.py``): a
Textual app doing nothing (``textual_idle_cpu_percent``), and one that changes
one figure on each of REPAINT_LINES lines once a second, marking just those
cells dirty, with no data to fetch or format (``textual_repaint_cpu_percent``).
REPAINT_LINES is the number of table lines the dashboard changes each second
here (the running machines on screen). The dashboard's CPU minus the repaint
floor is what nspawn-tui itself costs (``dashboard_over_textual_cpu_percent``).

A second pane runs the same dashboard with the cursor moved to a running
machine (``dashboard_detail_cpu_percent``, ``dashboard_detail_bytes_per_s``): the
way one watches a machine, with its detail panel and graphs moving too.  Its
floor in the dashboard's own shape (``floor_app.py panel``: the same changing
lines in a table band and a panel of the detail panel's widgets, no data) gives
``textual_panel_cpu_percent`` and ``dashboard_detail_over_panel_floor_cpu_percent``:
Textual draws every widget inside the box around a frame's changes, and with the
cursor on a running machine that box holds the panel's widgets.

Themes (``bytes_per_changed_value_<theme>``): after those rounds, the same
dashboard once per theme of BENCH_THEMES, each through a config file of its own
(``--config FILE`` with ``theme = "..."``), all in panes side by side with the
default theme (``textual-dark``, also through a file) at the same moment, so each
theme's bytes per changed value stands next to the default's of the same run.

Figures are medians over ROUNDS rounds.
"""

from __future__ import annotations

import os
import shlex
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import Tmux, cpu_seconds, print_table, venv_bin
from benchmarks.screen_changes import app_table_lines, count_changes, no_table, sched_cpu_seconds

WIDTH, HEIGHT = 120, 40
WARMUP = float(os.environ.get("BENCH_WARMUP", "4"))
WINDOW = float(os.environ.get("BENCH_WINDOW", "20"))
ROUNDS = int(os.environ.get("BENCH_DASHBOARD_ROUNDS", "3"))
CAPTURE_HZ = 4.0
#: the program measured (for what-if experiments: BENCH_APP="python /tmp/patched.py")
APP = os.environ.get("BENCH_APP", "")
#: a reference program measured in the same rounds, both cursor positions (what-if runs:
#: BENCH_REF_APP="python /tmp/before.py" puts the code before a change next to it)
REF_APP = os.environ.get("BENCH_REF_APP", "")
#: running machines on screen in the 120x40 dashboard of 50 demo machines
REPAINT_LINES = 18
FLOOR_APP = str(Path(__file__).resolve().parent / "floor_app.py")
#: themes measured next to the default (comma-separated; empty: none)
THEMES = [
    t.strip()
    for t in os.environ.get(
        "BENCH_THEMES", "nspawn-high-contrast,nspawn-ansi,textual-light,gruvbox"
    ).split(",")
    if t.strip()
]
DEFAULT_THEME = "textual-dark"


@dataclass(frozen=True, slots=True)
class Measure:
    cpu_percent: float
    bytes_per_s: float
    changed_per_s: float
    #: the same CPU from the scheduler's nanosecond run times (see sched_cpu_seconds)
    sched_cpu_percent: float = float("nan")

    @property
    def bytes_per_changed(self) -> float:
        return self.bytes_per_s / self.changed_per_s if self.changed_per_s else float("nan")


class Session:
    """One program in its own tmux pane, measured over a window."""

    def __init__(
        self,
        argv: list[str],
        table: Callable[[list[str]], range],
        ready: str,
        keys: tuple[str, str] | None = None,
    ) -> None:
        """*keys*: (key to send once ready, text to wait for after it)."""
        self.argv, self.table, self.ready, self.keys = argv, table, ready, keys
        self.tmux = Tmux(WIDTH, HEIGHT)
        self.pid = 0
        self.result: Measure | None = None
        self.error: BaseException | None = None

    def start(self) -> None:
        env = {"TEXTUAL_ANIMATIONS": "none"}
        self.pid = self.tmux.start(self.argv, env=env)

    def wait_ready(self, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(self.ready in line for line in self.tmux.capture()):
                break
            time.sleep(0.05)
        else:
            raise RuntimeError(f"{self.argv[0]} did not draw {self.ready!r} within {timeout}s")
        if self.keys is not None:
            key, shown = self.keys
            self.tmux.send_keys(key)
            while time.monotonic() < deadline:
                if any(shown in line for line in self.tmux.capture()):
                    return
                time.sleep(0.05)
            raise RuntimeError(f"{self.argv[0]} did not show {shown!r} after {key}")

    def measure(self, directory: Path) -> None:
        try:
            out = directory / f"pipe-{self.pid}.bin"
            out.touch()
            self.tmux.pipe_to(out)
            sched0 = sched_cpu_seconds(self.pid)
            cpu0, t0 = cpu_seconds(self.pid), time.monotonic()
            changes = 0
            previous = self.tmux.capture()
            while (now := time.monotonic()) - t0 < WINDOW:
                time.sleep(min(1 / CAPTURE_HZ, WINDOW - (now - t0)))
                screen = self.tmux.capture()
                changes += count_changes(previous, screen, self.table)
                previous = screen
            cpu1, t1 = cpu_seconds(self.pid), time.monotonic()
            sched1 = sched_cpu_seconds(self.pid)
            self.tmux.stop_pipe()
            time.sleep(0.2)  # let cat flush
            elapsed = t1 - t0
            self.result = Measure(
                cpu_percent=100 * (cpu1 - cpu0) / elapsed,
                bytes_per_s=out.stat().st_size / elapsed,
                changed_per_s=changes / elapsed,
                sched_cpu_percent=100 * (sched1 - sched0) / elapsed,
            )
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread and re-raised
            self.error = exc

    def close(self) -> None:
        self.tmux.kill()


def _round(directory: Path, with_htop: bool) -> dict[str, Measure]:
    """One round: every program in its own pane, measured over the same window."""
    python = venv_bin("python")
    app = [*(shlex.split(APP) or [venv_bin("nspawn-tui")]), "--demo", "--demo-machines", "50"]
    named = {
        "app": Session(app, app_table_lines, "ct-0001"),
        # the same, cursor on a running machine: its detail panel and graphs move too
        "detail": Session(
            app, app_table_lines, "ct-0001", keys=("Down", "build-arch  (container, running)")
        ),
        "idle": Session([python, FLOOR_APP, "idle"], no_table, "floor"),
        "repaint": Session([python, FLOOR_APP, "repaint", str(REPAINT_LINES)], no_table, "floor"),
        "panel": Session([python, FLOOR_APP, "panel", str(REPAINT_LINES)], no_table, "floor"),
        # the same two floors drawn the way nspawn-tui draws (span compositor, plain lines)
        "repaint_ours": Session(
            [python, FLOOR_APP, "repaint", str(REPAINT_LINES), "ours"], no_table, "floor"
        ),
        "panel_ours": Session(
            [python, FLOOR_APP, "panel", str(REPAINT_LINES), "ours"], no_table, "floor"
        ),
    }
    if REF_APP:
        ref = [*shlex.split(REF_APP), "--demo", "--demo-machines", "50"]
        named["ref"] = Session(ref, app_table_lines, "ct-0001")
        named["ref_detail"] = Session(
            ref, app_table_lines, "ct-0001", keys=("Down", "build-arch  (container, running)")
        )
    if with_htop:
        named["htop"] = Session(["htop", "-d", "10"], no_table, "PID")
    sessions = list(named.values())
    try:
        for s in sessions:
            s.start()
        for s in sessions:
            s.wait_ready()
        time.sleep(WARMUP)
        threads = [threading.Thread(target=s.measure, args=(directory,)) for s in sessions]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        results: dict[str, Measure] = {}
        for key, s in named.items():
            if s.error is not None:
                raise s.error
            assert s.result is not None
            results[key] = s.result
        return results
    finally:
        for s in sessions:
            s.close()


def _our_floors(rounds: list[dict[str, Measure]]) -> dict[str, float]:
    """The floors drawn as nspawn-tui draws, and the dashboard above them (medians)."""
    figures: dict[str, float] = {}
    for attr, name in (("cpu_percent", ""), ("sched_cpu_percent", "_sched")):
        for key in ("repaint_ours", "panel_ours"):
            values = [getattr(r[key], attr) for r in rounds]
            figures[f"textual_{key}{name}_cpu_percent"] = round(statistics.median(values), 3)
        for app, floor, figure in (
            ("app", "repaint_ours", "dashboard_over_our_floor"),
            ("detail", "repaint_ours", "dashboard_detail_over_our_floor"),
            ("detail", "panel_ours", "dashboard_detail_over_our_panel_floor"),
        ):
            above = [getattr(r[app], attr) - getattr(r[floor], attr) for r in rounds]
            figures[f"{figure}{name}_cpu_percent"] = round(statistics.median(above), 3)
    return figures


def _measure_all(named: dict[str, Session]) -> dict[str, Measure]:
    """Start every session, warm up, measure them over the same window, stop them."""
    sessions = list(named.values())
    try:
        for s in sessions:
            s.start()
        for s in sessions:
            s.wait_ready()
        time.sleep(WARMUP)
        directory = Path(tempfile.mkdtemp(prefix="bench-themes-"))
        threads = [threading.Thread(target=s.measure, args=(directory,)) for s in sessions]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        shutil.rmtree(directory, ignore_errors=True)
        results: dict[str, Measure] = {}
        for key, s in named.items():
            if s.error is not None:
                raise s.error
            assert s.result is not None
            results[key] = s.result
        return results
    finally:
        for s in sessions:
            s.close()


def _theme_round(directory: Path) -> dict[str, Measure]:
    """The dashboard once per theme (and the default), each from a config file of its own."""
    program = shlex.split(APP) or [venv_bin("nspawn-tui")]
    named: dict[str, Session] = {}
    for theme in [DEFAULT_THEME, *THEMES]:
        config = directory / f"{theme}.toml"
        config.write_text(f'theme = "{theme}"\n', encoding="utf-8")
        argv = [*program, "--config", str(config), "--demo", "--demo-machines", "50"]
        named[theme] = Session(argv, app_table_lines, "ct-0001")
    return _measure_all(named)


Row = tuple[str, str]


def _theme_figures(rounds: list[dict[str, Measure]]) -> tuple[dict[str, float], list[Row]]:
    figures: dict[str, float] = {}
    rows: list[Row] = []
    for theme in [DEFAULT_THEME, *THEMES]:
        per_value = statistics.median(r[theme].bytes_per_changed for r in rounds)
        per_s = statistics.median(r[theme].bytes_per_s for r in rounds)
        key = theme.replace("-", "_")
        figures[f"bytes_per_changed_value_{key}"] = round(per_value, 1)
        figures[f"dashboard_bytes_per_s_{key}"] = round(per_s, 1)
        rows.append((f"theme {theme}", f"{per_value:.1f} B/value  {per_s:,.0f} B/s"))
    return figures, rows


def run() -> dict[str, float]:
    with_htop = shutil.which("htop") is not None
    rounds: list[dict[str, Measure]] = []
    theme_rounds: list[dict[str, Measure]] = []
    with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as tmp:
        for _ in range(ROUNDS):
            rounds.append(_round(Path(tmp), with_htop))
        if THEMES:
            for _ in range(ROUNDS):
                theme_rounds.append(_theme_round(Path(tmp)))

    def med(key: str, attr: str) -> float:
        return statistics.median(getattr(r[key], attr) for r in rounds)

    figures = {
        "dashboard_cpu_percent": round(med("app", "cpu_percent"), 3),
        "dashboard_bytes_per_s": round(med("app", "bytes_per_s"), 1),
        "bytes_per_changed_value": round(med("app", "bytes_per_changed"), 1),
        "dashboard_changed_values_per_s": round(med("app", "changed_per_s"), 1),
        "dashboard_detail_cpu_percent": round(med("detail", "cpu_percent"), 3),
        "dashboard_detail_bytes_per_s": round(med("detail", "bytes_per_s"), 1),
        "textual_idle_cpu_percent": round(med("idle", "cpu_percent"), 3),
        "textual_repaint_cpu_percent": round(med("repaint", "cpu_percent"), 3),
    }

    def over_floor(key: str, attr: str = "cpu_percent") -> float:
        """*key*'s CPU minus the repaint floor's, round by round (median)."""
        return round(
            statistics.median(getattr(r[key], attr) - getattr(r["repaint"], attr) for r in rounds),
            3,
        )

    figures["dashboard_over_textual_cpu_percent"] = over_floor("app")
    figures["dashboard_detail_over_textual_cpu_percent"] = over_floor("detail")
    figures["textual_panel_cpu_percent"] = round(med("panel", "cpu_percent"), 3)
    figures["textual_panel_sched_cpu_percent"] = round(med("panel", "sched_cpu_percent"), 3)
    for attr, name in (("cpu_percent", ""), ("sched_cpu_percent", "_sched")):
        figures[f"dashboard_detail_over_panel_floor{name}_cpu_percent"] = round(
            statistics.median(
                getattr(r["detail"], attr) - getattr(r["panel"], attr) for r in rounds
            ),
            3,
        )
    # the same from the scheduler's run times (ns, not 10 ms ticks)
    for key, name in (
        ("app", "dashboard"),
        ("detail", "dashboard_detail"),
        ("repaint", "textual_repaint"),
    ):
        figures[f"{name}_sched_cpu_percent"] = round(med(key, "sched_cpu_percent"), 3)
    figures["dashboard_over_textual_sched_cpu_percent"] = over_floor("app", "sched_cpu_percent")
    figures["dashboard_detail_over_textual_sched_cpu_percent"] = over_floor(
        "detail", "sched_cpu_percent"
    )
    figures.update(_our_floors(rounds))
    rows = [
        (
            f"nspawn-tui, 50 demo machines, 1 Hz (median of {ROUNDS} x {WINDOW:g}s)",
            f"{figures['dashboard_cpu_percent']:.2f} % CPU  "
            f"{figures['dashboard_bytes_per_s']:,.0f} B/s  "
            f"{figures['dashboard_changed_values_per_s']:.1f} values/s  "
            f"{figures['bytes_per_changed_value']:.1f} B/value",
        ),
        (
            "  per round (CPU %, B/s)",
            "  ".join(f"{r['app'].cpu_percent:.2f}/{r['app'].bytes_per_s:.0f}" for r in rounds),
        ),
        (
            "  the same, cursor on a running machine (detail panel, graphs)",
            f"{figures['dashboard_detail_cpu_percent']:.2f} % CPU  "
            f"{figures['dashboard_detail_bytes_per_s']:,.0f} B/s",
        ),
        (
            "  per round (CPU %, B/s)",
            "  ".join(
                f"{r['detail'].cpu_percent:.2f}/{r['detail'].bytes_per_s:.0f}" for r in rounds
            ),
        ),
        (
            "Textual doing nothing, same moment",
            f"{figures['textual_idle_cpu_percent']:.2f} % CPU",
        ),
        (
            f"Textual changing {REPAINT_LINES} lines/s, no data",
            f"{figures['textual_repaint_cpu_percent']:.2f} % CPU  "
            f"(nspawn-tui above it: {figures['dashboard_over_textual_cpu_percent']:.2f} %, "
            f"cursor on a running machine: "
            f"{figures['dashboard_detail_over_textual_cpu_percent']:.2f} %)",
        ),
        (
            "  per round (CPU %)",
            "  ".join(f"{r['repaint'].cpu_percent:.2f}" for r in rounds),
        ),
        (
            "Textual, the same frames in the dashboard's shape (cursor on a running machine)",
            f"{figures['textual_panel_cpu_percent']:.2f} % CPU (sched "
            f"{figures['textual_panel_sched_cpu_percent']:.3f})  nspawn-tui above it: "
            f"{figures['dashboard_detail_over_panel_floor_cpu_percent']:.2f} % (sched "
            f"{figures['dashboard_detail_over_panel_floor_sched_cpu_percent']:.3f})",
        ),
        (
            "scheduler's run times (ns): nspawn-tui / cursor on a running machine / floor",
            f"{figures['dashboard_sched_cpu_percent']:.3f} / "
            f"{figures['dashboard_detail_sched_cpu_percent']:.3f} / "
            f"{figures['textual_repaint_sched_cpu_percent']:.3f} % CPU  (above the floor: "
            f"{figures['dashboard_over_textual_sched_cpu_percent']:.3f} / "
            f"{figures['dashboard_detail_over_textual_sched_cpu_percent']:.3f} %)",
        ),
    ]
    rows.append(
        (
            "the two floors drawn as nspawn-tui draws (sched): 18 lines / dashboard's shape",
            f"{figures['textual_repaint_ours_sched_cpu_percent']:.3f} / "
            f"{figures['textual_panel_ours_sched_cpu_percent']:.3f} % CPU  (nspawn-tui above: "
            f"{figures['dashboard_over_our_floor_sched_cpu_percent']:.3f} / running machine "
            f"{figures['dashboard_detail_over_our_floor_sched_cpu_percent']:.3f}, over its shape "
            f"{figures['dashboard_detail_over_our_panel_floor_sched_cpu_percent']:.3f} %)",
        )
    )
    if REF_APP:
        figures.update(
            {
                "ref_dashboard_cpu_percent": round(med("ref", "cpu_percent"), 3),
                "ref_dashboard_bytes_per_s": round(med("ref", "bytes_per_s"), 1),
                "ref_bytes_per_changed_value": round(med("ref", "bytes_per_changed"), 1),
                "ref_dashboard_changed_values_per_s": round(med("ref", "changed_per_s"), 1),
                "ref_dashboard_detail_cpu_percent": round(med("ref_detail", "cpu_percent"), 3),
                "ref_dashboard_detail_bytes_per_s": round(med("ref_detail", "bytes_per_s"), 1),
                "ref_dashboard_over_textual_cpu_percent": over_floor("ref"),
                "ref_dashboard_detail_over_textual_cpu_percent": over_floor("ref_detail"),
                "ref_dashboard_over_textual_sched_cpu_percent": over_floor(
                    "ref", "sched_cpu_percent"
                ),
                "ref_dashboard_detail_over_textual_sched_cpu_percent": over_floor(
                    "ref_detail", "sched_cpu_percent"
                ),
            }
        )
        rows.append(
            (
                f"reference {REF_APP} (stopped / running machine)",
                f"{figures['ref_dashboard_cpu_percent']:.2f} / "
                f"{figures['ref_dashboard_detail_cpu_percent']:.2f} % CPU  "
                f"(above the floor: {figures['ref_dashboard_over_textual_cpu_percent']:.2f} / "
                f"{figures['ref_dashboard_detail_over_textual_cpu_percent']:.2f} %)  "
                f"{figures['ref_dashboard_bytes_per_s']:,.0f} B/s  "
                f"{figures['ref_bytes_per_changed_value']:.1f} B/value",
            )
        )
        rows.append(
            (
                "  reference, scheduler's run times, above the floor",
                f"{figures['ref_dashboard_over_textual_sched_cpu_percent']:.3f} / "
                f"{figures['ref_dashboard_detail_over_textual_sched_cpu_percent']:.3f} %",
            )
        )
    if with_htop:
        figures["htop_cpu_percent"] = round(med("htop", "cpu_percent"), 3)
        figures["htop_bytes_per_s"] = round(med("htop", "bytes_per_s"), 1)
        rows.append(
            (
                "htop -d 10, same moment, same size",
                f"{figures['htop_cpu_percent']:.2f} % CPU  {figures['htop_bytes_per_s']:,.0f} B/s  "
                f"{med('htop', 'changed_per_s'):.1f} values/s",
            )
        )
    else:
        rows.append(("htop", "not installed: no reference figures"))
    print_table("dashboard in a 120x40 tmux pane", rows)
    if theme_rounds:
        theme_figures, theme_rows = _theme_figures(theme_rounds)
        figures.update(theme_figures)
        print_table(
            f"per theme, 50 demo machines, side by side (median of {ROUNDS} x {WINDOW:g}s)",
            theme_rows,
        )
    return figures


if __name__ == "__main__":
    import json

    print(json.dumps(run()))
