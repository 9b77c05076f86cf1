"""The clinical review's fixes through serve against HAPI (issue 8, shared/reviews/clinical-review.md):
- a serum cortisol day series of 6 samples over 24 h, with no glucocorticoid recorded, gives the serum 24 h cosinor
  (its own codes: a serum series never mixes with a saliva one);
- a man on testosterone gel whose sample was drawn 4 h after application, inside the guideline's 2-8 h monitoring
  window (Bhasin S et al., J Clin Endocrinol Metab 2018;103:1715-1744), gets his calculated free testosterone
  assessed against the shipped range (Ho 2006, men 20-45) and no repeat-at-trough proposal;
- a midnight serum cortisol never forms a cortisol:DHEA-S ratio with a morning DHEA-S (the studies behind the ratio
  used morning samples: review finding M3), while the same patient's morning testosterone:estradiol pair is written;
and every resource written passes HAPI's $validate."""
import datetime
import json
import unittest
import uuid

from harness import Fhir, Gateway, lab_entry, patient_entry, wait_until, created_references

# Dates relative to today, as a current patient's are (the dose timings count back from the draw).
DAY = (datetime.date.today() - datetime.timedelta(days=2)).isoformat()
NEXT_DAY = (datetime.date.today() - datetime.timedelta(days=1)).isoformat()
GEL_START = (datetime.date.today() - datetime.timedelta(days=30)).isoformat()


def code_of(observation):
    return observation["code"]["coding"][0]["code"]


class ClinicalReview(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.fhir = Fhir()
        cls.gateway = Gateway()

    @classmethod
    def tearDownClass(cls):
        cls.gateway.stop()

    def assert_valid(self, resources):
        for resource in resources:
            errors = self.fhir.validation_errors(resource)
            self.assertEqual(errors, [], f"{resource['resourceType']}: {json.dumps(errors)[:2000]}")

    def test_serum_cortisol_day_series_gives_the_serum_cosinor(self):
        patient_url = f"urn:uuid:{uuid.uuid4()}"
        tag = uuid.uuid4().hex[:12]
        # Serum cortisol (2143-6, ug/dL) every 4 h from 08:00 to 04:00 the next morning: 6 samples over 20 h of the
        # clock, a diurnal curve peaking in the morning.
        times = [f"{DAY}T08:00:00+01:00", f"{DAY}T12:00:00+01:00", f"{DAY}T16:00:00+01:00",
                 f"{DAY}T20:00:00+01:00", f"{DAY}T23:59:00+01:00", f"{NEXT_DAY}T04:00:00+01:00"]
        values = [18.0, 11.0, 7.5, 4.0, 2.0, 6.0]
        entries = [patient_entry(patient_url, tag, "female", "1968-04-02")]
        entries += [lab_entry(patient_url, tag, f"c{i}", "2143-6", when, value, "ug/dL")
                    for i, (when, value) in enumerate(zip(times, values))]
        locations = created_references(self.fhir.transaction(
            {"resourceType": "Bundle", "type": "transaction", "entry": entries}))
        patient, inputs = locations[0], set(locations[1:])
        wanted = {"cortisol-serum-cosinor-mesor", "cortisol-serum-cosinor-amplitude",
                  "cortisol-serum-cosinor-acrophase"}

        def cosinor():
            latest = {}
            for o in self.fhir.derived(patient):
                if code_of(o) in wanted and len(o.get("derivedFrom", [])) == len(inputs):
                    latest[code_of(o)] = o
            return latest if set(latest) == wanted else None

        latest = wait_until(lambda: f"serum cosinor for {patient}; log:\n{self.gateway.log_tail()}", cosinor,
                            timeout=180)
        for observation in latest.values():
            cited = {d["reference"].split("/_history")[0] for d in observation["derivedFrom"]}
            self.assertEqual(cited, inputs)
        # The morning peak: the fitted acrophase lies in the morning, on the samples' own clock.
        acrophase = latest["cortisol-serum-cosinor-acrophase"]["valueQuantity"]["value"]
        self.assertTrue(4 <= acrophase <= 12, acrophase)
        self.assertGreater(latest["cortisol-serum-cosinor-amplitude"]["valueQuantity"]["value"], 0)
        codes = {code_of(o) for o in self.fhir.derived(patient)}
        self.assertFalse(codes & {"cortisol-cosinor-mesor", "cortisol-diurnal-slope", "cortisol-car-aucg"},
                         "a serum series never takes the saliva rhythm codes")
        self.assert_valid(list(latest.values()))

    def test_gel_sample_in_its_monitoring_window_is_assessed_without_a_trough_proposal(self):
        patient_url = f"urn:uuid:{uuid.uuid4()}"
        tag = uuid.uuid4().hex[:12]
        transdermal = {"coding": [{"system": "http://snomed.info/sct", "code": "45890007",
                                   "display": "Transdermal route"}]}
        entries = [
            patient_entry(patient_url, tag, "male", "1990-06-15"),
            {"resource": {"resourceType": "MedicationStatement", "status": "active",
                          "medicationCodeableConcept": {
                              "coding": [{"system": "http://www.whocc.no/atc", "code": "G03BA03",
                                          "display": "testosterone"}],
                              "text": "Testosterone 1.62 % topical gel"},
                          "subject": {"reference": patient_url}, "effectivePeriod": {"start": GEL_START},
                          "dosage": [{"text": "one pump each morning at 07:00", "route": transdermal,
                                      "timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d",
                                                            "timeOfDay": ["07:00:00"]}}}]},
             "request": {"method": "POST", "url": "MedicationStatement"}},
            # 4 h after the 07:00 application: total testosterone 230 ng/dL (2986-8), SHBG 40 nmol/L (13967-5),
            # albumin 4.3 g/dL (1751-7). Vermeulen free testosterone about 130 pmol/L, below the 245 pmol/L of
            # the shipped range for men aged 20-45 (Ho CK et al., Ann Clin Biochem 2006;43:389-397).
            lab_entry(patient_url, tag, "t", "2986-8", f"{DAY}T11:00:00+01:00", 230, "ng/dL"),
            lab_entry(patient_url, tag, "shbg", "13967-5", f"{DAY}T11:00:00+01:00", 40, "nmol/L"),
            lab_entry(patient_url, tag, "alb", "1751-7", f"{DAY}T11:00:00+01:00", 4.3, "g/dL"),
        ]
        locations = created_references(self.fhir.transaction(
            {"resourceType": "Bundle", "type": "transaction", "entry": entries}))
        patient, statement, inputs = locations[0], locations[1], set(locations[2:])

        def assessed():
            for risk in self.fhir.search(f"RiskAssessment?subject={patient}&_count=100"):
                basis = {b["reference"].split("/_history")[0] for b in risk.get("basis", [])}
                for prediction in risk.get("prediction", []):
                    if (prediction["outcome"]["coding"][0]["code"] == "free-testosterone-calculated"
                            and inputs <= basis):
                        return risk, prediction
            return None

        risk, prediction = wait_until(
            lambda: f"assessed free testosterone for {patient}; log:\n{self.gateway.log_tail()}", assessed,
            timeout=180)
        self.assertIn("qualitativeRisk", prediction, prediction)
        self.assertNotEqual(prediction["qualitativeRisk"]["coding"][0]["code"], "low")
        self.assertNotIn("Not assessed", prediction.get("rationale", ""))
        self.assertIn(statement, {b["reference"].split("/_history")[0] for b in risk["basis"]})

        plans = [p for p in self.fhir.search(f"CarePlan?subject={patient}&_count=100")
                 if any(i["reference"] == f"RiskAssessment/{risk['id']}" for i in p.get("supportingInfo", []))]
        self.assertEqual(len(plans), 1)
        texts = " ".join(a["detail"]["code"]["text"] + " " + a["detail"].get("description", "")
                         for a in plans[0]["activity"])
        self.assertNotIn("trough", texts.lower())
        self.assertNotIn("before the next", texts.lower())
        derived = [o for o in self.fhir.derived(patient) if code_of(o) == "free-testosterone-calculated"]
        self.assert_valid([risk, plans[0], derived[-1]])

    def test_midnight_cortisol_never_forms_a_cortisol_dheas_ratio(self):
        patient_url = f"urn:uuid:{uuid.uuid4()}"
        tag = uuid.uuid4().hex[:12]
        entries = [
            patient_entry(patient_url, tag, "male", "1970-01-20"),
            # A midnight serum cortisol (2143-6) and a morning DHEA-S (2191-5), 8 h apart.
            lab_entry(patient_url, tag, "cortisol", "2143-6", f"{DAY}T00:00:00+01:00", 3.0, "ug/dL"),
            lab_entry(patient_url, tag, "dheas", "2191-5", f"{DAY}T08:00:00+01:00", 250, "ug/dL"),
            # A morning testosterone and estradiol: their ratio shows the analysis ran.
            lab_entry(patient_url, tag, "t", "2986-8", f"{DAY}T08:00:00+01:00", 500, "ng/dL"),
            lab_entry(patient_url, tag, "e2", "2243-4", f"{DAY}T08:00:00+01:00", 25, "pg/mL"),
        ]
        locations = created_references(self.fhir.transaction(
            {"resourceType": "Bundle", "type": "transaction", "entry": entries}))
        patient = locations[0]
        ids = [location.split("/")[1] for location in locations[1:]]

        def all_done():
            done = all(any(e["state"] == "done" for e in self.gateway.events("Observation", i)) for i in ids)
            ratio = [o for o in self.fhir.derived(patient) if code_of(o) == "testosterone-estradiol-ratio"]
            return done and ratio

        wait_until(lambda: f"every result of {patient} analysed; log:\n{self.gateway.log_tail()}", all_done,
                   timeout=180)
        codes = {code_of(o) for o in self.fhir.derived(patient)}
        self.assertNotIn("cortisol-dheas-ratio", codes)
        for risk in self.fhir.search(f"RiskAssessment?subject={patient}&_count=100"):
            self.assertNotIn("cortisol-dheas-ratio",
                             {p["outcome"]["coding"][0]["code"] for p in risk.get("prediction", [])})
            self.assert_valid([risk])


if __name__ == "__main__":
    unittest.main()
