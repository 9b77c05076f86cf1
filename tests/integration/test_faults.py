"""The no-loss guarantee under faults (issue 11): crashes of the gateway, an outage of the FHIR server, HAPI giving
up deliveries to a stopped gateway, a deleted Subscription, and a forged notification. Each test ends in an exact
count of what exists in HAPI.

Long waits are scaled by the gateway's own configuration, not by weakening what is asserted: the outage test gives
the gateway a retry budget of 0.3 s (max_attempts 3, 100 ms doubling) where the default is about 127 s, so a HAPI
restart of 40-60 s outlasts the budget a hundred times over (the issue's 5-minute outage outlasts the default
budget 2.4 times). HAPI's own delivery budget is scaled the same way on the module's own HAPI (OwnHapi): deliveries
are dropped after their first failure instead of after 60 s of retries, which is what HAPI does in the end."""
import os
import pathlib
import random
import subprocess
import tempfile
import threading
import time
import unittest
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from harness import (HAPI_BASE, REPO, Fhir, Gateway, created_references, free_port, http, wait_until)
from test_walking_skeleton import UG_PER_DL

HAPI_RUN = REPO / "deploy/hapi-local/run"
HAPI_STOP = REPO / "deploy/hapi-local/stop"


def panel_bundle(pairs=5, family=None):
    """One patient with `pairs` cortisol/DHEA-S pairs on consecutive days (2 x pairs Observations), as one
    transaction: HAPI commits them together, so every analysis of the patient sees the same results and a retry
    or a redelivery writes nothing new."""
    tag = family or "Fault" + uuid.uuid4().hex[:10]
    pid = f"urn:uuid:{uuid.uuid4()}"
    entries = [{"fullUrl": pid,
                "resource": {"resourceType": "Patient", "identifier": [{"system": "urn:test:mrn", "value": tag}],
                             "name": [{"family": tag}], "gender": "female", "birthDate": "1979-06-01"},
                "request": {"method": "POST", "url": "Patient"}}]
    for day in range(pairs):
        for code, value, minute in (("2143-6", 12.0 + day * 0.7, "00"), ("2191-5", 180.0 + day * 9.0, "30")):
            entries.append({
                "resource": {
                    "resourceType": "Observation", "status": "final",
                    "identifier": [{"system": "urn:test:lab", "value": f"{tag}-{code}-{day}"}],
                    "category": [{"coding": [{"system":
                                              "http://terminology.hl7.org/CodeSystem/observation-category",
                                              "code": "laboratory"}]}],
                    "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
                    "subject": {"reference": pid},
                    "effectiveDateTime": f"2026-11-{10 + day:02d}T08:{minute}:00+01:00",
                    "valueQuantity": dict(UG_PER_DL, value=value)},
                "request": {"method": "POST", "url": "Observation"}})
    return tag, {"resourceType": "Bundle", "type": "transaction", "entry": entries}


class OwnHapi:
    """The module's own HAPI, for the tests that stop it (FhirServerOutage) or make it give up deliveries
    (HapiGivesUp): a file database, so it restarts with its data, and REST-hook deliveries dropped after their
    first failure (hapi-local.subscription.delivery-retry-ms=0; HAPI's own budget is 60 s per delivery on two
    delivery threads, which for 200 changes to a stopped gateway would keep HAPI busy for 100 minutes). Started
    on first use, stopped when the module ends."""

    def __init__(self):
        self.port = None
        self.dir = None

    def base(self):
        if self.port is None:
            self.dir = pathlib.Path(tempfile.mkdtemp(prefix="gg-own-hapi-"))
            self.port = free_port()
            self.start()
        return f"http://127.0.0.1:{self.port}/fhir"

    def start(self):
        env = dict(os.environ, HAPI_LOCAL_EXTRA_ARGS="--hapi-local.subscription.delivery-retry-ms=0")
        subprocess.run([str(HAPI_RUN), "--port", str(self.port), "--db", f"file:{self.dir / 'hapidb'}",
                        "--log", str(self.dir / "hapi.log")], check=True, env=env)

    def stop(self):
        subprocess.run([str(HAPI_STOP), "--port", str(self.port)], check=True)

    def close(self):
        if self.port is not None:
            self.stop()
            self.port = None


OWN_HAPI = OwnHapi()


def tearDownModule():
    OWN_HAPI.close()


class RefusingEndpoint:
    """Stands in for a stopped gateway on its port: every delivery is answered 503, and the resource it was for
    ("Observation/12") is noted, so a test knows when HAPI has tried (and, with no retries, given up on) each."""

    def __init__(self, port):
        attempted = self.attempted = set()
        lock = self.lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def refuse(self):
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                with lock:
                    attempted.add(self.path.split("/notify/", 1)[-1])
                self.send_response(503)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_PUT = do_POST = do_DELETE = refuse

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def seen(self):
        with self.lock:
            return set(self.attempted)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def risk_assessments(fhir, patient):
    return fhir.search(f"RiskAssessment?subject={patient}&_count=200")


def settled(gateway):
    """Nothing pending in the gateway's queue."""
    return gateway.metric("gradient_gateway_events_pending") == 0


class GatewayCrashes(unittest.TestCase):
    """500 Observations across 50 patients while the gateway is SIGKILLed at 5 random moments and restarted."""

    def test_every_risk_assessment_exists_exactly_once_after_five_kills(self):
        fhir = Fhir()
        gateway = Gateway()
        port = gateway.port
        patients = []
        try:
            rng = random.Random(int.from_bytes(os.urandom(4), "big"))
            kill_after = sorted(rng.sample(range(3, 48), 5))  # after posting patient number k
            print(f"\n  kills after patients {kill_after}", flush=True)
            started = time.monotonic()
            for index in range(50):
                _, bundle = panel_bundle()
                references = created_references(fhir.transaction(bundle))
                patients.append(references[0])
                if index in kill_after:
                    gateway.kill()
                    gateway = Gateway(state_from=gateway, port=port)
            wait_until(lambda: "a RiskAssessment for each of the 50 patients; log:\n" + gateway.log_tail(),
                       lambda: all(risk_assessments(fhir, p) for p in patients), timeout=300, interval=2)
            wait_until(lambda: "the queue drained", lambda: settled(gateway), timeout=120)
            drained = time.monotonic() - started
            counts = [len(risk_assessments(fhir, p)) for p in patients]
            derived = [len(fhir.derived(p)) for p in patients]
            print(f"  50 patients, 500 Observations, 5 SIGKILLs: drained in {drained:.1f} s; "
                  f"RiskAssessments per patient {sorted(set(counts))}, derived {sorted(set(derived))}", flush=True)
            self.assertEqual(counts, [1] * 50)
            self.assertEqual(len(set(derived)), 1, "every patient's analysis wrote the same number of results")
            self.assertEqual(gateway.metric("gradient_gateway_events_dead_total"), 0)
            self.assertEqual(gateway.metric("gradient_gateway_events_failed_total"), 0)
        finally:
            gateway.stop()


class FhirServerOutage(unittest.TestCase):
    """HAPI stopped mid-stream (file database) and restarted: everything lands, nothing twice, no event dead."""

    def stop_hapi(self):
        OWN_HAPI.stop()

    def start_hapi(self):
        OWN_HAPI.start()

    def test_everything_lands_once_and_nothing_dies(self):
        self.base = OWN_HAPI.base()
        fhir = Fhir(self.base)
        # A retry budget of 0.3 s: without the breaker, every in-flight event would be dead long before HAPI is back.
        gateway = Gateway(fhir_base=self.base,
                          pipeline={"max_attempts": 3, "retry_initial_backoff_ms": 100, "circuit_failures": 2,
                                    "circuit_open_ms": 200, "circuit_max_open_ms": 2000, "reconcile_interval_s": 5})
        try:
            patients = []
            for _ in range(10):
                _, bundle = panel_bundle(pairs=2)
                patients.append(created_references(fhir.transaction(bundle))[0])
            # Mid-stream: as soon as the first notification is in, HAPI goes down.
            wait_until(lambda: "a first notification",
                       lambda: gateway.metric('gradient_gateway_events_recorded_total{source="rest-hook"}') >= 1)
            outage_started = time.monotonic()
            self.stop_hapi()
            wait_until(lambda: "the breaker open in /readyz; log:\n" + gateway.log_tail(),
                       lambda: (gateway.readiness() or {}).get("fhirCircuit") == "open", timeout=60)
            self.assertEqual(http("GET", gateway.url + "/readyz").status, 503)
            self.start_hapi()
            outage = time.monotonic() - outage_started
            wait_until(lambda: "every patient analysed after the outage; log:\n" + gateway.log_tail(),
                       lambda: all(risk_assessments(fhir, p) for p in patients), timeout=180, interval=1)
            drained = time.monotonic() - outage_started - outage
            wait_until(lambda: "the queue drained", lambda: settled(gateway), timeout=60)
            wait_until(lambda: "ready again", gateway.ready, timeout=60)
            counts = [len(risk_assessments(fhir, p)) for p in patients]
            print(f"\n  HAPI down {outage:.0f} s; all 10 patients written {drained:.1f} s after it was back; "
                  f"breaker opened {gateway.metric('gradient_gateway_fhir_circuit_opened_total'):.0f}x, "
                  f"{gateway.metric('gradient_gateway_events_waited_total'):.0f} rounds waited", flush=True)
            self.assertEqual(counts, [1] * 10)
            self.assertEqual(gateway.metric("gradient_gateway_events_dead_total"), 0)
            self.assertEqual(gateway.metric("gradient_gateway_events_failed_total"), 0)
            self.assertGreaterEqual(gateway.metric("gradient_gateway_fhir_circuit_opened_total"), 1)
            self.assertEqual(gateway.readiness()["fhirCircuit"], "closed")
        finally:
            gateway.stop()


class HapiGivesUp(unittest.TestCase):
    """The gateway stopped while 200 hormone Observations are posted, so that HAPI gives up on every delivery; then
    started: every RiskAssessment exactly once, found by reconciliation and counted in its metric."""

    def test_what_hapi_dropped_is_found_by_reconciliation_exactly_once(self):
        base = OWN_HAPI.base()
        fhir = Fhir(base)
        gateway = Gateway(fhir_base=base)
        port = gateway.port
        gateway.stop(keep=True)  # its Subscription stays on HAPI, pointing at the stopped gateway's port
        stand_in = RefusingEndpoint(port)
        patients, observations = [], []
        posted = time.monotonic()
        try:
            for _ in range(20):
                _, bundle = panel_bundle(pairs=5)
                references = created_references(fhir.transaction(bundle))
                patients.append(references[0])
                observations += references[1:]
            self.assertEqual(len(observations), 200)
            wait_until(lambda: f"HAPI tried every delivery ({len(stand_in.seen() & set(observations))} of 200)",
                       lambda: set(observations) <= stand_in.seen(), timeout=180, interval=1)
            gave_up = time.monotonic() - posted
        finally:
            stand_in.close()
        # Each delivery failed once and was dropped (no retries on this HAPI): what HAPI notifies from here on is
        # nothing, so everything the restarted gateway analyses it found itself.
        started = time.monotonic()
        gateway = Gateway(state_from=gateway, port=port, fhir_base=base)
        try:
            wait_until(lambda: "a RiskAssessment for each of the 20 patients; log:\n" + gateway.log_tail(),
                       lambda: all(risk_assessments(fhir, p) for p in patients), timeout=180, interval=1)
            wait_until(lambda: "the queue drained", lambda: settled(gateway), timeout=60)
            drained = time.monotonic() - started
            counts = [len(risk_assessments(fhir, p)) for p in patients]
            found = gateway.metric('gradient_gateway_events_recorded_total{source="poll"}')
            notified = gateway.metric('gradient_gateway_events_recorded_total{source="rest-hook"}')
            print(f"\n  200 Observations posted to a stopped gateway, every delivery dropped by HAPI {gave_up:.1f} s "
                  f"after the first post; {found:.0f} events found by reconciliation, "
                  f"{notified:.0f} notified; all 20 patients written {drained:.1f} s after the restart", flush=True)
            self.assertEqual(counts, [1] * 20)
            self.assertGreaterEqual(found, 200)
            self.assertEqual(notified, 0)
            self.assertEqual(gateway.metric("gradient_gateway_events_dead_total"), 0)
            self.assertEqual(gateway.metric("gradient_gateway_events_failed_total"), 0)
        finally:
            gateway.stop()


class DeletedSubscription(unittest.TestCase):
    def test_recreated_within_a_minute_and_not_ready_meanwhile(self):
        fhir = Fhir()
        gateway = Gateway(subscription={"verify_interval_s": 2})
        try:
            endpoint = f"{gateway.url}/notify"
            ours = [s for s in fhir.search(f"Subscription?url={endpoint}") if s["status"] == "active"]
            self.assertEqual(len(ours), 1)
            old_id = ours[0]["id"]
            deleted = http("DELETE", f"{HAPI_BASE}/Subscription/{old_id}")
            self.assertIn(deleted.status, (200, 204))
            started = time.monotonic()
            # Not ready from the moment the check finds it gone until the new one is active.
            wait_until(lambda: "/readyz not ready with subscription false; log:\n" + gateway.log_tail(),
                       lambda: (gateway.readiness() or {}).get("subscription") is False, timeout=60, interval=0.05)
            wait_until(lambda: "ready again; log:\n" + gateway.log_tail(), gateway.ready, timeout=60)
            recreated = time.monotonic() - started
            self.assertLess(recreated, 60)
            active = [s for s in fhir.search(f"Subscription?url={endpoint}") if s["status"] == "active"]
            self.assertEqual(len(active), 1)
            self.assertNotEqual(active[0]["id"], old_id)
            print(f"\n  Subscription/{old_id} deleted; Subscription/{active[0]['id']} active {recreated:.1f} s later",
                  flush=True)
            # And it delivers: a new result is notified by the REST hook, not found by the poll.
            _, bundle = panel_bundle(pairs=1)
            patient, cortisol, _ = created_references(fhir.transaction(bundle))
            kind, oid = cortisol.split("/")
            events = wait_until(lambda: f"{cortisol} notified", lambda: gateway.events(kind, oid))
            self.assertEqual(events[0]["source"], "rest-hook")
            wait_until(lambda: f"RiskAssessment for {patient}", lambda: risk_assessments(fhir, patient))
            self.assertIn(" subscription.lost ", (gateway.dir / "gateway.log").read_text())
        finally:
            gateway.stop()


class ForgedNotification(unittest.TestCase):
    def test_an_altered_value_with_the_right_secret_changes_nothing_written(self):
        fhir = Fhir()
        gateway = Gateway()
        try:
            _, bundle = panel_bundle(pairs=1)
            patient, cortisol, dheas = created_references(fhir.transaction(bundle))
            wait_until(lambda: f"RiskAssessment for {patient}", lambda: risk_assessments(fhir, patient))
            wait_until(lambda: "the queue drained", lambda: settled(gateway))
            before_risks = risk_assessments(fhir, patient)
            before_derived = fhir.derived(patient)
            self.assertEqual(len(before_risks), 1)

            # What an attacker holding the shared secret (readable in the Subscription) sends: a higher version
            # of a real Observation with the DHEA-S value divided by 180.
            kind, oid = dheas.split("/")
            forged = fhir.get(dheas)
            forged["meta"]["versionId"] = "99"
            forged["valueQuantity"]["value"] = 1.0
            answer = gateway.notify("PUT", f"/Observation/{oid}", forged)
            self.assertEqual(answer.status, 200)
            wait_until(lambda: "the forged event processed; log:\n" + gateway.log_tail(),
                       lambda: [e for e in gateway.events(kind, oid)
                                if e["versionId"] == "99" and e["state"] == "done"])

            after_risks = risk_assessments(fhir, patient)
            after_derived = fhir.derived(patient)
            self.assertEqual([r["id"] for r in after_risks], [r["id"] for r in before_risks])
            self.assertEqual(sorted(o["valueQuantity"]["value"] for o in after_derived),
                             sorted(o["valueQuantity"]["value"] for o in before_derived))
            self.assertEqual(fhir.get(dheas)["valueQuantity"]["value"], 180.0)
        finally:
            gateway.stop()


if __name__ == "__main__":
    unittest.main()
