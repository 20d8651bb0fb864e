"""Reading cgroup files with kept descriptors, for v2, v1 and hybrid layouts."""

from __future__ import annotations

import errno
import os
import resource
import threading
import time
from collections.abc import Callable
from typing import Any, Final, TypeVar

from nspawn_tui.cgroups.fastparse import fast_counter
from nspawn_tui.cgroups.figures import (
    IO,
    IO_WRITE,
    SLOTS,
    Parse,
    RawReading,
    fast_for,
    fields_for,
    make_reading,
    parse_bytes,
    parse_text,
    reading,
)
from nspawn_tui.cgroups.layout import CgroupPaths
from nspawn_tui.cgroups.plan import (
    NEVER,
    DirState,
    Draft,
    Entry,
    Plan,
    Step,
    Unsure,
    entry,
    pread,
    pread_all,
    read_entries,
    read_rest,
)

__all__ = ["CgroupReader", "RawReading"]

T = TypeVar("T")

#: errnos of a descriptor whose cgroup was removed
_VANISHED: Final = frozenset({errno.ENODEV, errno.ENOENT, errno.ESTALE})


class CgroupReader:
    """Reads :class:`RawReading` values, keeping file descriptors open.

    Kept descriptors are read with ``os.pread(fd, size, 0)``: kernfs regenerates
    the content at offset 0 (~0.4 us against ~1.9 us for open/read/close).

    * A cgroup that vanished is noticed at once on kernfs (reads fail with
      ENODEV): its descriptors are closed and the files reopened on the next
      read, so a new cgroup of the same name is picked up. On other
      filesystems (test trees) the directory's identity is re-checked every
      *verify_interval* seconds.
    * A file that does not exist (or cannot be read) is remembered as
      unavailable and re-checked after *recheck_missing* seconds.
    * At most *max_fds* descriptors are kept (default: half the soft
      RLIMIT_NOFILE); beyond that files are opened, read and closed each time.

    * Files that change only when someone changes a limit (``memory.max``,
      ``pids.max``, ... and the peak/OOM counters) are read every
      *slow_interval* seconds, not at every sweep; :meth:`refresh_limits`
      makes the next read fetch them again (after a limit was set).

    A full read goes through the per-directory state above, file by file, and
    leaves a plan (:mod:`~nspawn_tui.cgroups.plan`) for the same
    :class:`CgroupPaths` object: the kept descriptors of the files read at
    every sweep, their parsers, and the slow values. The next reads of that
    object only ``pread`` and parse those descriptors. When the directories'
    identity or the slow files are due, the plan checks (``stat``) or reads
    them itself; a missing file due for a re-check, or any error or doubt
    (ENODEV, a closed descriptor, a file to fall back to) makes a full read.

    Call :meth:`forget` for a cgroup no longer watched and :meth:`close` at the end.
    The methods may be called from different threads (the host sweeps in a
    worker thread while the event loop forgets machines or refreshes limits):
    a lock keeps a descriptor from being closed, and its number reused, while
    a read uses it.
    """

    def __init__(
        self,
        *,
        recheck_missing: float = 30.0,
        verify_interval: float = 10.0,
        max_fds: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        slow_interval: float = 5.0,
    ) -> None:
        if max_fds is None:
            soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
            max_fds = 4096 if soft == resource.RLIM_INFINITY else max(soft // 2, 16)
        self._recheck_missing = recheck_missing
        self._slow_interval = slow_interval
        self._verify_interval = verify_interval
        self._max_fds = max_fds
        self._clock = clock
        self._dirs: dict[str, DirState] = {}
        self._kept = 0
        self._now = clock()  # time of the read() under way
        self._absent: set[str] = set()  # directories found absent during this read()
        self._plans: dict[int, Plan] = {}  # id(paths) -> its plan (which holds paths)
        self._shapes: dict[tuple[Step, ...], tuple[Step, ...]] = {}  # a few layouts
        self._changes = 0  # how many times descriptors were closed or slow values cleared
        self._lock = threading.Lock()

    @property
    def open_fds(self) -> int:
        """How many descriptors are kept open."""
        return self._kept

    def read(self, paths: CgroupPaths) -> RawReading:
        with self._lock:
            return self._read(paths)

    def _read(self, paths: CgroupPaths) -> RawReading:
        now = self._clock()
        plan = self._plans.get(id(paths))
        if plan is None or plan.paths is not paths:
            return self._read_full(paths, now)
        if now >= plan.deadline and not self._renew(plan, now):
            return self._read_full(paths, now)
        values = plan.base.copy()
        try:
            # strict=False: as long by construction, and strict costs 0.1 us a read
            for (slot, size, bound, fast, parse, more), fd in zip(
                plan.steps, plan.fds, strict=False
            ):
                data = pread(fd, size, 0)
                if len(data) >= bound:
                    data = read_rest(fd, data)
                if fast is fast_counter:  # fast_counter inlined: memory and pids, every sweep
                    digits = data.strip()
                    value = int(digits) if digits.isdigit() else None
                else:
                    value = fast(data)
                if value is None:
                    value = parse_text(parse, data)
                    if value is None and more is not None:
                        value = read_entries(*more)
                values[slot] = value
        except (OSError, ValueError, Unsure):
            # a vanished cgroup, a huge number, a file not open yet: a full read decides
            return self._read_full(paths, now)
        if (io := values[IO]) is not None:
            values[IO], values[IO_WRITE] = io
        return make_reading(values)

    def forget(self, paths: CgroupPaths) -> None:
        """Close the descriptors of this cgroup's directories."""
        with self._lock:
            for directory in paths.directories():
                self._drop(directory)

    def refresh_limits(self, paths: CgroupPaths) -> None:
        """Read this cgroup's slowly changing files again at the next :meth:`read`."""
        with self._lock:
            for directory in paths.directories():
                state = self._dirs.get(directory)
                if state is not None:
                    self._invalidate(state)
                    state.slow.clear()

    def close(self) -> None:
        with self._lock:
            for directory in list(self._dirs):
                self._drop(directory)
            self._plans.clear()

    def __enter__(self) -> CgroupReader:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- plans

    def _renew(self, plan: Plan, now: float) -> bool:
        """Check the directories and read the slow files of *plan* if due; False: a full read."""
        if now >= plan.hard or plan.deadline == NEVER:
            return False
        if now >= plan.verify_at:
            for directory, state in plan.dirs:
                try:
                    st = os.stat(directory)
                except OSError:
                    return False  # gone: the full read notices it
                if (st.st_dev, st.st_ino) != state.ident:
                    return False  # removed and created again: likewise
            for _, state in plan.dirs:
                state.verified_at = now
            plan.verify_at = now + self._verify_interval
        if now >= plan.slow_at:
            if plan.slow is None:
                return False
            for slot, state, name, fd, parse in plan.slow:
                try:
                    data = pread_all(fd)
                except OSError:
                    return False  # the full read reads it again and handles the error
                value = parse_bytes(fast_for(parse), parse, data)
                state.slow[name] = (now, value)
                plan.base[slot] = value
            plan.slow_at = now + self._slow_interval
        plan.deadline = min(plan.hard, plan.verify_at, plan.slow_at)
        return True

    def _read_full(self, paths: CgroupPaths, now: float) -> RawReading:
        """Read every figure through the directory states, and plan the next reads."""
        self._now = now
        self._absent.clear()
        changes = self._changes
        values: list[Any] = [None] * SLOTS
        draft = Draft()
        for slot, slow, chain in fields_for(paths):
            if slow:
                ((directory, name, parse),) = chain
                values[slot] = self._get_slow(directory, name, parse)
                draft.slow_file(self._dirs.get(directory), directory, slot, name, parse)
            else:
                values[slot] = self._read_chain(draft, slot, chain)
        if draft.possible and draft.used and self._changes == changes:
            self._register(self._plan(paths, values, draft), draft)
        elif (old := self._plans.get(id(paths))) is not None:
            self._evict(old)
        return reading(values)

    def _read_chain(self, draft: Draft, slot: int, chain: list[tuple[str, str, Parse]]) -> Any:
        """The first value the files of *chain* give, in order; their step in *draft*."""
        entries: list[Entry] = []
        value = None
        complete = True  # False when files after the one that gave the value are left
        for index, (directory, name, parse) in enumerate(chain):
            data = self._read_bytes(directory, name)
            fd = draft.file(self._dirs.get(directory), directory, name, data)
            if data is not None:
                if fd is not None:
                    entries.append(entry(fd, len(data), parse))
                value = parse_bytes(fast_for(parse), parse, data)
                if value is not None:
                    complete = index == len(chain) - 1
                    break
        draft.step(slot, entries, complete)
        return value

    def _plan(self, paths: CgroupPaths, values: list[Any], draft: Draft) -> Plan:
        base = values.copy()
        for step in draft.steps:
            base[step[0]] = None  # read by the plan
        steps = tuple(draft.steps)
        if all(more is None or not more[0] for *_, more in steps):  # no descriptor in it
            steps = self._shapes.setdefault(steps, steps)
        verified = min(state.verified_at for state in draft.used.values())
        plan = Plan(
            paths=paths,
            steps=steps,
            fds=tuple(draft.fds),
            base=base,
            dirs=tuple(draft.used.items()),
            slow=None if draft.slow is None else tuple(draft.slow),
            hard=draft.hard,
            verify_at=verified + self._verify_interval,
            slow_at=draft.slow_at + self._slow_interval,
        )
        plan.deadline = min(plan.hard, plan.verify_at, plan.slow_at)
        return plan

    def _register(self, plan: Plan, draft: Draft) -> None:
        for state in draft.used.values():
            live = []
            for other in state.plans:
                if other.paths == plan.paths:  # an older plan of the same cgroup
                    self._evict(other)
                elif other.deadline != NEVER:
                    live.append(other)
            live.append(plan)
            state.plans = live
        if (old := self._plans.get(id(plan.paths))) is not None:
            self._evict(old)
        self._plans[id(plan.paths)] = plan

    def _evict(self, plan: Plan) -> None:
        plan.deadline = NEVER
        key = id(plan.paths)
        if self._plans.get(key) is plan:
            del self._plans[key]

    def _invalidate(self, state: DirState) -> None:
        """Descriptors of *state* are closed or its slow values cleared: void its plans."""
        self._changes += 1
        for plan in state.plans:
            self._evict(plan)
        state.plans = []

    # -- files, through the directory states

    def _get(self, directory: str, name: str, parse: Callable[[str], T]) -> T | None:
        data = self._read_bytes(directory, name)
        if data is None:
            return None
        value: T | None = parse_bytes(fast_for(parse), parse, data)
        return value

    def _get_slow(self, directory: str, name: str, parse: Callable[[str], T]) -> T | None:
        """:meth:`_get` for a file read every *slow_interval* seconds only."""
        state = self._dirs.get(directory)
        if state is not None:
            cached = state.slow.get(name)
            if cached is not None and self._now - cached[0] < self._slow_interval:
                return cached[1]  # type: ignore[return-value]  # stored by this method
        value = self._get(directory, name, parse)
        state = self._dirs.get(directory)  # (re)created by the read when present
        if state is not None:
            state.slow[name] = (self._now, value)
        return value

    def _drop(self, directory: str) -> None:
        state = self._dirs.pop(directory, None)
        if state is not None:
            self._invalidate(state)
            for fd in state.fds.values():
                os.close(fd)
            self._kept -= len(state.fds)

    def _state(self, directory: str, now: float) -> DirState | None:
        state = self._dirs.get(directory)
        if state is not None and now - state.verified_at < self._verify_interval:
            return state
        if directory in self._absent:
            return None
        try:
            st = os.stat(directory)
        except OSError:  # the directory is gone (or not reachable)
            self._drop(directory)
            self._absent.add(directory)  # once per read(), not once per file
            return None
        ident = (st.st_dev, st.st_ino)
        if state is not None and state.ident != ident:
            self._drop(directory)  # removed and created again
            state = None
        if state is None:
            state = self._dirs[directory] = DirState(ident, now)
        state.verified_at = now
        return state

    def _read_bytes(self, directory: str, name: str) -> bytes | None:
        now = self._now
        state = self._state(directory, now)
        if state is None:
            return None
        until = state.missing.get(name)
        if until is not None:
            if now < until:
                return None
            del state.missing[name]
        fd = state.fds.get(name)
        kept = fd is not None
        if fd is None:
            try:
                fd = os.open(os.path.join(directory, name), os.O_RDONLY | os.O_CLOEXEC)
            except OSError as exc:
                self._open_failed(directory, state, name, exc, now)
                return None
            kept = self._kept < self._max_fds
            if kept:
                state.fds[name] = fd
                self._kept += 1
        try:
            data = pread_all(fd)
        except OSError as exc:
            if kept:
                self._invalidate(state)  # before the descriptor's number can be reused
                del state.fds[name]
                self._kept -= 1
            os.close(fd)
            if exc.errno in _VANISHED:
                self._drop(directory)  # the cgroup went away: reopen next time
            else:
                state.missing[name] = now + self._recheck_missing
            return None
        if not kept:
            os.close(fd)
        return data

    def _open_failed(
        self, directory: str, state: DirState, name: str, exc: OSError, now: float
    ) -> None:
        if exc.errno in (errno.EMFILE, errno.ENFILE):
            return  # out of descriptors: transient, try again next time
        if exc.errno in _VANISHED:
            try:
                st = os.stat(directory)
            except OSError:
                self._drop(directory)
                self._absent.add(directory)
                return
            if (st.st_dev, st.st_ino) != state.ident:
                self._drop(directory)
                return
        state.missing[name] = now + self._recheck_missing  # absent or unreadable
