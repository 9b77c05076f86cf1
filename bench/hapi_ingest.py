"""HAPI ingest benchmark (issue 11): N patients' hormone panels posted to a real HAPI FHIR server while `serve` runs in
REST-hook mode; the time until every patient's RiskAssessment exists, for each pipeline.workers value, and the time
each notification spends in HAPI (commit to delivery) beside the time it spends in the gateway (intake to settled).

Run with the project's test venv (scripts/bench-ingest does): bench/hapi_ingest.py [--patients N] [--workers-list 4,1]
See bench/README.md. A benchmark: never run by the test suite, and it asserts nothing but completeness.
"""
import argparse
import concurrent.futures
import copy
import datetime
import json
import math
import pathlib
import random
import re
import sqlite3
import subprocess
import sys
import time
import urllib.parse

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests/integration"))
from harness import Fhir, Gateway, http, wait_until  # noqa: E402  (the integration harness: Gateway, HTTP, waits)

# The shared full hormone panel of the integration tests (23 Observations: 14 serum results, an 8-point saliva
# cortisol day series with a late-night cortisone): analysed, it gives every gradient and one RiskAssessment.
PANEL = REPO / "tests/data/patients/full-panel.json"
POLL_S = 1.0  # completion poll interval (a poll, not synchronisation: every wait has a deadline)


def parse_instant(text):
    """An ISO 8601 instant (HAPI's lastModified/lastUpdated, the gateway's received_at) as epoch seconds."""
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def percentile(values, q):
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def patient_bundles(count, seed):
    """count transaction Bundles, one per patient, from the panel with every value scaled by a seeded factor in
    0.8-1.25 and a seeded birth year: deterministic for a seed, and the identifiers (bench-{seed}-{i}) name the run."""
    panel = json.loads(PANEL.read_text())
    bundles = []
    for i in range(count):
        rng = random.Random(f"{seed}-{i}")
        tag = f"bench-{seed}-{i}"
        patient_url = f"urn:uuid:00000000-0000-4000-8000-{seed % 10**4:04d}{i:08d}"
        entries = []
        for entry in panel["entry"]:
            resource = copy.deepcopy(entry["resource"])
            resource.pop("meta", None)
            old_id = resource.pop("id")
            if resource["resourceType"] == "Patient":
                resource["identifier"] = [{"system": "urn:bench:mrn", "value": tag}]
                resource["birthDate"] = f"{rng.randint(1950, 2000)}-05-12"
                entries.append({"fullUrl": patient_url, "resource": resource,
                                "request": {"method": "POST", "url": "Patient"}})
            else:
                resource["subject"] = {"reference": patient_url}
                resource["identifier"] = [{"system": "urn:bench:lab", "value": f"{tag}-{old_id}"}]
                quantity = resource["valueQuantity"]
                quantity["value"] = round(quantity["value"] * rng.uniform(0.8, 1.25), 3)
                entries.append({"resource": resource, "request": {"method": "POST", "url": "Observation"}})
        bundles.append({"resourceType": "Bundle", "type": "transaction", "entry": entries})
    return bundles


def post_all(base, bundles, clients):
    """Posts every Bundle from `clients` threads. Returns {patient reference: {observation reference: (HAPI's
    lastModified, LOINC code)}} and the wall time the posting took."""
    def post(bundle):
        result = http("POST", base, bundle, timeout=300)
        if result.status != 200:
            raise RuntimeError(f"transaction: {result.status} {result.body[:500]}")
        # A transaction response's entries follow the request's (FHIR R4 http.html#transaction-response).
        created = [(e["response"]["location"].split("/_history")[0], e["response"]["lastModified"])
                   for e in result.json()["entry"]]
        codes = [e["resource"].get("code", {}).get("coding", [{}])[0].get("code") for e in bundle["entry"]]
        return created[0][0], {ref: (last, code) for (ref, last), code in zip(created[1:], codes[1:])}

    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        posted = dict(pool.map(post, bundles))
    return posted, time.monotonic() - start


def count(fhir, query):
    return fhir.get(f"{query}&_summary=count" if "?" in query else f"{query}?_summary=count")["total"]


def subjects_with_risk(fhir, since):
    """The subjects of the RiskAssessments last updated since `since` (ISO), one entry per RiskAssessment."""
    found = fhir.search(f"RiskAssessment?_lastUpdated=ge{since}&_elements=subject&_count=1000")
    return [r["subject"]["reference"] for r in found]


def criteria_codes(gateway):
    """The LOINC codes of the gateway's Subscription: the Observations HAPI notifies it of."""
    subscription = Fhir(gateway.fhir_base).search(f"Subscription?url={gateway.url}/notify")[0]
    query = urllib.parse.parse_qs(subscription["criteria"].split("?", 1)[1])["code"][0]
    return {token.split("|")[1] for token in query.split(",")}


def recorded_in_log(gateway):
    """{'Observation/id': epoch seconds} of each event.recorded line: intake time to the millisecond (the state file's
    received_at is to the second)."""
    recorded = {}
    for record in gateway.log_records("event.recorded"):
        recorded.setdefault(f"{record['type']}/{record['id']}", parse_instant(record["time"]))
    return recorded


def histogram_quantiles(metrics_text, name, label, quantiles=(0.5, 0.99)):
    """Quantiles of a Prometheus histogram per value of `label`, interpolated linearly inside the bucket as PromQL's
    histogram_quantile does. {} when the metric is absent."""
    buckets = {}
    pattern = re.compile(rf'^{name}_bucket{{(.*)}} (\S+)$')
    for line in metrics_text.splitlines():
        match = pattern.match(line)
        if not match:
            continue
        labels = dict(re.findall(r'(\w+)="([^"]*)"', match[1]))
        le = float("inf") if labels["le"] == "+Inf" else float(labels["le"])
        buckets.setdefault(labels.get(label, ""), []).append((le, float(match[2])))
    result = {}
    for part, cumulative in buckets.items():
        cumulative.sort()
        total = cumulative[-1][1]
        estimates = {}
        for q in quantiles:
            rank, lower_le, lower_count = q * total, 0.0, 0.0
            for le, seen in cumulative:
                if seen >= rank:
                    if le == float("inf"):
                        estimates[f"p{round(q * 100)}"] = f">{lower_le:g}"  # above the highest finite bound
                    else:
                        share = (rank - lower_count) / (seen - lower_count) if seen > lower_count else 1.0
                        estimates[f"p{round(q * 100)}"] = float(f"{lower_le + (le - lower_le) * share:.4g}")
                    break
                lower_le, lower_count = le, seen
        result[part] = dict(estimates, count=int(total))
    return result


def run_once(fhir, base, workers, patients, seed, clients, timeout_s):
    """One load: a fresh gateway with `workers`, `patients` new patients. Returns the run's figures."""
    bundles = patient_bundles(patients, seed)
    gateway = Gateway(fhir_base=base, pipeline={"workers": workers})
    try:
        notified_codes = criteria_codes(gateway)
        baseline = count(fhir, "RiskAssessment")
        since = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")[:-4] + "Z"
        start = time.monotonic()
        posted, post_s = post_all(base, bundles, clients)
        expected = set(posted)
        observations = {ref: last for obs in posted.values() for ref, (last, _) in obs.items()}
        notified = {ref for obs in posted.values() for ref, (_, code) in obs.items() if code in notified_codes}

        def every_risk_assessment():
            if count(fhir, "RiskAssessment") - baseline < len(expected):
                return None
            return expected <= set(subjects_with_risk(fhir, since))

        wait_until(lambda: f"{len(expected)} RiskAssessments; gateway log:\n{gateway.log_tail()}",
                   every_risk_assessment, timeout=timeout_s, interval=POLL_S)
        all_risk_s = time.monotonic() - start
        risks = subjects_with_risk(fhir, since)
        duplicates = len(risks) - len(set(risks))

        # Every notified Observation's event settled (the last ones may be re-analyses after the RiskAssessment).
        state = sqlite3.connect(f"file:{gateway.dir / 'state.db'}?mode=ro", uri=True)

        def settled_events():
            rows = state.execute("SELECT resource_type || '/' || resource_id, source, received_at, settled_at, state "
                                 "FROM event WHERE resource_type = 'Observation'").fetchall()
            mine = {row[0]: row for row in rows if row[0] in notified}
            return mine if len(mine) == len(notified) and all(r[4] != "pending" for r in mine.values()) else None

        events = wait_until(lambda: f"every event settled; gateway log:\n{gateway.log_tail()}", settled_events,
                            timeout=timeout_s, interval=POLL_S)
        state.close()
        metrics = gateway.admin("GET", "/metrics").body
        recorded = recorded_in_log(gateway)
    finally:
        gateway.stop()

    hook = [row for row in events.values() if row[1] == "rest-hook"]
    # HAPI's part: from the commit (lastModified) to the gateway's intake (its log line, to the millisecond).
    hapi = [recorded[ref] - parse_instant(observations[ref]) for ref, *_ in hook if ref in recorded]
    # The gateway's part: intake to settled, from the state file (both columns to the second).
    own = [parse_instant(settled) - parse_instant(received) for _, _, received, settled, _ in hook]
    sources = {}
    for row in events.values():
        sources[row[1]] = sources.get(row[1], 0) + 1
    # Per analysis, the FHIR server's part and the gateway's own (empty from a gateway built before the metric).
    analysis = histogram_quantiles(metrics, "gradient_gateway_analysis_seconds", "part")
    return {
        "workers": workers, "seed": seed, "patients": len(expected), "observations": len(observations),
        "notified_observations": len(notified), "events_by_source": sources,
        "events_not_done": sum(1 for row in events.values() if row[4] != "done"),
        "post_s": round(post_s, 1), "all_risk_assessments_s": round(all_risk_s, 1),
        "patients_per_s": round(len(expected) / all_risk_s, 2), "duplicate_risk_assessments": duplicates,
        "hapi_delivery_s": summary(hapi), "gateway_s": summary(own), "analysis_seconds_metric": analysis,
    }


def summary(values):
    if not values:
        return {"count": 0}
    return {"count": len(values), "p50": round(percentile(values, 50), 3), "p99": round(percentile(values, 99), 3),
            "max": round(max(values), 3)}


def start_hapi(port):
    subprocess.run([str(REPO / "deploy/hapi-local/run"), "--port", str(port), "--log", f"/tmp/hapi-{port}.log"],
                   check=True)
    return f"http://127.0.0.1:{port}/fhir"


def print_table(report):
    runs = report["runs"]
    print(f"\n{'workers':>7} {'patients':>8} {'post s':>7} {'all RA s':>9} {'pat/s':>7} {'x ref':>6}   "
          f"{'HAPI p50/p99 s':>15}   {'gateway p50/p99 s':>18}   {'gw/HAPI p50':>11}")
    for run in runs:
        hapi, own = run["hapi_delivery_s"], run["gateway_s"]
        ratio = own["p50"] / hapi["p50"] if hapi.get("p50") else float("nan")
        print(f"{run['workers']:>7} {run['patients']:>8} {run['post_s']:>7} {run['all_risk_assessments_s']:>9} "
              f"{run['patients_per_s']:>7} {run['throughput_x_ref']:>6}   "
              f"{hapi.get('p50', '-'):>7}/{hapi.get('p99', '-'):<7}   "
              f"{own.get('p50', '-'):>8}/{own.get('p99', '-'):<9}   {ratio:>11.2f}")
        parts = run["analysis_seconds_metric"]
        for part, figures in parts.items():
            print(f"{'':>7} analysis_seconds part={part}: p50 {figures.get('p50')} s, p99 {figures.get('p99')} s "
                  f"({figures['count']} analyses of {run['patients']} patients)")
        own_p50, fhir_p50 = parts.get("gateway", {}).get("p50"), parts.get("fhir", {}).get("p50")
        if isinstance(own_p50, float) and isinstance(fhir_p50, float):
            print(f"{'':>7} gateway / fhir p50 per analysis: {own_p50 / fhir_p50:.2g}")
    if not any(run["analysis_seconds_metric"] for run in runs):
        print("gradient_gateway_analysis_seconds: not in this gateway's /metrics (a build from before the metric)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--workers-list", default="4,1", help="pipeline.workers of each run, in order (default 4,1)")
    parser.add_argument("--repeats", type=int, default=1, help="rounds of the whole workers list (alternating)")
    parser.add_argument("--clients", type=int, default=4, help="threads posting transactions (default 4)")
    parser.add_argument("--seed", type=int, default=11, help="first run's seed; each run takes the next one")
    parser.add_argument("--hapi-port", type=int, default=8091)
    parser.add_argument("--hapi-base", help="use this running FHIR server instead of starting deploy/hapi-local")
    parser.add_argument("--keep-hapi", action="store_true", help="leave the last run's HAPI running")
    parser.add_argument("--timeout", type=float, default=3600, help="deadline of each wait, seconds")
    parser.add_argument("--json", help="also write the summary to this file")
    args = parser.parse_args()
    workers_list = [int(w) for w in args.workers_list.split(",")]

    # Without --hapi-base every run gets a HAPI of its own, started empty: at 2,000 patients a run leaves about
    # 50,000 Observations and their write-back in HAPI's in-memory database, and the next run on the same server
    # found it near its heap limit (2 GB), posting and answering several times slower.
    def fresh_hapi():
        hapi_start = time.monotonic()
        base = start_hapi(args.hapi_port)
        print(f"HAPI started on port {args.hapi_port} in {time.monotonic() - hapi_start:.0f} s", file=sys.stderr)
        return base

    def stop_hapi():
        subprocess.run([str(REPO / "deploy/hapi-local/stop"), "--port", str(args.hapi_port)], check=False)

    runs, seed = [], args.seed
    base = args.hapi_base.rstrip("/") if args.hapi_base else None
    for round_number in range(args.repeats):
        for number, workers in enumerate(workers_list):
            last = number == len(workers_list) - 1 and round_number == args.repeats - 1
            run_base = base or fresh_hapi()
            try:
                print(f"run: workers={workers} patients={args.patients} seed={seed}", file=sys.stderr, flush=True)
                runs.append(run_once(Fhir(run_base), run_base, workers, args.patients, seed, args.clients,
                                     args.timeout))
                print(f"  all RiskAssessments after {runs[-1]['all_risk_assessments_s']} s", file=sys.stderr)
                # Each run's figures as soon as it ends, so a long series stopped part way keeps what it measured.
                print(f"  run: {json.dumps(runs[-1])}", file=sys.stderr, flush=True)
            finally:
                if not base and not (last and args.keep_hapi):
                    stop_hapi()
            seed += 1

    # Throughput against the slowest-configured reference: the mean time of the runs with the fewest workers.
    reference_workers = min(workers_list)
    reference = [r["all_risk_assessments_s"] for r in runs if r["workers"] == reference_workers]
    reference_s = sum(reference) / len(reference)
    for run in runs:
        run["throughput_x_ref"] = round(reference_s / run["all_risk_assessments_s"], 2)
    report = {"date": datetime.date.today().isoformat(), "hapi_base": base or f"fresh per run, port {args.hapi_port}",
              "reference_workers": reference_workers,
              "runs": runs}
    print(json.dumps(report))
    print_table(report)
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
