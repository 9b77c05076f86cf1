"""The no-loss guarantee under faults of the gateway (issue 11): crashes, a deleted Subscription and a forged
notification. Each test ends in an exact count of what exists in HAPI. The FHIR server's own faults (an outage, HAPI
giving up deliveries) are in test_server_faults, on a HAPI of their own."""
import os
import random
import time
import unittest
import uuid

from harness import HAPI_BASE, Fhir, Gateway, created_references, http, wait_until
from test_walking_skeleton import UG_PER_DL


def result_entry(subject, identifier, loinc, ug_per_dl, when):
    """A transaction entry creating a final laboratory result (LOINC code, value in ug/dL) of `subject`."""
    return {"resource": {
                "resourceType": "Observation", "status": "final",
                "identifier": [{"system": "urn:test:lab", "value": identifier}],
                "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                          "code": "laboratory"}]}],
                "code": {"coding": [{"system": "http://loinc.org", "code": loinc}]},
                "subject": {"reference": subject},
                "effectiveDateTime": when,
                "valueQuantity": dict(UG_PER_DL, value=ug_per_dl)},
            "request": {"method": "POST", "url": "Observation"}}


def panel_bundle(pairs=5, family=None):
    """One patient with `pairs` cortisol/DHEA-S pairs on consecutive days (2 x pairs Observations), as one
    transaction: HAPI commits them together, so every analysis of the patient sees the same results and a retry
    or a redelivery writes nothing new."""
    tag = family or "Fault" + uuid.uuid4().hex[:10]
    pid = f"urn:uuid:{uuid.uuid4()}"
    entries = [{"fullUrl": pid,
                "resource": {"resourceType": "Patient", "identifier": [{"system": "urn:test:mrn", "value": tag}],
                             "name": [{"family": tag}], "gender": "female", "birthDate": "1979-06-01"},
                "request": {"method": "POST", "url": "Patient"}}]
    for day in range(pairs):
        for code, value, minute in (("2143-6", 12.0 + day * 0.7, "00"), ("2191-5", 180.0 + day * 9.0, "30")):
            entries.append(result_entry(pid, f"{tag}-{code}-{day}", code, value,
                                        f"2026-11-{10 + day:02d}T08:{minute}:00+01:00"))
    return tag, {"resourceType": "Bundle", "type": "transaction", "entry": entries}


def risk_assessments(fhir, patient):
    return fhir.search(f"RiskAssessment?subject={patient}&_count=200")


def settled(gateway):
    """Nothing pending in the gateway's queue."""
    return gateway.metric("gradient_gateway_events_pending") == 0


class GatewayCrashes(unittest.TestCase):
    """500 Observations across 50 patients while the gateway is SIGKILLed at 5 random moments and restarted."""

    def test_every_risk_assessment_exists_exactly_once_after_five_kills(self):
        fhir = Fhir()
        gateway = Gateway()
        port = gateway.port
        patients = []
        try:
            rng = random.Random(int.from_bytes(os.urandom(4), "big"))
            kill_after = sorted(rng.sample(range(3, 48), 5))  # after posting patient number k
            print(f"\n  kills after patients {kill_after}", flush=True)
            started = time.monotonic()
            for index in range(50):
                _, bundle = panel_bundle()
                references = created_references(fhir.transaction(bundle))
                patients.append(references[0])
                if index in kill_after:
                    gateway.kill()
                    gateway = Gateway(state_from=gateway, port=port)
            wait_until(lambda: "a RiskAssessment for each of the 50 patients; log:\n" + gateway.log_tail(),
                       lambda: all(risk_assessments(fhir, p) for p in patients), timeout=300, interval=2)
            wait_until(lambda: "the queue drained", lambda: settled(gateway), timeout=120)
            drained = time.monotonic() - started
            counts = [len(risk_assessments(fhir, p)) for p in patients]
            derived = [len(fhir.derived(p)) for p in patients]
            print(f"  50 patients, 500 Observations, 5 SIGKILLs: drained in {drained:.1f} s; "
                  f"RiskAssessments per patient {sorted(set(counts))}, derived {sorted(set(derived))}", flush=True)
            self.assertEqual(counts, [1] * 50)
            self.assertEqual(len(set(derived)), 1, "every patient's analysis wrote the same number of results")
            self.assertEqual(gateway.metric("gradient_gateway_events_dead_total"), 0)
            self.assertEqual(gateway.metric("gradient_gateway_events_failed_total"), 0)
        finally:
            gateway.stop()


class DeletedSubscription(unittest.TestCase):
    def test_recreated_within_a_minute_and_not_ready_meanwhile(self):
        fhir = Fhir()
        gateway = Gateway(subscription={"verify_interval_s": 2})
        try:
            endpoint = f"{gateway.url}/notify"
            ours = [s for s in fhir.search(f"Subscription?url={endpoint}") if s["status"] == "active"]
            self.assertEqual(len(ours), 1)
            old_id = ours[0]["id"]
            wait_until(lambda: "the first catch-up search (it sets the cursor)",
                       lambda: gateway.metric("gradient_gateway_reconcile_runs_total") >= 1)
            deleted = http("DELETE", f"{HAPI_BASE}/Subscription/{old_id}")
            self.assertIn(deleted.status, (200, 204))
            started = time.monotonic()
            # Not ready from the moment the check finds it gone until the new one is active.
            wait_until(lambda: "/readyz not ready with subscription false; log:\n" + gateway.log_tail(),
                       lambda: (gateway.readiness() or {}).get("subscription") is False, timeout=60, interval=0.05)
            # Counted once the loss is found, seconds after the start: the start runs one catch-up or two (its own,
            # and the Subscription's activation's when they do not coincide), and a count taken after the first
            # could be passed by the second and taken for the re-activation's below.
            catch_ups = gateway.metric("gradient_gateway_reconcile_runs_total")
            wait_until(lambda: "ready again; log:\n" + gateway.log_tail(), gateway.ready, timeout=60)
            recreated = time.monotonic() - started
            self.assertLess(recreated, 60)
            active = [s for s in fhir.search(f"Subscription?url={endpoint}") if s["status"] == "active"]
            self.assertEqual(len(active), 1)
            self.assertNotEqual(active[0]["id"], old_id)
            print(f"\n  Subscription/{old_id} deleted; Subscription/{active[0]['id']} active {recreated:.1f} s later",
                  flush=True)
            # And it delivers: a new result is notified by the REST hook, not found by the poll. Active again, the
            # gateway runs one catch-up search for what changed meanwhile; a result posted while that search still
            # runs may be found by it first (HAPI schedules REST-hook deliveries every 5 s), so it must be done.
            wait_until(lambda: "the catch-up search after the re-activation; log:\n" + gateway.log_tail(),
                       lambda: gateway.metric("gradient_gateway_reconcile_runs_total") > catch_ups, timeout=60)
            _, bundle = panel_bundle(pairs=1)
            patient, cortisol, _ = created_references(fhir.transaction(bundle))
            kind, oid = cortisol.split("/")
            events = wait_until(lambda: f"{cortisol} notified", lambda: gateway.events(kind, oid))
            self.assertEqual(events[0]["source"], "rest-hook")
            wait_until(lambda: f"RiskAssessment for {patient}", lambda: risk_assessments(fhir, patient))
            self.assertTrue(gateway.log_records("subscription.lost"))
        finally:
            gateway.stop()


class ForgedNotification(unittest.TestCase):
    def test_an_altered_value_with_the_right_secret_changes_nothing_written(self):
        fhir = Fhir()
        gateway = Gateway()
        try:
            _, bundle = panel_bundle(pairs=1)
            patient, cortisol, dheas = created_references(fhir.transaction(bundle))
            wait_until(lambda: f"RiskAssessment for {patient}", lambda: risk_assessments(fhir, patient))
            wait_until(lambda: "the queue drained", lambda: settled(gateway))
            before_risks = risk_assessments(fhir, patient)
            before_derived = fhir.derived(patient)
            self.assertEqual(len(before_risks), 1)

            # What an attacker holding the shared secret (readable in the Subscription) sends: a higher version
            # of a real Observation with the DHEA-S value divided by 180.
            kind, oid = dheas.split("/")
            forged = fhir.get(dheas)
            forged["meta"]["versionId"] = "99"
            forged["valueQuantity"]["value"] = 1.0
            answer = gateway.notify("PUT", f"/Observation/{oid}", forged)
            self.assertEqual(answer.status, 200)
            wait_until(lambda: "the forged event processed; log:\n" + gateway.log_tail(),
                       lambda: [e for e in gateway.events(kind, oid)
                                if e["versionId"] == "99" and e["state"] == "done"])

            after_risks = risk_assessments(fhir, patient)
            after_derived = fhir.derived(patient)
            self.assertEqual([r["id"] for r in after_risks], [r["id"] for r in before_risks])
            self.assertEqual(sorted(o["valueQuantity"]["value"] for o in after_derived),
                             sorted(o["valueQuantity"]["value"] for o in before_derived))
            self.assertEqual(fhir.get(dheas)["valueQuantity"]["value"], 180.0)
        finally:
            gateway.stop()


if __name__ == "__main__":
    unittest.main()
