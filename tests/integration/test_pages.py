"""The pages (issue 14, docs/ui.md) in Debian's Chromium, driven headless by playwright-core
(tests/browser/inspect.mjs, which prints what the page shows as JSON): the patient page of a patient whose results
are on HAPI, the operations page while Observations arrive, and the offline report of `analyze --html` opened with
every request blocked. Without the admin token the pages and their JSON answer 401.

The patient is tests/data/patients/full-panel.json (a male of 56 with a saliva cortisol day series of 8 samples
from 07:00 to 23:00, whose 24 h cosinor and awakening response the gateway computes, and a HOMA-IR of
5.2 mmol/L x 18 uIU/mL / 22.5 = 4.16, above the shipped adult cut-off 2.05 of Gayoso-Diz P et al., BMC Endocr
Disord 2013;13:47), plus a second glucose and insulin pair a week later (5.0 x 6 / 22.5 = 1.33, within it): the
HOMA-IR series then has two values, one outside its target.

Screenshots of each page go to build/test-artefacts/pages/ (GG_ARTEFACTS overrides the folder)."""
import json
import os
import pathlib
import subprocess
import tempfile
import unittest

from harness import BINARY, REPO, Fhir, Gateway, created_references, http, ucum, wait_until
from test_faults import settled
from test_gradients import PANEL, panel_transaction

BROWSER = REPO / "tests/browser"
ARTEFACTS = pathlib.Path(os.environ.get("GG_ARTEFACTS", REPO / "build/test-artefacts")) / "pages"
LOINC = "http://loinc.org"


def inspect(*args):
    """What the page shows, as tests/browser/inspect.mjs prints it."""
    assert (BROWSER / "node_modules/playwright-core").is_dir(), \
        "tests/browser/node_modules is missing: run npm ci in tests/browser (scripts/test does)"
    done = subprocess.run(["node", str(BROWSER / "inspect.mjs"), *args], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, f"inspect.mjs exited {done.returncode}: {done.stderr[-2000:]}"
    return json.loads(done.stdout)


def screenshot(name):
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    return str(ARTEFACTS / f"{name}.png")


def figure(page, plot):
    found = [f for f in page["figures"] if f["plot"] == plot]
    assert len(found) == 1, f"one figure {plot}: {[f['plot'] for f in page['figures']]}"
    return found[0]


def table(page, name):
    found = [t for t in page["tables"] if t["table"] == name]
    assert len(found) == 1, f"one table {name}: {[t['table'] for t in page['tables']]}"
    return found[0]


def glucose_insulin(patient, tag, when, glucose, insulin):
    """A fasting glucose (mmol/L) and insulin (uIU/mL) pair of an existing patient, as one transaction."""
    entries = []
    for key, code, value, unit in (("glucose", "1558-6", glucose, "mmol/L"), ("insulin", "20448-7", insulin,
                                                                               "u[IU]/mL")):
        entries.append({"resource": {
            "resourceType": "Observation", "status": "final",
            "identifier": [{"system": "urn:test:lab", "value": f"{tag}-{key}"}],
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                      "code": "laboratory"}]}],
            "code": {"coding": [{"system": LOINC, "code": code}]},
            "subject": {"reference": patient}, "effectiveDateTime": when, "valueQuantity": ucum(value, unit)},
            "request": {"method": "POST", "url": "Observation"}})
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


def homa_ir(fhir, patient):
    return [o for o in fhir.derived(patient) if o["code"]["coding"][0]["code"] == "homa-ir"]


class Pages(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.fhir = Fhir()
        cls.gateway = Gateway()
        try:
            created = created_references(cls.fhir.transaction(panel_transaction()))
            cls.patient = created[0]
            wait_until(lambda: f"the first HOMA-IR of {cls.patient}; log:\n" + cls.gateway.log_tail(),
                       lambda: homa_ir(cls.fhir, cls.patient))
            wait_until(lambda: "the queue drained", lambda: settled(cls.gateway))
            # A week later, within the target: the series' second value.
            cls.fhir.transaction(glucose_insulin(cls.patient, cls.patient.replace("/", "-") + "-week2",
                                                 "2026-11-27T08:00:00+01:00", 5.0, 6.0))
            wait_until(lambda: f"the second HOMA-IR of {cls.patient}; log:\n" + cls.gateway.log_tail(),
                       lambda: len(homa_ir(cls.fhir, cls.patient)) == 2)
            wait_until(lambda: "the queue drained", lambda: settled(cls.gateway))
        except BaseException:
            cls.gateway.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.gateway.stop()

    def open(self, path, name=None, user="clinic", password=None):
        args = ["--url", self.gateway.url + path]
        if user is not None:
            args += ["--user", user, "--password", password or self.gateway.ADMIN_TOKEN]
        if name:
            args += ["--screenshot", screenshot(name)]
        return inspect(*args)

    def assert_rendered_alone(self, page):
        self.assertEqual(page["status"], 200, page.get("error"))
        self.assertEqual(page["ready"], "true", page.get("error"))
        self.assertEqual(page["external_requests"], [])
        self.assertEqual(page["csp_violations"], [])
        self.assertEqual(page["page_errors"], [])

    def test_the_patient_page_shows_the_day_curve_its_fit_and_each_value_as_hapi_holds_it(self):
        page = self.open(f"/ui/patients/{self.patient.split('/')[1]}", "patient")
        self.assert_rendered_alone(page)
        self.assertEqual(page["patients"], [self.patient])
        self.assertIn("a clinician must review", page["review_text"])

        # The saliva day curve: its 8 samples, the fitted cosinor curve, MESOR, acrophase and the shaded CAR.
        curve = figure(page, "day-curve:cortisol")
        self.assertEqual(curve["marks"]["samples"], 8)
        self.assertTrue(curve["has_curve_path"])
        for mark in ("cosinor fit", "mesor", "acrophase", "awakening response"):
            self.assertEqual(curve["marks"].get(mark), 1, mark)
        rows = table(page, "day-curve:cortisol")["rows"]
        self.assertEqual(len(rows), 8)
        saliva = {o["id"]: o for o in self.fhir.search(f"Observation?subject={self.patient}&code={LOINC}|51844-9")}
        for row in rows:
            source = saliva[row["observation"].split("/")[1]]
            self.assertEqual(float(row["cells"]["original_value"]), source["valueQuantity"]["value"])
            self.assertEqual(row["cells"]["effective"], source["effectiveDateTime"])

        # HOMA-IR over time: both values, the target band of the shipped range, the one above it marked.
        homa = figure(page, "series:homa-ir")
        self.assertEqual(homa["marks"].get("values"), 2)
        self.assertEqual(homa["marks"].get("target band"), 1)
        self.assertEqual(homa["marks"].get("outside target"), 1)

        # Every value in the tables is the derived Observation HAPI holds under that id, exactly.
        derived = {f"Observation/{o['id']}": o for o in self.fhir.derived(self.patient) if o["status"] == "final"}
        shown = {}
        for t in page["tables"]:
            if t["table"].startswith("series:"):
                for row in t["rows"]:
                    if row["observation"]:
                        shown[row["observation"]] = (t["table"], row)
        self.assertEqual(set(shown), set(derived), "each derived Observation of the patient, and only those")
        for reference, (name, row) in shown.items():
            observation = derived[reference]
            self.assertEqual(name, "series:" + observation["code"]["coding"][0]["code"])
            self.assertEqual(float(row["cells"]["value"]), observation["valueQuantity"]["value"], reference)
            cited = sorted(r["reference"].split("/_history/")[0] for r in observation["derivedFrom"])
            self.assertEqual(sorted(row["inputs"]), cited, reference)
        outside = [row["cells"]["outside"] for _, row in shown.values() if row["cells"].get("outside")]
        self.assertEqual(outside, ["above"], "the first HOMA-IR, 4.16 > 2.05; nothing else has a target here")

        # The current analysis: the latest HOMA-IR (1.33) is within its target, graded low, so nothing is proposed
        # now (the first one's CarePlan stays on the server); each finding names its rule and the written value.
        findings = {row["cells"]["rule"]: row for row in table(page, "findings")["rows"]}
        self.assertEqual(findings["homa-ir"]["cells"]["level"], "low")
        self.assertAlmostEqual(float(findings["homa-ir"]["cells"]["value"]), 5.0 * 6 / 22.5, places=9)
        latest = max(homa_ir(self.fhir, self.patient), key=lambda o: o["effectiveDateTime"])
        self.assertEqual(findings["homa-ir"]["observation"], f"Observation/{latest['id']}")
        self.assertEqual(page["proposals"], [])

    def test_the_status_page_counts_move_when_observations_are_posted(self):
        before = self.open("/ui/status", "status")
        self.assert_rendered_alone(before)
        received = int(before["counts"]["received"])
        processed = int(before["counts"]["processed"])
        self.assertGreaterEqual(received, 24, "the panel's results and the second pair arrived within the hour")

        self.fhir.transaction(glucose_insulin(self.patient, self.patient.replace("/", "-") + "-week3",
                                              "2026-11-28T08:00:00+01:00", 5.1, 7.0))
        wait_until(lambda: "the third pair processed; log:\n" + self.gateway.log_tail(),
                   lambda: len(homa_ir(self.fhir, self.patient)) == 3 and settled(self.gateway))
        after = self.open("/ui/status", "status-after")
        self.assert_rendered_alone(after)
        self.assertGreaterEqual(int(after["counts"]["received"]), received + 2)
        self.assertGreater(int(after["counts"]["processed"]), processed)
        self.assertEqual(after["counts"]["pending"], "0")
        latency = table(after, "status:fhir-latency")
        self.assertTrue(latency["rows"], "the FHIR server's latency over the hour")

    def test_without_the_admin_token_the_pages_and_their_json_answer_401(self):
        patient_id = self.patient.split("/")[1]
        for path in (f"/ui/patients/{patient_id}", f"/ui/api/patients/{patient_id}", "/ui/status",
                     "/ui/api/status"):
            for headers in ({}, {"Authorization": "Basic Y2xpbmljOndyb25n"}, {"Authorization": "Bearer wrong"}):
                reply = http("GET", self.gateway.url + path, headers=headers)
                self.assertEqual(reply.status, 401, f"{path} {headers}")
                self.assertEqual(reply.json()["resourceType"], "OperationOutcome")
                self.assertNotIn(patient_id, reply.body.replace(path, ""), "nothing of the patient in a 401")
            self.assertEqual(http("GET", self.gateway.url + path,
                                  headers={"Authorization": f"Bearer {self.gateway.ADMIN_TOKEN}"}).status, 200)
        # In the browser: the challenge asks for Basic; without credentials the page is the 401.
        page = self.open(f"/ui/patients/{patient_id}", user=None)
        self.assertEqual(page["status"], 401)
        self.assertEqual(page["patients"], [])

    def test_the_offline_report_opens_with_every_request_blocked_and_shows_the_same_plots(self):
        report = pathlib.Path(tempfile.mkdtemp(prefix="gg-report-")) / "report.html"
        done = subprocess.run([BINARY, "analyze", "--as-of", "2026-11-21T12:00:00Z", "--html", str(report),
                               str(PANEL)], capture_output=True, text=True, timeout=120)
        self.assertEqual(done.returncode, 0, done.stderr[-2000:])
        self.assertIn('"resourceType":"Bundle"', done.stdout, "the Bundle is printed as without --html")
        page = inspect("--html", str(report), "--offline", "--screenshot", screenshot("offline-report"))
        self.assertEqual(page["ready"], "true", page.get("error"))
        self.assertEqual(page["external_requests"], [])
        self.assertEqual(page["blocked"], [])
        self.assertEqual(page["csp_violations"], [])
        self.assertEqual(page["patients"], ["Patient/full-panel"])
        curve = figure(page, "day-curve:cortisol")
        self.assertEqual(curve["marks"]["samples"], 8)
        self.assertTrue(curve["has_curve_path"])
        homa = figure(page, "series:homa-ir")
        self.assertEqual((homa["marks"].get("values"), homa["marks"].get("outside target")), (1, 1))
        value = table(page, "series:homa-ir")["rows"][0]["cells"]["value"]
        self.assertAlmostEqual(float(value), 5.2 * 18 / 22.5, places=9)  # Matthews 1985: glucose x insulin / 22.5


if __name__ == "__main__":
    unittest.main()
