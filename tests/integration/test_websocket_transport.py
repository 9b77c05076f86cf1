"""The WebSocket transport against real HAPI (issue 11, item 2): the gateway opens no port to HAPI; it connects
out to HAPI's subscription WebSocket, binds a websocket Subscription and runs its catch-up search on each ping.
A dropped connection is reopened with backoff, and what changed meanwhile is caught up, exactly once.

The connection runs through a small TCP relay owned by the test (HAPI is shared and cannot be restarted here):
killing the relay drops the gateway's WebSocket as a network failure would, and refuses its reconnects until the
relay listens again on the same port; freezing it drops every byte without closing anything, as a dead network
path would. The periodic catch-up search is set to an hour, so that within the test only
a ping or a new bind can make the gateway search."""
import socket
import threading
import unittest
import urllib.parse

from harness import HAPI_BASE, Fhir, Gateway, created_references, free_port, http, wait_until
from test_walking_skeleton import SITE_RULES, patient_bundle


class TcpRelay:
    """Forwards every connection on 127.0.0.1:port to target; kill() closes them all and stops listening."""

    def __init__(self, target_host, target_port, port):
        self.target = (target_host, target_port)
        self.port = port
        self.connections = []
        self.lock = threading.Lock()
        self.frozen = False  # while True, bytes are read and dropped: a network path that died without a FIN
        self.listener = None
        self.start()

    def start(self):
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen()
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # killed
            try:
                upstream = socket.create_connection(self.target, timeout=10)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.connections += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, source, sink):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if not self.frozen:
                    sink.sendall(data)
        except OSError:
            pass
        for s in (source, sink):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def kill(self):
        # shutdown first: on Linux, close() alone leaves the socket listening while accept() blocks in the thread.
        try:
            self.listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.listener.close()
        with self.lock:
            for s in self.connections:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()
            self.connections = []


def readyz(gateway):
    reply = http("GET", gateway.url + "/readyz", timeout=5)
    return reply.status, reply.json()


class WebsocketTransport(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.fhir = Fhir()
        hapi = urllib.parse.urlsplit(HAPI_BASE)
        cls.relay = TcpRelay(hapi.hostname, hapi.port, free_port())
        cls.gateway = Gateway(
            rules_override=SITE_RULES,
            subscription={"mode": "websocket", "websocket_url": f"ws://127.0.0.1:{cls.relay.port}/websocket",
                          "websocket_reconnect_initial_ms": 200, "websocket_reconnect_max_ms": 1000,
                          "websocket_keepalive_s": 10},
            pipeline={"reconcile_interval_s": 3600})

    @classmethod
    def tearDownClass(cls):
        cls.gateway.stop()
        cls.relay.kill()

    def log(self):
        return self.gateway.log_tail()

    def post_patient(self, **values):
        _, bundle = patient_bundle(**values)
        return created_references(self.fhir.transaction(bundle))  # Patient, cortisol, DHEA-S

    def assert_analysed_exactly_once(self, patient, observations):
        """Waits for the patient's RiskAssessment and for each input's event to be done; then exactly one of each."""
        wait_until(lambda: f"RiskAssessment for {patient}; log:\n{self.log()}",
                   lambda: self.fhir.search(f"RiskAssessment?subject={patient}"))
        for observation in observations:
            kind, oid = observation.split("/")
            events = wait_until(lambda: f"{observation} done: {self.gateway.events(kind, oid)}",
                                lambda: [e for e in self.gateway.events(kind, oid) if e["state"] == "done"])
            self.assertEqual(len(self.gateway.events(kind, oid)), 1, events)
            self.assertEqual(events[0]["source"], "poll")  # found by the search a ping woke, not delivered
        self.assertEqual(len(self.fhir.search(f"RiskAssessment?subject={patient}")), 1)
        self.assertEqual(len(self.fhir.search(f"CarePlan?subject={patient}")), 1)

    def test_1_bound_subscription_is_on_hapi_and_readyz_says_so(self):
        status, body = readyz(self.gateway)
        self.assertEqual(status, 200, body)
        self.assertTrue(body["subscription"])
        self.assertEqual(self.gateway.metric("gradient_gateway_websocket_bound"), 1)
        # The Subscription HAPI holds: a websocket channel, no endpoint and no secret header.
        subscriptions = [s for s in self.fhir.search("Subscription?type=websocket&status=active")
                         if "Gradient Gateway" in s.get("reason", "")]
        self.assertTrue(subscriptions, "no active websocket Subscription of the gateway on HAPI")
        for subscription in subscriptions:
            self.assertNotIn("endpoint", subscription["channel"])
            self.assertNotIn("header", subscription["channel"])
        self.assertIn("websocket.bound", self.log())

    def test_2_a_posted_panel_is_analysed_on_the_ping(self):
        pings = self.gateway.metric("gradient_gateway_websocket_pings_total")
        patient, cortisol, dheas = self.post_patient()
        self.assert_analysed_exactly_once(patient, (cortisol, dheas))
        # Only a ping could have started the search that found it (the periodic one is an hour away).
        self.assertGreater(self.gateway.metric("gradient_gateway_websocket_pings_total"), pings)

    def test_3_after_a_dropped_connection_what_changed_meanwhile_is_caught_up_once(self):
        connections = self.gateway.metric("gradient_gateway_websocket_connections_total")
        reconnects = self.gateway.metric("gradient_gateway_websocket_reconnects_total")
        self.relay.kill()
        # The gateway notices at once (the relay closed its socket) and is not ready while unbound.
        wait_until(lambda: f"/readyz 503 after the drop; log:\n{self.log()}",
                   lambda: readyz(self.gateway)[0] == 503, timeout=30)
        self.assertFalse(readyz(self.gateway)[1]["subscription"])
        # Posted while no connection is bound: HAPI's pings for it reach nobody.
        patient, cortisol, dheas = self.post_patient(cortisol_ug_dl=13.0)  # ratio 0.066: above the site range, a CarePlan too
        # Reconnect attempts are refused meanwhile, and retried with backoff.
        wait_until(lambda: "two reconnect attempts while the relay is down",
                   lambda: self.gateway.metric("gradient_gateway_websocket_reconnects_total") >= reconnects + 2,
                   timeout=30)
        self.relay.start()
        wait_until(lambda: f"bound again; log:\n{self.log()}",
                   lambda: self.gateway.metric("gradient_gateway_websocket_connections_total") > connections,
                   timeout=60)
        self.assert_analysed_exactly_once(patient, (cortisol, dheas))
        self.assertEqual(readyz(self.gateway)[0], 200)
        self.assertIn("websocket.closed", self.log())

    def test_4_a_silent_dead_connection_is_noticed_by_the_keepalive_and_reopened(self):
        connections = self.gateway.metric("gradient_gateway_websocket_connections_total")
        self.relay.frozen = True  # no FIN, no RST: only the gateway's WebSocket pings can tell
        try:
            # websocket_keepalive_s is 10: a ping after 5 s of silence, the connection dropped 5 s later.
            wait_until(lambda: f"/readyz 503 after the path died; log:\n{self.log()}",
                       lambda: readyz(self.gateway)[0] == 503, timeout=40)
        finally:
            self.relay.frozen = False
        self.assertIn("no frame from the server within the keepalive", self.log())
        wait_until(lambda: f"bound again; log:\n{self.log()}",
                   lambda: self.gateway.metric("gradient_gateway_websocket_connections_total") > connections,
                   timeout=60)
        patient, cortisol, dheas = self.post_patient(cortisol_ug_dl=16.0)
        self.assert_analysed_exactly_once(patient, (cortisol, dheas))


if __name__ == "__main__":
    unittest.main()
