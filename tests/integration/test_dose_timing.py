"""Dose timing through serve against HAPI (issue 4): the gateway fetches the patient's hormone medications with the
results' context. A saliva cortisol day series under hydrocortisone replacement (MedicationStatement, oral, 07:30 and
12:00) is evaluated as a dose curve, never as an endogenous rhythm; a testosterone drawn three days after an
intramuscular injection (MedicationAdministration; expected peak 2-5 days, Nankin 1987) is reported with the
hours since the dose and not assessed (the guideline's monitoring sample is drawn midway between injections), as is a free T3 drawn 2.5 h after liothyronine ordered by reference to a
Medication resource (MedicationRequest, fetched with _include); the RiskAssessment cites both medication resources; the CarePlan proposes each
medication's own repeat (mid-interval for the injection, pre-dose for liothyronine); everything written passes
$validate."""
import datetime
import json
import unittest
import uuid

from harness import Fhir, Gateway, lab_entry, patient_entry, wait_until, created_references

# Dates relative to today, as a current patient's are (the dose timings count back from the draw).
_TODAY = datetime.date.today()
DAY = (_TODAY - datetime.timedelta(days=3)).isoformat()
INJECTION_DAY = (_TODAY - datetime.timedelta(days=6)).isoformat()  # 72 h before DAY's 09:00 draw
START = (_TODAY - datetime.timedelta(days=25)).isoformat()


def transaction():
    patient_url = f"urn:uuid:{uuid.uuid4()}"
    medication_url = f"urn:uuid:{uuid.uuid4()}"
    tag = uuid.uuid4().hex[:12]
    oral = {"coding": [{"system": "http://snomed.info/sct", "code": "26643006", "display": "Oral route"}]}
    entries = [
        patient_entry(patient_url, tag, "male", "1975-02-01"),
        {"resource": {"resourceType": "MedicationStatement", "status": "active",
                      "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc",
                                                                "code": "H02AB09", "display": "hydrocortisone"}]},
                      "subject": {"reference": patient_url}, "effectivePeriod": {"start": START},
                      "dosage": [{"text": "10 mg at 07:30, 5 mg at 12:00", "route": oral,
                                  "timing": {"repeat": {"frequency": 2, "period": 1, "periodUnit": "d",
                                                        "timeOfDay": ["07:30:00", "12:00:00"]}}}]},
         "request": {"method": "POST", "url": "MedicationStatement"}},
        {"resource": {"resourceType": "MedicationAdministration", "status": "completed",
                      "medicationCodeableConcept": {"text": "Testosterone cypionate 200 mg/mL injection"},
                      "subject": {"reference": patient_url}, "effectiveDateTime": f"{INJECTION_DAY}T09:00:00+01:00",
                      "dosage": {"route": {"coding": [{"system": "http://snomed.info/sct", "code": "78421000",
                                                       "display": "Intramuscular route"}]},
                                 "dose": {"value": 200, "unit": "mg", "system": "http://unitsofmeasure.org",
                                          "code": "mg"}}},
         "request": {"method": "POST", "url": "MedicationAdministration"}},
        # Liothyronine ordered by reference to a Medication resource (fetched with _include): daily at 07:00.
        {"fullUrl": medication_url,
         "resource": {"resourceType": "Medication",
                      "code": {"coding": [{"system": "http://www.whocc.no/atc", "code": "H03AA02",
                                           "display": "liothyronine sodium"}]}},
         "request": {"method": "POST", "url": "Medication"}},
        {"resource": {"resourceType": "MedicationRequest", "status": "active", "intent": "order",
                      "medicationReference": {"reference": medication_url},
                      "subject": {"reference": patient_url}, "authoredOn": START,
                      "dosageInstruction": [{"route": oral, "timing": {"repeat": {"timeOfDay": ["07:00:00"]}}}]},
         "request": {"method": "POST", "url": "MedicationRequest"}},
        # Free T3 (3051-0) and reverse T3 (3052-8) 2.5 h after it: the liothyronine peak (2-3 h, Jonklaas 2015).
        lab_entry(patient_url, tag, "ft3", "3051-0", f"{DAY}T09:30:00+01:00", 4.0, "pg/mL"),
        lab_entry(patient_url, tag, "rt3", "3052-8", f"{DAY}T09:30:00+01:00", 15, "ng/dL"),
        # Saliva cortisol (51844-9, nmol/L): before the first dose, 1 h after each dose, late morning, late evening.
        lab_entry(patient_url, tag, "s1", "51844-9", f"{DAY}T07:00:00+01:00", 4, "nmol/L"),
        lab_entry(patient_url, tag, "s2", "51844-9", f"{DAY}T08:30:00+01:00", 30, "nmol/L"),
        lab_entry(patient_url, tag, "s3", "51844-9", f"{DAY}T11:30:00+01:00", 12, "nmol/L"),
        lab_entry(patient_url, tag, "s4", "51844-9", f"{DAY}T13:00:00+01:00", 22, "nmol/L"),
        lab_entry(patient_url, tag, "s5", "51844-9", f"{DAY}T22:00:00+01:00", 3, "nmol/L"),
        # Serum testosterone (2986-8) and estradiol (2243-4) 72 h after the injection.
        lab_entry(patient_url, tag, "t", "2986-8", f"{DAY}T09:00:00+01:00", 900, "ng/dL"),
        lab_entry(patient_url, tag, "e2", "2243-4", f"{DAY}T09:00:00+01:00", 40, "pg/mL"),
    ]
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


class DoseTiming(unittest.TestCase):
    def test_medications_time_the_results_and_a_replacement_series_is_a_dose_curve(self):
        fhir = Fhir()
        gateway = Gateway()
        try:
            created = fhir.transaction(transaction())
            locations = created_references(created)
            patient, statement, administration, request = locations[0], locations[1], locations[2], locations[4]
            wanted = {"cortisol-dose-peak", "cortisol-dose-trough", "testosterone-estradiol-ratio",
                      "free-t3-reverse-t3-ratio"}

            def derived():
                found = fhir.derived(patient)
                latest = {}
                for o in found:
                    latest[o["code"]["coding"][0]["code"]] = o
                # The trough needs the whole day's series: wait until it is the 07:00 pre-dose sample.
                trough = latest.get("cortisol-dose-trough")
                ready = wanted <= set(latest) and trough and trough["valueQuantity"]["value"] == 4
                return (found, latest) if ready else None

            found, latest = wait_until(lambda: f"dose-timed gradients for {patient}; log:\n{gateway.log_tail()}",
                                       derived, timeout=180)
            codes = {o["code"]["coding"][0]["code"] for o in found}
            for endogenous in ("cortisol-diurnal-slope", "cortisol-car-aucg", "cortisol-cosinor-amplitude"):
                self.assertNotIn(endogenous, codes, "a rhythm under replacement is not endogenous")

            def hours_since_dose(obs):
                return [c["valueQuantity"]["value"] for c in obs.get("component", [])
                        if c["code"]["coding"][0]["code"] == "hours-since-dose"]

            peak = latest["cortisol-dose-peak"]
            self.assertEqual(peak["valueQuantity"]["value"], 30)  # 08:30, 1 h after the 07:30 dose
            self.assertEqual(hours_since_dose(peak), [1])
            trough = latest["cortisol-dose-trough"]
            self.assertEqual(hours_since_dose(trough), [19])  # 07:00, 19 h after the previous day's 12:00 dose
            ratio = latest["testosterone-estradiol-ratio"]
            # Both inputs: the catalogue lists estradiol among what a testosterone dose raises (aromatisation).
            self.assertEqual(hours_since_dose(ratio), [72, 72])
            self.assertTrue(any("expected peak" in n["text"] for n in ratio.get("note", [])), ratio.get("note"))

            thyroid = latest["free-t3-reverse-t3-ratio"]
            self.assertEqual(hours_since_dose(thyroid), [2.5])  # free T3 only: liothyronine raises it

            risks = fhir.search(f"RiskAssessment?subject={patient}&_count=100")
            cited = [r for r in risks
                     if {statement, administration, request}
                     <= {b["reference"].split("/_history")[0] for b in r["basis"]}
                     and {"testosterone-estradiol-ratio", "free-t3-reverse-t3-ratio"}
                     <= {p["outcome"]["coding"][0]["code"] for p in r["prediction"]}]
            self.assertTrue(cited, "no RiskAssessment cites both medication resources")
            risk = cited[-1]
            self.assertTrue(any("glucocorticoid replacement" in n["text"] for n in risk.get("note", [])))
            for prediction in risk["prediction"]:
                if prediction["outcome"]["coding"][0]["code"] == "testosterone-estradiol-ratio":
                    self.assertNotIn("qualitativeRisk", prediction)

            plans = fhir.search(f"CarePlan?subject={patient}&_count=100")
            plan = [p for p in plans
                    if any(i["reference"] == f"RiskAssessment/{risk['id']}" for i in p.get("supportingInfo", []))]
            self.assertEqual(len(plan), 1, json.dumps(plans)[:2000])
            texts = [a["detail"]["code"]["text"] for a in plan[0]["activity"]]
            # Each medication's own repeat (Bhasin S et al., J Clin Endocrinol Metab 2010;95:2536-2559, table 8:
            # cypionate/enanthate midway between injections; the shipped tolerance is a site setting), never a
            # "trough" for testosterone.
            self.assertIn("Repeat the Testosterone result midway between two injections (118-218 h after the dose)",
                          texts)
            self.assertIn("Repeat the Free T3 result before the next liothyronine dose (pre-dose)", texts)
            self.assertFalse([t for t in texts if "trough" in t], texts)

            for resource in [peak, trough, ratio, thyroid, risk, plan[0]]:
                errors = fhir.validation_errors(resource)
                self.assertEqual(errors, [], f"{resource['resourceType']}: {json.dumps(errors)[:2000]}")
        finally:
            gateway.stop()


if __name__ == "__main__":
    unittest.main()
