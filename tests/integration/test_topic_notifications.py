"""subscription.mode: topic (Subscriptions R5 Backport IG on R4, http://hl7.org/fhir/uv/subscriptions-backport/).

The gateway creates the R4 topic (a Basic) and a backport Subscription on it with full-resource content, filtered on
the catalogue's codes; HAPI then POSTs history Bundles whose first entry is the Parameters status. Handshake and
heartbeat Bundles are built here after the IG's examples (HAPI 8.8 sends neither). A gap in the event numbers makes
the gateway catch up with its _lastUpdated search."""
import json
import unittest
import uuid

from harness import Fhir, Gateway, created_references, http, wait_until
from test_walking_skeleton import SITE_RULES, patient_bundle

BACKPORT_PROFILE = "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-subscription"
TOPIC_URL = "http://gradient-gateway.dev/fhir/SubscriptionTopic/observation-changed"


def status_bundle(subscription, kind, events_since, events=()):
    """A notification Bundle (type history) whose only entry is the R4 status (Parameters, backport-subscription-
    status-r4): subscription, topic, status, type, events-since-subscription-start, notification-event parts."""
    parameters = [
        {"name": "subscription", "valueReference": {"reference": subscription}},
        {"name": "topic", "valueCanonical": TOPIC_URL},
        {"name": "status", "valueCode": "active"},
        {"name": "type", "valueCode": kind},
        {"name": "events-since-subscription-start", "valueString": str(events_since)},
    ]
    for number, focus in events:
        parameters.append({"name": "notification-event", "part": [
            {"name": "event-number", "valueString": str(number)},
            {"name": "focus", "valueReference": {"reference": focus}}]})
    status = {"resourceType": "Parameters", "id": str(uuid.uuid4()),
              "meta": {"profile": ["http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/"
                                   "backport-subscription-status-r4"]},
              "parameter": parameters}
    return {"resourceType": "Bundle", "type": "history", "timestamp": "2026-11-25T10:00:00Z",
            "entry": [{"fullUrl": f"urn:uuid:{status['id']}", "resource": status,
                       "request": {"method": "GET", "url": f"{subscription}/$status"},
                       "response": {"status": "200"}}]}


class TopicNotifications(unittest.TestCase):
    def test_topic_subscription_delivers_and_status_only_bundles_record_nothing(self):
        fhir = Fhir()
        # Catch-up only at start and on request: what the gateway learns later comes by notification or by a gap.
        gateway = Gateway(rules_override=SITE_RULES, subscription_mode="topic", reconcile_interval_s=0)
        try:
            endpoint = gateway.url + "/notify"
            subscriptions = [s for s in fhir.search(f"Subscription?url={endpoint}")
                             if BACKPORT_PROFILE in s.get("meta", {}).get("profile", [])]
            self.assertEqual(len(subscriptions), 1, subscriptions)
            subscription = subscriptions[0]
            self.assertEqual(subscription["status"], "active")
            self.assertEqual(subscription["criteria"], TOPIC_URL)
            self.assertEqual(subscription["channel"]["type"], "rest-hook")
            topics = [b for b in fhir.search("Basic?code=http://hl7.org/fhir/fhir-types|SubscriptionTopic")
                      if any(e.get("valueUri") == TOPIC_URL for e in b.get("extension", []))]
            self.assertTrue(topics, "the gateway's topic (Basic) is on the server")

            # 0. HAPI loads a new topic (the Basic above) into its matcher on its own schedule: a result posted
            # before that is never notified (HAPI logs "did not match any subscriptions"; with reconcile_interval_s
            # 0 nothing finds it later). A throwaway result is posted, one at a time (one event in flight, so the
            # event numbers stay in order), until one is notified.
            def probe_notified():
                _, probe = patient_bundle(cortisol_ug_dl=11.0)
                probe["entry"] = probe["entry"][:2]  # the Patient and the cortisol
                _, probe_cortisol = created_references(fhir.transaction(probe))
                probe_kind, probe_id = probe_cortisol.split("/")
                try:
                    wait_until(lambda: f"{probe_cortisol} notified", lambda: gateway.events(probe_kind, probe_id),
                               timeout=10)
                    return True
                except AssertionError:
                    return False
            wait_until(lambda: "a first topic notification from HAPI; log:\n" + gateway.log_tail(), probe_notified,
                       timeout=90, interval=0)

            # 1. A hormone panel posted to HAPI arrives by topic notification and is analysed once.
            _, bundle = patient_bundle(cortisol_ug_dl=11.0)
            patient, cortisol, dheas = created_references(fhir.transaction(bundle))
            for observation in (cortisol, dheas):
                kind, oid = observation.split("/")
                events = wait_until(lambda: f"{observation} processed; log:\n{gateway.log_tail()}",
                                    lambda: [e for e in gateway.events(kind, oid) if e["state"] == "done"])
                self.assertEqual(events[0]["source"], "rest-hook", "delivered by the topic notification")
            risk = wait_until(lambda: f"RiskAssessment for {patient}",
                              lambda: fhir.search(f"RiskAssessment?subject={patient}"))
            self.assertEqual(len(risk), 1)
            self.assertGreaterEqual(gateway.metric("gradient_gateway_events_recorded_total"), 2)

            # 2. Handshake and heartbeat: 200, nothing recorded, no catch-up.
            recorded = gateway.metric("gradient_gateway_events_recorded_total")
            catch_ups = gateway.metric("gradient_gateway_reconcile_runs_total")
            gaps = gateway.metric("gradient_gateway_topic_event_gaps_total")
            other = f"Subscription/handshake-{uuid.uuid4().hex[:8]}"
            for kind in ("handshake", "heartbeat"):
                reply = gateway.notify("POST", "", json.dumps(status_bundle(other, kind, 0)))
                self.assertEqual(reply.status, 200, reply.body)
            self.assertEqual(gateway.metric("gradient_gateway_events_recorded_total"), recorded)
            self.assertEqual(gateway.metric("gradient_gateway_topic_event_gaps_total"), gaps)
            # Without the secret: refused, and nothing changes either.
            refused = gateway.notify("POST", "", json.dumps(status_bundle(other, "heartbeat", 0)), secret=False)
            self.assertEqual(refused.status, 401)

            # Leave no Subscription behind that points at a gateway that is gone (HAPI would retry into it).
            self.assertEqual(http("DELETE", f"{fhir.base}/Subscription/{subscription['id']}").status, 200)
        finally:
            gateway.stop()

    def test_event_number_gap_triggers_a_catch_up_search(self):
        fhir = Fhir()
        # No Subscription on the server for this gateway: nothing is ever notified to it, so a result it analyses
        # can only have come from a catch-up search; with reconcile_interval_s 0 that search runs at start and on
        # request only (here: the gap).
        gateway = Gateway(rules_override=SITE_RULES, manage_subscription=False, subscription_mode="topic",
                          reconcile_interval_s=0)
        try:
            wait_until(lambda: "the start-up catch-up run",
                       lambda: gateway.metric("gradient_gateway_reconcile_runs_total") >= 1)
            runs = gateway.metric("gradient_gateway_reconcile_runs_total")
            subscription = f"Subscription/gap-{uuid.uuid4().hex[:8]}"
            # A heartbeat counting 2 events: no cursor yet, so no gap; the gateway now expects event 3 next.
            self.assertEqual(gateway.notify("POST", "", json.dumps(status_bundle(subscription, "heartbeat", 2))).status,
                             200)
            self.assertEqual(gateway.metric("gradient_gateway_topic_event_gaps_total"), 0)

            _, missed_bundle = patient_bundle(cortisol_ug_dl=12.0)
            patient, cortisol, dheas = created_references(fhir.transaction(missed_bundle))
            kind, oid = cortisol.split("/")
            self.assertEqual(gateway.events(kind, oid), [], "not notified, not yet searched")

            # A heartbeat counting 5 events since the start, when 2 were seen: 3 to 5 were lost.
            reply = gateway.notify("POST", "", json.dumps(status_bundle(subscription, "heartbeat", 5)))
            self.assertEqual(reply.status, 200, reply.body)
            self.assertEqual(gateway.metric("gradient_gateway_topic_event_gaps_total"), 1)
            for observation in (cortisol, dheas):
                kind, oid = observation.split("/")
                events = wait_until(lambda: f"{observation} caught up; log:\n{gateway.log_tail()}",
                                    lambda: [e for e in gateway.events(kind, oid) if e["state"] == "done"])
                self.assertEqual(events[0]["source"], "poll", "found by the catch-up search")
            self.assertGreater(gateway.metric("gradient_gateway_reconcile_runs_total"), runs)
            risk = wait_until(lambda: f"RiskAssessment for {patient}",
                              lambda: fhir.search(f"RiskAssessment?subject={patient}"))
            self.assertEqual(len(risk), 1)
        finally:
            gateway.stop()


if __name__ == "__main__":
    unittest.main()
