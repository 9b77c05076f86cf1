"""Dose timing (analytics/dosing.cpp), the part that changes values: which medication a patient takes, its route
and dose times, and for each result the hours since the last dose and the dose's phase.

A cortisol series drawn under glucocorticoid replacement (hydrocortisone) is a dose curve, not a rhythm, and one
drawn on a medication that makes it uninterpretable (prednisolone) gives neither. So only the medications that do
either are read; the other timings (testosterone gel, levothyroxine, ...) change findings and notes, not values.
"""

import re

from .fhir_time import days_from_civil, parse_date_time, valid_date
from .normalise import SNOMED

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
    if not m.id:
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
