"""The read-only guard of the Host layer: methods marked as changing the host.

``Host`` (``nspawn_tui.host.base``) marks each method that changes the host
with :func:`mutating`; on a read-only host the call is refused before it
does anything, so no UI path can bypass the check. :func:`mutating_methods`
lists the marks of a class (the UI asks before it opens a confirmation or an
editor; tests enumerate them so a new mutating method cannot go unchecked).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, Protocol, TypeVar, cast

P = ParamSpec("P")
R = TypeVar("R")


class Guarded(Protocol):
    def _check_writable(self, action: str) -> None: ...


def mutating(
    action: str,
) -> Callable[[Callable[P, Awaitable[R]]], Callable[P, Awaitable[R]]]:
    """Mark a Host method as changing the host: refused on a read-only host.

    ``action`` names the action in the refusal message.
    """

    def decorate(func: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
        async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            host = cast(Guarded, args[0])
            host._check_writable(action)
            return await func(*args, **kwargs)

        wrapper.__name__ = func.__name__
        wrapper.__qualname__ = func.__qualname__
        wrapper.__doc__ = func.__doc__
        wrapper.__mutating__ = action  # type: ignore[attr-defined]
        return wrapper

    return decorate


_MARKS: dict[type[Any], dict[str, str]] = {}


def _marks(cls: type[Any]) -> dict[str, str]:
    known = _MARKS.get(cls)
    if known is not None:
        return known
    found: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        for name, value in vars(klass).items():
            action = getattr(value, "__mutating__", None)
            if isinstance(action, str):
                found[name] = action
    _MARKS[cls] = found
    return found


def mutating_methods(cls: type[Any]) -> dict[str, str]:
    """Names of every method of ``cls`` marked :func:`mutating`, with its action.

    Classes do not gain methods at run time here, so the walk over the MRO is
    done once per class (the dashboard asks on every key binding check).
    """
    return dict(_marks(cls))
