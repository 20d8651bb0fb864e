"""One long-lived remote ``sh`` that answers batched file reads: nothing is installed remotely.

:class:`RemoteShell` runs ``argv`` (``ssh ... HOST sh``: a POSIX shell reading
commands from its stdin) on first use and keeps it.  At start it defines one
shell function; a request is then ONE line, ``_ntl_n=NONCE; _ntl_r 'p0' 'p1'
...``, and its reply is, for each path in order::

    \\nNONCE INDEX\\n<the file's lines>            (read by the shell's own ``read``)
    \\nNONCE INDEX MISSING\\n                      (only when it cannot be opened)

and a final ``\\nNONCE END\\n``.  The file is read with the ``read`` built-in
(no ``cat``: a fork and exec per file costs ~1.5 ms, the built-in ~50 us),
so a file's last line always ends in a newline, and a file that opens but
fails to read (a cgroup removed meanwhile) gives the text read so far, often
``""``, which no figure's parser accepts.  The nonce is random per
request and never written anywhere a file's content could learn it, so no
content forges a marker; whatever precedes the first marker (a login
script's chatter) is skipped.  A reply that does not follow this shape ends
the shell (the next call starts a new one).

Requests of one shell never overlap (a lock: a second caller waits); each
has a deadline (longer for the first, which includes ssh's connection).  A
timeout, a dead shell or a broken reply raises
:class:`~nspawn_tui.host.base.HostUnavailable` with ssh's own words
(:func:`~nspawn_tui.remote.errors.describe_ssh_failure`) and kills the
process; the next call starts a new one at once, unless the shell never
answered (host unreachable, authentication failed): then calls fail at once
with the same message for a back-off period (1 s doubling to 30 s), so a poll
loop does not wait for ssh's connection timeout at every refresh.

Paths must be absolute and free of newlines and NUL bytes (they come from
systemd's ``ControlGroup`` and fixed /proc names); each is quoted with
:func:`shlex.quote`.  :meth:`RemoteShell.also_read` adds paths to every batch
(the remote host's /proc figures ride along with the cgroup reads: one round
trip per refresh).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import shlex
import signal
import time
from collections.abc import Sequence
from typing import Final

from nspawn_tui.host.base import HostUnavailable
from nspawn_tui.remote.errors import describe_spawn_error, describe_ssh_failure

#: The function every request calls (defined once, at start).  ``2>/dev/null``
#: comes before ``<``: the shell's "cannot open" message is not sent back.
PRELUDE: Final = (
    '_ntl_r() { _ntl_i=0; for _ntl_f in "$@"; do'
    ' printf \'\\n%s %s\\n\' "$_ntl_n" "$_ntl_i";'
    ' { while IFS= read -r _ntl_l || [ -n "$_ntl_l" ]; do printf \'%s\\n\' "$_ntl_l"; done; }'
    ' 2>/dev/null < "$_ntl_f" || printf \'\\n%s %s MISSING\\n\' "$_ntl_n" "$_ntl_i";'
    " _ntl_i=$((_ntl_i + 1)); done; printf '\\n%s END\\n' \"$_ntl_n\"; }\n"
)
STDERR_LIMIT: Final = 8192  # bytes of ssh's stderr kept (the last ones)
REPLY_LIMIT: Final = 8 * 1024 * 1024  # a reply larger than this is refused
BACKOFF_FIRST: Final = 1.0
BACKOFF_MAX: Final = 30.0


def check_path(path: str) -> None:
    """Refuse what could break the request line or read a relative file."""
    if not path.startswith("/") or "\n" in path or "\0" in path:
        raise ValueError(f"not an absolute path on one line: {path!r}")


def parse_reply(text: str, nonce: str, count: int) -> list[str | None]:
    """The contents of ``count`` files from a reply (see the module docstring); ValueError
    when the reply does not have that shape."""
    parts = text.split(f"\n{nonce} ")
    if parts[-1] != "END\n":
        raise ValueError("the reply does not end with its END marker")
    found: list[str | None] = [None] * count
    seen = 0
    for part in parts[1:-1]:  # parts[0]: whatever preceded the first marker
        header, newline, content = part.partition("\n")
        index_text, _, missing = header.partition(" ")
        if not newline or not index_text.isdigit() or int(index_text) >= count:
            raise ValueError(f"a malformed marker {header[:40]!r}")
        index = int(index_text)
        if missing:
            if missing != "MISSING" or content or index != seen - 1:
                raise ValueError(f"a malformed marker {header[:40]!r}")
            found[index] = None
        else:
            if index != seen:
                raise ValueError(f"file {index} out of order")
            found[index] = content
            seen += 1
    if seen != count:
        raise ValueError(f"{seen} of {count} files in the reply")
    return found


class RemoteShell:
    """A remote ``sh`` kept running for batched reads (see the module docstring).

    ``host`` names the host in messages (default: the word after ``--`` in
    ``argv``, as :meth:`~nspawn_tui.remote.target.SshTarget.ssh_argv` writes it).
    """

    def __init__(
        self,
        argv: list[str],
        *,
        host: str | None = None,
        timeout: float = 10.0,
        first_timeout: float = 25.0,
    ) -> None:
        if not argv:
            raise ValueError("an empty command")
        self.argv = list(argv)
        if host is None:
            host = argv[argv.index("--") + 1] if "--" in argv[:-1] else argv[0]
        self.host = host
        self.timeout = timeout
        self.first_timeout = first_timeout
        self._proc: asyncio.subprocess.Process | None = None
        self._answered = False  # the current process has answered a request
        self._stderr = bytearray()
        self._stderr_task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._extra: list[str] = []
        self._backoff = 0.0
        self._refuse_until = float("-inf")
        self._last_error = ""
        #: how many batches were answered (each one round trip), and how many processes ran
        self.batches = 0
        self.starts = 0
        #: the contents of the :meth:`also_read` paths in the latest answered batch
        self.latest_extra: dict[str, str | None] = {}

    @property
    def pid(self) -> int | None:
        """The running process's id (None when none runs)."""
        proc = self._proc
        return proc.pid if proc is not None and proc.returncode is None else None

    def also_read(self, paths: Sequence[str]) -> None:
        """Read ``paths`` in every batch from now on (see :attr:`latest_extra`)."""
        for path in paths:
            check_path(path)
            if path not in self._extra:
                self._extra.append(path)

    async def read_files(self, paths: Sequence[str]) -> dict[str, str | None]:
        """The text of each path (None: missing or unreadable), in one round trip.

        The :meth:`also_read` paths are read in the same batch.  Raises
        :class:`HostUnavailable` when the shell cannot answer, ValueError for a
        path that is not absolute or holds a newline.
        """
        wanted = list(dict.fromkeys(paths))
        for path in wanted:
            check_path(path)
        batch = wanted + [path for path in self._extra if path not in wanted]
        async with self._lock:
            if time.monotonic() < self._refuse_until:
                raise HostUnavailable(self._last_error)
            contents = await self._request(batch)
        self.latest_extra = {path: contents[path] for path in self._extra}
        return {path: contents[path] for path in wanted}

    async def close(self) -> None:
        """Kill and reap the process (and the stderr reader); a later call starts a new one."""
        async with self._lock:
            await self._stop()

    # ----------------------------------------------------------- internals

    async def _request(self, batch: list[str]) -> dict[str, str | None]:
        proc = self._proc
        if proc is None or proc.returncode is not None:
            await self._stop()
            proc = await self._start()
        nonce = secrets.token_hex(16)
        line = f"_ntl_n={nonce}; _ntl_r {' '.join(shlex.quote(p) for p in batch)}\n"
        end = f"\n{nonce} END\n".encode()
        deadline = self.timeout if self._answered else self.first_timeout
        assert proc.stdin is not None and proc.stdout is not None
        try:
            proc.stdin.write(line.encode())
            async with asyncio.timeout(deadline):
                await proc.stdin.drain()
                raw = await proc.stdout.readuntil(end)
            contents = parse_reply(raw.decode("utf-8", "replace"), nonce, len(batch))
        except TimeoutError:
            raise await self._fail(f"no answer within {deadline:g} s") from None
        except (asyncio.IncompleteReadError, ConnectionError, BrokenPipeError):
            raise await self._fail("") from None
        except asyncio.LimitOverrunError:
            raise await self._fail(f"a reply over {REPLY_LIMIT} bytes") from None
        except ValueError as exc:
            raise await self._fail(f"a broken reply: {exc}") from None
        self._answered = True
        self._backoff = 0.0
        self.batches += 1
        return dict(zip(batch, contents, strict=True))

    async def _start(self) -> asyncio.subprocess.Process:
        self._stderr.clear()
        self._answered = False
        try:
            proc = await asyncio.create_subprocess_exec(
                *self.argv,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                limit=REPLY_LIMIT,
                start_new_session=True,  # not killed by the terminal's ^C
            )
        except OSError as exc:
            self._last_error = describe_spawn_error(exc, self.argv[0])
            self._refuse(never_answered=True)
            raise HostUnavailable(self._last_error) from None
        self._proc = proc
        self.starts += 1
        self._stderr_task = asyncio.get_running_loop().create_task(self._collect_stderr(proc))
        assert proc.stdin is not None
        proc.stdin.write(PRELUDE.encode())
        return proc

    async def _collect_stderr(self, proc: asyncio.subprocess.Process) -> None:
        assert proc.stderr is not None
        while chunk := await proc.stderr.read(4096):
            self._stderr += chunk
            if len(self._stderr) > STDERR_LIMIT:
                del self._stderr[: len(self._stderr) - STDERR_LIMIT]

    async def _fail(self, why: str) -> HostUnavailable:
        """End the process and word the failure (ssh's stderr, its status)."""
        never_answered = not self._answered
        proc = self._proc
        returncode: int | None = None
        if proc is not None:
            if not why:  # it ended by itself: give it a moment to say why
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(2.0):
                        await proc.wait()
            returncode = proc.returncode
            if self._stderr_task is not None and returncode is not None:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(1.0):
                        await asyncio.shield(self._stderr_task)
        stderr = self._stderr.decode("utf-8", "replace")
        await self._stop()
        message = describe_ssh_failure(stderr, returncode, self.host)
        self._last_error = f"{message}; {why}" if why else message
        self._refuse(never_answered=never_answered)
        return HostUnavailable(self._last_error)

    def _refuse(self, *, never_answered: bool) -> None:
        if not never_answered:
            self._backoff = 0.0  # a connection that worked is tried again at once
            return
        self._backoff = min(BACKOFF_MAX, self._backoff * 2 or BACKOFF_FIRST)
        self._refuse_until = time.monotonic() + self._backoff

    async def _stop(self) -> None:
        proc, self._proc = self._proc, None
        task, self._stderr_task = self._stderr_task, None
        if proc is not None:
            if proc.returncode is None:
                # its whole group (its own session): a ProxyCommand or other child
                # holding the pipes would keep ``wait()`` from returning
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
            if proc.stdin is not None:
                proc.stdin.close()
            await proc.wait()
        if task is not None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(1.0):
                    await task
            task.cancel()
