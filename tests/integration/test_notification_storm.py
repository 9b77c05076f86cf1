"""Notifications as a hostile or unlucky network delivers them (issue 11): duplicated, reordered, delayed, and a storm
past the intake queue's bound. The gateway here has no Subscription on HAPI: the test is the sender, with payloads
read from HAPI, and the catch-up search is what finds whatever the gateway refused. Each test ends in an exact count
of what exists in HAPI."""
import unittest

from harness import HAPI_BASE, Fhir, Gateway, created_references, http, wait_until
from test_faults import panel_bundle, risk_assessments


def notify_current(gateway, fhir, reference):
    kind, oid = reference.split("/")
    return gateway.notify("PUT", f"/{kind}/{oid}", fhir.get(reference))


class NotificationStorm(unittest.TestCase):
    def test_past_the_queue_bound_senders_get_503_and_nothing_is_lost(self):
        fhir = Fhir()
        gateway = Gateway(manage_subscription=False,
                          pipeline={"max_pending": 5, "workers": 1, "reconcile_interval_s": 2})
        try:
            patients, observations = [], []
            for _ in range(30):
                _, bundle = panel_bundle(pairs=2)
                references = created_references(fhir.transaction(bundle))
                patients.append(references[0])
                observations += references[1:]
            statuses = []
            retry_after = set()
            for reference in observations:  # 120 notifications as fast as one client sends them
                answer = notify_current(gateway, fhir, reference)
                statuses.append(answer.status)
                if answer.status == 503:
                    retry_after.add(answer.headers.get("Retry-After"))
            refused = statuses.count(503)
            print(f"\n  {len(statuses)} notifications: {statuses.count(200)} accepted, {refused} answered 503",
                  flush=True)
            self.assertEqual(set(statuses) - {200, 503}, set())
            self.assertGreater(refused, 0, "the storm never reached the bound")
            self.assertEqual(retry_after, {"30"})
            self.assertEqual(gateway.metric("gradient_gateway_notifications_throttled_total"), refused)
            # Nothing lost: what was refused, the catch-up search finds.
            wait_until(lambda: "every patient analysed; log:\n" + gateway.log_tail(),
                       lambda: all(risk_assessments(fhir, p) for p in patients), timeout=180, interval=1)
            wait_until(lambda: "queue drained", lambda: gateway.metric("gradient_gateway_events_pending") == 0)
            self.assertEqual([len(risk_assessments(fhir, p)) for p in patients], [1] * 30)
        finally:
            gateway.stop()

    def test_duplicate_reordered_and_delayed_notifications_write_once(self):
        fhir = Fhir()
        gateway = Gateway(manage_subscription=False, pipeline={"reconcile_interval_s": 3600})
        try:
            _, bundle = panel_bundle(pairs=1)
            patient, cortisol, dheas = created_references(fhir.transaction(bundle))
            first_version = fhir.get(dheas)
            # Duplicates: the same version three times, and the second result before the first.
            for reference in (dheas, dheas, cortisol, dheas):
                self.assertEqual(notify_current(gateway, fhir, reference).status, 200)
            wait_until(lambda: f"RiskAssessment for {patient}", lambda: risk_assessments(fhir, patient))
            wait_until(lambda: "queue drained", lambda: gateway.metric("gradient_gateway_events_pending") == 0)
            self.assertEqual(gateway.metric("gradient_gateway_events_duplicate_total"), 2)
            self.assertEqual(len(risk_assessments(fhir, patient)), 1)

            # A delayed notification: version 1 arrives again after the lab corrected the value (version 2). What
            # is analysed is what HAPI holds now, whatever the late payload says.
            corrected = dict(first_version)
            corrected["valueQuantity"] = dict(first_version["valueQuantity"], value=150.0)
            self.assertIn(http("PUT", f"{HAPI_BASE}/{dheas}", corrected).status, (200, 201))
            self.assertEqual(notify_current(gateway, fhir, dheas).status, 200)  # version 2
            kind, oid = dheas.split("/")
            wait_until(lambda: "version 2 analysed",
                       lambda: [e for e in gateway.events(kind, oid) if e["versionId"] == "2" and e["state"] == "done"])
            written = sorted(r["id"] for r in risk_assessments(fhir, patient))
            self.assertEqual(notify_current(gateway, fhir, dheas).status, 200)  # version 2 again
            late = dict(first_version)  # version 1, late
            self.assertEqual(gateway.notify("PUT", f"/{kind}/{oid}", late).status, 200)
            wait_until(lambda: "queue drained", lambda: gateway.metric("gradient_gateway_events_pending") == 0)
            self.assertEqual(gateway.metric("gradient_gateway_events_duplicate_total"), 4)
            self.assertEqual(sorted(r["id"] for r in risk_assessments(fhir, patient)), written,
                             "the late and repeated notifications wrote nothing new")
        finally:
            gateway.stop()


if __name__ == "__main__":
    unittest.main()
