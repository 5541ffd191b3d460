"""Device classes by model token: the lookup behind ``imgedge.device`` for UAs that name a device model.

Keywords cannot tell an Android tablet whose browser says "Mobile Safari" from a phone, nor a TV box or an
Android mini-PC from a tablet: only the model code can (``B1-790`` is an Acer Iconia tablet, ``H24F8000C``
a DEXP TV, ``HP EliteBook 8470p`` a laptop). ``device_models.json`` holds ~47,000 such tokens with their
class, generated at build time by ``scripts/build_device_models.py`` from Matomo device-detector's device
regexes and, for tablets, Mobile-Detect's tablet regexes (a code the two class differently answers nothing);
the data file is LGPL-3.0-or-later, as device-detector's regexes (its ``licence`` field; Mobile-Detect's are
MIT), and is read as data, so it can be regenerated or replaced without touching this code.

How a UA is looked up, in the manner of device-detector itself, which matches its model regexes after a
non-alphanumeric character: at every such word start in the parts of the UA that name a device (its first
product token and the inside of its brackets, not the browser tokens after them), the longest table token the
UA continues with wins. A token flagged ``=`` only counts when the UA's model code ends right after it (so
``MX4`` does not claim ``MX40``); one flagged ``#`` only when a digit follows (``TDTV`` in ``TDTV55BS06U``), ``#N``
only when N digits do (``LENOVO A`` + 4: "Lenovo A3500" is a tablet, "Lenovo A390" a phone);
one flagged ``+`` also when more code follows (``SM-T`` + digits). At equal length a model token beats a brand
token (a code listed in a brand's own regex), and then the later one wins (a model code follows its maker's
name: "4Good T703m"). A token the source gives two classes (``?``) answers nothing: the caller's keyword rules
decide.

The table is read on the first lookup, not at import (~30 ms, ~6 MB of dict): the viewer-request pays it
once per container, and only when a UA gets this far.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

TABLE = Path(__file__).resolve().parent / "device_models.json"

#: Characters a model code is made of; a token's boundary is any other character.
_CODE_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
_DIGITS = frozenset("0123456789")
#: Where a model code may start (device-detector's own rule: after anything but a letter, digit, - or _).
_WORD_START = re.compile(r"(?<![A-Z0-9_-])[A-Z0-9]")
#: The characters a token may span from there (tokens are at most ~40 characters long).
_RUN = re.compile(r"[A-Z0-9 ._+-]{1,48}")
_FIRST_TOKEN = re.compile(r"[^/ (]*")
_BRACKET = re.compile(r"\(([^()]*)")
#: An app's reverse-domain id as the first token ("com.google.android.youtube/2.4.4"): it names the app's publisher.
_APP_ID = re.compile(r"[A-Z]{2,}\.[A-Z][A-Z0-9_]*\.[A-Z]")
#: Shortest token in the table (``scripts/build_device_models.py`` writes none shorter).
_MIN_TOKEN = 3


@lru_cache(maxsize=1)
def table() -> dict[str, tuple[str, str, bool]]:
    """``{TOKEN: (class, flag, is_brand)}``, read from ``device_models.json`` on first use."""
    with TABLE.open(encoding="utf-8") as f:
        groups = json.load(f)["groups"]
    tokens: dict[str, tuple[str, str, bool]] = {}
    for key, members in groups.items():
        *brand, label, flag = key.split(" ")
        tokens.update(dict.fromkeys(members, (label, flag, bool(brand))))
    return tokens


def model_class(user_agent: str) -> str | None:
    """The class of the best model token in ``user_agent``, or None when none matches or it is ambiguous."""
    hit = model_match(user_agent)
    return hit[0] if hit else None


def model_match(user_agent: str) -> tuple[str, bool] | None:
    """``(class, is_brand)`` of the best token in ``user_agent``, or None when none matches or it is ambiguous.
    ``is_brand``: the token is only listed in a maker's own regex, which says less than a model's."""
    ua = user_agent.upper()
    tokens = table()
    best: tuple[int, bool, int, str] | None = None  # (length, is a model token, position, class)
    for region_start, region_end in _regions(ua):
        for word in _WORD_START.finditer(ua, region_start, region_end):
            start = word.start()
            run = _RUN.match(ua, start, region_end)
            if run is None:  # not reached: a word start is itself a run character
                continue
            window = run.group()
            for length in range(len(window), _MIN_TOKEN - 1, -1):
                if best is not None and best[0] > length:
                    break  # nothing shorter can win
                hit = tokens.get(window[:length])
                if hit is None:
                    continue
                label, flag, is_brand = hit
                end = start + length
                if flag[0] == "#":
                    need = int(flag[1:] or 1)
                    digits = ua[end:min(end + need, region_end)]
                    if len(digits) < need or not _DIGITS.issuperset(digits):
                        continue
                elif flag == "=" and end < region_end and ua[end] in _CODE_CHARS:
                    continue
                candidate = (length, not is_brand, start, label)
                if best is None or candidate[:3] > best[:3]:
                    best = candidate
                if not is_brand:
                    break
    if best is None or best[3] == "?":
        return None
    return best[3], not best[1]


def _regions(ua: str):
    """Where a UA names its device: its first product token (``SonyEricssonK800i/…``, ``Dalvik/…``; not an app's
    reverse-domain id, ``com.google.android.youtube/…``, whose maker is the app's publisher) and
    the inside of each bracket (``(Linux; Android 13; SM-X200 Build/…)``), or the rest of the UA when it has
    no bracket. Not the browser and engine tokens after the brackets (``SamsungBrowser/…``,
    ``YaSearchBrowser/…/apad``), which name no device."""
    first = _FIRST_TOKEN.match(ua)  # matches every UA (possibly empty); None would mean no first token
    first_end = first.end() if first is not None else 0
    if first_end and not _APP_ID.match(ua):
        yield 0, first_end
    brackets = 0
    for bracket in _BRACKET.finditer(ua):
        brackets += 1
        yield bracket.start(1), bracket.end(1)
    if not brackets:  # a UA whose brackets were lost on the way ("Mozilla/5.0 Linux; Android 8.1.0; BQ-8067L …")
        yield first_end, len(ua)
