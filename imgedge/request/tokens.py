"""How one field of a ``VariantSpec`` is spelled in a variant key: a ``Token`` writes the field's value and
reads it back from the regular expression it matches.

A token is written only when its field differs from the spec's default, so one spec has one spelling. The
order tokens appear in is the option table's ``KEY_ORDER``; ``keys`` builds the encoder and the decoder
from it.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any, Callable, Iterable

#: Number patterns: a count that may be 0, a positive count, a signed adjustment. No leading zeros, so a
#: number has one spelling.
NUM = r"(0|[1-9][0-9]{0,5})"
POS = r"([1-9][0-9]{0,5})"
SIGNED = r"(0|-?[1-9][0-9]{0,2})"


@dataclass(frozen=True)
class Token:
    """One field's spelling: ``write(value)`` is the token text (None: this value has no token of its own),
    ``read(groups)`` the value of a token that fully matches ``pattern``."""

    field: str
    pattern: str
    write: Callable[[Any], str | None]
    read: Callable[[tuple[str, ...]], Any]
    # dataclasses.field: within the class body, ``field`` names the attribute above
    regex: re.Pattern[str] = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "regex", re.compile(self.pattern))


def flag(field_name: str, text: str, value: Any = True) -> Token:
    """A word present exactly when the field is ``value`` (``enlarge``, ``gray``, ``still``)."""
    return Token(field_name, re.escape(text), lambda _: text, lambda _: value)


def number(field_name: str, prefix: str, digits: str = POS) -> Token:
    """``<prefix><integer>`` (``w640``, ``bri-20``)."""
    return Token(field_name, prefix + digits, lambda v: f"{prefix}{v}", lambda g: int(g[0]))


def word(field_name: str, words: Iterable[str]) -> Token:
    """The value itself, one of ``words`` (``cover``, ``north``); other values have no token."""
    choices = tuple(words)
    return Token(field_name, "(" + "|".join(choices) + ")", lambda v: v if v in choices else None, lambda g: g[0])


def budget_text(value: int) -> str:
    """Bytes in the shortest of ``50000``/``50k``/``5m``."""
    if value % 1_000_000 == 0:
        return f"{value // 1_000_000}m"
    if value % 1000 == 0:
        return f"{value // 1000}k"
    return str(value)


def budget_value(digits: str, unit: str) -> int:
    return int(digits) * {"": 1, "k": 1000, "m": 1_000_000}[unit]
