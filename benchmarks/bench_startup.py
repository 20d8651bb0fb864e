"""First paint: from process start to the first complete dashboard frame, 100 machines.

The installed app (``nspawn-tui --demo --demo-machines 100``) is started in a
120x40 pane of a private tmux server; the clock starts just before tmux is
asked to run it (so interpreter start-up and imports count). The screen is
captured every few milliseconds until a frame is complete: the host header
shows the machine counts, the table's header row is drawn, the status line
(" sort: ...") is drawn below the table and the table row just above it holds
a machine. The figure is the median of RUNS starts. Capturing costs a few
milliseconds each time, so the figure is late by at most one capture.

The floor, in the same run and the same harness, starts alternating with the
app: ``floor_startup.py``, a bare Textual app drawing a 100-row ``DataTable``
of fixed text under the same kind of header and status line (interpreter,
Textual's imports, one frame). ``first_paint_floor_ratio`` is the app's
median over the floor's.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import Tmux, print_table, venv_bin

RUNS = int(os.environ.get("BENCH_STARTUP_RUNS", "5"))
MACHINES = 100


def frame_complete(screen: list[str]) -> bool:
    if not screen or "running," not in screen[0]:
        return False
    if not any(line.startswith("NAME") for line in screen):
        return False
    status = next((i for i, line in enumerate(screen) if line.startswith(" sort:")), None)
    if status is None or status < 3:
        return False
    last_row = screen[status - 1].split()
    return len(last_row) >= 3 and last_row[1] in {"running", "stopped", "degraded", "opening"}


APP = [venv_bin("nspawn-tui"), "--demo", "--demo-machines", str(MACHINES)]
FLOOR = [venv_bin("python"), str(Path(__file__).resolve().parent / "floor_startup.py")]


def first_paint(argv: list[str] = APP, timeout: float = 20.0) -> float:
    with Tmux(120, 40) as tmux:
        start = time.perf_counter()
        tmux.start(argv, env={"TEXTUAL_ANIMATIONS": "none"})
        while (elapsed := time.perf_counter() - start) < timeout:
            if frame_complete(tmux.capture()):
                return elapsed
            time.sleep(0.002)
    raise RuntimeError(f"no complete frame within {timeout}s")


def run() -> dict[str, float]:
    first_paint(APP)  # warm the page cache (imports), not counted
    first_paint(FLOOR)
    times: list[float] = []
    floors: list[float] = []
    for _ in range(RUNS):  # alternating: the machine's load weighs on both alike
        times.append(first_paint(APP))
        floors.append(first_paint(FLOOR))
    median, floor = statistics.median(times), statistics.median(floors)
    print_table(
        f"first paint, {MACHINES} demo machines, 120x40 (median of {RUNS})",
        [
            ("process start -> complete frame", f"{median:.3f} s"),
            ("all runs", "  ".join(f"{t:.3f}" for t in times)),
            ("floor: bare Textual, 100-row DataTable", f"{floor:.3f} s"),
            ("floor runs", "  ".join(f"{t:.3f}" for t in floors)),
            ("app / floor", f"{median / floor:.2f}x"),
        ],
    )
    return {
        "first_paint_s": round(median, 3),
        "first_paint_floor_s": round(floor, 3),
        "first_paint_floor_ratio": round(median / floor, 2),
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run()))
