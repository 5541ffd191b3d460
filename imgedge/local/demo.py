"""The local edge's page at ``/``: the sample originals in responsive markup you can copy, and what each
image actually got.

Two patterns, both plain HTML with no client-side library:

* ``<img srcset sizes>``: the browser picks the width from the candidates, its viewport and its device
  pixel ratio; the edge picks the format from ``Accept`` (``fmt=auto`` is the default);
* ``<picture>`` for art direction: a square crop on narrow screens, a 16:9 crop elsewhere, each a
  ``w``/``h`` box the edge crops (``fit=cover`` is the default).

Every width asked for is a rung of the ladder, so each candidate URL names exactly one stored variant; and
each ``w`` descriptor states the width the edge will really send (never more than the original's: nothing
is enlarged), so a candidate that would only repeat a smaller original is left out. A browser that was
told ``640w`` for a 451 px image would show it at 451/640 of its size. A small
script reads, for each image, the response the browser already has (``fetch`` with
``cache: "only-if-cached"`` reuses the image's own HTTP-cache entry, so it sends nothing): its
``Content-Type``, size in bytes and ``X-Cache``, plus ``PerformanceResourceTiming`` (transfer size and the
``Server-Timing`` stages of a freshly generated variant). The result is shown under each image and kept
in ``window.imgedgeReport`` (the browser test reads it).
"""

from __future__ import annotations

import html
from urllib.parse import quote

from ..store import DirectoryStore, Store

#: Candidate widths for ``<img srcset>`` (all ladder rungs) and the layout the ``sizes`` attribute describes.
SRCSET_WIDTHS = (320, 480, 640, 828, 1080, 1200, 1920)
SIZES = "(max-width: 700px) 100vw, 600px"
#: ``<picture>``: square crops below 700 CSS px, 16:9 crops above.
NARROW_MEDIA = "(max-width: 700px)"
SQUARE_BOXES = ((480, 480), (828, 828), (1200, 1200))
WIDE_BOXES = ((640, 360), (1200, 675), (1920, 1080))

_SCRIPT = """
// The response varies on Accept, and a script cannot see the Accept the browser sent for an <img>: the cache
// is read with each browser's image Accept in turn (Chromium with and without JPEG XL, Firefox, Safari).
const IMAGE_ACCEPTS = [
  "image/jxl,image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8",
  "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8",
  "image/avif,image/webp,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5",
  "image/webp,image/avif,image/jxl,image/heic,image/heic-sequence,video/*;q=0.8,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5",
];
async function cachedResponse(url) {
  for (const accept of IMAGE_ACCEPTS) {
    try {
      return await fetch(url, {cache: "only-if-cached", mode: "same-origin", headers: {Accept: accept}});
    } catch (error) {}
  }
  throw new Error("the image's response is not in the browser's cache under any known image Accept");
}
async function describe(img) {
  const url = img.currentSrc, where = new URL(url);
  const row = {id: img.id, url: where.pathname + where.search, naturalWidth: img.naturalWidth,
               naturalHeight: img.naturalHeight, renderedWidth: Math.round(img.getBoundingClientRect().width),
               devicePixelRatio: window.devicePixelRatio};
  const timing = performance.getEntriesByName(url).pop();
  if (timing) {
    row.transferSize = timing.transferSize;
    row.encodedBodySize = timing.encodedBodySize;
    row.serverTiming = timing.serverTiming.map(t => ({name: t.name, dur: t.duration, desc: t.description}));
  }
  try {  // the image's own response from the HTTP cache: nothing is sent
    const res = await cachedResponse(url);
    row.status = res.status;
    row.contentType = res.headers.get("content-type");
    row.xCache = res.headers.get("x-cache");
    row.age = res.headers.get("age");
    const blob = await res.blob();
    row.bytes = blob.size;
    const bitmap = await createImageBitmap(blob);  // the pixels sent (naturalWidth is density-corrected)
    row.pixelWidth = bitmap.width;
    row.pixelHeight = bitmap.height;
    bitmap.close();
  } catch (error) {
    row.error = String(error);
  }
  return row;
}
window.addEventListener("load", async () => {
  const rows = [];
  for (const img of document.querySelectorAll("img[data-demo]")) {
    const row = await describe(img);
    rows.push(row);
    const out = document.querySelector(`output[for="${img.id}"]`);
    const total = (row.serverTiming || []).find(t => t.name === "total");
    out.textContent = `${row.url} → ${row.contentType || "?"} ${row.pixelWidth}×${row.pixelHeight}, ` +
      `${row.bytes ?? row.encodedBodySize} bytes, ${row.xCache || "?"}` +
      (total ? `, generated in ${total.dur} ms` : "");
  }
  window.imgedgeReport = rows;
  document.body.dataset.ready = "true";
});
"""

_STYLE = """
body { font: 16px/1.45 system-ui, sans-serif; margin: 0 auto; max-width: 1100px; padding: 0 12px; }
figure { margin: 24px 0; }
img { display: block; width: 100%; max-width: 600px; height: auto; background: #eee; }
output { display: block; font: 13px/1.4 ui-monospace, monospace; color: #333; margin-top: 4px; }
pre { background: #f6f6f6; padding: 10px; overflow-x: auto; font-size: 13px; }
"""


#: The page asks for the client hints the edge reads (docs/client-hints.md); Save-Data needs no asking.
#: Same origin as the images here, so no Permissions-Policy delegation is needed.

def _url(key: str, query: str) -> str:
    return "/" + quote(key, safe="/-_.~") + "?" + query


def candidates(key: str, size: tuple[int, int] | None, queries: list[str]) -> list[tuple[str, int]]:
    """(URL, width the edge sends) per query, without candidates that repeat a smaller one's width."""
    from ..config import load_config
    from ..core.geometry import plan
    from ..request.canonical import resolve
    from ..request.grammar import parse_query

    out: list[tuple[str, int]] = []
    for query in queries:
        width = int(query.split("w=")[1].split("&")[0])
        if size is not None:
            spec = resolve(parse_query(query, load_config()), load_config(), snap=True)
            width = plan(size, spec).output_size[0]
        if out and width <= out[-1][1]:
            continue
        out.append((_url(key, query), width))
    return out


def img_markup(key: str, size: tuple[int, int] | None, element_id: str = "") -> str:
    """``<img srcset sizes>`` for one original (``fmt=auto``: the edge negotiates the format)."""
    srcset = ", ".join(f"{url} {w}w" for url, w in candidates(key, size, [f"w={w}" for w in SRCSET_WIDTHS]))
    dims = f' width="{size[0]}" height="{size[1]}"' if size else ""
    ident = f' id="{element_id}" data-demo' if element_id else ""
    return (f'<img{ident} src="{_url(key, "w=640")}"\n     srcset="{srcset}"\n     sizes="{SIZES}"{dims}'
            f' alt="{html.escape(key.rsplit("/", 1)[-1])}">')


def picture_markup(key: str, size: tuple[int, int] | None = None, element_id: str = "") -> str:
    """``<picture>``: a square crop on narrow screens, 16:9 elsewhere."""
    square = ", ".join(f"{url} {w}w" for url, w in candidates(key, size, [f"w={w}&h={h}" for w, h in SQUARE_BOXES]))
    wide = ", ".join(f"{url} {w}w" for url, w in candidates(key, size, [f"w={w}&h={h}" for w, h in WIDE_BOXES]))
    ident = f' id="{element_id}" data-demo' if element_id else ""
    first = WIDE_BOXES[0]
    return (f'<picture>\n  <source media="{NARROW_MEDIA}" srcset="{square}" sizes="100vw">\n'
            f'  <img{ident} src="{_url(key, f"w={first[0]}&h={first[1]}")}" srcset="{wide}" sizes="600px"'
            f' width="16" height="9" alt="{html.escape(key.rsplit("/", 1)[-1])}">\n</picture>')


def _original_size(store: Store, key: str) -> tuple[int, int] | None:
    """The displayed size of an original (EXIF orientation applied), for width/height attributes."""
    if not isinstance(store, DirectoryStore):
        return None
    try:
        from PIL import Image, ImageOps

        with Image.open(store.root / key) as image:
            width, height = image.size
            if ImageOps.exif_transpose(image, in_place=False).size != (width, height):
                width, height = height, width
            return width, height
    except Exception:  # a sample the page cannot measure still gets markup, without dimensions
        return None


def demo_page(store: Store, keys: list[str]) -> bytes:
    sections = []
    for index, key in enumerate(keys):
        size = _original_size(store, key)
        sections.append(
            f'<section><h2><code>{html.escape(key)}</code></h2>'
            f'<figure>{img_markup(key, size, f"img-{index}")}'
            f'<figcaption><output for="img-{index}">loading…</output></figcaption></figure>'
            f'<figure>{picture_markup(key, size, f"pic-{index}")}'
            f'<figcaption><output for="pic-{index}">loading…</output></figcaption></figure></section>'
        )
    example = keys[0] if keys else "photos/cat.jpg"
    copy = html.escape(img_markup(example, None) + "\n\n" + picture_markup(example))
    body = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>imgedge local edge</title><style>{_STYLE}</style></head>
<body>
<h1>imgedge local edge</h1>
<p>Each sample below is loaded twice: with <code>&lt;img srcset sizes&gt;</code> (the browser picks the width,
the edge picks AVIF, WebP or JPEG from <code>Accept</code>) and with <code>&lt;picture&gt;</code> (a square
crop below 700&nbsp;px, 16:9 above). Under each image: the URL the browser chose, the format, size and bytes it
got, and whether the edge's cache answered (<code>X-Cache</code>). Open it on a phone, or in DevTools' device
mode, to see the other variants.</p>
<h2>Markup to copy</h2>
<pre><code>{copy}</code></pre>
<p>Widths are rungs of the ladder, so every candidate is one stored variant. <code>sizes</code> must describe
your layout: here the image is full width on narrow screens and 600&nbsp;px wide otherwise.</p>
{''.join(sections)}
<script>{_SCRIPT}</script>
</body></html>
"""
    return body.encode()
