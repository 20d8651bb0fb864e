"""Who may reach the served dashboard: the token, the Host header and the Origin of a websocket.

Pure logic (no aiohttp): :class:`Gate` answers why a request is refused, or
None.  The server (:mod:`.server`) answers a refusal with 403.

- With a token, every request (the page, its static files, the websocket,
  downloads) carries it: ``?token=`` in the URL, or the cookie the first page
  load with it sets.
- Without one (a loopback bind), the ``Host`` header must name a loopback
  address: a web page whose name an attacker re-points at 127.0.0.1 (DNS
  rebinding) sends its own name and is refused.
- A websocket opened by a browser says where its page came from
  (``Origin``): it must be this server, so another site open in the same
  browser cannot drive the dashboard through the user's cookie or loopback.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

from nspawn_tui.web.listen import is_loopback

#: The cookie that carries the token after the first page load.
COOKIE: Final = "nspawn_tui_token"
NO_TOKEN: Final = "a token is needed: open the URL nspawn-tui serve printed (with ?token=...)"
NOT_LOOPBACK: Final = "this server answers only to a loopback name (127.0.0.1, localhost, [::1])"
FOREIGN_ORIGIN: Final = "a websocket from another site is refused"


@dataclass(frozen=True, slots=True)
class Request:
    """What the gate looks at in a request (every field as the client sent it)."""

    host: str | None  # the Host header
    query_token: str | None = None
    cookie_token: str | None = None
    origin: str | None = None
    websocket: bool = False


@dataclass(frozen=True, slots=True)
class Gate:
    token: str | None

    def refusal(self, request: Request) -> str | None:
        """Why ``request`` gets 403, or None when it may pass."""
        if self.token is None:
            if not _loopback_host(request.host):
                return NOT_LOOPBACK
        elif not (self.valid(request.query_token) or self.valid(request.cookie_token)):
            return NO_TOKEN
        if request.websocket and request.origin is not None:
            if not _same_origin(request.origin, request.host):
                return FOREIGN_ORIGIN
        return None

    def valid(self, candidate: str | None) -> bool:
        """``candidate`` is the token (compared in constant time)."""
        if self.token is None or candidate is None:
            return False
        return hmac.compare_digest(
            candidate.encode("utf-8", "surrogateescape"), self.token.encode()
        )


def host_name(host: str) -> str:
    """The name of a ``Host`` header without its port: ``[::1]:80`` is ``::1``."""
    if host.startswith("["):
        return host[1:].partition("]")[0]
    if host.count(":") == 1:
        return host.partition(":")[0]
    return host


def _loopback_host(host: str | None) -> bool:
    return host is not None and is_loopback(host_name(host))


def _same_origin(origin: str, host: str | None) -> bool:
    if host is None:
        return False
    parts = urlsplit(origin)
    return parts.scheme in {"http", "https"} and parts.netloc.lower() == host.lower()
