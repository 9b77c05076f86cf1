"""Every gradient of the contract through serve against HAPI (issue 4): a patient with a full hormone panel and a
saliva cortisol day series gets one derived Observation per gradient code, each citing its inputs, a RiskAssessment
whose basis is every input, a draft CarePlan from the shipped rules (the panel's HOMA-IR, 5.2 mmol/L x 18 uIU/mL /
22.5 = 4.16, is above the shipped adult cut-off 2.05, Gayoso-Diz 2013), and everything written passes HAPI's
$validate."""
import json
import pathlib
import unittest
import uuid

from harness import Fhir, Gateway, wait_until, created_references

PANEL = pathlib.Path(__file__).resolve().parents[1] / "data/patients/full-panel.json"
CONTRACT_CODES = {
    "cortisol-dheas-ratio", "testosterone-estradiol-ratio", "free-t3-reverse-t3-ratio", "lh-fsh-ratio",
    "progesterone-estradiol-ratio", "cortisol-cortisone-ratio", "free-testosterone-calculated",
    "free-androgen-index", "homa-ir", "cortisol-diurnal-slope", "cortisol-car-aucg", "cortisol-car-auci",
    "cortisol-cosinor-mesor", "cortisol-cosinor-amplitude", "cortisol-cosinor-acrophase",
    # Issue 8 (clinical review M2): the late-night saliva pair is a gradient of its own.
    "cortisol-cortisone-ratio-saliva",
}


def panel_transaction():
    """tests/data/patients/full-panel.json as a transaction that creates a fresh patient and its results."""
    panel = json.loads(PANEL.read_text())
    patient_url = f"urn:uuid:{uuid.uuid4()}"
    tag = uuid.uuid4().hex[:12]
    entries = []
    for entry in panel["entry"]:
        resource = dict(entry["resource"])
        resource.pop("meta", None)
        old_id = resource.pop("id")
        if resource["resourceType"] == "Patient":
            resource["identifier"] = [{"system": "urn:test:mrn", "value": tag}]
            entries.append({"fullUrl": patient_url, "resource": resource,
                            "request": {"method": "POST", "url": "Patient"}})
        else:
            resource["subject"] = {"reference": patient_url}
            resource["identifier"] = [{"system": "urn:test:lab", "value": f"{tag}-{old_id}"}]
            entries.append({"resource": resource, "request": {"method": "POST", "url": "Observation"}})
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


class Gradients(unittest.TestCase):
    def test_full_panel_gives_every_contract_gradient_and_everything_validates(self):
        fhir = Fhir()
        gateway = Gateway()
        try:
            created = fhir.transaction(panel_transaction())
            locations = created_references(created)
            patient, inputs = locations[0], set(locations[1:])

            def derived():
                found = fhir.derived(patient)
                codes = {o["code"]["coding"][0]["code"] for o in found}
                return found if CONTRACT_CODES <= codes else None

            # Results arrive one notification at a time; the analysis that saw all of them writes every code.
            observations = wait_until(lambda: f"all contract gradients for {patient}; log:\n{gateway.log_tail()}",
                                      derived, timeout=180)
            by_code = {}
            for observation in observations:
                by_code.setdefault(observation["code"]["coding"][0]["code"], []).append(observation)
            for code in CONTRACT_CODES:
                latest = by_code[code][-1]
                for source in latest["derivedFrom"]:
                    self.assertIn(source["reference"].split("/_history")[0], inputs, code)
            self.assertIn("effectivePeriod", by_code["cortisol-cosinor-amplitude"][-1])
            self.assertEqual(len(by_code["cortisol-cosinor-amplitude"][-1]["component"]), 2)
            self.assertEqual(by_code["free-testosterone-calculated"][-1]["valueQuantity"]["code"], "pmol/L")
            # CAR from saliva cortisol 12, 18, 15 nmol/L at waking, +30, +60 min (Pruessner 2003, formula 2):
            # AUCg = 30/2 x (12 + 18) + 30/2 x (18 + 15) = 945 nmol.min/L; AUCi = 945 - 12 x 60 = 225.
            self.assertAlmostEqual(by_code["cortisol-car-aucg"][-1]["valueQuantity"]["value"], 945, delta=0.01)
            self.assertAlmostEqual(by_code["cortisol-car-auci"][-1]["valueQuantity"]["value"], 225, delta=0.01)

            risks = fhir.search(f"RiskAssessment?subject={patient}&_count=100")
            self.assertTrue(risks)
            complete = [r for r in risks if {b["reference"].split("/_history")[0] for b in r["basis"]} == inputs]
            self.assertTrue(complete, "no RiskAssessment cites every input")

            # The draft CarePlan of that analysis: a proposal citing the RiskAssessment, its activity from the
            # suggestion catalogue (config/rules/suggestions.yaml, glycaemia-screening) naming the finding.
            plans = fhir.search(f"CarePlan?subject={patient}&_count=100")
            plan = [p for p in plans if any(i["reference"] == f"RiskAssessment/{complete[0]['id']}"
                                            for i in p.get("supportingInfo", []))]
            self.assertEqual(len(plan), 1, json.dumps(plans)[:2000])
            plan = plan[0]
            self.assertEqual((plan["status"], plan["intent"]), ("draft", "proposal"))
            self.assertEqual(len(plan["activity"]), 1)
            detail = plan["activity"][0]["detail"]
            self.assertEqual(detail["kind"], "ServiceRequest")
            self.assertIn("diabetes screening", detail["code"]["text"])
            self.assertIn("4.16", detail["reasonCode"][0]["text"])
            self.assertIn("not an order", detail["description"])

            written = [by_code[code][-1] for code in CONTRACT_CODES] + complete[:1] + [plan]
            written += fhir.search(f"Provenance?target=RiskAssessment/{complete[0]['id']}")
            for resource in written:
                errors = fhir.validation_errors(resource)
                self.assertEqual(errors, [], f"{resource['resourceType']}: {json.dumps(errors)[:2000]}")
        finally:
            gateway.stop()


if __name__ == "__main__":
    unittest.main()
