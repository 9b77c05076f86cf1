// Gradient Gateway pages (docs/ui.md). The gateway's HTML holds <main id="gg-root" data-page=... data-api=...>;
// this script renders into it and then sets document.body.dataset.ggReady to "true" (or "error"), which the
// browser tests wait for. No eval, no external request: only the page's own JSON endpoint is fetched.
import {h, uid} from "./dom.js";
import {outcomeText} from "./format.js";
import {patientSection} from "./patient.js";
import {statusContent} from "./status.js";

const REFRESH_SECONDS = 15;

async function getJson(url) {
  let response;
  try {
    response = await fetch(url, {credentials: "same-origin", headers: {Accept: "application/json"}, cache: "no-store"});
  } catch (e) {
    throw new Error(`The request for ${url} failed: ${e.message}`);
  }
  const text = await response.text();
  let body = null;
  try {
    body = text === "" ? null : JSON.parse(text);
  } catch {
    body = null;
  }
  if (!response.ok) {
    throw new Error(outcomeText(body) ?? `${response.status} ${response.statusText}`.trim());
  }
  if (body == null) throw new Error(`The answer of ${url} is not JSON.`);
  return body;
}

function alertBox(message) {
  return h("div", {role: "alert", class: "gg-error"}, h("strong", null, "Could not load the data: "), message);
}

function ready(state) {
  document.body.dataset.ggReady = state;
  document.body.dataset.ggRenders = String(Number(document.body.dataset.ggRenders ?? 0) + 1);
}

async function patientPage(root) {
  const view = await getJson(root.dataset.api);
  document.title = `${view.patient?.reference ?? "Patient"}: Gradient Gateway`;
  root.replaceChildren(patientSection(view, {level: 1}));
}

function reportPage(root) {
  const source = document.getElementById("gg-data");
  const views = JSON.parse(source?.textContent ?? "[]");
  const list = Array.isArray(views) ? views : [views];
  const title = h("h1", null, "Gradient Gateway: patient report");
  const intro = h("p", null, `${list.length} patient${list.length === 1 ? "" : "s"}.`);
  const toc = h("ol");
  const sections = list.map((view) => {
    const id = uid("patient");
    toc.append(h("li", null, h("a", {href: `#${id}`}, view.patient?.reference ?? id)));
    return patientSection(view, {level: 2, id});
  });
  root.replaceChildren(title, intro, h("nav", {class: "gg-toc", "aria-label": "Patients"}, h("h2", null, "Contents"), toc),
    ...sections);
}

function statusPage(root) {
  const heading = h("h1", null, "Gradient Gateway: operations");
  const button = h("button", {type: "button", class: "gg-refresh"}, "Refresh");
  const updated = h("span", {class: "gg-updated", "aria-live": "polite"});
  const problem = h("div", {class: "gg-problem"});
  const body = h("div", {class: "gg-status-body"});
  root.replaceChildren(heading, h("p", {class: "gg-toolbar"}, button, " ",
    `Refreshes every ${REFRESH_SECONDS} s. `, updated), problem, body);
  let timer = null;
  let running = false;
  const load = async () => {
    if (running) return;
    running = true;
    clearTimeout(timer);
    button.disabled = true;
    try {
      const status = await getJson(root.dataset.api);
      body.replaceChildren(statusContent(status));
      problem.replaceChildren();
      updated.textContent = `Updated ${new Date().toISOString().replace(/\.\d+Z$/, "Z")}.`;
      ready("true");
    } catch (e) {
      problem.replaceChildren(alertBox(e.message));
      ready("error");
    } finally {
      running = false;
      button.disabled = false;
      timer = setTimeout(tick, REFRESH_SECONDS * 1000);
    }
  };
  // A hidden tab is not refreshed (no requests while nobody looks); it catches up when shown again.
  const tick = () => {
    if (document.hidden) timer = setTimeout(tick, REFRESH_SECONDS * 1000);
    else load();
  };
  button.addEventListener("click", load);
  return load();
}

async function start() {
  const root = document.getElementById("gg-root");
  if (!root) return;
  try {
    switch (root.dataset.page) {
      case "patient":
        await patientPage(root);
        break;
      case "report":
        reportPage(root);
        break;
      case "status":
        await statusPage(root);
        return; // statusPage sets ggReady itself, on every refresh
      default:
        throw new Error(`Unknown page '${root.dataset.page}'.`);
    }
    ready("true");
  } catch (e) {
    root.append(alertBox(e.message));
    ready("error");
  }
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
