"""Device classes: the labelled User-Agent corpus, CloudFront's device headers, the cache, empty UAs.

``fixtures/user_agents.tsv`` holds real UAs (``class<TAB>user_agent<TAB>note``): strings browsers, apps,
TVs, consoles, crawlers and HTTP libraries send. Those noted "[device-detector fixture]" were drawn, by
maker/client category with a fixed seed, from the test fixtures of matomo-org/device-detector (UAs
collected from real traffic, labelled there); the rest were picked by hand to cover what the samples
miss (current Chrome/Safari/Firefox/Edge strings, Electron desktop apps, in-app browsers, TV and crawler
strings from the same fixtures and from public UA lists). The corpus was fixed before the classifier was
tuned: a miss is fixed in ``imgedge.device`` with a general rule, or stays a miss.
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from imgedge import device
from imgedge.device import DEVICE_CLASSES, device_class

CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "user_agents.tsv"
MIN_ACCURACY = 0.95
MIN_PER_CLASS = 40

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
    confusion: dict[str, Counter[str]] = defaultdict(Counter)
    misses: list[str] = []
    for label, ua, note in load_corpus():
        got = device_class(ua)
        confusion[label][got] += 1
        if got != label:
            misses.append(f"  {label} -> {got}: {ua}  ({note})")
    accuracy = {label: counts[label] / sum(counts.values()) for label, counts in confusion.items()}
    summary = "\n".join(
        f"{label:8} {accuracy[label]:.3f} of {sum(confusion[label].values()):3}  {dict(confusion[label])}"
        for label in DEVICE_CLASSES
    )
    failing = [label for label in DEVICE_CLASSES if accuracy[label] < MIN_ACCURACY]
    assert not failing, f"accuracy below {MIN_ACCURACY} for {failing}\n{summary}\nmisclassified:\n" + "\n".join(misses)


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
