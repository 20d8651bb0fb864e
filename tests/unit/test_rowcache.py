"""RowCache: the rows of a poll loop, equal to build_rows, built again only when needed."""

from __future__ import annotations

import random
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from nspawn_tui.host.base import UNLIMITED, Machine, Sample
from nspawn_tui.rowmodel import RowCache, build_row, build_rows

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
    texts = [cache.build([m], {"web": s}, NOW + dt)[0].cells[7] for dt in (0, 1, 2, 61, 62, 122)]
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
            )
        if rng.random() < 0.05:
            del samples[name]  # a running machine not read yet, or a stopped one
    if rng.random() < 0.1:
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
        assert cache.build(listed, samples, now, cpu_scale=scale) == build_rows(
            listed, samples, now, cpu_scale=scale
        )
