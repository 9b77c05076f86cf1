"""Normalisation across the wire (issue 3): a site's own lab codes reach the analysis through its ConceptMap and
the Subscription; a hormone result the gateway cannot use is reported as an OperationOutcome (GET
/admin/rejections) and counted, and the rest of the patient's results are still analysed."""
import re
import unittest
import uuid

from harness import GRADIENT_SYSTEM, Fhir, Gateway, http, wait_until, created_references, patient_name

SITE_CODES = "http://lab.example.org/fhir/CodeSystem/test-codes"  # config/terminology/example-lab.conceptmap.json
UG_PER_DL = {"system": "http://unitsofmeasure.org", "code": "ug/dL", "unit": "ug/dL"}


def observation(coding, quantity, when, tag):
    return {
        "resourceType": "Observation",
        "identifier": [{"system": "urn:test:lab", "value": f"{tag}-{coding['code']}"}],
        "status": "final",
        "code": {"coding": [coding]},
        "subject": {"reference": "urn:uuid:patient"},
        "effectiveDateTime": when,
        "valueQuantity": quantity,
    }


def transaction(*observations):
    tag = uuid.uuid4().hex[:12]
    patient = f"urn:uuid:{uuid.uuid4()}"
    entries = [{"fullUrl": patient,
                "resource": {"resourceType": "Patient", "identifier": [{"system": "urn:test:mrn", "value": tag}],
                             "name": patient_name(tag), "gender": "male", "birthDate": "1975-06-01"},
                "request": {"method": "POST", "url": "Patient"}}]
    for coding, quantity, when in observations:
        resource = observation(coding, quantity, when, tag)
        resource["subject"]["reference"] = patient
        entries.append({"resource": resource, "request": {"method": "POST", "url": "Observation"}})
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


class Terminology(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.fhir = Fhir()
        cls.gateway = Gateway()

    @classmethod
    def tearDownClass(cls):
        cls.gateway.stop()

    def test_site_codes_mapped_by_the_conceptmap_are_analysed(self):
        patient, cortisol, dheas = created_references(self.fhir.transaction(transaction(
            ({"system": SITE_CODES, "code": "CORT"}, dict(UG_PER_DL, value=15.0), "2026-11-20T08:00:00+01:00"),
            ({"system": SITE_CODES, "code": "DHEAS"}, dict(UG_PER_DL, value=200.0), "2026-11-20T08:20:00+01:00"))))
        ratio = wait_until(
            lambda: f"cortisol:DHEA-S ratio for {patient}; log:\n{self.gateway.log_tail()}",
            lambda: self.fhir.search(f"Observation?subject={patient}&code={GRADIENT_SYSTEM}|cortisol-dheas-ratio"))
        self.assertEqual(len(ratio), 1)
        self.assertEqual(sorted(r["reference"].split("/_history")[0] for r in ratio[0]["derivedFrom"]),
                         sorted([cortisol, dheas]))
        # Same numbers as the LOINC-coded walking skeleton: 15 ug/dL cortisol (362.46 g/mol) over 200 ug/dL DHEA-S
        # (368.49 g/mol).
        self.assertAlmostEqual(ratio[0]["valueQuantity"]["value"], (15 / 362.46) / (200 / 368.49), delta=1e-3)

    def test_unusable_hormone_result_becomes_an_operation_outcome_and_the_rest_is_analysed(self):
        # Cortisol in international units cannot be a cortisol: rejected, with the element and the reason.
        before = self.gateway.metric('gradient_gateway_results_rejected_total{reason="incompatible-unit"}')
        patient, cortisol, dheas = created_references(self.fhir.transaction(transaction(
            ({"system": "http://loinc.org", "code": "2143-6"},
             {"system": "http://unitsofmeasure.org", "code": "[IU]/L", "unit": "IU/L", "value": 987.25},
             "2026-11-20T08:00:00+01:00"),
            ({"system": "http://loinc.org", "code": "2191-5"}, dict(UG_PER_DL, value=200.0),
             "2026-11-20T08:20:00+01:00"))))

        def listed():
            reply = self.gateway.admin("GET", f"/admin/rejections?observation={cortisol}")
            self.assertEqual(reply.status, 200)
            return reply.json().get("entry")

        entries = wait_until(lambda: f"rejection of {cortisol}; log:\n{self.gateway.log_tail()}", listed)
        self.assertEqual(len(entries), 1)
        issue = entries[0]["resource"]["issue"][0]
        self.assertEqual(issue["severity"], "error")
        self.assertEqual(issue["details"]["coding"][0]["code"], "incompatible-unit")
        self.assertEqual(issue["expression"], ["Observation.valueQuantity.code"])
        self.assertIn(cortisol, issue["diagnostics"])
        self.assertNotIn("987", issue["diagnostics"])  # no result values in what operators read
        self.assertEqual(
            self.gateway.metric('gradient_gateway_results_rejected_total{reason="incompatible-unit"}'), before + 1)
        # The value as a number of its own: log lines now carry hex ids (correlation) that may contain the digits.
        self.assertIsNone(re.search(r"\b987\b", self.gateway.log_tail()))
        # The DHEA-S was processed all the same; with no usable cortisol there is no ratio to write.
        kind, dheas_id = dheas.split("/")
        wait_until(lambda: f"{dheas} processed", lambda: [e for e in self.gateway.events(kind, dheas_id)
                                                          if e["state"] == "done"])
        self.assertEqual(self.fhir.search(f"Observation?subject={patient}&code={GRADIENT_SYSTEM}|"
                                          "cortisol-dheas-ratio"), [])

    def test_rejections_endpoint_refuses_a_bad_limit_with_an_operation_outcome(self):
        reply = self.gateway.admin("GET", "/admin/rejections?limit=0")
        self.assertEqual(reply.status, 400)
        self.assertEqual(reply.json()["resourceType"], "OperationOutcome")


if __name__ == "__main__":
    unittest.main()
