// node --test ui/test/format.test.js: the pure helpers of ui/src/format.js (no DOM, no npm packages).
import {test} from "node:test";
import assert from "node:assert/strict";
import {num, short, clock, quantity, date, outcomeText, histogram, padded} from "../src/format.js";

test("numbers in the tables are the JSON numbers as sent", () => {
  assert.equal(num(0.3100000000000001), "0.3100000000000001");
  assert.equal(num(15.2), "15.2");
  assert.equal(num(0), "0");
  assert.equal(num(null), "");
  assert.equal(num(1e21), "1e+21");
});

test("short numbers and clock times for reading", () => {
  assert.equal(short(1234.5678), "1235");
  assert.equal(short(0.0123456), "0.01235");
  assert.equal(clock(8.4), "08:24");
  assert.equal(clock(23.999), "00:00");
  assert.equal(clock(0), "00:00");
  assert.equal(quantity(0.5, "nmol/L", "<"), "<0.5 nmol/L");
  assert.equal(quantity(0.31, "1", ""), "0.31");
});

test("FHIR dateTimes and OperationOutcomes", () => {
  assert.equal(date("2026-11-30T08:00:00+01:00").toISOString(), "2026-11-30T07:00:00.000Z");
  assert.equal(date("2026-11-30").toISOString(), "2026-11-30T00:00:00.000Z");
  assert.equal(date("not a date"), null);
  assert.equal(outcomeText({resourceType: "OperationOutcome", issue: [{diagnostics: "a"}, {details: {text: "b"}}]}), "a; b");
  assert.equal(outcomeText({resourceType: "Patient"}), null);
});

test("cumulative latency buckets become one bar per bucket", () => {
  const bars = histogram([{le: 0.005, count: 3}, {le: 0.01, count: 10}, {le: "+Inf", count: 12}]);
  assert.deepEqual(bars.map((b) => b.count), [3, 7, 2]);
  assert.deepEqual(bars.map((b) => b.label), ["≤ 5 ms", "≤ 10 ms", "> 10 ms"]);
  assert.deepEqual(padded([5]), [4.6, 5.4]);
});
