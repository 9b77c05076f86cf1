"""W3C Trace Context through the gateway (issue 13, item 6; https://www.w3.org/TR/trace-context/): the traceparent
of a notification is kept with its event, the processing it leads to runs as a span of that trace (its FHIR calls
carry it: tests/fhir/rest_client_test.cpp checks the header on the wire, tests/gateway/pipeline_test.cpp that a
processing's calls and alerts get it), and the alert delivery it raises carries the same trace, so a trace links the
notification to its write-back and its alert. The trace id is the correlation id of the log lines about the work.

The test itself is the notifier (the gateway manages no Subscription and searches only at start), so each event is
recorded from the notification the test sent, with the header it chose."""
import json
import re
import unittest

from harness import Fhir, Gateway, http, wait_until
from test_alerts import ALERTS, WebhookReceiver, for_patient, high_homa_ir_patient

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"
W3C = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$")


class TraceContext(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.fhir = Fhir()
        cls.receiver = WebhookReceiver()
        cls.gateway = Gateway(extra_config=ALERTS, manage_subscription=False, reconcile_interval_s=0)
        reply = cls.gateway.admin("POST", "/alerts/subscriptions", {"url": cls.receiver.url, "min_level": "low"})
        assert reply.status == 201, reply.body

    @classmethod
    def tearDownClass(cls):
        cls.gateway.stop()
        cls.receiver.stop()

    def notify(self, observation_reference, traceparent=None):
        """PUT the Observation as HAPI holds it to /notify, as HAPI's REST hook does, with the given traceparent."""
        resource = self.fhir.get(observation_reference)
        headers = {"X-Gradient-Secret": self.gateway.SECRET, "Content-Type": "application/fhir+json"}
        if traceparent:
            headers["traceparent"] = traceparent
        reply = http("PUT", f"{self.gateway.url}/notify/{observation_reference}", json.dumps(resource), headers)
        self.assertEqual(reply.status, 200, reply.body)

    def test_a_notifications_trace_reaches_its_processing_and_its_alert(self):
        patient = high_homa_ir_patient(self.fhir)
        glucose = self.fhir.search(f"Observation?subject={patient}&code=http://loinc.org|1558-6")[0]
        self.notify(f"Observation/{glucose['id']}", TRACEPARENT)

        deliveries = wait_until(lambda: f"an alert delivery about {patient}",
                                lambda: for_patient(self.receiver, patient))
        for delivery in deliveries:
            match = W3C.match(delivery["headers"].get("traceparent", ""))
            self.assertIsNotNone(match, delivery["headers"])
            self.assertEqual(match.group(1), TRACE_ID)
            self.assertNotEqual(match.group(2), "00f067aa0ba902b7")  # a span of the gateway's, not the notifier's

        recorded = [r for r in self.gateway.log_records("event.recorded") if r.get("id") == glucose["id"]]
        self.assertEqual([r["trace_id"] for r in recorded], [TRACE_ID])
        done = [r for r in self.gateway.log_records("analysis.done") if r.get("patient") == patient]
        self.assertTrue(done)
        self.assertEqual({r["trace_id"] for r in done}, {TRACE_ID})

    def test_without_a_traceparent_the_gateway_starts_a_trace_of_its_own(self):
        patient = high_homa_ir_patient(self.fhir)
        insulin = self.fhir.search(f"Observation?subject={patient}&code=http://loinc.org|20448-7")[0]
        self.notify(f"Observation/{insulin['id']}", "00-not-a-valid-header")
        deliveries = wait_until(lambda: f"an alert delivery about {patient}",
                                lambda: for_patient(self.receiver, patient))
        recorded = [r for r in self.gateway.log_records("event.recorded") if r.get("id") == insulin["id"]]
        self.assertEqual(len(recorded), 1)
        started = recorded[0]["trace_id"]
        self.assertRegex(started, r"^[0-9a-f]{32}$")
        self.assertNotEqual(started, TRACE_ID)
        for delivery in deliveries:
            self.assertEqual(W3C.match(delivery["headers"]["traceparent"]).group(1), started)


if __name__ == "__main__":
    unittest.main()
