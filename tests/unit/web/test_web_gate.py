"""Who may reach the served dashboard (nspawn_tui.web.gate): a table of requests and answers."""

from __future__ import annotations

import pytest

from nspawn_tui.web.gate import FOREIGN_ORIGIN, NO_TOKEN, NOT_LOOPBACK, Gate, Request, host_name

TOKEN = "s3cret-token-0123456789"


@pytest.mark.parametrize(
    ("request_", "refusal"),
    [
        (Request("127.0.0.1:8750"), None),
        (Request("localhost:8750"), None),
        (Request("[::1]:8750"), None),
        (Request("127.0.0.1"), None),
        (Request("evil.example:8750"), NOT_LOOPBACK),  # DNS rebinding
        (Request("192.168.1.5:8750"), NOT_LOOPBACK),
        (Request(None), NOT_LOOPBACK),
        (Request("127.0.0.1:8750", websocket=True, origin="http://127.0.0.1:8750"), None),
        (Request("127.0.0.1:8750", websocket=True), None),  # not a browser: no Origin
        (
            Request("127.0.0.1:8750", websocket=True, origin="http://evil.example"),
            FOREIGN_ORIGIN,
        ),
        (Request("127.0.0.1:8750", websocket=True, origin="null"), FOREIGN_ORIGIN),
        (
            Request("127.0.0.1:8750", websocket=True, origin="http://127.0.0.1:9999"),
            FOREIGN_ORIGIN,
        ),
    ],
)
def test_without_a_token(request_: Request, refusal: str | None) -> None:
    assert Gate(None).refusal(request_) == refusal


@pytest.mark.parametrize(
    ("request_", "refusal"),
    [
        (Request("myhost:8750"), NO_TOKEN),
        (Request("myhost:8750", query_token=TOKEN), None),
        (Request("myhost:8750", cookie_token=TOKEN), None),
        (Request("myhost:8750", query_token="wrong", cookie_token=TOKEN), None),
        (Request("myhost:8750", query_token="wrong"), NO_TOKEN),
        (Request("myhost:8750", cookie_token=TOKEN[:-1]), NO_TOKEN),
        (Request("myhost:8750", query_token=TOKEN + "x"), NO_TOKEN),
        (Request("myhost:8750", query_token=""), NO_TOKEN),
        (Request("myhost:8750", query_token="s3cret-tökén"), NO_TOKEN),  # not ASCII: no crash
        (Request("127.0.0.1:8750"), NO_TOKEN),  # a token set: loopback needs it too
        (Request("myhost:8750", websocket=True), NO_TOKEN),
        (Request("myhost:8750", websocket=True, cookie_token=TOKEN), None),
        (
            Request("myhost:8750", websocket=True, cookie_token=TOKEN, origin="http://myhost:8750"),
            None,
        ),
        (
            Request("myhost:8750", websocket=True, cookie_token=TOKEN, origin="https://x.test"),
            FOREIGN_ORIGIN,
        ),
    ],
)
def test_with_a_token(request_: Request, refusal: str | None) -> None:
    assert Gate(TOKEN).refusal(request_) == refusal


def test_valid() -> None:
    assert Gate(TOKEN).valid(TOKEN)
    assert not Gate(TOKEN).valid(None)
    assert not Gate(None).valid("anything")


@pytest.mark.parametrize(
    ("host", "name"),
    [
        ("127.0.0.1:80", "127.0.0.1"),
        ("[::1]:80", "::1"),
        ("[::1]", "::1"),
        ("x", "x"),
        ("::1", "::1"),
    ],
)
def test_host_name(host: str, name: str) -> None:
    assert host_name(host) == name
