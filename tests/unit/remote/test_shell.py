"""RemoteShell against a local POSIX ``sh`` (the argv of any command running one): batched reads
of cgroup and /proc files in the kernel's formats, hostile contents, failures and cleanup."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import psutil
import pytest

from nspawn_tui.host.base import HostUnavailable
from nspawn_tui.remote import shell as shell_module
from nspawn_tui.remote.shell import RemoteShell, parse_reply

V2 = {
    "cpu.stat": "usage_usec 5000000\nuser_usec 3000000\nsystem_usec 2000000\n"
    "nr_periods 0\nnr_throttled 0\nthrottled_usec 0\nnr_bursts 0\nburst_usec 0\n",
    "memory.current": "104857600\n",
    "memory.max": "max\n",
    "memory.peak": "209715200\n",
    "memory.events": "low 0\nhigh 4\nmax 2\noom 1\noom_kill 1\noom_group_kill 0\n",
    "pids.current": "17\n",
    "pids.max": "2048\n",
    "io.stat": "8:0 rbytes=1000 wbytes=2000 rios=3 wios=4 dbytes=0 dios=0\n"
    "8:16 rbytes=24 wbytes=48 rios=1 wios=1 dbytes=0 dios=0\n",
}
V1 = {
    "cpuacct.usage": "7500000123\n",
    "memory.usage_in_bytes": "52428800\n",
    "memory.limit_in_bytes": "9223372036854771712\n",
    "pids.current": "9\n",
}


def tree(root: Path, files: dict[str, str]) -> dict[str, str]:
    root.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (root / name).write_text(text)
    return {str(root / name): text for name, text in files.items()}


@pytest.fixture
async def sh() -> AsyncIterator[RemoteShell]:
    shell = RemoteShell(["sh"])
    yield shell
    await shell.close()


async def test_reads_a_batch_of_v2_and_v1_files_exactly_in_one_round_trip(
    sh: RemoteShell, tmp_path: Path
) -> None:
    expected = tree(tmp_path / "unified/machine.slice/systemd-nspawn@web.service", V2)
    expected |= tree(tmp_path / "memory/machine.slice/systemd-nspawn@web.service", V1)
    got = await sh.read_files(list(expected))
    assert got == expected
    assert sh.batches == 1 and sh.starts == 1


async def test_a_missing_file_is_none_and_the_others_are_read(
    sh: RemoteShell, tmp_path: Path
) -> None:
    files = tree(tmp_path, {"a": "1\n", "c": "3\n"})
    unreadable = tmp_path / "dir"
    unreadable.mkdir()  # a directory opens but cannot be read
    got = await sh.read_files(
        [str(tmp_path / "a"), str(tmp_path / "b"), str(unreadable), str(tmp_path / "c")]
    )
    assert got == {
        str(tmp_path / "a"): "1\n",
        str(tmp_path / "b"): None,
        str(unreadable): "",  # opens, but read fails: no text (no parser takes "")
        str(tmp_path / "c"): "3\n",
    }
    assert files[str(tmp_path / "c")] == "3\n"


async def test_contents_cannot_forge_markers(sh: RemoteShell, tmp_path: Path) -> None:
    # markers of every shape, with a guessed nonce and the real format; no final newline
    hostile = (
        "\nEND\n\n0123456789abcdef0123456789abcdef END\n"
        "\n0123456789abcdef0123456789abcdef 1 MISSING\n"
        "\n0123456789abcdef0123456789abcdef 1\nforged\n"
        "back\\slash  spaces  \t\x1b[31m\nlast line without newline"
    )
    files = tree(tmp_path, {"hostile": hostile, "after": "42\n", "empty": ""})
    names = [str(tmp_path / n) for n in ("hostile", "after", "empty")]
    got = await sh.read_files(names)
    assert got[names[0]] == hostile + "\n"  # the shell's read ends every line
    assert got[names[1]] == "42\n"
    assert got[names[2]] == ""
    # and the shell still answers the next request
    assert await sh.read_files([names[1]]) == {names[1]: files[names[1]]}


async def test_paths_with_shell_metacharacters_are_quoted(sh: RemoteShell, tmp_path: Path) -> None:
    odd = tmp_path / "a dir; $(touch pwned) `x` 'q' \"d\" *"
    files = tree(odd, {"systemd-nspawn@we b.service": "7\n"})
    assert await sh.read_files(list(files)) == files
    assert not (Path.cwd() / "pwned").exists() and not (tmp_path / "pwned").exists()


@pytest.mark.parametrize("path", ["relative/file", "/a\nb", "/a\0b", ""])
async def test_paths_that_could_break_the_line_are_refused(sh: RemoteShell, path: str) -> None:
    with pytest.raises(ValueError):
        await sh.read_files([path])
    assert sh.starts == 0


async def test_chatter_before_the_first_marker_is_skipped(tmp_path: Path) -> None:
    files = tree(tmp_path, {"x": "5\n"})
    shell = RemoteShell(["sh", "-c", "echo 'Welcome! motd'; exec sh"])
    try:
        assert await shell.read_files(list(files)) == files
    finally:
        await shell.close()


async def test_a_killed_shell_is_restarted_on_the_next_call(
    sh: RemoteShell, tmp_path: Path
) -> None:
    files = tree(tmp_path, {"x": "5\n"})
    assert await sh.read_files(list(files)) == files
    first = sh.pid
    assert first is not None
    os.kill(first, signal.SIGKILL)
    await asyncio.sleep(0.2)  # let asyncio reap it
    assert await sh.read_files(list(files)) == files
    assert sh.starts == 2 and sh.pid not in (None, first)


async def test_a_shell_killed_during_a_request_fails_it_then_restarts(tmp_path: Path) -> None:
    files = tree(tmp_path, {"x": "5\n"})
    # a "shell" that dies on its first request without answering
    shell = RemoteShell(["sh", "-c", "read line; echo 'ssh: connection closed by remote host' >&2"])
    with pytest.raises(HostUnavailable, match="connection lost"):
        await shell.read_files(list(files))
    assert shell.pid is None
    shell.argv = ["sh"]  # the host is back
    shell._refuse_until = float("-inf")  # skip the back-off of a never-answered shell
    assert await shell.read_files(list(files)) == files
    await shell.close()


async def test_concurrent_callers_never_overlap(tmp_path: Path) -> None:
    files = tree(tmp_path, {f"f{i}": f"{i}\n" for i in range(20)})
    names = list(files)
    shell = RemoteShell(["sh"])
    writes: list[bytes] = []
    active = 0
    overlaps = 0
    real_request = shell._request

    async def counting(batch: list[str]) -> dict[str, str | None]:
        nonlocal active, overlaps
        active += 1
        overlaps += active > 1
        try:
            writes.append(repr(batch).encode())
            await asyncio.sleep(0.01)  # widen the window a second caller could use
            return await real_request(batch)
        finally:
            active -= 1

    shell._request = counting  # type: ignore[method-assign]
    try:
        results = await asyncio.gather(*(shell.read_files(names[i : i + 3]) for i in range(15)))
    finally:
        await shell.close()
    assert overlaps == 0
    assert len(writes) == 15 and shell.batches == 15 and shell.starts == 1
    for i, result in enumerate(results):
        assert result == {name: files[name] for name in names[i : i + 3]}


async def test_a_timeout_raises_host_unavailable_with_ssh_words_and_kills(tmp_path: Path) -> None:
    files = tree(tmp_path, {"x": "5\n"})
    shell = RemoteShell(
        [
            "sh",
            "-c",
            "echo 'ssh: connect to host web1 port 22: Connection timed out' >&2; sleep 30",
        ],
        host="web1",
        first_timeout=0.5,
    )
    with pytest.raises(HostUnavailable) as caught:
        await shell.read_files(list(files))
    assert "no answer within 0.5 s" in str(caught.value)
    assert str(caught.value).startswith("timed out (ssh: connect to host web1")
    assert shell.pid is None
    # it never answered: the next call fails at once (back-off), with the same words
    with pytest.raises(HostUnavailable) as again:
        await asyncio.wait_for(shell.read_files(list(files)), 0.2)
    assert str(again.value) == str(caught.value)
    await shell.close()


async def test_ssh_stderr_becomes_words(tmp_path: Path) -> None:
    shell = RemoteShell(
        ["sh", "-c", "echo 'root@web1: Permission denied (publickey).' >&2; exit 255"],
        host="web1",
    )
    with pytest.raises(HostUnavailable, match=r"authentication failed \(root@web1: Permission"):
        await shell.read_files(["/proc/stat"])
    await shell.close()


async def test_a_missing_program_is_host_unavailable() -> None:
    shell = RemoteShell(["/nonexistent/ssh-client", "--", "web1", "sh"])
    assert shell.host == "web1"
    with pytest.raises(HostUnavailable, match="ssh not installed here"):
        await shell.read_files(["/proc/stat"])


async def test_close_leaves_no_process(tmp_path: Path) -> None:
    files = tree(tmp_path, {"x": "5\n"})
    # the lab's daemons may be children of this pytest too (a whole-suite run): only new ones count
    before = {child.pid for child in psutil.Process().children(recursive=True)}
    shell = RemoteShell(["sh"])
    await shell.read_files(list(files))
    pid = shell.pid
    assert pid is not None and psutil.pid_exists(pid)
    await shell.close()
    assert shell.pid is None
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    left = [c for c in psutil.Process().children(recursive=True) if c.pid not in before]
    assert left == []


async def test_also_read_paths_ride_along_in_the_same_batch(
    sh: RemoteShell, tmp_path: Path
) -> None:
    files = tree(tmp_path, {"stat": "cpu 1 2 3 4\n", "x": "5\n"})
    sh.also_read([str(tmp_path / "stat")])
    got = await sh.read_files([str(tmp_path / "x")])
    assert got == {str(tmp_path / "x"): "5\n"}  # only what was asked
    assert sh.latest_extra == {str(tmp_path / "stat"): files[str(tmp_path / "stat")]}
    assert sh.batches == 1


def test_a_reply_out_of_shape_is_refused() -> None:
    nonce = "n" * 32
    good = f"junk\n{nonce} 0\n1\n\n{nonce} 1\n\n{nonce} 1 MISSING\n\n{nonce} END\n"
    assert parse_reply(good, nonce, 2) == ["1\n", None]
    for bad in (
        good.replace(f"\n{nonce} END\n", ""),  # no end
        f"\n{nonce} 0\n1\n\n{nonce} END\n",  # a file short
        f"\n{nonce} 1\n1\n\n{nonce} 0\n2\n\n{nonce} END\n",  # out of order
        f"\n{nonce} 0\n1\n\n{nonce} 0 FORGED\n\n{nonce} 1\n\n{nonce} END\n",
        f"\n{nonce} 5\n1\n\n{nonce} END\n",  # an index out of range
    ):
        with pytest.raises(ValueError):
            parse_reply(bad, nonce, 2)


def test_the_prelude_is_one_posix_function() -> None:
    assert shell_module.PRELUDE.count("\n") == 1 and "cat" not in shell_module.PRELUDE
