#!/usr/bin/env node
// Opens one page of the gateway (or an offline report file) in headless Chromium and prints ONE JSON object on
// stdout: what the integration tests (tests/integration/test_pages.py) check. Debian's chromium, no download:
//   node tests/browser/inspect.mjs --url URL [--user U --password P] [--screenshot FILE.png] [--offline]
//   node tests/browser/inspect.mjs --html FILE.html ...       (= --url file://FILE.html)
// Options: --timeout MS (default 30000) for the page to say it is rendered; --width PX (default 1280).
// Environment: GG_CHROMIUM, the browser (default /usr/bin/chromium).
// The page's script sets document.body.dataset.ggReady to "true" or "error" when it is done: this waits for that
// attribute (never a fixed sleep). --offline: every request other than the file itself is aborted and reported.
// Output: {status, ready, error, requests, external_requests, blocked, console_errors, page_errors,
//   csp_violations, title, figures: [{plot, aria_label, caption, marks: {label: elements}, titles, has_curve_path}],
//   tables: [{table, caption, rows: [{observation, cells: {col: text}, inputs: [ids]}]}], counts: {name: text},
//   patients: [reference], review_text, alerts: [text], proposals: [{rule, title}]}
// Exit status 0 when the JSON was printed (whatever the page did), 2 for a usage error.
import {pathToFileURL} from "node:url";
import {resolve} from "node:path";
import {parseArgs} from "node:util";
import {chromium} from "playwright-core";

let args;
try {
  ({values: args} = parseArgs({options: {
    url: {type: "string"}, html: {type: "string"}, user: {type: "string"}, password: {type: "string"},
    screenshot: {type: "string"}, offline: {type: "boolean", default: false},
    timeout: {type: "string", default: "30000"}, width: {type: "string", default: "1280"},
  }}));
} catch (e) {
  console.error(`inspect: ${e.message}`);
  process.exit(2);
}
const url = args.html ? pathToFileURL(resolve(args.html)).href : args.url;
if (!url || (args.user != null) !== (args.password != null)) {
  console.error("usage: inspect.mjs (--url URL | --html FILE) [--user U --password P] [--screenshot FILE.png] [--offline]");
  process.exit(2);
}
const timeout = Number(args.timeout);
const isFile = url.startsWith("file:");
const origin = isFile ? null : new URL(url).origin;
const local = (u) => {
  if (/^(data|blob|about):/.test(u)) return true;
  return isFile ? u.startsWith("file:") : new URL(u).origin === origin;
};

const out = {url, status: null, ready: null, error: null, requests: [], external_requests: [], blocked: [],
  console_errors: [], page_errors: [], csp_violations: [], title: null, figures: [], tables: [], counts: {},
  patients: [], review_text: null, alerts: [], proposals: []};

let browser;
try {
  browser = await chromium.launch({executablePath: process.env.GG_CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox"], headless: true});
  const context = await browser.newContext({
    ignoreHTTPSErrors: true,
    viewport: {width: Number(args.width), height: 900},
    ...(args.user != null ? {httpCredentials: {username: args.user, password: args.password}} : {}),
  });
  const page = await context.newPage();
  page.on("request", (r) => {
    out.requests.push(r.url());
    if (!local(r.url())) out.external_requests.push(r.url());
  });
  // The main document's status, also when the navigation itself fails (a 401 answered without credentials ends
  // in net::ERR_INVALID_AUTH_CREDENTIALS, yet its response was seen).
  let documentStatus = null;
  page.on("response", (r) => {
    if (r.request().isNavigationRequest() && r.frame() === page.mainFrame()) documentStatus = r.status();
  });
  page.on("console", (m) => { if (m.type() === "error") out.console_errors.push(m.text()); });
  page.on("pageerror", (e) => out.page_errors.push(String(e.message ?? e)));
  // Violations of the page's Content-Security-Policy, as the page itself sees them (init scripts are not subject
  // to the policy).
  await page.addInitScript(() => {
    window.__ggViolations = [];
    document.addEventListener("securitypolicyviolation", (e) => window.__ggViolations.push(
      `${e.effectiveDirective} blocked ${e.blockedURI || "inline"}${e.sample ? ` (${e.sample})` : ""}`));
  });
  if (args.offline) {
    await page.route("**/*", (route) => {
      const u = route.request().url();
      if (u.split("#")[0] === url.split("#")[0]) return route.continue();
      out.blocked.push(u);
      return route.abort("blockedbyclient");
    });
  }

  let response = null;
  try {
    response = await page.goto(url, {waitUntil: "load", timeout});
  } catch (e) {
    out.status = isFile ? null : documentStatus;
    throw e;
  }
  out.status = isFile ? null : response?.status() ?? documentStatus;
  if (!isFile && out.status != null && out.status >= 400) {
    out.error = (await page.evaluate(() => document.body?.innerText ?? "")).slice(0, 2000);
  } else {
    try {
      await page.waitForSelector("body[data-gg-ready]", {state: "attached", timeout});
    } catch {
      out.error = `the page did not set data-gg-ready within ${timeout} ms`;
    }
  }
  if (args.screenshot) await page.screenshot({path: args.screenshot, fullPage: true});

  const seen = await page.evaluate(() => {
    const text = (e) => (e?.innerText ?? e?.textContent ?? "").trim();
    const figures = [...document.querySelectorAll("figure.gg-plot")].map((f) => {
      const svg = f.querySelector("svg");
      const marks = {};
      for (const g of svg ? svg.querySelectorAll("g[aria-label]") : []) {
        const label = g.getAttribute("aria-label");
        const n = [...g.children].filter((c) => c.tagName.toLowerCase() !== "title").length;
        marks[label] = (marks[label] ?? 0) + n;
      }
      const curve = svg?.querySelector('g[aria-label="cosinor fit"] path');
      return {plot: f.dataset.plot, aria_label: svg?.getAttribute("aria-label") ?? null,
        aria_description: svg?.getAttribute("aria-description") ?? null, caption: text(f.querySelector("figcaption")),
        marks, titles: svg ? svg.querySelectorAll("title").length : 0,
        has_curve_path: Boolean(curve && (curve.getAttribute("d") ?? "").length > 10)};
    });
    const tables = [...document.querySelectorAll("table.gg-table")].map((t) => ({
      table: t.dataset.table, caption: text(t.querySelector("caption")),
      rows: [...t.querySelectorAll("tbody tr[data-observation]")].map((tr) => {
        const cells = {};
        for (const c of tr.querySelectorAll("[data-col]")) {
          if (c.closest("tr") === tr) cells[c.dataset.col] = text(c);
        }
        return {observation: tr.dataset.observation, cells,
          inputs: [...tr.querySelectorAll("[data-input]")].map((i) => i.dataset.input)};
      })}));
    const counts = {};
    for (const c of document.querySelectorAll("[data-count]")) counts[c.dataset.count] = text(c);
    return {
      ready: document.body?.dataset.ggReady ?? null,
      title: document.title,
      figures, tables, counts,
      patients: [...document.querySelectorAll("section.gg-patient")].map((s) => s.dataset.patient),
      review_text: document.querySelector(".gg-review") ? text(document.querySelector(".gg-review")) : null,
      alerts: [...document.querySelectorAll('[role="alert"]')].map(text),
      proposals: [...document.querySelectorAll(".gg-proposal")].map((p) => ({rule: p.dataset.proposal,
        title: text(p.querySelector("h1,h2,h3,h4,h5,h6"))})),
      violations: window.__ggViolations ?? [],
    };
  });
  const {violations, ...rest} = seen;
  Object.assign(out, rest);
  out.csp_violations = violations;
  if (out.ready === "error" && !out.error) out.error = out.alerts.join("\n") || "the page reported an error";
} catch (e) {
  // Playwright's messages carry a call log with terminal colours: the first line is the error.
  out.error = String(e.message ?? e).replace(/\x1b\[[0-9;]*m/g, "").split("\n")[0];
} finally {
  await browser?.close();
}
process.stdout.write(`${JSON.stringify(out)}\n`);
