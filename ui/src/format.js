// Formatting that the tables and titles share. Pure functions (no DOM), tested by ui/test/.

// A JSON number exactly as the server sent it (JavaScript's shortest round-trip form, no rounding): the tables
// hold these, and the browser tests compare them with the FHIR resources. null and undefined are empty.
export function num(value) {
  return value == null ? "" : String(value);
}

// A number for reading (titles, captions): at most 4 significant digits, never in exponent form for the usual
// magnitudes of hormone results.
export function short(value) {
  if (value == null || Number.isNaN(value)) return "";
  if (!Number.isFinite(value)) return String(value);
  const rounded = Number(value.toPrecision(4));
  return Math.abs(rounded) >= 1e-4 || rounded === 0 ? String(rounded) : rounded.toExponential(2);
}

// Clock hours (0 <= h < 24) as HH:MM.
export function clock(hours) {
  if (hours == null || !Number.isFinite(hours)) return "";
  let minutes = Math.round(hours * 60) % (24 * 60);
  if (minutes < 0) minutes += 24 * 60;
  return `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;
}

export function yesNo(flag) {
  return flag ? "yes" : "no";
}

// A value with its unit ("14.6 ug/dL"); the comparator in front when there is one ("<0.5 nmol/L").
export function quantity(value, unit, comparator) {
  if (value == null) return "";
  const u = unit == null || unit === "" || unit === "1" ? "" : ` ${unit}`;
  return `${comparator ?? ""}${num(value)}${u}`;
}

// A FHIR dateTime as a Date (a date alone is its UTC midnight), or null when it is not one.
export function date(text) {
  if (text == null || text === "") return null;
  const d = new Date(text);
  return Number.isNaN(d.getTime()) ? null : d;
}

// The OperationOutcome's diagnostics (or details.text) of every issue, or null when the body is not one.
export function outcomeText(body) {
  if (body == null || typeof body !== "object" || body.resourceType !== "OperationOutcome") return null;
  const texts = (body.issue ?? []).map((i) => i.diagnostics ?? i.details?.text ?? i.code).filter(Boolean);
  return texts.length > 0 ? texts.join("; ") : null;
}

// Cumulative histogram buckets [{le, count}] (Prometheus style, le "+Inf" last) as one bar per bucket: the count
// in that bucket alone, with its lower and upper bound.
export function histogram(buckets) {
  const bars = [];
  let previousCount = 0;
  let previousLe = 0;
  for (const b of buckets ?? []) {
    const le = b.le === "+Inf" || b.le === Infinity ? Infinity : Number(b.le);
    bars.push({label: bucketLabel(previousLe, le), low: previousLe, le: b.le, cumulative: b.count,
      count: Math.max(0, b.count - previousCount)});
    previousCount = b.count;
    previousLe = le;
  }
  return bars;
}

function bucketLabel(low, high) {
  const s = (seconds) => (seconds < 1 ? `${short(seconds * 1000)} ms` : `${short(seconds)} s`);
  return high === Infinity ? `> ${s(low)}` : `≤ ${s(high)}`;
}

// Padded bounds [low, high] over the finite numbers given (a single value gets a margin of its own).
export function padded(values, fraction = 0.08) {
  const finite = values.filter((v) => v != null && Number.isFinite(v));
  if (finite.length === 0) return [0, 1];
  let low = Math.min(...finite);
  let high = Math.max(...finite);
  const span = high - low || Math.abs(high) || 1;
  low -= span * fraction;
  high += span * fraction;
  return [low, high];
}
