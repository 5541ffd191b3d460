"""Device classes: labelled User-Agent corpora, CloudFront's device headers, the cache, empty UAs.

Three corpora, each UA in one of them only (``scripts/build_ua_corpus.py`` writes the last two):

* ``fixtures/user_agents.tsv``: strings picked by hand (current browsers, apps, TVs, crawlers) plus
  device-detector samples; the classifier was tuned on it.
* ``fixtures/ua/device_detector.tsv``: Matomo device-detector's test fixtures (real traffic, labelled by
  that project's ``device.type``), split by a hash of each string into a ``tune`` half, looked at while
  tuning, and a ``validate`` half, only ever measured.
* ``fixtures/ua/independent.tsv``: other parsers' labelled fixtures. ua-parser-js's, woothee's,
  crawler-user-agents', mobile-detect's, npm device's, bowser's and crawlerdetect's are split by hash like
  device-detector's (``<source>:tune`` looked at, ``<source>:validate`` only measured), and so, since the
  fourth round, are WhichBrowser's and isbot's, and since the fifth Yauaa's (added before the fourth round
  of rules and measured whole in it) and browscap's (added before the fifth and measured once, whole).
  isbot's browser list has no device type: its label ``screen`` is right for any class but ``bot``.

Labels are always the source's own device type mapped to ours by a fixed rule, never the classifier's
answer. A miss is fixed in ``imgedge.device`` with a general rule, or stays a miss.
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from imgedge import device, device_models
from imgedge.device import DEVICE_CLASSES, device_class

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
CORPUS = FIXTURES / "user_agents.tsv"
DEVICE_DETECTOR = FIXTURES / "ua" / "device_detector.tsv"
INDEPENDENT = FIXTURES / "ua" / "independent.tsv"
MIN_ACCURACY = 0.95
MIN_PER_CLASS = 40
#: isbot's browsers (a person's screen, no device type): any class but ``bot`` is right.
SCREEN = "screen"
#: Floors per source of ``independent.tsv`` and class: 0.95 where it holds; below, the figure measured when
#: the floor was set (rounded down), so a regression fails and an improvement may raise it. Never lower them.
#: Classes with fewer than ``MIN_FOR_FLOOR`` strings in a source get no floor (one UA moves them > 5 points).
INDEPENDENT_FLOORS = {
    # Split by hash like device_detector.tsv; only the tune halves' misses were looked at.
    "ua-parser-js:tune": {"mobile": 0.95, "tablet": 0.93},  # tablets 40 of 43 (0.930; 39 before the fifth round)
    # 35 of 37 tablets: tablets whose browser says "Mobile Safari" and whose model the table does not name.
    "ua-parser-js:validate": {"mobile": 0.95, "tablet": 0.94},
    # woothee's feature phones (16 a half) are under MIN_FOR_FLOOR: 14 and 14 of 16 (README).
    "woothee:tune": {"desktop": 0.92, "bot": 0.95},  # pc 25 of 27 (0.926)
    "woothee:validate": {"desktop": 0.95, "bot": 0.95},  # pc 22 of 23 (0.957; 21, 0.913, before the fourth round)
    "crawler-user-agents:tune": {"bot": 1.0},  # 147 of 147 since the sixth round (146 before)
    "crawler-user-agents:validate": {"bot": 0.95},  # 146 of 153 (0.954; 0.948 before the third round)
    # Mobile-Detect's "tablet" is its own judgement: old Android tablets of small makers whose browser says
    # "Mobile Safari". The model table holds Mobile-Detect's own tablet codes, so neither half is independent
    # of it any more: 156 of 160 (0.975; 155 before the seventh round) tuned on, 135 of 140 (0.964) validated.
    "mobile-detect:tune": {"mobile": 0.95, "tablet": 0.95},
    "mobile-detect:validate": {"mobile": 0.95, "tablet": 0.95},
    # Measured whole and never looked at for two rounds of rules (npm device: phones 0.937, tablets 0.897, TVs
    # 0.952; bowser tablets 0.897; crawlerdetect 0.930), then split by hash like the others; only the tune
    # halves' misses were looked at. Classes under MIN_FOR_FLOOR a half get no floor (bowser's TVs, bots,
    # tablets; npm device's TVs). Figures when split: npm device phones 145 of 157 (0.924) and 136 of 143
    # (0.951), tablets 47 of 51 (0.922) and 31 of 36 (0.861); bowser desktops 42 of 46 (0.913) and 47 of 47,
    # phones 39 of 39 and 34 of 35; crawlerdetect 136 of 145 (0.938) and 143 of 155 (0.923). After the third
    # round: npm device phones 152 of 157 (0.968) and 141 of 143 (0.986), tablets 48 of 51 (0.941) and 31 of 36
    # (0.861); bowser desktops 43 of 46 (0.935) and 47 of 47, tablets 16 of 16 and 13 of 13; crawlerdetect 138
    # of 145 (0.952) and 143 of 155 (0.923).
    # npm device's tuning tablets 50 of 51 (0.980) since the fifth round (Pandigital's tablets); its phones 156 of
    # 157 (0.994) and 142 of 143 (0.993) since the sixth (feature phones' "Maker-Model" UAs, the DS's "Nitro").
    "npm-device:tune": {"mobile": 0.99, "tablet": 0.98, "desktop": 0.95, "bot": 0.95},
    "npm-device:validate": {"mobile": 0.99, "tablet": 0.86, "desktop": 0.95, "bot": 0.95},
    # 42 of 46 desktops since the fourth round: bowser calls Puffin for iPad ("Puffin/3.7.0IT") a desktop,
    # device-detector a tablet, as the Puffin rule does (it gains 4 tablets elsewhere, 3 on tuning halves).
    "bowser:tune": {"mobile": 0.95, "desktop": 0.91},
    "bowser:validate": {"mobile": 0.95, "desktop": 0.95},
    "crawlerdetect:tune": {"bot": 0.95},
    "crawlerdetect:validate": {"bot": 0.93},  # 145 of 155 (0.935) since the sixth round (security scanners)
    # Added before the third round of rules, never looked at in it; measured whole. Before that round: phones
    # 281 of 300 (0.937), tablets 150 of 167 (0.898), desktops 267 of 300 (0.890), TVs 272 of 300 (0.907), bots
    # 160 of 165 (0.970); isbot's crawlers 252 of 300 (0.840), its browsers 279 of 300 (0.930) not called bots.
    # After: phones 286 (0.953), tablets 150, desktops 266 (0.887), TVs 276 (0.920), bots 160; isbot's crawlers
    # 256 (0.853), browsers 279. Split by hash at the fourth round (no string changed); only the tune halves'
    # misses are read. At the split: whichbrowser phones 145 of 150 (0.967) and 141 of 150 (0.940), tablets 82
    # of 89 (0.921) and 68 of 78 (0.872), desktops 133 of 154 (0.864) and 133 of 146 (0.911), TVs 146 of 153
    # (0.954) and 130 of 147 (0.884), bots 82 of 83 (0.988) and 78 of 82 (0.951); isbot crawlers 135 of 154
    # (0.877) and 121 of 146 (0.829), browsers 130 of 136 (0.956) and 149 of 164 (0.909). After the fourth round:
    # whichbrowser tablets 85 of 89 (0.955) and 69 of 78 (0.885), desktops 151 of 154 (0.981) and 139 of 146
    # (0.952), TVs 151 of 153 (0.987) and 133 of 147 (0.905); isbot crawlers 144 of 154 (0.935) and 125 of 146
    # (0.856), browsers 132 of 136 (0.971) and 152 of 164 (0.927); the rest unchanged. After the fifth:
    # whichbrowser:tune phones 146 (0.973), tablets 87 (0.978); isbot crawlers 147 (0.955) and 126 (0.863). After
    # the sixth: whichbrowser phones 149 (0.993) and 142 (0.947), tablets 88 (0.989) and 70 (0.897), TVs 153 of 153
    # and 135 (0.918), bots 82 and 79 (0.963); isbot crawlers 148 (0.961) and 126, browsers 132 and 153 (0.933).
    # After the seventh: whichbrowser:tune tablets 89 of 89 (WeTab); the rest unchanged.
    "whichbrowser:tune": {"mobile": 0.99, "tablet": 1.0, "desktop": 0.98, "smarttv": 1.0, "bot": 0.98},
    "whichbrowser:validate": {"mobile": 0.94, "tablet": 0.89, "desktop": 0.95, "smarttv": 0.91, "bot": 0.96},
    "isbot:tune": {"bot": 0.96, SCREEN: 0.97},
    "isbot:validate": {"bot": 0.86, SCREEN: 0.93},
    # Yauaa's test cases, added at the fourth round before any of its rules, never looked at in it; measured
    # whole. Before that round: phones 292 of 300 (0.973), tablets 263 of 300 (0.877), desktops 279 of 300
    # (0.930), TVs 191 of 198 (0.965), bots 275 of 300 (0.917). After: desktops 282 (0.940), the rest unchanged.
    # browscap's tests, added at the fifth round before any of its rules, measured once whole: phones 285 of 300
    # (0.950), tablets 287 of 300 (0.957), desktops 292 of 300 (0.973), TVs 207 of 263 (0.787), bots 281 of 300
    # (0.937). Both split by hash then (no string changed); only the tune halves' misses are read. At the split:
    # yauaa phones 144 of 148 and 148 of 152, tablets 134 of 147 (0.912) and 129 of 153 (0.843), desktops 144 of
    # 155 (0.929) and 138 of 145 (0.952), TVs 108 of 112 and 83 of 86, bots 148 of 160 (0.925) and 127 of 140
    # (0.907); browscap phones 144 of 149 (0.966) and 141 of 151 (0.934), tablets 148 of 157 (0.943) and 139 of
    # 143 (0.972), desktops 145 of 147 and 147 of 153 (0.961), TVs 94 of 124 (0.758) and 113 of 139 (0.813), bots
    # 141 of 149 (0.946) and 140 of 151 (0.927). After the fifth round's rules: yauaa phones 145 (0.979) and 148,
    # tablets 137 (0.932) and 132 (0.863), desktops 147 (0.948) and 138, TVs 109 (0.973) and 83, bots 154 (0.962)
    # and 128 (0.914); browscap phones 147 (0.987) and 146 (0.967), tablets 149 (0.949) and 139 (one lost to the
    # model table's digit count, "Lenovo A" + 3 digits being a phone's, one gained by the PadFone rule), desktops
    # unchanged, TVs 112 (0.903) and 119 (0.856), bots 141 and 141 (0.934). After the sixth: yauaa phones 146 (0.986)
    # and 149 (0.980), tablets 138 (0.939) and 132, TVs 112 of 112 and 83, bots 157 (0.981) and 129 (0.921); browscap
    # tablets 150 (0.955) and 139, desktops 146 (0.993) and 147, TVs 117 (0.943) and 123 (0.885), bots 145 (0.973)
    # and 141; the rest unchanged. After the seventh: browscap phones 148 (0.993) and 147 (0.974), TVs 119 (0.960)
    # and 124 (0.892); the rest unchanged.
    "yauaa:tune": {"mobile": 0.98, "tablet": 0.93, "desktop": 0.94, "smarttv": 1.0, "bot": 0.98},
    "yauaa:validate": {"mobile": 0.98, "tablet": 0.86, "desktop": 0.95, "smarttv": 0.96, "bot": 0.92},
    "browscap:tune": {"mobile": 0.99, "tablet": 0.95, "desktop": 0.99, "smarttv": 0.95, "bot": 0.97},
    "browscap:validate": {"mobile": 0.97, "tablet": 0.97, "desktop": 0.96, "smarttv": 0.89, "bot": 0.93},
}
MIN_FOR_FLOOR = 20

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Mobile/15E148 Safari/604.1"
)
CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 "
    "Safari/537.36"
)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


def load_corpus() -> list[tuple[str, str, str]]:
    with CORPUS.open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader)
        assert header == ["class", "user_agent", "note"]
        rows = [(label, ua, note) for label, ua, note in reader]
    return rows


def load_parts(path: Path) -> list[tuple[str, str, str, str]]:
    """(class, part or source, user_agent, note) rows of a generated corpus."""
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader)
        assert header[0] == "class" and header[2:] == ["user_agent", "note"]
        return [(label, part, ua, note) for label, part, ua, note in reader]


def per_class_accuracy(rows) -> tuple[dict[str, float], str]:
    """Accuracy per class of ``(label, ua, note)`` rows, and a report of the confusion and the misses."""
    confusion: dict[str, Counter[str]] = defaultdict(Counter)
    misses: list[str] = []
    for label, ua, note in rows:
        got = device_class(ua)
        confusion[label][got] += 1
        if not is_right(label, got):
            misses.append(f"  {label} -> {got}: {ua}  ({note})")
    accuracy = {label: sum(n for got, n in counts.items() if is_right(label, got)) / sum(counts.values())
                for label, counts in confusion.items()}
    summary = "\n".join(
        f"{label:8} {accuracy[label]:.3f} of {sum(confusion[label].values()):3}  {dict(confusion[label])}"
        for label in (*DEVICE_CLASSES, SCREEN) if label in accuracy
    )
    return accuracy, summary + "\nmisclassified:\n" + "\n".join(misses)


def is_right(label: str, got: str) -> bool:
    return got != "bot" if label == SCREEN else got == label


def cloudfront(**flags: str) -> dict[str, str]:
    """CloudFront's four device headers, all "false" unless given (``smarttv="true"``)."""
    return {
        f"cloudfront-is-{name}-viewer": flags.get(name, "false") for name in ("mobile", "tablet", "smarttv", "desktop")
    }


def test_corpus_is_well_formed():
    rows = load_corpus()
    counts = Counter(label for label, _, _ in rows)
    assert set(counts) == set(DEVICE_CLASSES)
    assert all(n >= MIN_PER_CLASS for n in counts.values()), counts
    user_agents = [ua for _, ua, _ in rows]
    assert len(set(user_agents)) == len(user_agents), "duplicate UA in the corpus"
    assert all(ua and ua == ua.strip() for ua in user_agents)


def test_corpus_accuracy_per_class():
    accuracy, report = per_class_accuracy((label, ua, note) for label, ua, note in load_corpus())
    failing = [label for label in DEVICE_CLASSES if accuracy[label] < MIN_ACCURACY]
    assert not failing, f"accuracy below {MIN_ACCURACY} for {failing}\n{report}"


def test_generated_corpora_are_well_formed_and_disjoint():
    hand_picked = {ua for _, ua, _ in load_corpus()}
    matomo = load_parts(DEVICE_DETECTOR)
    independent = load_parts(INDEPENDENT)
    seen: set[str] = set(hand_picked)
    for rows in (matomo, independent):
        uas = [ua for _, _, ua, _ in rows]
        assert len(set(uas)) == len(uas), "a UA twice in one corpus"
        assert not seen & set(uas), "a UA in two corpora"
        seen |= set(uas)
        assert all(label in (*DEVICE_CLASSES, SCREEN) and ua == ua.strip() and ua for label, _, ua, _ in rows)
    assert {part for _, part, _, _ in matomo} == {"tune", "validate"}
    for part in ("tune", "validate"):
        counts = Counter(label for label, p, _, _ in matomo if p == part)
        assert set(counts) == set(DEVICE_CLASSES) and min(counts.values()) >= MIN_PER_CLASS, (part, counts)
    counts = Counter(label for label, _, _, _ in independent)
    assert set(counts) == {*DEVICE_CLASSES, SCREEN} and min(counts.values()) >= 25, counts
    sources = {source for _, source, _, _ in independent}
    assert sources == set(INDEPENDENT_FLOORS), sources


@pytest.mark.parametrize("part", ["tune", "validate"])
def test_device_detector_accuracy_per_class(part):
    rows = [(label, ua, note) for label, p, ua, note in load_parts(DEVICE_DETECTOR) if p == part]
    accuracy, report = per_class_accuracy(rows)
    failing = [label for label in DEVICE_CLASSES if accuracy[label] < MIN_ACCURACY]
    assert not failing, f"{part}: accuracy below {MIN_ACCURACY} for {failing}\n{report}"


@pytest.mark.parametrize("source", sorted(INDEPENDENT_FLOORS))
def test_independent_sources_accuracy_per_class(source):
    rows = [(label, ua, note) for label, src, ua, note in load_parts(INDEPENDENT) if src == source]
    counts = Counter(label for label, _, _ in rows)
    floors = INDEPENDENT_FLOORS[source]
    assert {label for label, n in counts.items() if n >= MIN_FOR_FLOOR} == set(floors), (source, counts)
    # A never-seen source's misses are not printed: nobody should tune on them by reading a failure.
    never_seen = not source.endswith(":tune")
    accuracy, report = per_class_accuracy(rows)
    failing = [label for label in floors if accuracy[label] < floors[label]]
    assert not failing, f"{source}: accuracy below its floor for {failing}\n" + (
        report.split("\nmisclassified:")[0] if never_seen else report)


@pytest.mark.parametrize(
    ("user_agent", "expected"),
    [
        # Tablets whose browser says "Mobile Safari", known only by their model code.
        ("Mozilla/5.0 (Linux; Android 6.0; B1-790) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/97.0.4692.87 "
         "Mobile Safari/537.36", "tablet"),
        ("Mozilla/5.0 (Linux; Android 10; ACTAB721) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/95.0.4638.50 "
         "Mobile Safari/537.36", "tablet"),
        # TV sets whose WebView says "Mobile Safari".
        ("Mozilla/5.0 (Linux; Android 9; H24F8000C Build/PPR1.180610.011; wv) AppleWebKit/537.36 (KHTML, like "
         "Gecko) Version/4.0 Chrome/104.0.5112.102 Mobile Safari/537.36", "smarttv"),
        ("Mozilla/5.0 (Linux; Android 7.1.1; 55UP50GR Build/NMF26Q; wv) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Version/4.0 Chrome/52.0.2743.100 Mobile Safari/537.36", "smarttv"),
        # Android on laptops, which look like Android tablets.
        ("Mozilla/5.0 (Linux; Android 7.1.1; HP EliteBook 8470p) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/77.0.3865.92 Safari/537.36", "desktop"),
        # A phone whose old browser does not say "Mobile".
        ("Mozilla/5.0 (Linux; U; Android 4.0.4; en-us; I10-LE Build/IML74K) AppleWebKit/534.30 (KHTML, like "
         "Gecko) Version/4.0 Safari/534.30", "mobile"),
        # Android 3 ran on tablets only: a model code the table gives a phone is reused.
        ("Mozilla/5.0 (Linux; U; Android 3.2.1; en-us; A100 Build/HTK55D) AppleWebKit/534.13 (KHTML, like Gecko) "
         "Version/4.0 Safari/534.13", "tablet"),
        # Only a maker's name says phone; the browser lays out for a tablet (no "Mobile").
        ("Mozilla/5.0 (Linux; U; Android 4.2.2; en-us; Evolio X7 Build/JDQ39) AppleWebKit/534.30 (KHTML, like "
         "Gecko) Version/4.0 Safari/534.30", "tablet"),
        # Windows Phone in its desktop mode, Japanese feature phones, iOS's own Safari stack.
        ("Mozilla/5.0 (Windows NT 6.2; ARM; Trident/7.0; Touch; rv:11.0; WPDesktop; Lumia 920) like Gecko", "mobile"),
        ("Mozilla/4.08 (N905imyu_W;FOMA;c500;TB)", "mobile"),
        ("MobileSafari/9537.53 CFNetwork/672.1.13 Darwin/13.1.0", "mobile"),
        # A service named by its domain, an uptime checker.
        ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/79.0.3945.0 "
         "Safari/537.36 Example.com/2.0.0", "bot"),
        ("websitepulse checker/3.0 (compatible; MSIE 5.5; Linux)", "bot"),
        # A tablet whose browser says "Mobile Safari", known by Mobile-Detect's tablet codes only.
        ("Mozilla/5.0 (Linux; U; Android 4.0.4; en-us; UBISLATE7C+ Build/IMM76D) AppleWebKit/534.30 (KHTML, like "
         "Gecko) Version/4.0 Mobile Safari/534.30", "tablet"),
        # A TV whose model code starts with its screen size; Windows RT; webOS TV's "webOSTV".
        ("Mozilla/5.0 (Linux; Android 13; 50OV6000U Build/TP1A.220905.004.A2; wv) AppleWebKit/537.36 (KHTML, like "
         "Gecko) Version/4.0 Chrome/101.0.4951.61 Safari/537.36", "smarttv"),
        ("Mozilla/5.0 (compatible; MSIE 10.0; Windows NT 6.2; ARM; Trident/6.0; Touch)", "tablet"),
        ("Mozilla/5.0 (X11; Linux armv7l) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/65.0.3325.230 "
         "Safari/537.36 DMOST/2.0.0 (; LGE; webOSTV; WEBOS4.0.0 03.00.56; W4_lm18a;)", "smarttv"),
        # HarmonyOS NEXT names its device type first.
        ("Mozilla/5.0 (Phone; OpenHarmony 5.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/114.0.0.0 "
         "Safari/537.36 ArkWeb/4.1.6.1 Mobile", "mobile"),
        ("Mozilla/5.0 (2in1; OpenHarmony 5.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/114.0.0.0 "
         "Safari/537.36 ArkWeb/4.1.6.1", "desktop"),
        # Handheld consoles with a phone-sized screen.
        ("Mozilla/5.0 (PlayStation Vita 3.74) AppleWebKit/536.26 (KHTML, like Gecko) Silk/3.2", "mobile"),
        ("Mozilla/5.0 (Nintendo 3DS; U; ; en) Version/1.7412.EU", "mobile"),
        # Feature phones by their browser or their small screen's size.
        ("LG-KU990 Teleca/Q7.0", "mobile"),
        ("MOT-RAZRV3xx/96.64.21P BER2.2 Mozilla/4.1 (compatible; MSIE 6.0; ) 176x220 Opera 8.00 [en]", "mobile"),
        # Services posing as desktop browsers: a bare name after the browser, Firefox's bracket without Firefox,
        # Google's agents in the engine bracket.
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 "
         "Safari/537.36 ExampleAgent", "bot"),
        ("Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:66.0) ExampleCMS/1.0", "bot"),
        ("Mozilla/5.0 (Linux; Android 4.0.4; Galaxy Nexus Build/IMM76B) AppleWebKit/537.36 (KHTML, like Gecko; "
         "GoogleAdSenseInfeed) Chrome/102.0.5005.61 Mobile Safari/537.36", "bot"),
        # A bare name between the engine bracket and Version/; a domain with its subdomain in the bracket.
        ("Mozilla/5.0 (iPhone; CPU iPhone OS 11_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
         "ExampleRecorder Version/11.0 Mobile/15E148 Safari/604.1", "bot"),
        ("Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 5.1; www.example.com)", "bot"),
        # Internet Explorer 11 builds that leave out "like Gecko" are not posing.
        ("Mozilla/5.0 (Windows NT 10.0; WOW64; Trident/7.0; Touch; rv:11.0)", "desktop"),
        # A feature phone's J2ME runtime is not an HTTP library.
        ("LG-KU990/v10a Browser/Obigo-Q05A/3.6 MMS/LG-MMS-V1.0/1.2 Java/ASVM/1.0 Profile/MIDP-2.0 "
         "Configuration/CLDC-1.1", "mobile"),
        # iPadOS browsers send the Mac platform but keep their iOS token; iPhone OS 3.2 ran on the iPad only;
        # Firefox Focus on an Android tablet says neither Safari nor Mobile.
        ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/21.0 "
         "Version/13.0.3 Safari/605.1.15", "tablet"),
        ("Mozilla/5.0 (iProd; U; CPU iPhone OS 3_2 like Mac OS X; en-us) AppleWebKit/531.21.10 (KHTML, like Gecko)",
         "tablet"),
        ("Mozilla/5.0 (Linux; Android 7.1.1) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Focus/1.2.1 "
         "Chrome/59.0.3071.125", "tablet"),
        # Apple's CFNetwork stack names a Mac, never an Android model; WebTV.
        ("com.apple.WebKit.Networking/9601.7.8 CFNetwork/673.6 Darwin/13.4.0 (x86_64) (iMac11%2C2)", "desktop"),
        ("Mozilla/3.0 WebTV/1.2 (compatible; MSIE 2.0)", "smarttv"),
        # The desktops of the past and the text browsers are desktops, not platform-less scripts.
        ("Mozilla/5.0 (OS/2; Warp 4.5; rv:24.0) Gecko/20140428 Firefox/24.0", "desktop"),
        ("Mozilla/4.0 (compatible; MSIE 5.22; Mac_PowerPC)", "desktop"),
        ("Lynx/2.9.0dev.6 libwww-FM/2.14 SSL-MM/1.4.1 OpenSSL/1.1.1j-dev", "desktop"),
        # Puffin names a tablet in its version's suffix, whatever platform it sends.
        ("Mozilla/5.0 (X11; U; Linux x86_64; xx) AppleWebKit/537.36 (KHTML, like Gecko)  Chrome/30.0.1599.114 "
         "Safari/537.36 Puffin/4.5.0IT", "tablet"),
        # LG's TVs send headless QtWebKit's "(Unknown; Linux" platform, on ARM; set-top box browsers and boxes.
        ("Mozilla/5.0 (Unknown; Linux armv7l) AppleWebKit/537.1+ PBRM/1.0 ( ;LGE ;STB-3000 ;00.00.00 ;0x00000001)",
         "smarttv"),
        ("Mozilla/5.0 (Linux; U; xx;) AppleWebKit/534 (MFP; 112/0033ZZ0a; KHTML, like Gecko) NetFrontNX/2.0 (DTV; "
         "HTML; R1.0;)", "smarttv"),
        ("Mozilla/5.0 (Linux; U; Android 4.2.2; xx; MagicBox Build/JDQ39) AppleWebKit/534.30 (KHTML, like Gecko) "
         "Version/4.0 Safari/534.30", "smarttv"),
        # Monitors named in the engine bracket, after Firefox's "rv:", or after the browser's last version.
        ("Mozilla/5.0 (Windows NT 6.3; WOW64) AppleWebKit/537.36 (KHTML, like Gecko ExampleAgent 3.0) "
         "Chrome/56.0.2924.87 Safari/537.36", "bot"),
        ("Mozilla/5.0 (X11; Linux x86_64; rv:45.0; Example) Gecko/20100101 Firefox/45.0", "bot"),
        ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.199 "
         "Safari/537.36; Example;", "bot"),
        # Android TV boxes by their families' model names, chips and reference boards; TVs' SRAF framework.
        ("Dalvik/2.1.0 (Linux; U; Android 6.0.1; H96 PRO Build/MHC19J)", "smarttv"),
        ("Mozilla/5.0 (Linux; Android 5.1.1; MXQPRO Build/LMY47V) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 "
         "Chrome/39.0.0.0 Safari/537.36", "smarttv"),
        ("Dalvik/2.1.0 (Linux; U; Android 5.1.1; HX S905 Series Build/LMY47V)", "smarttv"),
        ("Mozilla/5.0 (Linux; i686) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/39.0.2171.71 Safari/537.36 SRAF/3.9",
         "smarttv"),
        # Netscape's WinNT; Pale Moon's Goanna engine; a monitor's name in the platform bracket.
        ("Mozilla/4.5 [ja] (WinNT; I)", "desktop"),
        ("Mozilla/5.0 (Windows NT 6.1; rv:3.4) Goanna/20180327 PaleMoon/27.8.3", "desktop"),
        ("Mozilla/5.0 (X11; Linux x86_64; Catchpoint) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/63.0.3239.132 "
         "Safari/537.36", "bot"),
        # An app named by its shop's domain, its device first in its bracket; the iPadOS platform of apps.
        ("bol.com/1.8.2 (iPad; iOS 9.3; Scale/2.00)", "tablet"),
        ("nu.nl/10.9 (iPadOS,15.5;220730155801;1640x2360@2.0x)(Sanoma/app)", "tablet"),
        # A series' digit count: "Lenovo A" + four digits is a tablet, + three a phone.
        ("Mozilla/5.0 (Linux; Android 4.4.2; Lenovo A328 Build/KOT49H) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/43.0.2357.93 Mobile Safari/537.36", "mobile"),
        ("Mozilla/5.0 (Linux; U; Android 4.2.2; en-us; Lenovo A3000-H Build/JDQ39) AppleWebKit/534.30 (KHTML, like "
         "Gecko) Version/4.0 Mobile Safari/534.30", "tablet"),
        # A Go program naming its runtime.
        ("example-runner 1.2.3 (1-2-stable; go1.22.7; linux/amd64)", "bot"),
        # A PadFone docked in its tablet shell; an Android watch.
        ("Mozilla/5.0 (Linux; Android 4.1.1; PadFone 2 Build/JRO03L) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/37.0.2062.117 Safari/537.36", "tablet"),
        ("Mozilla/5.0 (Linux; Android 11; Google Pixel Watch) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/90.0 "
         "Safari/537.36", "mobile"),
        # TV platforms: YouTube's Cobalt engine, the PS2's bracket, the PS3's CellOS; Mecool's KM boxes and TP Vision's
        # Android TV chassis codes, even where the WebView says "Mobile".
        ("Mozilla/5.0 (X11; Linux armv7l) Cobalt/24.lts.30-gold (unlike Gecko) v8/8.8.278.17-jit gles Starboard/15",
         "smarttv"),
        ("Mozilla/4.0 (PS2; PlayStation BB Navigator 1.0) NetFront/3.0", "smarttv"),
        ("PS3Application libhttp/4.8.5-000 (CellOS)", "smarttv"),
        ("Dalvik/2.1.0 (Linux; U; Android 7.1.2; KM8PRO Build/NHG47L)", "smarttv"),
        ("Mozilla/5.0 (Linux; Android 5.1; QV151E Build/LMY47D; wv) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Version/4.0 Chrome/46.0.2490.76 Mobile Safari/537.36", "smarttv"),
        # A "Tablet" item in the bracket outvotes a phone's model code; a maker's name yields to the model's tablet
        # name.
        ("ExampleShop/1.2.3 (Android 9; SM-G955F; Tablet)", "tablet"),
        ("Mozilla/5.0 (Linux; Android 4.4.2; i-mobile i-Tab 8 Build/KOT49H) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Version/4.0 Chrome/30.0.0.0 Mobile Safari/537.36", "tablet"),
        # Feature phones: the makers' "Maker-Model" UA, Mobile Explorer's MMEF token, a screen size with its colour
        # depth, the Nintendo DS's Opera ("Nitro").
        ("SIE-2128/24", "mobile"),
        ("ZTE-C78/1.0 SMIT-Browser/2.0.0", "mobile"),
        ("HTC_Touch_Diamond2_T5353 Opera/9.50 (Windows NT 5.1; U; de)", "mobile"),
        ("MobileExplorer/3.00 (Mozilla/1.22; compatible; MMEF300; Example)", "mobile"),
        ("Mozilla/4.5 (Screen=240x320x64K; InputMethod=PEN; Category=PDA)", "mobile"),
        ("Mozilla/4.0 (compatible; MSIE 6.0; Nitro) Opera 8.50 [en]", "mobile"),
        # Security scanners by name; a platform bracket written with a colon; "scan" inside an app's name; WhatsApp's
        # desktop app.
        ("Mozilla/4.75 [en] (X11, U; OpenVAS-VT 9.0.3)", "bot"),
        ("Mozilla/5.0 (Windows: NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 "
         "Safari/537.36", "bot"),
        ("Mozilla/5.0 (Linux; Android 13; SM-A715F; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 "
         "Chrome/111.0.5563.116 Mobile Safari/537.36 CamScanner/6.35.0", "mobile"),
        ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) WhatsApp/2.2330.7 "
         "Chrome/114.0.5735.289 Electron/25.8.4 Safari/537.36", "desktop"),
        # An app's reverse-domain id names its publisher ("google"), not the device.
        ("com.google.android.youtube/5.1.2(Linux; U; Android 2.3.6; en_US; SCH-I500 Build/GINGERBREAD) gzip",
         "mobile"),
        # Puffin's iPhone build; nabi's tablets; "4K" in a TV box's model name; a monitor's two-word name after
        # Firefox's "rv:" with no space.
        ("Mozilla/5.0 (X11; U; Linux x86_64; xx) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/30.0.1599.114 "
         "Safari/537.36 Puffin/4.5.0IP", "mobile"),
        ("Mozilla/5.0 (Linux; U; Android 4.0.4; en-us; Nabi Jr Build/IMM76D) AppleWebKit/534.30 (KHTML, like Gecko) "
         "Version/4.0 Mobile Safari/534.30", "tablet"),
        ("Dalvik/2.1.0 (Linux; U; Android 9; EX-4KBOX2 Build/PPR1.180610.011)", "smarttv"),
        ("Mozilla/5.0 (Windows NT 6.1; rv:52.0;Example Agent) Gecko/20100101 Firefox/52.0", "bot"),
        # A VR headset's browser (a wearable, as the sources call it); a Linux distribution named as the platform;
        # the M8 boxes.
        ("Mozilla/5.0 (X11; Linux x86_64; Quest 3) AppleWebKit/537.36 (KHTML, like Gecko) OculusBrowser/33.0.0.7 "
         "SamsungBrowser/4.0 Chrome/126.0.6478.122 VR Safari/537.36", "mobile"),
        ("ExampleFeeds/2.1; Fedora", "desktop"),
        # ...but a package manager naming its distribution is a program.
        ("Debian APT-HTTP/1.3 (2.6.1)", "bot"),
        ("Dalvik/2.1.0 (Linux; U; Android 7.1.2; M8 Build/NHG47L)", "smarttv"),
    ],
)
def test_devices_known_by_model_or_kind(user_agent, expected):
    assert device_class(user_agent) == expected


def test_model_table_is_generated_data_with_its_licence():
    import json

    document = json.loads(device_models.TABLE.read_text(encoding="utf-8"))
    assert "LGPL-3.0-or-later" in document["licence"] and "device-detector" in document["source"]
    assert "mobile-detect" in document["source"] and "MIT" in document["licence"]
    tokens = device_models.table()
    assert len(tokens) > 30_000
    assert {label for label, _, _ in tokens.values()} == set(DEVICE_CLASSES) - {"bot"} | {"?"}
    assert all(token == token.upper() and len(token) >= device_models._MIN_TOKEN for token in tokens)


@pytest.mark.parametrize(
    "user_agent",
    [
        "Mozilla/5.0 (Linux; Android 14; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile "
        "Safari/537.36",  # Chrome's reduced UA names no model: the keyword rules decide
        "curl/8.4.0",
        "",
    ],
)
def test_model_lookup_answers_nothing_without_a_model(user_agent):
    assert device_models.model_class(user_agent) is None


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ({"mobile": "true"}, "mobile"),
        ({"tablet": "true"}, "tablet"),
        ({"smarttv": "true"}, "smarttv"),
        ({"desktop": "true"}, "desktop"),
        ({"mobile": "true", "tablet": "true"}, "tablet"),
        ({"mobile": "true", "smarttv": "true", "tablet": "true", "desktop": "true"}, "smarttv"),
        ({"mobile": "true", "desktop": "true"}, "mobile"),
    ],
)
def test_cloudfront_headers_decide(flags, expected):
    # The UA says desktop Chrome; CloudFront's verdict wins, in the order smarttv > tablet > mobile > desktop.
    assert device_class(CHROME_WINDOWS, cloudfront(**flags)) == expected


@pytest.mark.parametrize("value", ["TRUE", "True", " true ", "tRuE"])
def test_cloudfront_header_values_are_case_insensitive(value):
    assert device_class(CHROME_WINDOWS, cloudfront(tablet=value)) == "tablet"
    assert device_class(IPHONE, {"cloudfront-is-desktop-viewer": value}) == "desktop"


def test_bot_user_agent_stays_bot_whatever_cloudfront_says():
    for headers in (cloudfront(desktop="true"), cloudfront(mobile="true"), cloudfront(smarttv="true")):
        assert device_class(GOOGLEBOT, headers) == "bot"
        assert device_class("curl/8.4.0", headers) == "bot"
        assert device_class(None, headers) == "bot"


def test_without_a_true_header_the_user_agent_decides():
    assert device_class(IPHONE, cloudfront()) == "mobile"  # all four "false"
    assert device_class(IPHONE, {}) == "mobile"
    assert device_class(IPHONE, {"cloudfront-viewer-country": "FR"}) == "mobile"
    assert device_class(IPHONE, None) == "mobile"


def test_cloudfront_placeholder_user_agent_defers_to_the_headers():
    # Origin-facing events see "Amazon CloudFront" when the viewer's UA is not forwarded; the device
    # headers still describe the viewer.
    assert device_class("Amazon CloudFront", cloudfront(mobile="true")) == "mobile"
    assert device_class("Amazon CloudFront", cloudfront(smarttv="true", desktop="true")) == "smarttv"
    assert device_class("Amazon CloudFront", cloudfront()) == "bot"
    assert device_class("Amazon CloudFront") == "bot"


@pytest.mark.parametrize("user_agent", [None, "", "   ", "\t"])
def test_missing_or_empty_user_agent_is_bot(user_agent):
    assert device_class(user_agent) == "bot"


def test_repeated_user_agents_hit_the_cache():
    ua = CHROME_WINDOWS.replace("126.0.0.0", "126.0.0.1")  # a string no other test classifies
    before = device._classify_user_agent.cache_info()
    assert device_class(ua) == "desktop"
    after_first = device._classify_user_agent.cache_info()
    assert after_first.misses == before.misses + 1
    for _ in range(5):
        assert device_class(ua) == "desktop"
    after = device._classify_user_agent.cache_info()
    assert after.hits == after_first.hits + 5
    assert after.misses == after_first.misses
    assert after.maxsize == 4096


@pytest.mark.parametrize(
    ("user_agent", "expected"),
    [
        # iPadOS 13+ Safari sends the Mac UA: indistinguishable, documented as desktop.
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "Version/17.4 Safari/605.1.15",
            "desktop",
        ),
        # OkHttp's default UA comes from Android apps' image loaders: mobile, not bot.
        ("okhttp/4.12.0", "mobile"),
        # WhatsApp's UA is its link-preview fetch.
        ("WhatsApp/2.23.20.0 A", "bot"),
        # A Cubot phone is not a crawler for having "bot" in its brand.
        (
            "Mozilla/5.0 (Linux; Android 7.0; CUBOT H3) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/70.0.3538.80 Mobile Safari/537.36",
            "mobile",
        ),
        # Windows' "Tablet PC 2.0" capability flag is not a tablet.
        (
            "Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 6.1; Trident/7.0; SLCC2; .NET CLR 2.0.50727; "
            "Media Center PC 6.0; MAAR; Tablet PC 2.0; .NET CLR 3.5.30729; .NET CLR 3.0.30729; .NET4.0C; .NET4.0E)",
            "desktop",
        ),
    ],
)
def test_documented_policies(user_agent, expected):
    assert device_class(user_agent) == expected


def test_every_answer_is_a_device_class():
    assert DEVICE_CLASSES == ("mobile", "tablet", "desktop", "smarttv", "bot")
    for label, ua, _ in load_corpus():
        assert device_class(ua) in DEVICE_CLASSES, (label, ua)


def test_overlong_user_agent_is_cut_before_matching():
    assert device_class(IPHONE + " x" * 50_000) == "mobile"
