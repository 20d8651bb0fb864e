"""The first-paint floor: a bare Textual app drawing a 100-row table of fixed text.

Not part of the app. ``bench_startup.py`` starts it in the same tmux harness as
the dashboard and stops the clock on the same "complete frame" test: a header
line with the machine counts, a table (Textual's ``DataTable``) whose header
row starts with NAME and whose rows name a state, and a status line below it.
Its time is interpreter start-up, importing Textual and drawing one frame:
what any Textual app of this shape costs before nspawn-tui does anything.
"""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import DataTable, Static

ROWS = 100
COLUMNS = ("NAME", "STATE", "OS", "ADDRESS", "CPU%", "MEM", "TASKS", "UP")


class FloorTable(App[None]):
    CSS = """
    #head { height: 1; }
    DataTable { height: 1fr; }
    #status { height: 1; dock: bottom; }
    """

    def compose(self) -> ComposeResult:
        yield Static(
            f"localhost · {ROWS} machines: {ROWS // 2} running, {ROWS // 2} stopped", id="head"
        )
        table: DataTable[str] = DataTable(cell_padding=0, cursor_type="row")
        table.add_columns(*(f"{name:<12}" for name in COLUMNS))
        for i in range(ROWS):
            state = "running" if i % 2 == 0 else "stopped"
            table.add_row(f"m{i:03d}", state, "Debian 12", "10.0.0.1", "1.0", "12M", "7", "1h")
        yield table
        yield Static(" sort: name", id="status")


if __name__ == "__main__":
    FloorTable().run()
