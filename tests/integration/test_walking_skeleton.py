"""End to end against a real HAPI FHIR server: a hormone Observation in HAPI becomes derived Observation,
RiskAssessment, CarePlan and Provenance back in HAPI (issue 2)."""
import json
import socket
import subprocess
import tempfile
import unittest
import urllib.parse
import uuid

from harness import BINARY, GRADIENT_SYSTEM, Fhir, Gateway, http, wait_until, created_references, patient_name

# A site target for the ratio, set in the site's rules (the shipped rules carry none without a citable source).
SITE_RULES = {
    "site-ranges.yaml": """# Integration-test site configuration: a target range the site sets for itself.
version: 1
target_ranges:
  - gradient: cortisol-dheas-ratio
    sex: any
    age: {min_years: 18}
    low: 0.02
    high: 0.05
    source: "Integration test site policy (not a clinical reference)"
"""
}

UG_PER_DL = {"system": "http://unitsofmeasure.org", "code": "ug/dL", "unit": "ug/dL"}


def patient_bundle(cortisol_ug_dl=15.0, dheas_ug_dl=200.0):
    """A Patient with a cortisol and a DHEA-S drawn 30 minutes apart, as one transaction."""
    tag = uuid.uuid4().hex[:12]
    pid = f"urn:uuid:{uuid.uuid4()}"

    def observation(code, display, value, when):
        return {
            "resourceType": "Observation",
            "identifier": [{"system": "urn:test:lab", "value": f"{tag}-{code}"}],
            "status": "final",
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                      "code": "laboratory"}]}],
            "code": {"coding": [{"system": "http://loinc.org", "code": code, "display": display}]},
            "subject": {"reference": pid},
            "effectiveDateTime": when,
            "valueQuantity": dict(UG_PER_DL, value=value),
        }

    return tag, {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"fullUrl": pid,
             "resource": {"resourceType": "Patient", "identifier": [{"system": "urn:test:mrn", "value": tag}],
                          "name": patient_name(tag), "gender": "female", "birthDate": "1980-04-02"},
             "request": {"method": "POST", "url": "Patient"}},
            {"resource": observation("2143-6", "Cortisol [Mass/volume] in Serum or Plasma", cortisol_ug_dl,
                                     "2026-11-20T08:00:00+01:00"),
             "request": {"method": "POST", "url": "Observation"}},
            {"resource": observation("2191-5", "Dehydroepiandrosterone sulfate [Mass/volume] in Serum or Plasma",
                                     dheas_ug_dl, "2026-11-20T08:30:00+01:00"),
             "request": {"method": "POST", "url": "Observation"}},
        ],
    }


class WalkingSkeleton(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.fhir = Fhir()
        cls.gateway = Gateway(rules_override=SITE_RULES)

    @classmethod
    def tearDownClass(cls):
        cls.gateway.stop()

    def load_patient(self, **values):
        _, bundle = patient_bundle(**values)
        ids = created_references(self.fhir.transaction(bundle))
        return ids[0], ids[1], ids[2]  # Patient/x, Observation/cortisol, Observation/dheas

    def wait_for_risk_assessment(self, patient):
        return wait_until(lambda: f"RiskAssessment for {patient}; gateway log:\n{self.gateway.log_tail()}",
                          lambda: self.fhir.search(f"RiskAssessment?subject={patient}"))

    def written_for(self, patient):
        return {
            "Observation": self.fhir.search(f"Observation?subject={patient}&code={GRADIENT_SYSTEM}|"
                                            "cortisol-dheas-ratio"),
            "RiskAssessment": self.fhir.search(f"RiskAssessment?subject={patient}"),
            "CarePlan": self.fhir.search(f"CarePlan?subject={patient}"),
        }

    def test_paired_cortisol_and_dheas_are_written_back_with_references_and_values(self):
        patient, cortisol, dheas = self.load_patient()
        risk = self.wait_for_risk_assessment(patient)[0]
        written = self.written_for(patient)
        self.assertEqual(len(written["Observation"]), 1)
        self.assertEqual(len(written["CarePlan"]), 1)
        ratio = written["Observation"][0]
        # 15 ug/dL cortisol x 27.59 nmol/L per ug/dL (M 362.46 g/mol) = 413.9 nmol/L;
        # 200 ug/dL DHEA-S x 27.14 nmol/L per ug/dL (M 368.5 g/mol) = 5428 nmol/L; molar ratio 0.0762.
        self.assertAlmostEqual(ratio["valueQuantity"]["value"], (15 * 10 / 362.46) / (200 * 10 / 368.5), delta=1e-3)
        self.assertEqual(ratio["valueQuantity"]["code"], "1")
        self.assertEqual(ratio["status"], "final")
        self.assertEqual(sorted(r["reference"].split("/_history")[0] for r in ratio["derivedFrom"]),
                         sorted([cortisol, dheas]))
        self.assertEqual(sorted(r["reference"].split("/_history")[0] for r in risk["basis"]), sorted([cortisol, dheas]))
        self.assertEqual(risk["status"], "final")
        # 0.076 is above the site's 0.02-0.05: the finding names the numbers.
        self.assertIn("0.076", risk["prediction"][0]["rationale"])
        careplan = written["CarePlan"][0]
        self.assertEqual(careplan["intent"], "proposal")
        self.assertEqual(careplan["status"], "draft")
        self.assertEqual(careplan["supportingInfo"][0]["reference"], f"RiskAssessment/{risk['id']}")
        provenance = self.fhir.search(f"Provenance?target=RiskAssessment/{risk['id']}")
        self.assertEqual(len(provenance), 1)
        targets = {t["reference"].split("/_history")[0] for t in provenance[0]["target"]}
        self.assertIn(f"RiskAssessment/{risk['id']}", targets)
        self.assertIn(f"CarePlan/{careplan['id']}", targets)
        self.assertIn(f"Observation/{ratio['id']}", targets)

    def test_same_notification_twice_leaves_exactly_one_of_each(self):
        patient, cortisol, _ = self.load_patient(cortisol_ug_dl=12.0)
        self.wait_for_risk_assessment(patient)
        kind, cortisol_id = cortisol.split("/")
        # HAPI's own delivery of this version has been recorded and processed.
        wait_until(lambda: f"processed event for {cortisol}: {self.gateway.events(kind, cortisol_id)}",
                   lambda: [e for e in self.gateway.events(kind, cortisol_id) if e["state"] == "done"])
        observation = self.fhir.get(cortisol)
        duplicates = self.gateway.metric("gradient_gateway_events_duplicate_total")
        for _ in range(2):
            reply = self.gateway.notify("PUT", f"/{cortisol}", observation)
            self.assertIn(reply.status, (200, 201, 204), reply.body)
            self.assertEqual(reply.body, "")
        # The same (id, version) collapses at intake: still one event, nothing new processed or written.
        self.assertEqual(self.gateway.metric("gradient_gateway_events_duplicate_total"), duplicates + 2)
        events = self.gateway.events(kind, cortisol_id)
        self.assertEqual([(e["versionId"], e["state"]) for e in events], [(observation["meta"]["versionId"], "done")])
        written = self.written_for(patient)
        self.assertEqual([len(written[k]) for k in ("Observation", "RiskAssessment", "CarePlan")], [1, 1, 1])

    def test_same_analysis_written_twice_creates_nothing_new(self):
        """The write-back transaction is idempotent: conditional creates on deterministic identifiers."""
        patient, cortisol, dheas = self.load_patient(cortisol_ug_dl=18.0)
        self.wait_for_risk_assessment(patient)
        inputs = [self.fhir.get(patient), self.fhir.get(cortisol), self.fhir.get(dheas)]
        with tempfile.NamedTemporaryFile("w", suffix=".ndjson") as f:
            f.write("\n".join(json.dumps(r) for r in inputs) + "\n")
            f.flush()
            out = subprocess.run([BINARY, "analyze", "--config", self.gateway.dir / "gateway.yaml", f.name],
                                 capture_output=True, text=True, check=True)
        bundle = json.loads(out.stdout)
        for _ in range(2):
            self.fhir.transaction(bundle)
        written = self.written_for(patient)
        self.assertEqual([len(written[k]) for k in ("Observation", "RiskAssessment", "CarePlan")], [1, 1, 1])

    def test_backfill_twice_writes_each_resource_once(self):
        patient, cortisol, dheas = self.load_patient(cortisol_ug_dl=22.0)
        self.wait_for_risk_assessment(patient)
        inputs = [self.fhir.get(patient), self.fhir.get(cortisol), self.fhir.get(dheas)]
        with tempfile.NamedTemporaryFile("w", suffix=".ndjson") as f:
            f.write("\n".join(json.dumps(r) for r in inputs) + "\n")
            f.flush()
            for _ in range(2):
                run = subprocess.run([BINARY, "backfill", "--config", self.gateway.dir / "gateway.yaml", f.name],
                                     capture_output=True, text=True)
                self.assertEqual(run.returncode, 0, run.stderr)
                self.assertIn("1 of 1 patient transactions written", run.stderr)
        written = self.written_for(patient)
        self.assertEqual([len(written[k]) for k in ("Observation", "RiskAssessment", "CarePlan")], [1, 1, 1])

    def test_malformed_notification_gets_400_and_the_next_good_one_works(self):
        reply = self.gateway.notify("PUT", "/Observation/bad", b'{"resourceType": "Observation", "status": ')
        self.assertEqual(reply.status, 400)
        outcome = reply.json()
        self.assertEqual(outcome["resourceType"], "OperationOutcome")
        self.assertIn(outcome["issue"][0]["severity"], ("error", "fatal"))
        reply = self.gateway.notify("PUT", "/Observation/bad2",
                                    {"resourceType": "Observation", "id": "bad2", "status": "final",
                                     "code": {"coding": [{"system": "http://loinc.org", "code": "2143-6"}]},
                                     "valueQuantity": {"value": "not a number"}})
        self.assertEqual(reply.status, 400)
        self.assertIn("Observation.valueQuantity.value", json.dumps(reply.json()))
        patient, _, _ = self.load_patient(cortisol_ug_dl=9.0)
        self.wait_for_risk_assessment(patient)

    def test_notification_without_the_secret_gets_401(self):
        reply = self.gateway.notify("PUT", "/Observation/1", {"resourceType": "Observation"}, secret=False)
        self.assertEqual(reply.status, 401)
        self.assertEqual(reply.json()["resourceType"], "OperationOutcome")
        reply = http("PUT", self.gateway.url + "/notify/Observation/1", {"resourceType": "Observation"},
                     {"X-Gradient-Secret": "wrong"})
        self.assertEqual(reply.status, 401)

    def test_a_missing_credential_is_refused_on_the_header_before_any_body(self):
        # Issue 13: the header announces 8 MB that never come; the 401 arrives anyway, without the body being read.
        host, port = urllib.parse.urlsplit(self.gateway.url).hostname, urllib.parse.urlsplit(self.gateway.url).port
        for head in ("PUT /notify/Observation/o1 HTTP/1.1", "POST /alerts/subscriptions HTTP/1.1"):
            with self.subTest(head), socket.create_connection((host, port), timeout=10) as connection:
                connection.sendall(f"{head}\r\nHost: x\r\nContent-Type: application/json\r\n"
                                   f"Content-Length: 8388608\r\n\r\n".encode())
                status_line = connection.makefile("rb").readline().decode()
                self.assertTrue(status_line.startswith("HTTP/1.1 401 "), status_line)

    def test_every_written_resource_passes_hapi_validate(self):
        patient, _, _ = self.load_patient(cortisol_ug_dl=20.0)
        risk = self.wait_for_risk_assessment(patient)[0]
        written = self.written_for(patient)
        resources = written["Observation"] + written["RiskAssessment"] + written["CarePlan"]
        resources += self.fhir.search(f"Provenance?target=RiskAssessment/{risk['id']}")
        self.assertEqual(len(resources), 4)
        for resource in resources:
            outcome = self.fhir.validate(resource)
            errors = [i for i in outcome.get("issue", []) if i["severity"] in ("error", "fatal")]
            self.assertEqual(errors, [], f"{resource['resourceType']}: {json.dumps(errors)[:2000]}")


if __name__ == "__main__":
    unittest.main()
