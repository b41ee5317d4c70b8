// Test-only: render a ZPL file to PNG pages with zpl-renderer-js (Zebrash in WebAssembly).
// usage: node render.cjs <in.zpl> <widthMm> <heightMm> <outPrefix>; prints the page count.
const { ready } = require("zpl-renderer-js");
const fs = require("node:fs");

(async () => {
  const { api } = await ready;
  const [zplPath, width, height, prefix] = process.argv.slice(2);
  const zpl = fs.readFileSync(zplPath, "utf8");
  const pages = await api.zplToBase64MultipleAsync(zpl, Number(width), Number(height), 8);
  pages.forEach((png, i) => fs.writeFileSync(`${prefix}-${i}.png`, Buffer.from(png, "base64")));
  console.log(pages.length);
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
