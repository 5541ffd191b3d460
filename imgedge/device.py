"""The device class of a viewer: ``mobile``, ``tablet``, ``desktop``, ``smarttv`` or ``bot``.

``device_class(user_agent, headers)`` picks the preset a request gets when it names no size. It runs in
the viewer-request Lambda@Edge function on every request, so each distinct User-Agent is classified once
and remembered (``functools.lru_cache``, 4096 entries).

How a class is decided, first match wins:

1. An empty or missing User-Agent is ``bot``. Every browser, WebView and app HTTP stack sends one; a
   request without it is nearly always a script, and ``bot`` gets the desktop preset.
2. Keyword rules that no device model overrides: crawlers, preview fetchers, monitors and HTTP libraries
   (``bot``), then TVs, streaming boxes and home consoles (``smarttv``), then phone apps' own HTTP stacks
   (``mobile``), then HarmonyOS NEXT's own device type, then Android apps on Chromebooks (``desktop``), then a
   "Tablet" item in the platform bracket (Firefox for Android's, apps') and Puffin's tablet builds (``tablet``; its
   iPhone build ``mobile``).
3. The device model, for UAs that can name one (not Windows, macOS, iOS or X11 ones, whose brackets
   hold no phone, tablet or TV model code): ``imgedge.device_models`` looks the UA's model tokens up in a
   table of ~47,000 generated at build time from Matomo device-detector's device regexes and Mobile-Detect's
   tablet regexes. This is what
   tells an Android tablet whose browser says "Mobile Safari" from a phone, a TV box from a tablet and an
   Android mini-PC from either. Two checks on its answer: on Android 3 (tablets only) a phone's code is
   another device's, and a maker's name alone does not outvote a browser that lays out for a tablet.
4. Keyword rules for the UAs the table does not know: tablet names (Galaxy Tab codes, "Tab", "Pad",
   Kindle...), then "Android without Mobile" (a tablet for a browser, a phone for an app's own stack),
   then phone platforms and browsers (``mobile``), then desktop platforms (``desktop``). A UA naming no
   platform at all (``Scooter/3.3``, ``Dart/3.1 (dart:io)``) is ``bot``: browsers and apps on a screen
   always name theirs.

When ``headers`` carries CloudFront's ``CloudFront-Is-{SmartTV,Tablet,Mobile,Desktop}-Viewer`` headers,
they decide instead (smarttv > tablet > mobile > desktop when several are "true"), except that a UA
classed ``bot`` stays ``bot``: CloudFront calls crawlers and scripts desktop viewers. The UA
``Amazon CloudFront`` is CloudFront's stand-in for a viewer UA it does not forward to the origin (the
origin-facing events see it whenever the cache policy leaves User-Agent out): it says nothing about the
viewer, so the headers decide, and without them it is ``bot``.

Accuracy per class, on labelled corpora (``tests/test_device.py`` holds the floors, the README the figures):
the fixtures of device-detector, ua-parser-js, woothee, crawler-user-agents, mobile-detect, npm ``device``,
bowser, crawlerdetect, WhichBrowser, isbot, Yauaa and browscap (tuning and validation halves each, only the
tuning halves' misses read; device-detector's and mobile-detect's are not independent of the model table, which
is derived from those projects); ``scripts/build_ua_corpus.py`` builds them, ``benchmarks/device_ceiling.py``
measures the field's maintained parsers on the same labels.

Known limits, by design:

* iPadOS 13+ Safari (and any iPad browser in "desktop website" mode) sends the macOS Safari UA; nothing in
  it tells an iPad from a Mac, so it is ``desktop``. The other iPad browsers keep their iOS token in it
  (``FxiOS/``, ``CriOS/``, ``EdgiOS/``): those are ``tablet``, an iPhone asking for the desktop site too.
* Surface and other Windows tablets are ``desktop`` (Windows says "Touch" on touch laptops as well), except
  Windows RT ("Windows NT 6.2; ARM;"), which ran on tablets only.
* A model the table does not know falls to the keyword rules: an unknown Android tablet whose browser
  says "Mobile Safari" is ``mobile``, an unknown TV box without "TV" in its name ``tablet``. A maker's name
  alone (the table's brand tokens) does not outvote an Android browser that lays out for a tablet.
* Handheld consoles with a phone-sized screen (PSP, Vita, Nintendo DS/3DS) are ``mobile``; the Switch and
  Steam Deck are whatever their platform says; home consoles (PlayStation, Xbox, Wii) are ``smarttv``: they
  draw on a TV.
* ``okhttp/x.y`` alone is ``mobile``, not ``bot``: OkHttp is Android's de-facto HTTP stack and its
  default UA is what Glide/Coil/Picasso image loaders in Android apps send; scripts using OkHttp are rare.
* ``WhatsApp/…`` is ``bot``: it is the link-preview fetch (og:image), not a screen showing the image.
* UAs are cut to 512 characters before matching, which bounds regex work and cache memory; real UAs
  are well under that.

Cost (``benchmarks/device.py``): the table is read on the first UA that reaches step 3 (~30 ms, ~6 MB),
not at import; a classification costs ~0.1 ms uncached (median, corpus) and ~0.3 µs cached. No
third-party package: the viewer-request zip carries the table (~0.15 MB zipped) and nothing else for this.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Mapping

from imgedge.device_models import model_match

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

#: Crawlers, preview fetchers, monitors and headless browsers:
#: - ``bot`` ending a name (Googlebot, TelegramBot, Pingdom.com_bot_, trendictionbot0.5): the universal crawler suffix.
#:   Only attached to a name, since phone models use it as a word ("Logicom M bot 51"), and not after "cu", for Cubot
#:   phones ("CUBOT NOTE S").
#: - crawl/spider/slurp/scrapy: crawler words (Baiduspider, Bytespider, Yahoo! Slurp, Scrapy).
#: - an e-mail address: crawlers name their operator (``bytespider@bytedance.com``); a URL too, but see ``_URL_RE``:
#:   desktop feed readers and media players also name their homepage.
#: - preview: link unfurlers (BingPreview, SkypeUriPreview, Yahoo Link Preview).
#: - named fetchers without any of the above: facebookexternalhit, meta-external*, WhatsApp's link preview (also after a
#:   prefix: "*_WhatsApp/2.12"), Slack-ImgProxy, Pinterest's crawler, ia_archiver, Google-* tools
#:   (Google-InspectionTool), the AI assistants' fetchers (ChatGPT-User, Claude-User, Perplexity-User, anthropic-ai,
#:   cohere-ai).
#: - headless browsers and audits: HeadlessChrome/HeadlessEdg, Chrome-Lighthouse, PhantomJS, WebPageTest ("PTST/",
#:   "PTST 2.264"), and the "(Unknown; Linux x86_64)" platform of headless QtWebKit (PhantomJS and the tools built on
#:   it; not on ARM, where LG's TVs and set-top boxes send it).
#: - monitor: uptime checkers (Site24x7 "…Monitoring", Datadog's "…monitor"); and the other words of automation no
#:   person's browser says: inspector, diagnostics, observatory, synthetic (monitoring), link check, scan/scanner (a
#:   word of its own: CamScanner is a phone app), favicon (fetchers), PageSpeed, Search Console, an AI agent's
#:   "<name>-User/", a checker, fetcher, harvester, archiver, validator, indexer, analyzer, downloader or extractor,
#:   sitemaps, SEO, uptime, a feed fetcher's "N subscribers", scraper, screenshot, thumbnail, capture, probe, tester,
#:   parser, collector, grabber, (site) sucker, robot, survey, research, prerender, a build's "-SNAPSHOT", Pingdom,
#:   Catchpoint, Dotcom-Monitor's DMBrowser and MarketGoo (monitors and SEO audits); a domain name outside a URL,
#:   subdomains too ("Criticalcss.com/2.0", "Match by Siteimprove.com", "+devin.ai", "www.example.com)"): services name
#:   themselves so, browsers never, but not a phone or tablet app named by its shop's or paper's domain with its device
#:   first in its own bracket ("bol.com/1.8.2 (iPad; iOS 9.3; Scale/2.00)": iOS and Android apps' form, which crawlers
#:   do not send); "compatible;", Google's or any name inserted in a WebKit browser's engine bracket ("(KHTML, like
#:   Gecko; compatible; BW/1.2)", "(KHTML, like Gecko; GoogleAdSenseInfeed)", "(KHTML, like Gecko GomezAgent 3.0)"), a
#:   name after "rv:" in a desktop's Firefox or IE 11 bracket ("rv:45.0; Rigor)", "rv:11.0; Catchpoint)", also of two
#:   words and without the space: "rv:1.9.2.8;baidu Transcoder)"): browsers end
#:   it with their "rv:" version; KaiOS phones put their model after it), the automation words Selenium, devtools and
#:   classifier, a bare name between that bracket and the browser's "Version/" or "Mobile/" (a browser's own tokens
#:   always carry a version: "(KHTML, like Gecko) Hotjar Version/11.0"), "-Google" ending a name (DuplexWeb-Google,
#:   APIs-Google), and "Mozilla/5.0 (compatible; Name/1.0)" naming no platform: the forms crawlers that pose as browsers
#:   use.
#: - security and vulnerability scanners by name (OpenVAS, Nessus, Nikto, sqlmap, Acunetix, Burp Collaborator, Nmap,
#:   ZGrab, Nuclei, watchTowr, Netsparker, Qualys), Lightspeed Systems' web-filter crawler, the Siteimprove monitor
#:   ("... by Siteimprove"), Daum's crawler Daumoa and the page-to-image converters (khtml2png, wkhtmltoimage/-pdf);
#:   and a platform bracket written with a colon ("(Macintosh: Intel Mac OS X"): a hand-made imitation, since
#:   browsers write a semicolon there. WhatsApp's desktop app (an Electron app) is not its link preview.
_BOT_RE = re.compile(
    r"(?<=[a-z_.-])(?<!cu)bot(?![a-z])|crawl|spider|slurp|scrapy|[\w.-]@[\w-]+\.[a-z]{2,}|preview"
    r"|facebookexternalhit|facebookcatalog|meta-external|whatsapp/(?!.*electron/)|slack-imgproxy|^pinterest/"
    r"|ia_archiver|\bgoogle-[a-z]|chatgpt-|claude-|perplexity-|anthropic-ai|cohere-ai|-user/"
    r"|headless|lighthouse|phantomjs|\(unknown; linux (?!arm)|\bptst\b|monitor|inspector|diagnostic"
    r"|observatory|synthetic|linkcheck|(?<![a-z])scan(?:ner)?\b"
    r"|favicon|page ?speed|search console|checker\b|fetch(?:er|or)\b|harvester|archiver|validator"
    r"|indexer|analy[sz]er|sitemap|\bseo|uptime|downloader|extractor|\d subscribers|scraper|screenshot|thumbnail"
    r"|capture|pingdom|catchpoint|dmbrowser|marketgoo|probe|tester\b|\bparser|collector|grabber|sucker|spyder|robot"
    r"|survey|research|prerender|snapshot"
    r"|openvas|n(?:essus|ikto|uclei|etsparker|(?<=\bn)map\b)|s(?:qlmap|iteimprove)|acunetix|burpcollaborator|zgrab"
    r"|qualys|w(?:atchtowr|khtmlto)|lightspeedsystems|daumoa|khtml2png|\((?:macintosh|windows|x11|linux):"
    r"|(?<![\w./@-])(?!^(?:[\w-]+\.)+[a-z]{2,}/[\d.]+ \((?:ipad|iphone|ipados|ios|android)\b)"
    r"(?:[\w-]+\.)+(?:com|net|org|io|ai)(?:/|\b(?![.\w-]))"
    r"|like gecko(?:[;,] (?:compatible;|[^)]*google)| [a-z][^()]*\))|selenium|devtools|classifier"
    r"|(?:windows|x11|macintosh)[^()]*rv:[\d.]+; ?[a-z][\w-]*(?: [a-z][\w-]*)?\)"
    r"|like gecko\) [a-z][\w-]* (?:version|mobile)/|-google\b"
    r"|^mozilla/\d\.\d \(compatible; [^;()]+\)$",
)

#: A desktop browser's UA with a bare name after its last version ("... Safari/537.36 CybaaAgent", "... Firefox/3.0.5
#: WebMoney Advisor", "... Safari/537.36 Inspici (www.inspici.com)", "... Safari/537.36; OneTrust;"): a service naming
#: itself so; browsers and apps add "Name/version". So is Firefox's platform bracket ("rv:66.0)") with neither Gecko nor
#: Firefox (nor Pale Moon's Goanna) after it ("... rv:66.0) WhatCMS/1.0"), unless it is Internet Explorer 11's
#: (Trident), whose "like Gecko" some builds leave out. After the TV rules: TV builds end in "SMART-TV".
_POSING_BROWSER_RE = re.compile(
    r"^mozilla/5\.0 \((?:windows|macintosh|x11)[^()]*\).*\b(?:safari|firefox|chrome|gecko|edg)/[\d.]+"
    r"(?: [a-z][\w-]{2,}(?: [a-z][\w-]*)*(?: \([^()]*\))?|; [a-z][\w-]{2,};?)$"
    r"|^mozilla/5\.0 \((?![^()]*trident)[^()]*\brv:[\d.]+\)(?!.*(?:gecko|goanna|firefox))",
)

#: A URL in a UA: crawlers name their operator's page (``+http://…/bot.html``); browsers never do.
_URL_RE = re.compile(r"https?://")

#: ...except apps that name their homepage beside their platform in their own comment, before any
#: "Mozilla/" (``NetNewsWire (macOS; RSS Reader; https://…)``, ``FeedDemon/4.5 (http://…; Microsoft
#: Windows XP)``, ``XBMC/9.04 (Mac OS X; Darwin 9.6.0; http://…)``): desktop feed readers, podcast clients and
#: media players. Crawlers that name a platform do it inside a browser's "Mozilla/5.0 (…)" string.
_APP_HOMEPAGE_RE = re.compile(
    r"^(?!mozilla/)[^(]*\((?=[^()]*https?://)(?=[^()]*(?:windows|mac ?os|macos|ipad|iphone|ios\b))",
)

#: HTTP client libraries, CLIs and SDKs: nobody is looking at a screen. Matched as a product token
#: (at the start, or after a space/bracket, followed by "/") so "curl" inside a word does not count; not
#: "Java/" in a feature phone's UA, where it names the phone's J2ME runtime ("Java/ASVM/1.0 Profile/MIDP-2.0").
#: Also a Go runtime's version as an item of a bracket ("gitlab-runner 17.5.3 (17-5-stable; go1.22.7; linux/amd64)"):
#: Go programs name it so, browsers and apps on a screen never. And the package managers (apt, pip, npm, yarn, conda),
#: whose UAs name a Linux distribution, which the desktop rule would take for a desktop's platform.
_HTTP_LIBRARY_RE = re.compile(
    r"(?:^|[\s(;])(?:curl|libcurl|pycurl|wget|python-requests|python-urllib|python-httpx|httpx|aiohttp"
    r"|python|go-http-client|java(?!/.*\b(?:midp|cldc))|java-http-client|apache-httpclient|jakarta commons-httpclient"
    r"|grpc-[\w-]+|axios|node-fetch|node-superagent|undici|node|libwww-perl|lwp-\w+|perl"
    r"|postmanruntime|insomnia|httpie|ruby|faraday|guzzle|guzzlehttp|php|typhoeus|restsharp|winhttp"
    r"|reqwest|deno|bun|powershell|aws-sdk-[\w-]+|boto3|botocore|hackney|apt-http|pip|npm|pnpm|yarn|conda)/"
    r"|[(; ]go1\.\d+(?:\.\d+)?[;)]",
)

#: Smart TVs, streaming sticks/boxes and TV consoles, by the markers of their platforms. By maker: SMART-TV/SmartTV and
#: "TV Safari" (Samsung Tizen/Orsay, Hisense, PS5, Yandex TV builds), HbbTV and CE-HTML (European broadcast standards,
#: only TVs and set-top boxes speak them), Web0S/webOS.TV/webOSTV/NetCast (LG; plain "webOS" is also Palm's old phones),
#: NETTV (Philips), Opera TV and OMI/ (Opera's TV SDK), Viera (Panasonic), VIDAA (Hisense), VIZIO/ViziOS, BRAVIA (Sony),
#: MiTV (Xiaomi), Roku, CrKey and Chromecast (Google cast devices), GoogleTV/"Google TV" and "Android TV" (as the model
#: names put it), Fire TV (app UAs' device names), AppleTV/"Apple TV"/tvOS, Espial and "(DTV" (Espial's and NetFront's
#: set-top box browsers), "intelce" (Intel's set-top box chips), "Large Screen" (GoogleTV and AltiBrowser set-top
#: boxes), "TV Box"/"Smart Box", STB/stbapp (set-top boxes, Infomir MAG), Hybridcast and YouView (Japan's and the UK's
#: broadcast platforms), BrightSign (signage players), Firefox for TV's "(TV;" and Yandex Browser's TV build (UA ending
#: " TV"), "LED" and a screen size in a model name (the usual TV model scheme: "TF-LED32S59T2S", "DM-LED43SR23"), Xbox,
#: PlayStation 2-5 and Nintendo Wii, also its system's own "wii libnup/1.0" (consoles draw on a TV: they get the TV
#: preset; the handhelds PS Vita/PSP are left to the platform rules), Linux on MIPS or SuperH (set-top box CPUs, never a
#: desktop's), TCL's "_TV_/" firmware tag, and an Android model name ending in "TV" or "Box" ("AND1E TV Build/", "SWTV
#: Build/", "MagicBox Build/") in a UA that does not say "Mobile": phones with TV tuners are named "… TV" too, but their
#: browsers say "Mobile Safari". Then device-detector's own TV markers: the "<brand> Shell <model>" firmware of Russian
#: and Eastern European TV sets, "Android Box"/"Android Stick", the TV Bro browser, and the TV makers' and TV platforms'
#: browsers and firmware (MSN's WebTV, Toshiba's TSBNetTV/Toshiba_TP and InettvBrowser, Sony's SonyCEBrowser, Samsung's
#: Maple, Boxee, the Kylo TV browser, TiVo, Vewd (Opera TV's successor), Freebox, Humax set-top boxes, DLNA media
#: renderers' "DLNADOC"), the set-top boxes' embedded engines (WPE WebKit, and QtWebEngine with Sky's "GW-Device"),
#: Android TV's WebView ("wv-atv"), TCL's TV engine, the OUYA console, and a model name with the word "TV" in it
#: ("Rombica TV Fly", "net tv.plus") in a UA that does not say "Mobile"; and a model code that starts with the screen's
#: size in inches ("24OVF6000H", "50OV6000U", "43LU8010T"): TV makers' scheme (every code of that shape in the model
#: table is a TV's), even where the WebView says "Mobile"; and the SRAF/ browser framework of Hisense's and other TVs;
#: YouTube's TV app engine Cobalt and its Starboard porting layer (TVs, set-top boxes, consoles), the PlayStation 2's
#: "(PS2;" bracket and the PS3's CellOS, Netgem's set-top boxes, and the set-top box browsers Zetakey and Espial's
#: Escape ("Escape 5.1.8").
_TV_RE = re.compile(
    r"smart[-_]?tv|\btv safari/|\stv$|\(tv;|hbbtv|ce-html|web0s|webos\.?tv|netcast|nettv/|opera tv|\bomi/"
    r"|\bviera|vidaa|vizio|bravia|\bmitv|\broku|crkey|chromecast|google ?tv|android ?tv|fire ?tv"
    r"|apple ?tv|tvos|espial|\(dtv[;)]|intelce|large screen|tv ?box|smart ?box|\bstb(?:app)?\b|_stb_|hybridcast"
    r"|youview|brightsign|led-?\d{2}|xbox|playstation ?[2-5]|\(ps[345]\)|\bwii"
    r"|linux (?:mips|sh4)|_tv_/|(?:tv|box) build/(?!.*mobile)|\b[a-z]+[ _]shell[ _]\w{6}|android (?:tv )?(?:box|stick)"
    r"|^tv bro/|qtwebengine.*\bgw-device/|\bwpe\b|wv-atv|tclwebkit|\bouya\b|\bsraf/"
    r"|cobalt/\d|starboard/|\((?:ps[2-5][;)]|cellos\))|netgem|zetakey|escape[ /]\d"
    r"|webtv|tsbnettv|toshiba_tp|inettvbrowser|sonycebrowser|\bmaple\d|boxee|\bkylo/|\btivo\b|vewd|freebox|humax|dlnadoc"
    r"|;\s[^;()]*\btv\b[^;()]*(?:\sbuild/|\))(?!.*mobile)|;\s[2-9]\d[a-z]{2,}\d{3,}[a-z0-9]*(?:\sbuild/|[;)])",
)

#: Android TV boxes by their families' model names (MXQ, MXIII, H96, X96, T95, A95X, M8S, TX3 Pro..., the MK68, MK808,
#: MK908 sticks), the chips only TV boxes carry (Amlogic S905, S912) as a model name, Amlogic's reference boards and the
#: M8 family as the whole model ("p281", "q201", "M8") and Rockchip's "_dongle_" sticks, Mecool's KM sticks and boxes
#: ("KM8PRO", not the KM10xx tablets), A-Box and the CX-919 sticks, and TP Vision's (Philips) Android TV chassis codes
#: ("QM151E", "QV151E", "QM164E"), and "4K" as a part of a model name ("KN-4KASB", "AS_4K_CI_PRO": the boxes' and TVs'
#: output resolution, which phone and tablet makers do not name their screens by): sold under many names, never as
#: phones. Searched in Android UAs only, so that other UAs do not pay for it.
_TV_BOX_RE = re.compile(
    r"\bmx(?:q|iii|iv)|\b(?:h96|x96|t95|a95x|m8s)(?!\d)|\bmk\d{2,3}(?:[a-z]|\b)|\btx[3-9] (?:pro|mini|max|plus)\b"
    r"|\bs9(?:0[35]|1[02])\b|; (?:[pq]2\d\d|m8) build/|_dongle_|[-_ ]4k(?=[^()]*\))"
    r"|\b(?:km[1-9](?:pro|\b)|abox\b|cx-?919\b|q[mv]1[5-9]\d[a-z]\b)",
)

#: Amazon Fire TV model codes all start "AFT" (AFTB, AFTM, AFTMM, AFTT, AFTS, AFTKA, AFTR, AFTGAZL...);
#: Fire tablets are "KF…". Case-sensitive, and not inside a longer token.
_FIRE_TV_RE = re.compile(r"(?<![A-Za-z0-9])AFT[A-Z]")

#: Android 3 (Honeycomb) shipped on tablets (and Google TV boxes, which the model table knows) only, never on
#: phones: a model code the table calls a phone's is some other device's code reused.
_HONEYCOMB_RE = re.compile(r"Android 3\.\d")

#: Phone apps' own HTTP stacks, which name no platform: OkHttp's default UA, sent by
#: Android apps' image loaders (Glide, Coil, Picasso), and the Facebook apps' native requests
#: ("[FBAN/FB4A;FBAV/…;FBDV/…]"; an iPad's say "FBDV/iPad", which the tablet rule sees first).
_MOBILE_APP_RE = re.compile(r"^okhttp/\d|^\[fban/")

#: Handheld consoles with a phone-sized screen (PSP, PS Vita, Nintendo DS/DSi/3DS): their browsers name no
#: phone platform (the Vita's says "Silk", which is otherwise a Kindle's; the DS's Opera names the DS by its
#: codename, "Nitro"); Android watches ("Google Pixel Watch"), whose browsers do not say "Mobile" either; and the VR
#: headsets' browsers (Meta's OculusBrowser, PicoBrowser, "like Quest", "VR Safari"), which send a desktop's or a
#: tablet's platform: the labels' sources call them wearables, as they do watches.
_HANDHELD_RE = re.compile(
    r"playstation portable|playstation vita|\(psp\b|nintendo (?:dsi?|3ds)\b|; nitro\)|android[^()]*\bwatch\b"
    r"|oculusbrowser|picobrowser|like quest| vr safari",
)

#: HarmonyOS NEXT (OpenHarmony) browsers name the device type first in their bracket, in Huawei's documented
#: form "Mozilla/5.0 (<type>; OpenHarmony <version>…)": Phone, Tablet, PC, 2in1, Wearable, TV.
_HARMONY_RE = re.compile(r"^mozilla/5\.0 \((phone|tablet|pc|2in1|wearable|tv); openharmony")
_HARMONY_TYPES = {"phone": "mobile", "wearable": "mobile", "tablet": "tablet", "pc": "desktop", "2in1": "desktop",
                  "tv": "smarttv"}

#: Android apps on ChromeOS name the Chromebook as their device; they would look like Android tablets.
_CHROMEBOOK_RE = re.compile(r"Chromebook")

#: Tablet model names and words, for models the table does not know: mostly Android tablets whose WebView or browser
#: says "Mobile Safari" (or app UAs that say neither): Samsung Galaxy Tab (SM-T/SM-P/SM-X, GT-P, GT-N5/N8 Note tablets),
#: Amazon Fire (KF + 2-6 capitals: KFTT, KFTRWI), Lenovo Tab (TB-X605F, TB-8506F, TB350FU) and Yoga Tab/Book (YT-, YT3-,
#: YB1-), Huawei MediaPad/MatePad model codes (AGS, AGR, BAH, BG2, BTV, CMR, DBY, JDN, KOB, KRJ, MRX, SCM, with a
#: generation digit: "DBY2-"), Nexus 7/9/10, Pixel C/Pixel Tablet, the word Tablet (not Windows' "Tablet PC" capability
#: flag), "Tab" as a model word or prefix ("Galaxy Tab", "Lenovo Tab M10", "XTAB 7", "VTAB7"), and a model name ending
#: in "Pad" (iPad, MediaPad, MatePad, ZenPad, "Redmi Pad SE", "MI PAD", "iPad8,9" in app UAs; not the ThinkPad/IdeaPad
#: laptops nor Coolpad phones); the e-readers and older tablets by name (Kindle and Fire's Silk browser, BlackBerry
#: PlayBook, Motorola Xoom, HP TouchPad, Barnes & Noble NOOK/BNTV/BNRV, PocketBook, Kobo, Pandigital, whose devices were
#: all tablets and e-readers), Fuhu's nabi and WeTab (makers of tablets only); apps' "iPadOS" platform; "Tab" also after
#: an underscore ("GALAXY_Tab"); and iPhone OS 3.2, which shipped on the first iPad only (as Android 3 on tablets only).
_TABLET_RE = re.compile(
    r"\b(?:SM-[TPX]\d{3}|GT-P\d{4}|GT-N[58]\d{3}|KF[A-Z]{2,6}\b|Lenovo TB|TB-?[A-Z0-9]{4,}\b|YT\d?-[A-Z0-9]"
    r"|YB\d?-[A-Z0-9]|(?:AGS|AGR|BAH|BG2|BTV|CMR|DBY|JDN|KOB|KRJ|MRX|SCM)\d?-[A-Z]"
    r"|Nexus (?:7|9|10)\b|Pixel C\b|Pixel Tablet|Tablet(?! PC)|[A-Za-z]?(?i:tab)(?=\b|\d)"
    r"|OS 3_2 like Mac OS X|Kindle|Silk/|PlayBook|RIM Tablet|Xoom|TouchPad|hp-tablet|NOOK|Nook\b|BNTV|BNRV"
    r"|PocketBook|Kobo|iPadOS|pandigital|(?i:nabi|wetab))"
    r"|_(?i:tab)(?=\b|\d)|(?<!Think)(?<!Idea)(?<!Cool)(?<!COOL)(?:Pad|PAD)(?:\b|\d|_)",
)

#: Puffin sends a desktop Linux UA from every device and says which in its version's suffix: "IT" (iPad), "AT"
#: (Android tablet), "IP" (iPhone); "AP" (Android phones) the TV builds say as well, so it is not taken.
_PUFFIN_RE = re.compile(r"puffin/[\d.]+(ip|[ai]t)\b")

#: A device type as an item of its own in the platform bracket, as Firefox for Android ("(Android 4.4; Tablet;
#: rv:41.0)"), Sailfish, Ubuntu Touch and apps' own stacks ("Bol.com/1.2.3 (Android 9; SM-G955F; Tablet)") say it: the
#: device's own word for its screen, which outvotes a model code (one app build runs on a maker's phones and tablets).
_TABLET_ITEM_RE = re.compile(r"[(;] ?Tablet[;)]")

#: Asus's PadFone is a phone that docks into a tablet shell; docked, its browser drops "Mobile" (or asks for the
#: desktop layout) and lays out for the tablet's screen.
_DOCKED_PHONE_RE = re.compile(r"PadFone(?!.*Mobile)")

#: An iOS-only browser (Firefox, Chrome, Edge, Opera for iOS) in a Mac UA: iPadOS browsers ask for the desktop
#: layout by default and send the Mac platform, but keep their own iOS token; an iPhone does so only when
#: its user asks for the desktop site.
_IPAD_AS_MAC_RE = re.compile(r"macintosh.*\b(?:fxios|crios|edgios|opios)/")

#: Android UAs from browsers and WebViews carry "Safari" (or Gecko for Firefox, or at least "Chrome/": Firefox
#: Focus's GeckoView UA has neither); "Android without Mobile"
#: means a tablet only for them: an app's own HTTP stack (``Dalvik/…``) never says "Mobile".
_BROWSER_RE = re.compile(r"Safari|Gecko/|Chrome/")

#: Phones and other pocket screens by platform or browser: iPhone/iPod, Android that says "Mobile", and the mobile-only
#: platforms and browsers (Windows Phone, BlackBerry, Symbian/S40/S60, J2ME/MIDP feature phones, KaiOS, Firefox OS's
#: "Mobile;", Opera Mini, UC Browser's "UCWEB" and "iPh<n>" device codes, Sailfish, Ubuntu Touch, the Japanese and BREW
#: feature phones' UP.Browser/MMP and carrier names (DoCoMo, KDDI, SoftBank, Vodafone, J-PHONE, WILLCOM, DDIPOCKET,
#: i-mode's portalmmm, FOMA, EMOBILE) and their jig and NF browsers, Apple Watch's "Watch OS", Windows Phone's desktop
#: mode ("WPDesktop") and iOS apps' Safari stack ("MobileSafari/…"); the feature phones' and early smartphones' browsers
#: and platforms (Teleca/Obigo, Samsung's Dolfin and Bada, Nokia's Maemo, Openwave, Polaris, Danger's hiptop, AvantGo,
#: and the Skyfire and BOLT browsers, which send a desktop platform), WAP (the feature phones' protocol) and a screen
#: size under 500 pixels wide ("176x220", "240x320", also with a colour depth: "240x320x64K"), which only phones and
#: old handhelds put in their UA; and Microsoft Mobile Explorer's "MMEF" version token. Then (``_FEATURE_PHONE_RE``)
#: the feature phones' own "Maker-Model" UA with nothing else to go by ("SIE-3118", "ZTE-C77/1.0 SMIT-Browser/2.0.0",
#: "HTC_Touch_Viva_T2223 Opera/9.50 (Windows NT 5.1…)"): the makers' scheme, which no crawler or program takes.
_MOBILE_RE = re.compile(
    r"iphone|ipod|android.*\bmobile\b|\bmobile(?: safari|/|;|\))|windows phone|windows ce|iemobile|blackberry|\bbb10\b"
    r"|symbian|symbos|series ?[46]0|\bs60\b|j2me|midp|cldc|kaios|opera mini|opera mobi|ucweb|sailfish|ubuntu touch"
    r"|\bpalm|webos/|nokia|sonyericsson|samsung-(?:gt|sgh)|\bmaui\b|netfront|fennec|up\.browser|\bmmp/|\bbrew\b"
    r"|watch ?os|\biph\d|docomo|kddi-|softbank|vodafone/|j-phone|willcom|ddipocket|portalmmm|\bfoma\b|^emobile/"
    r"|jig browser|nf-browser|wpdesktop|mobilesafari/|teleca|obigo|dolfin|\bbada\b|maemo|openwave|polaris"
    r"|hiptop|avantgo|skyfire|^bolt/|\bwap\b"
    r"|\b[1-4]\d\dx[1-9]\d\d(?:\b|x\d)|mmef\d",
)

#: The feature phones' own "Maker-Model" UA, matched at its start only.
_FEATURE_PHONE_RE = re.compile(
    r"(?:sie|mot|lge?|samsung|sec|sagem|panasonic|zte|alcatel|philips|sharp|nec|sanyo|kyocera|benq|sendo|mitsu"
    r"|ericsson|amoi|haier|gionee|spice|micromax|karbonn|lava|htc)[-_]\w*?\d",
)

#: Windows RT (Windows 8 on ARM: Surface RT and 2, VivoTab RT, XPS 10), tablets all; its phone sibling says
#: "WPDesktop", which the phone rules see first. Windows on ARM laptops send the x64 UA.
_WINDOWS_RT_RE = re.compile(r"windows nt 6\.[23]; arm;")

#: Desktop platforms: Windows (Netscape's "WinNT" too), macOS (and Apple's own "Mac OS/" and "os=Mac" forms), ChromeOS,
#: X11 Linux/BSD/Unix and the hobby desktops (Amiga, MorphOS, Haiku, BeOS, Syllable, OpenVMS, Cygwin), apps that say
#: "Desktop", and Apple's CFNetwork stack when it names a Mac model (``(MacBookPro5%2C3)``, ``(iMac11%2C2)``); the
#: desktops of the past: OS/2, RISC OS, the classic Mac OS ("Mac_PowerPC", "Mac_PPC", "Mac_68000") and its OmniWeb
#: browser, "UNIX"; the Linux distributions by name (SUSE, Ubuntu, Fedora...: "Akregator/4.12.3; syndication SUSE");
#: and the text browsers (Lynx, Links, w3m), which run in a desktop's terminal.
_DESKTOP_RE = re.compile(
    r"windows|\bwin(?:32|64|\d+|9x|nt)\b|macintosh|mac ?os|os=mac|\(i?mac|darwin|\bcros\b|x11|linux|freebsd"
    r"|openbsd|netbsd|sunos|haiku|beos|amiga|syllable|openvms|cygwin|electron/|\bdesktop\b"
    r"|os/2|risc ?os|mac_(?:powerpc|ppc|68)|\bunix\b|morphos|omniweb|^(?:lynx|w3m|e?links)\b"
    r"|ubuntu|suse|fedora|debian|gentoo|centos|mandriva|slackware",
)

#: Platforms whose UAs never carry a phone, tablet or TV model code (iOS names "like Mac OS X", iOS apps' own UAs
#: "iPad"/"iPhone" without it, Apple's CFNetwork stack "Darwin/" and at most a Mac's or iPhone's name; iPhone and iPad
#: are told apart by name in the keyword rules), and the old desktops (OS/2, RISC OS, classic Mac OS, Amiga, MorphOS).
_DESKTOP_OS_RE = re.compile(
    r"darwin/|windows|\bwin(?:32|64|\d+)\b|macintosh|mac os|macos|\bcros\b|x11|\bip(?:ad|hone|od)\b"
    r"|os/2|risc ?os|mac_(?:powerpc|ppc|68)|\bamiga\b|morphos",
)


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
    low = ua.lower()  # the keyword patterns are lower-case: case-insensitive matching is ~2.5x slower in re
    if not ua or _BOT_RE.search(low) or _HTTP_LIBRARY_RE.search(low):
        return "bot"
    if _URL_RE.search(low) and not _APP_HOMEPAGE_RE.search(low):
        return "bot"
    if _TV_RE.search(low) or _FIRE_TV_RE.search(ua) or ("android" in low and _TV_BOX_RE.search(low)):
        return "smarttv"
    if _POSING_BROWSER_RE.match(low):
        return "bot"
    if _MOBILE_APP_RE.search(low) or _HANDHELD_RE.search(low):
        return "mobile"
    harmony = _HARMONY_RE.match(low)
    if harmony:
        return _HARMONY_TYPES[harmony.group(1)]
    if _CHROMEBOOK_RE.search(ua):
        return "desktop"
    puffin = _PUFFIN_RE.search(low)
    if puffin:
        return "mobile" if puffin.group(1) == "ip" else "tablet"
    if _DOCKED_PHONE_RE.search(ua) or _TABLET_ITEM_RE.search(ua):
        return "tablet"
    if _DESKTOP_OS_RE.search(low) and "android" not in low:
        return _classify_by_keywords(ua, low)  # Windows, macOS, iOS, X11: model codes there are PCs' or noise
    hit = model_match(ua)
    model = hit[0] if hit else None
    if model in (None, "mobile") and _HONEYCOMB_RE.search(ua):
        return "tablet"  # a phone's model code on Android 3 is another device's code reused
    if hit and hit[1] and model == "mobile" and (_android_browser_without_mobile(ua) or _TABLET_RE.search(ua)):
        return "tablet"  # only a maker's name says phone; the browser's layout or the model's name says tablet
    return model or _classify_by_keywords(ua, low)


def _android_browser_without_mobile(ua: str) -> bool:
    return "Android" in ua and "Mobile" not in ua and _BROWSER_RE.search(ua) is not None


def _classify_by_keywords(ua: str, low: str) -> str:
    """The fallback for UAs whose model the table does not know: tablet names, then the platform."""
    if _TABLET_RE.search(ua) or _IPAD_AS_MAC_RE.search(low):
        return "tablet"
    if "Android" in ua and "Mobile" not in ua:
        return "tablet" if _android_browser_without_mobile(ua) else "mobile"
    if _MOBILE_RE.search(low) or _FEATURE_PHONE_RE.match(low):
        return "mobile"
    if _WINDOWS_RT_RE.search(low):
        return "tablet"
    if _DESKTOP_RE.search(low):
        return "desktop"
    return "bot"
