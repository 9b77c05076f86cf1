"""Backfill through a FHIR search (issue 11, item 2; docs/backfill.md): 30 patients' HOMA-IR panels (glucose and
insulin, one RiskAssessment per patient) are posted to HAPI while no gateway runs, so nothing analyses them.
`gradient-gateway backfill --search --since T1 --until T2 --search-count 10` then pages through HAPI's hormone Observations
changed from T1 to T2, 10 a page, and analyses each patient they name.

- Interrupted twice (a run stopped by --search-max-pages, then one killed while a page was being settled), the
  search resumes where it was (the cursor in the state store): every patient gets exactly one RiskAssessment,
  counted in HAPI, and exactly one intake event, all of one run version: no patient was analysed twice.
- A search HAPI has forgotten (its next-page link answers 410) is asked again from where it was, still analysing
  each patient once.
- A further run starts a new search (the cursor was cleared) and writes nothing new.
- A page that fails for a passing reason (HAPI answered a page 500 once in CI, from a fault of its JVM) is read
  again after a backoff, and the search goes on: here a proxy in front of HAPI answers the first next-page read 500.

--since and --until keep the search to what this test posted: the shared HAPI holds other tests' patients, and only
this test's patients are counted."""
import re
import signal
import unittest
import uuid

from backfill_support import BackfillCase, FailingOnceProxy, instant_from_now

PATIENTS = 30
CURSOR = "backfill.search"


class SearchBackfill(BackfillCase):
    def post_window(self):
        """Posts the patients; returns them and the instants just before and after: --since and --until keep
        the search to them (other tests' patients on the shared HAPI are not analysed by this one)."""
        since = instant_from_now(-2)
        patients = self.post_patients(PATIENTS)
        return patients, since, instant_from_now(1)

    def search(self, window, *options, until=None):
        return self.backfill("--search", "--since", window[0], "--until", window[1], "--search-count", "10",
                             *options, until=until)

    def assert_one_event_each_of_one_version(self, patients, err):
        events = self.backfill_events(patients)
        twice = {p: e for p, e in events.items() if len(e) != 1}
        self.assertEqual(twice, {}, f"patients analysed other than once; backfill said:\n{err[-3000:]}")
        self.assertEqual({e[0][1] for e in events.values()}, {"done"})
        self.assertEqual(len({e[0][0] for e in events.values()}), 1, "more than one run version")

    def test_an_interrupted_search_resumes_where_it_was_and_analyses_each_patient_once(self):
        proxy = self.through_proxy(lambda method, path: False)
        patients, *window = self.post_window()
        self.assertEqual(sum(len(r) for r in self.risk_assessments(patients).values()), 0,
                         "something analysed the patients before the backfill")

        # Stopped after 2 pages (10 patients): the cursor is kept.
        status, err = self.search(window, "--search-max-pages", "2")
        self.assertEqual(status, 0, err)
        self.assertIn("backfill: search: Observation", err)
        self.assertIn("backfill: the search has ", err)
        self.assertIn("backfill: search page 2: 10 results", err)
        self.assertIn("backfill: stopped after 2 pages", err)
        self.assertNotIn("backfill: search page 3", err)
        self.assertTrue(self.cursor(CURSOR), "no cursor kept")

        # Resumed, then killed while a page was being settled: the first page with new patients is settled, the
        # next is not (all of it). The proxy holds the run's transactions (one a patient) and lets through only
        # those of the first such page, so the second cannot be settled before the kill, however late it comes (a
        # page of results whose patients were all seen before settles at once: such a page once went by between a
        # line and its kill, on a loaded machine).
        proxy.hold_writes()
        pages = {"settled": None, "killed": None}

        def until(line):
            page = re.match(r"backfill: search page (\d+): \d+ results, (\d+) new patients", line)
            if page is None or page.group(2) == "0":
                return False
            if pages["settled"] is None:
                pages["settled"] = int(page.group(1))
                proxy.allow_writes(int(page.group(2)))
                return False
            pages["killed"] = int(page.group(1))
            return True

        status, err = self.search(window, until=until)
        proxy.release()
        self.assertEqual(status, -signal.SIGKILL, err)
        self.assertIn("backfill: resuming the search after 2 pages (20 results processed before)", err)
        self.assertNotIn("backfill: search page 1:", err)
        self.assertEqual(pages["settled"], 3, err)
        self.assertIsNotNone(pages["killed"], err)
        kept = pages["killed"] - 1  # every page before the one being settled, those without new patients too

        status, err = self.search(window)
        self.assertEqual(status, 0, err)
        self.assertIn(f"backfill: resuming the search after {kept} pages ({kept * 10} results processed before)", err)
        # No page failed, so none is read twice (GCC 12 once ran the retry of a read that had succeeded).
        self.assertNotIn("reading it again", err)
        self.assertNotIn("backfill: search: Observation", err)
        self.assertEqual(self.cursor(CURSOR), "", "the cursor of a completed search is not cleared")
        first_ids = self.assert_one_risk_assessment_each(patients, err)
        self.assertEqual(len(first_ids), PATIENTS)
        self.assert_one_event_each_of_one_version(patients, err)

        # Again: a new search (the cursor was cleared), every patient analysed again under a new version, nothing
        # new written.
        status, err = self.search(window)
        self.assertEqual(status, 0, err)
        self.assertIn("backfill: search: Observation", err)
        again = self.risk_assessments(patients)
        self.assertEqual(sorted(r for risks in again.values() for r in risks), first_ids)
        self.assertEqual({len(e) for e in self.backfill_events(patients).values()}, {2})
        print(f"\n[search backfill] {PATIENTS} patients; {err.strip().splitlines()[-1]}")

    def test_a_search_the_server_forgot_is_asked_again_from_where_it_was(self):
        patients, *window = self.post_window()
        status, err = self.search(window, "--search-max-pages", "2")
        self.assertEqual(status, 0, err)

        # HAPI forgets searches (expireSearchResultsAfterMillis): an unknown search id is what it answers 410 to.
        cursor = self.cursor(CURSOR)
        forgotten, replaced = re.subn(r"_getpages=[^&\n]+", f"_getpages={uuid.uuid4()}", cursor)
        self.assertEqual(replaced, 1, cursor)
        self.set_cursor(CURSOR, forgotten)

        status, err = self.search(window)
        self.assertEqual(status, 0, err)
        self.assertIn("backfill: search page 3 is gone from the server (the search expired); searching again from 20",
                      err)
        self.assertEqual(self.cursor(CURSOR), "")
        self.assert_one_risk_assessment_each(patients, err)
        self.assert_one_event_each_of_one_version(patients, err)


    def test_a_page_the_server_fails_once_is_read_again(self):
        patients, *window = self.post_window()
        # The first read of a next page (HAPI's _getpages links) is answered 500.
        proxy = self.through_proxy(lambda method, path: "_getpages" in path)

        status, err = self.search(window)
        self.assertEqual(status, 0, err)
        self.assertEqual(len(proxy.failed), 1, "the proxy failed no page: the test tested nothing")
        self.assertRegex(err, r"backfill: search page 2: HTTP 500 [^\n]*; reading it again in 200 ms \(retry 1 of 3\)")
        self.assertIn("backfill: search page 2: 10 results", err)
        self.assertEqual(self.cursor(CURSOR), "")
        self.assertEqual(len(self.assert_one_risk_assessment_each(patients, err)), PATIENTS)
        self.assert_one_event_each_of_one_version(patients, err)


if __name__ == "__main__":
    unittest.main()
