"""The polling-only transport against real HAPI (issue 11, item 2), for servers without any subscription: with
`subscription.mode: poll` the gateway creates no Subscription, is ready without one, and finds new results with
its `_lastUpdated` search every pipeline.reconcile_interval_s, paging through the results and keeping its cursor."""
import time
import unittest

from harness import Fhir, Gateway, created_references, http, wait_until
from test_walking_skeleton import SITE_RULES, patient_bundle

POLL_INTERVAL_S = 2
# A poll finds what changed within one interval; the analysis (context searches, one transaction per patient) and
# HAPI on a loaded machine take the rest.
ANALYSED_WITHIN_S = POLL_INTERVAL_S + 60


def subscription_ids(fhir):
    return {s["id"] for s in fhir.search("Subscription?_count=200")}


class PollTransport(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.fhir = Fhir()
        cls.subscriptions_before = subscription_ids(cls.fhir)
        # manage_subscription is left true: poll mode must still create none.
        cls.gateway = Gateway(rules_override=SITE_RULES, subscription={"mode": "poll"},
                              pipeline={"reconcile_interval_s": POLL_INTERVAL_S})
        # The first search only sets the cursor (history is backfill's job): results posted from now on are new.
        wait_until(lambda: "first poll", lambda: cls.gateway.metric("gradient_gateway_reconcile_runs_total") >= 1)

    @classmethod
    def tearDownClass(cls):
        cls.gateway.stop()

    def assert_exactly_one_analysis(self, patient, observations):
        for observation in observations:
            kind, oid = observation.split("/")
            events = wait_until(lambda: f"{observation} done: {self.gateway.events(kind, oid)}; "
                                        f"log:\n{self.gateway.log_tail()}",
                                lambda: [e for e in self.gateway.events(kind, oid) if e["state"] == "done"],
                                timeout=ANALYSED_WITHIN_S)
            self.assertEqual(len(self.gateway.events(kind, oid)), 1, events)
            self.assertEqual(events[0]["source"], "poll")
        self.assertEqual(len(self.fhir.search(f"RiskAssessment?subject={patient}")), 1)

    def test_ready_without_any_subscription_and_none_created(self):
        reply = http("GET", self.gateway.url + "/readyz")
        self.assertEqual(reply.status, 200, reply.body)
        self.assertTrue(reply.json()["subscription"])  # not waiting for one
        self.assertEqual(subscription_ids(self.fhir) - self.subscriptions_before, set())
        self.assertEqual(self.fhir.search(f"Subscription?url={self.gateway.url}/notify"), [])

    def test_a_posted_panel_is_analysed_within_the_poll_interval_exactly_once(self):
        runs = self.gateway.metric("gradient_gateway_reconcile_runs_total")
        patient, cortisol, dheas = created_references(self.fhir.transaction(patient_bundle()[1]))
        started = time.monotonic()
        wait_until(lambda: f"RiskAssessment for {patient}; log:\n{self.gateway.log_tail()}",
                   lambda: self.fhir.search(f"RiskAssessment?subject={patient}"), timeout=ANALYSED_WITHIN_S)
        elapsed = time.monotonic() - started
        self.assert_exactly_one_analysis(patient, (cortisol, dheas))
        self.assertGreater(self.gateway.metric("gradient_gateway_reconcile_runs_total"), runs)
        print(f"\n  poll: RiskAssessment {elapsed:.1f} s after the POST (interval {POLL_INTERVAL_S} s)")

    def test_more_results_than_one_search_page_are_all_found(self):
        # The search asks for 200 per page (gateway/ingress/reconciler.cpp): 105 panels in one transaction are 210
        # Observations with one lastUpdated. Without following the next link, 10 of them would never be found: the
        # cursor would stop at that lastUpdated and every later poll would read the same first page again.
        bundle = {"resourceType": "Bundle", "type": "transaction", "entry": []}
        for _ in range(105):
            bundle["entry"] += patient_bundle(cortisol_ug_dl=14.0)[1]["entry"]
        references = created_references(self.fhir.transaction(bundle))
        patients = [references[i] for i in range(0, len(references), 3)]
        observations = [r for r in references if r.startswith("Observation/")]
        self.assertEqual((len(patients), len(observations)), (105, 210))
        started = time.monotonic()
        unrecorded = set(observations)

        def every_input_recorded():
            unrecorded.difference_update({o for o in list(unrecorded) if self.gateway.events(*o.split("/"))})
            return not unrecorded

        wait_until(lambda: f"intake events for {len(unrecorded)} more of {len(observations)} Observations; "
                           f"log:\n{self.gateway.log_tail()}",
                   every_input_recorded, timeout=ANALYSED_WITHIN_S, interval=1)
        for observation in observations:
            self.assertEqual(len(self.gateway.events(*observation.split("/"))), 1, observation)
        waiting = set(patients)

        def every_patient_written():
            waiting.difference_update({p for p in list(waiting) if self.fhir.search(f"RiskAssessment?subject={p}")})
            return not waiting

        wait_until(lambda: f"a RiskAssessment for {len(waiting)} more of {len(patients)} patients",
                   every_patient_written, timeout=300, interval=2)
        counts = {p: len(self.fhir.search(f"RiskAssessment?subject={p}")) for p in patients}
        self.assertEqual(set(counts.values()), {1}, counts)
        print(f"\n  poll: 105 patients (210 Observations) analysed {time.monotonic() - started:.1f} s after the POST")


if __name__ == "__main__":
    unittest.main()
