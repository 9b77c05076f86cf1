#!/usr/bin/env python3
"""A synthetic hospital (issue 12, point 4): a seeded, deterministic FHIR R4 feed of N patients for
`gradient-gateway analyze` and the macro benchmarks.

Each patient has a Patient resource; one or two fasting morning serum hormone panels (every analyte of
config/terminology/analytes.yaml appears in the feed, with sex- and age-specific log-normal values); on a share of
patients a two-day saliva cortisol day series with a late-night saliva cortisone, or a serum cortisol day curve;
on a share hormone medications with dose times (MedicationStatement regimens, MedicationAdministration injections,
Medication resources named by reference); and, at --other-share, the non-hormone Observations (vital signs, blood
counts, chemistry) that real exports mostly consist of. Results come as laboratories send them: mass and molar
units, free-text unit spellings (µg/dL, mcg/dL, µIU/mL), unit aliases (U/L, mU/L), a site's local codes
(config/terminology/example-lab.conceptmap.json) without LOINC, censored values ("<" a detection limit, ">" a
measuring range's top), and a few cancelled and amended results.

Layouts (--layout):
  grouped   one NDJSON file (--out FILE): each patient's resources together, the Patient first, patients in the
            order of their ids (p0000001, p0000002, ...: zero-padded, so string order is generation order)
  by-type   a directory (--out DIR) of NDJSON files, one per resource type, as a FHIR Bulk Data $export writes
            them: Patient.ndjson, Medication.ndjson, MedicationStatement.ndjson,
            MedicationAdministration.ndjson, Observation.ndjson (the types the feed has)
  bundles   a directory (--out DIR) of transaction Bundles (bundle-00001.json, ...), --patients-per-bundle
            patients each, entries with fullUrl and request PUT Type/id

The same arguments give byte-identical output: every random draw comes from random.Random seeded with a string
of the seed and the patient's number (no hash(), no set order, no clock). Each patient has two streams, one for
the clinical content and one for the non-hormone Observations, so --other-share changes nothing else: a
--other-share 0 feed and a 0.98 feed of the same seed carry the same hormone results.

Run: python3 bench/synth_hospital.py --patients 1000 --seed 1 --layout grouped --out /work/bench-data/h.ndjson
(--help lists every option). A one-line summary goes to standard error. Needs PyYAML (Debian python3-yaml) to
read the catalogues.
"""
import argparse
import dataclasses
import datetime
import json
import math
import os
import pathlib
import random
import sys
import time

import yaml

REPO = pathlib.Path(__file__).resolve().parents[1]

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
SNOMED = "http://snomed.info/sct"
CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
ACCESSION = "http://lab.example.org/fhir/NamingSystem/accession"
MRN = "http://hospital.example.org/fhir/NamingSystem/mrn"
FULL_URL_BASE = "http://hospital.example.org/fhir"
LABS = {"si": ("lab-central", "Central Laboratory"), "conv": ("lab-reference", "Reference Laboratory"),
        "local": ("lab-example", "Example Laboratory")}

# ---- Hormone distributions ---------------------------------------------------------------------------------------
# Adult reference intervals (about the 2.5th-97.5th percentiles) in each analyte's canonical unit. A value is drawn
# log-normal with the interval's geometric mean as median and sigma = ln(high/low) / 3.92, so about 5 % of values
# fall outside the reference interval, as in a real population. Keys: "m" men, "f" premenopausal women, "fp"
# postmenopausal women (age >= 51: median age at natural menopause about 51, Gold EB, Am J Epidemiol
# 2001;153:865-874), "fl" premenopausal women in the luteal phase (40 % of draws). The generator needs plausible
# data, not exact percentiles: the figures are the cited sources' intervals as commonly quoted, rounded. Checked
# against stored public copies while writing this: Travison 2017's abstract (264-916 ng/dL); Roche Cortisol II
# 07-10 h 6.0-18.4 ug/dL and 15-17 h 2.7-10.5 ug/dL (University of Iowa laboratory bulletin, 2017); Roche TSH
# 0.27-4.2 (a manufacturers' comparison table, Lab Med Qual Assur); Roche FSH men 1.5-12.4, follicular 3.5-12.5,
# postmenopausal 25.8-134.8 U/L (Royal Liverpool pathology); Roche SHBG men 20-49 y 18-54, women 32-128 nmol/L
# (Region Gavleborg, 2021); Roche FT4 II measuring range 0.3-100 pmol/L, detection limit 0.5 (method sheet copy).
# The others were not re-read.
REFERENCE = {
    # Travison TG et al., J Clin Endocrinol Metab 2017;102:1161-1173: harmonised men 19-39 y 264-916 ng/dL
    # (9.2-31.8 nmol/L). Women: about 0.3-1.7 nmol/L by LC-MS/MS (Haring R et al., J Clin Endocrinol Metab
    # 2012;97:408-415).
    "testosterone": {"m": (9.2, 31.8), "f": (0.3, 1.7), "fp": (0.2, 1.3)},
    # Men: Ho CK et al., Ann Clin Biochem 2006;43:389-397, calculated free T 245-785 pmol/L (the interval in
    # config/rules/gradients.yaml). Women: about 1-8 pg/mL (3.5-28 pmol/L), Mayo Clinic Laboratories FTST.
    "testosterone-free": {"m": (245, 785), "f": (3.5, 28), "fp": (2.5, 20)},
    # Free T is about 2 % of total in men, about 1 % in women (higher SHBG): Vermeulen A et al., J Clin
    # Endocrinol Metab 1999;84:3666-3672.
    "testosterone-free-fraction": {"m": (1.2, 3.0), "f": (0.5, 1.8)},
    # Non-SHBG-bound (free + albumin-bound) testosterone, about 40 % of total in men (Vermeulen 1999 above);
    # men about 3-13 nmol/L (Mayo Clinic Laboratories TTBS: 110-575 ng/dL in young men).
    "testosterone-bioavailable": {"m": (3.0, 13.0), "f": (0.05, 0.6)},
    "testosterone-bioavailable-fraction": {"m": (25, 60), "f": (8, 35)},
    # Unconjugated DHEA, adults about 1-10 ng/mL (3.5-35 nmol/L) (Tietz Clinical Guide to Laboratory Tests, 4th
    # ed. 2006); falls with age like DHEA-S (AGE_DECLINE).
    "dhea": {"m": (5, 35), "f": (4, 30)},
    # DHEA-S at 30 y: men about 2.5-13 umol/L, women 1.5-9.5 umol/L (Orentreich N et al., J Clin Endocrinol Metab
    # 1984;59:551-555: peak in the third decade, men above women, then a steady fall; AGE_DECLINE).
    "dhea-s": {"m": (2500, 13000), "f": (1500, 9500)},
    # Morning (06-10 h) serum cortisol 166-507 nmol/L: Roche Elecsys Cortisol II method sheet. Scaled by the time
    # of day (serum_cortisol_shape).
    "cortisol": {"m": (166, 507), "f": (166, 507)},
    # Morning serum cortisone by LC-MS/MS, about 30-100 nmol/L (cortisol:cortisone about 4-8 in serum; Perogamvros
    # I et al., J Clin Endocrinol Metab 2010;95:4951-4958).
    "cortisone": {"m": (30, 100), "f": (30, 100)},
    # Men about 40-160 pmol/L (11-43 pg/mL); women premenopausal about 100-1300 pmol/L over the cycle, luteal
    # 250-1000, postmenopausal below about 110 pmol/L, often below the detection limit (Roche Elecsys Estradiol III
    # method sheet intervals, rounded).
    "estradiol": {"m": (40, 160), "f": (100, 1300), "fl": (250, 1000), "fp": (18, 110)},
    # Estrone: men about 37-220 pmol/L (10-60 pg/mL), women 60-600, postmenopausal 40-200 (Mayo Clinic
    # Laboratories E1, rounded).
    "estrone": {"m": (37, 220), "f": (60, 600), "fp": (40, 200)},
    # Progesterone: men about 0.3-2.5 nmol/L; follicular below about 4 nmol/L; luteal 15-80 nmol/L (about 5-25
    # ng/mL); postmenopausal below about 1.5 nmol/L (Roche Elecsys Progesterone III method sheet, rounded).
    "progesterone": {"m": (0.3, 2.5), "f": (0.3, 4.0), "fl": (15, 80), "fp": (0.2, 1.5)},
    # SHBG men 20-49 y 18.3-54.1 nmol/L, women 20-49 y 32.4-128 nmol/L (Roche Elecsys SHBG method sheet).
    "shbg": {"m": (18.3, 54.1), "f": (32.4, 128)},
    # Albumin 35-52 g/L (Roche ALB2 method sheet, adults).
    "albumin": {"m": (35, 52), "f": (35, 52)},
    # LH and FSH (Roche Elecsys LH / FSH method sheets): men 1.7-8.6 and 1.5-12.4 IU/L; women follicular 2.4-12.6
    # and 3.5-12.5; postmenopausal 7.7-58.5 and 25.8-134.8 IU/L.
    "lh": {"m": (1.7, 8.6), "f": (2.4, 12.6), "fp": (7.7, 58.5)},
    "fsh": {"m": (1.5, 12.4), "f": (3.5, 12.5), "fp": (25.8, 134.8)},
    # Prolactin men 4.04-15.2 ug/L, women 4.79-23.3 ug/L (Roche Elecsys Prolactin II method sheet).
    "prolactin": {"m": (4.04, 15.2), "f": (4.79, 23.3)},
    # TSH 0.27-4.2 mIU/L, free T4 12-22 pmol/L, free T3 3.1-6.8 pmol/L (Roche Elecsys TSH, FT4 II, FT3 III).
    "tsh": {"m": (0.27, 4.2), "f": (0.27, 4.2)},
    "t4-free": {"m": (12, 22), "f": (12, 22)},
    "t3-free": {"m": (3.1, 6.8), "f": (3.1, 6.8)},
    # Reverse T3, adults about 0.15-0.55 nmol/L (the figure config/terminology/analytes.yaml quotes).
    "t3-reverse": {"m": (0.15, 0.55), "f": (0.15, 0.55)},
    # IGF-1 at 30 y about 100-320 ng/mL, falling with age (Bidlingmaier M et al., J Clin Endocrinol Metab
    # 2014;99:1712-1721, age-specific intervals; AGE_DECLINE).
    "igf-1": {"m": (100, 320), "f": (100, 320)},
    # Fasting insulin 2.6-24.9 uIU/mL (Roche Elecsys Insulin method sheet).
    "insulin": {"m": (2.6, 24.9), "f": (2.6, 24.9)},
    # Fasting glucose 4.1-5.9 mmol/L (74-106 mg/dL; Tietz Clinical Guide to Laboratory Tests, 4th ed. 2006).
    "glucose": {"m": (4.1, 5.9), "f": (4.1, 5.9)},
}
# Fall per year of age after 30, as exp(-rate * (age - 30)): DHEA-S and DHEA about 2-3 % a year (Orentreich 1984
# above), IGF-1 about 1.3 % a year (Bidlingmaier 2014 above: 30 y to 70 y roughly 0.6x).
AGE_DECLINE = {"dhea-s": 0.025, "dhea": 0.025, "igf-1": 0.013}

# Detection limits ("<") and the top of the measuring range (">"), in canonical units, where an assay reports
# bounds: values beyond them are sent censored. Testosterone and progesterone use the functional sensitivity of
# routine immunoassays (about 10 ng/dL = 0.35 nmol/L: Taieb J et al., Clin Chem 2003;49:1381-1395, immunoassays
# unreliable below it in women; about 0.2 ng/mL = 0.64 nmol/L for progesterone), so men's progesterone and women's
# testosterone are often sent as "<". The others are method-sheet detection limits, rounded (Roche Elecsys:
# estradiol 18.4 pmol/L (5 pg/mL), LH and FSH 0.1 IU/L, TSH 0.005 mIU/L, prolactin 0.094 ug/L and measuring range
# to 470 ug/L, insulin 0.2 uIU/mL); cortisol's top is the plausible range of analytes.yaml; the other tops are the
# upper ends such sheets print.
LIMITS = {
    "testosterone": (0.35, 52.0), "estradiol": (18.4, 11000), "estrone": (10, None), "progesterone": (0.64, 191),
    "lh": (0.1, 200), "fsh": (0.1, 200), "tsh": (0.005, 100), "prolactin": (0.094, 470), "insulin": (0.2, 1000),
    "cortisol": (1.5, 1750), "dhea-s": (None, 27000), "t4-free": (0.5, 100), "t3-free": (0.6, 50),
}

# Share of all patients with one markedly abnormal analyte (x or / 4-25): out-of-range and censored results.
ABNORMAL_SHARE = 0.03

# ---- Units as laboratories send them -----------------------------------------------------------------------------
# Unit key -> (UCUM code, printed unit, decimals, kind, factor to the kind's base). kind: mass (g/L), amount
# (mol/L), iu ([IU]/L), pct. Aliases and free-text spellings print one thing and are read by the gateway as the
# UCUM unit of the same kind.
UNITS = {
    "nmol/L": ("nmol/L", "nmol/L", 2, "amount", 1e-9), "pmol/L": ("pmol/L", "pmol/L", 0, "amount", 1e-12),
    "umol/L": ("umol/L", "µmol/L", 2, "amount", 1e-6), "mmol/L": ("mmol/L", "mmol/L", 1, "amount", 1e-3),
    "ng/dL": ("ng/dL", "ng/dL", 0, "mass", 1e-8), "ng/mL": ("ng/mL", "ng/mL", 2, "mass", 1e-6),
    "pg/mL": ("pg/mL", "pg/mL", 1, "mass", 1e-9), "ug/dL": ("ug/dL", "µg/dL", 1, "mass", 1e-5),
    "ug/L": ("ug/L", "µg/L", 1, "mass", 1e-6), "g/L": ("g/L", "g/L", 0, "mass", 1.0),
    "g/dL": ("g/dL", "g/dL", 1, "mass", 10.0), "mg/dL": ("mg/dL", "mg/dL", 0, "mass", 1e-2),
    "[IU]/L": ("[IU]/L", "IU/L", 1, "iu", 1.0), "m[IU]/mL": ("m[IU]/mL", "mIU/mL", 1, "iu", 1.0),
    "m[IU]/L": ("m[IU]/L", "mIU/L", 2, "iu", 1e-3), "u[IU]/mL": ("u[IU]/mL", "µIU/mL", 2, "iu", 1e-3),
    "%": ("%", "%", 2, "pct", 1.0),
}
# Spellings labs print for a UCUM code: (unit key, Quantity JSON without the value). Free text has no system and
# no code (the gateway reads the printed unit); an alias is sent as a UCUM code that the catalogue's unit_aliases
# map ("U/L" for an LH in IU/L).
FREE_TEXT = {"ug/dL": ["µg/dL", "mcg/dL"], "u[IU]/mL": ["µIU/mL"], "ug/L": ["mcg/L"]}
ALIASES = {"[IU]/L": "U/L", "m[IU]/L": "mU/L", "u[IU]/mL": "uU/mL"}

# What each laboratory style sends per analyte: [(weight, LOINC code, unit key)]. "si": molar and IU units
# (most European laboratories), "conv": mass units (US). Codes with a timing (AM cortisol, fasting glucose) are
# chosen in code, not here. The "local" style is "conv" with the site's own codes where its ConceptMap has them.
REPORT = {
    "testosterone": {"si": [(8, "14913-8", "nmol/L")], "conv": [(6, "2986-8", "ng/dL"), (2, "83116-4", "ng/mL")],
                     "si_f": [(8, "70239-9", "nmol/L")], "conv_f": [(8, "49041-7", "ng/dL")]},
    "testosterone-free": {"si": [(6, "14914-6", "pmol/L"), (1, "25987-9", "pmol/L")],
                          "conv": [(6, "2991-8", "pg/mL"), (2, "103227-5", "pg/mL")],
                          "si_f": [(6, "70240-7", "pmol/L")], "conv_f": [(6, "49042-5", "pg/mL")]},
    "testosterone-free-fraction": {"si": [(1, "15432-8", "%")], "conv": [(1, "15432-8", "%")]},
    "testosterone-bioavailable": {"si": [(1, "2990-0", "nmol/L")], "conv": [(1, "2990-0", "ng/dL")]},
    "testosterone-bioavailable-fraction": {"si": [(1, "6891-6", "%")], "conv": [(1, "6891-6", "%")]},
    "dhea": {"si": [(1, "15054-0", "nmol/L")], "conv": [(3, "2193-1", "ng/mL"), (1, "2193-1", "ng/dL")]},
    "dhea-s": {"si": [(3, "14688-6", "umol/L"), (1, "14688-6", "nmol/L")], "conv": [(1, "2191-5", "ug/dL")]},
    "estradiol": {"si": [(1, "14715-7", "pmol/L")], "conv": [(4, "2243-4", "pg/mL"), (1, "83096-8", "pg/mL")]},
    "estrone": {"si": [(1, "22663-9", "pmol/L")], "conv": [(1, "2258-2", "pg/mL")]},
    "progesterone": {"si": [(1, "14890-8", "nmol/L")], "conv": [(3, "2839-9", "ng/mL"), (1, "83109-9", "ng/mL")]},
    "cortisone": {"si": [(1, "14159-8", "nmol/L")], "conv": [(1, "14159-8", "ug/dL")]},
    "shbg": {"si": [(1, "13967-5", "nmol/L")], "conv": [(1, "13967-5", "nmol/L")]},
    "albumin": {"si": [(1, "1751-7", "g/L")], "conv": [(4, "1751-7", "g/dL"), (1, "2862-1", "g/dL")]},
    "lh": {"si": [(3, "10501-5", "[IU]/L"), (1, "83103-2", "[IU]/L")], "conv": [(1, "10501-5", "m[IU]/mL")]},
    "fsh": {"si": [(3, "15067-2", "[IU]/L"), (1, "83098-4", "[IU]/L")], "conv": [(1, "15067-2", "m[IU]/mL")]},
    "prolactin": {"si": [(3, "15081-3", "m[IU]/L"), (1, "83111-5", "m[IU]/L")],
                  "conv": [(3, "2842-3", "ng/mL"), (1, "20568-2", "ug/L")]},
    "tsh": {"si": [(3, "3016-3", "m[IU]/L"), (2, "11580-8", "m[IU]/L")],
            "conv": [(2, "3016-3", "u[IU]/mL"), (1, "11579-0", "u[IU]/mL"), (1, "11580-8", "u[IU]/mL")]},
    "t4-free": {"si": [(4, "14920-3", "pmol/L"), (1, "83121-4", "pmol/L"), (1, "70217-5", "pmol/L")],
                "conv": [(1, "3024-7", "ng/dL")]},
    "t3-free": {"si": [(3, "14928-6", "pmol/L"), (1, "83126-3", "pmol/L")], "conv": [(1, "3051-0", "pg/mL")]},
    "t3-reverse": {"si": [(1, "14929-4", "nmol/L")], "conv": [(1, "3052-8", "ng/dL")]},
    "igf-1": {"si": [(3, "2484-4", "ng/mL"), (1, "29775-4", "nmol/L")], "conv": [(1, "2484-4", "ng/mL")]},
    # Morning panels are fasting: the fasting codes (HOMA-IR needs a glucose with a "fasting" timing); late-morning
    # panels ("_nf") are not.
    "insulin": {"si": [(1, "59179-2", "pmol/L")], "conv": [(3, "27873-9", "u[IU]/mL"), (1, "20448-7", "u[IU]/mL")],
                "si_nf": [(1, "14796-7", "pmol/L")], "conv_nf": [(1, "20448-7", "u[IU]/mL")]},
    "glucose": {"si": [(1, "14771-0", "mmol/L")], "conv": [(1, "1558-6", "mg/dL")],
                "si_nf": [(1, "14749-6", "mmol/L")], "conv_nf": [(1, "2345-7", "mg/dL")]},
}
# Decimals that differ from the unit's default for one analyte (saliva cortisol in ug/dL is about 0.05).
DECIMALS = {("cortisol-saliva", "ug/dL"): 3, ("cortisol-saliva", "nmol/L"): 1, ("cortisol", "nmol/L"): 0,
            ("testosterone-free", "pg/mL"): 1, ("t3-reverse", "nmol/L"): 3, ("igf-1", "ng/mL"): 0,
            ("igf-1", "nmol/L"): 1, ("shbg", "nmol/L"): 1, ("insulin", "u[IU]/mL"): 1,
            ("testosterone-bioavailable", "nmol/L"): 2, ("dhea", "nmol/L"): 1, ("cortisone", "ug/dL"): 2,
            ("t4-free", "ng/dL"): 2, ("tsh", "m[IU]/L"): 3, ("tsh", "u[IU]/mL"): 3, ("progesterone", "nmol/L"): 2,
            ("prolactin", "m[IU]/L"): 0, ("dhea-s", "nmol/L"): 0, ("cortisone", "nmol/L"): 1,
            ("cortisone-saliva", "nmol/L"): 1, ("t4-free", "pmol/L"): 1, ("t3-free", "pmol/L"): 1,
            ("testosterone-bioavailable-fraction", "%"): 1}

# Cortisol codes per specimen, timing and unit kind (analytes.yaml): serum draws in the morning use the untimed
# code or the AM-peak code, afternoon draws the untimed or PM-trough code; saliva noon and 4 PM samples their
# timed codes (4 PM exists in mass only).
CORTISOL_CODES = {
    ("serum", "am", "mass"): [(3, "2143-6"), (2, "9813-7"), (1, "83088-5")],
    ("serum", "am", "amount"): [(3, "14675-3"), (2, "14679-5"), (1, "83090-1")],
    ("serum", "pm", "mass"): [(2, "2143-6"), (1, "9812-9")],
    ("serum", "pm", "amount"): [(2, "14675-3"), (1, "14678-7")],
    ("serum", "", "mass"): [(1, "2143-6")], ("serum", "", "amount"): [(1, "14675-3")],
    ("saliva", "", "mass"): [(1, "2142-8")], ("saliva", "", "amount"): [(1, "51844-9")],
    ("saliva", "noon", "mass"): [(1, "58644-6")], ("saliva", "noon", "amount"): [(1, "58645-3")],
    ("saliva", "4pm", "mass"): [(1, "58668-5")], ("saliva", "4pm", "amount"): [(1, "51844-9")],
}

# The site's local codes (config/terminology/example-lab.conceptmap.json) used for a "local" laboratory, by the
# LOINC code they map to. STEROID-SCREEN is left out: it maps "narrower", so it never names a cortisol.
LOCAL_FOR_LOINC = {"2143-6": "CORT", "2191-5": "DHEAS", "2986-8": "TESTO", "2243-4": "E2", "11580-8": "TSH",
                   "2142-8": "CORT-SAL-2300"}

# Panels. Every patient's first panel has the core analytes; each optional one is added with its probability, so
# across the feed every catalogue analyte appears. A second, earlier panel (for trends) repeats the core.
CORE = ["cortisol", "dhea-s", "testosterone", "shbg", "albumin", "estradiol", "lh", "fsh", "prolactin", "tsh",
        "t4-free", "t3-free", "glucose", "insulin"]
OPTIONAL = {"dhea": 0.4, "t3-reverse": 0.35, "igf-1": 0.35, "estrone": 0.25, "cortisone": 0.4,
            "testosterone-free": 0.3, "testosterone-free-fraction": 0.15, "testosterone-bioavailable": 0.2,
            "testosterone-bioavailable-fraction": 0.15, "progesterone": 0.25}
PROGESTERONE_WOMEN = 0.8  # premenopausal women: progesterone is part of most of their panels
SECOND_PANEL_SHARE = 0.2
SALIVA_SERIES_SHARE = 0.10
SERUM_CURVE_SHARE = 0.05
CANCELLED_SHARE = 0.004
AMENDED_SHARE = 0.01

# ---- Non-hormone Observations ------------------------------------------------------------------------------------
# (LOINC code, display, UCUM code, printed unit, decimals, low, high, log-normal?) with adult reference intervals
# as printed by general laboratory handbooks (Tietz 4th ed.); vital signs with their usual adult ranges.
VITALS = [
    ("8867-4", "Heart rate", "/min", "beats/minute", 0, 58, 100, False),
    ("9279-1", "Respiratory rate", "/min", "breaths/minute", 0, 12, 20, False),
    ("8310-5", "Body temperature", "Cel", "C", 1, 36.1, 37.5, False),
    ("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry", "%", "%", 0, 94, 100, False),
    ("29463-7", "Body weight", "kg", "kg", 1, 0, 0, False),
    ("39156-5", "Body mass index (BMI) [Ratio]", "kg/m2", "kg/m2", 1, 0, 0, False),
]
LAB_PANELS = [
    [("6690-2", "Leukocytes [#/volume] in Blood by Automated count", "10*3/uL", "10*3/uL", 1, 4.0, 11.0, False),
     ("789-8", "Erythrocytes [#/volume] in Blood by Automated count", "10*6/uL", "10*6/uL", 2, 4.2, 5.9, False),
     ("718-7", "Hemoglobin [Mass/volume] in Blood", "g/dL", "g/dL", 1, 12.0, 17.5, False),
     ("4544-3", "Hematocrit [Volume Fraction] of Blood by Automated count", "%", "%", 1, 36, 50, False),
     ("787-2", "MCV [Entitic volume] by Automated count", "fL", "fL", 1, 80, 100, False),
     ("777-3", "Platelets [#/volume] in Blood by Automated count", "10*3/uL", "10*3/uL", 0, 150, 400, False)],
    [("2951-2", "Sodium [Moles/volume] in Serum or Plasma", "mmol/L", "mmol/L", 0, 135, 145, False),
     ("2823-3", "Potassium [Moles/volume] in Serum or Plasma", "mmol/L", "mmol/L", 1, 3.5, 5.1, False),
     ("2075-0", "Chloride [Moles/volume] in Serum or Plasma", "mmol/L", "mmol/L", 0, 98, 107, False),
     ("2028-9", "Carbon dioxide, total [Moles/volume] in Serum or Plasma", "mmol/L", "mmol/L", 0, 22, 29, False),
     ("3094-0", "Urea nitrogen [Mass/volume] in Serum or Plasma", "mg/dL", "mg/dL", 0, 7, 20, False),
     ("2160-0", "Creatinine [Mass/volume] in Serum or Plasma", "mg/dL", "mg/dL", 2, 0.6, 1.2, False),
     ("17861-6", "Calcium [Mass/volume] in Serum or Plasma", "mg/dL", "mg/dL", 1, 8.6, 10.3, False)],
    [("2093-3", "Cholesterol [Mass/volume] in Serum or Plasma", "mg/dL", "mg/dL", 0, 125, 240, False),
     ("2571-8", "Triglyceride [Mass/volume] in Serum or Plasma", "mg/dL", "mg/dL", 0, 50, 250, True),
     ("2085-9", "Cholesterol in HDL [Mass/volume] in Serum or Plasma", "mg/dL", "mg/dL", 0, 35, 85, False),
     ("13457-7", "Cholesterol in LDL [Mass/volume] in Serum or Plasma by calculation", "mg/dL", "mg/dL", 0, 60,
      170, False)],
    [("1742-6", "Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma", "U/L", "U/L", 0, 7, 56,
      True),
     ("1920-8", "Aspartate aminotransferase [Enzymatic activity/volume] in Serum or Plasma", "U/L", "U/L", 0, 10,
      40, True),
     ("6768-6", "Alkaline phosphatase [Enzymatic activity/volume] in Serum or Plasma", "U/L", "U/L", 0, 44, 147,
      True),
     ("1975-2", "Bilirubin.total [Mass/volume] in Serum or Plasma", "mg/dL", "mg/dL", 1, 0.2, 1.2, True)],
    [("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood", "%", "%", 1, 4.3, 6.2, False),
     ("1988-5", "C reactive protein [Mass/volume] in Serum or Plasma", "mg/L", "mg/L", 1, 0.3, 12, True)],
]
BLOOD_PRESSURE = ("85354-9", "Blood pressure panel with all children optional")
SYSTOLIC = ("8480-6", "Systolic blood pressure")
DIASTOLIC = ("8462-4", "Diastolic blood pressure")

# ---- Medications ---------------------------------------------------------------------------------------------------
# Routes of administration as dosages name them (SNOMED CT, FHIR ValueSet route-codes). The regimens are in
# Hospital.medication_resources, the medications' codes come from config/terminology/medications.yaml.
ROUTES = {"oral": ("26643006", "Oral route"), "intramuscular": ("78421000", "Intramuscular route"),
          "subcutaneous": ("34206005", "Subcutaneous route"), "topical": ("6064005", "Topical route"),
          "transdermal": ("45890007", "Transdermal route")}


def load_yaml(text):
    """PyYAML's C loader where present (the pure-Python one takes about a second for analytes.yaml)."""
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def randint(rng, low, high):
    """An integer in [low, high]: random.randint's distribution without its cost (a tenth of the time; this is
    the generator's most frequent call)."""
    return low + int(rng.random() * (high - low + 1))


def lognormal(rng, low, high):
    """A draw with median sqrt(low*high) and about 95 % of draws in [low, high]."""
    return math.exp(rng.gauss(0.5 * (math.log(low) + math.log(high)), (math.log(high) - math.log(low)) / 3.92))


def weighted(rng, options):
    """One option of [(weight, ...)] tuples, by weight: the option's remaining fields (one value if one)."""
    total = sum(option[0] for option in options)
    pick = rng.random() * total
    for option in options:
        pick -= option[0]
        if pick < 0:
            return option[1] if len(option) == 2 else option[1:]
    return options[-1][1] if len(options[-1]) == 2 else options[-1][1:]


class Catalogue:
    """What the generator needs of analytes.yaml, medications.yaml and the example ConceptMap."""

    def __init__(self, config):
        analytes = load_yaml((config / "terminology/analytes.yaml").read_text())["analytes"]
        self.analytes = {a["id"]: a for a in analytes}
        self.loinc = {code["code"]: (a["id"], code) for a in analytes for code in a["loinc"]}
        missing = sorted(set(self.analytes) - set(REFERENCE))
        if missing:
            sys.exit(f"synth_hospital: no distribution for catalogue analytes {missing}: add them to REFERENCE")
        conceptmap = json.loads((config / "terminology/example-lab.conceptmap.json").read_text())
        group = conceptmap["group"][0]
        self.local_system = group["source"]
        self.local = {element["target"][0]["code"]: (element["code"], element["display"])
                      for element in group["element"] if element["code"] in LOCAL_FOR_LOINC.values()}
        medications = load_yaml((config / "terminology/medications.yaml").read_text())["medications"]
        self.medications = {m["id"]: m for m in medications}
        for codes in [REPORT[a][k] for a in REPORT for k in REPORT[a]] + list(CORTISOL_CODES.values()):
            for option in codes:
                if option[1] not in self.loinc:
                    sys.exit(f"synth_hospital: LOINC {option[1]} is not in analytes.yaml")
        for panel in LAB_PANELS + [VITALS, [BLOOD_PRESSURE, SYSTOLIC, DIASTOLIC]]:
            for entry in panel:
                if entry[0] in self.loinc:
                    sys.exit(f"synth_hospital: the non-hormone code {entry[0]} is a catalogue analyte's")
        # Canonical-unit plausible ranges, so that no exact value is generated outside one.
        self.plausible = {}
        for analyte_id, analyte in self.analytes.items():
            limits = analyte.get("plausible_range")
            if limits:
                self.plausible[analyte_id] = tuple(
                    None if limits.get(end) is None else self.convert(analyte_id, limits[end], limits["unit"],
                                                                      analyte["canonical_unit"])
                    for end in ("low", "high"))

    def convert(self, analyte_id, value, unit_from, unit_to):
        """value in unit_from as unit_to, through the analyte's molar mass or IU equivalence (analytes.yaml)."""
        _, _, _, kind_from, factor_from = UNITS[unit_from]
        _, _, _, kind_to, factor_to = UNITS[unit_to]
        base = value * factor_from
        if kind_from != kind_to:
            analyte = self.analytes[analyte_id]
            molar = analyte.get("molar_mass", {}).get("g_per_mol")
            iu = analyte.get("iu_equivalent")
            iu_base = None
            if iu:  # one IU as g or mol
                iu_base = iu["quantity"] * {"ug": 1e-6, "mg": 1e-3, "g": 1.0, "nmol": 1e-9, "pmol": 1e-12,
                                            "umol": 1e-6}[iu["unit"]]
                iu_kind = "mass" if iu["unit"].endswith("g") else "amount"
            if kind_from == "iu":
                base, kind_from = base * iu_base, iu_kind
            if kind_from == "mass" and kind_to == "amount":
                base /= molar
            elif kind_from == "amount" and kind_to == "mass":
                base *= molar
            elif kind_to == "iu":
                if kind_from != iu_kind:
                    base = base / molar if iu_kind == "amount" else base * molar
                base /= iu_base
        return base / factor_to


class Clock:
    """Local date-times of the hospital (Central European Time: UTC+01:00, +02:00 from the last Sunday of March to
    the last Sunday of October, the EU rule of Directive 2000/84/EC) as strings, by day index and minute."""

    def __init__(self, start, first_day, last_day):
        self.first = first_day
        self.dates = []
        self.offsets = []
        for index in range(first_day, last_day + 1):
            day = start + datetime.timedelta(days=index)
            self.dates.append(day.isoformat())
            self.offsets.append("+02:00" if self._summer(day) else "+01:00")
        self.clock = [f"{m // 60:02d}:{m % 60:02d}" for m in range(1440)]

    @staticmethod
    def _summer(day):
        def last_sunday(month):
            last = datetime.date(day.year, month, 31)
            return last - datetime.timedelta(days=(last.weekday() + 1) % 7)
        return last_sunday(3) <= day < last_sunday(10)

    def at(self, day, minute, second=0):
        day += minute // 1440
        i = day - self.first
        return f"{self.dates[i]}T{self.clock[minute % 1440]}:{second:02d}{self.offsets[i]}"

    def instant(self, day, minute, second=0):
        """A meta.lastUpdated-style instant with milliseconds."""
        day += minute // 1440
        i = day - self.first
        return f"{self.dates[i]}T{self.clock[minute % 1440]}:{second:02d}.000{self.offsets[i]}"

    def date(self, day):
        return self.dates[day - self.first]


def number(value, decimals):
    return f"{value:.{decimals}f}"


@dataclasses.dataclass
class PatientState:
    """One patient while it is generated: who they are, their laboratory, and what has been written."""
    pid: str
    rng: random.Random
    sex: str
    age: int
    group: str  # a REFERENCE key: m, f (premenopausal), fp (postmenopausal)
    lab: str  # si | conv | local
    abnormal: tuple = None  # (analyte, factor) of one markedly abnormal analyte, or None
    luteal: bool = False  # the current panel is drawn in the luteal phase
    meds: set = dataclasses.field(default_factory=set)
    obs: int = 0  # hormone Observations so far (their ids and accession numbers)
    hormones: int = 0
    out: list = dataclasses.field(default_factory=list)


class Hospital:
    """Generates one patient at a time as [(resourceType, id, JSON text)], the Patient first."""

    def __init__(self, args, catalogue):
        self.args = args
        self.cat = catalogue
        self.start = args.start
        self.days = args.days
        self.width = max(7, len(str(args.patients)))
        # Medication regimens start up to 5 years before the window.
        self.clock = Clock(args.start, -5 * 366, args.days + 2)
        self.code_json = {}
        self.formats = {}
        self.category_lab = (f'[{{"coding":[{{"system":"{CATEGORY}","code":"laboratory",'
                             f'"display":"Laboratory"}}]}}]')
        self.category_vitals = (f'[{{"coding":[{{"system":"{CATEGORY}","code":"vital-signs",'
                                f'"display":"Vital Signs"}}]}}]')
        self.others_per_hormone = args.other_share / (1 - args.other_share)

    # ---- Patient-level ----------------------------------------------------------------------------------------
    def patient(self, number_):
        pid = f"p{number_:0{self.width}d}"
        rng = random.Random(f"{self.args.seed}:{number_}:clinical")
        sex = "male" if rng.random() < 0.5 else "female"
        age = randint(rng, 18, 85)
        birth = self.start - datetime.timedelta(days=age * 365 + randint(rng, 0, 364))
        group = "m" if sex == "male" else ("fp" if age >= 51 else "f")
        lab = weighted(rng, [(45, "si"), (40, "conv"), (15, "local")])
        ctx = PatientState(pid=pid, rng=rng, sex=sex, age=age, group=group, lab=lab)
        out = ctx.out
        mrn = f"{self.args.seed % 1000:03d}{number_:0{self.width}d}"
        out.append(("Patient", pid,
                    f'{{"resourceType":"Patient","id":"{pid}","meta":{{"versionId":"1","lastUpdated":'
                    f'"{self.clock.instant(0, 480)}"}},"identifier":[{{"use":"usual","type":{{"coding":[{{"system":'
                    f'"http://terminology.hl7.org/CodeSystem/v2-0203","code":"MR"}}]}},"system":"{MRN}","value":'
                    f'"{mrn}"}}],"active":true,"gender":"{sex}","birthDate":"{birth.isoformat()}",'
                    f'"managingOrganization":{{"reference":"Organization/hospital"}}}}'))

        # Days: the latest panel in the second half of the window, a second one 3-10 months earlier.
        panel_day = randint(rng, self.days // 2, self.days - 3)
        panel_days = [panel_day]
        if rng.random() < SECOND_PANEL_SHARE:
            panel_days.insert(0, panel_day - randint(rng, 90, 300))
        if rng.random() < ABNORMAL_SHARE:
            ctx.abnormal = (rng.choice(CORE), rng.uniform(4, 25) ** (1 if rng.random() < 0.6 else -1))
        self.choose_medications(ctx)
        meds = ctx.meds

        # Medication resources come right after the Patient (the grouped layout's order).
        self.medication_resources(ctx, panel_days)
        for index, day in enumerate(panel_days):
            analytes = list(CORE)
            if index == len(panel_days) - 1:
                for analyte, share in OPTIONAL.items():
                    if analyte == "progesterone" and group == "f":
                        share = PROGESTERONE_WOMEN
                    if rng.random() < share:
                        analytes.append(analyte)
            minute = randint(rng, 420, 600) if rng.random() < 0.9 else randint(rng, 600, 780)
            if "hydrocortisone" in meds:
                minute = randint(rng, 495, 540)  # 08:15-09:00, within an hour and a half of the 07:30 dose
            self.panel(ctx, day, minute, analytes)
        if "hydrocortisone" in meds and rng.random() < 0.8:
            self.serum_curve(ctx, panel_day + randint(rng, 1, 2))
        elif rng.random() < SERUM_CURVE_SHARE:
            self.serum_curve(ctx, panel_day + randint(rng, 1, 2))
        if rng.random() < SALIVA_SERIES_SHARE:
            self.saliva_series(ctx, panel_day - randint(rng, 3, 14))
        self.other_observations(ctx, random.Random(f"{self.args.seed}:{number_}:other"))
        return out, ctx.hormones

    def choose_medications(self, ctx):
        """Who takes what. The shares are the generator's settings (about one patient in eight on a hormone
        medication), chosen so that every medication of the catalogue occurs in a few thousand patients; only
        their direction is clinical: hypothyroidism is several times commoner in women (Vanderpump MPJ, Br Med
        Bull 2011;99:39-51), testosterone for older men, estradiol and progesterone after the menopause."""
        rng, sex, age, group = ctx.rng, ctx.sex, ctx.age, ctx.group
        meds = ctx.meds
        if rng.random() < (0.08 if sex == "female" else 0.02):
            meds.add("levothyroxine")
            if rng.random() < 0.1:
                meds.add("liothyronine")
        if sex == "male" and age >= 35 and rng.random() < 0.05:
            meds.add("testosterone-gel" if rng.random() < 0.75 else "testosterone-injection")
        if group == "fp" and rng.random() < 0.08:
            meds.add("estradiol-oral" if rng.random() < 0.5 else "estradiol-patch")
            if rng.random() < 0.5:
                meds.add("progesterone")
        if rng.random() < 0.01:
            meds.add("hydrocortisone")
        elif rng.random() < 0.005:
            meds.add("prednisolone")
        if age >= 40 and rng.random() < 0.03:
            meds.add("insulin")
        if sex == "female" and age >= 40 and rng.random() < 0.01:
            meds.add("dhea")

    # ---- Hormone results --------------------------------------------------------------------------------------
    def value(self, ctx, analyte, minute=None):
        """A canonical-unit value for the patient's group, age and medications."""
        rng, group, age, meds = ctx.rng, ctx.group, ctx.age, ctx.meds
        ranges = REFERENCE[analyte]
        key = group
        if group == "f" and "fl" in ranges and ctx.luteal:
            key = "fl"
        if key not in ranges:
            key = "f" if group in ("f", "fp") and "f" in ranges else "m"
        low, high = ranges[key]
        # Medications move the levels they are given for (medications.yaml `affects`).
        if analyte == "testosterone" and ("testosterone-gel" in meds or "testosterone-injection" in meds):
            low, high = 10, 40
        elif analyte == "estradiol" and ("estradiol-oral" in meds or "estradiol-patch" in meds):
            low, high = 100, 600
        elif analyte == "tsh" and "levothyroxine" in meds:
            low, high = 0.3, 6.0
        elif analyte == "t4-free" and "levothyroxine" in meds:
            low, high = 14, 26
        elif analyte == "insulin" and "insulin" in meds:
            low, high = 8, 60
        elif analyte == "glucose" and "insulin" in meds:
            low, high = 5.5, 11
        elif analyte == "progesterone" and "progesterone" in meds:
            low, high = 2, 25
        elif analyte in ("dhea-s", "dhea") and "dhea" in meds:
            low, high = low * 2, high * 2
        value = lognormal(rng, low, high)
        if analyte in AGE_DECLINE and age > 30:
            value *= math.exp(-AGE_DECLINE[analyte] * (age - 30))
        if analyte == "cortisol" and minute is not None:
            value *= serum_cortisol_shape(minute)
            if "hydrocortisone" in meds:
                value = hydrocortisone_level(rng, minute)
            elif "prednisolone" in meds:
                value *= 0.15  # suppressed axis
        if ctx.abnormal and ctx.abnormal[0] == analyte:
            value *= ctx.abnormal[1]
        return value

    def panel(self, ctx, day, minute, analytes):
        rng = ctx.rng
        ctx.luteal = ctx.group == "f" and rng.random() < 0.4
        timing = "am" if minute <= 600 else "pm"
        total = None
        for analyte in analytes:
            value = self.value(ctx, analyte, minute)
            # Free and bioavailable testosterone as fractions of the same draw's total, so that they agree.
            if analyte == "testosterone":
                total = value
            elif analyte == "testosterone-free" and total is not None:
                value = total * 1000 * self.value(ctx, "testosterone-free-fraction") / 100
            elif analyte == "testosterone-bioavailable" and total is not None:
                value = total * self.value(ctx, "testosterone-bioavailable-fraction") / 100
            self.result(ctx, analyte, value, day, minute, specimen="serum", timing=timing)

    def serum_curve(self, ctx, day):
        """A ward day curve of serum cortisol: 5 draws over 15 h (an inpatient series at fixed times)."""
        rng = ctx.rng
        base = self.value(ctx, "cortisol")
        for minute in (480, 720, 960, 1200, 1380):
            minute += randint(rng, -10, 10)
            if "hydrocortisone" in ctx.meds:
                value = hydrocortisone_level(rng, minute)
            else:
                value = base * serum_cortisol_shape(minute) * math.exp(rng.gauss(0, 0.12))
            self.result(ctx, "cortisol", value, day, minute, specimen="serum", timing="")

    def saliva_series(self, ctx, day):
        """Two days of home saliva collection: waking, +30 min, noon, 4 PM, late night (and its cortisone).
        Waking saliva cortisol about 5-25 nmol/L, rising by about 50-75 % 30 min later (the awakening response:
        Wust S et al., Noise Health 2000;2:79-88: mean rise 50-160 %), then falling through the day to below about
        4 nmol/L late at night (Raff H et al., J Clin Endocrinol Metab 1998;83:2681-2686). Late-night saliva
        cortisone about 3-5 times the cortisol (Perogamvros 2010, see REFERENCE)."""
        rng = ctx.rng
        waking_level = lognormal(rng, 5, 25)
        if "hydrocortisone" in ctx.meds or "prednisolone" in ctx.meds:
            waking_level *= 0.2
        for offset in (0, 1):
            d = day + offset
            waking = randint(rng, 360, 480)
            samples = [(waking, "", 1.0), (waking + 30, "", rng.uniform(1.4, 1.9)),
                       (720 + randint(rng, -5, 15), "noon", rng.uniform(0.3, 0.45)),
                       (960 + randint(rng, -5, 15), "4pm", rng.uniform(0.18, 0.3)),
                       (1380 + randint(rng, 0, 40), "", rng.uniform(0.06, 0.14))]
            for minute, timing, factor in samples:
                level = max(0.3, waking_level * factor * math.exp(rng.gauss(0, 0.1)))
                self.result(ctx, "cortisol", level, d, minute, specimen="saliva", timing=timing)
            # The late-night sample's cortisone, measured in the same saliva (level is that sample's cortisol).
            self.result(ctx, "cortisone", level * rng.uniform(3, 5), d, samples[-1][0], specimen="saliva",
                        timing="pm")

    def choose_report(self, ctx, analyte, specimen, timing):
        """(LOINC code, unit key, local code or None) as the patient's laboratory would send the result."""
        rng, lab = ctx.rng, ctx.lab
        style = "si" if lab == "si" else "conv"
        if analyte == "cortisol":
            kind = "amount" if style == "si" else "mass"
            sp = "saliva" if specimen == "saliva" else "serum"
            code = weighted(rng, CORTISOL_CODES[(sp, timing, kind)])
            unit = "nmol/L" if kind == "amount" else "ug/dL"
        elif analyte == "cortisone" and specimen == "saliva":
            code, unit = "71893-2", "nmol/L"
        else:
            options = REPORT[analyte]
            key = style + "_f" if ctx.sex == "female" and style + "_f" in options else style
            if timing == "pm" and style + "_nf" in options:
                key = style + "_nf"
            code, unit = weighted(rng, options[key])
        local = None
        if lab == "local" and code in LOCAL_FOR_LOINC:
            local = self.cat.local[code]
        return code, unit, local

    def code_concept(self, code, local):
        key = (code, local)
        text = self.code_json.get(key)
        if text is None:
            analyte_id, entry = self.cat.loinc[code]
            display = self.cat.analytes[analyte_id]["display"]
            if local:
                coding = {"system": self.cat.local_system, "code": local[0], "display": local[1]}
            else:
                coding = {"system": LOINC, "code": code, "display": entry["long_common_name"]}
            text = json.dumps({"coding": [coding], "text": display}, ensure_ascii=False, separators=(",", ":"))
            self.code_json[key] = text
        return text

    def result_format(self, analyte, specimen, unit_key, range_key):
        """What a result of this analyte, specimen and unit needs besides its value, computed once: decimals, the
        factor from the canonical unit, the censoring limits, and the reference range for range_key (a REFERENCE
        key; "saliva" for none; "saliva-late", "serum-pm" for cortisol) as JSON with its canonical bounds."""
        key = (analyte, specimen, unit_key, range_key)
        found = self.formats.get(key)
        if found:
            return found
        ucum, printed, decimals, _, _ = UNITS[unit_key]
        decimals = DECIMALS.get((analyte + ("-saliva" if specimen == "saliva" else ""), unit_key), decimals)
        canonical = self.cat.analytes[analyte]["canonical_unit"]
        factor = self.cat.convert(analyte, 1.0, canonical, unit_key)
        low_limit, high_limit = LIMITS.get(analyte, (None, None)) if specimen == "serum" else (None, None)
        plausible = self.cat.plausible.get(analyte, (None, None))
        if plausible[1] is not None:
            high_limit = min(high_limit or plausible[1], plausible[1])
        if range_key == "saliva":
            low_ref, high_ref = None, None
        elif range_key == "saliva-late":
            low_ref, high_ref = None, 4.3
        elif range_key == "serum-pm":
            low_ref, high_ref = 73.8, 291  # 16-20 h, the same method sheet as REFERENCE's morning interval
        else:
            low_ref, high_ref = REFERENCE[analyte][range_key]
        parts = []
        for end, bound in (("low", low_ref), ("high", high_ref)):
            if bound is not None:
                parts.append(f'"{end}":{{"value":{number(bound * factor, decimals)},"unit":"{printed}",'
                             f'"system":"{UCUM}","code":"{ucum}"}}')
        found = {"decimals": decimals, "scale": 10 ** decimals, "factor": factor, "low_limit": low_limit,
                 "high_limit": high_limit, "plausible": plausible, "low_ref": low_ref, "high_ref": high_ref,
                 "range": f',"referenceRange":[{{{",".join(parts)}}}]' if parts else "",
                 "ucum_json": f'"unit":"{printed}","system":"{UCUM}","code":"{ucum}"',
                 "alias_json": (f'"unit":"{ALIASES[unit_key]}","system":"{UCUM}","code":"{ALIASES[unit_key]}"'
                                if unit_key in ALIASES else None),
                 "free_text_json": [f'"unit":"{text}"' for text in FREE_TEXT.get(unit_key, [])]}
        self.formats[key] = found
        return found

    def result(self, ctx, analyte, value, day, minute, specimen, timing):
        """One hormone Observation line."""
        rng = ctx.rng
        code, unit_key, local = self.choose_report(ctx, analyte, specimen, timing)
        if local and local[0] == "CORT-SAL-2300" and minute < 1320:
            local = None  # the site's code is for the late-night (23:00) collection only
        # The laboratory's reference interval for the patient (the canonical interval where none is sex specific).
        if analyte == "cortisol" and specimen == "saliva":
            range_key = "saliva-late" if minute >= 1260 else "saliva"
        elif specimen == "saliva":
            range_key = "saliva"  # REFERENCE has no saliva cortisone interval: none is sent
        elif analyte == "cortisol" and minute % 1440 > 600:
            range_key = "serum-pm"
        else:
            ranges = REFERENCE[analyte]
            range_key = ctx.group if ctx.group in ranges else ("f" if ctx.sex == "female" and "f" in ranges else "m")
        fmt = self.result_format(analyte, specimen, unit_key, range_key)

        comparator = ""
        if fmt["low_limit"] is not None and value < fmt["low_limit"]:
            comparator, value = "<", fmt["low_limit"]
        elif fmt["high_limit"] is not None and value > fmt["high_limit"]:
            comparator, value = ">", fmt["high_limit"]
        reported = value * fmt["factor"]
        scale = fmt["scale"]
        if comparator == "<":
            reported = math.ceil(reported * scale - 1e-9) / scale
        elif comparator == ">":
            reported = math.floor(reported * scale + 1e-9) / scale
        else:
            reported = max(round(reported, fmt["decimals"]), 1 / scale)
            # A rounded exact value must stay inside the plausible range (analytes.yaml) in the canonical unit.
            low, high = fmt["plausible"]
            if low is not None and reported / fmt["factor"] < low:
                reported = math.ceil(low * fmt["factor"] * scale) / scale
            if high is not None and reported / fmt["factor"] > high:
                reported = math.floor(high * fmt["factor"] * scale) / scale

        # How the unit is written: free text (no system, no code), a UCUM alias, or the UCUM code.
        roll = rng.random()
        if fmt["free_text_json"] and ctx.lab != "si" and roll < 0.3:
            unit_json = fmt["free_text_json"][0 if roll < 0.15 else -1]
        elif fmt["alias_json"] and roll < 0.3:
            unit_json = fmt["alias_json"]
        else:
            unit_json = fmt["ucum_json"]
        comparator_json = f'"comparator":"{comparator}",' if comparator else ""
        value_text = number(reported, fmt["decimals"])

        interpretation = ""
        high_ref, low_ref = fmt["high_ref"], fmt["low_ref"]
        flag = ("H", "High") if high_ref is not None and value > high_ref else (
            ("L", "Low") if low_ref is not None and value < low_ref else None)
        if flag or rng.random() < 0.3:
            flag = flag or ("N", "Normal")
            interpretation = (f',"interpretation":[{{"coding":[{{"system":"{INTERPRETATION}","code":"{flag[0]}",'
                              f'"display":"{flag[1]}"}}]}}]')
        reference_range = fmt["range"]

        ctx.obs += 1
        oid = f'{ctx.pid}-h{ctx.obs:03d}'
        roll = rng.random()
        status, version = "final", "1"
        if roll < CANCELLED_SHARE:
            status = "cancelled"
        elif roll < CANCELLED_SHARE + AMENDED_SHARE:
            status, version = "amended", "2"
        issued_minute = minute + randint(rng, 60, 360)
        if specimen == "saliva":
            issued_minute += 1440 * randint(rng, 1, 3)  # home collection, posted to the laboratory
        if status == "cancelled":
            value_json = (',"dataAbsentReason":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/'
                          'data-absent-reason","code":"not-performed","display":"Not Performed"}]}')
            interpretation = reference_range = ""
        else:
            value_json = f',"valueQuantity":{{"value":{value_text},{comparator_json}{unit_json}}}'
        lab_id, lab_name = LABS[ctx.lab]
        specimen_note = "saliva" if specimen == "saliva" else "serum"
        ctx.out.append(("Observation", oid, (
            f'{{"resourceType":"Observation","id":"{oid}","meta":{{"versionId":"{version}","lastUpdated":'
            f'"{self.clock.instant(day, issued_minute + 2 + 30 * int(version == "2"), randint(rng, 0, 59))}"}},'
            f'"identifier":[{{"system":"{ACCESSION}","value":"{ctx.pid[1:]}-{day % 10000:04d}-{ctx.obs:03d}"}}],'
            f'"status":"{status}","category":{self.category_lab},"code":{self.code_concept(code, local)},'
            f'"subject":{{"reference":"Patient/{ctx.pid}"}},"effectiveDateTime":"{self.clock.at(day, minute)}",'
            f'"issued":"{self.clock.instant(day, issued_minute)}","performer":[{{"reference":"Organization/{lab_id}",'
            f'"display":"{lab_name}"}}]{value_json}{interpretation}{reference_range},'
            f'"note":[{{"text":"{specimen_note} specimen, received in the laboratory"}}]}}')))
        ctx.hormones += 1

    # ---- Medications --------------------------------------------------------------------------------------------
    def medication_concept(self, ctx, medication_id, text):
        """medicationCodeableConcept as sent: all the catalogue's codes, one of them, or the text alone."""
        rng = ctx.rng
        codes = self.cat.medications[medication_id]["codes"] if "codes" in self.cat.medications[medication_id] else []
        display = self.cat.medications[medication_id]["display"]
        roll = rng.random()
        chosen = codes if roll < 0.4 else (codes[:1] if roll < 0.7 else [])
        coding = ",".join(f'{{"system":"{c["system"]}","code":"{c["code"]}","display":"{display}"}}' for c in chosen)
        return f'{{"coding":[{coding}],"text":"{text}"}}' if coding else f'{{"text":"{text}"}}'

    def medication_resources(self, ctx, panel_days):
        rng, pid, clock = ctx.rng, ctx.pid, self.clock
        out = ctx.out
        since = panel_days[0] - randint(rng, 120, 5 * 365)
        number_ = 0
        for med in sorted(ctx.meds):
            number_ += 1
            rid = f"{pid}-m{number_}"
            meta = f'"meta":{{"versionId":"1","lastUpdated":"{clock.instant(since, 600)}"}}'
            subject = f'"subject":{{"reference":"Patient/{pid}"}}'
            if med == "testosterone-injection":
                # Cypionate every 14 days; the last injection 1-12 days before the latest panel, so some draws are
                # mid-interval (days 4.9-9.1) and some are not.
                last = panel_days[-1] - randint(rng, 1, 12)
                route_code, route_display = ROUTES["intramuscular"]
                for k, day in enumerate((last - 28, last - 14, last)):
                    concept = self.medication_concept(ctx, "testosterone", "Testosterone cypionate 200 MG/ML injection")
                    aid = f"{rid}-{k + 1}"
                    minute = randint(rng, 540, 1020)
                    recorded = f'"meta":{{"versionId":"1","lastUpdated":"{clock.instant(day, minute + 3)}"}}'
                    out.append(("MedicationAdministration", aid, (
                        f'{{"resourceType":"MedicationAdministration","id":"{aid}",{recorded},"status":"completed",'
                        f'"medicationCodeableConcept":{concept},{subject},'
                        f'"effectiveDateTime":"{clock.at(day, minute)}",'
                        f'"performer":[{{"actor":{{"reference":"Practitioner/nurse-1"}}}}],'
                        f'"dosage":{{"text":"200 mg IM","route":{{"coding":[{{"system":"{SNOMED}",'
                        f'"code":"{route_code}","display":"{route_display}"}}]}},"dose":{{"value":200,"unit":"mg",'
                        f'"system":"{UCUM}","code":"mg"}}}}}}')))
                continue
            # Regimens: (catalogue id, product text, route, [(clock minute, dose, unit)], (frequency, period, unit)
            # for one without daily clock times, else None)
            if med == "levothyroxine":
                minute = 390 if rng.random() < 0.4 else 1320
                dose = rng.choice((50, 75, 88, 100, 112, 125, 150))
                regimen = ("levothyroxine", f"Levothyroxine sodium {dose} MCG oral tablet", "oral",
                           [(minute, dose, "ug")], None)
            elif med == "liothyronine":
                regimen = ("liothyronine", "Liothyronine sodium 5 MCG oral tablet", "oral", [(480, 5, "ug")], None)
            elif med == "testosterone-gel":
                minute = rng.choice((420, 450, 480, 1260))
                regimen = ("testosterone", "Testosterone 1.62 % topical gel", "topical", [(minute, 40.5, "mg")], None)
            elif med == "estradiol-oral":
                regimen = ("estradiol", "Estradiol 1 MG oral tablet", "oral", [(480, 1, "mg")], None)
            elif med == "estradiol-patch":
                regimen = ("estradiol", "Estradiol 0.05 MG/DAY transdermal patch", "transdermal",
                           [(None, 0.05, "mg/d")], (2, 1, "wk"))
            elif med == "progesterone":
                regimen = ("progesterone", "Progesterone 100 MG oral capsule", "oral", [(1320, 100, "mg")], None)
            elif med == "hydrocortisone":
                # Replacement in three doses, the largest in the morning (hydrocortisone SmPC 4.2).
                regimen = ("hydrocortisone", "Hydrocortisone 10 MG oral tablet", "oral",
                           [(450, 10, "mg"), (750, 5, "mg"), (1050, 5, "mg")], None)
            elif med == "prednisolone":
                regimen = ("prednisolone", "Prednisolone 5 MG oral tablet", "oral", [(480, 5, "mg")], None)
            elif med == "insulin":
                regimen = ("insulin", "Insulin glargine 100 UNT/ML injectable solution", "subcutaneous",
                           [(1320, randint(rng, 10, 40), "[iU]")], None)
            else:  # dhea
                regimen = ("dhea", "DHEA 25 MG oral capsule", "oral", [(480, 25, "mg")], None)
            catalogue_id, text, route, doses, repeat = regimen
            concept = self.medication_concept(ctx, catalogue_id, text)
            route_json = (f'"route":{{"coding":[{{"system":"{SNOMED}","code":"{ROUTES[route][0]}",'
                          f'"display":"{ROUTES[route][1]}"}}]}}')
            dosages = []
            for minute, dose, unit in doses:
                if repeat:
                    frequency, period, period_unit = repeat
                    timing = f'"frequency":{frequency},"period":{period},"periodUnit":"{period_unit}"'
                    dose_text = f"{dose} {unit}, changed {frequency} times per {period} {period_unit}"
                else:
                    timing = (f'"frequency":1,"period":1,"periodUnit":"d","timeOfDay":'
                              f'["{clock.clock[minute]}:00"]')
                    dose_text = f"{dose} {unit} at {clock.clock[minute]}"
                dosages.append(
                    f'{{"text":"{dose_text}","timing":{{"repeat":{{"boundsPeriod":'
                    f'{{"start":"{clock.date(since)}"}},{timing}}}}},{route_json},"doseAndRate":[{{"doseQuantity":'
                    f'{{"value":{dose},"unit":"{unit}","system":"{UCUM}","code":"{unit}"}}}}]}}')
            # A share names its medication by reference to a Medication resource, as order-based exports do.
            if med == "testosterone-gel" and rng.random() < 0.5:
                mid = f"{pid}-med{number_}"
                out.append(("Medication", mid, f'{{"resourceType":"Medication","id":"{mid}",{meta},"code":{concept}}}'))
                medication = f'"medicationReference":{{"reference":"Medication/{mid}"}}'
            else:
                medication = f'"medicationCodeableConcept":{concept}'
            out.append(("MedicationStatement", rid, (
                f'{{"resourceType":"MedicationStatement","id":"{rid}",{meta},"status":"active",{medication},'
                f'{subject},"effectivePeriod":{{"start":"{clock.date(since)}"}},'
                f'"dateAsserted":"{clock.at(since, 600)}","dosage":[{",".join(dosages)}]}}')))

    # ---- Non-hormone Observations -------------------------------------------------------------------------------
    def other_observations(self, ctx, rng):
        """About hormones * share / (1 - share) Observations that are not hormones: vital signs at every
        encounter, with a random choice of laboratory panels, on encounter days spread over the window."""
        expected = ctx.hormones * self.others_per_hormone
        count = int(expected) + (1 if rng.random() < expected - int(expected) else 0)
        if count == 0:
            return
        pid, clock, out = ctx.pid, self.clock, ctx.out
        subject = f'"subject":{{"reference":"Patient/{pid}"}}'
        height = rng.gauss(176 if ctx.sex == "male" else 163, 7)
        weight = rng.gauss(82 if ctx.sex == "male" else 68, 12)
        lab_id, lab_name = LABS[ctx.lab]
        performer = f'"performer":[{{"reference":"Organization/{lab_id}","display":"{lab_name}"}}]'
        nurse = '"performer":[{"reference":"Practitioner/nurse-1","display":"Ward nurse"}]'
        written = 0
        encounter = 0
        # An encounter writes about 15 Observations (vital signs, a third of the laboratory panels): that many
        # encounter days, in date order; when the count needs more, the days are visited again (a second
        # encounter on the same day, as in an inpatient stay).
        days = sorted(randint(rng, 0, self.days - 1) for _ in range(max(1, count // 15)))
        while written < count:
            day = days[encounter % len(days)]
            encounter += 1
            minute = randint(rng, 360, 1320)
            stamp = clock.at(day, minute)
            issued = clock.instant(day, minute + 5)
            meta = f'"meta":{{"versionId":"1","lastUpdated":"{clock.instant(day, minute + 7, randint(rng, 0, 59))}"}}'
            items = []
            systolic = rng.gauss(124, 14)
            items.append(("bp", systolic))
            for entry in VITALS:
                items.append((entry, None))
            for panel in LAB_PANELS:
                if rng.random() < 0.35:
                    items.extend((entry, None) for entry in panel)
            for entry, extra in items:
                if written >= count:
                    break
                written += 1
                oid = f"{pid}-o{written:04d}"
                head = (f'{{"resourceType":"Observation","id":"{oid}",{meta},"status":"final",')
                if entry == "bp":
                    diastolic = extra * 0.62 + rng.gauss(0, 6)
                    components = ",".join(
                        f'{{"code":{{"coding":[{{"system":"{LOINC}","code":"{part[0]}","display":"{part[1]}"}}]}},'
                        f'"valueQuantity":{{"value":{pressure:.0f},"unit":"mmHg","system":"{UCUM}","code":"mm[Hg]"}}}}'
                        for part, pressure in ((SYSTOLIC, extra), (DIASTOLIC, diastolic)))
                    out.append(("Observation", oid, (
                        f'{head}"category":{self.category_vitals},"code":{{"coding":[{{"system":"{LOINC}","code":'
                        f'"{BLOOD_PRESSURE[0]}","display":"{BLOOD_PRESSURE[1]}"}}],"text":"Blood pressure"}},'
                        f'{subject},"effectiveDateTime":"{stamp}","issued":"{issued}",{nurse},'
                        f'"component":[{components}]}}')))
                    continue
                code, display, ucum, printed, decimals, low, high, skewed = entry
                if code == "29463-7":
                    value = weight + rng.gauss(0, 1.0)
                elif code == "39156-5":
                    value = weight / (height / 100) ** 2
                elif skewed:
                    value = lognormal(rng, low, high)
                else:
                    value = rng.gauss((low + high) / 2, (high - low) / 3.92)
                    if code == "59408-5":
                        value = min(value, 100)
                value = max(value, 10 ** -decimals)
                is_vital = high == 0 or code in ("8867-4", "9279-1", "8310-5", "59408-5")
                if is_vital:
                    out.append(("Observation", oid, (
                        f'{head}"category":{self.category_vitals},"code":{{"coding":[{{"system":"{LOINC}","code":'
                        f'"{code}","display":"{display}"}}],"text":"{display}"}},{subject},'
                        f'"effectiveDateTime":"{stamp}","issued":"{issued}",{nurse},"valueQuantity":{{"value":'
                        f'{value:.{decimals}f},"unit":"{printed}","system":"{UCUM}","code":"{ucum}"}}}}')))
                    continue
                flag = "H" if value > high else ("L" if value < low else "N")
                out.append(("Observation", oid, (
                    f'{head}"category":{self.category_lab},"code":{{"coding":[{{"system":"{LOINC}","code":"{code}",'
                    f'"display":"{display}"}}],"text":"{display}"}},{subject},"effectiveDateTime":"{stamp}",'
                    f'"issued":"{issued}",{performer},"valueQuantity":{{"value":{value:.{decimals}f},"unit":'
                    f'"{printed}","system":"{UCUM}","code":"{ucum}"}},"interpretation":[{{"coding":[{{"system":'
                    f'"{INTERPRETATION}","code":"{flag}"}}]}}],"referenceRange":[{{"low":{{"value":{low},"unit":'
                    f'"{printed}","system":"{UCUM}","code":"{ucum}"}},"high":{{"value":{high},"unit":"{printed}",'
                    f'"system":"{UCUM}","code":"{ucum}"}}}}]}}')))


def serum_cortisol_shape(minute):
    """Serum cortisol relative to its 08:00 level by local clock time: the endogenous profile peaks about 08:00-
    09:00 and falls to a nadir about midnight, near a tenth of the peak (Debono M et al., J Clin Endocrinol Metab
    2009;94:1548-1554, 24 h profiles of healthy volunteers). Piecewise linear between these points."""
    points = ((0, 0.12), (240, 0.2), (420, 0.85), (510, 1.0), (600, 0.85), (720, 0.6), (960, 0.42),
              (1200, 0.25), (1380, 0.15), (1440, 0.12))
    minute %= 1440
    for (m0, f0), (m1, f1) in zip(points, points[1:]):
        if m0 <= minute <= m1:
            return f0 + (f1 - f0) * (minute - m0) / (m1 - m0)
    return 0.12


def hydrocortisone_level(rng, minute):
    """Serum cortisol (nmol/L) on the 10 + 5 + 5 mg regimen (07:30, 12:30, 17:30) of a patient without adrenal
    function: one-compartment, first-order absorption; elimination half-life about 1.5 h and peak about 1 h after
    an oral dose (hydrocortisone tablets SmPC 5.2, quoted in config/terminology/medications.yaml); 10 mg gives a
    peak of about 450 nmol/L (scale chosen to match that)."""
    ke = math.log(2) / 1.5
    ka = 1.8  # per hour: with ke this puts the peak at about 1.0 h
    scale = 450 / 10 / (math.exp(-ke * 1.0) - math.exp(-ka * 1.0))
    level = 15.0
    for dose_minute, dose in ((450, 10), (750, 5), (1050, 5)):
        hours = (minute - dose_minute) / 60
        if hours > 0:
            level += scale * dose * (math.exp(-ke * hours) - math.exp(-ka * hours))
    return level * math.exp(rng.gauss(0, 0.15))


# ---- Output layouts ------------------------------------------------------------------------------------------------
class Sink:
    """Buffers text per file and writes it in large blocks; counts bytes."""
    BLOCK = 8 << 20

    def __init__(self):
        self.files = {}
        self.buffers = {}
        self.sizes = {}
        self.bytes = 0

    def open(self, key, path):
        self.files[key] = open(path, "wb")
        self.buffers[key] = []
        self.sizes[key] = 0

    def write(self, key, text):
        self.buffers[key].append(text)
        self.sizes[key] += len(text)
        if self.sizes[key] >= self.BLOCK:
            self.flush(key)

    def flush(self, key):
        data = "".join(self.buffers[key]).encode()
        self.files[key].write(data)
        self.bytes += len(data)
        self.buffers[key] = []
        self.sizes[key] = 0

    def close(self, key):
        self.flush(key)
        self.files[key].close()
        del self.files[key]

    def close_all(self):
        for key in list(self.files):
            self.close(key)


def entry(rtype, rid, text):
    return (f'{{"fullUrl":"{FULL_URL_BASE}/{rtype}/{rid}","resource":{text},'
            f'"request":{{"method":"PUT","url":"{rtype}/{rid}"}}}}')


def generate(args):
    catalogue = Catalogue(args.config)
    hospital = Hospital(args, catalogue)
    sink = Sink()
    out = pathlib.Path(args.out)
    by_type = ("Patient", "Medication", "MedicationStatement", "MedicationAdministration", "Observation")
    if args.layout == "grouped":
        if out.parent:
            out.parent.mkdir(parents=True, exist_ok=True)
        sink.open("all", out)
    else:
        out.mkdir(parents=True, exist_ok=True)
        # A rerun into the same directory must not leave another run's files (only this script's names).
        for stale in [out / f"{rtype}.ndjson" for rtype in by_type] + list(out.glob("bundle-[0-9]*.json")):
            stale.unlink(missing_ok=True)
        if args.layout == "by-type":
            for rtype in by_type:
                sink.open(rtype, out / f"{rtype}.ndjson")
    counts = {}
    hormones = 0
    bundle_number = 0
    in_bundle = 0
    for number_ in range(1, args.patients + 1):
        resources, patient_hormones = hospital.patient(number_)
        hormones += patient_hormones
        for rtype, _, _ in resources:
            counts[rtype] = counts.get(rtype, 0) + 1
        if args.layout == "grouped":
            sink.write("all", "\n".join(text for _, _, text in resources) + "\n")
        elif args.layout == "by-type":
            for rtype, _, text in resources:
                sink.write(rtype, text + "\n")
        else:
            if in_bundle == 0:
                bundle_number += 1
                sink.open("bundle", out / f"bundle-{bundle_number:05d}.json")
                sink.write("bundle", '{"resourceType":"Bundle","type":"transaction","entry":[\n')
            else:
                sink.write("bundle", ",\n")
            sink.write("bundle", ",\n".join(entry(rtype, rid, text) for rtype, rid, text in resources))
            in_bundle += 1
            if in_bundle == args.patients_per_bundle or number_ == args.patients:
                sink.write("bundle", "\n]}\n")
                sink.close("bundle")
                in_bundle = 0
    sink.close_all()
    if args.layout == "by-type":
        for rtype in by_type:  # only the types the feed has, as $export lists them
            path = out / f"{rtype}.ndjson"
            if path.stat().st_size == 0:
                path.unlink()
    return counts, hormones, sink.bytes


def parse_args(argv):
    class Formatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
        pass

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=Formatter)
    parser.add_argument("--patients", type=int, default=1000, help="number of patients")
    parser.add_argument("--seed", type=int, default=1, help="random seed")
    parser.add_argument("--layout", choices=("grouped", "by-type", "bundles"), default="grouped",
                        help="grouped: one NDJSON file, each patient's resources together; by-type: a directory "
                             "with one NDJSON file per resource type (Bulk Data $export); bundles: a directory of "
                             "transaction Bundles")
    parser.add_argument("--other-share", type=float, default=0.98,
                        help="share of all Observations that are NOT hormone results (vital signs, blood counts, "
                             "chemistry); 0 gives a hormone-only feed; must be below 1")
    parser.add_argument("--out", required=True, metavar="PATH",
                        help="output: a file for grouped, a directory for by-type and bundles (this script's files "
                             "of another run there are replaced)")
    parser.add_argument("--patients-per-bundle", type=int, default=100, help="patients per Bundle (bundles)")
    parser.add_argument("--start", type=datetime.date.fromisoformat, default=datetime.date(2025, 1, 1),
                        help="first day of the results window (YYYY-MM-DD); medication regimens may start earlier")
    parser.add_argument("--days", type=int, default=680,
                        help="length of the results window in days (default ends before 2026-12-01, the as-of "
                             "the benchmarks use)")
    parser.add_argument("--config", type=pathlib.Path, default=REPO / "config",
                        help="configuration directory whose terminology/analytes.yaml, medications.yaml and "
                             "example-lab.conceptmap.json are read")
    args = parser.parse_args(argv)
    if args.patients < 1 or args.patients_per_bundle < 1 or args.days < 30:
        parser.error("--patients and --patients-per-bundle must be at least 1, --days at least 30")
    if not 0 <= args.other_share < 1:
        parser.error("--other-share must be in [0, 1)")
    return args


def main(argv=None):
    args = parse_args(argv)
    started = time.monotonic()
    counts, hormones, written = generate(args)
    seconds = time.monotonic() - started
    by_type = ", ".join(f"{rtype} {counts[rtype]}" for rtype in sorted(counts))
    print(f"synth_hospital: patients {args.patients}, resources {sum(counts.values())} ({by_type}), hormone "
          f"Observations {hormones}, bytes {written}, {seconds:.1f} s, {written / 1e6 / max(seconds, 1e-9):.1f} MB/s",
          file=sys.stderr)


if __name__ == "__main__":
    main()
