"""The gateway authenticates to the FHIR server (issue 13, item 2): SMART Backend Services against a real
authorization server of the test's own (smart_support.SmartAuthServer: it checks each client assertion's signature,
alg, kid, iss = sub, aud, exp and jti, and issues short-lived tokens) and hapi-local's /secure/fhir, which refuses
every request without a valid token; and HTTP Basic against hapi-local's /basic/fhir. Each gateway runs its whole
job through the protected path: it creates its Subscription, reads what HAPI notifies, and writes its results back.

The rules are those of SMART App Launch 2.x, "Backend Services"
(https://hl7.org/fhir/smart-app-launch/backend-services.html), RFC 7523 section 2.2 and RFC 6749 section 4.4."""
import tempfile
import time
import unittest

from harness import Fhir, Gateway, created_references, http, wait_until
from smart_support import SmartAuthServer, basic_credential_file, make_key_pair
from test_walking_skeleton import SITE_RULES, patient_bundle

CLIENT_ID = "gradient-gateway"


class SmartBackendServices(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.fhir = Fhir()  # the open path: the test's own writes and reads
        cls.keys = tempfile.mkdtemp(prefix="gg-smart-")

    def load_patient(self):
        """A patient with a cortisol and a DHEA-S, posted on the open path; returns Patient/id."""
        _, bundle = patient_bundle()
        return created_references(self.fhir.transaction(bundle))[0]

    def wait_for_results(self, patient):
        return wait_until(lambda: f"the derived Observations of {patient}", lambda: self.fhir.derived(patient))

    def assert_secret_free_log(self, gateway, auth):
        """Neither an access token nor an assertion ever reaches the gateway's log."""
        text = (gateway.dir / "gateway.log").read_text()
        for request in auth.requests:
            if request.access_token:
                self.assertNotIn(request.access_token, text)
            self.assertNotIn(request.form["client_assertion"], text)

    def test_the_protected_server_refuses_a_request_without_a_valid_token(self):
        with SmartAuthServer() as auth:
            no_token = http("GET", auth.secure_base + "/Patient?_count=1")
            self.assertEqual(no_token.status, 401, no_token.body[:300])
            self.assertIn("Bearer", no_token.headers.get("WWW-Authenticate", ""))
            forged = http("GET", auth.secure_base + "/Patient?_count=1",
                          headers={"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.e30.c2ln"})
            self.assertEqual(forged.status, 401)
            minted = http("GET", auth.secure_base + "/Patient?_count=1",
                          headers={"Authorization": "Bearer " + auth.mint_access_token("system/*.rs")})
            self.assertEqual(minted.status, 200, minted.body[:300])

    def run_whole_job(self, alg):
        key = make_key_pair(self.keys, alg)
        with SmartAuthServer() as auth:
            auth.register_client(CLIENT_ID, key, scope="system/*.rs system/*.cu")
            gateway = Gateway(rules_override=SITE_RULES, fhir_base=auth.secure_base,
                              fhir=auth.gateway_fhir_settings(CLIENT_ID, key))
            try:
                patient = self.load_patient()
                self.wait_for_results(patient)
                self.assertFalse(auth.refused(), [r.reason for r in auth.refused()])
                issued = auth.issued()
                # One token serves the whole job (300 s lifetime): the Subscription, the reads, the write-back.
                self.assertEqual(len(issued), 1, [(r.outcome, r.reason) for r in auth.requests])
                self.assertEqual({(r.client_id, r.alg, r.kid) for r in issued}, {(CLIENT_ID, alg, key.kid)})
                self.assertEqual(issued[0].scope, "system/*.rs system/*.cu")
                self.assertTrue(gateway.log_records("fhir.token-obtained"))
                self.assert_secret_free_log(gateway, auth)
            finally:
                gateway.stop()

    def test_es384_client_runs_the_whole_job_through_the_protected_path(self):
        self.run_whole_job("ES384")

    def test_rs384_client_runs_the_whole_job_through_the_protected_path(self):
        self.run_whole_job("RS384")

    def test_tokens_are_renewed_before_they_expire_and_after_a_401(self):
        key = make_key_pair(self.keys, "ES384")
        # Tokens live 6 s and say so: the gateway renews each after 3 s (halfway), before HAPI would refuse it.
        with SmartAuthServer(token_lifetime_s=6) as auth:
            auth.register_client(CLIENT_ID, key)
            # No scheduled requests of the gateway's own in between (the Subscription check, the catch-up search):
            # each step's requests are those of the patient the test posts.
            gateway = Gateway(rules_override=SITE_RULES, fhir_base=auth.secure_base,
                              fhir=auth.gateway_fhir_settings(CLIENT_ID, key),
                              subscription={"verify_interval_s": 3600}, reconcile_interval_s=3600)
            try:
                first = auth.wait_for_requests(1, predicate=lambda r: r.outcome == "issued")[0]
                wait_until(lambda: "the first token's expiry", lambda: time.time() > first.token_exp + 1)
                patient = self.load_patient()
                self.wait_for_results(patient)
                self.assertGreaterEqual(len(auth.issued()), 2)
                self.assertEqual(gateway.log_records("fhir.token-refused"), [],
                                 "a token was used after its advertised expiry")

                # Now tokens say they live an hour but HAPI refuses them after 3 s (a revocation, a clock skew):
                # the gateway meets a 401, asks for a new token once, and sends the request again.
                auth.token_lifetime_s = 3
                auth.expires_in = 3600
                wait_until(lambda: "the last token's expiry", lambda: time.time() > auth.issued()[-1].token_exp + 1)
                self.wait_for_results(self.load_patient())  # the gateway gets a token of the new kind
                long_lived = [r for r in auth.issued() if r.expires_in == 3600]
                self.assertTrue(long_lived)
                wait_until(lambda: "its real expiry", lambda: time.time() > long_lived[-1].token_exp + 1)
                self.wait_for_results(self.load_patient())
                self.assertTrue(gateway.log_records("fhir.token-refused"))
                self.assertGreater(len([r for r in auth.issued() if r.expires_in == 3600]), len(long_lived))
                self.assertFalse(auth.refused(), [r.reason for r in auth.refused()])
                # Every assertion had a jti of its own (the server refuses a replay; none was refused).
                jtis = [r.jti for r in auth.requests]
                self.assertEqual(len(jtis), len(set(jtis)))
                self.assert_secret_free_log(gateway, auth)
            finally:
                gateway.stop()

    def test_an_authorization_server_outage_delays_the_work_and_loses_none(self):
        key = make_key_pair(self.keys, "RS384")
        with SmartAuthServer() as auth:
            auth.register_client(CLIENT_ID, key)
            auth.fail_next(4, status=503)
            gateway = Gateway(rules_override=SITE_RULES, fhir_base=auth.secure_base,
                              fhir=auth.gateway_fhir_settings(CLIENT_ID, key), wait_ready=False)
            try:
                failed = wait_until(lambda: "fhir.token-failed in the log " + gateway.log_tail(),
                                    lambda: gateway.log_records("fhir.token-failed"), timeout=60)
                self.assertIn("HTTP 503: temporarily_unavailable", failed[0]["error"])
                wait_until(lambda: "/readyz after the outage " + gateway.log_tail(), gateway.ready, timeout=120)
                patient = self.load_patient()
                self.wait_for_results(patient)
                self.assertEqual(len(auth.issued()), 1)
            finally:
                gateway.stop()

    def test_a_key_the_server_does_not_know_is_refused_and_said_so(self):
        registered = make_key_pair(self.keys, "ES384")
        other = make_key_pair(self.keys, "ES384")
        with SmartAuthServer() as auth:
            auth.register_client(CLIENT_ID, registered)
            settings = auth.gateway_fhir_settings(CLIENT_ID, other)
            settings["smart_key_id"] = registered.kid  # the right kid, the wrong key: the signature fails
            gateway = Gateway(fhir_base=auth.secure_base, fhir=settings, wait_ready=False)
            try:
                failed = wait_until(lambda: "fhir.token-failed " + gateway.log_tail(),
                                    lambda: gateway.log_records("fhir.token-failed"), timeout=60)
                self.assertIn("HTTP 400: invalid_client", failed[0]["error"])
                self.assertTrue(auth.refused())
                self.assertFalse(auth.issued())
                self.assertFalse(gateway.ready())
            finally:
                gateway.stop()


class BasicAuthentication(unittest.TestCase):
    def test_basic_credentials_from_a_file_run_the_whole_job(self):
        fhir = Fhir()
        basic_base = fhir.base.rstrip("/").rsplit("/fhir", 1)[0] + "/basic/fhir"
        refused = http("GET", basic_base + "/Patient?_count=1")
        self.assertEqual(refused.status, 401)
        gateway = Gateway(rules_override=SITE_RULES, fhir_base=basic_base,
                          fhir={"basic_auth_file": str(basic_credential_file())})
        try:
            _, bundle = patient_bundle()
            patient = created_references(fhir.transaction(bundle))[0]
            wait_until(lambda: f"the derived Observations of {patient}", lambda: fhir.derived(patient))
        finally:
            gateway.stop()


if __name__ == "__main__":
    unittest.main()
