"""One hormone Observation into a Measurement (analytics/normalise.cpp): status, specimen, value in the canonical
unit, draw time; None for a result the gateway excludes or rejects."""

import math
import re

from .fhir_time import parse_date_time
from .ucum import DIGITS, apply_conversion

SNOMED = "http://snomed.info/sct"
V2_SPECIMEN = "http://terminology.hl7.org/CodeSystem/v2-0487"
UCUM = "http://unitsofmeasure.org"


class Measurement:
    """A usable hormone result: the Observation's id and version, analyte, specimen, value in the canonical unit,
    draw time (UTC and offset). Kept small: a by-type feed holds every one of them until the end."""
    __slots__ = ("id", "version", "analyte", "specimen", "timing", "value", "unit", "comparator", "utc",
                 "offset", "issued", "time_components")

    def __init__(self, identifier, version, analyte, specimen, timing, value, unit, comparator, utc, offset,
                 issued):
        self.id = identifier  # "" when the Observation has none; ordered as the gateway orders "Observation/<id>"
        self.version = version
        self.analyte = analyte
        self.specimen = specimen
        self.timing = timing
        self.value = value  # in the analyte's canonical unit, `unit`
        self.unit = unit
        self.comparator = comparator
        self.utc = utc
        self.offset = offset
        self.issued = issued
        self.time_components = None  # [((system, code), ...), valueDateTime, valueTime] when a rule reads them

    def cited(self):
        """ "Observation/<id>/_history/<version>", as derivedFrom cites it."""
        reference = "Observation/" + self.id
        return reference + "/_history/" + self.version if self.version else reference


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


def time_components(observation):
    """The components stating a time (valueDateTime or valueTime), whatever their code (normalise.cpp)."""
    found = []
    for component in observation.get("component") or []:
        if component.get("valueDateTime") or component.get("valueTime"):
            codings = tuple((c.get("system"), c.get("code")) for c in (component.get("code") or {}).get("coding")
                            or [])
            found.append((codings, component.get("valueDateTime") or "", component.get("valueTime") or ""))
    return found


def normalise(observation, entry, keep_time_components=False):
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
    measurement = Measurement(observation.get("id") or "", (observation.get("meta") or {}).get("versionId") or "",
                              analyte.id, specimen, timing, value[0], analyte.canonical_unit, value[1], instant[0],
                              instant[1], issued)
    if keep_time_components:
        measurement.time_components = time_components(observation)
    return measurement


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
