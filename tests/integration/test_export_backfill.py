"""Backfill through FHIR Bulk Data $export (issue 11, item 2; docs/backfill.md): 100 patients' HOMA-IR panels
(glucose and insulin, which give one RiskAssessment per patient) are posted to HAPI while no gateway runs, so nothing
analyses them. `gradient-gateway backfill --export --since T` then asks HAPI for the hormone Observations changed
since T, waits for the export job, downloads its NDJSON files and analyses each patient it names.

- A first run is killed right after the kick-off; the next run resumes the same export job (the cursor in the
  state store) and writes exactly one RiskAssessment per patient, counted in HAPI.
- A further run (a new export job) writes nothing new.
- An export file whose download fails for a passing reason (a proxy in front of HAPI answers its first read 500)
  is downloaded again after a backoff, and the run finishes.

_since keeps the export to what was changed after this test began: the shared HAPI holds other tests' patients, and
only this test's patients are counted (by their identifiers' tag)."""
import signal
import time
import unittest

from backfill_support import BackfillCase, instant_from_now

PATIENTS = 100


class ExportBackfill(BackfillCase):
    def export(self, since, until_line=None):
        return self.backfill("--export", "--since", since, "--export-poll-max", "2", until_line=until_line)

    def test_export_backfill_resumes_its_job_and_writes_one_risk_assessment_per_patient_once(self):
        since = instant_from_now(-2)
        patients = self.post_patients(PATIENTS)
        self.assertEqual(sum(len(r) for r in self.risk_assessments(patients).values()), 0,
                         "something analysed the patients before the backfill")
        started = time.monotonic()

        # Interrupted right after the kick-off: the job's status URL is in the state store.
        status, err = self.export(since, until_line="backfill: export job ")
        self.assertEqual(status, -signal.SIGKILL, err)
        self.assertIn("backfill: export job http", err)

        status, err = self.export(since)
        self.assertEqual(status, 0, err)
        self.assertIn("backfill: resuming export job", err)
        self.assertIn("backfill: export complete", err)
        self.assertNotIn("backfill: export kick-off", err)
        first_ids = self.assert_one_risk_assessment_each(patients, err)
        self.assertEqual(len(first_ids), PATIENTS)
        first_duration = time.monotonic() - started

        # Again, with a new export job (the first was finished with): every patient analysed again, nothing new.
        status, err = self.export(since)
        self.assertEqual(status, 0, err)
        self.assertIn("backfill: export kick-off", err)
        again = self.risk_assessments(patients)
        self.assertEqual(sorted(r for risks in again.values() for r in risks), first_ids)
        print(f"\n[export backfill] {PATIENTS} patients: interrupted run + resumed run "
              f"{first_duration:.1f} s; {err.strip().splitlines()[-1]}")


    def test_a_file_the_server_fails_once_is_downloaded_again(self):
        since = instant_from_now(-2)
        patients = self.post_patients(20)
        # The first read of an export file (HAPI serves them as Binary resources) is answered 500.
        proxy = self.through_proxy(lambda method, path: method == "GET" and "/Binary/" in path)
        status, err = self.export(since)
        self.assertEqual(status, 0, err)
        self.assertEqual(len(proxy.failed), 1, "the proxy failed no download: the test tested nothing")
        self.assertRegex(err, r"backfill: export file 1/\d+: [^\n]*HTTP 500 [^\n]*; reading it again in 200 ms "
                              r"\(retry 1 of 3\)")
        self.assertIn("backfill: export complete", err)
        self.assertEqual(len(self.assert_one_risk_assessment_each(patients, err)), 20)

if __name__ == "__main__":
    unittest.main()
