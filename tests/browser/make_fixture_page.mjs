#!/usr/bin/env node
// Writes an offline-report page the way the gateway's page.cpp assembles one (docs/ui.md): the bundle's ui.css and
// ui.js inline, the patient views as <script type="application/json" id="gg-data">, and a Content-Security-Policy
// (here a <meta>, since a file has no headers) that allows exactly the inline style and script by their hashes.
// For checking the bundle without the gateway:
//   node tests/browser/make_fixture_page.mjs --dist DIR [--data FILE.json] [--page report] --out FILE.html
//   DIR holds ui.js and ui.css (the build tree's ui/, e.g. /tmp/ui-build/ui, or GG_UI_DIST);
//   FILE.json is one patient view or an array of them (default: fixtures/patient-view.json).
import {createHash} from "node:crypto";
import {readFileSync, writeFileSync} from "node:fs";
import {dirname, join} from "node:path";
import {fileURLToPath} from "node:url";
import {parseArgs} from "node:util";

const here = dirname(fileURLToPath(import.meta.url));
const {values: args} = parseArgs({options: {
  dist: {type: "string", default: process.env.GG_UI_DIST ?? "/tmp/ui-build/ui"},
  data: {type: "string", default: join(here, "fixtures", "patient-view.json")},
  out: {type: "string"},
  title: {type: "string", default: "Gradient Gateway: patient report"},
}});
if (!args.out) {
  console.error("usage: make_fixture_page.mjs --out FILE.html [--dist DIR] [--data FILE.json]");
  process.exit(2);
}

const script = readFileSync(join(args.dist, "ui.js"), "utf8");
const style = readFileSync(join(args.dist, "ui.css"), "utf8");
let views = JSON.parse(readFileSync(args.data, "utf8"));
if (!Array.isArray(views)) views = [views];
// In a <script> element "</script" would end it: every "<" is written as \u003c (still the same JSON).
const data = JSON.stringify(views).replace(/</g, "\\u003c");
const hash = (text) => `'sha256-${createHash("sha256").update(text, "utf8").digest("base64")}'`;
const csp = `default-src 'none'; script-src ${hash(script)}; style-src ${hash(style)}; connect-src 'none'; `
  + "img-src 'none'; base-uri 'none'; form-action 'none'";
const escape = (text) => text.replace(/[&<>"]/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})[c]);

const html = `<!doctype html><html lang="en"><head><meta charset="utf-8">`
  + `<meta http-equiv="Content-Security-Policy" content="${csp}">`
  + `<meta name="viewport" content="width=device-width"><title>${escape(args.title)}</title>`
  + `<style>${style}</style></head><body><main id="gg-root" data-page="report"></main>`
  + `<script type="application/json" id="gg-data">${data}</script><script>${script}</script></body></html>`;
writeFileSync(args.out, html);
console.log(args.out);
