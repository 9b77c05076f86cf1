"""Trends reach back as far as the history (issue 11, item 4): a ratio whose results hold no earlier value is
compared with the gateway's own latest derived Observation of its code from before the lookback, which one search
finds on HAPI (`code=<gradient system>|<code>,...&date=lt<since>&_sort=-date`); the trend cites it."""
import datetime
import unittest
import uuid

from harness import Fhir, Gateway, created_references, wait_until
from test_faults import panel_bundle, result_entry, risk_assessments, settled


def trend_components(observation):
    return {c["code"]["coding"][0]["code"]: c["valueQuantity"]["value"]
            for c in observation.get("component", []) if c["code"]["coding"][0]["code"].startswith("trend-")}


def ratios(fhir, patient):
    return [o for o in fhir.derived(patient) if o["code"]["coding"][0]["code"] == "cortisol-dheas-ratio"]


def pair_bundle(patient, cortisol, dheas, day):
    """A cortisol/DHEA-S pair (ug/dL) of an existing patient, drawn on `day` (a date) at 08:00 and 08:30."""
    tag = uuid.uuid4().hex[:10]
    entries = [result_entry(patient, f"{tag}-{code}", code, value, f"{day.isoformat()}T08:{minute}:00+01:00")
               for code, value, minute in (("2143-6", cortisol, "00"), ("2191-5", dheas, "30"))]
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


class HistoryTrend(unittest.TestCase):
    def test_a_new_pair_is_compared_with_the_ratio_written_two_years_earlier(self):
        fhir = Fhir()
        # 2024: a pair (12.0 and 180 ug/dL) analysed by a gateway whose lookback reaches it.
        gateway = Gateway()
        try:
            _, bundle = panel_bundle(pairs=1)
            for entry in bundle["entry"][1:]:
                when = entry["resource"]["effectiveDateTime"]
                entry["resource"]["effectiveDateTime"] = "2024" + when[4:]
            patient = created_references(fhir.transaction(bundle))[0]
            earlier = wait_until(lambda: f"the 2024 ratio of {patient}; log:\n" + gateway.log_tail(),
                                 lambda: ratios(fhir, patient))
            wait_until(lambda: "the queue drained", lambda: settled(gateway))
        finally:
            gateway.stop(keep=True)
        self.assertEqual(len(earlier), 1)
        earlier = earlier[0]
        self.assertEqual(trend_components(earlier), {}, "one pair: nothing to compare with")

        # Now: the same gateway restarted with a lookback of 30 days sees only the new pair (cortisol doubled) in the
        # results. Its state keeps the 2024 results' events, so its catch-up search (which reaches back
        # reconcile_overlap_s) finds them as duplicates and does not read them into the context as notified results.
        gateway = Gateway(state_from=gateway, port=gateway.port, lookback_days=30)
        try:
            yesterday = datetime.date.today() - datetime.timedelta(days=1)
            fhir.transaction(pair_bundle(patient, 24.0, 180.0, yesterday))

            def with_trend():
                return [o for o in ratios(fhir, patient) if trend_components(o)] or None

            now = wait_until(lambda: f"a ratio with a trend for {patient}; log:\n" + gateway.log_tail(),
                             with_trend)
            wait_until(lambda: "the queue drained", lambda: settled(gateway))
            self.assertEqual(len(now), 1)
            trend = trend_components(now[0])
            print(f"\n  2024 ratio {earlier['valueQuantity']['value']:.4g} (Observation/{earlier['id']}), "
                  f"now {now[0]['valueQuantity']['value']:.4g}: trend {trend}", flush=True)
            self.assertAlmostEqual(trend["trend-previous-value"], earlier["valueQuantity"]["value"], places=6)
            self.assertAlmostEqual(trend["trend-change-percent"], 100.0, places=3)
            # The gateway writes the version (.../_history/N); HAPI keeps or strips it by its own settings.
            cited = [r["reference"] for r in now[0]["derivedFrom"]
                     if r["reference"].split("/_history/")[0] == f"Observation/{earlier['id']}"]
            self.assertEqual(len(cited), 1, f"the 2024 ratio is cited: {now[0]['derivedFrom']}")
            self.assertEqual(len(risk_assessments(fhir, patient)), 2, "one per analysis: 2024's and today's")
        finally:
            gateway.stop()


if __name__ == "__main__":
    unittest.main()
