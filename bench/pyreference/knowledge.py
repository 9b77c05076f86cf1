"""The catalogue (config/terminology/analytes.yaml), the site's ConceptMaps, the medications that change values
(medications.yaml) and the rules (config/rules/*.yaml), read as the gateway's loaders read them."""

import json
import math
import os
import sys

from .fhir_time import clock_minutes
from .ucum import conversion, apply_conversion, dim, parse_unit, same_unit

try:
    import yaml  # PyYAML: only to read the configuration at start
except ImportError:  # pragma: no cover - the message is the point
    sys.exit("reference_analysis.py needs PyYAML to read config/*.yaml (apt install python3-yaml)")
# libyaml's loader when PyYAML was built with it: the catalogue is read once, but the pure-Python loader takes
# about half a second over it, which would count against the reference in a whole-process timing.
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

LOINC = "http://loinc.org"


class Analyte:
    """An analyte of the catalogue, with its units parsed once (catalogue.cpp AnalyteUnits)."""

    def __init__(self, entry):
        self.id = entry["id"]
        self.canonical_unit = entry["canonical_unit"]
        molar = entry.get("molar_mass")
        self.molar_mass = float(molar["g_per_mol"]) if molar and molar["g_per_mol"] > 0 else None
        self.per_iu = None
        iu = entry.get("iu_equivalent")
        if iu and iu["quantity"] > 0:
            unit = parse_unit(iu["unit"])
            if unit and unit[1] in (dim(mass=1), dim(amount=1)):
                self.per_iu = (iu["quantity"] * unit[0], unit[1])
        self.aliases = {alias: ucum for alias, ucum in (entry.get("unit_aliases") or {}).items()}
        self.accepted = [u for u in (parse_unit(text) for text in entry.get("accepted_units") or []) if u]
        self.any_unit = not entry.get("accepted_units")
        self.plausible_low = self.plausible_high = None
        rng = entry.get("plausible_range")
        if rng:
            unit = parse_unit(rng["unit"])
            for bound in ("low", "high"):
                if rng.get(bound) is None or unit is None:
                    continue
                steps = conversion(unit, self.canonical_unit, self.molar_mass, self.per_iu)
                if steps is not None:
                    value = apply_conversion(float(rng[bound]), steps)
                    if math.isfinite(value):
                        setattr(self, "plausible_" + bound, value)
        self._units = {}

    def unit_steps(self, text, ucum_code):
        """The conversion of a unit string into the canonical unit, or None when it is rejected (unknown,
        incompatible, no molar mass, not accepted). Each distinct string is read once."""
        key = (text, ucum_code)
        if key in self._units:
            return self._units[key]
        steps = None
        alias = self.aliases.get(text)
        unit = parse_unit(alias) if alias is not None else parse_unit(text, lab_text=not ucum_code)
        if unit is not None:
            steps = conversion(unit, self.canonical_unit, self.molar_mass, self.per_iu)
            if steps is not None and not self.any_unit and not any(same_unit(a, unit) for a in self.accepted):
                steps = None
        self._units[key] = steps
        return steps


class Knowledge:
    """The catalogue, the ConceptMaps and the rules, read from a config directory like the gateway's."""

    def __init__(self, config_dir):
        terminology = os.path.join(config_dir, "terminology")
        with open(os.path.join(terminology, "analytes.yaml"), encoding="utf-8") as f:
            catalogue = yaml.load(f, Loader=YAML_LOADER)
        self.analytes = {}
        self.loinc = {}  # code -> (analyte, specimen, timing)
        for entry in catalogue["analytes"]:
            analyte = Analyte(entry)
            self.analytes[analyte.id] = analyte
            for code in entry["loinc"]:
                self.loinc.setdefault(str(code["code"]), (analyte, code["specimen"], code.get("timing") or ""))
        self.local = {}  # (system, code) -> LOINC code; the first mapping wins
        for name in sorted(os.listdir(terminology)):
            if not name.endswith(".json"):
                continue
            with open(os.path.join(terminology, name), encoding="utf-8") as f:
                resource = json.load(f)
            if resource.get("resourceType") != "ConceptMap" or resource.get("status") == "retired":
                continue
            for group in resource.get("group", []):
                if group.get("target") != LOINC or not group.get("source"):
                    continue
                for element in group.get("element", []):
                    for target in element.get("target", []):
                        if target.get("equivalence") in ("equivalent", "equal", "wider", "subsumes"):
                            self.local.setdefault((group["source"], element.get("code", "")), target["code"])
        self.medications = []
        medications_file = os.path.join(terminology, "medications.yaml")
        if os.path.exists(medications_file):
            with open(medications_file, encoding="utf-8") as f:
                entries = (yaml.load(f, Loader=YAML_LOADER) or {}).get("medications") or []
                self.medications = [MedicationEntry(m) for m in entries]
        self.ratios, self.derived, self.rhythms = [], [], []
        rules_dir = os.path.join(config_dir, "rules")
        for name in sorted(os.listdir(rules_dir)):
            if not name.endswith(".yaml"):
                continue
            with open(os.path.join(rules_dir, name), encoding="utf-8") as f:
                rules = yaml.load(f, Loader=YAML_LOADER) or {}
            self.ratios += [RatioRule(r) for r in rules.get("ratios") or []]
            self.derived += [DerivedRule(r) for r in rules.get("derived") or []]
            self.rhythms += [RhythmRule(r) for r in rules.get("rhythms") or []]
        # components stating a time are kept only when a rule reads a stated waking from them
        self.keep_time_components = any(rule.waking_codes for rule in self.rhythms)

    def match(self, coding_list):
        """The catalogue entry (analyte, specimen, timing) of an Observation.code, None when it is not a
        hormone, or False when its codings disagree (a rejection)."""
        loinc, local = [], []
        for coding in coding_list:
            system = coding.get("system")
            code = coding.get("code")
            if system == LOINC:
                found = self.loinc.get(code)
                if found is not None:
                    loinc.append(found)
            else:
                mapped = self.local.get((system, code))
                if mapped is not None and mapped in self.loinc:
                    local.append(self.loinc[mapped])
        if not loinc and not local:
            return None
        chosen = loinc[0] if loinc else local[0]
        for other in loinc + local:
            if other[0] is not chosen[0] or other[1] != chosen[1]:
                return False
        return chosen


def window_seconds(rule, default_hours):
    return int(float(rule.get("window_hours", default_hours)) * 3600.0)


class RatioRule:
    """A ratio rule (rules_loader.cpp read_ratio): defaults input_unit nmol/L, unit 1, window 24 h."""

    def __init__(self, r):
        self.code = r["code"]
        self.numerator = r["numerator"]
        self.denominator = r["denominator"]
        self.input_unit = r.get("input_unit", "nmol/L")
        self.unit = str(r.get("unit", "1"))
        self.window = window_seconds(r, 24)
        self.specimen = r.get("specimen")  # None: the two must merely share one
        self.timings = list(r.get("numerator_timing") or [])
        clock = r.get("numerator_clock")
        self.clock = (clock_minutes(clock["from"]) * 60, clock_minutes(clock["to"]) * 60) if clock else None


class DerivedRule:
    """A derived rule (rules_loader.cpp read_derived_rule); `input(role)` names the analyte of a role."""

    def __init__(self, r):
        self.code = r["code"]
        self.formula = r["formula"]
        inputs = r.get("inputs") or {}
        self.input = lambda role: inputs.get(role, role)
        own = "pmol/L" if self.formula == "vermeulen-free-testosterone" else "1"
        self.formula_unit = own
        self.unit = str(r.get("unit") or own)
        self.window = window_seconds(r, 24)
        self.default_albumin = float(r.get("default_albumin_g_l", 43))


class RhythmRule:
    """A rhythm rule (rules_loader.cpp read_rhythm); clock windows in seconds since local midnight."""

    def __init__(self, r):
        self.kind = r["kind"]
        self.analyte = r["analyte"]
        self.specimen = r["specimen"]
        self.prefix = r.get("code_prefix") or self.analyte
        self.unit = r.get("unit", "nmol/L")
        window = r.get("waking_window")
        self.waking = (clock_minutes(window["from"]) * 60, clock_minutes(window["to"]) * 60) if window else None
        # a site's codes for "time of awakening" on an Observation.component (no standard LOINC code exists)
        self.waking_codes = {(c["system"], c["code"]) for c in r.get("waking_time_codes") or []}
        self.min_samples = int(r.get("min_samples", 6))
        self.min_span_hours = float(r.get("min_span_hours", 12))
        self.days = int(r.get("days", 3))

    def area_unit(self):
        slash = self.unit.find("/")
        return self.unit + ".min" if slash < 0 else self.unit[:slash] + ".min" + self.unit[slash:]


class MedicationEntry:
    """A medication of config/terminology/medications.yaml, with what dose timing needs."""

    def __init__(self, m):
        self.id = m["id"]
        self.affects = list(m.get("affects") or [])
        self.glucocorticoid = bool(m.get("glucocorticoid"))
        self.not_assessed = list((m.get("not_assessed") or {}).get("analytes") or [])
        self.codes = {(c["system"], str(c["code"])) for c in m.get("codes") or []}
        self.names = list(m.get("names") or [])
        self.local_words = list(m.get("local_product_words") or [])
        self.routes = []
        for r in m.get("routes") or []:
            peak = r.get("peak_hours")
            self.routes.append({"route": r["route"], "forms": list(r.get("forms") or []),
                                "recorded_as": list(r.get("recorded_as") or []),
                                "peak": (float(peak[0]), float(peak[1])) if peak else None,
                                "interval": float(r["dosing_interval_hours"])})

    def changes_values(self):
        return self.glucocorticoid or bool(self.not_assessed)

    def route_entry(self, route, forms):
        if route != "unknown":
            for entry in self.routes:
                if entry["route"] == route and any(f in forms for f in entry["forms"]):
                    return entry
            for entry in self.routes:
                if entry["route"] == route and not entry["forms"]:
                    return entry
            return None
        for entry in self.routes:
            if any(f in forms for f in entry["forms"]):
                return entry
        return self.routes[0] if len(self.routes) == 1 else None
