"""Every limit of the listener (issue 13, item 3) triggered against the running gateway and answered with its status,
while another client is served meanwhile: 408 for a request cut short, 413 for a body over the limit, 429 for a
client that keeps failing authentication (its warn lines limited too), 503 with Retry-After over the connection
limit."""
import http.client as http_client
import re
import socket
import unittest

from harness import Gateway, http, wait_until

OBSERVATION = {"resourceType": "Observation", "id": "limit-1", "status": "final",
               "code": {"coding": [{"system": "http://loinc.org", "code": "2143-6"}]}}


def raw_connection(gateway, source="127.0.0.1"):
    connection = socket.create_connection(("127.0.0.1", gateway.port), timeout=30, source_address=(source, 0))
    return connection


def read_response(connection):
    """The status, headers and body of the response on a raw connection, read up to its close, which closes it."""
    try:
        return _read_to_close(connection)
    finally:
        connection.close()


def _read_to_close(connection):
    data = b""
    while True:
        chunk = connection.recv(65536)
        if not chunk:
            break
        data += chunk
    head = data.split(b"\r\n\r\n", 1)[0].decode()
    status = int(head.split(" ", 2)[1])
    headers = dict(line.split(": ", 1) for line in head.split("\r\n")[1:])
    return status, headers, data.split(b"\r\n\r\n", 1)[1]


def served(gateway):
    return http("GET", gateway.url + "/healthz", timeout=10).status == 200


class Limits(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.gateway = Gateway(manage_subscription=False,
                              server={"read_timeout_s": 2, "body_limit_bytes": 4096, "max_connections": 4,
                                      "auth_failure_limit": 3, "auth_failure_window_s": 600})

    @classmethod
    def tearDownClass(cls):
        cls.gateway.stop()

    def test_a_request_cut_short_is_answered_408_while_others_are_served(self):
        slow = raw_connection(self.gateway)
        slow.sendall(b"PUT /notify/Observation/limit-1 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n"
                     b"X-Gradient-Secret: " + self.gateway.SECRET.encode() + b"\r\n\r\n{\"resourceType\"")
        self.assertTrue(served(self.gateway))  # meanwhile
        status, headers, body = read_response(slow)
        self.assertEqual(status, 408)
        self.assertEqual(headers.get("Connection"), "close")
        self.assertIn(b'"code":"timeout"', body)
        self.assertEqual(self.gateway.events("Observation", "limit-1"), [])

    def test_a_body_over_the_limit_is_answered_413(self):
        big = dict(OBSERVATION, note=[{"text": "x" * 5000}])
        answer = self.gateway.notify("PUT", "/Observation/limit-1", big)
        self.assertEqual(answer.status, 413)
        self.assertEqual(answer.json()["issue"][0]["code"], "too-long")
        self.assertTrue(served(self.gateway))

    def test_json_nested_too_deep_is_refused_with_an_operation_outcome(self):
        deep = ('{"resourceType":"Observation","id":"limit-3","status":"final","code":{"text":"x"},"extension":'
                + "[" * 200 + "]" * 200 + "}")
        answer = self.gateway.notify("PUT", "/Observation/limit-3", deep)
        self.assertEqual(answer.status, 400)
        issue = answer.json()["issue"][0]
        self.assertEqual(issue["code"], "too-costly")
        self.assertIn("deeper than 64 levels", issue["diagnostics"])
        self.assertEqual(self.gateway.events("Observation", "limit-3"), [])
        self.assertTrue(served(self.gateway))

    def test_a_client_that_keeps_failing_authentication_is_answered_429(self):
        # From 127.0.0.2 (loopback answers the whole of 127/8): ten wrong secrets, then the right one.
        statuses = []
        retry_after = None
        for secret in ["wrong"] * 10 + [self.gateway.SECRET]:
            connection = http_client.HTTPConnection("127.0.0.1", self.gateway.port, timeout=10,
                                                    source_address=("127.0.0.2", 0))
            connection.request("PUT", "/notify/Observation/limit-2", body=b"{}",
                               headers={"X-Gradient-Secret": secret, "Content-Type": "application/fhir+json"})
            response = connection.getresponse()
            statuses.append(response.status)
            if response.status == 429:
                retry_after = int(response.getheader("Retry-After"))
            response.read()
            connection.close()
        self.assertEqual(statuses, [401] * 3 + [429] * 8)
        self.assertTrue(0 < retry_after <= 600)
        # Another client is served with the secret; nothing of 127.0.0.2's was stored.
        self.assertEqual(self.gateway.notify("PUT", "/Observation/limit-2", dict(OBSERVATION, id="limit-2")).status,
                         200)
        self.assertEqual(len(self.gateway.events("Observation", "limit-2")), 1)
        # Two warn lines for the address's window, not one per request: the first failure and the lock-out.
        log = self.gateway.log_tail()
        self.assertEqual(len(re.findall(r"notification\.unauthorized.*127\.0\.0\.2", log)), 1, log)
        self.assertEqual(len(re.findall(r"http\.client-locked-out.*127\.0\.0\.2", log)), 1, log)
        self.assertEqual(self.gateway.metric("gradient_gateway_http_locked_out_total"), 8)

    def test_a_connection_over_the_limit_is_answered_503_with_retry_after(self):
        held = []
        try:
            # The limit is 4: hold three open (each answered once, so the gateway has counted it) and a fourth.
            for _ in range(4):
                connection = http_client.HTTPConnection("127.0.0.1", self.gateway.port, timeout=10)
                connection.request("GET", "/healthz")
                response = connection.getresponse()
                response.read()
                self.assertEqual(response.status, 200)
                held.append(connection)
            status, headers, body = read_response(raw_connection(self.gateway))
            self.assertEqual(status, 503)
            self.assertEqual(headers.get("Retry-After"), "1")
            self.assertIn(b'"code":"transient"', body)
            # The open ones are served meanwhile.
            held[0].request("GET", "/healthz")
            response = held[0].getresponse()
            response.read()
            self.assertEqual(response.status, 200)
        finally:
            for connection in held:
                connection.close()
        wait_until(lambda: "a connection freed", lambda: served(self.gateway), timeout=10)


if __name__ == "__main__":
    unittest.main()
