#!/usr/bin/env python3
"""A plain-Python analysis of a FHIR hormone feed: the reference `gradient-gateway analyze` is timed against.

Issue 12 asks for the gateway's whole-process speed as a ratio against "a plain-Python analysis of the same feed"
that "computes the same ratios and derived values, so the comparison is fair". This script is that reference. It
does the same work as `analyze`, in the standard library's own way (the json module, one thread, no numpy):

  * reads every input: NDJSON (one resource per line), a Bundle (transaction, collection, searchset) or a single
    resource; several files; `-` for standard input. Every resource is parsed with json.loads.
  * keeps Patients and the hormone Observations, recognised by their LOINC code or by a site code mapped through
    the ConceptMaps in config/terminology/*.json (equivalent, equal, wider, subsumes), as the gateway does;
  * normalises each result: status (cancelled, entered-in-error, registered and data-absent results are excluded;
    only preliminary, final, amended, corrected are used), the latest version of each id, the value (valueQuantity
    or a valueString such as "<0.5 ng/mL") converted to the analyte's canonical unit through UCUM with the
    catalogue's molar mass or IU equivalence, unit aliases and accepted units, free-text spellings (µg/dL, mcg/dL,
    NMOL/L), the plausible range, the draw time with its own UTC offset, a contained Specimen that contradicts the
    code;
  * computes per patient the rules of config/rules/*.yaml with the gateway's definitions (analytics/ratio.cpp,
    derived_rules.cpp, derived.cpp, rhythm.cpp, rhythm_rules.cpp, dosing.cpp): every ratio rule (closest disjoint
    pairs within the window, the most recent pair; a censored pair gives a bound), every derived rule (calculated
    free testosterone, Vermeulen 1999; free androgen index; HOMA-IR, Matthews 1985), the rhythm rules (diurnal
    slope, Pruessner's AUCg/AUCi, the 24 h cosinor with its residual standard error and F-test p-value), and the
    dose timing that changes values: a cortisol series under hydrocortisone is a dose curve (dose peak and
    trough), one under prednisolone gives neither;
  * writes one JSON line per value to standard output, patients in the gateway's order (by subject reference):
      {"patient": "Patient/7", "code": "...", "value": 0.12, "unit": "1", "inputs": ["Observation/1/_history/2"]}
    with "comparator" for a bound and "components" for a cosinor's fit statistics or a dose curve's hours since
    the dose;
  * prints a one-line summary to standard error.

Waking times stated in components (a rule's `waking_time_codes`, off in the shipped rules) are read as the gateway
reads them. Not done, because they change no value: risk levels, trends, suggestions, the dose timing of ratio and
derived inputs (notes and findings), rejection reports, FHIR authoring. The arithmetic follows the gateway's
operation by operation, so values agree to the last bit except where C's hypot and Python's math.hypot round
differently (1 ulp, in calculated free testosterone and cosinor amplitudes). bench/compare_outputs.py checks the
values against the gateway's output. The modules are in bench/pyreference/.

Run:  python3 bench/reference_analysis.py [--config DIR] FILE... > values.ndjson
"""

import argparse
import io
import json
import math
import os
import sys

from pyreference.dosing import dose_timings, read_medication_use
from pyreference.gradients import compute_derived, compute_ratio
from pyreference.knowledge import Knowledge
from pyreference.normalise import Measurement, later_version, normalise, relative_reference
from pyreference.rhythms import compute_dose_curve, compute_rhythm


def analyze_patient(knowledge, observations, exposures=()):
    """The values of one patient's rules from their hormone Observations (Feed.observations) and exposures to
    medications that change values; the latest version of each id is used (analysis.cpp latest_versions)."""
    versions = [(o.id, o.version) if type(o) is Measurement else o for o in observations]
    chosen = {}
    for index, (identifier, version) in enumerate(versions):
        if not identifier:
            continue
        previous = chosen.get(identifier)
        if previous is None or later_version(version, versions[previous][1]):
            chosen[identifier] = index
    measurements = [o for index, o in enumerate(observations)
                    if type(o) is Measurement and (not o.id or chosen[o.id] == index)]
    if not measurements:
        return [], 0
    values = []
    for rule in knowledge.ratios:
        found = compute_ratio(rule, measurements)
        if found:
            values.append(found)
    for rule in knowledge.derived:
        found = compute_derived(rule, measurements)
        if found:
            values.append(found)
    timings = [t for m in measurements for t in dose_timings(m, exposures)] if exposures else []
    replacement = [t for t in timings if t.medication.glucocorticoid]
    dose_curves_done = set()
    for rule in knowledge.rhythms:
        def in_series(t):
            return t.measurement.analyte == rule.analyte and t.measurement.specimen == rule.specimen
        if any(rule.analyte in t.medication.not_assessed and in_series(t) for t in timings):
            continue  # neither a rhythm nor a dose curve (analysis.cpp uninterpretable_series)
        if not any(in_series(t) for t in replacement):
            values += compute_rhythm(rule, measurements)
        elif rule.prefix not in dose_curves_done:
            dose_curves_done.add(rule.prefix)
            values += compute_dose_curve(rule, measurements, replacement)
    # a value that is not a finite number is reported by the gateway as a rejection, never written
    values = [v for v in values if math.isfinite(v[1]) and all(math.isfinite(c) for c in (v[5] or {}).values())]
    return values, len(measurements)


class Feed:
    """What the inputs hold: Patients, medication uses, and per subject reference the hormone Observations in
    input order: a Measurement, or (id, version) for one that is excluded or rejected."""

    def __init__(self, knowledge):
        self.knowledge = knowledge
        self.patients = {}
        self.observations = {}
        self.medication_uses = {}  # subject reference -> [MedicationStatement, -Administration, -Request]
        self.named_medications = []  # (id, code) of Medication resources
        self.resources = 0
        self.unreadable = 0

    def add(self, resource):
        self.resources += 1
        kind = resource.get("resourceType")
        if kind == "Observation":
            entry = self.knowledge.match((resource.get("code") or {}).get("coding") or [])
            if entry is None:
                return
            subject = (resource.get("subject") or {}).get("reference") or ""
            measurement = normalise(resource, entry, self.knowledge.keep_time_components) \
                if entry is not False else None
            if measurement is None:  # excluded or rejected: its id and version still supersede older versions
                measurement = (resource.get("id") or "", (resource.get("meta") or {}).get("versionId") or "")
            self.observations.setdefault(subject, []).append(measurement)
        elif kind in ("MedicationStatement", "MedicationAdministration", "MedicationRequest"):
            subject = (resource.get("subject") or {}).get("reference") or ""
            self.medication_uses.setdefault(subject, []).append(resource)
        elif kind == "Medication":
            if resource.get("id"):
                self.named_medications.append((resource["id"], resource.get("code") or {}))
        elif kind == "Patient":
            self.patients["Patient/" + (resource.get("id") or "")] = (resource.get("gender"),
                                                                       resource.get("birthDate"))


def looks_like_ndjson(head):
    """input_reader.cpp: the first non-blank line is a whole object and another object line follows."""
    objects = 0
    for line in head.split(b"\n"):
        line = line.strip(b" \t\r")
        if not line:
            continue
        if not line.startswith(b"{"):
            return False
        if objects == 0 and not line.endswith(b"}"):
            return False
        objects += 1
        if objects >= 2:
            return True
    return False


def resolve_placeholders(entries):
    """A transaction's urn:uuid: fullUrls stand for ids until a server assigns them (R4 3.1.0.11.2)."""
    resolved = {}
    for entry in entries:
        resource = entry.get("resource")
        full_url = entry.get("fullUrl") or ""
        if not resource or not full_url.startswith("urn:uuid:"):
            continue
        if not resource.get("id"):
            resource["id"] = full_url[len("urn:uuid:"):]
        resolved[full_url] = resource.get("resourceType", "") + "/" + resource["id"]
    if not resolved:
        return
    for entry in entries:
        resource = entry.get("resource") or {}
        if resource.get("resourceType") not in ("Observation", "MedicationStatement", "MedicationAdministration",
                                                "MedicationRequest"):
            continue
        for key in ("subject", "medicationReference"):
            reference = resource.get(key)
            if isinstance(reference, dict) and reference.get("reference") in resolved:
                reference["reference"] = resolved[reference["reference"]]


def read_input(path, feed):
    """Reads one input into the feed: NDJSON line by line, or one JSON document (a Bundle or a resource)."""
    if path == "-":
        raw = io.BytesIO(sys.stdin.buffer.read())
    else:
        raw = open(path, "rb", buffering=1 << 20)  # a large buffer: peek sees the first lines whole
    head = raw.peek(1 << 20)[:1 << 20] if hasattr(raw, "peek") else raw.getvalue()[:1 << 20]
    with io.TextIOWrapper(raw, encoding="utf-8") as stream:
        if path.endswith((".ndjson", ".jsonl")) or looks_like_ndjson(head):
            add = feed.add
            decode = json.JSONDecoder().decode
            for line in stream:
                try:
                    resource = decode(line)
                except ValueError:
                    if line.strip():  # a blank line is no resource
                        feed.unreadable += 1
                    continue
                if isinstance(resource, dict):
                    add(resource)
                else:
                    feed.unreadable += 1
            return
        try:
            document = json.loads(stream.read())
        except ValueError:
            document = None
    if not isinstance(document, dict):
        feed.unreadable += 1
        return
    if document.get("resourceType") == "Bundle":
        entries = [e for e in document.get("entry") or [] if isinstance(e, dict)]
        resolve_placeholders(entries)
        for entry in entries:
            if isinstance(entry.get("resource"), dict):
                feed.add(entry["resource"])
    else:
        feed.add(document)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Plain-Python reference analysis of a FHIR hormone feed (issue 12): one JSON line per "
                    "computed ratio, derived and rhythm value on stdout, a summary on stderr.")
    parser.add_argument("inputs", nargs="+", metavar="FILE", help="NDJSON, a Bundle or a resource; - for stdin")
    parser.add_argument("--config", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                                         "config"),
                        help="the gateway's config directory (terminology/, rules/); default: the repository's")
    args = parser.parse_args(argv)

    knowledge = Knowledge(args.config)
    feed = Feed(knowledge)
    for path in args.inputs:
        read_input(path, feed)

    out = sys.stdout
    lines = []
    hormone_results = patients = computed = 0
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    for subject in sorted(feed.observations):
        observations = feed.observations[subject]
        # the gateway analyses a subject under its reference as written: another form (an absolute URL, a
        # version) is a subject mismatch, and only a Patient subject is written back
        if relative_reference(subject) != subject or not subject.startswith("Patient/"):
            continue
        exposures = [e for e in (read_medication_use(use, knowledge.medications, feed.named_medications)
                                 for use in feed.medication_uses.get(subject, ())) if e is not None]
        values, used = analyze_patient(knowledge, observations, exposures)
        hormone_results += used
        patients += 1 if used else 0
        for code, value, unit, inputs, comparator, components in values:
            record = {"patient": subject, "code": code, "value": value, "unit": unit,
                      "inputs": [m.cited() for m in inputs if m.id]}
            if comparator:
                record["comparator"] = comparator
            if components:
                record["components"] = components
            lines.append(dumps(record))
            computed += 1
        if len(lines) >= 4096:
            out.write("\n".join(lines) + "\n")
            lines = []
    if lines:
        out.write("\n".join(lines) + "\n")
    out.flush()
    print(f"reference_analysis: read {feed.resources}, unreadable {feed.unreadable}, hormone results "
          f"{hormone_results}, patients {patients}, values {computed}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
