"""Name → rule function, for the catalogue rows that name their logic (papermill's engines).

A catalogue row (a risk point's rule kind and sub-cause, a recommendation's household
condition) names a small function; the rule module holding the functions keeps them in a
`Registry` and checks, when it loads, that every name the catalogue uses is registered, so
that a misspelt name fails at import and in the tests, never in a village's report.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Generic, TypeVar

T = TypeVar("T")


class UnknownRuleError(LookupError):
    """A catalogue row names a rule function nobody registered."""


class Registry(Generic[T]):
    def __init__(self, what: str) -> None:
        self.what = what  # what the names name, for the error message
        self._entries: dict[str, T] = {}

    def register(self, name: str, entry: T | None = None):
        """``register(name, fn)``, or ``@register(name)`` above a function."""
        if entry is not None:
            self._entries[name] = entry
            return entry

        def decorate(fn: T) -> T:
            self._entries[name] = fn
            return fn

        return decorate

    def get(self, name: str) -> T:
        if name not in self._entries:
            raise self._unknown(name)
        return self._entries[name]

    def _unknown(self, name: str, row: str = "") -> UnknownRuleError:
        known = ", ".join(sorted(self._entries)) or "none"
        return UnknownRuleError(f"{row + ': ' if row else ''}unknown {self.what} {name!r} (registered: {known})")

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def names(self) -> tuple[str, ...]:
        return tuple(self._entries)

    def check(self, used: Iterable[tuple[str, str]]) -> None:
        """Raise `UnknownRuleError` for the first (row, name) whose name is not registered."""
        for row, name in used:
            if name not in self._entries:
                raise self._unknown(name, row)
