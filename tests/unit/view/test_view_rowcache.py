"""RowCache: the rows of a poll loop, equal to build_rows, built again only when needed."""

from __future__ import annotations

import random
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from nspawn_tui.host.base import UNLIMITED, Machine, Sample
from nspawn_tui.view.rows import OOM_MARK, STYLE_HOT, RowCache, build_row, build_rows

NOW = 1_000_000.0
GiB = 1024**3


def machine(name: str = "web", **changes: object) -> Machine:
    base = Machine(
        name, os="Debian GNU/Linux 12 (bookworm)", addresses=("10.0.0.2",), started_at=NOW - 3700
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def sample(cpu: float | None = 12.0, mem: int | None = 300 * 1024**2, **more: object) -> Sample:
    fields: dict[str, object] = {"memory_max": GiB, "tasks_current": 12, "tasks_max": 512}
    fields.update(more)
    return Sample(1.0, cpu_percent=cpu, memory_current=mem, **fields)  # type: ignore[arg-type]


def test_same_machine_sample_and_time_reuse_the_row() -> None:
    cache = RowCache()
    m, s = machine(), sample()
    (first,) = cache.build([m], {"web": s}, NOW)
    (again,) = cache.build([m], {"web": s}, NOW)
    assert again is first


def test_new_sample_gives_a_new_row_with_its_figures() -> None:
    cache = RowCache()
    m = machine()
    (first,) = cache.build([m], {"web": sample(cpu=12.0)}, NOW)
    (second,) = cache.build([m], {"web": sample(cpu=55.5)}, NOW)
    assert second is not first
    assert (first.cells[4], second.cells[4]) == ("12.0", "55.5")


def test_changed_machine_gives_new_identity_cells() -> None:
    cache = RowCache()
    s = sample()
    cache.build([machine()], {"web": s}, NOW)
    (row,) = cache.build([machine(os="", addresses=("10.9.9.9",))], {"web": s}, NOW)
    assert row.cells[2:4] == ("—", "10.9.9.9") and row.styles[2] == "na"
    (row,) = cache.build([machine(state="stopped")], {}, NOW)
    assert row.cells[1] == "stopped" and not row.running and set(row.cells[3:]) == {""}


def test_equal_machine_object_keeps_the_row() -> None:
    """machined builds a new, equal Machine every poll: nothing to rebuild then."""
    cache = RowCache()
    s = sample()
    (first,) = cache.build([machine()], {"web": s}, NOW)
    (again,) = cache.build([machine()], {"web": s}, NOW)
    assert again is first


def test_time_moves_the_uptime() -> None:
    cache = RowCache()
    m = machine(started_at=NOW - 58.5)
    s = sample()
    texts = [cache.build([m], {"web": s}, NOW + dt)[0].cells[9] for dt in (0, 1, 2, 61, 62, 122)]
    assert texts == ["58s", "59s", "1m", "1m", "2m", "3m"]


def test_cpu_scale_change_gives_a_new_row() -> None:
    cache = RowCache()
    m, s = machine(), sample(cpu=160.0)
    (one_core,) = cache.build([m], {"web": s}, NOW)
    (host,) = cache.build([m], {"web": s}, NOW, cpu_scale=8.0)
    assert (one_core.cells[4], host.cells[4]) == ("160", "20.0")


def test_changed_memory_limit_is_shown() -> None:
    cache = RowCache()
    m = machine()
    (row,) = cache.build([m], {"web": sample(memory_max=GiB)}, NOW)
    assert row.cells[5] == "300M/1.0G"
    (row,) = cache.build([m], {"web": sample(memory_max=2 * GiB)}, NOW)
    assert row.cells[5] == "300M/2.0G"
    (row,) = cache.build([m], {"web": sample(memory_max=UNLIMITED)}, NOW)
    assert row.cells[5] == "300M"
    (row,) = cache.build([m], {"web": sample(mem=None, memory_max=GiB)}, NOW)
    assert row.cells[5] == "n/a/1.0G"


def test_gone_machines_are_forgotten() -> None:
    cache = RowCache()
    s = sample()
    cache.build([machine("a"), machine("b")], {"a": s, "b": s}, NOW)
    cache.build([machine("b"), machine("c")], {"b": s}, NOW)
    assert sorted(cache._entries) == ["b", "c"]
    # A machine that comes back is built afresh, with its new figures.
    (row, _) = cache.build([machine("a", state="stopped"), machine("b")], {"b": s}, NOW)
    assert row == build_row(machine("a", state="stopped"), None, NOW)


def _random_poll(
    rng: random.Random, machines: dict[str, Machine], samples: dict[str, Sample]
) -> None:
    """Change a few machines and samples in place, the way hosts do between polls."""
    for name in list(machines):
        roll = rng.random()
        m = machines[name]
        if roll < 0.05:
            machines[name] = replace(m, state="stopped" if m.running else "running")
        elif roll < 0.1:
            machines[name] = replace(m, os=rng.choice(["", "Arch Linux", "Fedora"]))
        elif roll < 0.15:
            machines[name] = replace(m, addresses=rng.choice([(), ("10.0.0.9",), ("fd00::1",)]))
        elif roll < 0.2:
            machines[name] = replace(m)  # equal, not the same object
        elif roll < 0.25:
            machines[name] = replace(m, started_at=rng.choice([None, NOW - rng.uniform(0, 9e5)]))
        if rng.random() < 0.7 or name not in samples:
            samples[name] = Sample(
                rng.random(),
                cpu_percent=rng.choice([None, rng.uniform(0, 400)]),
                memory_current=rng.choice([None, rng.randrange(0, 8 * GiB)]),
                memory_max=rng.choice([None, UNLIMITED, GiB, rng.randrange(1, 8 * GiB)]),
                tasks_current=rng.choice([None, rng.randrange(0, 600)]),
                tasks_max=rng.choice([None, UNLIMITED, 512, 4096]),
                oom_kills=rng.choice([None, rng.randrange(0, 4)]),
            )
        if rng.random() < 0.05:
            del samples[name]  # a running machine not read yet, or a stopped one
    if machines and rng.random() < 0.1:  # (the walk may have removed every machine)
        gone = rng.choice(list(machines))
        del machines[gone]
        samples.pop(gone, None)
    if rng.random() < 0.1:
        name = f"new-{rng.randrange(1000)}"
        machines[name] = machine(name, started_at=NOW - rng.uniform(0, 200))


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=0, max_value=2**32))
def test_rows_equal_build_rows_over_many_polls(seed: int) -> None:
    rng = random.Random(seed)
    machines = {f"m{i}": machine(f"m{i}", started_at=NOW - rng.uniform(0, 1e5)) for i in range(8)}
    samples: dict[str, Sample] = {}
    cache = RowCache()
    now, scale = NOW, 1.0
    for _ in range(30):
        _random_poll(rng, machines, samples)
        now += rng.choice([0.0, 0.25, 1.0, 1.0, 59.0])
        if rng.random() < 0.1:
            scale = rng.choice([1.0, 4.0, 32.0])
        listed = [machines[name] for name in sorted(machines)]
        rows = cache.build(listed, samples, now, cpu_scale=scale)
        assert rows == build_rows(
            listed, samples, now, cpu_scale=scale, oom_bases=cache.oom_bases()
        )


def test_random_polls_do_mark_oom_kills() -> None:
    """The property above is not vacuous: its polls do raise OOM counts over a baseline."""
    rng = random.Random(5)
    machines = {f"m{i}": machine(f"m{i}") for i in range(8)}
    samples: dict[str, Sample] = {}
    cache = RowCache()
    marked = 0
    for _ in range(30):
        _random_poll(rng, machines, samples)
        listed = [machines[name] for name in sorted(machines)]
        marked += sum(
            row.cells[5].startswith(OOM_MARK) for row in cache.build(listed, samples, NOW)
        )
    assert marked > 0


# -- OOM kills since the app started ---------------------------------------------------


def test_oom_count_first_seen_is_the_baseline() -> None:
    cache = RowCache()
    m = machine()
    (row,) = cache.build([m], {"web": sample(oom_kills=5)}, NOW)
    assert row.cells[5] == "300M/1.0G" and row.styles[5] == ""  # old kills: not marked
    assert cache.oom_since_start("web") == 0
    (row,) = cache.build([m], {"web": sample(oom_kills=5)}, NOW + 1)
    assert row.cells[5] == "300M/1.0G"
    (row,) = cache.build([m], {"web": sample(oom_kills=7)}, NOW + 2)
    assert (row.cells[5], row.styles[5]) == ("!300M/1.0G", STYLE_HOT)
    assert cache.oom_since_start("web") == 2
    assert row.sort_keys[5] == (0, 300 * 1024**2)  # sorting by memory is unchanged
    # and it stays marked while the count stays above the baseline
    (row,) = cache.build([m], {"web": sample(oom_kills=7, cpu=1.0)}, NOW + 3)
    assert row.cells[5] == "!300M/1.0G"


def test_oom_marker_wins_over_the_near_limit_warning() -> None:
    cache = RowCache()
    m = machine()
    cache.build([m], {"web": sample(mem=GiB - 4096, oom_kills=0)}, NOW)
    (row,) = cache.build([m], {"web": sample(mem=GiB - 4096, oom_kills=1)}, NOW)
    assert row.styles[5] == STYLE_HOT and row.cells[5].startswith("!")


def test_unknown_oom_count_marks_nothing() -> None:
    cache = RowCache()
    m = machine()
    cache.build([m], {"web": sample(oom_kills=None)}, NOW)
    (row,) = cache.build([m], {"web": sample(oom_kills=None)}, NOW + 1)
    assert not row.cells[5].startswith("!") and cache.oom_since_start("web") is None
    # the first count read becomes the baseline, even after unknown ones
    cache.build([m], {"web": sample(oom_kills=3)}, NOW + 2)
    (row,) = cache.build([m], {"web": sample(oom_kills=3)}, NOW + 3)
    assert not row.cells[5].startswith("!")


def test_a_machine_that_appears_later_starts_from_its_own_count() -> None:
    cache = RowCache()
    s = sample()
    cache.build([machine("a")], {"a": s}, NOW)
    rows = cache.build([machine("a"), machine("b")], {"a": s, "b": sample(oom_kills=4)}, NOW)
    assert not rows[1].cells[5].startswith("!")
    rows = cache.build([machine("a"), machine("b")], {"a": s, "b": sample(oom_kills=5)}, NOW)
    assert rows[1].cells[5].startswith("!") and cache.oom_since_start("b") == 1


def test_a_reboot_while_watched_counts_every_kill_of_the_new_cgroup() -> None:
    cache = RowCache()
    cache.build([machine()], {"web": sample(oom_kills=6)}, NOW)
    # stopped: no sample, the baseline is kept
    (row,) = cache.build([machine(state="stopped")], {}, NOW + 10)
    assert cache.oom_since_start("web") is None and row.cells[5] == ""
    # booted again: a new cgroup, its count starts at 0
    rebooted = machine(started_at=NOW + 20)
    (row,) = cache.build([rebooted], {"web": sample(oom_kills=0)}, NOW + 30)
    assert not row.cells[5].startswith("!") and cache.oom_since_start("web") == 0
    (row,) = cache.build([rebooted], {"web": sample(oom_kills=1)}, NOW + 31)
    assert row.cells[5].startswith("!") and cache.oom_since_start("web") == 1
    # a count that went down without a known start time: a new cgroup as well
    cache = RowCache()
    m = machine(started_at=None)
    cache.build([m], {"web": sample(oom_kills=6)}, NOW)
    (row,) = cache.build([m], {"web": sample(oom_kills=2)}, NOW + 1)
    assert row.cells[5].startswith("!") and cache.oom_since_start("web") == 2


def test_build_row_marks_against_the_given_baseline() -> None:
    m, s = machine(), sample(oom_kills=3)
    assert build_row(m, s, NOW).cells[5] == "300M/1.0G"  # no baseline: no marker
    assert build_row(m, s, NOW, oom_base=3).cells[5] == "300M/1.0G"
    assert build_row(m, s, NOW, oom_base=2).cells[5] == "!300M/1.0G"
