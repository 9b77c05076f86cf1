"""Backfill through FHIR Bulk Data $export (issue 11, item 2; docs/backfill.md): 100 patients' HOMA-IR panels
(glucose and insulin, which give one RiskAssessment per patient) are posted to HAPI while no gateway runs, so nothing
analyses them. `gradient-gateway backfill --export --since T` then asks HAPI for the hormone Observations changed
since T, waits for the export job, downloads its NDJSON files and analyses each patient it names.

- A first run is killed right after the kick-off; the next run resumes the same export job (the cursor in the
  state store) and writes exactly one RiskAssessment per patient, counted in HAPI.
- A further run (a new export job) writes nothing new.

_since keeps the export to what was changed after this test began: the shared HAPI holds other tests' patients, and
only this test's patients are counted (by their identifiers' tag)."""
import datetime
import os
import pathlib
import shutil
import signal
import subprocess
import tempfile
import time
import unittest
import uuid

from harness import BINARY, HAPI_BASE, REPO, Fhir, created_references, lab_entry, patient_entry

PATIENTS = 100
PER_TRANSACTION = 10
DRAWN = "2026-01-15T08:00:00Z"
RUN_TIMEOUT_S = 150


class ExportBackfill(unittest.TestCase):
    def setUp(self):
        self.fhir = Fhir()
        self.tag = "exp-" + uuid.uuid4().hex[:12]
        self.dir = pathlib.Path(tempfile.mkdtemp(prefix="gg-export-"))
        self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)
        (self.dir / "gateway.yaml").write_text(
            f"""fhir:
  base_url: {HAPI_BASE}
state:
  path: state.db
analysis:
  # Fixed-date test data stays inside the lookback whenever the suite runs.
  lookback_days: 3650
  terminology_dir: {REPO / 'config/terminology'}
  rules_dir: {REPO / 'config/rules'}
pipeline:
  retry_initial_backoff_ms: 200
""")

    def post_patients(self):
        """PATIENTS patients, each with a glucose and an insulin result (HOMA-IR), PER_TRANSACTION per
        transaction. Returns their "Patient/id" references."""
        patients = []
        for first in range(0, PATIENTS, PER_TRANSACTION):
            entries = []
            for n in range(first, first + PER_TRANSACTION):
                patient_url = f"urn:uuid:{uuid.uuid4()}"
                tag = f"{self.tag}-{n}"
                entries += [patient_entry(patient_url, tag, "female", "1975-06-01"),
                            lab_entry(patient_url, tag, "glucose", "1558-6", DRAWN, 5.2, "mmol/L"),
                            lab_entry(patient_url, tag, "insulin", "20448-7", DRAWN, 20, "u[IU]/mL")]
            response = self.fhir.transaction({"resourceType": "Bundle", "type": "transaction", "entry": entries})
            patients += [r for r in created_references(response) if r.startswith("Patient/")]
        self.assertEqual(len(patients), PATIENTS)
        return patients

    def risk_assessments(self, patients):
        """{patient: [RiskAssessment id, ...]} for every one of patients, from HAPI."""
        found = {p: [] for p in patients}
        for first in range(0, len(patients), 50):
            subjects = ",".join(patients[first:first + 50])
            for risk in self.fhir.search(f"RiskAssessment?subject={subjects}&_count=500"):
                found[risk["subject"]["reference"]].append(risk["id"])
        return found

    def backfill(self, since, until_line=None):
        """Runs backfill --export. until_line: SIGKILL it as soon as a line of its standard error starts so (the
        run is interrupted); else waits for it. Returns (exit status, standard error)."""
        command = [BINARY, "backfill", "--export", "--config", str(self.dir / "gateway.yaml"), "--since", since,
                   "--export-poll-max", "2"]
        if until_line is None:
            run = subprocess.run(command, capture_output=True, text=True, timeout=RUN_TIMEOUT_S, cwd=self.dir)
            return run.returncode, run.stderr
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                   cwd=self.dir)
        lines = []
        deadline = time.monotonic() + RUN_TIMEOUT_S
        for line in process.stderr:  # blocks on the process's output, not on a sleep
            lines.append(line)
            if line.startswith(until_line) or time.monotonic() > deadline:
                break
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        process.stderr.close()
        return process.returncode, "".join(lines)

    def test_export_backfill_resumes_its_job_and_writes_one_risk_assessment_per_patient_once(self):
        since = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=2)).strftime(
            "%Y-%m-%dT%H:%M:%SZ")
        patients = self.post_patients()
        self.assertEqual(sum(len(r) for r in self.risk_assessments(patients).values()), 0,
                         "something analysed the patients before the backfill")
        started = time.monotonic()

        # Interrupted right after the kick-off: the job's status URL is in the state store.
        status, err = self.backfill(since, until_line="backfill: export job ")
        self.assertEqual(status, -signal.SIGKILL, err)
        self.assertIn("backfill: export job http", err)

        status, err = self.backfill(since)
        self.assertEqual(status, 0, err)
        self.assertIn("backfill: resuming export job", err)
        self.assertIn("backfill: export complete", err)
        self.assertNotIn("backfill: export kick-off", err)
        found = self.risk_assessments(patients)
        missing = [p for p, risks in found.items() if len(risks) != 1]
        self.assertEqual(missing, [], f"patients without exactly one RiskAssessment; backfill said:\n{err[-3000:]}")
        first_ids = sorted(r for risks in found.values() for r in risks)
        self.assertEqual(len(first_ids), PATIENTS)
        first_duration = time.monotonic() - started

        # Again, with a new export job (the first was finished with): every patient analysed again, nothing new.
        status, err = self.backfill(since)
        self.assertEqual(status, 0, err)
        self.assertIn("backfill: export kick-off", err)
        again = self.risk_assessments(patients)
        self.assertEqual(sorted(r for risks in again.values() for r in risks), first_ids)
        print(f"\n[export backfill] {PATIENTS} patients: interrupted run + resumed run "
              f"{first_duration:.1f} s; {err.strip().splitlines()[-1]}")


if __name__ == "__main__":
    unittest.main()
