#!/usr/bin/env python3
"""Compares `gradient-gateway analyze` output with bench/reference_analysis.py's values, per (patient, code).

The whole-process benchmark of issue 12 is fair only when both programs compute the same values. This reads

  * the gateway's output: the transaction Bundle `analyze` prints, or its `--ndjson` resources (one per line);
    every Observation coded in http://gradient-gateway.dev/fhir/CodeSystem/gradient is a value: its subject,
    code, valueQuantity (value, unit, comparator), derivedFrom and its components coded in that system;
  * the reference's lines {patient, code, value, unit, inputs, comparator?, components?};

and reports, per code, how many values agree exactly (the same double: the gateway writes full precision, no
rounding), within the relative tolerance, or not at all, and which (patient, code) only one side has. The
reference's components (a cosinor's residual standard error and p-value, a dose curve's hours since the dose) are
compared too. With --inputs the reference's cited inputs (versioned references) must be among the gateway's derivedFrom
(which also names a trend's previous inputs).

Run:  python3 bench/compare_outputs.py GATEWAY_OUTPUT REFERENCE_OUTPUT [--rtol 1e-9] [--inputs] [--json FILE]
Exit status 0 when every value is on both sides and agrees, 1 otherwise.
"""

import argparse
import json
import math
import sys
from collections import defaultdict

GRADIENT_SYSTEM = "http://gradient-gateway.dev/fhir/CodeSystem/gradient"


def gradient_code(concept):
    for coding in (concept or {}).get("coding") or []:
        if coding.get("system") == GRADIENT_SYSTEM:
            return coding.get("code")
    return None


def gateway_resources(path):
    """The resources of analyze's output: NDJSON (--ndjson) read line by line, or the transaction Bundle (one
    document; for a large feed prefer --ndjson, which is not held whole)."""
    with open(path, encoding="utf-8") as f:
        first = f.readline()
        second = f.readline()
        if not first.strip():  # --ndjson output with nothing written
            return
        if not second.strip():  # one document: the Bundle, or a single resource
            document = json.loads(first + second + f.read())
            if document.get("resourceType") == "Bundle":
                for entry in document.get("entry") or []:
                    yield entry.get("resource") or {}
            else:
                yield document
            return
        yield json.loads(first)
        yield json.loads(second)
        for line in f:
            if line.strip():
                yield json.loads(line)


def read_gateway(path):
    values = {}
    for resource in gateway_resources(path):
        if resource.get("resourceType") != "Observation":
            continue
        code = gradient_code(resource.get("code"))
        if code is None:
            continue
        quantity = resource.get("valueQuantity") or {}
        components = {}
        for component in resource.get("component") or []:
            component_code = gradient_code(component.get("code"))
            if component_code:
                components.setdefault(component_code, (component.get("valueQuantity") or {}).get("value"))
        key = ((resource.get("subject") or {}).get("reference"), code)
        values[key] = {"value": quantity.get("value"), "unit": quantity.get("code") or quantity.get("unit"),
                       "comparator": quantity.get("comparator", ""),
                       "inputs": sorted(r.get("reference") for r in resource.get("derivedFrom") or []),
                       "components": components}
    return values


def read_reference(path):
    values = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            record = json.loads(line)
            values[(record["patient"], record["code"])] = {
                "value": record["value"], "unit": record["unit"], "comparator": record.get("comparator", ""),
                "inputs": sorted(record.get("inputs") or []), "components": record.get("components") or {}}
    return values


def agreement(a, b, rtol):
    """"exact", "close" or "differ" for two numbers."""
    if a is None or b is None:
        return "differ"
    if float(a) == float(b):
        return "exact"
    if math.isclose(float(a), float(b), rel_tol=rtol, abs_tol=0.0):
        return "close"
    return "differ"


def compare(gateway, reference, rtol, check_inputs):
    per_code = defaultdict(lambda: {"both": 0, "exact": 0, "close": 0, "differ": 0, "gateway_only": 0,
                                    "reference_only": 0})
    examples = []
    worst = defaultdict(float)
    for key in sorted(set(gateway) | set(reference), key=lambda k: (str(k[0]), k[1])):
        counts = per_code[key[1]]
        if key not in reference:
            counts["gateway_only"] += 1
            if len(examples) < 20:
                examples.append({"only": "gateway", "patient": key[0], "code": key[1]})
            continue
        if key not in gateway:
            counts["reference_only"] += 1
            if len(examples) < 20:
                examples.append({"only": "reference", "patient": key[0], "code": key[1]})
            continue
        g, r = gateway[key], reference[key]
        counts["both"] += 1
        verdict = agreement(g["value"], r["value"], rtol)
        # The reference's components (a cosinor's fit statistics, a dose curve's hours since the dose) must be
        # the gateway's; the gateway's others (trends, the dose timing of a ratio's inputs) are outside its scope.
        for name, value in r["components"].items():
            other = agreement(g["components"].get(name), value, rtol)
            if other == "differ" or (other == "close" and verdict == "exact"):
                verdict = other
        # derivedFrom also names the previous value's inputs when the gateway states a trend (write_back.cpp
        # add_trend), so the reference's inputs must be among the gateway's.
        if g["unit"] != r["unit"] or g["comparator"] != r["comparator"] or \
                (check_inputs and not set(r["inputs"]) <= set(g["inputs"])):
            verdict = "differ"
        counts[verdict] += 1
        if verdict != "exact" and g["value"] and r["value"] is not None:
            worst[key[1]] = max(worst[key[1]], abs(float(g["value"]) - float(r["value"])) / abs(float(g["value"])))
        if verdict == "differ" and len(examples) < 20:
            examples.append({"differ": key[1], "patient": key[0], "gateway": g, "reference": r})
    return per_code, worst, examples


def main(argv=None):
    parser = argparse.ArgumentParser(description="Compare gradient-gateway analyze output with "
                                                 "bench/reference_analysis.py output, per (patient, code).")
    parser.add_argument("gateway", help="analyze's output: a transaction Bundle, or --ndjson resources")
    parser.add_argument("reference", help="reference_analysis.py's JSON lines")
    parser.add_argument("--rtol", type=float, default=1e-9, help="relative tolerance (default 1e-9)")
    parser.add_argument("--inputs", action="store_true",
                        help="the reference's inputs must be among derivedFrom (which adds a trend's previous inputs)")
    parser.add_argument("--json", metavar="FILE", help="also write the summary as JSON to FILE")
    args = parser.parse_args(argv)

    gateway = read_gateway(args.gateway)
    reference = read_reference(args.reference)
    per_code, worst, examples = compare(gateway, reference, args.rtol, args.inputs)

    columns = ("both", "exact", "close", "differ", "gateway_only", "reference_only")
    print(f"{'code':40} " + " ".join(f"{c:>14}" for c in columns) + f" {'max rel diff':>13}")
    totals = dict.fromkeys(columns, 0)
    for code in sorted(per_code):
        counts = per_code[code]
        for c in columns:
            totals[c] += counts[c]
        print(f"{code:40} " + " ".join(f"{counts[c]:>14}" for c in columns) + f" {worst.get(code, 0.0):>13.3g}")
    print(f"{'total':40} " + " ".join(f"{totals[c]:>14}" for c in columns))
    for example in examples:
        print(json.dumps(example), file=sys.stderr)
    summary = {"gateway_values": len(gateway), "reference_values": len(reference), "rtol": args.rtol,
               "inputs_compared": args.inputs, "totals": totals, "per_code": per_code,
               "max_relative_difference": worst}
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(summary, f, indent=2, sort_keys=True)
    agree = totals["differ"] == 0 and totals["gateway_only"] == 0 and totals["reference_only"] == 0
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
