"""debootstrap's recorded output (bookworm minbase, 108 packages) as stages and counts."""

from __future__ import annotations

from pathlib import Path

from nspawn_tui.create.progress import DebootstrapProgress, Reading

RECORDED = Path(__file__).with_name("debootstrap-bookworm-minbase.log")


def _readings() -> list[Reading]:
    parser = DebootstrapProgress()
    readings = []
    for line in RECORDED.read_text().splitlines():
        if parser.feed(line):
            readings.append(parser.reading())
    assert parser.succeeded
    return readings


def test_stages_in_order() -> None:
    stages = []
    for reading in _readings():
        stage = "Retrieving" if reading.stage == "Validating" else reading.stage
        if not stages or stages[-1] != stage:
            stages.append(stage)
    assert stages == [
        "Retrieving", "Extracting", "Unpacking", "Configuring", "Unpacking", "Configuring",
        "Installed",
    ]  # fmt: skip


def test_counts_per_stage() -> None:
    parser = DebootstrapProgress()
    last: dict[str, Reading] = {}
    phase_last: dict[str, Reading] = {}
    for line in RECORDED.read_text().splitlines():
        if parser.feed(line):
            last[parser.reading().stage] = parser.reading()
            phase_last[parser.phase] = parser.reading()
    assert len(parser.retrieved) == 108  # metadata (InRelease, Packages) not counted
    assert parser.validated == 108
    assert parser.extracted == 88
    assert last["Retrieving"].total is None  # debootstrap never says how many
    assert (last["Retrieving"].done, last["Validating"].done) == (108, 108)
    assert last["Extracting"].done == 88
    assert phase_last["unpacking-required"].done == 88
    assert phase_last["unpacking-required"].total == 88
    assert phase_last["configuring-required"].total == 88
    assert phase_last["configuring-required"].done == 88  # clamped: libc-bin twice
    assert phase_last["unpacking-base"].total == 20
    assert phase_last["unpacking-base"].done == 8  # dpkg names only some of them
    assert last["Installed"] == Reading("Installed", 108, 108, 1.0)


def test_fraction_rises_monotonically_to_one() -> None:
    fractions = [r.fraction for r in _readings()]
    assert fractions[0] < 0.06
    assert all(b >= a for a, b in zip(fractions, fractions[1:], strict=False))
    assert fractions[-1] == 1.0
    # halfway through the downloads is about a quarter of the whole
    middle = next(r for r in _readings() if r.stage == "Retrieving" and r.done == 54)
    assert 0.2 < middle.fraction < 0.3


def test_other_lines_move_nothing() -> None:
    parser = DebootstrapProgress()
    for line in ("", "W: something", "I: Checking Release signature",
                 "I: Retrieving InRelease ", "dpkg: warning: x", "I: Unpacking zlib1g..."):  # fmt: skip
        assert parser.feed(line) is False
    assert parser.reading() == Reading("Preparing", 0, None, 0.0)


def test_a_failing_run_never_reaches_one() -> None:
    lines = RECORDED.read_text().splitlines()[:200]
    parser = DebootstrapProgress()
    for line in [*lines, "E: Couldn't download packages: libc6"]:
        parser.feed(line)
    assert not parser.succeeded
    assert parser.reading().fraction < 0.5
