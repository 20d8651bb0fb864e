"""A hostile container on the real lab: nothing it writes reaches the terminal as a control.

``ntl-hostile`` is booted from the lab's root with an ``/etc/os-release`` and
``/etc/hostname`` (and, once up, a kernel host name) carrying a window-title
OSC, an OSC 52 clipboard write, an OSC 8 hyperlink, SGR and screen-clearing
CSI sequences, the C1 CSI (U+009B), a bidi override and Textual markup.  Its
journal gets records with such ``SYSLOG_IDENTIFIER``, ``MESSAGE`` and
``_SYSTEMD_UNIT``, written three ways: ``logger`` inside it (syslog),
the native journal protocol on its journald socket (binary fields,
undecodable bytes), and a journal file of its own forged with
``systemd-journal-remote`` (the container's root can write any file under
its ``/var/log/journal``, trusted ``_`` fields included; without that
program, Debian's ``systemd-journal-remote``, the forged records are left out
and the premise test says so).

The installed ``nspawn-tui`` then runs in tmux with ``pipe-pane`` recording
every byte it writes to the terminal: the dashboard, the detail panel, the
journal view merged with ``ntl-alpha`` and a record view.  The pane title
stays what it was, tmux's clipboard stays empty, the bytes hold none of the
container's sequences, and the captured screens keep their columns.  The
same for ``nspawn-tui list``, ``list --json`` and ``logs`` into a pipe.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import time
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path

import labkit
import pytest
from rich.cells import cell_len
from test_e2e_tmux import HEIGHT, WIDTH, Tmux, exit_status, process_state

NAME = "ntl-hostile"
OTHER = "ntl-alpha"  # a shared, well-behaved container of the flat lab
KNOWN_TITLE = "nspawn-tui-hostile-test"
PLAIN_LINE = "a plain line from ntl-alpha"
JOURNAL_REMOTE = Path("/lib/systemd/systemd-journal-remote")

# ------------------------------------------------------------------ the attacks (bytes)

TITLE = b"\x1b]0;PWNED\x07"
CLIPBOARD = b"\x1b]52;c;cHduZWQ=\x07"
RED = b"\x1b[5;41m"  # blinking red: no program of ours asks for it
CLEAR = b"\x1b[2J"
LINK = b"\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\"
C1_CSI = "\x9b31m".encode()  # U+009B, the 8-bit CSI, in UTF-8 (D-Bus strings are UTF-8)
BIDI = "\u202e".encode()
MARKUP = b"[/] [@click=app.quit]click[/] [link=x]x[/link] [bold]"
ATTACK = TITLE + CLIPBOARD + RED + CLEAR + LINK + C1_CSI + BIDI + b" " + MARKUP

#: what must never appear in the bytes nspawn-tui writes (decoded with surrogateescape)
FORBIDDEN = {
    "window title OSC 0": "\x1b]0;PWNED",
    "clipboard OSC 52": "\x1b]52",
    "hyperlink OSC 8 to evil.example": "\x1b]8;;https://evil",
    "the container's blinking red": "\x1b[5;41m",
    "the container's screen clear": "\x1b[5;41m\x1b[2J",
    "a screen clear after comm": "comm\x1b[2J",
    "a screen clear after evil.c": "evil.c\x1b[2J",
    "a screen clear after the version": "12\x1b[2J",
    "C1 CSI U+009B": "\x9b",
    "a raw 0x9b byte": "\udc9b",
    "bidi override U+202E": "\u202e",
}

OS_RELEASE = (
    b"PRETTY_NAME='Evil OS " + ATTACK + b"'\n"
    b"NAME='Evil" + TITLE + b"'\n"
    b"ID=debian\n"
    b"VERSION_ID='12" + CLEAR + b"'\n"
    b"HOME_URL='" + LINK + b"'\n"
)
HOSTNAME_FILE = b"evil" + TITLE + CLIPBOARD + CLEAR + b"\n"
#: the kernel host name (at most 64 bytes), set once the container is up
KERNEL_HOSTNAME = b"evil" + TITLE + CLIPBOARD + CLEAR


def make_hostile_root(root: Path) -> None:
    """Give an extracted root a hostile os-release and hostname (before it boots)."""
    os_release = root / "etc/os-release"
    if os_release.is_symlink() or os_release.exists():
        os_release.unlink()  # Debian's is a link to ../usr/lib/os-release
    os_release.write_bytes(OS_RELEASE)
    (root / "usr/lib/os-release").write_bytes(OS_RELEASE)
    (root / "etc/hostname").write_bytes(HOSTNAME_FILE)


def set_kernel_hostname(leader: int) -> None:
    """sethostname() in the container's UTS namespace (its systemd refused /etc/hostname)."""
    code = f"import socket; socket.sethostname({KERNEL_HOSTNAME!r})"
    subprocess.run(
        ["nsenter", "-t", str(leader), "-u", sys.executable, "-c", code],
        check=True,
        capture_output=True,
        timeout=30,
    )


def _native_field(name: bytes, value: bytes) -> bytes:
    """One field of the journal's native protocol, binary-safe."""
    return name + b"\n" + struct.pack("<Q", len(value)) + value + b"\n"


def send_native(leader: int, fields: list[tuple[bytes, bytes]]) -> None:
    """One entry on the container's journald socket (from the VM, through /proc/LEADER/root)."""
    path = f"/proc/{leader}/root/run/systemd/journal/socket"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.sendto(b"".join(_native_field(n, v) for n, v in fields), path)


def _export_entry(fields: list[tuple[bytes, bytes]]) -> bytes:
    """One entry of the journal export format (binary-safe fields)."""
    out = b""
    for name, value in fields:
        if b"\n" in value or any(b < 0x20 or b >= 0x7F for b in value):
            out += _native_field(name, value)
        else:
            out += name + b"=" + value + b"\n"
    return out + b"\n"


def forge_journal(root: Path, leader: int) -> Path:
    """A journal file in the container's own journal directory with forged trusted fields.

    The container's root can write any file under its ``/var/log/journal``;
    ``journalctl -M`` reads them all.
    """
    machine_id = (root / "etc/machine-id").read_text().strip()
    boot_id = Path(f"/proc/{leader}/root/proc/sys/kernel/random/boot_id").read_text()
    boot_id = boot_id.strip().replace("-", "")
    now = int(time.time() * 1_000_000)
    monotonic = int(time.monotonic() * 1_000_000)
    entries = []
    for i in range(3):
        entries.append(
            _export_entry(
                [
                    (b"__REALTIME_TIMESTAMP", str(now + i).encode()),
                    (b"__MONOTONIC_TIMESTAMP", str(monotonic + i).encode()),
                    (b"_BOOT_ID", boot_id.encode()),
                    (b"_MACHINE_ID", machine_id.encode()),
                    (b"_SYSTEMD_UNIT", b"evil" + TITLE + CLIPBOARD + b".service"),
                    (b"SYSLOG_IDENTIFIER", b"forged" + TITLE + RED),
                    (b"_COMM", b"comm" + CLEAR),
                    (b"_PID", b"1" + CLEAR),
                    (b"_HOSTNAME", KERNEL_HOSTNAME),
                    (b"PRIORITY", b"3"),
                    (b"MESSAGE", b"forged PWNED " + ATTACK + b"\n\xffsecond line " + ATTACK),
                ]
            )
        )
    directory = root / "var/log/journal" / machine_id
    directory.mkdir(parents=True, exist_ok=True)
    target = (
        directory
        / "system@0000000000000000000000000000ffff-0000000000000001-0000000000000001.journal"
    )
    subprocess.run(
        [str(JOURNAL_REMOTE), f"--output={target}", "-"],
        input=b"".join(entries),
        check=True,
        capture_output=True,
        timeout=30,
    )
    return target


def write_hostile_journal(lab: labkit.FlatLab, name: str) -> None:
    """Records with hostile identifier, message (and unit, if it can be forged) in ``name``."""
    container = lab.containers[name]
    ident = os.fsdecode(b"evil" + TITLE + CLIPBOARD)
    message = os.fsdecode(b"logger PWNED " + ATTACK)
    for _ in range(3):
        result = lab.exec(name, ["logger", "-t", ident, message])
        assert result.returncode == 0, result.stderr
    send_native(
        container.leader,
        [
            (b"MESSAGE", b"native PWNED " + ATTACK + b"\nline two \x9b\xff " + ATTACK),
            (b"SYSLOG_IDENTIFIER", b"native" + TITLE + CLIPBOARD),
            (b"PRIORITY", b"2"),
            (b"EVIL_FIELD", ATTACK + b"\xfe\xff"),
            (b"CODE_FILE", b"evil.c" + CLEAR),
        ],
    )
    if JOURNAL_REMOTE.exists():
        forge_journal(container.root, container.leader)


def journal_json(lab: labkit.FlatLab, name: str) -> list[dict[str, object]]:
    result = subprocess.run(
        ["journalctl", "-M", name, "-o", "json", "--no-pager"],
        env=lab.env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def field_bytes(value: object) -> bytes:
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, list) and all(isinstance(b, int) for b in value):
        return bytes(value)
    return repr(value).encode()


# ------------------------------------------------------------------ checks


def unsafe_output(raw: bytes) -> list[str]:
    """What of the container's attacks is in ``raw`` (bytes written to a terminal or pipe)."""
    text = raw.decode("utf-8", "surrogateescape")
    return [what for what, seq in FORBIDDEN.items() if seq in text]


def unsafe_chars(raw: bytes, allowed: str = "\n") -> list[str]:
    """Control, format and undecodable characters in ``raw`` (text for a pipe)."""
    text = raw.decode("utf-8", "surrogateescape")
    found = {
        f"U+{ord(c):04X}"
        for c in text
        if c not in allowed and unicodedata.category(c) in {"Cc", "Cf", "Cs", "Zl", "Zp"}
    }
    return sorted(found)


def too_wide(screen: str) -> list[str]:
    return [line for line in screen.splitlines() if cell_len(line) > WIDTH]


def column_of(line: str, index: int) -> int:
    """The terminal column of character ``index`` of ``line``."""
    return cell_len(line[:index])


def table_misaligned(screen: str) -> list[str]:
    """Rows of the machine table whose STATE or last column is not under the header's."""
    lines = screen.splitlines()
    header = next((line for line in lines if re.search(r"NAME\W*\s+STATE\s+OS", line)), None)
    assert header is not None, screen
    state_at = column_of(header, header.index("STATE"))
    end_at = cell_len(header.rstrip())
    bad = []
    for line in lines:
        match = re.search(r"^\W*(ntl-\S+)\s+(running|stopped)\b", line)
        if match is None:
            continue
        if column_of(line, match.start(2)) != state_at:
            bad.append(f"STATE not at column {state_at}: {line!r}")
        if match.group(2) == "running" and cell_len(line.rstrip()) != end_at:
            bad.append(f"row does not end at column {end_at}: {line!r}")
    return bad


def box_misaligned(screen: str) -> list[str]:
    """Lines of a bordered box (the record view) whose borders are not in line."""
    lines = screen.splitlines()
    top = next((i for i, line in enumerate(lines) if "╭" in line), None)
    bottom = next((i for i, line in enumerate(lines) if "╰" in line), None)
    assert top is not None and bottom is not None and bottom > top, screen
    left = column_of(lines[top], lines[top].index("╭"))
    right = column_of(lines[top], lines[top].index("╮"))
    bad = []
    for line in lines[top + 1 : bottom]:
        borders = [column_of(line, i) for i, c in enumerate(line) if c == "│"]
        if left not in borders or right not in borders:
            bad.append(f"borders not at {left} and {right}: {line!r}")
    return bad


def log_lines_misaligned(screen: str, names: tuple[str, ...]) -> list[str]:
    """Journal lines whose machine name is not in the same column as the others'."""
    columns: dict[int, str] = {}
    for line in screen.splitlines():
        if not re.match(r"^\W*\d\d:\d\d:\d\d\.\d{3}", line):
            continue
        for name in names:
            at = line.find(name)
            if at >= 0:
                columns.setdefault(column_of(line, at), line)
                break
    if len(columns) <= 1:
        return []
    return [f"machine name at column {col}: {line!r}" for col, line in sorted(columns.items())]


# ------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def hostile(flat_lab: labkit.FlatLab) -> Iterator[labkit.LabContainer]:
    """``ntl-hostile`` booted with hostile os-release, host name and journal records."""
    root = flat_lab.add_image(NAME)
    make_hostile_root(root)
    container = flat_lab.boot(NAME)
    try:
        set_kernel_hostname(container.leader)
        write_hostile_journal(flat_lab, NAME)
        # a newer line in the other machine: the merged view shows both names at its end
        flat_lab.exec(OTHER, ["logger", "-t", "plain", PLAIN_LINE], check=True)
        wanted = [b"logger PWNED", b"native PWNED"] + (
            [b"forged PWNED"] if JOURNAL_REMOTE.exists() else []
        )

        def written() -> bool | None:
            messages = [field_bytes(r.get("MESSAGE")) for r in journal_json(flat_lab, NAME)]
            return True if all(any(w in m for m in messages) for w in wanted) else None

        labkit.common.wait_for(written, timeout=20, what="the hostile journal records")
        yield container
    finally:
        flat_lab.stop(NAME)


class Terminal(Tmux):
    """Our own tmux server (test_e2e_tmux's), one pane running nspawn-tui, recorded with pipe-pane."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory / "tmux.sock")
        self.recording = directory / "pane-output.bin"
        self.session = "hostile"

    def start(self, argv: list[str], env: dict[str, str] | None = None) -> None:
        """A session whose pane waits for Enter, then runs ``argv``; recorded from the start."""
        env = {"TERM": "xterm-256color", "COLORTERM": "truecolor", "LANG": "C.UTF-8", **(env or {})}
        waiting = ["sh", "-c", 'read _ && exec "$@"', "sh", *argv]
        self(
            "new-session", "-d", "-s", self.session, "-x", str(WIDTH), "-y", str(HEIGHT),
            *[f"-e{key}={value}" for key, value in env.items()], "--", *waiting,
        )  # fmt: skip
        self("set-option", "-t", self.session, "remain-on-exit", "on")
        self("set-option", "-s", "set-clipboard", "on")  # OSC 52 would make a paste buffer
        self("select-pane", "-t", self.session, "-T", KNOWN_TITLE)
        self("pipe-pane", "-t", self.session, "-o", f"cat >> {self.recording}")
        self.keys("Enter")

    def probe(self) -> None:
        """Prove the detectors: a program that does write a title and the clipboard is seen."""
        script = r"printf '\033]0;PROBE-TITLE\007\033]52;c;cHJvYmU=\007'; sleep 30"
        self("new-window", "-d", "-t", self.session, "-n", "probe", "sh", "-c", script)
        target = f"{self.session}:probe"
        deadline = time.monotonic() + 10
        while self.pane("#{pane_title}", target) != "PROBE-TITLE" or not self.buffers():
            if time.monotonic() > deadline:
                raise AssertionError(
                    "tmux did not take a title or clipboard from a program: "
                    f"title {self.pane('#{pane_title}', target)!r}, buffers {self.buffers()!r}"
                )
            time.sleep(0.1)
        assert "probe" in self("show-buffer").stdout
        self("kill-window", "-t", target)
        while self.buffers():
            self("delete-buffer")

    def buffers(self) -> list[str]:
        return self("list-buffers", check=False).stdout.splitlines()

    def pane(self, fmt: str, target: str | None = None) -> str:
        return self("display-message", "-p", "-t", target or self.session, fmt).stdout.strip()

    def wait(self, probe: Callable[[str], object], what: str, timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if probe(screen):
                return screen
            if time.monotonic() >= deadline:
                raise AssertionError(f"timed out after {timeout:g} s waiting for {what}:\n{screen}")
            time.sleep(0.1)


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed (apt-get install tmux)")
    term = Terminal(tmp_path)
    try:
        yield term
    finally:
        term.close()


def nspawn_tui() -> Path:
    exe = Path(sys.prefix) / "bin" / "nspawn-tui"
    assert exe.exists(), f"{exe} is missing: install the project into the venv"
    return exe


# ------------------------------------------------------------------ tests


def test_the_container_is_hostile(flat_lab: labkit.FlatLab, hostile: labkit.LabContainer) -> None:
    """The premise: machined and journalctl hand out the container's sequences as they are."""
    reply = subprocess.run(
        ["busctl", f"--address={flat_lab.bus_address}", "--json=short", "call",
         "org.freedesktop.machine1", "/org/freedesktop/machine1",
         "org.freedesktop.machine1.Manager", "GetMachineOSRelease", "s", NAME],
        capture_output=True, text=True, timeout=20, check=True,
    )  # fmt: skip
    os_release = json.loads(reply.stdout)["data"][0]
    assert os_release["PRETTY_NAME"].encode() == b"Evil OS " + ATTACK, os_release
    records = journal_json(flat_lab, NAME)
    units = {field_bytes(r.get("_SYSTEMD_UNIT", "")) for r in records}
    idents = {field_bytes(r.get("SYSLOG_IDENTIFIER", "")) for r in records}
    hosts = {field_bytes(r.get("_HOSTNAME", "")) for r in records}
    assert b"evil" + TITLE + CLIPBOARD in idents
    assert KERNEL_HOSTNAME in hosts
    if not JOURNAL_REMOTE.exists():
        pytest.skip(
            f"{JOURNAL_REMOTE} is missing: no forged _SYSTEMD_UNIT records "
            "(apt-get install systemd-journal-remote)"
        )
    assert b"evil" + TITLE + CLIPBOARD + b".service" in units


def test_dashboard_logs_and_record_view_in_tmux(
    flat_lab: labkit.FlatLab, hostile: labkit.LabContainer, terminal: Terminal
) -> None:
    terminal.start([str(nspawn_tui()), "--bus", flat_lab.bus_address])
    terminal.probe()
    screens: dict[str, str] = {}
    row = re.compile(rf"^\W*{NAME}\s+running\b", re.MULTILINE)
    screens["dashboard"] = terminal.wait(
        lambda s: row.search(s) and re.search(rf"^\W*{OTHER}\s+running\b", s, re.MULTILINE),
        "the hostile container's row",
    )
    # the detail panel of the hostile machine: the filter leaves it alone under the cursor
    terminal.keys("/")
    terminal.wait(lambda s: "filter by name" in s, "the filter")
    terminal.keys("alpha", literal=True)
    terminal.wait(lambda s: not row.search(s), "only ntl-alpha")
    terminal.keys("Enter")
    terminal.keys("Space")
    terminal.wait(lambda s: "1 selected" in s, "ntl-alpha selected")
    terminal.keys("Escape")  # alone: an Escape followed at once by "/" reads as alt+/
    terminal.wait(lambda s: "filter:" not in s and row.search(s), "the filter cleared")
    terminal.keys("/")
    terminal.wait(lambda s: "filter by name" in s, "the filter")
    terminal.keys("hostile", literal=True)
    terminal.wait(lambda s: re.search(rf"^\W*{OTHER}\b", s, re.MULTILINE) is None, "only hostile")
    terminal.keys("Enter")
    screens["detail panel"] = terminal.wait(
        lambda s: (
            re.search(rf"^\W*{NAME}\s+\(container, running\)", s, re.MULTILINE)
            and "Evil OS" in s.split("(container, running)")[-1]
        ),
        "the detail panel of ntl-hostile",
    )
    terminal.keys("Space")
    terminal.wait(lambda s: "2 selected" in s, "both selected")
    terminal.keys("Escape")
    screens["both selected"] = terminal.wait(
        lambda s: row.search(s) and re.search(rf"^\W*{OTHER}\s+running", s, re.MULTILINE),
        "every row again",
    )
    # the journals of both, merged; then the newest hostile record in full
    terminal.keys("l")
    screens["merged journal"] = terminal.wait(
        lambda s: f"{OTHER}, {NAME} │" in s and "logger PWNED" in s and PLAIN_LINE in s,
        "hostile records and ntl-alpha's line in the merged view",
    )
    terminal.keys("/")
    terminal.wait(lambda s: "search text" in s, "the search prompt")  # else P is a key
    terminal.keys("PWNED", literal=True)
    terminal.wait(lambda s: re.search(r"^\W*PWNED\s*\W*$", s, re.MULTILINE), "PWNED typed")
    terminal.keys("Enter")
    terminal.wait(lambda s: "/PWNED" in s, "the search")
    screens["search"] = terminal.screen()
    terminal.keys("Enter")
    screens["record view"] = terminal.wait(
        lambda s: "journal record" in s and "MESSAGE" in s and re.search(r"\d+ fields", s),
        "the full record",
    )
    terminal.keys("Escape")
    terminal.wait(lambda s: "journal record" not in s, "the journal view again")
    terminal.keys("Escape")
    terminal.wait(lambda s: "/ Filter" in s, "the dashboard again")
    pid = int(terminal.pane("#{pane_pid}"))  # sh exec'd nspawn-tui: the same process
    terminal.keys("q")
    # tmux (with libutempter) sometimes misses the SIGCHLD and never reaps the program:
    # the zombie's /proc stat has the status then (test_e2e_tmux.exit_status)
    deadline = time.monotonic() + 20
    while (status := exit_status(terminal, pid)) is None:
        if time.monotonic() > deadline:
            raise AssertionError(f"nspawn-tui did not quit on q:\n{process_state(pid)}")
        time.sleep(0.1)

    raw = terminal.recording.read_bytes()
    problems = []
    title = terminal.pane("#{pane_title}")
    if title != KNOWN_TITLE:
        problems.append(f"the pane title changed to {title!r}")
    if terminal.buffers():
        problems.append(f"the clipboard (tmux buffers) was written: {terminal.buffers()}")
    problems += [f"raw output holds {what}" for what in unsafe_output(raw)]
    for name, screen in screens.items():
        problems += [f"{name}: wider than {WIDTH}: {line!r}" for line in too_wide(screen)]
        if name in ("dashboard", "detail panel", "both selected"):
            problems += [f"{name}: {p}" for p in table_misaligned(screen)]
    problems += [
        f"journal: {p}" for p in log_lines_misaligned(screens["merged journal"], (NAME, OTHER))
    ]
    problems += [f"record view: {p}" for p in box_misaligned(screens["record view"])]
    shown = raw.decode("utf-8", "surrogateescape")
    # the container's text did reach the screen, made visible and inert (caret notation)
    # the OS cell may be cut ("…") where the network columns take room: its start, cleaned
    assert "Evil OS ^[]0;PWNED" in shown and "logger PWNED" in shown, "missing in the recording"
    assert not problems, (
        "\n".join(problems)
        + "\n\n"
        + "\n\n".join(f"--- {name}\n{screen}" for name, screen in screens.items())
    )
    assert status == 0, f"nspawn-tui exited with {status}"


def _run(flat_lab: labkit.FlatLab, *args: str, timeout: float = 60) -> bytes:
    result = subprocess.run(
        [str(nspawn_tui()), "--bus", flat_lab.bus_address, *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=timeout,
        check=False,
        env={k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")},
    )
    assert result.returncode == 0, (args, result.returncode, result.stderr[-2000:])
    assert not unsafe_output(result.stderr) and not unsafe_chars(result.stderr), result.stderr
    return result.stdout


def test_list_to_a_pipe(flat_lab: labkit.FlatLab, hostile: labkit.LabContainer) -> None:
    out = _run(flat_lab, "list")
    assert NAME.encode() in out and b"Evil OS" in out, out
    assert not unsafe_output(out), unsafe_output(out)
    assert not unsafe_chars(out), unsafe_chars(out)
    text = out.decode()
    header = text.splitlines()[0]
    state_at = column_of(header, header.index("STATE"))
    for line in text.splitlines()[1:]:
        match = re.search(r"^(ntl-\S+)\s+(running|stopped)\b", line)
        if match:
            assert column_of(line, match.start(2)) == state_at, (header, line)


def test_list_json_to_a_pipe(flat_lab: labkit.FlatLab, hostile: labkit.LabContainer) -> None:
    out = _run(flat_lab, "list", "--json")
    assert not unsafe_output(out), unsafe_output(out)
    assert not unsafe_chars(out), unsafe_chars(out)
    machines = json.loads(out)
    entry = next(m for m in machines if m["name"] == NAME)
    assert "Evil OS" in entry["os"]  # the data itself, escaped by JSON


def test_logs_to_a_pipe(flat_lab: labkit.FlatLab, hostile: labkit.LabContainer) -> None:
    out = _run(flat_lab, "logs", NAME, OTHER, "-n", "200")
    assert b"PWNED" in out, out[-2000:]
    assert not unsafe_output(out), unsafe_output(out)
    assert not unsafe_chars(out), unsafe_chars(out)


def test_the_output_checks_see_the_attacks() -> None:
    """The checks themselves: raw attacks, control characters and a shifted row are reported."""
    found = unsafe_output(b"x" + ATTACK + b"\xc2\x9b\x9b")
    for what in ("window title OSC 0", "clipboard OSC 52", "C1 CSI U+009B", "a raw 0x9b byte"):
        assert what in found, found
    assert "bidi override U+202E" in found and "the container's screen clear" in found
    assert unsafe_output("plain ─ │ ▁ … text\n".encode()) == []  # 0x9b-free UTF-8 art
    assert unsafe_output("⚛ ➛ ⮛".encode()) == []  # 0x9b as a continuation byte is fine
    assert unsafe_chars(b"a\tb\x1bc\xe2\x80\xaed\n") == ["U+0009", "U+001B", "U+202E"]
    header = "NAME      STATE     OS      CPU%"
    good = "ntl-a     running   Debian   1.0"
    shifted = "ntl-b^[]   running   Debian   1.0"  # one cell to the right
    assert table_misaligned(f"{header}\n{good}") == []
    assert len(table_misaligned(f"{header}\n{good}\n{shifted}")) == 2
