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
    derived_rules.cpp, derived.cpp, rhythm.cpp, rhythm_rules.cpp): every ratio rule (closest disjoint pairs within
    the window, the most recent pair; a censored pair gives a bound), every derived rule (calculated free
    testosterone, Vermeulen 1999; free androgen index; HOMA-IR, Matthews 1985), and the rhythm rules (diurnal
    slope, Pruessner's AUCg/AUCi, the 24 h cosinor with its residual standard error and F-test p-value);
  * writes one JSON line per value to standard output:
      {"patient": "Patient/7", "code": "...", "value": 0.12, "unit": "1", "inputs": ["Observation/1/_history/2"]}
    with "comparator" for a bound and "components" for a cosinor's fit statistics, patients in the gateway's order;
  * prints a one-line summary to standard error.

Not done (the gateway does them, they change no value): risk levels, trends, suggestions, FHIR authoring. Not
done and changing values: dose timing (a series under glucocorticoid replacement is a dose curve in the gateway,
and prednisolone makes a cortisol series uninterpretable; here every series is a rhythm) and waking times stated
in components (`waking_time_codes`, off in the shipped rules). bench/compare_outputs.py checks the values against
the gateway's output.

Run:  python3 bench/reference_analysis.py [--config DIR] FILE... > values.ndjson
"""

import argparse
import io
import json
import math
import os
import re
import sys

try:
    import yaml  # PyYAML: only to read the rules and the catalogue at start
except ImportError:  # pragma: no cover - the message is the point
    sys.exit("reference_analysis.py needs PyYAML to read config/*.yaml (apt install python3-yaml)")
# libyaml's loader when PyYAML was built with it: the catalogue is read once, but the pure-Python loader takes
# about half a second over it, which would count against the reference in a whole-process timing.
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
SNOMED = "http://snomed.info/sct"
V2_SPECIMEN = "http://terminology.hl7.org/CodeSystem/v2-0487"

# ------------------------------------------------------------------------------------------------------- UCUM
# A port of analytics/ucum.cpp: the same grammar (UCUM section 2.1), atoms and prefixes, and the same floating-point
# operations in the same order, so that a value converts to the same double as in the gateway.

MASS, AMOUNT, LENGTH, TIME, ARBITRARY = range(5)
NO_DIMENSION = (0, 0, 0, 0, 0)


def dim(mass=0, amount=0, length=0, time=0, arbitrary=0):
    return (mass, amount, length, time, arbitrary)


def combined(a, b):
    return (a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3], a[4] + b[4])


def scaled(d, by):
    return (d[0] * by, d[1] * by, d[2] * by, d[3] * by, d[4] * by)


# UCUM table 1, case-sensitive; "da" first so that it wins over "d".
UCUM_PREFIXES = [("da", 1e1), ("Y", 1e24), ("Z", 1e21), ("E", 1e18), ("P", 1e15), ("T", 1e12), ("G", 1e9),
                 ("M", 1e6), ("k", 1e3), ("h", 1e2), ("d", 1e-1), ("c", 1e-2), ("m", 1e-3), ("u", 1e-6),
                 ("n", 1e-9), ("p", 1e-12), ("f", 1e-15), ("a", 1e-18), ("z", 1e-21), ("y", 1e-24)]
# Free text: the prefixes of laboratory units and the spellings of micro (mc, the micro sign, the Greek mu).
LAB_PREFIXES = [("mc", 1e-6), ("\u00b5", 1e-6), ("\u03bc", 1e-6), ("k", 1e3), ("d", 1e-1), ("c", 1e-2),
                ("m", 1e-3), ("u", 1e-6), ("n", 1e-9), ("p", 1e-12), ("f", 1e-15)]
# symbol -> (factor to the coherent base g, mol, m, s, [IU]; dimension; may carry a prefix)
UCUM_ATOMS = {
    "g": (1.0, dim(mass=1), True),
    "mol": (1.0, dim(amount=1), True),
    "L": (1e-3, dim(length=3), True),
    "l": (1e-3, dim(length=3), True),
    "m": (1.0, dim(length=1), True),
    "s": (1.0, dim(time=1), True),
    "min": (60.0, dim(time=1), False),
    "h": (3600.0, dim(time=1), False),
    "d": (86400.0, dim(time=1), False),
    "wk": (604800.0, dim(time=1), False),
    "U": (1e-6 / 60, dim(amount=1, time=-1), True),
    "kat": (1.0, dim(amount=1, time=-1), True),
    "[IU]": (1.0, dim(arbitrary=1), True),
    "[iU]": (1.0, dim(arbitrary=1), True),
    "%": (1e-2, NO_DIMENSION, False),
    "10*": (10.0, NO_DIMENSION, False),
    "10^": (10.0, NO_DIMENSION, False),
}
LAB_ATOMS = {
    "IU": (1.0, dim(arbitrary=1), True),
    "iu": (1.0, dim(arbitrary=1), True),
    "[iu]": (1.0, dim(arbitrary=1), True),
}
MAX_UNIT_BYTES = 64
MAX_NESTING = 4
DIGITS = "0123456789"


class UnitError(Exception):
    pass


class UnitParser:
    """Recursive descent over UCUM's grammar; a unit is (factor, dimension)."""

    def __init__(self, text, lab_text):
        self.text = text
        self.lab_text = lab_text
        self.pos = 0
        self.depth = 0

    def peek(self):
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def parse(self):
        if not self.text or len(self.text.encode("utf-8")) > MAX_UNIT_BYTES:
            raise UnitError
        if self.peek() == "/":
            self.pos += 1
            factor, dimension = self.term()
            factor, dimension = math.pow(factor, -1), scaled(dimension, -1)
        else:
            factor, dimension = self.term()
        if self.pos != len(self.text):
            raise UnitError
        # isnormal: a factor that overflowed or underflowed means nothing
        if not (math.isfinite(factor) and factor >= sys.float_info.min):
            raise UnitError
        return factor, dimension

    def term(self):
        factor, dimension = self.component()
        while self.peek() in (".", "/") and self.pos < len(self.text):
            divide = self.peek() == "/"
            self.pos += 1
            f, d = self.component()
            if divide:
                f, d = math.pow(f, -1), scaled(d, -1)
            factor, dimension = factor * f, combined(dimension, d)
        return factor, dimension

    def component(self):
        text = self.text
        if self.peek() == "(":
            self.depth += 1
            if self.depth > MAX_NESTING:
                raise UnitError
            self.pos += 1
            factor, dimension = self.term()
            self.depth -= 1
            if self.peek() != ")":
                raise UnitError
            self.pos += 1
            start = self.pos
            while self.pos < len(text) and (text[self.pos] in DIGITS or
                                            (text[self.pos] in "+-" and self.pos == start)):
                self.pos += 1
            if self.pos == start:
                return factor, dimension
            exponent = exponent_value(text[start:self.pos])
            return math.pow(factor, exponent), scaled(dimension, exponent)
        symbol = []
        annotated = False
        while self.pos < len(text):
            c = text[self.pos]
            if c in "./()":
                break
            if c in "{[":
                end = text.find("}" if c == "{" else "]", self.pos)
                if end < 0:
                    raise UnitError
                if c == "{":
                    annotated = True  # annotations carry no meaning (UCUM section 2.5)
                else:
                    symbol.append(text[self.pos:end + 1])
                self.pos = end + 1
                continue
            symbol.append(c)
            self.pos += 1
        symbol = "".join(symbol)
        if not symbol:
            if annotated:
                return 1.0, NO_DIMENSION
            raise UnitError
        return self.simple(symbol)

    def simple(self, symbol):
        if all(c in DIGITS for c in symbol):  # a factor such as "10.L"
            if len(symbol) > 9:
                raise UnitError
            factor = 0.0
            for c in symbol:
                factor = factor * 10 + (ord(c) - 48)
            if factor <= 0:
                raise UnitError
            return factor, NO_DIMENSION
        start = len(symbol)
        while start > 0 and symbol[start - 1] in DIGITS:
            start -= 1
        if 0 < start < len(symbol) and symbol[start - 1] in "+-":
            start -= 1
        base = symbol[:start]
        exponent = 1
        if start < len(symbol):
            if not base:
                raise UnitError
            exponent = exponent_value(symbol[start:])
        unit = self.prefixed_atom(base)
        if unit is None:
            raise UnitError
        return math.pow(unit[0], exponent), scaled(unit[1], exponent)

    def atom(self, symbol):
        found = UCUM_ATOMS.get(symbol)
        if found is None and self.lab_text:
            found = LAB_ATOMS.get(symbol)
        return found

    def prefixed_atom(self, symbol):
        whole = self.atom(symbol)
        if whole is not None:
            return whole[0], whole[1]
        for prefix, prefix_factor in (LAB_PREFIXES if self.lab_text else UCUM_PREFIXES):
            if len(symbol) <= len(prefix) or not symbol.startswith(prefix):
                continue
            rest = self.atom(symbol[len(prefix):])
            if rest is not None and rest[2]:
                return prefix_factor * rest[0], rest[1]
        return None


def exponent_value(digits):
    sign = 1
    if digits and digits[0] in "+-":
        sign = -1 if digits[0] == "-" else 1
        digits = digits[1:]
    if len(digits) != 1 or digits not in "123456789":
        raise UnitError
    return sign * (ord(digits) - 48)


_unit_cache = {}


def parse_unit(text, lab_text=False):
    """(factor, dimension) of a unit string, or None; strict UCUM, or free text as labs write it."""
    key = (text, lab_text)
    if key in _unit_cache:
        return _unit_cache[key]
    result = None
    if not lab_text:
        result = _try_parse(text, False)
    else:
        compact = text.replace(" ", "").replace("\t", "")
        result = _try_parse(compact, True)
        if result is None:
            lower = "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in compact)
            if lower != compact:
                result = _try_parse(lower, True)
    _unit_cache[key] = result
    return result


def _try_parse(text, lab_text):
    try:
        return UnitParser(text, lab_text).parse()
    except (UnitError, OverflowError, ValueError, ZeroDivisionError):
        return None


def same_unit(a, b):
    return a[1] == b[1] and abs(a[0] - b[0]) <= 1e-12 * max(abs(a[0]), abs(b[0]))


_rescale_cache = {}


def rescaler(from_ucum, to_ucum):
    """(from factor, to factor) to rescale between two units of one dimension, or None."""
    key = (from_ucum, to_ucum)
    if key not in _rescale_cache:
        a = parse_unit(from_ucum)
        b = parse_unit(to_ucum)
        _rescale_cache[key] = (a[0], b[0]) if a and b and a[1] == b[1] else None
    return _rescale_cache[key]


def rescale(value, from_ucum, to_ucum):
    r = rescaler(from_ucum, to_ucum)
    return None if r is None else value * r[0] / r[1]


MOLAR = dim(mass=1, amount=-1)


def conversion(unit, target_ucum, molar_mass, per_iu):
    """How a value in `unit` reaches `target_ucum` (unit_conversion.cpp convert()): the steps, or None.

    The steps are applied in the gateway's order (value * factor, / molar mass^k, / IU^k, / target factor), so the
    result is the same double."""
    target = parse_unit(target_ucum)
    if target is None:
        return None
    difference = combined(unit[1], scaled(target[1], -1))
    per_iu_dim = combined(per_iu[1], dim(arbitrary=-1)) if per_iu else NO_DIMENSION
    iu_crossings = 1 if per_iu else 0
    for k_molar in (-1, 0, 1):
        for k_iu in range(-iu_crossings, iu_crossings + 1):
            if combined(scaled(MOLAR, k_molar), scaled(per_iu_dim, k_iu)) != difference:
                continue
            if k_molar != 0 and not (molar_mass and molar_mass > 0):
                return None
            molar_divisor = math.pow(molar_mass, k_molar) if k_molar else None
            iu_divisor = math.pow(per_iu[0], k_iu) if k_iu else None
            return (unit[0], molar_divisor, iu_divisor, target[0])
    return None


def apply_conversion(value, steps):
    converted = value * steps[0]
    if steps[1] is not None:
        converted /= steps[1]
    if steps[2] is not None:
        converted /= steps[2]
    return converted / steps[3]


# -------------------------------------------------------------------------------------------------- time
_DATE_TIME = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(Z|([+-])(\d{2}):(\d{2}))\Z",
                        re.ASCII)
_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def days_from_civil(y, m, d):
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant, chrono-Compatible Low-Level Date
    Algorithms, days_from_civil)."""
    y -= m <= 2
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def valid_date(y, m, d):
    if not 1 <= m <= 12 or d < 1:
        return False
    leap = y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)
    return d <= (29 if m == 2 and leap else _DAYS_IN_MONTH[m - 1])


def parse_date_time(text):
    """(UTC seconds since the epoch, offset minutes as written) of a FHIR dateTime with a time and a zone, or None
    (a date alone, no zone, or malformed: the gateway rejects those). Fractional seconds are dropped."""
    match = _DATE_TIME.match(text)
    if match is None:
        return None
    y, mo, d, h, mi, s = (int(match.group(i)) for i in range(1, 7))
    if h > 23 or mi > 59 or s > 60 or not valid_date(y, mo, d):
        return None
    offset = 0
    if match.group(7) != "Z":
        oh, om = int(match.group(9)), int(match.group(10))
        if oh > 14 or om > 59:
            return None
        offset = (oh * 60 + om) * (-1 if match.group(8) == "-" else 1)
    local = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s
    return local - offset * 60, offset


def clock_minutes(value):
    """A config clock time "HH:MM" (PyYAML reads an unquoted 07:00 as the sexagesimal 420) in minutes."""
    if isinstance(value, int):
        return value
    hours, minutes = value.split(":")
    return int(hours) * 60 + int(minutes)


# ------------------------------------------------------------------------------------------------ knowledge
class Analyte:
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
                self.medications = [MedicationEntry(m) for m in (yaml.load(f, Loader=YAML_LOADER) or {}).get("medications") or []]
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
    def __init__(self, r):
        self.kind = r["kind"]
        self.analyte = r["analyte"]
        self.specimen = r["specimen"]
        self.prefix = r.get("code_prefix") or self.analyte
        self.unit = r.get("unit", "nmol/L")
        window = r.get("waking_window")
        self.waking = (clock_minutes(window["from"]) * 60, clock_minutes(window["to"]) * 60) if window else None
        if r.get("waking_time_codes"):
            print("reference_analysis: waking_time_codes are not implemented; days are grouped by the window",
                  file=sys.stderr)
        self.min_samples = int(r.get("min_samples", 6))
        self.min_span_hours = float(r.get("min_span_hours", 12))
        self.days = int(r.get("days", 3))

    def area_unit(self):
        slash = self.unit.find("/")
        return self.unit + ".min" if slash < 0 else self.unit[:slash] + ".min" + self.unit[slash:]


# ---------------------------------------------------------------------------------------------- normalise
class Measurement:
    """A usable hormone result: analyte, specimen, value in the canonical unit, draw time (UTC and offset)."""
    __slots__ = ("reference", "version", "analyte", "specimen", "timing", "value", "comparator", "utc", "offset",
                 "issued")

    def __init__(self, reference, version, analyte, specimen, timing, value, comparator, utc, offset, issued):
        self.reference = reference
        self.version = version
        self.analyte = analyte
        self.specimen = specimen
        self.timing = timing
        self.value = value
        self.comparator = comparator
        self.utc = utc
        self.offset = offset
        self.issued = issued

    def cited(self):
        return self.reference + "/_history/" + self.version if self.version else self.reference


SPECIMEN_CODES = {
    (SNOMED, "119364003"): "serum-plasma", (SNOMED, "119361006"): "serum-plasma", (SNOMED, "119297000"): "blood",
    (SNOMED, "122555007"): "blood", (SNOMED, "122554006"): "blood", (SNOMED, "119342007"): "saliva",
    (SNOMED, "122575003"): "urine", (SNOMED, "276833005"): "urine", (V2_SPECIMEN, "SER"): "serum-plasma",
    (V2_SPECIMEN, "PLAS"): "serum-plasma", (V2_SPECIMEN, "BLD"): "blood", (V2_SPECIMEN, "SAL"): "saliva",
    (V2_SPECIMEN, "UR"): "urine",
}
USABLE_STATUS = ("preliminary", "final", "amended", "corrected")
_VALUE_STRING = re.compile(r"[ \t]*(<=|>=|<|>)?[ \t]*([0-9]*\.?[0-9]*)(.*)\Z", re.ASCII | re.DOTALL)


def declared_specimen(observation):
    reference = (observation.get("specimen") or {}).get("reference") or ""
    if not reference.startswith("#"):
        return None
    for contained in observation.get("contained") or []:
        if contained.get("resourceType") != "Specimen" or contained.get("id") != reference[1:]:
            continue
        for coding in (contained.get("type") or {}).get("coding") or []:
            found = SPECIMEN_CODES.get((coding.get("system"), coding.get("code")))
            if found:
                return found
    return None


def parse_value_string(text):
    """(comparator, value, unit) of a valueString such as "<0.5 ng/mL", or None (normalise.cpp)."""
    match = _VALUE_STRING.match(text)
    number = match.group(2)
    digits = sum(c in DIGITS for c in number)
    if digits == 0 or digits > 15:
        return None
    rest = match.group(3)
    if rest[:1] in (",", "."):
        return None
    return match.group(1) or "", float(number), rest.strip(" \t")


def quantity_unit(quantity):
    """(text, read as a UCUM code) of a Quantity's unit, or None: the code when its system is UCUM, else the unit
    text, else a code without a system read as text."""
    code = quantity.get("code") or ""
    if quantity.get("system") == UCUM and code:
        return code, True
    if quantity.get("unit"):
        return quantity["unit"], False
    if code:
        return code, False
    return None


def canonical_value(observation, analyte):
    """(value in the canonical unit, comparator), or None when the result is rejected."""
    quantity = observation.get("valueQuantity")
    if quantity is not None:
        value = quantity.get("value")
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not value > 0 or \
                not math.isfinite(value):
            return None
        unit = quantity_unit(quantity)
        comparator = quantity.get("comparator") or ""
    else:
        text = observation.get("valueString")
        if not text:
            return None
        parsed = parse_value_string(text)
        if parsed is None:
            return None
        comparator, value, unit_text = parsed
        if unit_text:
            unit = (unit_text, False)
        else:  # the lab's reference range states the unit
            unit = None
            for rng in observation.get("referenceRange") or []:
                for bound in (rng.get("low"), rng.get("high")):
                    if bound and (bound.get("code") or bound.get("unit")):
                        unit = quantity_unit(bound)
                        break
                if unit:
                    break
    if unit is None:
        return None
    steps = analyte.unit_steps(unit[0], unit[1])
    if steps is None:
        return None
    converted = apply_conversion(float(value), steps)
    if not math.isfinite(converted) or converted <= 0:
        return None
    if analyte.plausible_high is not None and converted > analyte.plausible_high:
        return None
    if analyte.plausible_low is not None and comparator not in ("<", "<=") and converted < analyte.plausible_low:
        return None
    return converted, comparator


def normalise(observation, entry):
    """A Measurement, or None for a hormone result that is excluded or rejected."""
    analyte, specimen, timing = entry
    status = observation.get("status")
    if status not in USABLE_STATUS:
        return None  # cancelled, entered-in-error, registered (excluded) or unusable (rejected)
    if observation.get("dataAbsentReason") and "valueQuantity" not in observation and \
            not observation.get("valueString"):
        return None
    if "specimen" in observation:
        declared = declared_specimen(observation)
        if declared is not None and declared != specimen:
            return None
    value = canonical_value(observation, analyte)
    if value is None:
        return None
    issued = False
    text = observation.get("effectiveDateTime")
    if not text:
        text = (observation.get("effectivePeriod") or {}).get("start")
        if not text:
            text = observation.get("issued")
            issued = True
    if not text:
        return None
    instant = parse_date_time(text)
    if instant is None:
        return None
    identifier = observation.get("id") or ""
    return Measurement("Observation/" + identifier if identifier else "",
                       (observation.get("meta") or {}).get("versionId") or "", analyte.id, specimen, timing,
                       value[0], value[1], instant[0], instant[1], issued)


def relative_reference(reference):
    """ "http://x/fhir/Patient/7/_history/2" -> "Patient/7"; urn: and # references unchanged (normalise.cpp)."""
    if reference.startswith("urn:") or reference.startswith("#"):
        return reference
    segments = [s for s in reference.split("/") if s]
    if len(segments) >= 4 and segments[-2] == "_history":
        segments = segments[:-2]
    if len(segments) < 2:
        return reference
    return segments[-2] + "/" + segments[-1]


def later_version(a, b):
    """True when version a is later than b: numerically when both are digits, else as text (analysis.cpp)."""
    if a.isdigit() and b.isdigit() and a.isascii() and b.isascii():
        x, y = a.lstrip("0") or "0", b.lstrip("0") or "0"
        return len(x) > len(y) if len(x) != len(y) else x > y
    return a > b


# ------------------------------------------------------------------------------------------------ ratios
def numerator_time_allowed(rule, m):
    if rule.clock is None and not rule.timings:
        return True
    if m.timing:
        return m.timing in rule.timings
    if rule.clock is None or m.issued:
        return False
    time_of_day = (m.utc + m.offset * 60) % 86400
    start, end = rule.clock
    if start <= end:
        return start <= time_of_day <= end
    return time_of_day >= start or time_of_day <= end


def ratio_eligible(rule, m, analyte):
    if m.analyte != analyte or (rule.specimen is not None and m.specimen != rule.specimen):
        return False
    if analyte == rule.numerator and not numerator_time_allowed(rule, m):
        return False
    return rescaler(ANALYTE_UNIT[m.analyte], rule.input_unit) is not None


def upper_bound(c):
    return c in ("<", "<=")


def lower_bound(c):
    return c in (">", ">=")


def ratio_comparator(numerator, denominator):
    """The bound a ratio of censored results allows: "" for two exact values, None when it is open (ratio.cpp)."""
    if not numerator and not denominator:
        return ""
    strict = numerator in ("<", ">") or denominator in ("<", ">")
    if (upper_bound(numerator) and (not denominator or lower_bound(denominator))) or \
            (not numerator and lower_bound(denominator)):
        return "<" if strict else "<="
    if (lower_bound(numerator) and (not denominator or upper_bound(denominator))) or \
            (not numerator and upper_bound(denominator)):
        return ">" if strict else ">="
    return None


def ratio_pairs(rule, measurements, censored):
    """Disjoint pairs, closest first, then oldest first by the later draw (ratio.cpp pairs_of)."""
    numerators, denominators = [], []
    for m in measurements:
        if m.comparator and not censored:
            continue
        if ratio_eligible(rule, m, rule.numerator):
            numerators.append(m)
        if ratio_eligible(rule, m, rule.denominator) and m.value > 0:
            denominators.append(m)
    candidates = []
    for n in numerators:
        for d in denominators:
            if n is d or n.specimen != d.specimen:
                continue
            interval = abs(n.utc - d.utc)
            if interval > rule.window:
                continue
            later = max(n.utc, d.utc)
            candidates.append(((interval, -later, n.reference, n.version, d.reference, d.version, n.utc, d.utc,
                                n.value, d.value), n, d, later))
    candidates.sort(key=lambda c: c[0])
    used = set()
    pairs = []
    for _, n, d, later in candidates:
        if id(n) in used or id(d) in used:
            continue
        used.add(id(n))
        used.add(id(d))
        pairs.append((later, n, d))
    pairs.sort(key=lambda p: p[0])  # stable: equal times keep the closest first
    return pairs


def latest(pairs):
    """The first pair with the latest end (pairs are oldest first)."""
    best = None
    for pair in pairs:
        if best is None or pair[0] > best[0]:
            best = pair
    return best


def compute_ratio(rule, measurements):
    exact = latest(ratio_pairs(rule, measurements, False))
    bounded = None
    if any(m.comparator for m in measurements):
        bounded = latest([p for p in ratio_pairs(rule, measurements, True)
                          if (p[1].comparator or p[2].comparator) and
                          ratio_comparator(p[1].comparator, p[2].comparator) is not None])
    comparator = ""
    if bounded is not None and (exact is None or bounded[0] > exact[0]):
        chosen = bounded
        comparator = ratio_comparator(bounded[1].comparator, bounded[2].comparator)
    elif exact is not None:
        chosen = exact
    else:
        return None
    n, d = chosen[1], chosen[2]
    value = rescale(n.value, ANALYTE_UNIT[n.analyte], rule.input_unit) / \
        rescale(d.value, ANALYTE_UNIT[d.analyte], rule.input_unit)
    return value_record(rule.code, value, rule.unit, [n, d], comparator)


# ----------------------------------------------------------------------------------------------- derived
def closest(measurements, anchor, analyte, window):
    """The exact serum result of `analyte` closest in time to the anchor within the window (ties: the more recent,
    then by reference)."""
    best, best_distance = None, None
    for m in measurements:
        if m.analyte != analyte or m.specimen != "serum-plasma" or m.comparator:
            continue
        distance = abs(m.utc - anchor.utc)
        if distance > window:
            continue
        if best is None or distance < best_distance or (distance == best_distance and (
                m.utc > best.utc or (m.utc == best.utc and m.reference < best.reference))):
            best, best_distance = m, distance
    return best


def anchors(measurements, analyte, timing):
    found = [m for m in measurements if m.analyte == analyte and m.specimen == "serum-plasma" and not m.comparator
             and (not timing or m.timing == timing)]
    found.sort(key=lambda m: m.reference)
    found.sort(key=lambda m: m.utc, reverse=True)  # stable: most recent first, ties by reference
    return found


def vermeulen_free_testosterone_pmol_l(tt, shbg, albumin_g_l):
    """Calculated free testosterone: Vermeulen A, Verdonck L, Kaufman JM, J Clin Endocrinol Metab
    1999;84:3666-3672, with its constants Kt 1.0e9 L/mol, Ka 3.6e4 L/mol, albumin 69,000 g/mol; the positive root
    of N*Kt*FT^2 + (N + Kt*(SHBG - TT))*FT - TT = 0, solved in nmol/L in the form that loses no precision
    (analytics/derived.cpp)."""
    if not (math.isfinite(tt) and tt > 0 and math.isfinite(shbg) and shbg >= 0 and math.isfinite(albumin_g_l)
            and albumin_g_l > 0):
        return None
    kt = 1.0e9 / 1e9
    n = 1 + 3.6e4 * (albumin_g_l / 69000)
    a = n * kt
    b = n + kt * (shbg - tt)
    root = math.hypot(b, 2 * math.sqrt(a) * math.sqrt(tt))
    free = (2 * tt) / (b + root) if b > 0 else (root - b) / (2 * a)
    if not math.isfinite(free) or free <= 0:
        return None
    return free * 1e3


def compute_derived(rule, measurements):
    if rule.formula == "homa-ir":
        for glucose in anchors(measurements, rule.input("glucose"), "fasting"):
            insulin = closest(measurements, glucose, rule.input("insulin"), rule.window)
            if insulin is None:
                continue
            g = rescale(glucose.value, ANALYTE_UNIT[glucose.analyte], "mmol/L")
            i = rescale(insulin.value, ANALYTE_UNIT[insulin.analyte], "u[IU]/mL")
            if g is None or i is None:
                continue
            # Matthews DR et al., Diabetologia 1985;28:412-419: glucose (mmol/L) x insulin (uIU/mL) / 22.5
            if not (math.isfinite(g) and g > 0 and math.isfinite(i) and i > 0):
                continue
            value = g * i / 22.5
            if not math.isfinite(value):
                continue
            return derived_record(rule, value, [glucose, insulin])
        return None
    for testosterone in anchors(measurements, rule.input("testosterone"), ""):
        shbg = closest(measurements, testosterone, rule.input("shbg"), rule.window)
        if shbg is None:
            continue
        tt = rescale(testosterone.value, ANALYTE_UNIT[testosterone.analyte], "nmol/L")
        binding = rescale(shbg.value, ANALYTE_UNIT[shbg.analyte], "nmol/L")
        if tt is None or binding is None:
            continue
        if rule.formula == "free-androgen-index":
            if not (math.isfinite(tt) and tt >= 0 and math.isfinite(binding) and binding > 0):
                continue
            value = 100 * tt / binding
            if not math.isfinite(value):
                continue
            return derived_record(rule, value, [testosterone, shbg])
        albumin = closest(measurements, testosterone, rule.input("albumin"), rule.window)
        albumin_g_l = rescale(albumin.value, ANALYTE_UNIT[albumin.analyte], "g/L") if albumin else None
        free = vermeulen_free_testosterone_pmol_l(tt, binding,
                                                  albumin_g_l if albumin_g_l is not None else rule.default_albumin)
        if free is None:
            continue
        return derived_record(rule, free, [testosterone, shbg] + ([albumin] if albumin_g_l is not None else []))
    return None


def derived_record(rule, value, inputs):
    if rule.unit != rule.formula_unit:
        rescaled = rescale(value, rule.formula_unit, rule.unit)
        if rescaled is not None:
            value = rescaled
    return value_record(rule.code, value, rule.unit, inputs)


# ------------------------------------------------------------------------------------------------ rhythms
AWAKENING_MINUTES = 60  # the contract's car-* codes: waking to +60 min


def series_samples(rule, measurements):
    """(measurement, value, local day, local seconds of day, series day), in time order (rhythm_rules.cpp)."""
    samples = []
    for m in measurements:
        if m.analyte != rule.analyte or m.specimen != rule.specimen or m.comparator:
            continue
        value = rescale(m.value, ANALYTE_UNIT[m.analyte], rule.unit)
        if value is None or not math.isfinite(value):
            continue
        local = m.utc + m.offset * 60
        day, seconds = divmod(local, 86400)
        # a sample before the waking window (a late-night 00:30) ends the previous day's series
        series_day = day - 1 if rule.waking is not None and seconds < rule.waking[0] else day
        samples.append((m, value, day, seconds, series_day))
    samples.sort(key=lambda s: (s[0].utc, s[0].reference))
    return samples


def days_newest_first(rule, samples):
    """[(series day, samples, index of the waking sample or None)], most recent day first."""
    days = {}
    for sample in samples:
        days.setdefault(sample[4], []).append(sample)
    out = []
    for day, day_samples in days.items():
        waking = None
        if rule.waking is not None:
            for i, s in enumerate(day_samples):
                if s[2] == s[4] and rule.waking[0] <= s[3] <= rule.waking[1]:
                    waking = i
                    break
        out.append((day, day_samples, waking))
    out.sort(key=lambda d: d[0], reverse=True)
    return out


def in_awakening_response(day_samples, waking, index):
    if waking is None or index == waking:
        return False
    minutes = (day_samples[index][0].utc - day_samples[waking][0].utc) / 60.0
    return 0 < minutes <= AWAKENING_MINUTES


def least_squares_slope(points):
    """OLS slope of value on time with centred sums (rhythm.cpp least_squares_line), or None."""
    if len(points) < 2:
        return None
    times = [p[0] for p in points]
    if min(times) == max(times):
        return None
    n = float(len(points))
    time_sum = value_sum = 0.0
    for t, v in points:
        time_sum += t
        value_sum += v
    time_mean = time_sum / n
    value_mean = value_sum / n
    time_squares = cross = 0.0
    for t, v in points:
        dt = t - time_mean
        time_squares += dt * dt
        cross += dt * (v - value_mean)
    if not time_squares > 0:
        return None
    slope = cross / time_squares
    intercept = value_mean - slope * time_mean
    if not (math.isfinite(slope) and math.isfinite(intercept)):
        return None
    return slope


def diurnal_slope(rule, samples):
    if rule.waking is None:
        return []
    for _, day_samples, waking in days_newest_first(rule, samples):
        if waking is None:
            continue
        used, points = [], []
        for i, s in enumerate(day_samples):
            if in_awakening_response(day_samples, waking, i):
                continue
            minutes = (s[0].utc - day_samples[waking][0].utc) / 60.0
            if minutes < 0:
                continue
            used.append(s[0])
            points.append((minutes / 60.0, s[1]))
        slope = least_squares_slope(points)
        if slope is None:
            continue
        return [value_record(rule.prefix + "-diurnal-slope", slope, rule.unit + "/h", used)]
    return []


def awakening_response(rule, samples):
    """Pruessner JC et al., Psychoneuroendocrinology 2003;28:916-931: AUCg (formula 2, trapezoids) and AUCi
    (formula 3, AUCg minus the waking value times the span), waking sample to +60 min."""
    if rule.waking is None:
        return []
    for _, day_samples, waking in days_newest_first(rule, samples):
        if waking is None:
            continue
        used, points = [], []
        for s in day_samples[waking:]:
            minutes = (s[0].utc - day_samples[waking][0].utc) / 60.0
            if minutes > AWAKENING_MINUTES:
                break
            if points and minutes == points[-1][0]:
                continue  # two draws at one instant: the first
            used.append(s[0])
            points.append((minutes, s[1]))
        if len(points) < 2:
            continue
        ground = 0.0
        for (t0, v0), (t1, v1) in zip(points, points[1:]):
            ground += (v0 + v1) / 2 * (t1 - t0)
        span = points[-1][0] - points[0][0]
        increase = ground - points[0][1] * span
        if not (math.isfinite(ground) and math.isfinite(increase)):
            continue
        unit = rule.area_unit()
        return [value_record(rule.prefix + "-car-aucg", ground, unit, used),
                value_record(rule.prefix + "-car-auci", increase, unit, used)]
    return []


def clock_coverage_hours(hours):
    if len(hours) < 2:
        return 0
    hours = sorted(hours)
    longest_gap = 24 - (hours[-1] - hours[0])
    for a, b in zip(hours, hours[1:]):
        longest_gap = max(longest_gap, b - a)
    return 24 - longest_gap


EPSILON = sys.float_info.epsilon


def cosinor_fit(points, period=24.0):
    """Single-component cosinor by least squares (Nelson W et al., Chronobiologia 1979;6:305-323; Cornelissen G,
    Theor Biol Med Model 2014;11:16): (mesor, amplitude, acrophase h, residual standard error, p-value of the
    zero-amplitude F test), or None (rhythm.cpp fit_cosinor)."""
    n = float(len(points))
    w = 2 * math.pi / period
    regressors = []
    x_sum = z_sum = y_sum = 0.0
    for t, y in points:
        angle = w * math.fmod(t, period)
        x, z = math.cos(angle), math.sin(angle)
        regressors.append((x, z, y))
        x_sum += x
        z_sum += z
        y_sum += y
    x_mean, z_mean, y_mean = x_sum / n, z_sum / n, y_sum / n
    sxx = szz = sxz = sxy = szy = tss = 0.0
    largest = 0.0
    for x, z, y in regressors:
        dx, dz, dy = x - x_mean, z - z_mean, y - y_mean
        sxx += dx * dx
        szz += dz * dz
        sxz += dx * dz
        sxy += dx * dy
        szy += dz * dy
        tss += dy * dy
        largest = max(largest, abs(y))
    determinant = sxx * szz - sxz * sxz
    largest_eigenvalue = (sxx + szz) / 2 + math.hypot((sxx - szz) / 2, sxz)
    if not largest_eigenvalue > 0 or not determinant / largest_eigenvalue > 1e-9 * n:
        return None  # all samples at one or two phases of the cycle
    beta = (szz * sxy - sxz * szy) / determinant
    gamma = (sxx * szy - sxz * sxy) / determinant
    mesor = y_mean - beta * x_mean - gamma * z_mean
    rss = 0.0
    for x, z, y in regressors:
        residual = y - (mesor + beta * x + gamma * z)
        rss += residual * residual
    floor = n * math.pow(64 * EPSILON * largest, 2)
    if tss <= floor:
        return y_mean, 0.0, 0.0, 0.0, 1.0
    amplitude = math.hypot(beta, gamma)
    peak = math.atan2(gamma, beta) / w
    if peak < 0:
        peak += period
    if peak >= period or peak == 0:
        peak = 0.0
    if rss <= floor:
        return mesor, amplitude, peak, 0.0, 0.0
    df = n - 3
    rse = math.sqrt(rss / df)
    f = (max(tss - rss, 0.0) / 2) / (rss / df)
    return mesor, amplitude, peak, rse, f_upper_tail(f, 2, df)


def log_gamma(x):
    """ln Gamma(x), x > 0: shifted to x >= 15, then Stirling's series through B_10 (DLMF 5.11.1), as rhythm.cpp."""
    shift = 1.0
    while x < 15:
        shift *= x
        x += 1
    inv = 1 / x
    inv2 = inv * inv
    series = inv * (1.0 / 12 + inv2 * (-1.0 / 360 + inv2 * (1.0 / 1260 + inv2 * (-1.0 / 1680 + inv2 / 1188))))
    return (x - 0.5) * math.log(x) - x + 0.5 * math.log(2 * math.pi) + series - math.log(shift)


def incomplete_beta_fraction(x, y, a, b):
    """I_x(a, b) by the continued fraction DLMF 8.17.22 with the modified Lentz method (Thompson IJ, Barnett AR,
    J Comput Phys 1986;64:490-509)."""
    tiny = 1e-300
    front = math.exp(a * math.log(x) + b * math.log(y) - (log_gamma(a) + log_gamma(b) - log_gamma(a + b))) / a
    convergent, c, d = 1.0, 1.0, 0.0
    for j in range(1, 10001):
        m = j // 2
        if j % 2 == 0:
            coefficient = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
        else:
            coefficient = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
        d = 1 + coefficient * d
        if abs(d) < tiny:
            d = tiny
        c = 1 + coefficient / c
        if abs(c) < tiny:
            c = tiny
        d = 1 / d
        step = c * d
        convergent *= step
        if abs(step - 1) < 4 * EPSILON:
            return front / convergent
    return math.nan


def f_upper_tail(f, d1, d2):
    """P(F > f) for Fisher's F(d1, d2) = I_{d2/(d2+d1 f)}(d2/2, d1/2) (Abramowitz & Stegun 26.6.2)."""
    if f <= 0:
        return 1.0
    if f == math.inf:
        return 0.0
    denominator = d2 + d1 * f
    x, y, a, b = d2 / denominator, d1 * f / denominator, d2 / 2, d1 / 2
    if x <= 0:
        return 0.0
    if y <= 0:
        return 1.0
    if x < (a + 1) / (a + b + 2):
        return incomplete_beta_fraction(x, y, a, b)
    return 1 - incomplete_beta_fraction(y, x, b, a)


def cosinor(rule, samples):
    if not samples:
        return []
    first_day = max(s[4] for s in samples) - max(rule.days, 1) + 1
    used, clock_hours = [], []
    for day, day_samples, waking in days_newest_first(rule, samples):
        if day < first_day:
            continue
        for i, s in enumerate(day_samples):
            if in_awakening_response(day_samples, waking, i):
                continue
            used.append(s)
            clock_hours.append(s[3] / 3600)
    used.sort(key=lambda s: (s[0].utc, s[0].reference))
    if len(used) < rule.min_samples or clock_coverage_hours(clock_hours) < rule.min_span_hours:
        return []
    if len(used) < 4:
        return []
    fit = cosinor_fit([((s[2] - first_day) * 24.0 + s[3] / 3600, s[1]) for s in used])
    if fit is None:
        return []
    mesor, amplitude, acrophase, rse, p_value = fit
    inputs = [s[0] for s in used]
    components = {rule.prefix + "-cosinor-residual-standard-error": rse, rule.prefix + "-cosinor-p-value": p_value}
    return [value_record(rule.prefix + "-cosinor-mesor", mesor, rule.unit, inputs, components=components),
            value_record(rule.prefix + "-cosinor-amplitude", amplitude, rule.unit, inputs, components=components),
            value_record(rule.prefix + "-cosinor-acrophase", acrophase, "h", inputs, components=components)]


def compute_rhythm(rule, measurements):
    samples = series_samples(rule, measurements)
    if rule.kind == "diurnal-slope":
        return diurnal_slope(rule, samples)
    if rule.kind == "awakening-response":
        return awakening_response(rule, samples)
    return cosinor(rule, samples)


# ------------------------------------------------------------------------------------------------ dosing
# A port of the part of analytics/dosing.cpp that changes values: a cortisol series drawn under glucocorticoid
# replacement (hydrocortisone) is a dose curve, not a rhythm, and one drawn on a medication that makes it
# uninterpretable (prednisolone) gives neither. So only the medications that do either are read; the other
# timings (testosterone gel, levothyroxine, ...) change findings and notes, not values.

# SNOMED CT route codes (FHIR ValueSet route-codes) and words of a route's text, as dosing.cpp reads them.
ROUTE_CODES = {"26643006": "oral", "37839007": "sublingual", "78421000": "intramuscular",
               "34206005": "subcutaneous", "47625008": "intravenous", "45890007": "transdermal",
               "16857009": "vaginal", "6064005": "topical"}
ROUTE_WORDS = {"oral": "oral", "mouth": "oral", "po": "oral", "sublingual": "sublingual",
               "intramuscular": "intramuscular", "im": "intramuscular", "subcutaneous": "subcutaneous",
               "sc": "subcutaneous", "intravenous": "intravenous", "iv": "intravenous",
               "transdermal": "transdermal", "cutaneous": "transdermal", "vaginal": "vaginal",
               "vagina": "vaginal", "topical": "topical", "skin": "topical"}
_WORD = re.compile(r"[A-Za-z0-9]+", re.ASCII)


def words_of(text):
    return [w.lower() for w in _WORD.findall(text or "")]


def contains_phrase(words, phrase):
    wanted = words_of(phrase)
    if not wanted or len(wanted) > len(words):
        return False
    return any(words[i:i + len(wanted)] == wanted for i in range(len(words) - len(wanted) + 1))


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


def route_of(concept):
    for coding in concept.get("coding") or []:
        if coding.get("system") == SNOMED and coding.get("code") in ROUTE_CODES:
            return ROUTE_CODES[coding["code"]]
    words = words_of(concept.get("text"))
    for coding in concept.get("coding") or []:
        words += words_of(coding.get("display"))
    for word in words:
        if word in ROUTE_WORDS:
            return ROUTE_WORDS[word]
    return "unknown"


def taken(use):
    status, kind = use.get("status"), use.get("resourceType")
    if status == "entered-in-error":
        return False
    if kind == "MedicationStatement":
        return status != "not-taken"
    if kind == "MedicationAdministration":
        return status != "not-done"
    if status in ("cancelled", "draft"):
        return False
    return use.get("intent") in ("order", "original-order", "instance-order", "plan")


def medication_concept(use, named):
    concept = use.get("medicationCodeableConcept")
    if concept is not None:
        return concept
    reference = (use.get("medicationReference") or {}).get("reference") or ""
    if len(reference) >= 2 and reference[0] == "#":
        for contained in use.get("contained") or []:
            if contained.get("resourceType") == "Medication" and contained.get("id") == reference[1:]:
                return contained.get("code") or {}
        return None
    for identifier, code in named:  # a Medication resource of the input (fhir::resolve_medication_references)
        local = "Medication/" + identifier
        if reference == local or (reference.endswith("/" + local)):
            return code
    return None


def bound(text, end):
    """A regimen bound: a dateTime's instant, or a date's start in UTC (its end for an end bound)."""
    if not text:
        return None
    instant = parse_date_time(text)
    if instant is not None:
        return instant[0]
    if len(text) == 10 and text[4] == "-" and text[7] == "-" and text[:4].isdigit() and text[5:7].isdigit() and \
            text[8:].isdigit() and valid_date(int(text[:4]), int(text[5:7]), int(text[8:])):
        return (days_from_civil(int(text[:4]), int(text[5:7]), int(text[8:])) + (1 if end else 0)) * 86400
    return None


class Exposure:
    __slots__ = ("medication", "route", "forms", "doses", "daily_minutes", "start", "end", "active", "interval")

    def __init__(self, medication):
        self.medication = medication
        self.route = "unknown"
        self.forms = []
        self.doses = []  # UTC seconds
        self.daily_minutes = []
        self.start = self.end = None
        self.active = False
        self.interval = None


def read_dosage(dosage, exposure):
    timing = dosage.get("timing")
    if not timing:
        return
    for event in timing.get("event") or []:
        instant = parse_date_time(event)
        if instant is not None:
            exposure.doses.append(instant[0])
    repeat = timing.get("repeat")
    if not repeat:
        return
    unit = repeat.get("periodUnit") or ""
    period = repeat.get("period")
    hours = {"h": 1.0, "d": 24.0, "wk": 168.0}.get(unit)
    if hours and period is not None and period > 0:
        frequency = repeat.get("frequency", 1)
        if frequency > 0 and exposure.interval is None:
            exposure.interval = period * hours / frequency
    if unit in ("", "d") and (period is None or period == 1) and not repeat.get("dayOfWeek"):
        for text in repeat.get("timeOfDay") or []:
            if len(text) >= 5 and text[2] == ":" and text[:2].isdigit() and text[3:5].isdigit() and \
                    int(text[:2]) <= 23 and int(text[3:5]) <= 59:
                exposure.daily_minutes.append(int(text[:2]) * 60 + int(text[3:5]))
    bounds = repeat.get("boundsPeriod")
    if bounds:
        start, end = bound(bounds.get("start"), False), bound(bounds.get("end"), True)
        if start is not None:
            exposure.start = start
        if end is not None:
            exposure.end = end


def read_medication_use(use, medications, named):
    """An Exposure to a medication that changes values, or None (dosing.cpp read_medication_use)."""
    if not taken(use):
        return None
    concept = medication_concept(use, named)
    if concept is None:
        return None
    words = words_of(concept.get("text"))
    for coding in concept.get("coding") or []:
        words += words_of(coding.get("display"))
    medication = None
    for coding in concept.get("coding") or []:
        medication = next((m for m in medications if (coding.get("system"), coding.get("code")) in m.codes), None)
        if medication:
            break
    if medication is None:
        for m in medications:
            if any(contains_phrase(words, n) for n in m.names) and \
                    not any(contains_phrase(words, w) for w in m.local_words):
                medication = m
                break
    if medication is None or not medication.changes_values():
        return None
    exposure = Exposure(medication)
    exposure.active = use.get("status") == "active"
    kind = use.get("resourceType")
    dosages = use.get("dosageInstruction") or []
    if "dosage" in use:
        dosages = [use["dosage"]] if kind == "MedicationAdministration" else use["dosage"]
    for dosage in dosages:
        if dosage.get("route") and exposure.route == "unknown":
            exposure.route = route_of(dosage["route"])
    if not any(e["route"] == exposure.route for e in medication.routes):
        exposure.route = next((e["route"] for e in medication.routes if exposure.route in e["recorded_as"]),
                              exposure.route)
    if exposure.route == "topical":
        return None
    for entry in medication.routes:
        for form in entry["forms"]:
            if contains_phrase(words, form) and form not in exposure.forms:
                exposure.forms.append(form)
    if kind == "MedicationAdministration":
        when = use.get("effectiveDateTime") or (use.get("effectivePeriod") or {}).get("start") or ""
        instant = parse_date_time(when)
        if instant is not None:
            exposure.doses.append(instant[0])
        return exposure
    for dosage in dosages:
        read_dosage(dosage, exposure)
    if kind == "MedicationStatement":
        instant = parse_date_time(use.get("effectiveDateTime") or "")
        if instant is not None:
            exposure.doses.append(instant[0])
        period = use.get("effectivePeriod")
        if period:
            if exposure.start is None:
                exposure.start = bound(period.get("start"), False)
            if exposure.end is None:
                exposure.end = bound(period.get("end"), True)
    elif exposure.start is None:
        exposure.start = bound(use.get("authoredOn"), False)
    return exposure


def last_dose(exposure, m):
    """(UTC seconds of the last dose at or before the draw, from a regimen's clock times), or None."""
    last = None
    for dose in exposure.doses:
        if dose <= m.utc and (last is None or dose > last[0]):
            last = (dose, False)
    if exposure.daily_minutes and (exposure.active or exposure.end is not None):
        local_day = (m.utc + m.offset * 60) // 86400
        for day in (local_day, local_day - 1):
            for minutes in exposure.daily_minutes:
                dose = day * 86400 + minutes * 60 - m.offset * 60
                if (exposure.start is not None and dose < exposure.start) or \
                        (exposure.end is not None and dose > exposure.end):
                    continue
                if dose <= m.utc and (last is None or dose > last[0]):
                    last = (dose, True)
    return last


class DoseTiming:
    __slots__ = ("measurement", "medication", "hours", "phase")

    def __init__(self, measurement, medication, hours, phase):
        self.measurement = measurement
        self.medication = medication
        self.hours = hours
        self.phase = phase


def dose_timings(m, exposures):
    """The exposures that bear on a measurement, with the hours since the last dose and its phase."""
    timings = []
    if not m.reference:
        return timings
    for exposure in exposures:
        medication = exposure.medication
        if m.analyte not in medication.affects:
            continue
        route = medication.route_entry(exposure.route, exposure.forms)
        interval = exposure.interval if exposure.interval is not None else (route["interval"] if route else 24)
        last = last_dose(exposure, m)
        hours, phase = None, "unknown"
        if last is not None:
            hours = (m.utc - last[0]) / 3600.0
            if not last[1] and hours > interval:
                continue
            if route and route["peak"]:
                phase = "before-peak" if hours < route["peak"][0] else \
                    "expected-peak" if hours <= route["peak"][1] else "after-peak"
        else:
            untimed = not exposure.doses and not exposure.daily_minutes
            if exposure.start is not None or exposure.end is not None:
                running = (exposure.start is None or exposure.start <= m.utc) and \
                          (exposure.end is None or m.utc <= exposure.end)
            else:
                running = exposure.active
            if not untimed or not running:
                continue
        timings.append(DoseTiming(m, medication, hours, phase))
    return timings


def compute_dose_curve(rule, measurements, replacement):
    """<prefix>-dose-peak (the highest sample in the dose's expected peak) and <prefix>-dose-trough (the sample
    longest after its dose) of the latest day with at least 4 timed samples spanning 12 h (rhythm_rules.cpp)."""
    timed = []
    for sample in series_samples(rule, measurements):
        timing = next((t for t in replacement if t.measurement.reference == sample[0].reference and
                       t.hours is not None), None)
        if timing is not None:
            timed.append((sample, timing))
    if not timed:
        return []
    day = timed[-1][0][4]
    timed = [t for t in timed if t[0][4] == day]
    if len(timed) < 4 or timed[-1][0][0].utc - timed[0][0][0].utc < 12 * 3600:
        return []
    peak = trough = None
    for sample, timing in timed:
        if timing.phase == "expected-peak" and (peak is None or sample[1] > peak[0][1]):
            peak = (sample, timing)
        if timing.phase == "after-peak" and (trough is None or timing.hours > trough[1].hours):
            trough = (sample, timing)
    values = []
    for found, suffix in ((peak, "-dose-peak"), (trough, "-dose-trough")):
        if found is not None:
            values.append(value_record(rule.prefix + suffix, found[0][1], rule.unit, [found[0][0]],
                                       components={"hours-since-dose": found[1].hours}))
    return values


# ---------------------------------------------------------------------------------------------- analysis
ANALYTE_UNIT = {}  # analyte id -> canonical unit, filled from the catalogue


def value_record(code, value, unit, inputs, comparator="", components=None):
    return code, value, unit, inputs, comparator, components


def analyze_patient(knowledge, observations, exposures=()):
    """The values of one patient's rules from [(id, version, Measurement or None)] in input order and the
    exposures to medications that change values."""
    chosen = {}
    for index, (identifier, version, _) in enumerate(observations):
        if not identifier:
            continue
        previous = chosen.get(identifier)
        if previous is None or later_version(version, observations[previous][1]):
            chosen[identifier] = index
    measurements = [m for index, (identifier, _, m) in enumerate(observations)
                    if m is not None and (not identifier or chosen[identifier] == index)]
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
    """What the inputs hold: Patients, and per subject reference the hormone Observations as (id, version,
    Measurement or None), in input order."""

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
            measurement = normalise(resource, entry) if entry is not False else None
            self.observations.setdefault(subject, []).append(
                (resource.get("id") or "", (resource.get("meta") or {}).get("versionId") or "", measurement))
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
                if not line.strip():
                    continue
                try:
                    resource = decode(line)
                except ValueError:
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
    ANALYTE_UNIT.update({a.id: a.canonical_unit for a in knowledge.analytes.values()})
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
                      "inputs": [m.cited() for m in inputs if m.reference]}
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
