// The operations view (docs/ui.md, "The operations view"): the last hour's counts, rejections, queue, FHIR latency,
// alert subscriptions and the per-sample timeline.
import {h, table, definitions} from "./dom.js";
import {num, short, date, histogram} from "./format.js";
import {Plot, colours, named, figure, countTicks} from "./plots.js";

const EVENT_LABELS = {
  received: "Received", recorded: "Recorded", duplicate: "Duplicate", processed: "Processed", retried: "Retried",
  failed: "Failed", dead: "Dead", reconciled: "Reconciled",
};

export function statusContent(status) {
  const content = h("div", {class: "gg-status"});
  const window = status.window_seconds != null ? `${num(status.window_seconds)} s` : "the window";
  content.append(h("p", {class: "gg-window"}, `Counts over the last ${window}: since ${status.since ?? "start"}, `
    + `generated at ${status.generated_at ?? ""}.`));

  content.append(h("h2", null, "Events"), definitions(Object.entries(status.events ?? {}).map(([key, value]) =>
    [EVENT_LABELS[key] ?? key, num(value), {"data-count": key}]), {class: "gg-counts"}));

  const queue = status.queue ?? {};
  content.append(h("h2", null, "Queue"), definitions([
    ["Pending", num(queue.pending), {"data-count": "pending"}],
    ["Oldest pending (s)", num(queue.oldest_pending_age_seconds), {"data-count": "oldest_pending_age_seconds"}],
  ], {class: "gg-counts"}));

  const refused = Object.entries(status.notifications_refused ?? {});
  if (refused.length > 0) {
    content.append(h("h2", null, "Notifications refused"), definitions(refused.map(([key, value]) =>
      [key, num(value), {"data-count": `refused:${key}`}]), {class: "gg-counts"}));
  }

  content.append(h("h2", null, "Rejected results"), rejected(status.rejected ?? []));
  content.append(h("h2", null, "FHIR server latency"), latency(status.fhir_latency ?? {}));
  content.append(h("h2", null, "Alert subscriptions"), subscriptions(status.subscriptions ?? []));
  content.append(h("h2", null, "Timeline"), timeline(status.timeline ?? []));
  return content;
}

function rejected(list) {
  const rows = [...list].sort((a, b) => b.count - a.count || String(a.reason).localeCompare(String(b.reason)));
  const plot = figure({
    name: "status:rejected",
    caption: rows.length > 0 ? "Results rejected, by reason (bars; the table beside holds the counts)."
      : "No result was rejected in the window.",
    options: {
      ariaLabel: "Rejected results by reason",
      ariaDescription: rows.map((r) => `${r.reason}: ${r.count}`).join("; ") || "none",
      height: Math.max(120, 40 + 28 * rows.length), marginLeft: 160,
      x: {label: "Results rejected", grid: true, labelArrow: "none", labelAnchor: "center",
        ticks: countTicks(rows.map((r) => r.count)), tickFormat: "d"},
      y: {label: "Reason", domain: rows.map((r) => r.reason), labelArrow: "none"},
      marks: [named("rejected", Plot.barX(rows, {x: "count", y: "reason", fill: colours.vermillion,
        title: (r) => `${r.reason}: ${r.count}`})), Plot.ruleX([0])],
    },
  });
  const numbers = table({
    name: "status:rejected", caption: "Results rejected, by reason",
    columns: [{name: "reason", label: "Reason"}, {name: "count", label: "Count", numeric: true}],
    rows: rows.map((r) => ({cells: {reason: r.reason, count: num(r.count)}})),
    empty: "None.",
  });
  return h("div", {class: "gg-pair"}, plot, h("div", {class: "gg-side"}, numbers));
}

function latency(l) {
  const bars = histogram(l.buckets);
  const mean = l.count > 0 ? l.sum_seconds / l.count : null;
  const plot = figure({
    name: "status:fhir-latency",
    caption: `Latency of the gateway's requests to the FHIR server: requests per bucket (${num(l.count ?? 0)} requests`
      + `${mean != null ? `, mean ${short(mean * 1000)} ms` : ""}).`,
    options: {
      ariaLabel: "FHIR request latency histogram",
      ariaDescription: bars.map((b) => `${b.label}: ${b.count}`).join("; ") || "no requests",
      height: 280, marginBottom: 70,
      x: {label: "Latency bucket", domain: bars.map((b) => b.label), labelArrow: "none", tickRotate: -30, labelOffset: 62},
      y: {label: "Requests", grid: true, labelArrow: "none", ticks: countTicks(bars.map((b) => b.count)), tickFormat: "d"},
      marks: [named("latency", Plot.barY(bars, {x: "label", y: "count", fill: colours.blue,
        title: (b) => `${b.label}: ${b.count} requests`})), Plot.ruleY([0])],
    },
  });
  const numbers = table({
    name: "status:fhir-latency", caption: "FHIR request latency, cumulative buckets (seconds)",
    columns: [{name: "le", label: "Upper bound (s)", numeric: true}, {name: "cumulative", label: "Requests ≤ bound", numeric: true},
      {name: "count", label: "In this bucket", numeric: true}],
    rows: bars.map((b) => ({cells: {le: num(b.le), cumulative: num(b.cumulative), count: num(b.count)}})),
    empty: "No requests.",
  });
  const summary = definitions([
    ["Requests", num(l.count), {"data-latency": "count"}],
    ["Total time (s)", num(l.sum_seconds), {"data-latency": "sum_seconds"}],
    ["Mean (s)", mean == null ? "" : num(mean), {"data-latency": "mean_seconds"}],
  ], {class: "gg-counts"});
  return h("div", {class: "gg-pair"}, plot, h("div", {class: "gg-side"}, summary, numbers));
}

function subscriptions(list) {
  return table({
    name: "status:subscriptions", caption: "Alert subscriptions (webhooks) and their delivery",
    columns: [
      {name: "id", label: "Id"}, {name: "url", label: "URL"}, {name: "state", label: "State"},
      {name: "failing", label: "Failing"}, {name: "last_error", label: "Last error"},
      {name: "last_attempt", label: "Last attempt"}, {name: "queued", label: "Queued", numeric: true},
      {name: "delivered", label: "Delivered", numeric: true}, {name: "dead", label: "Dead", numeric: true},
    ],
    rows: list.map((s) => ({attrs: {"data-subscription": s.id, "data-failing": s.failing ? "true" : "false"}, cells: {
      id: s.id, url: s.url, state: s.state, failing: s.failing ? "yes (failing)" : "no", last_error: s.last_error ?? "",
      last_attempt: s.last_attempt ?? "", queued: num(s.queued), delivered: num(s.delivered), dead: num(s.dead)}})),
    empty: "No alert subscriptions.",
  });
}

const SERIES = [
  {key: "received", label: "received", stroke: colours.blue, dash: null, symbol: "circle"},
  {key: "processed", label: "processed", stroke: colours.green, dash: "6,3", symbol: "square"},
  {key: "rejected", label: "rejected", stroke: colours.vermillion, dash: "2,3", symbol: "triangle"},
];

function timeline(samples) {
  const rows = samples.map((s) => ({...s, time: date(s.at)})).filter((s) => s.time != null).sort((a, b) => a.time - b.time);
  const marks = [Plot.ruleY([0])];
  for (const s of SERIES) {
    const data = rows.map((r) => ({time: r.time, at: r.at, value: r[s.key] ?? 0}));
    if (data.length === 0) continue;
    marks.push(named(s.key, Plot.line(data, {x: "time", y: "value", stroke: s.stroke, strokeWidth: 2,
      strokeDasharray: s.dash ?? undefined})));
    marks.push(named(`${s.key} points`, Plot.dot(data, {x: "time", y: "value", symbol: s.symbol, r: 3, fill: s.stroke,
      title: (d) => `${d.at}: ${d.value} ${s.label}`})));
    marks.push(named(`${s.key} label`, Plot.text(data, Plot.selectLast({x: "time", y: "value", text: () => s.label,
      dx: 6, textAnchor: "start", fill: s.stroke}))));
  }
  const plot = figure({
    name: "status:timeline",
    caption: rows.length > 0 ? "Per sample interval: events received (solid line, circles), processed (dashed, squares) "
      + "and results rejected (dotted, triangles)." : "No samples yet: the gateway samples its counters once a minute.",
    options: {
      ariaLabel: "Timeline of received, processed and rejected events",
      ariaDescription: `${rows.length} samples from ${rows[0]?.at ?? "-"} to ${rows[rows.length - 1]?.at ?? "-"}`,
      height: 260, marginRight: 72,
      x: {type: "utc", label: "Time (UTC)", labelArrow: "none", labelAnchor: "center", ticks: timeTicks(rows), tickFormat: "%H:%M"},
      y: {label: "Events per interval", grid: true, labelArrow: "none", tickFormat: "d",
        ticks: countTicks(rows.flatMap((r) => [r.received, r.processed, r.rejected]))},
      marks,
    },
  });
  const numbers = table({
    name: "status:timeline", caption: "Events per sample interval",
    columns: [{name: "at", label: "Sample at"}, {name: "received", label: "Received", numeric: true},
      {name: "processed", label: "Processed", numeric: true}, {name: "rejected", label: "Rejected", numeric: true}],
    rows: rows.map((r) => ({cells: {at: r.at, received: num(r.received), processed: num(r.processed), rejected: num(r.rejected)}})),
    empty: "No samples yet.",
  });
  return h("div", {class: "gg-pair"}, plot, h("div", {class: "gg-side"}, numbers));
}

// Tick interval for the timeline: whole minutes, never two ticks with the same label.
function timeTicks(rows) {
  const span = rows.length > 1 ? rows[rows.length - 1].time - rows[0].time : 0;
  if (span <= 10 * 60e3) return "minute";
  if (span <= 90 * 60e3) return "10 minutes";
  return "hour";
}
