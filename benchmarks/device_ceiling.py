"""How far can any classifier go on each source's labels? Ours against the field's maintained parsers.

    taskset -c 1 python benchmarks/device_ceiling.py [--cache FILE] [--ua-parser-js] [--misses]

Every UA of the labelled corpora (``fixtures/user_agents.tsv``, ``fixtures/ua/*.tsv``) is classified by
``imgedge.device`` and by the reference parsers, whose answers are mapped to our five classes by the same rule
the corpora's labels are (``scripts/build_ua_corpus.py``):

* Matomo device-detector, the PyPI ``device-detector`` port (the ``bench`` extra; never a runtime dependency:
  20 MB, ~14 ms a UA): a bot (``is_bot``) or an HTTP library's client type -> bot; its device type mapped as
  the device-detector corpus's labels are (console -> smarttv for home consoles); no device type -> no answer
  (counted wrong).
* ``--ua-parser-js``: ua-parser-js 2.x under Node (installed with npm into a temporary folder):
  ``device.type`` mobile, wearable -> mobile; tablet; smarttv; console -> smarttv for home consoles; no type
  -> desktop when its OS is a desktop's, else no answer; its ``isBot`` helper (with its ``Bots`` extensions:
  crawlers, fetchers, HTTP libraries and CLIs) -> bot. AGPL-3.0: run as a separate program, never shipped.

Per source, half and class it prints ours, each reference's accuracy and, against device-detector, how the
two split the strings: both right, ours only, its only, both wrong, and the share either gets right (a ceiling
for rules that would add device-detector's knowledge to ours). "Both wrong" is label policy (the source labels
a string as no maintained parser does: an e-mail client called a crawler, PhantomJS a desktop) or a device
neither knows; "its only" is where a classifier does better than ours on those labels. Our model table is derived
from device-detector's regexes, so its agreement with ours is not independent evidence: the value is in
the strings it gets right and we do not.

Two more columns count, of our misses, what no rule could take from the string: "all wrong", the misses every
reference parser run also calls differently from the label (label policy, or a device no table knows), and
"cannot tell", the misses whose string names nothing that tells its class (``cannot_tell``): an Android UA with no
model in its bracket ("Linux; Android 10; K"), a phone, tablet or TV sending a desktop's platform (iPadOS Safari's
Mac UA, a Samsung DeX session's X11, a Windows tablet's "Touch"), or a string labelled bot that is a stock browser's
UA with nothing added; and "open", the misses that are neither, all a rule could still take without fitting the
labels. All three are counts, read from no string: they are what the README's note on the bar cites.

``--misses`` lists those strings ("its only" and "both wrong"), for the tuning halves only: the validation
halves and the never-looked-at sources are measured, never read.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(ROOT / "scripts")]

from build_ua_corpus import HOME_CONSOLE_RE, MATOMO_TYPES, SCREEN  # noqa: E402

from imgedge.device import DEVICE_CLASSES, device_class  # noqa: E402

CORPORA = {"hand-picked": ROOT / "fixtures" / "user_agents.tsv",
           "device-detector": ROOT / "fixtures" / "ua" / "device_detector.tsv",
           "independent": ROOT / "fixtures" / "ua" / "independent.tsv"}
NO_ANSWER = "?"
UA_PARSER_JS = "ua-parser-js@2.0.10"
UA_PARSER_JS_TYPES = {"mobile": "mobile", "wearable": "mobile", "tablet": "tablet", "smarttv": "smarttv"}
#: ua-parser-js 2.x as a line filter: one JSON-encoded UA a line in, one JSON answer a line out.
UA_PARSER_JS_SCRIPT = """
const { UAParser } = require('ua-parser-js');
const { isBot } = require('ua-parser-js/bot-detection');
const { Bots } = require('ua-parser-js/extensions');
const lines = require('fs').readFileSync(0, 'utf8').split('\\n').filter(Boolean);
for (const line of lines) {
  const r = UAParser(JSON.parse(line), Bots);
  console.log(JSON.stringify({type: r.device.type || null, model: r.device.model || null, os: r.os.name || null,
                              bot: isBot(r)}));
}
"""
#: The items of an Android UA's bracket that name no device: platform, version, locale, Chrome's reduced "K", the
#: WebView's "wv", a bare build id.
PLATFORM_ITEM_RE = re.compile(r"(?:linux|u|android(?: [\d.]+)?|[a-z]{2}(?:[-_][a-z]{2,4})?|k|wv|mobile|build/\S*|"
                              r"arm\w*|x86_64|aarch64|i686)", re.I)
#: A desktop's platform bracket, sent by a phone, tablet or TV that says nothing else of itself.
DESKTOP_PLATFORM_RE = re.compile(r"^[^(]*\((?![^()]*(?:android|iphone|ipad|ipod))[^()]*(?:windows|macintosh|x11)", re.I)
#: A stock browser's UA, with no name added: Chrome, Safari, Edge, Opera (WebKit), Firefox, Internet Explorer.
STOCK_BROWSER_RE = re.compile(
    r"Mozilla/5\.0 \([^()]*\) AppleWebKit/[\d.]+ \(KHTML, like Gecko\)(?: Version/[\d.]+)?(?: Chrome/[\d.]+)?"
    r"(?: Mobile(?:/\w+)?)? Safari/[\d.]+(?: Edg/[\d.]+| OPR/[\d.]+)?"
    r"|Mozilla/5\.0 \([^()]*rv:[\d.]+\) Gecko/[\d.]+ Firefox/[\d.]+"
    r"|Mozilla/[45]\.0 \(compatible; MSIE [\d.]+; Windows[^()]*\)"
    r"|Mozilla/5\.0 \(Windows[^()]*Trident/7\.0;[^()]*rv:11\.0\) like Gecko",
)
DESKTOP_OS_RE = re.compile(r"windows|mac ?os|linux|ubuntu|debian|fedora|chrom|bsd|solaris|haiku|amiga", re.I)


def rows() -> list[tuple[str, str, str, str]]:
    """(group, label, ua, note): group is the corpus, its half, or the independent source (with its half)."""
    out = []
    for corpus, path in CORPORA.items():
        with path.open(encoding="utf-8", newline="") as f:
            for row in list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))[1:]:
                if corpus == "hand-picked":
                    out.append((corpus, row[0], row[1], row[2]))
                elif corpus == "device-detector":
                    out.append((f"{corpus}:{row[1]}", row[0], row[2], row[3]))
                else:
                    out.append((row[1], row[0], row[2], row[3]))
    return out


def device_detector_class(ua: str) -> str:
    from device_detector import DeviceDetector

    parsed = DeviceDetector(ua).parse()
    if parsed.is_bot() or parsed.client_type() == "library":
        return "bot"
    kind = getattr(parsed.device_type(), "value", parsed.device_type()) or ""
    label = MATOMO_TYPES.get(str(kind))
    if kind == "console":
        label = "smarttv" if HOME_CONSOLE_RE.search(parsed.device_model() or "") else None
    return label or NO_ANSWER


def device_detector_answers(uas: list[str], cache: Path | None) -> dict[str, str]:
    known: dict[str, str] = json.loads(cache.read_text()) if cache and cache.is_file() else {}
    for i, ua in enumerate(ua for ua in uas if ua not in known):
        known[ua] = device_detector_class(ua)
        if i % 500 == 499:
            print(f"device-detector: {i + 1} UAs", file=sys.stderr)
    if cache:
        cache.write_text(json.dumps(known))
    return known


def ua_parser_js_answers(uas: list[str]) -> dict[str, str]:
    if not shutil.which("npm"):
        raise SystemExit("--ua-parser-js needs Node and npm")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["npm", "install", "--silent", "--prefix", tmp, UA_PARSER_JS], check=True)
        script = Path(tmp) / "classify.js"
        script.write_text(UA_PARSER_JS_SCRIPT)
        out = subprocess.run(["node", str(script)], input="\n".join(json.dumps(ua) for ua in uas) + "\n",
                             cwd=tmp, capture_output=True, text=True, check=True).stdout.splitlines()
    answers = {}
    for ua, line in zip(uas, out, strict=True):
        r = json.loads(line)
        label = UA_PARSER_JS_TYPES.get(r["type"] or "")
        if r["type"] == "console":
            label = "smarttv" if HOME_CONSOLE_RE.search(r["model"] or "") else None
        if r["bot"]:
            label = "bot"
        elif r["type"] is None and DESKTOP_OS_RE.search(r["os"] or ""):
            label = "desktop"
        answers[ua] = label or NO_ANSWER
    return answers


def cannot_tell(ua: str, label: str) -> bool:
    """Whether ``ua`` names nothing that tells its ``label``: no model, a desktop's platform, a stock browser."""
    if label == "bot":
        return STOCK_BROWSER_RE.fullmatch(ua) is not None
    if label not in ("mobile", "tablet", "smarttv"):
        return False
    if DESKTOP_PLATFORM_RE.match(ua):
        return True
    bracket = re.search(r"\(([^()]*\bAndroid\b[^()]*)\)", ua)
    return bracket is not None and all(
        PLATFORM_ITEM_RE.fullmatch(item.strip()) for item in bracket.group(1).split(";") if item.strip())


def is_right(label: str, got: str) -> bool:
    return got not in ("bot", NO_ANSWER) if label == SCREEN else got == label


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", type=Path, help="a JSON file keeping device-detector's answers between runs")
    parser.add_argument("--ua-parser-js", action="store_true", help=f"also {UA_PARSER_JS} under Node (npm)")
    parser.add_argument("--misses", action="store_true", help="list the tuning halves' strings we get wrong")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    data = rows()
    uas = sorted({ua for _, _, ua, _ in data})
    references = {"device-detector": device_detector_answers(uas, args.cache)}
    if args.ua_parser_js:
        references["ua-parser-js"] = ua_parser_js_answers(uas)
    figures: dict[str, dict[str, dict[str, float]]] = defaultdict(dict)
    split: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for group, label, ua, note in data:
        ours = is_right(label, device_class(ua))
        dd = is_right(label, references["device-detector"][ua])
        split[(group, label)][("both right", "ours only", "its only", "both wrong")[(not ours) * 2 + (not dd)]] += 1
        split[(group, label)]["ours"] += ours
        all_wrong = not ours and not any(is_right(label, a[ua]) for a in references.values())
        unreadable = not ours and cannot_tell(ua, label)
        split[(group, label)]["all wrong"] += all_wrong
        split[(group, label)]["cannot tell"] += unreadable
        split[(group, label)]["open"] += not ours and not all_wrong and not unreadable
        for name, answers in references.items():
            split[(group, label)][name] += is_right(label, answers[ua])
        if args.misses and not ours and group.endswith("tune"):
            print(f"{group} {label} -> ours {device_class(ua)}, device-detector {references['device-detector'][ua]}"
                  f": {ua}  ({note})")
    names = ["ours", *references]
    header = ("| source, half | class | UAs | " + " | ".join(names)
              + " | both right | ours only | its only | both wrong | either right | all wrong | cannot tell | open |")
    lines = [header, "|" + "---|" * (header.count("|") - 1)]
    order = (*DEVICE_CLASSES, SCREEN)
    for (group, label), c in sorted(split.items(), key=lambda kv: (kv[0][0], order.index(kv[0][1]))):
        n = sum(c[k] for k in ("both right", "ours only", "its only", "both wrong"))
        counts = ("both right", "ours only", "its only", "both wrong", "all wrong", "cannot tell", "open")
        figures[group][label] = {"n": n, **{name: c[name] / n for name in names}, **{k: c[k] for k in counts}}
        lines.append(f"| {group} | {label} | {n} | " + " | ".join(f"{100 * c[k] / n:.1f}" for k in names)
                     + f" | {c['both right']} | {c['ours only']} | {c['its only']} | {c['both wrong']}"
                     + f" | {100 * (n - c['both wrong']) / n:.1f} | {c['all wrong']} | {c['cannot tell']}"
                     + f" | {c['open']} |")
    print(json.dumps(figures, indent=1) if args.json else "\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
