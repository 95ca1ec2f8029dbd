#!/usr/bin/env node
// `node scripts/vendor-docs.mjs`: copies the few Swagger UI files that /docs needs from the pinned
// swagger-ui-dist in node_modules into public/docs/vendor/, byte for byte. The copies are committed,
// so /docs works from a fresh clone with no build step and never loads anything from another origin.
// To update Swagger UI: pin the new exact version of swagger-ui-dist in package.json, `npm install`,
// run this script, check /docs (npx vitest run --project browser test/browser/docs.browser.test.ts)
// and commit public/docs/vendor/.
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(join(root, "package.json"));
const from = dirname(require.resolve("swagger-ui-dist/package.json"));
const to = join(root, "public/docs/vendor");

// Only what public/docs/index.html loads, plus the licence texts that must travel with the code.
// Not the standalone preset (its top bar is unused), the ES bundles, the initializer, the OAuth2
// redirect page (no OAuth2 flows in the document, and it has an inline script) or source maps.
const FILES = [
  "swagger-ui-bundle.js",
  "swagger-ui-bundle.js.LICENSE.txt",
  "swagger-ui.css",
  "favicon-32x32.png",
  "favicon-16x16.png",
  "LICENSE",
  "NOTICE",
];

const pinned = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).devDependencies?.["swagger-ui-dist"];
const installed = JSON.parse(readFileSync(join(from, "package.json"), "utf8")).version;
if (!/^\d+\.\d+\.\d+$/.test(pinned ?? "")) {
  throw new Error(`package.json must pin swagger-ui-dist to an exact version (found ${JSON.stringify(pinned)})`);
}
if (installed !== pinned) {
  throw new Error(`node_modules has swagger-ui-dist ${installed} but package.json pins ${pinned}: run npm install first`);
}

rmSync(to, { recursive: true, force: true });
mkdirSync(to, { recursive: true });
let bytes = 0;
for (const file of FILES) {
  copyFileSync(join(from, file), join(to, file));
  bytes += readFileSync(join(to, file)).length;
}
writeFileSync(join(to, "VERSION"), `swagger-ui-dist ${installed}\n`);
console.log(`copied ${FILES.length} files (${(bytes / 1024).toFixed(0)} KiB) of swagger-ui-dist ${installed} into public/docs/vendor/`);
