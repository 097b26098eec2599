// png-shrink.js IN OUT — README's screenshots, smaller: the PNG IN
// (chromium's, true colour) written to OUT with a palette of at most 256
// colours by upng-js, from build/npm (pipelines/install-deps.sh installs
// it). A card or a report is flat colour and text: 256 colours draw it
// without visible loss, in a third of the bytes or less.
"use strict";
const fs = require("fs");
const path = require("path");
const UPNG = require(path.join(__dirname, "../../build/npm/node_modules/upng-js"));

const [src, dst] = process.argv.slice(2);
if (!src || !dst) {
	process.stderr.write("usage: node png-shrink.js IN OUT\n");
	process.exit(64);
}
const buf = fs.readFileSync(src);
const img = UPNG.decode(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
const rgba = UPNG.toRGBA8(img);
const out = Buffer.from(UPNG.encode(rgba, img.width, img.height, 256));
fs.writeFileSync(dst, out);
process.stdout.write(`${dst}: ${img.width} x ${img.height}, ${buf.length} -> ${out.length} bytes\n`);
