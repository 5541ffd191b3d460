// sharp as a benchmark peer: one request per stdin line, one answer per stdout line (JSON both ways).
//
// Request: {"input": path, "width": px, "format": "jpeg"|"webp"|"avif", "quality": q,
//           "options": {...extra saver options}, "output": path}
// Answer:  {"bytes": n, "width": w, "height": h, "ms": encode+resize wall time} or {"error": message}.
//
// One long-lived process keeps Node's start-up out of the figures; sharp.concurrency(1) and no cache make
// it single-threaded and make every request decode its input, like the Python peers.
"use strict";
const fs = require("fs");
const readline = require("readline");
const sharp = require("sharp");

sharp.concurrency(1);
sharp.cache(false);

async function handle(req) {
  const input = fs.readFileSync(req.input);
  const started = process.hrtime.bigint();
  let pipeline = sharp(input).rotate().resize({ width: req.width, withoutEnlargement: true });
  if (req.format === "jpeg") {
    pipeline = pipeline.flatten({ background: "#ffffff" }); // JPEG has no alpha: white, like imgedge
  }
  pipeline = pipeline.toFormat(req.format, { quality: req.quality, ...(req.options || {}) });
  const { data, info } = await pipeline.toBuffer({ resolveWithObject: true });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  fs.writeFileSync(req.output, data);
  return { bytes: data.length, width: info.width, height: info.height, ms };
}

const lines = readline.createInterface({ input: process.stdin });
let queue = Promise.resolve();
lines.on("line", (line) => {
  queue = queue.then(async () => {
    let answer;
    try {
      answer = await handle(JSON.parse(line));
    } catch (err) {
      answer = { error: String(err && err.message ? err.message : err) };
    }
    process.stdout.write(JSON.stringify(answer) + "\n");
  });
});
console.error(`sharp ${sharp.versions.sharp} libvips ${sharp.versions.vips}`);
