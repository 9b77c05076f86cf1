"""TLS where the gateway listens (issue 13, item 1): HTTPS with a test CA and TLS 1.2 at least, plain HTTP only when
the configuration says so, mutual TLS on the notification endpoint or on every connection, and the certificate
reloaded on SIGHUP under load without a failed request."""
import http.client as http_client
import os
import pathlib
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import unittest
import urllib.error
import warnings

from harness import BINARY, Fhir, Gateway, created_references, http, wait_until
from test_walking_skeleton import SITE_RULES, patient_bundle
from tls_support import TestCa, peer_serial, serial_of

OBSERVATION = {"resourceType": "Observation", "id": "tls-1", "status": "final",
               "code": {"coding": [{"system": "http://loinc.org", "code": "2143-6"}]}}


def handshake(port, context):
    """A TLS connection's protocol and cipher, or the error that ended its handshake."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
            tls.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            answer = tls.recv(64)
            return tls.version(), tls.cipher()[0], answer


class ListenerTls(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = pathlib.Path(tempfile.mkdtemp(prefix="gg-tls-"))
        cls.ca = TestCa(cls.dir / "ca")
        cls.server_cert = cls.ca.issue("gateway")
        cls.other_ca = TestCa(cls.dir / "other", name="Somebody else's CA")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def tls_server(self, **extra):
        keys = {"tls_cert_file": self.server_cert[0], "tls_key_file": self.server_cert[1]}
        keys.update(extra)
        return keys

    def test_https_with_a_test_ca_and_tls_1_2_at_least(self):
        gateway = Gateway(manage_subscription=False, server=self.tls_server(), client_tls=self.ca.client_context())
        try:
            self.assertTrue(gateway.url.startswith("https://127.0.0.1:"))
            self.assertEqual(http("GET", gateway.url + "/healthz", context=gateway.client_tls).status, 200)
            # A notification over TLS is received and queued.
            self.assertEqual(gateway.notify("PUT", "/Observation/tls-1", OBSERVATION).status, 200)
            self.assertEqual([e["id"] for e in gateway.events("Observation", "tls-1")], ["tls-1"])
            self.assertNotIn("server.plain-http", gateway.log_tail())

            # A client that does not trust the test CA refuses the gateway's certificate.
            with self.assertRaises(urllib.error.URLError) as untrusted:
                http("GET", gateway.url + "/healthz", context=ssl.create_default_context())
            self.assertIsInstance(untrusted.exception.reason, ssl.SSLCertVerificationError)

            # TLS 1.2 is served, with an ECDHE and AEAD suite; TLS 1.3 is the default.
            tls12 = self.ca.client_context()
            tls12.maximum_version = ssl.TLSVersion.TLSv1_2
            version, cipher, answer = handshake(gateway.port, tls12)
            self.assertEqual(version, "TLSv1.2")
            self.assertRegex(cipher, r"^ECDHE-(RSA|ECDSA)-(AES\d+-GCM-SHA\d+|CHACHA20-POLY1305)$")
            self.assertTrue(answer.startswith(b"HTTP/1.1 200"), answer)
            self.assertEqual(handshake(gateway.port, self.ca.client_context())[0], "TLSv1.3")

            # TLS 1.1 is refused by the gateway (the client would speak it: its own minimum is lowered).
            old = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            old.check_hostname = False
            old.verify_mode = ssl.CERT_NONE
            old.set_ciphers("ALL:@SECLEVEL=0")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)  # as it should be: only to show it refused
                old.minimum_version = ssl.TLSVersion.TLSv1
                old.maximum_version = ssl.TLSVersion.TLSv1_1
            with self.assertRaises(ssl.SSLError) as refused:
                handshake(gateway.port, old)
            self.assertIn("PROTOCOL_VERSION", refused.exception.reason or "", refused.exception)

            # Plain HTTP to the TLS port gets no HTTP answer, and the gateway goes on serving.
            with self.assertRaises((OSError, http_client.HTTPException)):
                http("GET", f"http://127.0.0.1:{gateway.port}/healthz", timeout=10)
            wait_until(lambda: "the failed handshakes logged:\n" + gateway.log_tail(),
                       lambda: gateway.log_tail().count("http.tls-handshake-failed") >= 2, timeout=10)
            self.assertEqual(http("GET", gateway.url + "/healthz", context=gateway.client_tls).status, 200)
        finally:
            gateway.stop()

    def test_plain_http_only_when_the_configuration_says_so(self):
        config = self.dir / "quiet.yaml"
        config.write_text("subscription:\n  manage: false\n")
        checked = subprocess.run([BINARY, "check-config", "--config", str(config)], capture_output=True, text=True)
        self.assertEqual(checked.returncode, 2, checked.stderr)
        self.assertIn("server.tls_cert_file: the listener needs a certificate", checked.stderr)
        served = subprocess.run([BINARY, "serve", "--config", str(config)], capture_output=True, text=True,
                                timeout=60)
        self.assertNotEqual(served.returncode, 0)
        self.assertIn("plain_http: true", served.stderr)

        gateway = Gateway(manage_subscription=False)  # the harness says plain_http: true
        try:
            self.assertIn("server.plain-http", gateway.log_tail())
        finally:
            gateway.stop()

    def test_mutual_tls_on_the_notification_endpoint(self):
        client = self.ca.issue("hapi", server=False)
        stranger = self.other_ca.issue("hapi", server=False)
        gateway = Gateway(manage_subscription=False,
                          server=self.tls_server(tls_client_ca_file=self.ca.cert,
                                                 tls_client_certificates="notifications"),
                          client_tls=self.ca.client_context(client))
        try:
            # With the client certificate the notification is taken.
            self.assertEqual(gateway.notify("PUT", "/Observation/tls-1", OBSERVATION).status, 200)
            self.assertEqual(len(gateway.events("Observation", "tls-1")), 1)

            # Without one, the shared secret is not enough: 403, nothing stored; the probes stay open.
            anonymous = self.ca.client_context()
            refused = http("PUT", gateway.url + "/notify/Observation/tls-2", OBSERVATION,
                           {"X-Gradient-Secret": gateway.SECRET}, context=anonymous)
            self.assertEqual(refused.status, 403)
            self.assertEqual(refused.json()["resourceType"], "OperationOutcome")
            self.assertEqual(refused.json()["issue"][0]["code"], "forbidden")
            self.assertEqual(gateway.events("Observation", "tls-2"), [])
            self.assertIn("notification.without-client-certificate", gateway.log_tail())
            self.assertEqual(http("GET", gateway.url + "/healthz", context=anonymous).status, 200)

            # A certificate from another CA ends the handshake.
            with self.assertRaises((ssl.SSLError, OSError)):
                http("PUT", gateway.url + "/notify/Observation/tls-3", OBSERVATION,
                     {"X-Gradient-Secret": gateway.SECRET}, context=self.ca.client_context(stranger))
            self.assertEqual(gateway.events("Observation", "tls-3"), [])
        finally:
            gateway.stop()

    def test_a_payload_from_an_authenticated_sender_is_analysed_as_it_came_when_so_configured(self):
        # subscription.trust_authenticated_payload: the payload of a notification sent with a verified client
        # certificate is the result the gateway analyses, without reading it again from the FHIR server.
        fhir = Fhir()
        _, bundle = patient_bundle()
        patient, _, dheas = created_references(fhir.transaction(bundle))
        client = self.ca.issue("hapi", server=False)
        gateway = Gateway(manage_subscription=False, reconcile_interval_s=0, rules_override=SITE_RULES,
                          subscription={"trust_authenticated_payload": "true"},
                          server=self.tls_server(tls_client_ca_file=self.ca.cert,
                                                 tls_client_certificates="notifications"),
                          client_tls=self.ca.client_context(client))
        try:
            self.assertEqual(gateway.notify("PUT", "/" + dheas, fhir.get(dheas)).status, 200)
            wait_until(lambda: f"the derived Observations of {patient}", lambda: fhir.derived(patient))
            self.assertEqual(gateway.metric("gradient_gateway_trusted_payloads_total"), 1)
        finally:
            gateway.stop()

    def test_trusting_payloads_needs_mutual_tls(self):
        config = self.dir / "trust.yaml"
        config.write_text("server:\n  plain_http: true\nsubscription:\n  manage: false\n"
                          "  trust_authenticated_payload: true\n")
        checked = subprocess.run([BINARY, "check-config", "--config", str(config)], capture_output=True, text=True)
        self.assertNotEqual(checked.returncode, 0)
        self.assertIn("subscription.trust_authenticated_payload", checked.stdout + checked.stderr)

    def test_mutual_tls_on_every_connection(self):
        client = self.ca.issue("operator", server=False)
        gateway = Gateway(manage_subscription=False,
                          server=self.tls_server(tls_client_ca_file=self.ca.cert, tls_client_certificates="all"),
                          client_tls=self.ca.client_context(client))
        try:
            self.assertEqual(http("GET", gateway.url + "/healthz", context=gateway.client_tls).status, 200)
            with self.assertRaises((ssl.SSLError, OSError)):
                http("GET", gateway.url + "/healthz", context=self.ca.client_context())
            # Under TLS 1.3 the client may see the refusal before the gateway has written its log line.
            wait_until(lambda: "the refused handshake logged:\n" + gateway.log_tail(),
                       lambda: "http.tls-handshake-failed" in gateway.log_tail(), timeout=10)
        finally:
            gateway.stop()

    def test_certificate_reload_under_load_fails_no_request(self):
        work = self.dir / "reload"
        work.mkdir()
        cert, key = work / "server.crt", work / "server.key"
        shutil.copy(self.server_cert[0], cert)
        shutil.copy(self.server_cert[1], key)
        gateway = Gateway(manage_subscription=False, server={"tls_cert_file": cert, "tls_key_file": key},
                          client_tls=self.ca.client_context())
        stop = threading.Event()
        counts = {"ok": 0, "failed": []}
        lock = threading.Lock()

        def load():
            # Each request on a new connection (urllib), so each handshake shows the certificate of its moment.
            while not stop.is_set():
                try:
                    status = http("GET", gateway.url + "/healthz", timeout=10, context=gateway.client_tls).status
                    outcome = None if status == 200 else f"status {status}"
                except Exception as error:  # noqa: BLE001 - every failure counts
                    outcome = repr(error)
                with lock:
                    if outcome is None:
                        counts["ok"] += 1
                    else:
                        counts["failed"].append(outcome)

        workers = [threading.Thread(target=load) for _ in range(4)]
        try:
            # A keep-alive connection opened before the reload goes on being served with the old certificate.
            kept = http_client.HTTPSConnection("127.0.0.1", gateway.port, context=gateway.client_tls, timeout=10)
            kept.request("GET", "/healthz")
            first = kept.getresponse()
            first.read()
            self.assertEqual(first.status, 200)
            old_serial = serial_of(cert)
            self.assertEqual(peer_serial(gateway.port, gateway.client_tls), old_serial)
            for worker in workers:
                worker.start()
            wait_until(lambda: f"load running: {counts}", lambda: counts["ok"] >= 20, timeout=30, interval=0.05)

            # A certificate that does not load leaves the running one in place.
            cert.write_text("not a certificate\n")
            gateway.process.send_signal(signal.SIGHUP)
            wait_until(lambda: "the failed reload logged:\n" + gateway.log_tail(),
                       lambda: "server.tls-reload-failed" in gateway.log_tail(), timeout=10, interval=0.05)
            self.assertEqual(peer_serial(gateway.port, gateway.client_tls), old_serial)

            # A new certificate and key (a new serial), then SIGHUP: new connections are shown it.
            new_cert, new_key = self.ca.issue("gateway")
            os.replace(self.dir / "ca" / new_key.name, key)
            os.replace(self.dir / "ca" / new_cert.name, cert)
            new_serial = serial_of(cert)
            self.assertNotEqual(new_serial, old_serial)
            before = counts["ok"]
            gateway.process.send_signal(signal.SIGHUP)
            wait_until(lambda: "the new certificate served:\n" + gateway.log_tail(),
                       lambda: peer_serial(gateway.port, gateway.client_tls) == new_serial, timeout=10,
                       interval=0.05)
            wait_until(lambda: f"load after the reload: {counts}", lambda: counts["ok"] >= before + 20, timeout=30,
                       interval=0.05)
            wait_until(lambda: "the reload logged:\n" + gateway.log_tail(),
                       lambda: "server.tls-reloaded" in gateway.log_tail(), timeout=10)

            kept.request("GET", "/healthz")
            again = kept.getresponse()
            again.read()
            self.assertEqual(again.status, 200)
            kept.close()
        finally:
            stop.set()
            for worker in workers:
                if worker.is_alive() or worker.ident is not None:
                    worker.join()
            gateway.stop()
        self.assertEqual(counts["failed"], [])
        self.assertGreater(counts["ok"], 40)


if __name__ == "__main__":
    unittest.main()
