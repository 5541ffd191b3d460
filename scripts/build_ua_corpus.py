#!/usr/bin/env python3
"""Build the labelled User-Agent corpus of ``tests/test_device.py`` from other parsers' published fixtures.

    python scripts/build_ua_corpus.py            # downloads the packages below with pip / npm into a temp dir
    python scripts/build_ua_corpus.py --src DIR  # packages already downloaded (and unpacked) under DIR
    python scripts/build_ua_corpus.py --bowser FILE  # bowser's test list (not in its npm package)
    python scripts/build_ua_corpus.py --whichbrowser DIR --isbot DIR --yauaa DIR --browscap DIR
                          # those repositories' checkouts at the pinned commits (default: from GitHub)

Sources, each from its registry package, and how their labels become ours (the label is always the
source's own device-type field, never our classifier's answer):

* ``device-detector`` (PyPI, the Python port of Matomo's device-detector; its ``tests/fixtures`` are
  Matomo's, LGPL-3.0): ``device.type`` smartphone, phablet, feature phone, wearable, portable media player
  -> mobile; tablet -> tablet; desktop -> desktop; tv -> smarttv; console -> smarttv when the fixture's
  ``device.model`` is a home console (PlayStation 2-5, Xbox, Wii, Ouya; handhelds and the hybrid Switch
  fit no class of ours and are left out); every entry of ``bots.yml`` -> bot.
  Types with no class of ours (camera, car browser, peripheral, smart display, smart speaker) and entries
  with no device type are left out. Written to ``fixtures/ua/device_detector.tsv``, each UA assigned to
  ``tune`` or ``validate`` by a hash of the string (so the split never depends on sampling order).
* ``ua-parser-js`` 1.0.2 (npm, MIT; the last release that ships its test fixtures): ``test/device-test.json``
  ``expect.type`` mobile, wearable -> mobile; tablet -> tablet; smarttv -> smarttv; console -> smarttv
  for home consoles (as above, by ``expect.model``). Other types (embedded, none) are left out.
* ``woothee`` (npm, Apache-2.0): testsets ``category`` pc -> desktop, crawler -> bot, mobilephone -> mobile,
  appliance -> smarttv for home consoles (as above, by ``os``); ``smartphone`` is left out (it mixes phones
  and tablets).
* ``crawler-user-agents`` (npm, MIT): every ``instances`` string -> bot.
* ``mobile-detect`` 1.3.0 (npm, MIT; the last release that ships its test data, ``tests/data/user-agents.js``,
  generated from the PHP Mobile-Detect project's labelled UA list): ``mobile`` and ``tablet`` both true ->
  tablet; ``mobile`` alone -> mobile; the list's own "Bot" vendor group -> bot. Its "Console" group
  (handhelds) and the entries that are neither mobile nor tablet (desktops, TVs and bots mixed, with no
  finer label) are left out. Not independent of the classifier: the model table holds Mobile-Detect's own
  tablet codes (``scripts/build_device_models.py``).

Three more sources, added after the classifier was tuned on the ones above and measured whole, never
looked at, for two rounds of its rules; since the third they are split like the others and only their
tuning halves are looked at:

* ``device`` 0.3.10 (npm, MIT; the last release that ships its tests): each ``device('<UA>')`` of its
  ``test/device_*_test.js`` with the ``assert.equal(mydevice.type, '<type>')`` that follows it: phone ->
  mobile; tablet -> tablet; desktop -> desktop; tv -> smarttv; bot -> bot; car is left out, and so is
  ``not_default_options_test.js`` (its types depend on options).
* ``bowser`` (MIT): ``test/acceptance/useragentstrings.yml`` of its repository (the npm package does not
  ship it; pass the file with ``--bowser``), ``spec.platform.type`` mobile -> mobile; tablet -> tablet;
  desktop -> desktop; tv -> smarttv; bot -> bot; entries without a platform type are left out.
* ``crawlerdetect`` 0.4.2 (PyPI sdist, MIT; the fixtures of JayBizzle's CrawlerDetect):
  ``tests/fixtures/user_agent/crawlers.txt``, one UA a line -> bot. Its ``devices.txt`` (not crawlers,
  with no device type) is left out.

Two more, added when the classifier's third round of tuning began, before any rule of it changed, and
never looked at in that round; neither is in a registry package, so each is read from its repository at a pinned
commit, and the files read must match their pinned SHA-256 (``REPOSITORIES``):

* WhichBrowser's parser (MIT): ``tests/data/**/*.yaml``, each entry's ``result.device.type``: mobile (smart
  and feature), pda, watch, media (portable media players) -> mobile; tablet -> tablet; desktop -> desktop;
  television -> smarttv; gaming -> smarttv for home consoles (as above, by manufacturer and model); bot ->
  bot. E-readers (e-ink screens), mobile of subtype desktop and the other types are left out, and so are
  entries whose result depends on more than the UA (other headers, options such as ``detectBots``).
* isbot (Unlicense): ``fixtures/crawlers.yml`` -> bot; ``fixtures/browsers.yml`` -> ``screen``, a person's
  browser or app with no device type (isbot's test of its rules' false positives): right when the class
  is anything but bot. Its ``fixtures/downloaded/`` (other projects' lists) is left out.

Both were split like the others at the start of the fourth round (relabelled, no string changed); only their
tuning halves are looked at since. One more was added then, before any rule of that round, in a draw of
its own, and was only measured, whole, for that round:

* Yauaa (Apache-2.0): the test cases of ``analyzer/src/main/resources/UserAgents/*.yaml``, each one's
  ``expected.DeviceClass``: Phone, Watch -> mobile; Tablet -> tablet; Desktop -> desktop; TV, Set-top box ->
  smarttv; Game Console -> smarttv for home consoles (as above, by ``DeviceName``); Robot, Robot Mobile, Robot
  Imitator, Cloud (server software) -> bot. Mobile (a phone or a tablet, Yauaa cannot tell), Hacker,
  Anonymized, Unknown, eReader and the other classes are left out, and so are tests whose input holds more
  than the User-Agent (client hints).

One more was added at the start of the fifth round, before any rule of it, in a draw of its own, and
measured once, whole:

* browscap (the Browser Capabilities Project, MIT): the tests of ``tests/issues/*.php``, each one's
  ``properties``: ``Browser_Type`` Bot or Bot/Crawler (the types browscap's ``Crawler`` property is true for;
  the test files do not list that property) -> bot, whatever the device; otherwise ``Device_Type`` Mobile
  Phone -> mobile; Mobile Device -> mobile where it names a device (iPod touch, media players, PDAs), left
  out as "general Mobile Device" (a phone or a tablet, browscap cannot tell); Tablet -> tablet; Desktop ->
  desktop; TV Device -> smarttv; Console -> smarttv for home consoles (as above, by ``Device_Name``). Ebook
  Reader, Car Entertainment System, Digital Camera and unknown are left out, and so are the tests that list
  no ``Browser_Type`` (the lite and standard files' expectations, which cannot say whether the string is a
  crawler's) and the invalid-strings list.

Yauaa and browscap were then split like the others (relabelled, no string changed); only their tuning
halves are looked at since.

The sources after device-detector are written to ``fixtures/ua/independent.tsv``, whose second column
names the source. Every source is split like the device-detector corpus, by a hash of the string, into
``<source>:tune`` (looked at while tuning) and ``<source>:validate`` (only measured). Every split but
ua-parser-js's came after the source's strings were drawn: it relabels them and draws nothing new, so their
strings are the ones they were before.
A string is kept in one place only: the hand-picked ``fixtures/user_agents.tsv`` first, then the
device-detector corpus, then the independent sources in the order above. Per class and part, at most
``--per-class`` strings are drawn with a fixed seed, so the files stay small enough for the test suite;
the sources added later are drawn in draws of their own, so adding them changed no earlier string.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import random
import re
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections import defaultdict
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
OUT_DIR = REPO_ROOT / "fixtures" / "ua"
HAND_PICKED = REPO_ROOT / "fixtures" / "user_agents.tsv"

PACKAGES = {
    "device-detector": ("pip", "device-detector==6.5.1"),
    "ua-parser-js": ("npm", "ua-parser-js@1.0.2"),
    "woothee": ("npm", "woothee@1.11.1"),
    "crawler-user-agents": ("npm", "crawler-user-agents@1.60.0"),
    "mobile-detect": ("npm", "mobile-detect@1.3.0"),
    "npm-device": ("npm", "device@0.3.10"),
    "crawlerdetect": ("pip-sdist", "crawlerdetect==0.4.2"),
}
#: bowser's test list is in its repository only; where ``--src`` holds it, and the file it is read from.
BOWSER_FILE = Path("bowser") / "test" / "acceptance" / "useragentstrings.yml"
#: Sources read from their repositories at a pinned commit: (GitHub repository, commit, {file or folder read:
#: SHA-256}). A folder's digest is ``tree_digest``'s, over every file under it.
REPOSITORIES = {
    "whichbrowser": ("WhichBrowser/Parser", "c65ad41ee66cc126a7740d929aab706dd7304c1c",
                     {"tests/data": "022db2e67cef12a9330429e356363164abc171862345b5dadcb6a7f35e9102af"}),
    "isbot": ("omrilotan/isbot", "344052da664bde49579e21f1e62349280791efb3",
              {"fixtures/crawlers.yml": "91df687728b7e282e9cb28c4d515cd1bf2d9907092ab661b1f5ac7b8b7144fe2",
               "fixtures/browsers.yml": "0789d389584d37e1fc041a77a17bb9a059ae4075e5e1d3e49c54230cee598fd0"}),
    "yauaa": ("nielsbasjes/yauaa", "eb28d67a46701bfd59727284cc6a03c50b3403de",
              {"analyzer/src/main/resources/UserAgents":
               "4df6bea4f98b3a70c6b641961fcc155851edd5c255213b36f6c87be6c56bfa34"}),
    "browscap": ("browscap/browscap", "6c0c9208f9314f062c5ac45d933c1a419e05f421",
                 {"tests/issues": "8bdde4d7d95866afcde7813ec57ffc0693c65bb9331ab56e5ebd749874c69714"}),
}
#: Sources split into a tuning and a validation half by ``split_of``.
SPLIT_SOURCES = ("ua-parser-js", "woothee", "crawler-user-agents", "mobile-detect", "npm-device", "bowser",
                 "crawlerdetect", "whichbrowser", "isbot", "yauaa", "browscap")

MATOMO_TYPES = {
    "smartphone": "mobile", "phablet": "mobile", "feature phone": "mobile", "wearable": "mobile",
    "portable media player": "mobile", "tablet": "tablet", "desktop": "desktop", "tv": "smarttv",
    "console": "smarttv",
}
UAPARSERJS_TYPES = {"mobile": "mobile", "wearable": "mobile", "tablet": "tablet", "smarttv": "smarttv",
                    "console": "smarttv"}
WOOTHEE_CATEGORIES = {"pc": "desktop", "crawler": "bot", "mobilephone": "mobile", "appliance": "smarttv"}
NPM_DEVICE_TYPES = {"phone": "mobile", "tablet": "tablet", "desktop": "desktop", "tv": "smarttv", "bot": "bot"}
BOWSER_TYPES = {"mobile": "mobile", "tablet": "tablet", "desktop": "desktop", "tv": "smarttv", "bot": "bot"}
WHICHBROWSER_TYPES = {"mobile": "mobile", "pda": "mobile", "watch": "mobile", "media": "mobile", "tablet": "tablet",
                      "desktop": "desktop", "television": "smarttv", "gaming": "smarttv", "bot": "bot"}
YAUAA_CLASSES = {"Phone": "mobile", "Watch": "mobile", "Tablet": "tablet", "Desktop": "desktop", "TV": "smarttv",
                 "Set-top box": "smarttv", "Game Console": "smarttv", "Robot": "bot", "Robot Mobile": "bot",
                 "Robot Imitator": "bot", "Cloud": "bot"}
BROWSCAP_TYPES = {"Mobile Phone": "mobile", "Mobile Device": "mobile", "Tablet": "tablet", "Desktop": "desktop",
                  "TV Device": "smarttv", "Console": "smarttv"}
#: browscap's types its ``Crawler`` property is true for.
BROWSCAP_CRAWLERS = ("Bot", "Bot/Crawler")
#: browscap's name for a handheld it cannot tell as a phone or a tablet.
BROWSCAP_UNNAMED = "general Mobile Device"
#: A single-quoted PHP string (its only escapes are \' and \\), a test's UA and the start of its properties,
#: and one ``'Name' => value,`` property.
_PHP_STRING = r"'((?:[^'\\]|\\.)*)'"
BROWSCAP_TEST_RE = re.compile(r"'ua' => " + _PHP_STRING + r",\s*'properties' => \[")
BROWSCAP_PROPERTY_RE = re.compile(r"\s*" + _PHP_STRING + r" => (?:" + _PHP_STRING + r"|(true|false|-?[\d.]+)),?")
#: isbot's browsers: any class of a person's screen is right, ``bot`` wrong.
SCREEN = "screen"
#: Consoles that draw on a TV. Handhelds (PSP, Vita, DS, Steam Deck, Anbernic, Retroid) and the hybrid
#: Switch have a screen of their own that fits no class of ours: they are left out.
HOME_CONSOLE_RE = re.compile(r"PlayStation [2-5]|PS[2-5]\b|Xbox|Wii|Ouya", re.IGNORECASE)

CLASSES = ("mobile", "tablet", "desktop", "smarttv", "bot", SCREEN)


def fetch_packages(dest: Path) -> None:
    for name, (client, spec) in PACKAGES.items():
        target = dest / name
        target.mkdir(parents=True, exist_ok=True)
        if client in ("pip", "pip-sdist"):
            sdist = ["--no-binary", ":all:"] if client == "pip-sdist" else []
            subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", *sdist, "--dest",
                            str(target), spec], check=True)
            for wheel in target.glob("*.whl"):
                zipfile.ZipFile(wheel).extractall(target)
            for archive in target.glob("*.tar.gz"):
                with tarfile.open(archive) as tar:
                    tar.extractall(target, filter="data")
        else:
            subprocess.run(["npm", "pack", "--silent", "--pack-destination", str(target), spec], check=True,
                           stdout=subprocess.DEVNULL)
            for tgz in target.glob("*.tgz"):
                with tarfile.open(tgz) as tar:
                    tar.extractall(target, filter="data")


def fetch_repositories(dest: Path) -> None:
    """Each of ``REPOSITORIES`` at its commit, cloned to ``dest/<source>`` with git (GitHub's archives leave
    out the test folders their ``.gitattributes`` mark ``export-ignore``)."""
    for name, (repo, commit, _) in REPOSITORIES.items():
        target = dest / name
        subprocess.run(["git", "init", "--quiet", str(target)], check=True)
        subprocess.run(["git", "-C", str(target), "fetch", "--quiet", "--depth", "1",
                        f"https://github.com/{repo}", commit], check=True)
        subprocess.run(["git", "-C", str(target), "checkout", "--quiet", "FETCH_HEAD"], check=True)


def tree_digest(path: Path) -> str:
    """SHA-256 of a file, or of a folder's files (each one's path under it and bytes, in path order)."""
    if path.is_file():
        return hashlib.sha256(path.read_bytes()).hexdigest()
    digest = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        digest.update(file.relative_to(path).as_posix().encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()


def checked(root: Path, name: str) -> Path:
    """``root`` after checking that the files read from it are the pinned ones."""
    for relative, expected in REPOSITORIES[name][2].items():
        got = tree_digest(root / relative)
        if got != expected:
            raise SystemExit(f"{name}: {relative} has SHA-256 {got}, not the pinned {expected}")
    return root


def console_class(model: str) -> str | None:
    return "smarttv" if HOME_CONSOLE_RE.search(model or "") else None


def clean(ua: object) -> str | None:
    """The UA as one TSV field, or None when it cannot be one (tabs, newlines, blank)."""
    if not isinstance(ua, str):
        return None
    ua = ua.strip()
    if not ua or any(c in ua for c in "\t\r\n"):
        return None
    return ua


def device_detector_rows(root: Path) -> list[tuple[str, str, str]]:
    fixtures = next(root.rglob("device_detector/tests/fixtures/upstream"))
    rows = []
    for path in sorted(fixtures.glob("*.yml")):
        entries = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader) or []
        for entry in entries:
            ua = clean(entry.get("user_agent"))
            if ua is None:
                continue
            if path.name == "bots.yml":
                rows.append(("bot", ua, f"bot: {entry.get('bot', {}).get('name', '')}"))
                continue
            if entry.get("headers"):  # client-hint fixtures: the type comes from headers we do not see
                continue
            device = entry.get("device") or {}
            kind = device.get("type") or ""
            label = MATOMO_TYPES.get(kind)
            if label is None:
                continue
            model = f"{device.get('brand', '')} {device.get('model', '')}".strip()
            if kind == "console":
                label = console_class(model)
            if label:
                rows.append((label, ua, f"{kind}: {model}" if model else kind))
    return rows


def ua_parser_js_rows(root: Path) -> list[tuple[str, str, str]]:
    rows = []
    for entry in json.loads(next(root.rglob("test/device-test.json")).read_text(encoding="utf-8")):
        expect = entry.get("expect") or {}
        kind = expect.get("type")
        label = UAPARSERJS_TYPES.get(kind)
        ua = clean(entry.get("ua"))
        if label is None or ua is None:
            continue
        model = f"{expect.get('vendor') or ''} {expect.get('model') or ''}".strip()
        if kind == "console":
            label = console_class(model)
        if label:
            rows.append((label, ua, f"ua-parser-js {kind}: {model}"))
    return rows


def woothee_rows(root: Path) -> list[tuple[str, str, str]]:
    rows = []
    for path in sorted(next(root.rglob("woothee/testsets")).glob("*.yaml")):
        for entry in yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader) or []:
            category = entry.get("category")
            label = WOOTHEE_CATEGORIES.get(category)
            ua = clean(entry.get("target"))
            if label is None or ua is None:
                continue
            if category == "appliance":
                label = console_class(str(entry.get("os", "")))
            if label:
                rows.append((label, ua, f"woothee {category}: {entry.get('name', '')}"))
    return rows


def crawler_user_agents_rows(root: Path) -> list[tuple[str, str, str]]:
    rows = []
    for entry in json.loads(next(root.rglob("crawler-user-agents.json")).read_text(encoding="utf-8")):
        for instance in entry.get("instances", []):
            ua = clean(instance)
            if ua is not None:
                rows.append(("bot", ua, f"crawler-user-agents: {entry['pattern'][:40]}"))
    return rows


def mobile_detect_rows(root: Path) -> list[tuple[str, str, str]]:
    text = next(root.rglob("tests/data/user-agents.js")).read_text(encoding="utf-8")
    per_vendor, _ = json.JSONDecoder().raw_decode(text[text.index("{"):])  # "var mobilePerVendor = {...};"
    rows = []
    for vendor, entries in per_vendor.items():
        if vendor == "Console":
            continue
        for entry in entries:
            ua = clean(entry.get("user_agent"))
            if ua is None:
                continue
            if entry.get("mobile"):
                label = "tablet" if entry.get("tablet") else "mobile"
            elif vendor == "Bot":
                label = "bot"
            else:
                continue
            rows.append((label, ua, f"mobile-detect {vendor}: {entry.get('model', '')}".rstrip(": ")))
    return rows


def npm_device_rows(root: Path) -> list[tuple[str, str, str]]:
    call = re.compile(r"device\('((?:[^'\\]|\\.)*)'\);\s*assert\.equal\(mydevice\.type, '(\w+)'\)")
    rows = []
    for path in sorted(next(root.rglob("package/test")).glob("device_*_test.js")):
        for literal, kind in call.findall(path.read_text(encoding="utf-8")):
            label = NPM_DEVICE_TYPES.get(kind)
            ua = clean(re.sub(r"\\(.)", r"\1", literal))  # the JS string literal's escapes
            if label and ua:
                rows.append((label, ua, f"npm-device {kind}"))
    return rows


def bowser_rows(path: Path) -> list[tuple[str, str, str]]:
    rows = []
    for group, entries in (yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader) or {}).items():
        for entry in entries or []:
            kind = ((entry.get("spec") or {}).get("platform") or {}).get("type")
            label = BOWSER_TYPES.get(kind)
            ua = clean(entry.get("ua"))
            if label and ua:
                rows.append((label, ua, f"bowser {kind}: {group}"))
    return rows


def crawlerdetect_rows(root: Path) -> list[tuple[str, str, str]]:
    path = next(root.rglob("tests/fixtures/user_agent/crawlers.txt"))
    return [("bot", ua, "crawlerdetect") for line in path.read_text(encoding="utf-8").splitlines()
            if (ua := clean(line))]


def whichbrowser_rows(root: Path) -> list[tuple[str, str, str]]:
    rows = []
    for path in sorted((root / "tests" / "data").rglob("*.yaml")):
        for entry in yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader) or []:
            headers = entry.get("headers")
            if set(entry) - {"headers", "result", "readable"} or not isinstance(headers, str):
                continue  # options (detectBots...) or several headers: the result is not the UA's alone
            name, _, value = headers.partition(": ")
            ua = clean(value)
            device = (entry.get("result") or {}).get("device") or {}
            kind = device.get("type")
            label = WHICHBROWSER_TYPES.get(kind)
            if name != "User-Agent" or ua is None or label is None or device.get("subtype") == "desktop":
                continue
            model = f"{device.get('manufacturer') or ''} {device.get('model') or ''}".strip()
            if kind == "gaming":
                label = console_class(model) if device.get("subtype") == "console" else None
            if label:
                rows.append((label, ua, f"whichbrowser {kind}: {model}".rstrip(": ")))
    return rows


def isbot_rows(root: Path) -> list[tuple[str, str, str]]:
    rows = []
    for file, label in (("crawlers.yml", "bot"), ("browsers.yml", SCREEN)):
        for group, entries in (yaml.load((root / "fixtures" / file).read_text(encoding="utf-8"),
                                         Loader=yaml.CSafeLoader) or {}).items():
            for entry in entries or []:
                ua = clean(entry)
                if ua is not None:
                    rows.append((label, ua, f"isbot {file.split('.')[0]}: {group}"))
    return rows


def yauaa_rows(root: Path) -> list[tuple[str, str, str]]:
    rows = []
    for path in sorted((root / "analyzer" / "src" / "main" / "resources" / "UserAgents").glob("*.yaml")):
        for entry in (yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader) or {}).get("config") or []:
            test = entry.get("test") if isinstance(entry, dict) else None
            given = (test or {}).get("input") or {}
            if len(given) != 1:
                continue  # client hints beside the UA: the answer is not the UA's alone
            ua = clean(given.get("user_agent_string", given.get("User-Agent")))
            expected = test.get("expected") or {}
            kind = expected.get("DeviceClass")
            label = YAUAA_CLASSES.get(kind)
            if kind == "Game Console":
                label = console_class(str(expected.get("DeviceName", "")))
            if label and ua:
                rows.append((label, ua, f"yauaa {kind}: {expected.get('DeviceName', '')}"))
    return rows


def php_string(literal: str) -> str:
    return re.sub(r"\\([\\'])", r"\1", literal)


def browscap_rows(root: Path) -> list[tuple[str, str, str]]:
    rows = []
    for path in sorted((root / "tests" / "issues").glob("*.php")):
        text = path.read_text(encoding="utf-8")
        for test in BROWSCAP_TEST_RE.finditer(text):
            properties = {}
            at = test.end()
            while prop := BROWSCAP_PROPERTY_RE.match(text, at):
                properties[php_string(prop[1])] = php_string(prop[2]) if prop[2] is not None else prop[3]
                at = prop.end()
            kind, name = properties.get("Device_Type", ""), properties.get("Device_Name", "")
            browser_type = properties.get("Browser_Type")
            label = "bot" if browser_type in BROWSCAP_CRAWLERS else BROWSCAP_TYPES.get(kind)
            if label and kind == "Console" and label != "bot":
                label = console_class(name)
            if label == "mobile" and kind == "Mobile Device" and name == BROWSCAP_UNNAMED:
                label = None
            ua = clean(php_string(test[1]))
            if label and ua and browser_type is not None:
                rows.append((label, ua, f"browscap {browser_type}, {kind}: {name}"))
    return rows


def source_of(note: str) -> str:
    return note.split(" ")[0].rstrip(":")


def drawn_part(ua: str, note: str) -> str:
    """The group a string is drawn in: its source, and for ua-parser-js the half (drawn per half)."""
    source = source_of(note)
    return f"{source}:{split_of(ua)}" if source == "ua-parser-js" else source


def independent_part(ua: str, note: str) -> str:
    """The source, and for a split source the half: ``woothee:tune`` / ``woothee:validate``."""
    source = source_of(note)
    return f"{source}:{split_of(ua)}" if source in SPLIT_SOURCES else source


def split_of(ua: str) -> str:
    """``tune`` or ``validate``, from the string alone: the same UA always lands in the same part."""
    return "tune" if hashlib.sha256(ua.encode()).digest()[0] % 2 == 0 else "validate"


def sample(rows: list[tuple[str, str, str]], part_of, per_class: int, seen: set[str],
           seed: int) -> list[tuple[str, str, str, str]]:
    first: dict[str, tuple[str, str, str]] = {}
    for label, ua, note in rows:  # a UA that two entries list keeps the first one's label
        if ua not in seen:
            first.setdefault(ua, (label, ua, note))
    groups: dict[tuple[str, str], dict[str, tuple[str, str, str]]] = defaultdict(dict)
    for label, ua, note in first.values():
        groups[(label, part_of(ua, note))][ua] = (label, ua, note)
    out = []
    rng = random.Random(seed)
    for (label, part), by_ua in sorted(groups.items()):
        chosen = list(by_ua.values())
        rng.shuffle(chosen)
        out += [(lab, part, ua, note) for lab, ua, note in chosen[:per_class]]
    seen.update(ua for _, _, ua, _ in out)
    return sorted(out, key=lambda r: (CLASSES.index(r[0]), r[1], r[2]))


def write(path: Path, second: str, rows: list[tuple[str, str, str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["\t".join(("class", second, "user_agent", "note"))]
    lines += ["\t".join((label, part, ua, " ".join(note.split()))) for label, part, ua, note in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--src", type=Path, help="directory with the packages already downloaded and unpacked")
    parser.add_argument("--per-class", type=int, default=300, help="at most this many UAs per class and part")
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    parser.add_argument("--bowser", type=Path,
                        help=f"bowser's test list (default: SRC/{BOWSER_FILE}, which --src must then hold)")
    for name, (repo, commit, _) in REPOSITORIES.items():
        parser.add_argument(f"--{name}", type=Path,
                            help=f"a checkout of {repo} at {commit[:7]} (default: SRC/{name}, or downloaded)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        src = args.src
        if src is None:
            src = Path(tmp)
            fetch_packages(src)
        seen = {row[1] for row in csv.reader(HAND_PICKED.open(encoding="utf-8"), delimiter="\t",
                                             quoting=csv.QUOTE_NONE)}
        matomo = sample(device_detector_rows(src / "device-detector"), lambda ua, _: split_of(ua),
                        args.per_class, seen, seed=1)
        independent_rows = (ua_parser_js_rows(src / "ua-parser-js") + woothee_rows(src / "woothee")
                            + crawler_user_agents_rows(src / "crawler-user-agents")
                           + mobile_detect_rows(src / "mobile-detect"))
        independent = sample(independent_rows, drawn_part, args.per_class, seen, seed=2)
        independent = [(label, independent_part(ua, note), ua, note) for label, _, ua, note in independent]
        bowser = args.bowser or (src / BOWSER_FILE)
        if not bowser.is_file():
            parser.error(f"bowser's test list not found at {bowser}: pass it with --bowser")
        second_round = (npm_device_rows(src / "npm-device") + bowser_rows(bowser)
                        + crawlerdetect_rows(src / "crawlerdetect"))
        independent += [(label, independent_part(ua, note), ua, note) for label, _, ua, note
                        in sample(second_round, lambda _, note: source_of(note), args.per_class, seen, seed=3)]
        repositories = {name: getattr(args, name) or (src / name) for name in REPOSITORIES}
        if not all(path.is_dir() for path in repositories.values()):
            fetch_repositories(Path(tmp))
            repositories = {name: path if path.is_dir() else Path(tmp) / name for name, path in repositories.items()}
        third_round = (whichbrowser_rows(checked(repositories["whichbrowser"], "whichbrowser"))
                       + isbot_rows(checked(repositories["isbot"], "isbot")))
        independent += [(label, independent_part(ua, note), ua, note) for label, _, ua, note
                        in sample(third_round, lambda _, note: source_of(note), args.per_class, seen, seed=4)]
        fourth_round = yauaa_rows(checked(repositories["yauaa"], "yauaa"))
        fifth_round = browscap_rows(checked(repositories["browscap"], "browscap"))
        for rows, seed in ((fourth_round, 5), (fifth_round, 6)):
            independent += [(label, independent_part(ua, note), ua, note) for label, _, ua, note
                            in sample(rows, lambda _, note: source_of(note), args.per_class, seen, seed=seed)]
        independent.sort(key=lambda r: (CLASSES.index(r[0]), r[1], r[2]))
    write(args.out / "device_detector.tsv", "part", matomo)
    write(args.out / "independent.tsv", "source", independent)
    for name, rows in (("device_detector", matomo), ("independent", independent)):
        counts = defaultdict(int)
        for label, part, _, _ in rows:
            counts[(part, label)] += 1
        print(name, dict(sorted(counts.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
