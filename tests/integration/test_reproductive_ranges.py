"""A target range for a phase of the menstrual cycle through serve against HAPI (issue 4): the patient's last
menstrual period (LOINC 8665-2) is fetched with her hormone results, the draw's cycle day selects the site's range
for cycle days 19-23, and the RiskAssessment cites the statement that selected it; a site range needs no change to
the shipped files (rules_override adds a file of its own)."""
import json
import unittest
import uuid

from harness import Fhir, Gateway, lab_entry, patient_entry, wait_until, created_references

SITE_RULES = """version: 1
target_ranges:
  - gradient: progesterone-estradiol-ratio
    sex: female
    cycle_days: {from: 19, to: 23}
    low: 100
    source: "Integration test policy (not clinical advice)"
"""


class ReproductiveRanges(unittest.TestCase):
    def test_the_cycle_day_selects_the_sites_luteal_range(self):
        fhir = Fhir()
        gateway = Gateway(rules_override={"zz-site.yaml": SITE_RULES})
        try:
            patient_url = f"urn:uuid:{uuid.uuid4()}"
            tag = uuid.uuid4().hex[:12]
            created = fhir.transaction({"resourceType": "Bundle", "type": "transaction", "entry": [
                patient_entry(patient_url, tag, "female", "1990-04-02"),
                lab_entry(patient_url, tag, "lmp", "8665-2", "2026-11-02T09:00:00+01:00",
                          valueDateTime="2026-11-02"),
                # Day 21: progesterone 10 ng/mL (31.8 nmol/L, 314.46 g/mol), estradiol 150 pg/mL (0.551 nmol/L,
                # 272.38 g/mol): molar ratio 57.7, below the site's 100 by 42 % -> moderate.
                lab_entry(patient_url, tag, "p4", "2839-9", "2026-11-22T08:00:00+01:00", 10, "ng/mL"),
                lab_entry(patient_url, tag, "e2", "2243-4", "2026-11-22T08:00:00+01:00", 150, "pg/mL"),
            ]})
            locations = created_references(created)
            patient, lmp = locations[0], locations[1]

            def assessed():
                for risk in fhir.search(f"RiskAssessment?subject={patient}&_count=100"):
                    for prediction in risk["prediction"]:
                        if (prediction["outcome"]["coding"][0]["code"] == "progesterone-estradiol-ratio"
                                and "qualitativeRisk" in prediction):
                            return risk, prediction
                return None

            risk, prediction = wait_until(
                lambda: f"a luteal-range assessment for {patient}; log:\n{gateway.log_tail()}", assessed, timeout=120)
            self.assertEqual(prediction["qualitativeRisk"]["coding"][0]["code"], "moderate")
            self.assertIn("for cycle days 19\u201323", prediction["rationale"])
            self.assertIn("57.7", prediction["rationale"])
            self.assertIn(lmp, {b["reference"].split("/_history")[0] for b in risk["basis"]})
            errors = fhir.validation_errors(risk)
            self.assertEqual(errors, [], json.dumps(errors)[:2000])
        finally:
            gateway.stop()


if __name__ == "__main__":
    unittest.main()
