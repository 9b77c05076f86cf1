"""The Subscription of every transport is verified on a schedule (issue 11, item 5): deleted on HAPI, it is recreated
within a minute, /readyz is not ready meanwhile, and nothing changed in between is lost.

test_faults.DeletedSubscription proves it for the classic REST hook; here the two other Subscription-based
transports: subscription.mode topic (a Backport IG topic-based Subscription) and websocket (HAPI's bind channel,
where HAPI 8.8 leaves the bound connection open and silent when its Subscription is deleted). The check runs every
subscription.verify_interval_s; the tests set it to 2 s instead of 30 s to scale the wait, not the assertion.
Periodic catch-up searches are off or an hour away, so a result posted while the Subscription is gone can only be
found by the catch-up that follows its recreation (or a late notification), and must be analysed exactly once."""
import time
import unittest

from harness import HAPI_BASE, Fhir, Gateway, created_references, http, wait_until
from test_walking_skeleton import SITE_RULES, patient_bundle

BACKPORT_PROFILE = "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-subscription"
VERIFY_INTERVAL_S = 2


class Recreation:
    """Shared steps: delete the Subscription, post a panel while it is gone, wait for not ready then ready, post one
    more; both analysed exactly once."""

    def post_panel(self, fhir, cortisol_ug_dl):
        _, bundle = patient_bundle(cortisol_ug_dl=cortisol_ug_dl)
        return created_references(fhir.transaction(bundle))  # Patient, cortisol, DHEA-S

    def assert_analysed_exactly_once(self, fhir, gateway, patient, observations):
        wait_until(lambda: f"RiskAssessment for {patient}; log:\n{gateway.log_tail()}",
                   lambda: fhir.search(f"RiskAssessment?subject={patient}"), timeout=60)
        for observation in observations:
            kind, oid = observation.split("/")
            wait_until(lambda: f"{observation} done: {gateway.events(kind, oid)}",
                       lambda: [e for e in gateway.events(kind, oid) if e["state"] == "done"])
            self.assertEqual(len(gateway.events(kind, oid)), 1)
        self.assertEqual(len(fhir.search(f"RiskAssessment?subject={patient}")), 1)

    def delete_and_wait_for_recreation(self, fhir, gateway, old_id):
        deleted = http("DELETE", f"{HAPI_BASE}/Subscription/{old_id}")
        self.assertIn(deleted.status, (200, 204))
        started = time.monotonic()
        # Changed while it is gone: HAPI notifies nobody of it.
        meanwhile = self.post_panel(fhir, 11.5)
        wait_until(lambda: "/readyz not ready with subscription false; log:\n" + gateway.log_tail(),
                   lambda: (gateway.readiness() or {}).get("subscription") is False, timeout=60, interval=0.05)
        wait_until(lambda: "ready again; log:\n" + gateway.log_tail(), gateway.ready, timeout=60)
        recreated = time.monotonic() - started
        self.assertLess(recreated, 60)
        return meanwhile, recreated


class DeletedTopicSubscription(Recreation, unittest.TestCase):
    def test_recreated_within_a_minute_not_ready_meanwhile_and_nothing_lost(self):
        fhir = Fhir()
        gateway = Gateway(rules_override=SITE_RULES, subscription_mode="topic", reconcile_interval_s=0,
                          subscription={"verify_interval_s": VERIFY_INTERVAL_S})
        endpoint = gateway.url + "/notify"

        def ours():
            return [s for s in fhir.search(f"Subscription?url={endpoint}")
                    if BACKPORT_PROFILE in s.get("meta", {}).get("profile", []) and s["status"] == "active"]
        try:
            before = ours()
            self.assertEqual(len(before), 1, before)
            old_id = before[0]["id"]
            (patient, *inputs), recreated = self.delete_and_wait_for_recreation(fhir, gateway, old_id)
            after = ours()
            self.assertEqual(len(after), 1, after)
            self.assertNotEqual(after[0]["id"], old_id)
            print(f"\n  topic Subscription/{old_id} deleted; Subscription/{after[0]['id']} active "
                  f"{recreated:.1f} s later", flush=True)
            self.assertIn("topic", [r.get("mode") for r in gateway.log_records("subscription.lost")])
            self.assert_analysed_exactly_once(fhir, gateway, patient, inputs)

            # And it delivers: a result posted now arrives by topic notification.
            patient, *inputs = self.post_panel(fhir, 12.5)
            self.assert_analysed_exactly_once(fhir, gateway, patient, inputs)
            for observation in inputs:
                kind, oid = observation.split("/")
                self.assertEqual(gateway.events(kind, oid)[0]["source"], "rest-hook", "notified, not searched")
        finally:
            gateway.stop()


class DeletedWebsocketSubscription(Recreation, unittest.TestCase):
    def test_recreated_within_a_minute_not_ready_meanwhile_and_nothing_lost(self):
        fhir = Fhir()
        gateway = Gateway(rules_override=SITE_RULES, subscription_mode="websocket",
                          subscription={"verify_interval_s": VERIFY_INTERVAL_S,
                                        "websocket_reconnect_initial_ms": 200},
                          pipeline={"reconcile_interval_s": 3600})

        def bound_ids():
            return [r["subscription"] for r in gateway.log_records("websocket.bound")]
        try:
            old_id = bound_ids()[-1]
            connections = gateway.metric("gradient_gateway_websocket_connections_total")
            (patient, *inputs), recreated = self.delete_and_wait_for_recreation(fhir, gateway, old_id)
            new_id = bound_ids()[-1]
            self.assertNotEqual(new_id, old_id)
            self.assertEqual(fhir.get(f"Subscription/{new_id}")["status"], "active")
            self.assertGreater(gateway.metric("gradient_gateway_websocket_connections_total"), connections)
            print(f"\n  websocket Subscription/{old_id} deleted; bound to Subscription/{new_id} "
                  f"{recreated:.1f} s later", flush=True)
            self.assertIn("websocket", [r.get("mode") for r in gateway.log_records("subscription.lost")])
            self.assert_analysed_exactly_once(fhir, gateway, patient, inputs)

            # And HAPI pings on the new one: a result posted now is analysed (the periodic search is an hour away).
            pings = gateway.metric("gradient_gateway_websocket_pings_total")
            patient, *inputs = self.post_panel(fhir, 12.5)
            self.assert_analysed_exactly_once(fhir, gateway, patient, inputs)
            self.assertGreater(gateway.metric("gradient_gateway_websocket_pings_total"), pings)
        finally:
            bound = set(bound_ids())
            gateway.stop()
            for subscription_id in bound:  # no websocket Subscription of this test left behind
                http("DELETE", f"{HAPI_BASE}/Subscription/{subscription_id}")


if __name__ == "__main__":
    unittest.main()
