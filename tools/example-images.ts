/**
 * Makes the photographs in examples/data/ from scikit-image's sample images, as Debian's
 * `python3-skimage` package ships them (licences in examples/data/README.md):
 *
 *   apt-get download python3-skimage && dpkg -x python3-skimage_*.deb skimage-deb
 *   npx tsx tools/example-images.ts skimage-deb/usr/lib/python3/dist-packages/skimage/data examples/data
 *
 * Each is centre-cropped to a square and shrunk to 256×256 with the box filter the `image(…)` data source
 * uses (stdlib/data/image.ts), then written as an 8-bit PNG.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { decodePng } from "../stdlib/data/png.js";
import { boxResize, type RgbImage } from "../stdlib/data/image.js";
import { encodePng } from "../report/png.js";

const SIDE = 256;
const IMAGES = ["astronaut", "coffee", "chelsea"];

/** The largest centred square of `image`. */
function centreSquare(image: RgbImage): RgbImage {
  const side = Math.min(image.width, image.height);
  const left = Math.floor((image.width - side) / 2);
  const top = Math.floor((image.height - side) / 2);
  const rgb = new Float32Array(side * side * 3);
  for (let r = 0; r < side; r++) rgb.set(image.rgb.subarray(3 * ((top + r) * image.width + left), 3 * ((top + r) * image.width + left + side)), 3 * r * side);
  return { width: side, height: side, rgb };
}

function rgbaBytes(image: RgbImage): Uint8Array {
  const out = new Uint8Array(image.width * image.height * 4);
  for (let p = 0; p < image.width * image.height; p++) {
    for (let k = 0; k < 3; k++) out[4 * p + k] = Math.round(255 * image.rgb[3 * p + k]!);
    out[4 * p + 3] = 255;
  }
  return out;
}

const [from, to] = process.argv.slice(2);
if (!from || !to) throw new Error("usage: tsx tools/example-images.ts SKIMAGE_DATA_DIR OUT_DIR");
for (const name of IMAGES) {
  const path = join(from, `${name}.png`);
  const small = boxResize(centreSquare(decodePng(readFileSync(path), path)), SIDE, SIDE, path);
  writeFileSync(join(to, `${name}-${SIDE}.png`), encodePng(rgbaBytes(small), SIDE, SIDE));
}
