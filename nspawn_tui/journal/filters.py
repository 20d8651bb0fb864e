"""Which journal records a log view shows: priority, unit, machines and a search.

Never imports Textual.
"""

from __future__ import annotations

from dataclasses import dataclass

from nspawn_tui.journal.patterns import SearchPattern
from nspawn_tui.journal.records import LogRecord, record_matches


@dataclass(frozen=True, slots=True)
class LogFilter:
    """Which records are visible. ``None`` fields do not filter."""

    max_priority: int | None = None  # show priorities 0..max (records without one always)
    unit: str | None = None
    machines: frozenset[str] | None = None
    grep: SearchPattern | None = None  # only records matching this

    def accepts(self, record: LogRecord) -> bool:
        return self.keeps(record.priority, record.unit, record.machine) and (
            self.grep is None or record_matches(self.grep, record)
        )

    def keeps(self, priority: int | None, unit: str, machine: str) -> bool:
        """Whether a record of this priority, unit and machine passes (the grep aside)."""
        return not (
            (
                self.max_priority is not None
                and priority is not None
                and priority > self.max_priority
            )
            or (self.unit is not None and unit != self.unit)
            or (self.machines is not None and machine not in self.machines)
        )

    @property
    def active(self) -> bool:
        return not (
            self.max_priority is None
            and self.unit is None
            and self.machines is None
            and self.grep is None
        )
