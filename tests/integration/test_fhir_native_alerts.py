"""FHIR-native alerts (issue 10, item 6; docs/alerts-fhir-native.md): the shipped Subscription, created on HAPI by the
shipped script, makes HAPI itself deliver the gateway's RiskAssessments at the subscribed risk levels to a receiver,
through its own REST-hook channel: a PUT of each RiskAssessment, with the receiver's secret in a header.

HOMA-IR (glucose mmol/L x insulin uIU/mL / 22.5) against the shipped adult cut-off 2.05 (Gayoso-Diz 2013) with the
shipped high_beyond_fraction_of_bound 0.5: above 2.05 by less than half of it (below 3.075) is moderate, beyond it
high. Glucose 5.0 and insulin 11 give 2.44 (moderate); glucose 5.2 and insulin 20 give 4.62 (high)."""
import json
import pathlib
import shutil
import subprocess
import sys
import tempfile
import threading
import unittest
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from harness import HAPI_BASE, REPO, Fhir, Gateway, created_references, http, lab_entry, patient_entry, wait_until

SCRIPT = REPO / "deploy/fhir-native/create_subscription.py"
STATUS_PARAMETER = REPO / "deploy/fhir-native/riskassessment-status-searchparameter.json"
WRITE_BACK_SYSTEM = "http://gradient-gateway.dev/fhir/NamingSystem/write-back"
RISK_SYSTEM = "http://terminology.hl7.org/CodeSystem/risk-probability"
DRAWN = "2026-11-20T08:00:00+01:00"


class Receiver:
    """A receiver of FHIR REST-hook notifications on a free loopback port: records every request, answers 200 with
    an empty body (what HAPI expects of a REST-hook endpoint, shared/HAPI-NOTES.md)."""

    def __init__(self):
        self.requests = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def handle_any(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with receiver.lock:
                    receiver.requests.append(
                        {"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body})
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_PUT = do_POST = do_DELETE = handle_any

            def log_message(self, *args):  # keep the test output to the test's own messages
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def risk_assessments(self, prefix, patient):
        """(request, RiskAssessment) for every delivery under prefix of a RiskAssessment about patient."""
        with self.lock:
            found = []
            for request in self.requests:
                if not request["path"].startswith(prefix + "/") or not request["body"]:
                    continue
                resource = json.loads(request["body"])
                if (resource.get("resourceType") == "RiskAssessment"
                        and resource.get("subject", {}).get("reference") == patient):
                    found.append((request, resource))
            return found

    def describe(self):
        with self.lock:
            return f"{len(self.requests)} requests: " + ", ".join(f"{r['method']} {r['path']}" for r in self.requests)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def levels_of(risk):
    return [c["code"] for p in risk.get("prediction", []) for c in p.get("qualitativeRisk", {}).get("coding", [])
            if c.get("system") == RISK_SYSTEM]


class FhirNativeAlerts(unittest.TestCase):
    def setUp(self):
        self.fhir = Fhir()
        self.created = []  # what this test created on HAPI, in order
        self.receiver = Receiver()
        self.addCleanup(self.receiver.stop)
        self.addCleanup(self.delete_created)  # before the receiver stops: HAPI must not deliver to nothing
        self.dir = pathlib.Path(tempfile.mkdtemp(prefix="gg-fhir-native-"))
        self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)
        self.secret = "receiver-" + uuid.uuid4().hex
        (self.dir / "receiver.secret").write_text(self.secret + "\n")
        self.gateway = Gateway()
        self.addCleanup(self.gateway.stop)

    def delete_created(self):
        """The Subscriptions first, then the SearchParameter their criteria may use."""
        for reference in reversed(self.created):
            reply = http("DELETE", f"{HAPI_BASE}/{reference}")
            self.assertIn(reply.status, (200, 204), reply.body[:500])

    def subscribe(self, path, levels, exclude_retractions=False):
        """The shipped Subscription, created by the shipped script, with the receiver's path and levels; the
        script returns once HAPI has set it active."""
        run = subprocess.run(
            [sys.executable, str(SCRIPT), "--fhir-base", HAPI_BASE, "--endpoint", self.receiver.url + path,
             "--secret-file", str(self.dir / "receiver.secret"), "--levels", levels, "--wait", "90"]
            + (["--exclude-retractions"] if exclude_retractions else []),
            capture_output=True, text=True, timeout=120)
        self.assertEqual(run.returncode, 0, run.stderr)
        reference = run.stdout.strip()
        self.assertRegex(reference, r"^Subscription/[A-Za-z0-9\-.]+$")
        self.created.append(reference)
        subscription = self.fhir.get(reference)
        self.assertEqual(subscription["status"], "active")
        self.assertEqual(subscription["channel"]["header"], [f"Authorization: Bearer {self.secret}"])
        # HAPI matches this criteria in memory (no database query per change); it says so in a tag.
        strategies = [t["code"] for t in subscription["meta"].get("tag", [])
                      if t["system"] == "http://hapifhir.io/fhir/StructureDefinition/subscription-matching-strategy"]
        self.assertEqual(strategies, ["IN_MEMORY"], json.dumps(subscription["meta"]))
        return reference

    def install_status_parameter(self):
        """The shipped RiskAssessment status SearchParameter, created (or left as found) by a conditional update on
        its url; removed at the end only when this test created it. Returns once HAPI searches with it."""
        parameter = json.loads(STATUS_PARAMETER.read_text())
        query = urllib.parse.urlencode({"url": parameter["url"]})
        reply = http("PUT", f"{HAPI_BASE}/SearchParameter?{query}", parameter)
        self.assertIn(reply.status, (200, 201), reply.body[:500])
        if reply.status == 201:
            self.created.append(f"SearchParameter/{reply.json()['id']}")
        probe = f"{HAPI_BASE}/RiskAssessment?status=final&_summary=count"
        wait_until(lambda: f"HAPI to search RiskAssessment by status: {http('GET', probe).body[:300]}",
                   lambda: http("GET", probe).status == 200, timeout=60)

    def homa_ir_patient(self, glucose, insulin):
        """A patient with a fasting glucose and an insulin drawn together: (Patient/id, insulin Observation)."""
        patient_url = f"urn:uuid:{uuid.uuid4()}"
        tag = uuid.uuid4().hex[:12]
        created = self.fhir.transaction({"resourceType": "Bundle", "type": "transaction", "entry": [
            patient_entry(patient_url, tag, "female", "1975-06-01"),
            lab_entry(patient_url, tag, "glucose", "1558-6", DRAWN, glucose, "mmol/L"),
            lab_entry(patient_url, tag, "insulin", "20448-7", DRAWN, insulin, "u[IU]/mL"),
        ]})
        locations = created_references(created)
        return locations[0], locations[2]

    def delivered(self, prefix, patient, status=None):
        """The RiskAssessments about patient that arrived under prefix (with status, when given), or None."""
        found = [(request, risk) for request, risk in self.receiver.risk_assessments(prefix, patient)
                 if status is None or risk.get("status") == status]
        return found or None

    def wait_delivered(self, prefix, patient, status=None):
        return wait_until(
            lambda: f"a RiskAssessment about {patient} at {prefix} ({self.receiver.describe()}); "
                    f"gateway log:\n{self.gateway.log_tail()}",
            lambda: self.delivered(prefix, patient, status), timeout=180)

    def test_the_fhir_servers_own_subscription_delivers_findings_at_the_subscribed_levels(self):
        self.install_status_parameter()
        self.subscribe("/high", "high")
        self.subscribe("/moderate-or-high", "moderate,high")
        self.subscribe("/high-not-retracted", "high", exclude_retractions=True)

        # First a moderate finding. Once it reaches the moderate-or-high receiver, HAPI has matched it against
        # every active Subscription (one matching pass per change), the high-only one included.
        moderate_patient, _ = self.homa_ir_patient(5.0, 11)
        [(request, risk)] = self.wait_delivered("/moderate-or-high", moderate_patient)
        self.assertEqual(levels_of(risk), ["moderate"])

        # Then a high finding, written after the moderate one was matched: it reaches both receivers.
        high_patient, high_insulin = self.homa_ir_patient(5.2, 20)
        [(request, risk)] = self.wait_delivered("/high", high_patient)
        self.wait_delivered("/moderate-or-high", high_patient)
        self.wait_delivered("/high-not-retracted", high_patient)

        # What the receiver gets: PUT {endpoint}/RiskAssessment/{id} with the resource as the FHIR server holds it,
        # and the receiver's secret in the header the Subscription names.
        self.assertEqual(request["method"], "PUT")
        self.assertEqual(request["path"], f"/high/RiskAssessment/{risk['id']}")
        self.assertEqual(request["headers"].get("Authorization"), f"Bearer {self.secret}")
        self.assertTrue(request["headers"].get("Content-Type", "").startswith("application/fhir+json"),
                        request["headers"])
        self.assertIn(WRITE_BACK_SYSTEM, [i["system"] for i in risk["identifier"]])
        self.assertEqual(levels_of(risk), ["high"])
        self.assertEqual(risk["status"], "final")
        in_hapi = self.fhir.search(f"RiskAssessment?subject={high_patient}&_count=100")
        self.assertEqual([r["id"] for r in in_hapi], [risk["id"]])
        self.assertEqual(in_hapi[0]["identifier"], risk["identifier"])

        # The moderate finding never reached the high-only receiver.
        self.assertEqual(len(self.receiver.risk_assessments("/high", moderate_patient)), 0, self.receiver.describe())

        # A retraction is an update of the same RiskAssessment (status entered-in-error, level unchanged), so it
        # matches the same criteria and arrives too: receivers must read the status.
        current = self.fhir.get(high_insulin)
        current["status"] = "entered-in-error"
        reply = http("PUT", f"{HAPI_BASE}/{high_insulin}", current)
        self.assertIn(reply.status, (200, 201), reply.body[:500])
        [(request, retracted)] = self.wait_delivered("/high", high_patient, status="entered-in-error")
        self.assertEqual(request["path"], f"/high/RiskAssessment/{risk['id']}")
        self.assertEqual(levels_of(retracted), ["high"])
        self.assertEqual(retracted["meta"]["versionId"], "2")
        self.wait_delivered("/moderate-or-high", high_patient, status="entered-in-error")

        # With the status SearchParameter and status=final,preliminary in the criteria, it does not: the update
        # was matched against every Subscription in the pass that delivered it to the two receivers above.
        self.assertEqual(len(self.receiver.risk_assessments("/high-not-retracted", high_patient)), 1,
                         self.receiver.describe())


if __name__ == "__main__":
    unittest.main()
