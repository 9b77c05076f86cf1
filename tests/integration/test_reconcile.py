"""A gateway that was down while results changed catches up by itself (HAPI drops a notification after ~60 s of
retries, shared/HAPI-NOTES.md): on start it searches _lastUpdated past its cursor and processes what it missed."""
import unittest

from harness import Fhir, Gateway, created_references, wait_until
from test_walking_skeleton import SITE_RULES, patient_bundle


class Reconcile(unittest.TestCase):
    def test_results_changed_while_down_are_processed_after_restart(self):
        fhir = Fhir()
        # Without a managed Subscription nothing is delivered to this gateway: only its own catch-up finds results.
        first = Gateway(rules_override=SITE_RULES, manage_subscription=False)
        try:
            wait_until(lambda: "first catch-up run", lambda: first.metric("gradient_gateway_reconcile_runs_total") >= 1)
        finally:
            first.stop(keep=True)

        _, bundle = patient_bundle(cortisol_ug_dl=11.0)
        patient, cortisol, dheas = created_references(fhir.transaction(bundle))

        second = Gateway(rules_override=SITE_RULES, manage_subscription=False, state_from=first)
        try:
            for observation in (cortisol, dheas):
                kind, oid = observation.split("/")
                events = wait_until(lambda: f"{observation} processed; log:\n{second.log_tail()}",
                                    lambda: [e for e in second.events(kind, oid) if e["state"] == "done"])
                self.assertEqual(events[0]["source"], "poll")
            wait_until(lambda: f"RiskAssessment for {patient}",
                       lambda: fhir.search(f"RiskAssessment?subject={patient}"))
        finally:
            second.stop()


if __name__ == "__main__":
    unittest.main()
