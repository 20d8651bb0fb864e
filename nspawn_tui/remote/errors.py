"""ssh's failures in a few words, for a remote host's row: what went wrong, and ssh's own line.

ssh writes its reasons on stderr ("Permission denied (publickey).", "Host key
verification failed.", "ssh: connect to host x port 22: Connection refused").
:func:`describe_ssh_failure` maps them to short words (authentication failed,
host key changed, host key unknown, no route, connection refused, timed out,
name not known, no ``systemd-stdio-bridge`` there, connection lost) and keeps
ssh's last meaningful line, cleaned and shortened, in parentheses.  Every
byte of that stderr is outside text: the remote shell, the remote host's
banner and DNS answers all reach it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from nspawn_tui.safe import clean

#: ssh's own line is kept up to this many characters.
LINE_LIMIT: Final = 160

#: ssh's exit status for its own errors (the remote command's otherwise).
SSH_ERROR_STATUS: Final = 255


@dataclass(frozen=True, slots=True)
class _Rule:
    pattern: re.Pattern[str]
    words: str  # "{host}" is replaced by the host's name


def _rule(pattern: str, words: str) -> _Rule:
    return _Rule(re.compile(pattern, re.IGNORECASE), words)


#: First match wins: a changed host key is also a failed verification, a
#: bridge "not found" is not a host name "not known".
_RULES: Final = (
    _rule(r"REMOTE HOST IDENTIFICATION HAS CHANGED", "host key changed for {host} — check known_hosts"),
    _rule(
        r"Host key verification failed|host key is known for|No \S+ host key is known",
        "host key unknown (BatchMode: accept it once with ssh {host})",
    ),
    _rule(r"systemd-stdio-bridge.*(not found|No such file)", "systemd-stdio-bridge not found on {host} (is systemd installed there?)"),
    _rule(r"Permission denied|Too many authentication failures", "authentication failed"),
    _rule(r"Could not resolve hostname|Name or service not known|Temporary failure in name resolution|nodename nor servname", "name not known"),
    _rule(r"No route to host|Network is unreachable", "no route to {host}"),
    _rule(r"Connection refused", "connection refused"),
    _rule(r"timed out|Connection timeout", "timed out"),
    _rule(r"closed by remote host|Broken pipe|Connection reset|Connection closed|client_loop|Timeout, server .* not responding", "connection lost"),
)  # fmt: skip

# Lines that say nothing about the cause: banners of the host-key warning,
# and ssh's "Warning: Permanently added ..." notices.
_NOISE: Final = re.compile(
    r"^(@+.*|Warning: Permanently added .*|Pseudo-terminal will not be allocated.*)$"
)


def last_line(stderr: str) -> str:
    """ssh's last meaningful line, cleaned and shortened to :data:`LINE_LIMIT` characters."""
    for line in reversed(stderr.splitlines()):
        text = clean(line.strip())
        if text and not _NOISE.match(text):
            if len(text) > LINE_LIMIT:
                text = text[: LINE_LIMIT - 1] + "…"
            return text
    return ""


def describe_ssh_failure(stderr: str, returncode: int | None, host: str) -> str:
    """Short words for an ssh that failed or ended, with ssh's own last line.

    ``returncode`` None: the ssh is still running or its status is not known
    (it was killed, or the stream just ended).
    """
    name = clean(host)
    line = last_line(stderr)
    words = ""
    for rule in _RULES:
        if rule.pattern.search(stderr):
            words = rule.words.format(host=name)
            break
    if not words:
        if returncode is None or returncode < 0 or not line:
            words = "connection lost"
        elif returncode == SSH_ERROR_STATUS:
            words = "ssh failed"
        else:
            words = f"the remote command ended with status {returncode}"
    if not line and returncode is not None and returncode < 0:
        line = f"ssh ended by signal {-returncode}"
    return f"{words} ({line})" if line else words


def describe_spawn_error(error: OSError, program: str) -> str:
    """Why the ssh client itself could not be started here."""
    name = clean(program)
    if isinstance(error, FileNotFoundError):
        return f"ssh not installed here (no {name} found)"
    if isinstance(error, PermissionError):
        return f"ssh cannot be run here ({name}: permission denied)"
    return f"ssh cannot be run here ({name}: {clean(error.strerror or str(error))})"
