// The patient view (docs/ui.md, "The patient view"): the header with the review text, a day curve per rhythm
// series, a plot over time per gradient series, then the findings and the proposals.
import {h, table, definitions, uid} from "./dom.js";
import {num, short, clock, yesNo, quantity, date, padded} from "./format.js";
import {Plot, colours, named, figure, niceDomain} from "./plots.js";

const MUST_REVIEW = "A clinician must review this before any action: it is decision support, nothing has been ordered.";

// One <section class="gg-patient"> for a patient view. level: the heading level of the patient's name (1 on the
// patient page, 2 in the report under its own title).
export function patientSection(view, {level = 1, id} = {}) {
  const reference = view.patient?.reference ?? "";
  const section = h("section", {class: "gg-patient", "data-patient": reference, id: id ?? uid("patient"),
    "aria-labelledby": null});
  const heading = h(`h${level}`, {id: uid("patient-heading")}, reference || "Patient");
  section.setAttribute("aria-labelledby", heading.id);
  section.append(heading, header(view), h("p", {class: "gg-review"}, view.review ?? MUST_REVIEW));

  const sub = `h${Math.min(level + 1, 6)}`;
  const subsub = `h${Math.min(level + 2, 6)}`;

  section.append(h(sub, null, "Daily rhythm"));
  if ((view.day_curves ?? []).length === 0) section.append(h("p", {class: "gg-none"}, "No timed samples of a rhythm."));
  for (const curve of view.day_curves ?? []) section.append(dayCurve(curve, subsub));

  section.append(h(sub, null, "Gradients over time"));
  if ((view.series ?? []).length === 0) section.append(h("p", {class: "gg-none"}, "No gradient values."));
  for (const series of view.series ?? []) section.append(seriesBlock(series, subsub));

  section.append(h(sub, null, "Findings"), findings(view.findings ?? []));
  section.append(h(sub, null, "Proposals"), proposals(view.proposals ?? [], subsub));
  if ((view.notes ?? []).length > 0) {
    section.append(h(sub, null, "Notes"), h("ul", {class: "gg-notes"}, view.notes.map((n) => h("li", null, n))));
  }
  return section;
}

function header(view) {
  const p = view.patient ?? {};
  return definitions([
    ["Patient", p.reference, {"data-field": "patient"}],
    ["Sex", p.sex ?? "unknown", {"data-field": "sex"}],
    ["Age", p.age_years == null ? "unknown" : `${num(p.age_years)} years`, {"data-field": "age"}],
    ["As of", view.as_of, {"data-field": "as_of"}],
    ["Rule set", view.rule_set, {"data-field": "rule_set"}],
    ["Version", view.version, {"data-field": "version"}],
  ], {class: "gg-header"});
}

// ---- day curves ------------------------------------------------------------------------------------------------

function dayCurve(curve, headingTag) {
  const unit = curve.unit ?? "";
  const points = curve.points ?? [];
  const fit = curve.cosinor;
  const awakening = curve.awakening;
  const doses = curve.doses ?? [];
  const title = `${curve.display ?? curve.analyte} (${curve.specimen ?? "specimen not stated"})`;
  const yLabel = `${curve.display ?? curve.analyte} (${unit})`;
  const id = uid(`day-${curve.prefix}`);

  const marks = [];
  const awakeIds = new Set(awakening?.observations ?? []);
  const awake = points.filter((p) => awakeIds.has(p.observation)).sort((a, b) => a.clock_hours - b.clock_hours);
  if (awakening && awake.length > 0) {
    const text = `Awakening response from waking at ${clock(awakening.waking_clock_hours)}: AUCg ${short(awakening.aucg)}, `
      + `AUCi ${short(awakening.auci)} ${awakening.unit ?? ""}`;
    marks.push(named("awakening response", Plot.areaY(awake, {x: "clock_hours", y: "value", fill: colours.sky,
      fillOpacity: 0.35, curve: "linear", title: () => text})));
  }
  if (doses.length > 0) {
    marks.push(named("doses", Plot.ruleX(doses, {x: "clock_hours", stroke: colours.vermillion, strokeWidth: 1.5,
      strokeDasharray: "6,4", title: (d) => `Dose ${d.display ?? d.medication ?? ""} at ${clock(d.clock_hours)} (${d.time})`})));
  }
  if (fit) {
    marks.push(named("mesor", Plot.ruleY([fit.mesor], {stroke: colours.green, strokeDasharray: "2,3", strokeWidth: 1.5,
      title: () => `MESOR ${short(fit.mesor)} ${unit}`})));
    marks.push(named("acrophase", Plot.ruleX([fit.acrophase_hours], {stroke: colours.purple, strokeDasharray: "1,2",
      strokeWidth: 2, title: () => `Acrophase ${clock(fit.acrophase_hours)} (${short(fit.acrophase_hours)} h)`})));
    if ((fit.curve ?? []).length > 0) {
      marks.push(named("cosinor fit", Plot.line(fit.curve, {x: "clock_hours", y: "value", stroke: colours.orange,
        strokeWidth: 2, title: () => `Cosinor fit: MESOR ${short(fit.mesor)}, amplitude ${short(fit.amplitude)} ${unit}, `
          + `acrophase ${clock(fit.acrophase_hours)}, p = ${short(fit.p_value)}`})));
    }
  }
  marks.push(named("samples", Plot.dot(points, {x: "clock_hours", y: "value", r: 4, stroke: colours.blue,
    fill: colours.blue, strokeWidth: 1.5, symbol: (p) => (p.in_fit ? "circle" : "times"),
    title: (p) => `${clock(p.clock_hours)} ${quantity(p.value, unit, p.comparator)} (${p.observation ?? "no id"})`
      + `${p.in_fit ? "" : ", not in the fit"}${p.awakening ? ", awakening sample" : ""}`})));
  for (const [name, marker, rotate] of [["dose peak", curve.dose_peak, 0], ["dose trough", curve.dose_trough, 180]]) {
    if (!marker) continue;
    marks.push(named(name, Plot.dot([marker], {x: "clock_hours", y: "value", symbol: "triangle", rotate, r: 7,
      stroke: colours.vermillion, fill: "white", strokeWidth: 2,
      title: (m) => `Dose ${name.slice(5)}: ${quantity(m.value, unit)} at ${clock(m.clock_hours)}, `
        + `${short(m.hours_since_dose)} h after the dose (${m.observation ?? ""})`})));
  }

  const description = [
    `${points.length} samples of ${title} by local clock time`,
    curve.date ? ` on ${curve.date}` : "",
    fit ? `; cosinor fit with MESOR ${short(fit.mesor)} ${unit}, amplitude ${short(fit.amplitude)} ${unit}, acrophase at `
      + `${clock(fit.acrophase_hours)}` : "; no cosinor fit",
    awakening ? `; awakening response shaded (AUCg ${short(awakening.aucg)} ${awakening.unit ?? ""})` : "",
    doses.length > 0 ? `; ${doses.length} dose(s) marked as dashed vertical lines` : "",
    ".",
  ].join("");
  const plot = figure({
    name: `day-curve:${curve.prefix}`,
    caption: [`${title}${curve.date ? `, ${curve.date}` : ""}: samples (filled circles; a cross: not in the fit)`,
      fit ? ", the cosinor fit (solid line), the MESOR (dashed horizontal line) and the acrophase (dotted vertical line)" : "",
      awakening ? ", the awakening response (shaded)" : "",
      doses.length > 0 ? ", doses (dashed vertical lines), the dose peak (triangle) and trough (upside-down triangle)" : "",
      "."].join(""),
    options: {
      ariaLabel: `Day curve of ${title}`,
      ariaDescription: description,
      marginLeft: 56,
      x: {label: "Local clock time (h)", domain: [0, 24], ticks: [0, 3, 6, 9, 12, 15, 18, 21, 24], labelArrow: "none",
        labelAnchor: "center"},
      y: {label: yLabel, grid: true, labelArrow: "none", zero: Boolean(awakening && awake.length > 0)},
      marks,
    },
  });

  const samples = table({
    name: `day-curve:${curve.prefix}`,
    caption: `Samples of ${title}${curve.date ? ` (${curve.date})` : ""}, values in ${unit}`,
    columns: [
      {name: "observation", label: "Observation"},
      {name: "effective", label: "Time"},
      {name: "clock_hours", label: "Clock (h)", numeric: true},
      {name: "comparator", label: "Comparator"},
      {name: "value", label: `Value (${unit})`, numeric: true},
      {name: "original_value", label: "Original value", numeric: true},
      {name: "original_unit", label: "Original unit"},
      {name: "hours_since_dose", label: "Hours since dose", numeric: true},
      {name: "in_fit", label: "In fit"},
      {name: "awakening", label: "Awakening"},
    ],
    rows: points.map((p) => ({observation: p.observation, cells: {
      observation: p.observation ?? "", effective: p.effective, clock_hours: num(p.clock_hours),
      comparator: p.comparator ?? "", value: num(p.value), original_value: num(p.original?.value),
      original_unit: p.original?.unit ?? "", hours_since_dose: num(p.hours_since_dose), in_fit: yesNo(p.in_fit),
      awakening: yesNo(p.awakening)}})),
    empty: "No samples.",
  });

  const numbers = [];
  if (fit) {
    const o = fit.observations ?? {};
    numbers.push(
      ["MESOR", fit.mesor, fit.unit ?? unit, o.mesor],
      ["Amplitude", fit.amplitude, fit.unit ?? unit, o.amplitude],
      ["Acrophase", fit.acrophase_hours, "h", o.acrophase],
      ["p-value", fit.p_value, "", null],
      ["Residual standard error", fit.residual_standard_error, fit.unit ?? unit, null],
      ["Samples in the fit (n)", fit.n, "", null]);
  }
  if (awakening) {
    numbers.push(
      ["Waking", awakening.waking_clock_hours, "h", null],
      ["Awakening AUCg", awakening.aucg, awakening.unit, null],
      ["Awakening AUCi", awakening.auci, awakening.unit, null]);
  }
  for (const d of doses) numbers.push([`Dose: ${d.display ?? ""} (${d.time})`, d.clock_hours, "h", d.medication]);
  if (curve.dose_peak) numbers.push(["Dose peak", curve.dose_peak.value, unit, curve.dose_peak.observation]);
  if (curve.dose_trough) numbers.push(["Dose trough", curve.dose_trough.value, unit, curve.dose_trough.observation]);
  const fitTable = table({
    name: `day-curve-fit:${curve.prefix}`,
    caption: fit ? `Cosinor fit of ${title}: M + A cos(2π (t − acrophase) / 24)` : `${title}: no cosinor fit`,
    columns: [{name: "quantity", label: "Quantity"}, {name: "value", label: "Value", numeric: true},
      {name: "unit", label: "Unit"}, {name: "reference", label: "Resource"}],
    rows: numbers.map(([label, value, u, reference]) => ({
      observation: reference?.startsWith?.("Observation/") ? reference : "",
      cells: {quantity: label, value: num(value), unit: u ?? "", reference: reference ?? ""}})),
    empty: "No fit: too few samples over the day.",
  });

  return h("article", {class: "gg-block gg-day-curve", "data-prefix": curve.prefix, id},
    h(headingTag, null, `${title}${curve.date ? `, ${curve.date}` : ""}`),
    h("div", {class: "gg-pair"}, plot, h("div", {class: "gg-side"}, samples, fitTable)));
}

// ---- series over time ------------------------------------------------------------------------------------------

function seriesBlock(series, headingTag) {
  const unit = series.unit ?? "";
  const unitLabel = unit === "" ? "1" : unit;
  const target = series.target;
  const points = (series.points ?? []).map((p) => ({...p, at: date(p.effective)})).filter((p) => p.at != null);
  points.sort((a, b) => a.at - b.at);
  const outside = points.filter((p) => p.outside === "above" || p.outside === "below");
  const title = series.display ?? series.code;

  const yExtent = padded([...points.map((p) => p.value), target?.low, target?.high]);
  const yDomain = niceDomain(yExtent[0], yExtent[1]);
  const times = points.map((p) => p.at.getTime());
  let xDomain;
  if (times.length === 0) xDomain = [new Date(Date.now() - 86400e3), new Date()];
  else {
    const [low, high] = padded(times, 0.04);
    xDomain = high - low < 2 * 86400e3 ? [new Date(low - 86400e3), new Date(high + 86400e3)] : [new Date(low), new Date(high)];
  }

  const marks = [];
  if (target && (target.low != null || target.high != null)) {
    const band = {low: target.low ?? yDomain[0], high: target.high ?? yDomain[1]};
    marks.push(named("target band", Plot.rect([band], {y1: "low", y2: "high", fill: colours.green, fillOpacity: 0.15,
      stroke: colours.green, strokeOpacity: 0.5, strokeDasharray: "4,3",
      title: () => `Target ${targetText(target)}${target.source ? ` (${target.source})` : ""}`})));
  }
  if (points.length > 1) {
    marks.push(named("line", Plot.line(points, {x: "at", y: "value", stroke: colours.blue, strokeOpacity: 0.7})));
  }
  const pointTitle = (p) => `${p.effective}: ${quantity(p.value, unit, p.comparator)}`
    + `${p.outside ? `, ${p.outside} the target` : ""}${p.level ? ` (${p.level})` : ""}`
    + `${p.current ? ", computed now" : ""}${p.observation ? ` — ${p.observation}` : ""}`;
  marks.push(named("values", Plot.dot(points, {x: "at", y: "value", r: 4, fill: colours.blue, stroke: "white",
    strokeWidth: 1, title: pointTitle})));
  if (outside.length > 0) {
    marks.push(named("outside target", Plot.dot(outside, {x: "at", y: "value", symbol: "triangle", r: 8,
      rotate: (p) => (p.outside === "below" ? 180 : 0), fill: colours.vermillion, stroke: colours.black,
      strokeWidth: 1, title: pointTitle})));
  }

  const plot = figure({
    name: `series:${series.code}`,
    caption: `${title} over time (circles joined by a line)`
      + (target ? `, the target ${targetText(target)} ${unitLabel === "1" ? "" : unitLabel} as a shaded band` : ", no target range applies")
      + (outside.length > 0 ? `; ${outside.length} value(s) outside the target marked with a triangle (pointing up: above, down: below)` : "")
      + ".",
    options: {
      ariaLabel: `${title} over time`,
      ariaDescription: `${points.length} values of ${title} from ${points[0]?.effective ?? "-"} to `
        + `${points[points.length - 1]?.effective ?? "-"}` + (target ? `; target ${targetText(target)}; ${outside.length} outside it.` : "."),
      marginLeft: 56,
      x: {type: "utc", label: "Date", domain: xDomain, labelArrow: "none", labelAnchor: "center", ticks: 6},
      y: {label: `${title} (${unitLabel})`, domain: yDomain, grid: true, labelArrow: "none"},
      marks,
    },
  });

  const values = table({
    name: `series:${series.code}`,
    caption: `Values of ${title} (${unitLabel})`
      + (target ? `; target ${targetText(target)}${target.source ? `, ${target.source}` : ""}` : "; no target range applies"),
    columns: [
      {name: "effective", label: "Date"},
      {name: "comparator", label: "Comparator"},
      {name: "value", label: `Value (${unitLabel})`, numeric: true},
      {name: "outside", label: "Outside target"},
      {name: "level", label: "Level"},
      {name: "current", label: "Computed now"},
      {name: "observation", label: "Derived Observation"},
      {name: "inputs", label: "Inputs"},
    ],
    rows: points.map((p) => ({observation: p.observation, attrs: {"data-outside": p.outside ?? ""}, cells: {
      effective: p.effective, comparator: p.comparator ?? "", value: num(p.value), outside: p.outside ?? "",
      level: p.level ?? "", current: p.current ? "yes" : "", observation: p.observation ?? "",
      inputs: inputList(p.inputs ?? [])}})),
    empty: "No values.",
  });

  return h("article", {class: "gg-block gg-series", "data-code": series.code, id: uid(`series-${series.code}`)},
    h(headingTag, null, title),
    h("div", {class: "gg-pair"}, plot, h("div", {class: "gg-side"}, values)));
}

function targetText(target) {
  if (target.low != null && target.high != null) return `${num(target.low)}–${num(target.high)}`;
  if (target.low != null) return `≥ ${num(target.low)}`;
  if (target.high != null) return `≤ ${num(target.high)}`;
  return "";
}

function inputList(inputs) {
  return h("ul", {class: "gg-inputs"}, inputs.map((i) => h("li", {"data-input": i.observation ?? ""},
    h("span", {class: "gg-ref"}, i.observation ?? ""), " ", i.display ?? i.analyte ?? "", ": ",
    i.original ? `${quantity(i.original.value, i.original.unit)} = ` : "",
    quantity(i.canonical?.value, i.canonical?.unit),
    i.hours_since_dose != null ? `, ${num(i.hours_since_dose)} h since dose` : "")));
}

// ---- findings and proposals ------------------------------------------------------------------------------------

function findings(list) {
  return h("div", {class: "gg-findings"},
    h("p", {class: "gg-must-review"}, MUST_REVIEW),
    table({
      name: "findings",
      caption: "Findings of the current analysis",
      columns: [
        {name: "display", label: "Gradient"},
        {name: "comparator", label: "Comparator"},
        {name: "value", label: "Value", numeric: true},
        {name: "unit", label: "Unit"},
        {name: "level", label: "Level"},
        {name: "direction", label: "Direction"},
        {name: "rationale", label: "Rationale"},
        {name: "rule", label: "Rule"},
        {name: "range_source", label: "Range source"},
        {name: "inputs", label: "Inputs"},
        {name: "observation", label: "Derived Observation"},
      ],
      rows: list.map((f) => ({observation: f.observation, attrs: {"data-finding": f.code}, cells: {
        display: f.display ?? f.code, comparator: f.comparator ?? "", value: num(f.value), unit: f.unit ?? "",
        level: f.level ?? "", direction: f.direction ?? "", rationale: f.rationale ?? "", rule: f.rule ?? "",
        range_source: f.range_source ?? "", inputs: refs(f.inputs), observation: f.observation ?? ""}})),
      empty: "No findings.",
    }));
}

function proposals(list, headingTag) {
  if (list.length === 0) return h("p", {class: "gg-none"}, "No proposals.");
  return h("div", {class: "gg-proposals"}, list.map((p) => h("article", {class: "gg-proposal", "data-proposal": p.rule},
    h("p", {class: "gg-must-review"}, MUST_REVIEW),
    h(headingTag, null, p.title ?? p.rule),
    p.description ? h("p", null, p.description) : null,
    definitions([
      ["Kind", p.kind, {"data-field": "kind"}],
      ["Time of day", (p.time_of_day ?? []).join(", ") || "any", {"data-field": "time_of_day"}],
      ["Rule", p.rule, {"data-field": "rule"}],
      ["Finding", p.finding ?? "", {"data-field": "finding"}],
      ["Inputs", refs(p.inputs), {"data-field": "inputs"}],
    ]))));
}

function refs(list) {
  return h("ul", {class: "gg-inputs"}, (list ?? []).map((r) => h("li", {"data-input": r}, r)));
}
