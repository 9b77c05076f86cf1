"""What the backfill integration tests share (test_export_backfill.py, test_search_backfill.py): a gateway
configuration in a temporary directory, patients posted while no gateway runs, the backfill command run to its end
or killed at a line of its output, and what it left in HAPI and in its state store."""
import datetime
import http.client
import os
import pathlib
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.parse
import uuid

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from harness import BINARY, HAPI_BASE, REPO, Fhir, created_references, lab_entry, patient_entry

DRAWN = "2026-01-15T08:00:00Z"
RUN_TIMEOUT_S = 150


def instant_from_now(seconds):
    """A FHIR instant, to the second, this many seconds from now: a backfill --since a little before a test posts
    finds what it posts, not what other tests left on the shared HAPI."""
    return (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=seconds)).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


class FailingOnceProxy:
    """Forwards every request to HAPI as it came (the Host header too, so the links HAPI writes, next pages, export
    status and files, name the proxy), except the first for which fails(method, path) is true: that one is
    answered 500 with an OperationOutcome, as a server's passing fault would be.

    hold_writes() makes it a server that takes no writes until told how many: a test lets a backfill settle
    exactly the pages it chooses before killing it, however fast the machine (see there)."""

    HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"}

    @staticmethod
    def outcome(code, diagnostics):
        """An OperationOutcome of one error, as the proxy's own answers carry."""
        return ('{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"%s","diagnostics":"%s"}]}'
                % (code, diagnostics)).encode()

    def __init__(self, hapi_base, fails):
        target = urllib.parse.urlsplit(hapi_base)
        failed = self.failed = []
        # The writes (any method but GET) that may still be forwarded: None, all of them; 0, each waits.
        allowed = self.allowed = {"writes": None, "releases": 0}
        changed = self.changed = threading.Condition()
        hop_by_hop = self.HOP_BY_HOP
        outcome = self.outcome

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def forward(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                write = self.command != "GET"
                dropped = False  # a held write whose run was killed
                with changed:
                    fail = not failed and fails(self.command, self.path)
                    if fail:
                        failed.append(self.path)
                    if write and not fail:
                        releases = allowed["releases"]
                        changed.wait_for(lambda: allowed["writes"] != 0 or allowed["releases"] != releases,
                                         RUN_TIMEOUT_S)
                        dropped = allowed["releases"] != releases or allowed["writes"] == 0
                        if not dropped and allowed["writes"] is not None:
                            allowed["writes"] -= 1
                if dropped:
                    try:
                        return self.answer(503, [("Content-Type", "application/fhir+json")],
                                           outcome("transient", "held by the test proxy"))
                    except OSError:
                        return None  # the client was killed while its write was held
                if fail:
                    return self.answer(500, [("Content-Type", "application/fhir+json")],
                                       outcome("exception", "injected by the test proxy"))
                connection = http.client.HTTPConnection(target.hostname, target.port, timeout=60)
                try:
                    headers = {k: v for k, v in self.headers.items() if k.lower() not in hop_by_hop}
                    connection.request(self.command, self.path, body=body or None, headers=headers)
                    response = connection.getresponse()
                    answer = response.read()
                    if write and not 200 <= response.status < 300:
                        with changed:  # a write HAPI refused will be tried again: it takes no allowance
                            if allowed["writes"] is not None:
                                allowed["writes"] += 1
                                changed.notify_all()
                    self.answer(response.status, response.getheaders(), answer)
                finally:
                    connection.close()

            def answer(self, status, headers, body):
                self.send_response(status)
                for name, value in headers:
                    if name.lower() not in hop_by_hop and name.lower() != "content-length":
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = forward

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}{target.path}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def hold_writes(self):
        """From now on every write (any method but GET) waits, unanswered, until allow_writes or release."""
        with self.changed:
            self.allowed["writes"] = 0

    def allow_writes(self, count):
        """Lets count more writes through to HAPI (a write HAPI refuses does not count)."""
        with self.changed:
            self.allowed["writes"] += count
            self.changed.notify_all()

    def release(self):
        """Answers the writes still waiting 503 (their run was killed); later writes are forwarded again."""
        with self.changed:
            self.allowed["releases"] += 1
            self.allowed["writes"] = None
            self.changed.notify_all()

    def close(self):
        self.release()
        self.server.shutdown()
        self.server.server_close()


class BackfillCase(unittest.TestCase):
    PER_TRANSACTION = 10

    def setUp(self):
        self.fhir = Fhir()
        self.tag = "bf-" + uuid.uuid4().hex[:12]
        self.dir = pathlib.Path(tempfile.mkdtemp(prefix="gg-backfill-"))
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

    def through_proxy(self, fails):
        """Points this test's gateway at a FailingOnceProxy in front of HAPI; returns the proxy."""
        proxy = FailingOnceProxy(HAPI_BASE, fails)
        self.addCleanup(proxy.close)
        config = self.dir / "gateway.yaml"
        config.write_text(config.read_text().replace(f"base_url: {HAPI_BASE}", f"base_url: {proxy.base}"))
        return proxy

    def post_patients(self, count):
        """count patients, each with a glucose and an insulin result (HOMA-IR: one RiskAssessment each),
        PER_TRANSACTION per transaction. Returns their "Patient/id" references."""
        patients = []
        for first in range(0, count, self.PER_TRANSACTION):
            entries = []
            for n in range(first, min(count, first + self.PER_TRANSACTION)):
                patient_url = f"urn:uuid:{uuid.uuid4()}"
                tag = f"{self.tag}-{n}"
                entries += [patient_entry(patient_url, tag, "female", "1975-06-01"),
                            lab_entry(patient_url, tag, "glucose", "1558-6", DRAWN, 5.2, "mmol/L"),
                            lab_entry(patient_url, tag, "insulin", "20448-7", DRAWN, 20, "u[IU]/mL")]
            response = self.fhir.transaction({"resourceType": "Bundle", "type": "transaction", "entry": entries})
            patients += [r for r in created_references(response) if r.startswith("Patient/")]
        self.assertEqual(len(patients), count)
        return patients

    def risk_assessments(self, patients):
        """{patient: [RiskAssessment id, ...]} for every one of patients, from HAPI."""
        found = {p: [] for p in patients}
        for first in range(0, len(patients), 50):
            subjects = ",".join(patients[first:first + 50])
            for risk in self.fhir.search(f"RiskAssessment?subject={subjects}&_count=500"):
                found[risk["subject"]["reference"]].append(risk["id"])
        return found

    def assert_one_risk_assessment_each(self, patients, err):
        """Every patient has exactly one RiskAssessment; returns their ids, sorted."""
        found = self.risk_assessments(patients)
        missing = [p for p, risks in found.items() if len(risks) != 1]
        self.assertEqual(missing, [], f"patients without exactly one RiskAssessment; backfill said:\n{err[-3000:]}")
        return sorted(r for risks in found.values() for r in risks)

    def backfill_events(self, patients):
        """{patient: [(version_id, state), ...]}: the backfill intake events of each of patients in the state
        store."""
        found = {p: [] for p in patients}
        with sqlite3.connect(self.dir / "state.db") as db:
            rows = db.execute("SELECT patient, version_id, state FROM event WHERE source = 'backfill'").fetchall()
        for patient, version, state in rows:
            if patient in found:
                found[patient].append((version, state))
        return found

    def cursor(self, name):
        """The state store cursor's text ("" when cleared), or None when there is none."""
        with sqlite3.connect(self.dir / "state.db") as db:
            row = db.execute("SELECT value FROM cursor WHERE name = ?", (name,)).fetchone()
        return None if row is None else row[0]

    def set_cursor(self, name, value):
        with sqlite3.connect(self.dir / "state.db") as db:
            db.execute("UPDATE cursor SET value = ? WHERE name = ?", (value, name))

    def backfill(self, *options, until_line=None, until=None):
        """Runs backfill with options and this test's configuration. until_line: SIGKILL it as soon as a line of
        its standard error starts so (the run is interrupted); until: the same as soon as until(line) is true for
        a line; else waits for it. Returns (exit status, standard error)."""
        command = [BINARY, "backfill", "--config", str(self.dir / "gateway.yaml"), *options]
        if until_line is not None:
            until = lambda line: line.startswith(until_line)  # noqa: E731
        if until is None:
            run = subprocess.run(command, capture_output=True, text=True, timeout=RUN_TIMEOUT_S, cwd=self.dir)
            return run.returncode, run.stderr
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                   cwd=self.dir)
        lines = []
        deadline = time.monotonic() + RUN_TIMEOUT_S
        for line in process.stderr:  # blocks on the process's output, not on a sleep
            lines.append(line)
            if until(line) or time.monotonic() > deadline:
                break
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        process.stderr.close()
        return process.returncode, "".join(lines)
