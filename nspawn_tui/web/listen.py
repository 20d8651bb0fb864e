"""Where ``nspawn-tui serve`` listens, and whether it needs a token.

``--listen`` is ``ADDRESS:PORT`` (``127.0.0.1:8750``, ``[::1]:8750``,
``0.0.0.0:0``), ``ADDRESS`` alone (port 8750) or ``PORT`` alone (on
127.0.0.1).  A loopback address serves without a token unless one is given;
any other address always has one: ``--token``, or a generated one.
"""

from __future__ import annotations

import ipaddress
import re
import secrets
import socket
from dataclasses import dataclass
from typing import Final

DEFAULT_HOST: Final = "127.0.0.1"
DEFAULT_PORT: Final = 8750
#: The fewest characters a token given with ``--token`` may have.
MIN_TOKEN: Final = 16
_TOKEN_CHARS: Final = re.compile(r"[A-Za-z0-9._~-]+")
_HOSTNAME: Final = re.compile(r"[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?")
_WILDCARDS: Final = frozenset({"0.0.0.0", "::"})


class ListenError(ValueError):
    """A ``--listen`` or ``--token`` value that cannot be used; the text says why."""


@dataclass(frozen=True, slots=True)
class Listen:
    """An address to bind and its port (0: any free port)."""

    host: str
    port: int

    @property
    def loopback(self) -> bool:
        """Only this machine can connect (``127.0.0.0/8``, ``::1``, ``localhost``)."""
        return is_loopback(self.host)


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def parse_listen(text: str) -> Listen:
    """``ADDRESS:PORT``, ``[IPV6]:PORT``, ``ADDRESS`` or ``PORT`` (raises :class:`ListenError`)."""
    value = text.strip()
    if not value:
        raise ListenError("--listen needs ADDRESS:PORT, e.g. 127.0.0.1:8750")
    if value.isdigit():
        return Listen(DEFAULT_HOST, _port(value))
    if value.startswith("["):
        host, bracket, rest = value[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise ListenError(f"--listen: {text!r} is not [IPV6]:PORT")
        port = _port(rest[1:]) if rest else DEFAULT_PORT
        _check_ip(host, text, version=6)
        return Listen(host, port)
    if value.count(":") > 1:
        raise ListenError(f"--listen: put an IPv6 address in brackets: [{value}]:{DEFAULT_PORT}")
    host, colon, port_text = value.partition(":")
    if not host:
        raise ListenError(f"--listen: {text!r} has no address (e.g. 127.0.0.1{value})")
    if not (_is_ip(host) or _HOSTNAME.fullmatch(host)):
        raise ListenError(f"--listen: {text!r} is not an address or host name")
    return Listen(host, _port(port_text) if colon else DEFAULT_PORT)


def _port(text: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise ListenError(f"--listen: the port must be a number from 0 to 65535, not {text!r}")
    return int(text)


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _check_ip(host: str, text: str, version: int) -> None:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise ListenError(f"--listen: {text!r} is not an IPv{version} address") from None
    if address.version != version:
        raise ListenError(f"--listen: {text!r} is not an IPv{version} address")


def decide_token(listen: Listen, token: str | None) -> str | None:
    """The token the server asks for: the one given, a new one off loopback, else None."""
    if token is not None:
        if not _TOKEN_CHARS.fullmatch(token):
            raise ListenError("--token may hold only letters, digits and . _ ~ -")
        if len(token) < MIN_TOKEN:
            raise ListenError(f"--token must have at least {MIN_TOKEN} characters")
        return token
    if listen.loopback:
        return None
    return secrets.token_urlsafe(24)


def page_url(host: str, port: int, token: str | None) -> str:
    """The URL to open: the bound address (this host's name for a wildcard) and the token."""
    if host in _WILDCARDS or not host:
        host = socket.gethostname()
    if ":" in host:
        host = f"[{host}]"
    query = f"?token={token}" if token else ""
    return f"http://{host}:{port}/{query}"
