"""Alert webhooks (issue 10, items 1-4): integration teams subscribe once through the admin API and the gateway
delivers every significant finding per the Standard Webhooks specification. The receivers here check every
signature with the `standardwebhooks` library from PyPI (tests/integration/requirements.txt), not with our code.

The finding: HOMA-IR (glucose mmol/L x insulin uIU/mL / 22.5) of glucose 5.2 and insulin 20 is 4.62, beyond the
shipped adult cut-off 2.05 (Gayoso-Diz 2013) by more than half of it: level high (see test_fhir_native_alerts.py).
The gateway's retry schedule is scaled down by configuration (alerts.retry_schedule), never by weakening what the
tests assert."""
import json
import threading
import unittest
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from harness import Fhir, Gateway, created_references, free_port, lab_entry, patient_entry, wait_until

DRAWN = "2026-11-20T08:00:00+01:00"
ALERTS = {"alerts": {"allow_insecure_loopback": True, "retry_schedule": "0s,2s,2s,2s,2s,2s,2s,2s"}}


class WebhookReceiver:
    """A webhook endpoint on a loopback port: records every delivery (headers lower-cased, raw body) and answers
    200, or with refuse_first 503 to the first attempt of each webhook-id. (The gateway may also deliver alerts of
    results other tests left on the shared HAPI server, which its start-up catch-up finds: every check here is per
    webhook-id or per patient.)"""

    def __init__(self, refuse_first=False, port=0):
        self.deliveries = []
        self.refuse_first = refuse_first
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                with receiver.lock:
                    webhook_id = self.headers.get("webhook-id")
                    seen = any(d["headers"].get("webhook-id") == webhook_id for d in receiver.deliveries)
                    status = 503 if receiver.refuse_first and not seen else 200
                    receiver.deliveries.append({"headers": {k.lower(): v for k, v in self.headers.items()},
                                                "body": body, "status": status})
                self.send_response(status)
                if status == 503:
                    self.send_header("Retry-After", "1")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def accepted(self):
        """The deliveries answered 2xx."""
        with self.lock:
            return [d for d in self.deliveries if 200 <= d["status"] < 300]

    def all(self):
        with self.lock:
            return list(self.deliveries)


def verify(secret, delivery):
    """The alert, after the standardwebhooks library checked its signature against secret (raises otherwise)."""
    headers = {k: v for k, v in delivery["headers"].items() if k.startswith("webhook-")}
    return Webhook(secret).verify(delivery["body"], headers)


def high_homa_ir_patient(fhir):
    """A patient whose fasting glucose and insulin give a high HOMA-IR finding: Patient/id."""
    patient_url = f"urn:uuid:{uuid.uuid4()}"
    tag = uuid.uuid4().hex[:12]
    created = fhir.transaction({"resourceType": "Bundle", "type": "transaction", "entry": [
        patient_entry(patient_url, tag, "female", "1975-06-01"),
        lab_entry(patient_url, tag, "glucose", "1558-6", DRAWN, 5.2, "mmol/L"),
        lab_entry(patient_url, tag, "insulin", "20448-7", DRAWN, 20, "u[IU]/mL"),
    ]})
    return created_references(created)[0]


def for_patient(receiver, patient):
    return [d for d in receiver.accepted() if json.loads(d["body"])["data"]["patient"] == patient]


class AlertWebhooks(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.fhir = Fhir()
        cls.gateway = Gateway(extra_config=ALERTS)

    @classmethod
    def tearDownClass(cls):
        cls.gateway.stop()

    def subscribe(self, url, min_level="moderate", **extra):
        reply = self.gateway.admin("POST", "/alerts/subscriptions", {"url": url, "min_level": min_level, **extra})
        self.assertEqual(reply.status, 201, reply.body)
        created = reply.json()
        self.assertTrue(created["secret"].startswith("whsec_"))
        self.addCleanup(self.gateway.admin, "DELETE", f"/alerts/subscriptions/{created['id']}")
        return created

    def attempts(self, subscription):
        reply = self.gateway.admin("GET", f"/alerts/subscriptions/{subscription['id']}/deliveries")
        self.assertEqual(reply.status, 200, reply.body)
        return reply.json()["deliveries"]

    def test_a_refused_first_attempt_is_retried_and_the_alert_arrives_once_while_a_dead_receiver_waits(self):
        flaky = WebhookReceiver(refuse_first=True)
        self.addCleanup(flaky.stop)
        first = self.subscribe(flaky.url, "high")
        dead = self.subscribe(f"http://127.0.0.1:{free_port()}/hook", "low")  # nothing listens there
        patient = high_homa_ir_patient(self.fhir)

        wait_until("the finding accepted by the flaky receiver", lambda: for_patient(flaky, patient))
        delivered = for_patient(flaky, patient)
        self.assertEqual(len(delivered), 1)
        alert = verify(first["secret"], delivered[0])
        webhook_id = delivered[0]["headers"]["webhook-id"]
        self.assertEqual(alert["type"], "gradient.finding")
        data = alert["data"]
        self.assertEqual((data["patient"], data["code"], data["level"]), (patient, "homa-ir", "high"))
        self.assertAlmostEqual(data["value"], 5.2 * 20 / 22.5, places=2)
        self.assertTrue(data["rationale"])
        self.assertTrue(data["correlation_id"])
        self.assertTrue(data["rule_set"])
        # The references are the server's own: each resolves in HAPI and is about the patient.
        for key in ("observation", "risk_assessment"):
            resource = self.fhir.get(data[key])
            self.assertEqual(resource["subject"]["reference"], patient)
        if data["care_plan"] is not None:
            self.assertEqual(self.fhir.get(data["care_plan"])["intent"], "proposal")

        # Both attempts carried the same webhook-id and valid signatures: the refused one, then the accepted one.
        attempts_seen = [d for d in flaky.all() if d["headers"]["webhook-id"] == webhook_id]
        self.assertEqual([d["status"] for d in attempts_seen], [503, 200])
        for attempt in attempts_seen:
            verify(first["secret"], attempt)
        logged = [a for a in self.attempts(first) if a["webhook_id"] == webhook_id]
        self.assertEqual([a["http_status"] for a in reversed(logged)], [503, 200])
        self.assertIsNotNone(logged[-1]["error"])
        self.assertIsNone(logged[0]["error"])

        # The dead receiver's queue held no one up: it has only failed attempts so far.
        failed = self.attempts(dead)
        self.assertTrue(all(a["http_status"] is None and a["error"] for a in failed), failed)

        # Nothing more arrives for that finding: a receiver that accepted it once gets it once.
        other = high_homa_ir_patient(self.fhir)
        wait_until("a later finding", lambda: for_patient(flaky, other))
        self.assertEqual(len(for_patient(flaky, patient)), 1)

    def test_a_secret_rotation_signs_with_both_secrets_during_the_overlap(self):
        receiver = WebhookReceiver()
        self.addCleanup(receiver.stop)
        subscription = self.subscribe(receiver.url, "moderate")
        rotated = self.gateway.admin("POST", f"/alerts/subscriptions/{subscription['id']}/rotate-secret")
        self.assertEqual(rotated.status, 200, rotated.body)
        new_secret = rotated.json()["secret"]
        self.assertNotEqual(new_secret, subscription["secret"])
        self.assertIn("previous_secret_valid_until", rotated.json())

        patient = high_homa_ir_patient(self.fhir)
        wait_until("the finding after the rotation", lambda: for_patient(receiver, patient))
        delivery = for_patient(receiver, patient)[0]
        self.assertEqual(len(delivery["headers"]["webhook-signature"].split(" ")), 2)
        # A receiver still on the old secret and one already on the new one both accept it.
        self.assertEqual(verify(subscription["secret"], delivery)["data"]["patient"], patient)
        self.assertEqual(verify(new_secret, delivery)["data"]["patient"], patient)
        with self.assertRaises(WebhookVerificationError):
            verify("whsec_" + "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=", delivery)

    def test_replay_of_a_time_range_resends_with_the_original_webhook_ids(self):
        receiver = WebhookReceiver()
        self.addCleanup(receiver.stop)
        subscription = self.subscribe(receiver.url, "high")
        patient = high_homa_ir_patient(self.fhir)
        wait_until("the finding", lambda: for_patient(receiver, patient))
        original = for_patient(receiver, patient)[0]
        created_at = json.loads(original["body"])["timestamp"]

        reply = self.gateway.admin("POST", f"/alerts/subscriptions/{subscription['id']}/replay",
                                   {"from": created_at, "to": created_at})
        self.assertEqual(reply.status, 202, reply.body)
        self.assertGreaterEqual(reply.json()["queued"], 1)
        wait_until("the replayed finding", lambda: len(for_patient(receiver, patient)) == 2)
        again = for_patient(receiver, patient)[1]
        self.assertEqual(again["headers"]["webhook-id"], original["headers"]["webhook-id"])
        self.assertEqual(again["body"], original["body"])
        verify(subscription["secret"], again)

    def test_bad_requests_get_a_4xx_operation_outcome_and_change_nothing(self):
        before = self.gateway.admin("GET", "/alerts/subscriptions").json()
        cases = [
            ("POST", "/alerts/subscriptions", "{not json", 400),
            ("POST", "/alerts/subscriptions", {"min_level": "high"}, 400),
            ("POST", "/alerts/subscriptions", {"url": "http://receiver.example.org/hook", "min_level": "high"}, 400),
            ("POST", "/alerts/subscriptions", {"url": "https://receiver.example.org/hook", "min_level": "urgent"},
             400),
            ("POST", "/alerts/subscriptions", {"url": "https://receiver.example.org/hook", "min_level": "high",
                                               "codes": ["no-such-gradient"]}, 400),
            ("POST", "/alerts/subscriptions", {"url": "https://receiver.example.org/hook", "min_level": "high",
                                               "surprise": 1}, 400),
            ("GET", "/alerts/subscriptions/sub_unknown", None, 404),
            ("PATCH", "/alerts/subscriptions/sub_unknown", {"min_level": "low"}, 404),
            ("DELETE", "/alerts/subscriptions/sub_unknown", None, 404),
            ("POST", "/alerts/subscriptions/sub_unknown/replay", {"webhook_id": "msg_x"}, 404),
        ]
        for method, path, body, status in cases:
            with self.subTest(method=method, path=path, body=body):
                reply = self.gateway.admin(method, path, body)
                self.assertEqual(reply.status, status, reply.body)
                outcome = reply.json()
                self.assertEqual(outcome["resourceType"], "OperationOutcome")
                self.assertTrue(outcome["issue"][0]["diagnostics"])
        self.assertEqual(self.gateway.admin("GET", "/alerts/subscriptions").json(), before)

    def test_the_admin_token_and_the_notification_secret_each_open_only_their_own_door(self):
        for token in ("", "wrong-" + uuid.uuid4().hex, Gateway.SECRET):
            with self.subTest(token=token[:8]):
                reply = self.gateway.admin("GET", "/alerts/subscriptions", token=token)
                self.assertEqual(reply.status, 401, reply.body)
                self.assertEqual(reply.json()["resourceType"], "OperationOutcome")
                self.assertIn("Bearer", reply.headers.get("WWW-Authenticate", ""))
                self.assertEqual(self.gateway.admin("POST", "/alerts/subscriptions",
                                                    {"url": "https://x.example.org/", "min_level": "low"},
                                                    token=token).status, 401)
        # The admin token in the notification secret's header does not open the notification endpoint.
        reply = self.gateway.notify("PUT", "/Observation/1", {"resourceType": "Observation"}, secret=False)
        self.assertEqual(reply.status, 401)
        from harness import http
        reply = http("PUT", self.gateway.url + "/notify/Observation/1", {"resourceType": "Observation"},
                     {"X-Gradient-Secret": Gateway.ADMIN_TOKEN})
        self.assertEqual(reply.status, 401)


class AlertsSurviveACrash(unittest.TestCase):
    def test_an_alert_queued_when_the_gateway_is_killed_arrives_once_after_the_restart(self):
        fhir = Fhir()
        port = free_port()
        # The receiver is down when the alert is raised: the first attempt fails and the alert waits in the queue.
        gateway = Gateway(extra_config={"alerts": {"allow_insecure_loopback": True, "retry_schedule": "0s,3s,3s"}})
        try:
            reply = gateway.admin("POST", "/alerts/subscriptions",
                                  {"url": f"http://127.0.0.1:{port}/hook", "min_level": "high"})
            self.assertEqual(reply.status, 201, reply.body)
            subscription = reply.json()
            patient = high_homa_ir_patient(fhir)

            def failed_once():
                reply = gateway.admin("GET", f"/alerts/subscriptions/{subscription['id']}/deliveries")
                return reply.status == 200 and reply.json()["deliveries"]

            wait_until("a failed first attempt", failed_once)
        finally:
            gateway.process.kill()  # SIGKILL: no shutdown of any kind
            gateway.process.wait()
            gateway.log.close()
        receiver = WebhookReceiver(port=port)
        self.addCleanup(receiver.stop)
        restarted = Gateway(extra_config={"alerts": {"allow_insecure_loopback": True, "retry_schedule": "0s,3s,3s"}},
                            state_from=gateway)
        self.addCleanup(restarted.stop)
        wait_until("the alert after the restart", lambda: for_patient(receiver, patient))
        delivered = for_patient(receiver, patient)
        self.assertEqual(len(delivered), 1)
        self.assertEqual(verify(subscription["secret"], delivered[0])["data"]["level"], "high")
        # Exactly once by webhook-id, even once the queue has settled.
        wait_until("the delivery logged", lambda: any(
            a["http_status"] == 200 for a in restarted.admin(
                "GET", f"/alerts/subscriptions/{subscription['id']}/deliveries").json()["deliveries"]))
        ids = [d["headers"]["webhook-id"] for d in receiver.accepted()]
        self.assertEqual(len(ids), len(set(ids)))


class EventStreamClient:
    """A Server-Sent Events client on a raw socket (the stdlib has none): reads events in a thread until closed."""

    def __init__(self, gateway, last_event_id=None, query=""):
        import socket
        self.events = []  # (id, event, data)
        self.lock = threading.Lock()
        self.sock = socket.create_connection(("127.0.0.1", gateway.port), timeout=60)
        headers = f"GET /alerts/stream{query} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n" \
                  f"Authorization: Bearer {gateway.ADMIN_TOKEN}\r\n"
        if last_event_id is not None:
            headers += f"Last-Event-ID: {last_event_id}\r\n"
        self.sock.sendall((headers + "\r\n").encode())
        self.file = self.sock.makefile("rb")
        self.status_line = self.file.readline().decode()
        self.headers = {}
        while True:
            line = self.file.readline().decode().strip()
            if not line:
                break
            name, _, value = line.partition(":")
            self.headers[name.lower()] = value.strip()
        self.connected = threading.Event()
        threading.Thread(target=self.read, daemon=True).start()

    def read(self):
        event = {}
        try:
            for raw in self.file:
                line = raw.decode().rstrip("\n")
                if line == ": connected":
                    self.connected.set()
                elif line == "":
                    if "data" in event:
                        with self.lock:
                            self.events.append((int(event["id"]), event.get("event"), json.loads(event["data"])))
                    event = {}
                elif not line.startswith(":"):
                    name, _, value = line.partition(": ")
                    event[name] = value
        except (OSError, ValueError):
            pass

    def received(self):
        with self.lock:
            return list(self.events)

    def close(self):
        import socket
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


class AlertStream(unittest.TestCase):
    def test_a_client_that_reconnects_with_last_event_id_misses_nothing(self):
        fhir = Fhir()
        gateway = Gateway()
        self.addCleanup(gateway.stop)
        first = EventStreamClient(gateway, query="?min_level=high&types=gradient.finding")
        self.addCleanup(first.close)
        self.assertIn(" 200 ", first.status_line)
        self.assertEqual(first.headers.get("content-type"), "text/event-stream")
        self.assertTrue(first.connected.wait(30))

        patient = high_homa_ir_patient(fhir)
        wait_until("the first finding on the stream",
                   lambda: [e for e in first.received() if e[2]["data"]["patient"] == patient])
        seen = [e for e in first.received() if e[2]["data"]["patient"] == patient][0]
        self.assertEqual(seen[1], "gradient.finding")
        self.assertEqual(seen[2]["data"]["level"], "high")
        first.close()

        # Two more findings while no client is connected, both in the gateway's store before it reconnects.
        queued = gateway.metric("gradient_gateway_alerts_queued_total")
        missed = [high_homa_ir_patient(fhir), high_homa_ir_patient(fhir)]
        wait_until("both findings raised",
                   lambda: gateway.metric("gradient_gateway_alerts_queued_total") >= queued + 2)

        again = EventStreamClient(gateway, last_event_id=seen[0], query="?min_level=high&types=gradient.finding")
        self.addCleanup(again.close)
        wait_until("the missed findings after the reconnect", lambda: {
            e[2]["data"]["patient"] for e in again.received()} >= set(missed))
        ids = [e[0] for e in again.received()]
        self.assertTrue(all(i > seen[0] for i in ids))
        self.assertEqual(ids, sorted(set(ids)))
        self.assertNotIn(patient, [e[2]["data"]["patient"] for e in again.received()])

    def test_the_stream_needs_the_admin_token_and_a_valid_last_event_id(self):
        gateway = Gateway()
        self.addCleanup(gateway.stop)
        from harness import http
        self.assertEqual(http("GET", gateway.url + "/alerts/stream").status, 401)
        self.assertEqual(gateway.admin("GET", "/alerts/stream?min_level=urgent").status, 400)


if __name__ == "__main__":
    unittest.main()
