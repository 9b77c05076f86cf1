"""CDS Hooks 2.0 patient-view against HAPI and the running gateway (issue 10, item 7): an EHR that trusts the
gateway's findings sees them as cards when it opens a chart.

The test plays the EHR (the CDS Client): it makes its own key pairs, gives the gateway their JWK Set as the
configured issuer's, and signs each call's JWT with PyJWT ("Trusting CDS Clients"). The requests follow the
specification's example ("Calling a CDS Service"), with and without the prefetch the discovery entry asks for,
the prefetch run by the test against HAPI exactly as the templates say.
"""
import json
import pathlib
import shutil
import tempfile
import time
import unittest
import urllib.parse
import uuid

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from harness import HAPI_BASE, Fhir, Gateway, http, patient_entry, wait_until, created_references
from test_gradients import panel_transaction

ISSUER = "https://ehr.example.org/"
WRITE_BACK = "http://gradient-gateway.dev/fhir/NamingSystem/write-back"
GRADIENT_SYSTEM = "http://gradient-gateway.dev/fhir/CodeSystem/gradient"
RISK_SYSTEM = "http://terminology.hl7.org/CodeSystem/risk-probability"
INDICATOR = {"high": "critical", "certain": "critical", "moderate": "warning"}  # anything else: info


def public_jwk(algorithm, key, kid, alg):
    jwk = json.loads(algorithm.to_jwk(key.public_key()))
    jwk.update({"kid": kid, "use": "sig", "alg": alg})
    return jwk


class CdsHooks(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.keys_dir = pathlib.Path(tempfile.mkdtemp(prefix="gg-cds-"))
        # ES384 and RS384: the two algorithms the specification RECOMMENDS ("JWT Signing Algorithm").
        cls.ec_key = ec.generate_private_key(ec.SECP384R1())
        cls.rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwks = {"keys": [public_jwk(ECAlgorithm, cls.ec_key, "ehr-ec", "ES384"),
                         public_jwk(RSAAlgorithm, cls.rsa_key, "ehr-rsa", "RS384")]}
        jwks_file = cls.keys_dir / "ehr-jwks.json"
        jwks_file.write_text(json.dumps(jwks))
        cls.gateway = Gateway(extra_config={
            "cds": {"enabled": True, "issuers": [{"iss": ISSUER, "jwks_file": str(jwks_file)}]}})
        cls.service = cls.gateway.url + "/cds-services/gradient-findings"
        cls.fhir = Fhir()
        try:
            # A patient whose full panel gives findings, a RiskAssessment and a draft CarePlan (test_gradients).
            created = cls.fhir.transaction(panel_transaction())
            cls.patient_id = created_references(created)[0].split("/")[1]
            # And one with no results at all: no finding.
            tag = uuid.uuid4().hex[:12]
            lonely = cls.fhir.transaction({"resourceType": "Bundle", "type": "transaction", "entry": [
                patient_entry(f"urn:uuid:{uuid.uuid4()}", tag, "female", "1980-01-01")]})
            cls.lonely_id = created_references(lonely)[0].split("/")[1]

            inputs = set(created_references(created)[1:])

            # Results arrive one notification at a time; the analysis that saw all of them is the last one to write
            # (per patient in order), and its RiskAssessment cites every input (as in test_gradients).
            def complete():
                risks = cls.written("RiskAssessment", cls.patient_id)
                full = [r for r in risks
                        if {b["reference"].split("/_history")[0] for b in r.get("basis", [])} >= inputs]
                plans = [p for p in cls.written("CarePlan", cls.patient_id) for f in full
                         if any(s["reference"] == f"RiskAssessment/{f['id']}" for s in p.get("supportingInfo", []))]
                return (risks, plans) if full and plans else None

            cls.risks, cls.plans = wait_until(
                lambda: "a RiskAssessment citing every input, and its CarePlan; log:\n" + cls.gateway.log_tail(),
                complete, timeout=180)
        except Exception:
            cls.gateway.stop()
            shutil.rmtree(cls.keys_dir, ignore_errors=True)
            raise

    @classmethod
    def tearDownClass(cls):
        cls.gateway.stop()
        shutil.rmtree(cls.keys_dir, ignore_errors=True)

    @classmethod
    def written(cls, resource_type, patient_id):
        return cls.fhir.search(f"{resource_type}?patient={patient_id}&identifier={WRITE_BACK}|&_count=100")

    def token(self, key=None, kid="ehr-ec", alg="ES384", **claims):
        now = int(time.time())
        payload = {"iss": ISSUER, "aud": self.service, "iat": now, "exp": now + 120, "jti": str(uuid.uuid4())}
        payload.update(claims)
        return jwt.encode(payload, key or self.ec_key, algorithm=alg, headers={"kid": kid})

    def call(self, patient_id, prefetch=None, token=None, body=None):
        # The specification's example request ("Calling a CDS Service", Example), for this service.
        request = body or {
            "hookInstance": str(uuid.uuid4()),
            "fhirServer": HAPI_BASE,
            "hook": "patient-view",
            "context": {"userId": "Practitioner/example", "patientId": patient_id, "encounterId": "89284"},
        }
        if prefetch is not None:
            request["prefetch"] = prefetch
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if token != "":
            headers["Authorization"] = "Bearer " + (token or self.token())
        return http("POST", self.service, json.dumps(request), headers)

    def expected_indicators(self):
        """The latest level per graded gradient code, from the RiskAssessments in HAPI, as card indicators."""
        latest = {}
        for risk in self.risks:
            if risk.get("status") == "entered-in-error":
                continue
            for prediction in risk.get("prediction", []):
                code = next(c["code"] for c in prediction["outcome"]["coding"] if c["system"] == GRADIENT_SYSTEM)
                level = next((c["code"] for c in prediction.get("qualitativeRisk", {}).get("coding", [])
                              if c["system"] == RISK_SYSTEM), None)
                if level is None:
                    continue  # reported without a target range: a value, not a graded finding
                if code not in latest or risk["occurrenceDateTime"] > latest[code][0]:
                    latest[code] = (risk["occurrenceDateTime"], INDICATOR.get(level, "info"))
        return sorted(indicator for _, indicator in latest.values())

    def assert_valid_cards(self, response):
        self.assertEqual(response.status, 200, response.body)
        cards = response.json()["cards"]
        self.assertTrue(cards)
        # Card Attributes: summary (<140 characters), indicator, source.label are REQUIRED; detail is Markdown.
        for card in cards:
            self.assertLess(len(card["summary"]), 140)
            self.assertIn(card["indicator"], ("info", "warning", "critical"))
            self.assertEqual(card["source"]["label"], "Gradient Gateway")
            self.assertEqual(card["source"]["topic"]["system"],
                             "http://gradient-gateway.dev/fhir/CodeSystem/rule-set")
            self.assertTrue(card["detail"])
            self.assertNotIn("suggestions", card)  # proposals are never actions (they are in the detail)
        self.assertEqual(sorted(card["indicator"] for card in cards), self.expected_indicators())
        # The CarePlan link resolves in HAPI and is the gateway's draft proposal.
        links = [link for card in cards for link in card.get("links", [])]
        self.assertTrue(links)
        for link in links:
            self.assertEqual(link["type"], "absolute")
            plan = http("GET", link["url"]).json()
            self.assertEqual(plan["resourceType"], "CarePlan")
            self.assertEqual(plan["intent"], "proposal")
            self.assertEqual(plan["subject"]["reference"], f"Patient/{self.patient_id}")
        proposals = [card for card in cards if "not orders" in card["detail"]]
        self.assertTrue(proposals, "no card carries the CarePlan's proposals")
        return cards

    def prefetch(self, patient_id):
        """What a CDS Client sends: each discovery template with {{context.patientId}} replaced, run on its FHIR
        server (here HAPI), the searchset Bundle as the value ("Prefetch Template")."""
        templates = http("GET", self.gateway.url + "/cds-services").json()["services"][0]["prefetch"]
        out = {}
        for key, template in templates.items():
            query = template.replace("{{context.patientId}}", patient_id)
            out[key] = http("GET", f"{HAPI_BASE}/{urllib.parse.quote(query, safe='/?=&:,')}").json()
        return out

    def test_discovery_lists_the_patient_view_service(self):
        response = http("GET", self.gateway.url + "/cds-services")  # no token: discovery is public
        self.assertEqual(response.status, 200, response.body)
        services = response.json()["services"]
        self.assertEqual(len(services), 1)
        service = services[0]
        self.assertEqual(service["hook"], "patient-view")
        self.assertEqual(service["id"], "gradient-findings")
        self.assertTrue(service["description"])
        self.assertEqual(set(service["prefetch"]), {"riskAssessments", "carePlans"})
        for template in service["prefetch"].values():
            self.assertIn("{{context.patientId}}", template)

    def test_patient_view_without_prefetch_reads_the_fhir_server(self):
        response = self.call(self.patient_id)
        self.assert_valid_cards(response)

    def test_patient_view_with_prefetch_gives_the_same_cards(self):
        prefetch = self.prefetch(self.patient_id)
        self.assertTrue(prefetch["riskAssessments"].get("entry"))
        hook_instance = str(uuid.uuid4())
        body = {"hookInstance": hook_instance, "fhirServer": HAPI_BASE, "hook": "patient-view",
                "context": {"userId": "Practitioner/example", "patientId": self.patient_id},
                "prefetch": prefetch}
        with_prefetch = self.assert_valid_cards(self.call(self.patient_id, body=body, token=self.token(
            key=self.rsa_key, kid="ehr-rsa", alg="RS384")))
        without = self.assert_valid_cards(self.call(self.patient_id))
        self.assertEqual(with_prefetch, without)
        # The service answered from the prefetched Bundles, without a search of its own.
        calls = [r for r in self.gateway.log_records() if r.get("hook_instance") == hook_instance]
        self.assertEqual(len(calls), 1, calls)
        self.assertEqual(calls[0]["data"], "prefetch")

    def test_patient_without_findings_gets_no_card(self):
        for prefetch in (None, self.prefetch(self.lonely_id), {"riskAssessments": None, "carePlans": None}):
            response = self.call(self.lonely_id, prefetch=prefetch)
            self.assertEqual(response.status, 200, response.body)
            self.assertEqual(response.json(), {"cards": []})

    def test_bad_expired_replayed_or_missing_jwt_gets_401(self):
        stranger = ec.generate_private_key(ec.SECP384R1())  # not in the configured JWK Set, same kid
        now = int(time.time())
        replayed = self.token()
        self.assertEqual(self.call(self.patient_id, token=replayed).status, 200)
        for label, token in (
                ("foreign key", self.token(key=stranger)),
                ("expired", self.token(iat=now - 900, exp=now - 600)),
                ("wrong audience", self.token(aud=self.gateway.url + "/cds-services")),
                ("untrusted issuer", self.token(iss="https://other.example/")),
                ("replayed jti", replayed),
                ("missing", "")):
            response = self.call(self.patient_id, token=token)
            self.assertEqual(response.status, 401, label)
            outcome = response.json()
            self.assertEqual(outcome["resourceType"], "OperationOutcome", label)
            self.assertEqual(outcome["issue"][0]["severity"], "error", label)

    def test_malformed_hook_request_gets_400(self):
        for body in ({"hook": "patient-view", "hookInstance": str(uuid.uuid4()), "context": {}},
                     {"hook": "order-sign", "hookInstance": str(uuid.uuid4()),
                      "context": {"patientId": self.patient_id, "userId": "Practitioner/1"}}):
            response = self.call(self.patient_id, body=body)
            self.assertEqual(response.status, 400, body)
            self.assertEqual(response.json()["resourceType"], "OperationOutcome")


if __name__ == "__main__":
    unittest.main()
