"""The device class of a viewer: ``mobile``, ``tablet``, ``desktop``, ``smarttv`` or ``bot``.

``device_class(user_agent, headers)`` picks the preset a request gets when it names no size. It runs in
the viewer-request Lambda@Edge function on every request, so each distinct User-Agent is classified once
and remembered (``functools.lru_cache``, 4096 entries).

How a class is decided, first match wins:

1. An empty or missing User-Agent is ``bot``. Every browser, WebView and app HTTP stack sends one; a
   request without it is nearly always a script, and ``bot`` gets the desktop preset.
2. The module's own rules below, before the library: crawlers, preview fetchers and HTTP libraries
   (``bot``), then TVs, streaming boxes and consoles (``smarttv``), then phone apps' own HTTP stacks
   (``mobile``), then Android apps on Chromebooks (``desktop``), then tablet model names (``tablet``).
3. The ``user_agents`` library (ua-parser's regexes): its ``is_bot``, ``is_tablet``, ``is_mobile`` and
   ``is_pc``, with one correction: an Android UA that is not a browser's (``Dalvik/…``, an app's own
   name) is ``mobile``, where the library calls it a tablet because it lacks "Mobile Safari".
4. A UA naming no platform the library knows (neither an OS nor a device: ``Scooter/3.3``,
   ``Dart/3.1 (dart:io)``) is ``bot``: browsers and apps on a screen always name their platform.
   Anything else is ``desktop``.

When ``headers`` carries CloudFront's ``CloudFront-Is-{SmartTV,Tablet,Mobile,Desktop}-Viewer`` headers,
they decide instead (smarttv > tablet > mobile > desktop when several are "true"), except that a UA
classed ``bot`` stays ``bot``: CloudFront calls crawlers and scripts desktop viewers. The UA
``Amazon CloudFront`` is CloudFront's stand-in for a viewer UA it does not forward to the origin (the
origin-facing events see it whenever the cache policy leaves User-Agent out): it says nothing about the
viewer, so the headers decide, and without them it is ``bot``.

Why the library needs rules of its own (measured on ``fixtures/user_agents.tsv``, library alone: mobile
95%, tablet 85%, desktop 91%, smarttv 0%, bot 52%): it has no TV class at all (Tizen, webOS, Roku, Fire TV,
Apple TV and consoles come out desktop, tablet, mobile or unknown); its Spider list misses crawlers that do
not say "bot" and every HTTP library (``curl``, ``python-requests``, ...); and it tells Android tablets
from phones only by the absence of "Mobile Safari", which is wrong both ways for WebViews and app UAs.

Known limits, by design:

* iPadOS 13+ Safari (and any iPad browser in "desktop website" mode) sends the macOS Safari UA; nothing in
  it tells an iPad from a Mac, so it is ``desktop``. Surface and other Windows tablets are ``desktop`` too.
* Android TV boxes and TVs whose UA carries only a model number (many no-name boxes, Nexus Player) look
  like Android tablets or phones, and Android tablets whose browser says "Mobile Safari" under an unknown
  model name look like phones: telling them apart would take a device database, not a rule.
* ``okhttp/x.y`` alone is ``mobile``, not ``bot``: OkHttp is Android's de-facto HTTP stack and its
  default UA is what Glide/Coil/Picasso image loaders in Android apps send; scripts using OkHttp are rare.
* ``WhatsApp/…`` is ``bot``: it is the link-preview fetch (og:image), not a screen showing the image.
* UAs are cut to 512 characters before matching, which bounds regex work and cache memory; real UAs
  are well under that.

Import cost (``python -X importtime``, Python 3.11 on the dev machine): this module itself ~4 ms (compiling
its regexes); ``user_agents`` with ua-parser and its ~1000 precompiled regexes ~175-210 ms, so it is
imported on the first UA that gets past the module's own rules rather than at import (crawlers, TVs and
tablet models never need it). A classification costs ~0.5 ms uncached (corpus average) and ~0.3 µs
cached. No Pillow, no numpy; the three packages add ~120 KB zipped to the Lambda package.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Mapping

DEVICE_CLASSES: tuple[str, ...] = ("mobile", "tablet", "desktop", "smarttv", "bot")

#: Longest UA prefix looked at: bounds regex time and the memory of the cache on hostile input.
_MAX_UA_CHARS = 512

#: The User-Agent CloudFront sends the origin in place of a viewer UA it does not forward.
_CLOUDFRONT_UA = "Amazon CloudFront"

#: CloudFront's device headers, in the order they win when several say "true".
_CLOUDFRONT_HEADERS: tuple[tuple[str, str], ...] = (
    ("cloudfront-is-smarttv-viewer", "smarttv"),
    ("cloudfront-is-tablet-viewer", "tablet"),
    ("cloudfront-is-mobile-viewer", "mobile"),
    ("cloudfront-is-desktop-viewer", "desktop"),
)

#: Crawlers, preview fetchers, monitors and headless browsers the library's Spider list misses:
#: - ``bot`` ending a name (Googlebot, TelegramBot, Pingdom.com_bot_, trendictionbot0.5): the universal
#:   crawler suffix. Only attached to a name, since phone models use it as a word ("Logicom M bot 51"),
#:   and not after "cu", for Cubot phones ("CUBOT NOTE S").
#: - crawl/spider/slurp/scrapy: crawler words (Baiduspider, Bytespider, Yahoo! Slurp, Scrapy).
#: - a URL or an e-mail address: crawlers name their operator (``+http://…/bot.html``,
#:   ``bytespider@bytedance.com``); browsers and apps never put either in their UA.
#: - preview: link unfurlers (BingPreview, SkypeUriPreview, Yahoo Link Preview).
#: - named fetchers without any of the above: facebookexternalhit, meta-external*, WhatsApp's link
#:   preview, Slack-ImgProxy, Pinterest's crawler, ia_archiver, Google-* tools (Google-InspectionTool),
#:   the AI assistants' fetchers (ChatGPT-User, Claude-User, Perplexity-User, anthropic-ai, cohere-ai).
#: - headless browsers and audits: HeadlessChrome/HeadlessEdg, Chrome-Lighthouse, PhantomJS, WebPageTest.
#: - monitor: uptime checkers (Site24x7 "…Monitoring", Datadog's "…monitor").
_BOT_RE = re.compile(
    r"(?<=[a-z_.-])(?<!cu)bot(?![a-z])|crawl|spider|slurp|scrapy|https?://|[\w.-]@[\w-]+\.[a-z]{2,}|preview"
    r"|facebookexternalhit|facebookcatalog|meta-external|^whatsapp/|slack-imgproxy|^pinterest/"
    r"|ia_archiver|\bgoogle-[a-z]|chatgpt-|claude-|perplexity-|anthropic-ai|cohere-ai"
    r"|headless|lighthouse|phantomjs|\bptst/|monitor",
    re.IGNORECASE,
)

#: HTTP client libraries, CLIs and SDKs: nobody is looking at a screen. Matched as a product token
#: (at the start, or after a space/bracket, followed by "/") so "curl" inside a word does not count.
_HTTP_LIBRARY_RE = re.compile(
    r"(?:^|[\s(;])(?:curl|libcurl|pycurl|wget|python-requests|python-urllib|python-httpx|httpx|aiohttp"
    r"|python|go-http-client|java|java-http-client|apache-httpclient|jakarta commons-httpclient"
    r"|grpc-[\w-]+|axios|node-fetch|node-superagent|undici|node|libwww-perl|lwp-\w+|perl"
    r"|postmanruntime|insomnia|httpie|ruby|faraday|guzzle|guzzlehttp|php|typhoeus|restsharp|winhttp"
    r"|reqwest|deno|bun|powershell|aws-sdk-[\w-]+|boto3|botocore)/",
    re.IGNORECASE,
)

#: Smart TVs, streaming sticks/boxes and TV consoles; the library has no TV class. Markers, by maker:
#: SMART-TV/SmartTV and "TV Safari" (Samsung Tizen/Orsay, Hisense, PS5, Yandex TV builds), HbbTV and
#: CE-HTML (European broadcast standards, only TVs and set-top boxes speak them), Web0S/webOS.TV/NetCast
#: (LG; plain "webOS" is also Palm's old phones), NETTV (Philips), Opera TV and OMI/ (Opera's TV SDK),
#: Viera (Panasonic), VIDAA (Hisense), VIZIO/ViziOS, BRAVIA (Sony), MiTV (Xiaomi), Roku, CrKey and
#: Chromecast (Google cast devices), GoogleTV/"Google TV" and "Android TV" (as the model names put it),
#: Fire TV (app UAs' device names), AppleTV/"Apple TV"/tvOS, Espial and "(DTV)" (Espial's STB browser),
#: "Large Screen" (GoogleTV and AltiBrowser set-top boxes), "TV Box"/"Smart Box", STB/stbapp (set-top
#: boxes, Infomir MAG), Hybridcast and YouView (Japan's and the UK's broadcast platforms), BrightSign
#: (signage players), Firefox for TV's "(TV;" and Yandex Browser's TV build (UA ending " TV"), "LED" and
#: a screen size in a model name (the usual TV model scheme: "TF-LED32S59T2S", "DM-LED43SR23"), Xbox,
#: PlayStation 2-5 and Nintendo Wii (consoles draw on a TV: they get the TV preset; the handhelds PS
#: Vita/PSP are left to the library, which calls them mobile), Linux on MIPS or SuperH (set-top box
#: CPUs, never a desktop's), TCL's "_TV_/" firmware tag, and an Android model name ending in "TV"
#: ("AND1E TV Build/") in a UA that does not say "Mobile": phones with TV tuners are named "… TV" too,
#: but their browsers say "Mobile Safari".
_TV_RE = re.compile(
    r"smart-?tv|\bTV Safari/|\sTV$|\(TV;|hbbtv|ce-html|web0s|webos\.tv|netcast|nettv/|opera tv|\bOMI/"
    r"|\bviera|vidaa|vizio|bravia|\bmitv|\broku|crkey|chromecast|google ?tv|android ?tv|fire ?tv"
    r"|apple ?tv|tvos|espial|\(DTV\)|large screen|tv ?box|smart ?box|\bstb(?:app)?\b|_stb_|hybridcast"
    r"|youview|brightsign|LED-?\d{2}|xbox|playstation ?[2-5]|\(PS[345]\)|nintendo wii"
    r"|linux (?:mips|sh4)|_TV_/|\bTV Build/(?!.*Mobile)",
    re.IGNORECASE,
)

#: Amazon Fire TV model codes all start "AFT" (AFTB, AFTM, AFTMM, AFTT, AFTS, AFTKA, AFTR, AFTGAZL...);
#: Fire tablets are "KF…". Case-sensitive, and not inside a longer token.
_FIRE_TV_RE = re.compile(r"(?<![A-Za-z0-9])AFT[A-Z]")

#: Phone apps' own HTTP stacks, which name no platform the library knows: OkHttp's default UA, sent by
#: Android apps' image loaders (Glide, Coil, Picasso), and the Facebook apps' native requests
#: ("[FBAN/FB4A;FBAV/…;FBDV/…]"; an iPad's say "FBDV/iPad", which the tablet rule sees first).
_MOBILE_APP_RE = re.compile(r"^okhttp/\d|^\[FBAN/", re.IGNORECASE)

#: Android apps on ChromeOS name the Chromebook as their device; the library sees an Android tablet.
_CHROMEBOOK_RE = re.compile(r"Chromebook")

#: Tablet model names the library misses, mostly Android tablets whose WebView or browser says
#: "Mobile Safari" (or app UAs that say neither): Samsung Galaxy Tab (SM-T/SM-P/SM-X, GT-P, GT-N5/N8 Note
#: tablets), Amazon Fire (KF + 2-6 capitals: KFTT, KFTRWI), Lenovo Tab (TB-X605F, TB-8506F, TB350FU) and
#: Yoga Tab/Book (YT-, YT3-, YB1-), Huawei MediaPad/MatePad model codes (AGS, AGR, BAH, BG2, BTV, CMR, DBY,
#: JDN, KOB, KRJ, MRX, SCM, with a generation digit: "DBY2-"), Nexus 7/9/10, Pixel C/Pixel Tablet, the
#: word Tablet (not Windows' "Tablet PC" capability flag), "Tab" as a model word or prefix ("Galaxy Tab",
#: "Lenovo Tab M10", "XTAB 7", "VTAB7"), and a model name ending in "Pad" (iPad, MediaPad, MatePad, ZenPad,
#: "Redmi Pad SE", "MI PAD"; not the ThinkPad/IdeaPad laptops nor Coolpad phones).
_TABLET_RE = re.compile(
    r"\b(?:SM-[TPX]\d{3}|GT-P\d{4}|GT-N[58]\d{3}|KF[A-Z]{2,6}\b|Lenovo TB|TB-?[A-Z0-9]{4,}\b|YT\d?-[A-Z0-9]"
    r"|YB\d?-[A-Z0-9]|(?:AGS|AGR|BAH|BG2|BTV|CMR|DBY|JDN|KOB|KRJ|MRX|SCM)\d?-[A-Z]"
    r"|Nexus (?:7|9|10)\b|Pixel C\b|Pixel Tablet|Tablet(?! PC)|[A-Za-z]?(?i:tab)(?=\b|\d))"
    r"|(?<!Think)(?<!Idea)(?<!Cool)(?<!COOL)(?:Pad|PAD)\b",
)

#: Android UAs from browsers and WebViews carry "Safari" (or Gecko for Firefox); the library's tablet test
#: ("Android without Mobile Safari") only makes sense for them.
_BROWSER_RE = re.compile(r"Safari|Gecko/")


def device_class(user_agent: str | None, headers: Mapping[str, str] | None = None) -> str:
    """The device class of a viewer: one of ``DEVICE_CLASSES``.

    ``headers`` is a plain mapping of lowercase header names to values; only CloudFront's
    ``cloudfront-is-*-viewer`` headers are read, and they decide unless the UA is a bot's (a UA of
    ``Amazon CloudFront`` is no one's: there the headers decide, and without them it is ``bot``).
    """
    ua = (user_agent or "")[:_MAX_UA_CHARS]
    from_headers = _from_cloudfront_headers(headers) if headers else None
    if ua.strip() == _CLOUDFRONT_UA:
        return from_headers or "bot"
    from_ua = _classify_user_agent(ua)
    if from_ua == "bot":
        return "bot"
    return from_headers or from_ua


def _from_cloudfront_headers(headers: Mapping[str, str]) -> str | None:
    for name, device in _CLOUDFRONT_HEADERS:
        if headers.get(name, "").strip().lower() == "true":
            return device
    return None


@lru_cache(maxsize=4096)
def _classify_user_agent(ua: str) -> str:
    ua = ua.strip()
    if not ua or _BOT_RE.search(ua) or _HTTP_LIBRARY_RE.search(ua):
        return "bot"
    if _TV_RE.search(ua) or _FIRE_TV_RE.search(ua):
        return "smarttv"
    if _MOBILE_APP_RE.search(ua):
        return "mobile"
    if _CHROMEBOOK_RE.search(ua):
        return "desktop"
    if _TABLET_RE.search(ua):
        return "tablet"
    return _classify_with_library(ua)


def _classify_with_library(ua: str) -> str:
    from user_agents import parse  # ~200 ms import: paid by the first UA that needs it, not at import

    parsed = parse(ua)
    if parsed.is_bot:
        return "bot"
    if parsed.is_tablet:
        is_android_app = parsed.os.family == "Android" and not _BROWSER_RE.search(ua)
        return "mobile" if is_android_app else "tablet"
    if parsed.is_mobile:
        return "mobile"
    if parsed.is_pc:
        return "desktop"
    if parsed.os.family == "Other" and parsed.device.family == "Other":
        return "bot"
    return "desktop"
