// The URLs the front-end libraries write for a grid of sizes, fits, formats and qualities, one JSON line per
// URL with what it asked for. Run by tests/local/test_dialect_libraries.py with the libraries npm installed
// under $IMGEDGE_NODE_PREFIX (tests/nodelibs.py).
"use strict";
const { createRequire } = require("node:module");
const path = require("node:path");

const need = createRequire(path.join(process.env.IMGEDGE_NODE_PREFIX, "package.json"));
const { transformUrl } = need("unpic");
const ImgixClient = need("@imgix/js-core");

const grid = JSON.parse(process.argv[2]);
const src = grid.src;
const out = [];
const emit = (library, provider, url, asked) => out.push({ library, provider, url, ...asked });

// AVIF (slow to encode), most of imgix's fits and all but the first quality are asked for up to
// grid.costlyMaxWidth only.
// unpic: each provider with the fit it emits by default (imgix min, cloudflare cover, wordpress crop=1;
// nextjs has none), and wordpress with crop off too.
for (const provider of ["imgix", "cloudflare", "nextjs", "wordpress"]) {
  for (const width of grid.widths) {
    for (const ratio of grid.ratios) {
      const height = ratio ? Math.round(width / ratio) : undefined;
      for (const format of grid.formats) {
        if (format === "avif" && width > grid.costlyMaxWidth) continue;
        for (const quality of width > grid.costlyMaxWidth ? grid.qualities.slice(0, 1) : grid.qualities) {
          const url = transformUrl({ url: src, provider, width, height, format, quality });
          emit("unpic", provider, url, { width, height, format, quality });
        }
      }
    }
  }
}
for (const width of grid.widths) {
  const height = Math.round(width / 1.5);
  const url = transformUrl({ url: src, provider: "wordpress", width, height, format: "webp" },
                           { wordpress: { crop: false } });
  emit("unpic", "wordpress", url, { width, height, format: "webp", crop: false });
}

// @imgix/js-core: buildURL over imgix's fits, and buildSrcSet as sites call it.
const client = new ImgixClient({ domain: "images.example.com", useHTTPS: true });
for (const width of grid.widths) {
  for (const fit of width > grid.costlyMaxWidth ? ["crop"] : grid.imgixFits) {
    const height = Math.round(width / 1.5);
    const params = { w: width, h: height, fit, auto: "format,compress" };
    emit("js-core", "imgix", client.buildURL(src, params), { width, height, fit, format: "auto", compress: true });
  }
  for (const fm of width > grid.costlyMaxWidth ? ["webp", "pjpg"] : ["webp", "avif", "pjpg"]) {
    emit("js-core", "imgix", client.buildURL(src, { w: width, fm, q: 70 }), { width, format: fm, quality: 70 });
  }
  emit("js-core", "imgix", client.buildURL(src, { w: width, ar: "16:9", fit: "crop" }),
       { width, ratio: 16 / 9, fit: "crop", format: null });
}
// Relative sizes: w below 1 is a fraction of the original's width.
for (const fraction of grid.fractions) {
  emit("js-core", "imgix", client.buildURL(src, { w: fraction, fm: "webp" }),
       { width: fraction, relative: true, format: "webp" });
}
const srcsets = [
  [{ auto: "format" }, { minWidth: 100, maxWidth: 2048 }],
  [{ ar: "4:3", fit: "crop", auto: "format" }, { minWidth: 100, maxWidth: 2048, widthTolerance: 0.2 }],
  [{ w: 640, auto: "format" }, {}],
];
for (const [params, options] of srcsets) {
  for (const candidate of client.buildSrcSet(src, params, options).split(",\n")) {
    const [url, descriptor] = candidate.trim().split(" ");
    const asked = new URL(url).searchParams;
    emit("js-core", "imgix", url, {
      width: Number(asked.get("w")), dpr: Number(asked.get("dpr") || 1), fit: params.fit,
      ratio: params.ar ? 4 / 3 : undefined, format: "auto", quality: asked.get("q") ? Number(asked.get("q")) : undefined,
      descriptor,
    });
  }
}
process.stdout.write(out.map((o) => JSON.stringify(o)).join("\n") + "\n");
