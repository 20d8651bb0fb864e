"""ssh's stderr mapped to short words for a remote host's row, with ssh's own last line.

The texts are OpenSSH 9.2's (Debian 12) and the remote shells' (bash, dash).
"""

from __future__ import annotations

import pytest

from nspawn_tui.remote.errors import (
    LINE_LIMIT,
    describe_spawn_error,
    describe_ssh_failure,
    last_line,
)

CHANGED = """\
@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@
@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @
@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@
IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!
Someone could be eavesdropping on you right now (man-in-the-middle attack)!
Host key for web1 has changed and you have requested strict checking.
Host key verification failed.
"""

UNKNOWN = """\
No ED25519 host key is known for web1 and you have requested strict checking.
Host key verification failed.
"""

CASES = [
    (
        "Permission denied (publickey,password).\n",
        255,
        "authentication failed (Permission denied (publickey,password).)",
    ),
    (
        "root@web1: Permission denied (publickey).\n",
        255,
        "authentication failed (root@web1: Permission denied (publickey).)",
    ),
    (CHANGED, 255, "host key changed for web1 — check known_hosts (Host key verification failed.)"),
    (
        UNKNOWN,
        255,
        "host key unknown (BatchMode: accept it once with ssh web1) "
        "(Host key verification failed.)",
    ),
    (
        "ssh: connect to host x port 22: Connection refused\n",
        255,
        "connection refused (ssh: connect to host x port 22: Connection refused)",
    ),
    (
        "ssh: Could not resolve hostname x: Name or service not known\n",
        255,
        "name not known (ssh: Could not resolve hostname x: Name or service not known)",
    ),
    (
        "ssh: connect to host 10.9.9.9 port 22: No route to host\n",
        255,
        "no route to web1 (ssh: connect to host 10.9.9.9 port 22: No route to host)",
    ),
    (
        "Connection timed out during banner exchange\nConnection to 10.0.0.1 port 22 timed out\n",
        255,
        "timed out (Connection to 10.0.0.1 port 22 timed out)",
    ),
    (
        "ssh: connect to host 10.0.0.1 port 22: Connection timed out\n",
        255,
        "timed out (ssh: connect to host 10.0.0.1 port 22: Connection timed out)",
    ),
    (
        "bash: line 1: systemd-stdio-bridge: command not found\n",
        127,
        "systemd-stdio-bridge not found on web1 (is systemd installed there?) "
        "(bash: line 1: systemd-stdio-bridge: command not found)",
    ),
    (
        "sh: 1: systemd-stdio-bridge: not found\n",
        127,
        "systemd-stdio-bridge not found on web1 (is systemd installed there?) "
        "(sh: 1: systemd-stdio-bridge: not found)",
    ),
    (
        "Connection to x closed by remote host.\n",
        255,
        "connection lost (Connection to x closed by remote host.)",
    ),
    (
        "client_loop: send disconnect: Broken pipe\n",
        255,
        "connection lost (client_loop: send disconnect: Broken pipe)",
    ),
    ("", None, "connection lost"),
    ("", -9, "connection lost (ssh ended by signal 9)"),
    ("kex_exchange_identification: banner line contains invalid characters\n", 255,
     "ssh failed (kex_exchange_identification: banner line contains invalid characters)"),
    ("oops\n", 3, "the remote command ended with status 3 (oops)"),
]  # fmt: skip


@pytest.mark.parametrize(("stderr", "returncode", "words"), CASES)
def test_ssh_failures_in_words(stderr: str, returncode: int | None, words: str) -> None:
    assert describe_ssh_failure(stderr, returncode, "web1") == words


def test_the_last_meaningful_line_skips_banners_and_notices() -> None:
    text = "Warning: Permanently added 'x' (ED25519) to the list of known hosts.\n\n"
    assert last_line("real reason\n" + text) == "real reason"
    assert last_line("@@@@@@@@@@\n") == ""


def test_outside_text_is_cleaned_and_shortened() -> None:
    hostile = "Permission denied \x1b]52;c;ZXZpbA==\x07 " + "x" * 400 + "\n"
    words = describe_ssh_failure(hostile, 255, "web1\x1b[2J")
    assert "\x1b" not in words and "\x07" not in words
    assert words.startswith("authentication failed (Permission denied ^[]52;c;")
    inner = words[len("authentication failed (") : -1]
    assert len(inner) == LINE_LIMIT and inner.endswith("…")
    changed = describe_ssh_failure(CHANGED, 255, "evil\x1b[31mhost")
    assert "\x1b" not in changed and "evil^[[31mhost" in changed


def test_spawn_errors() -> None:
    assert describe_spawn_error(FileNotFoundError(2, "No such file"), "ssh") == (
        "ssh not installed here (no ssh found)"
    )
    assert "permission denied" in describe_spawn_error(PermissionError(13, "denied"), "/x/ssh")
    assert "Exec format error" in describe_spawn_error(OSError(8, "Exec format error"), "ssh")
