"""Who may see what (issue 13, item 4): the probes answer anyone and say nothing but state; /metrics needs the
admin token by default, is open when configured so, or lives on a listener of its own; every route that returns
what the gateway knows of patients answers 401 without the admin token."""
import json
import unittest

from harness import Gateway, free_port, http


class Access(unittest.TestCase):
    def test_probes_are_open_and_metrics_and_operator_routes_need_the_admin_token(self):
        gateway = Gateway(manage_subscription=False)
        try:
            health = http("GET", gateway.url + "/healthz")
            self.assertEqual((health.status, health.json()), (200, {"status": "up"}))
            ready = http("GET", gateway.url + "/readyz")
            self.assertEqual(ready.status, 200)
            self.assertEqual(set(ready.json()), {"status", "stateStore", "fhirServer", "fhirCircuit", "subscription"})
            self.assertTrue(all(isinstance(v, (bool, str)) for v in ready.json().values()), ready.body)

            for path in ["/metrics", "/admin/events?type=Observation&id=1", "/admin/rejections",
                         "/alerts/subscriptions", "/alerts/stream"]:
                refused = http("GET", gateway.url + path, headers={"Accept": "*/*"})
                self.assertEqual(refused.status, 401, path)
                self.assertEqual(refused.json()["resourceType"], "OperationOutcome", path)
                self.assertIn("Bearer", refused.headers.get("WWW-Authenticate", ""), path)
            scraped = gateway.admin("GET", "/metrics")
            self.assertEqual(scraped.status, 200)
            self.assertIn("gradient_gateway_http_requests_total", scraped.body)
        finally:
            gateway.stop()

    def test_metrics_open_when_configured(self):
        gateway = Gateway(manage_subscription=False, server={"metrics_access": "open"})
        try:
            self.assertEqual(http("GET", gateway.url + "/metrics").status, 200)
            self.assertEqual(http("GET", gateway.url + "/admin/rejections").status, 401)
        finally:
            gateway.stop()

    def test_metrics_on_a_listener_of_their_own(self):
        port = free_port()
        gateway = Gateway(manage_subscription=False,
                          server={"metrics_access": "listener", "metrics_port": port})
        try:
            own = f"http://127.0.0.1:{port}"
            self.assertEqual(http("GET", own + "/metrics").status, 200)
            self.assertEqual(http("GET", own + "/readyz").status, 200)
            # Nothing else is served there; the main listener has no /metrics.
            self.assertEqual(http("GET", own + "/admin/rejections",
                                  headers={"Authorization": f"Bearer {gateway.ADMIN_TOKEN}"}).status, 404)
            self.assertEqual(http("PUT", own + "/notify/Observation/1", json.dumps({}),
                                  headers={"X-Gradient-Secret": gateway.SECRET}).status, 404)
            self.assertEqual(gateway.admin("GET", "/metrics").status, 404)
            self.assertIn("server.metrics-listening", gateway.log_tail())
        finally:
            gateway.stop()


if __name__ == "__main__":
    unittest.main()
