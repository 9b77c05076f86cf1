"""A retracted input retracts what was written from it (ARCHITECTURE step 7), through serve against HAPI: a fasting
glucose and insulin give HOMA-IR 5.2 x 20 / 22.5 = 4.62, above the shipped adult cut-off (2.05, Gayoso-Diz 2013), so a
derived Observation, a RiskAssessment and a draft CarePlan are written. When the lab then marks the insulin
entered-in-error, all three are set to entered-in-error with a note naming the input, and still validate."""
import json
import unittest
import uuid

from harness import HAPI_BASE, Fhir, Gateway, http, lab_entry, patient_entry, wait_until, created_references

DRAWN = "2026-11-20T08:00:00+01:00"


class Retraction(unittest.TestCase):
    def test_an_input_entered_in_error_retracts_the_gradient_assessment_and_plan(self):
        fhir = Fhir()
        gateway = Gateway()
        try:
            patient, _, insulin = post_glucose_and_insulin(fhir)

            def outputs(status):
                """The HOMA-IR derived Observations, RiskAssessments and CarePlans, once all exist with `status`."""
                derived = [o for o in fhir.derived(patient) if o["code"]["coding"][0]["code"] == "homa-ir"]
                risks = fhir.search(f"RiskAssessment?subject={patient}&_count=100")
                plans = fhir.search(f"CarePlan?subject={patient}&_count=100")
                found = (derived, risks, plans)
                return found if all(found) and all(r["status"] == status for group in found for r in group) else None

            wait_until(lambda: f"HOMA-IR output for {patient}; log:\n{gateway.log_tail()}",
                       lambda: all_written(fhir, patient), timeout=120)

            current = fhir.get(insulin)
            current["status"] = "entered-in-error"
            reply = http("PUT", f"{HAPI_BASE}/{insulin}", current)
            self.assertIn(reply.status, (200, 201), reply.body[:500])

            derived, risks, plans = wait_until(
                lambda: f"retracted output for {patient}; log:\n{gateway.log_tail()}",
                lambda: outputs("entered-in-error"), timeout=120)
            for resource in derived + risks + plans:
                self.assertTrue(any(insulin in n["text"] or "RiskAssessment/" in n["text"]
                                    for n in resource.get("note", [])), json.dumps(resource.get("note"))[:500])
                errors = fhir.validation_errors(resource)
                self.assertEqual(errors, [], f"{resource['resourceType']}: {json.dumps(errors)[:2000]}")
            self.assertGreaterEqual(gateway.metric("gradient_gateway_retracted_total"), 3)
        finally:
            gateway.stop()


class DeletedInput(unittest.TestCase):
    def test_a_deleted_input_retracts_what_was_written_from_it(self):
        """HAPI's send-delete extension (the gateway's Subscription asks for it) delivers DELETE
        {endpoint}/Observation/{id}; the delete names no patient, so the gateway takes it from the result's earlier
        events, retracts the outputs and analyses the patient again without the deleted result."""
        fhir = Fhir()
        gateway = Gateway()
        try:
            patient, _, insulin = post_glucose_and_insulin(fhir)
            wait_until(lambda: f"HOMA-IR output for {patient}; log:\n{gateway.log_tail()}",
                       lambda: all_written(fhir, patient), timeout=120)

            reply = http("DELETE", f"{HAPI_BASE}/{insulin}")
            self.assertIn(reply.status, (200, 204), reply.body[:500])
            kind, oid = insulin.split("/")
            wait_until(lambda: f"the delete of {insulin} notified and processed; log:\n{gateway.log_tail()}",
                       lambda: [e for e in gateway.events(kind, oid)
                                if e["versionId"] == "deleted" and e["state"] == "done"], timeout=120)

            derived = [o for o in fhir.derived(patient) if o["code"]["coding"][0]["code"] == "homa-ir"]
            risks = fhir.search(f"RiskAssessment?subject={patient}&_count=100")
            plans = fhir.search(f"CarePlan?subject={patient}&_count=100")
            self.assertEqual((len(derived), len(risks), len(plans)), (1, 1, 1))
            for resource in derived + risks + plans:
                self.assertEqual(resource["status"], "entered-in-error", resource["resourceType"])
        finally:
            gateway.stop()


def post_glucose_and_insulin(fhir):
    """A patient with a fasting glucose and insulin (HOMA-IR 4.62, above the shipped cut-off), as one transaction:
    the references of the Patient, the glucose and the insulin."""
    patient_url = f"urn:uuid:{uuid.uuid4()}"
    tag = uuid.uuid4().hex[:12]
    created = fhir.transaction({"resourceType": "Bundle", "type": "transaction", "entry": [
        patient_entry(patient_url, tag, "female", "1980-03-04"),
        lab_entry(patient_url, tag, "glucose", "1558-6", DRAWN, 5.2, "mmol/L"),
        lab_entry(patient_url, tag, "insulin", "20448-7", DRAWN, 20, "u[IU]/mL"),
    ]})
    return created_references(created)


def all_written(fhir, patient):
    """True once the HOMA-IR gradient, its RiskAssessment and its CarePlan exist."""
    derived = [o for o in fhir.derived(patient) if o["code"]["coding"][0]["code"] == "homa-ir"]
    return derived and fhir.search(f"RiskAssessment?subject={patient}") and fhir.search(f"CarePlan?subject={patient}")


if __name__ == "__main__":
    unittest.main()
