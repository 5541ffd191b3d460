#!/usr/bin/env python3
"""Generate ``imgedge/device_models.json``, the model-token -> device class table ``imgedge.device`` ships.

    python scripts/build_device_models.py      # downloads device-detector (pip) and mobile-detect (npm) to a temp dir
    python scripts/build_device_models.py --src DIR --mobile-detect DIR2   # both already downloaded and unpacked

Why a generated table: Matomo's device-detector knows ~17,000 phone, tablet, TV-box and Android-laptop
models by the tokens their User-Agents carry (``SM-T510``, ``TB-X606F``, ``BRAVIA 4K GB``, ``AFTMM``), but as
~1.3 MB of regexes evaluated one brand after another it costs ~14 ms a UA and 20 MB installed: too much for
the viewer-request. Most of its model regexes begin with a literal model code, so this script reads those
literal beginnings out of each regex (with ``re``'s own parser: alternatives, optional groups and small
character classes are expanded, anything open-ended ends the token) and writes the tokens grouped by
class and flag (``"tablet +": ["SM-T", ...]``; JSON, which ``json`` reads at C speed).

``class`` is ours (the source's ``device`` type mapped as in ``scripts/build_ua_corpus.py``); ``flag`` is ``=``
when the regex requires the token to end there (``(?:[);/ ]|$)``), ``#`` when a digit must follow (``TDTV\\d…``:
the prefix of a maker's numbered series), ``#N`` when at least N digits must (``HTY-\\d{2}…``) and ``+`` when the
model code may go on with anything (``SM-T(\\d{3})``: every ``SM-T`` with digits after it). ``brand`` tokens come
from a brand's own regex and lose to a model token of the same length. A token two entries give different classes
is written with class ``?``: the classifier then falls back to its keyword rules rather than guess. A code listed
in a brand's regex (``H24F8000C`` in DEXP's) gets the class of the first of that brand's model regexes that matches
it, which is how device-detector would classify it. Tokens a shorter ``+`` token of the same class already answers
are left out (``prune``): that halves the table.

A second source, for tablets only: Mobile-Detect's tablet regexes (``$tabletDevices`` of its PHP
``MobileDetect.php``, as the ``mobile-detect`` npm package ships them), a maintained list of the small makers'
tablet codes device-detector lacks or calls phones (``UBISLATE7C``, ``V97 HD``, Prestigio ``PMP…``). Their
model codes are read the same way (``mobile_detect_tokens``: after the context they ask for first, such as
"Android.*"; after a maker's name and ".*" only codes that mix letters and digits; never a beginning the
regex goes on from with more than a literal, like ``Nexus[\\s]+(7|9|10)``) and join the table as tablets,
a word without digits ("Tesla", "Phoenix", bq's "Edison") in the weaker brand tier: a code device-detector
classes otherwise becomes ``?``.

Licence: device-detector's regexes are LGPL-3.0-or-later, and the table is derived from them, so the table
file is LGPL-3.0-or-later too; Mobile-Detect's regexes are MIT, which allows that (the ``licence`` and
``source`` fields say so, with the versions). It is a
separate data file read at run time, so it can be regenerated from any other version of the source, or replaced, without
touching the code that reads it.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections import defaultdict
from pathlib import Path

import yaml

try:  # Python 3.11+
    from re import _constants as sre_constants
    from re import _parser as sre_parse
except ImportError:  # pragma: no cover
    import sre_constants
    import sre_parse

REPO_ROOT = Path(__file__).resolve().parents[1]
OUT = REPO_ROOT / "imgedge" / "device_models.json"
SOURCE = "device-detector==6.5.1"
#: The second source, tablets only: Mobile-Detect's tablet regexes as its JavaScript port ships them (npm).
TABLET_SOURCE = "mobile-detect@1.4.5"

#: Matomo device type -> our class; types with no class of ours (car browser, peripheral, smart
#: speaker, smart display) get no tokens. Consoles are TVs' when they are home consoles (``class_of``).
TYPES = {
    "smartphone": "mobile", "phablet": "mobile", "feature phone": "mobile", "wearable": "mobile",
    "portable media player": "mobile", "camera": "mobile", "tablet": "tablet", "desktop": "desktop",
    "tv": "smarttv", "console": "smarttv",
}
#: Consoles that draw on a TV; the others (PSP, Vita, DS, Steam Deck, Anbernic and Retroid handhelds, the
#: hybrid Switch) have a screen of their own that fits no class of ours.
HOME_CONSOLE_RE = re.compile(r"PlayStation [2-5]|PS[2-5]\b|Xbox|Wii|Ouya", re.IGNORECASE)
#: The device files read: televisions.yml and shell_tv.yml only match UAs that say HbbTV or "Shell",
#: which the keyword rules already call TVs; notebooks.yml only Facebook's Windows app tokens.
FILES = ("mobiles.yml", "consoles.yml", "portable_media_player.yml", "cameras.yml")

MAX_EXPANSIONS = 1024  # strings one regex may expand to (a brand regex lists hundreds); past that tokens end
MIN_PREFIX = 4  # shortest token that may be followed by more model code ("SM-T", "KFTT")
MIN_EXACT = 3  # shortest token that must end at a boundary ("A50" is too generic, but "MX4" is not)
SHORT = 5  # tokens shorter than this must mix letters and digits, as model codes do ("MX4", "T21")
MIN_BRAND = 5  # shortest brand token: brand regexes hold short generic words ("NET", "WIND"), but codes of
# four letters and digits ("TZ13") and "#" prefixes are kept
#: Characters a token may hold: a model code, never a whole sentence of the UA.
TOKEN_RE = re.compile(r"[A-Z0-9][A-Z0-9 ._+-]*")
#: Tokens that start with a platform, browser or language word: regexes that start with them are keyed on
#: context, not on a model ("Android 8(?:[\d.]*);(?: [\w-]+;)? A240"), and would match every UA.
GENERIC = re.compile(r"^(?:ANDROID|LINUX|MOZILLA|APPLEWEBKIT|CHROME|SAFARI|MOBILE|VERSION|BUILD|WINDOWS|CPU|U|WV"
                     r"|KHTML|LIKE|GECKO|OPERA|FIREFOX)\b")
#: Tokens that are a word of many model names and no model by themselves ("Tab A11 Pro" is one, "Tab" not),
#: or a word of the source's context regexes ("wired"/"wireless" set-top boxes' network, also a feature
#: phone's "Wireless").
GENERIC_WORDS = re.compile(r"TABLET|PHONE|SMARTPHONE|TV|PAD|TAB|MINI|PRO|PLUS|LITE|MAX|WIRED|WIRELESS")
#: A literal or a character class holding one of these ends a model code (``(?:[);/ ]|$)``); a literal
#: space does not: model names have spaces ("Mi Pad 5", "BRAVIA 4K GB").
TERMINATORS = set(");/")


#: A repeated digit, as the source writes it: ``\d`` or ``[0-9]``.
DIGIT_CLASSES = (
    [(sre_constants.IN, [(sre_constants.CATEGORY, sre_constants.CATEGORY_DIGIT)])],
    [(sre_constants.IN, [(sre_constants.RANGE, (ord("0"), ord("9")))])],
)


class Stop(Exception):
    """The literal part of a regex ends here."""


def expand(items, prefixes: list[tuple[str, bool]]) -> list[tuple[str, bool]]:
    """Extend each (prefix, finished) by the parsed regex ``items``; finished prefixes stay as they are."""
    for op, arg in items:
        open_ = [p for p, done in prefixes if not done]
        if not open_:
            break
        done_ = [(p, done) for p, done in prefixes if done]
        new: list[tuple[str, bool]] = []
        try:
            new = step(op, arg, open_)
        except Stop:
            new = [(p, "stopped") for p in open_]
        prefixes = done_ + new
        if len(prefixes) > MAX_EXPANSIONS:
            prefixes = [(p, done or "stopped") for p, done in prefixes[:MAX_EXPANSIONS]]
    return prefixes


def step(op, arg, open_: list[str]) -> list[tuple[str, bool]]:
    c = sre_constants
    if op is c.LITERAL:
        ch = chr(arg)
        if ch in TERMINATORS:
            return [(p, True) for p in open_]
        return [(p + ch, False) for p in open_]
    if op is c.IN:
        chars = []
        for kind, value in arg:
            if kind is c.LITERAL:
                chars.append(chr(value))
            elif kind is c.RANGE and value[1] - value[0] < 10:
                chars += [chr(v) for v in range(value[0], value[1] + 1)]
            elif kind is c.CATEGORY and value is c.CATEGORY_DIGIT and len(arg) == 1:
                return [(p, "digit1") for p in open_]  # "TDTV\d...": the code goes on with a digit
            else:
                raise Stop
        if any(ch in TERMINATORS for ch in chars):
            return [(p, True) for p in open_]
        if len(chars) * len(open_) > MAX_EXPANSIONS:
            raise Stop
        return [(p + ch, False) for p in open_ for ch in chars]
    if op is c.SUBPATTERN:
        return expand(arg[-1], [(p, False) for p in open_])
    if op is c.BRANCH:
        out = []
        for alternative in arg[1]:
            out += expand(alternative, [(p, False) for p in open_])
        return out
    if op in (c.MAX_REPEAT, c.MIN_REPEAT) and arg[0] == 0 and arg[1] == 1:
        return [(p, False) for p in open_] + expand(arg[2], [(p, False) for p in open_])
    if op in (c.MAX_REPEAT, c.MIN_REPEAT) and arg[0] >= 1 and list(arg[2]) in DIGIT_CLASSES:
        return [(p, f"digit{arg[0]}") for p in open_]  # "HTY-\d{2}", "TZ\d+", "PMT[0-9]+": at least that many
    if op is c.AT:
        if arg is c.AT_END:
            return [(p, True) for p in open_]
        if arg is c.AT_BOUNDARY and all(p[-1:].isalnum() for p in open_):  # "\\bA10\\b": the code ends here
            return [(p, True) for p in open_]
        return [(p, False) for p in open_]
    if op in (c.ASSERT, c.ASSERT_NOT):
        return [(p, False) for p in open_]
    raise Stop


def tokens(regex: str, makers: frozenset[str] = frozenset()) -> list[tuple[str, str]]:
    """(TOKEN, flag) for each literal beginning of ``regex``; flag ``=`` ends at a boundary, ``+`` may go on.
    A maker's own name (``makers``) is kept however short, from four letters ("ODYS", "KOBO")."""
    try:
        parsed = sre_parse.parse(regex, re.IGNORECASE)
    except (re.error, OverflowError, RecursionError):
        return []
    return item_tokens(list(parsed), makers)


def item_tokens(items, makers: frozenset[str] = frozenset(), mixed_only: bool = False,
                cut_short: bool = True) -> list[tuple[str, str]]:
    """``tokens`` of a parsed regex; ``mixed_only``: only codes that mix letters and digits; ``cut_short``
    False: not the beginnings the regex goes on from with more than a literal (``Nexus[\\s]+(7|9|10)``)."""
    out = []
    for prefix, done in expand(items, [("", False)]):
        if done == "stopped" and not cut_short:
            continue
        digit = str(done).startswith("digit")  # the code goes on with digits: the separator before is kept ("HTY-")
        token = prefix.upper().lstrip(" _-.") if digit else prefix.upper().strip(" _-.")
        exact = done is True  # False: the regex ended, and Matomo matches it anywhere, so more may follow
        if not TOKEN_RE.fullmatch(token) or GENERIC.match(token) or GENERIC_WORDS.fullmatch(token.strip(" _-.")):
            continue
        mixed = digit or (re.search(r"[A-Z]", token) and re.search(r"\d", token))
        if (len(token) < SHORT or mixed_only) and not mixed and token not in makers:
            continue  # a short word ("ARM") or number ("100") is no model code
        if len(token.strip(" _-.")) < (MIN_EXACT if exact or digit else MIN_PREFIX):
            continue
        out.append((token, "=" if exact else digit_flag(int(done[5:])) if digit else "+"))
    return out


def digit_flag(count: int) -> str:
    """``#`` when a digit must follow the token, ``#N`` when at least N must (``Lenovo ([ASB][0-9]{4})``: "Lenovo
    A3500" is a tablet's code, "Lenovo A390" a phone's)."""
    return "#" if count <= 1 else f"#{count}"


def is_any_run(op, arg) -> bool:
    """``.*``, ``.+`` or ``((?!Mobile).)*``: anything may come between what is before and after."""
    c = sre_constants
    if op not in (c.MAX_REPEAT, c.MIN_REPEAT) or arg[1] != c.MAXREPEAT:
        return False
    body = list(arg[2])
    if len(body) == 1 and body[0][0] is c.SUBPATTERN:
        body = list(body[0][1][-1])
    return bool(body) and body[-1][0] is c.ANY


def mobile_detect_tokens(regex: str) -> list[tuple[str, str]]:
    """(TOKEN, flag) of a Mobile-Detect tablet regex: after a context it asks for first ("Android.*",
    "Android.*; ", "^.*"), its model codes; after a maker's name and ".*" ("Micromax.*(P250|P560)",
    "Samsung.*Tablet") only the codes that mix letters and digits."""
    try:
        parsed = sre_parse.parse(regex, re.IGNORECASE)
    except (re.error, OverflowError, RecursionError):
        return []
    items = list(parsed)
    alternatives = items[0][1][1] if len(items) == 1 and items[0][0] is sre_constants.BRANCH else [items]
    out = []
    for alternative in alternatives:
        alternative = list(alternative)
        runs = [i for i, (op, arg) in enumerate(alternative) if is_any_run(op, arg)]
        start = runs[-1] + 1 if runs else 0
        before = "".join(chr(arg) for op, arg in alternative[:runs[-1]] if op is sre_constants.LITERAL) if runs else ""
        rest = alternative[start:]
        while rest and (rest[0][0] is sre_constants.AT or (
                rest[0][0] is sre_constants.LITERAL and chr(rest[0][1]) in "; ")):
            rest = rest[1:]  # "Android.*; \\b(A100|...)": the separator before the code
        if runs and before.strip().lower() not in ("", "android"):
            out += item_tokens(rest, mixed_only=True, cut_short=False)
        elif rest:
            out += item_tokens(rest, cut_short=False)
    return out


def entries(device_dir: Path):
    """(kind, regex, class) for every model and brand regex of the device files.

    For a brand regex, ``class`` is a function of the token: a code listed in a brand's own regex gets the
    class of the first of the brand's model regexes that matches it, as device-detector itself would
    decide; when none does, the brand's class if all its models share one, else no class.
    """
    for name in FILES:
        brands = yaml.load((device_dir / name).read_text(encoding="utf-8"), Loader=yaml.CSafeLoader) or {}
        for brand in brands.values():
            brand_type = brand.get("device", "")
            if "models" not in brand:
                label = class_of(brand_type, str(brand.get("model", "")))
                if label:
                    yield "model", brand["regex"], label
                continue
            for model in brand["models"]:
                label = class_of(model.get("device", brand_type), str(model.get("model", "")))
                if label:
                    yield "model", model["regex"], label
            yield "brand", brand["regex"], brand_resolver(brand)


def maker_names(device_dir: Path) -> set[str]:
    """The source's brand names, upper-case: a token that is one names a maker, not a model."""
    names = set()
    for name in FILES:
        brands = yaml.load((device_dir / name).read_text(encoding="utf-8"), Loader=yaml.CSafeLoader) or {}
        names |= {str(brand).upper() for brand in brands}
    return names


def brand_resolver(brand: dict):
    """token -> class, by the brand's model regexes in order (None: no class of ours; ``?``: cannot tell)."""
    brand_type = brand.get("device", "")
    models = []
    for model in brand["models"]:
        try:
            pattern = re.compile(model["regex"], re.IGNORECASE)
        except re.error:
            pattern = None
        models.append((pattern, class_of(model.get("device", brand_type), str(model.get("model", "")))))

    classes = {label for _, label in models}
    default = classes.pop() if len(classes) == 1 else None  # a maker of one class of device only

    def resolve(token: str) -> str | None:
        probe = token + ")"  # the code as it stands in a UA: followed by a terminator
        for pattern, label in models:
            if pattern is None:
                return "?"  # a regex Python cannot read might have matched
            if pattern.search(probe):
                return label
        return default

    return resolve


def class_of(kind: str, model: str) -> str | None:
    """Our class for a source device type; None when none of ours fits (and for handheld consoles)."""
    if kind == "console":
        return "smarttv" if HOME_CONSOLE_RE.search(model) else None
    return TYPES.get(kind)


def mobile_detect_tablets(package_dir: Path) -> dict[str, str]:
    """Mobile-Detect's tablet regexes by name, from the ``mobile-detect`` npm package's rules object."""
    text = next(package_dir.rglob("mobile-detect.js")).read_text(encoding="utf-8")
    start = text.index("mobileDetectRules = ") + len("mobileDetectRules = ")
    rules, _ = json.JSONDecoder().raw_decode(text[start:])
    return rules["tablets"]


def build(device_dir: Path, tablets: dict[str, str] | None = None) -> dict[tuple[str, str], tuple[str, str]]:
    """{(tier, TOKEN): (class, flag)}, tier ``model`` or ``brand``; ``tablets``: Mobile-Detect's tablet
    regexes, whose codes join the model tokens as tablets (a code the two sources class differently is ``?``)."""
    labels: dict[tuple[str, str], set[str]] = defaultdict(set)
    flags: dict[tuple[str, str], set[str]] = defaultdict(set)
    for regex in (tablets or {}).values():
        for token, flag in mobile_detect_tokens(regex):
            tier = "model" if re.search(r"\d", token) else "brand"  # a word ("Tesla", "Phoenix") is no model code
            labels[(tier, token)].add("tablet")
            flags[(tier, token)].add(flag)
    makers = frozenset(maker_names(device_dir))
    for kind, regex, label_of in entries(device_dir):
        for token, flag in tokens(regex, makers):
            if kind == "brand" and len(token) < MIN_BRAND and token not in makers and not (
                    flag.startswith("#") or re.fullmatch(r"(?=.*[A-Z])(?=.*\d)[A-Z0-9]{4}", token)):
                continue  # a short word of a brand regex is no model; a code like "TZ13" is
            label = label_of(token) if callable(label_of) else label_of
            if label is None:
                continue
            tier = "brand" if token in makers else kind  # a maker's name is no model ("MICROSOFT")
            labels[(tier, token)].add(label)
            flags[(tier, token)].add(flag)
    table = {}
    for (kind, token), classes in labels.items():
        if kind == "brand" and ("model", token) in labels:
            continue  # the model entries say more about this token than the brand's
        label = next(iter(classes)) if len(classes) == 1 else "?"
        seen_flags = flags[(kind, token)]
        if len(seen_flags) > 1 and all(f.startswith("#") for f in seen_flags):  # the fewest digits any asks for
            flag = digit_flag(min(int(f[1:] or 1) for f in seen_flags))
        else:
            flag = "+" if "+" in seen_flags or len(seen_flags) > 1 else next(iter(seen_flags))
        table[(kind, token)] = (label, flag)
    return prune(table)


def prune(table: dict[tuple[str, str], tuple[str, str]]) -> dict[tuple[str, str], tuple[str, str]]:
    """Drop tokens a shorter one already answers: ``SM-T5`` (tablet, ``+``) makes ``SM-T510`` (tablet) redundant.
    Halves the table (its load time and size) at the cost of only the rare tie a longer token would win."""
    kept = {}
    for (kind, token), (label, flag) in table.items():
        redundant = False
        for cut in range(MIN_PREFIX, len(token)):
            shorter = table.get((kind, token[:cut])) or (kind == "brand" and table.get(("model", token[:cut])))
            if shorter and shorter[1] == "+":
                redundant = shorter[0] == label
                break  # the longest "+" prefix decides; later ones are shorter still
        if not redundant:
            kept[(kind, token)] = (label, flag)
    return kept


def write(table: dict[tuple[str, str], tuple[str, str]], out: Path) -> None:
    groups: dict[str, list[str]] = defaultdict(list)
    for (kind, token), (label, flag) in sorted(table.items()):
        groups[f"{'brand ' if kind == 'brand' else ''}{label} {flag}"].append(token)
    document = {
        "source": f"{SOURCE} (Matomo device-detector's device regexes, PyPI) and {TABLET_SOURCE} (Mobile-Detect's "
                  "tablet regexes, npm), by scripts/build_device_models.py",
        "licence": "LGPL-3.0-or-later, as device-detector's regexes: https://www.gnu.org/licenses/lgpl-3.0.html "
                   "(the tablet codes from Mobile-Detect are MIT, which the LGPL admits)",
        "format": "groups: '[brand ]<class> <flag>' -> tokens; flag '=' the token ends at a boundary, '#' a "
                  "digit follows ('#N': at least N digits), '+' more model code may follow; 'brand' tokens lose to "
                  "model tokens of the same length",
        "groups": dict(sorted(groups.items())),
    }
    out.write_text(json.dumps(document, indent=0, separators=(",", ":")) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--src", type=Path, help="a directory holding the unpacked device-detector wheel")
    parser.add_argument("--mobile-detect", type=Path, help="a directory holding the unpacked mobile-detect package")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        src = args.src
        if src is None:
            src = Path(tmp) / "device-detector"
            subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--dest", str(src),
                            SOURCE], check=True)
            for wheel in src.glob("*.whl"):
                zipfile.ZipFile(wheel).extractall(src)
        tablets_dir = args.mobile_detect
        if tablets_dir is None:
            tablets_dir = Path(tmp) / "mobile-detect"
            tablets_dir.mkdir()
            subprocess.run(["npm", "pack", "--silent", "--pack-destination", str(tablets_dir), TABLET_SOURCE],
                           check=True, stdout=subprocess.DEVNULL)
            for tgz in tablets_dir.glob("*.tgz"):
                with tarfile.open(tgz) as tar:
                    tar.extractall(tablets_dir, filter="data")
        device_dir = next(src.rglob("regexes/upstream/device"))
        table = build(device_dir, mobile_detect_tablets(tablets_dir))
    write(table, args.out)
    print(f"{args.out}: {len(table)} tokens, {args.out.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
