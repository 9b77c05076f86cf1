"""The state database's operator tools on a running gateway: `state backup` copies the live file into a database of
its own, and a dead event (the FHIR server answered 500 and max_attempts ran out) is re-driven to done by
`events retry` and by POST /admin/events/retry once the server answers again (issue 11, items 5 and 6)."""
import contextlib
import http.server
import json
import os
import sqlite3
import stat
import subprocess
import threading
import time
import unittest

from harness import BINARY, Fhir, Gateway, created_references, free_port, wait_until
from test_walking_skeleton import SITE_RULES, patient_bundle

# Every event here settles within a few pipeline passes (one claim a second).
SETTLE_WAIT_S = 30


class FailingFhirServer:
    """A FHIR base that is up (GET metadata answers, so the gateway is ready) but fails every other request with
    500, which counts as a processing attempt: with pipeline.max_attempts 1 the first one makes an event dead."""

    def __init__(self):
        class Handler(http.server.BaseHTTPRequestHandler):
            def answer(self):
                if self.command == "GET" and self.path.split("?")[0].endswith("/metadata"):
                    status, body = 200, {"resourceType": "CapabilityStatement", "status": "active",
                                         "kind": "instance", "fhirVersion": "4.0.1", "format": ["json"]}
                else:
                    status, body = 500, {"resourceType": "OperationOutcome", "issue": [
                        {"severity": "error", "code": "exception", "diagnostics": "test server fails"}]}
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/fhir+json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = answer

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}/fhir"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@contextlib.contextmanager
def environment(**values):
    """Configuration overrides (GRADIENT_GATEWAY_<SECTION>_<KEY>) for the gateway started inside."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def command(*words):
    return subprocess.run([BINARY, *words], capture_output=True, text=True, timeout=60)


def state_of(gateway, reference):
    kind, oid = reference.split("/")
    events = gateway.events(kind, oid)
    return events[-1] if events else None


class StateMaintenance(unittest.TestCase):
    def test_backup_of_a_running_gateway_and_redrive_of_dead_events(self):
        fhir = Fhir()
        _, bundle = patient_bundle()
        _, cortisol, dheas = created_references(fhir.transaction(bundle))
        failing = FailingFhirServer()
        try:
            with environment(GRADIENT_GATEWAY_FHIR_BASE_URL=failing.base, GRADIENT_GATEWAY_PIPELINE_MAX_ATTEMPTS="1"):
                first = Gateway(rules_override=SITE_RULES, manage_subscription=False)
        except BaseException:
            failing.close()
            raise
        config = str(first.dir / "gateway.yaml")
        try:
            # The cortisol first; the DHEA-S in a later second, so that --since can tell them apart.
            self.assertEqual(first.notify("PUT", f"/{cortisol}", fhir.get(cortisol)).status, 200)
            cortisol_event = wait_until(lambda: f"{cortisol} dead; log:\n{first.log_tail()}",
                                        lambda: (e := state_of(first, cortisol)) and e["state"] == "dead" and e)
            wait_until(lambda: "a new second", lambda: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
                       > cortisol_event["receivedAt"], timeout=5, interval=0.1)
            self.assertEqual(first.notify("PUT", f"/{dheas}", fhir.get(dheas)).status, 200)
            dheas_event = wait_until(lambda: f"{dheas} dead; log:\n{first.log_tail()}",
                                     lambda: (e := state_of(first, dheas)) and e["state"] == "dead" and e)
            self.assertEqual(dheas_event["attempts"], 1)

            # The state file is the gateway's alone; a backup taken while it runs is a database of its own.
            self.assertEqual(stat.S_IMODE(os.stat(first.dir / "state.db").st_mode), 0o600)
            backup = first.dir / "backup.db"
            made = command("state", "backup", str(backup), "--config", config)
            self.assertEqual(made.returncode, 0, made.stderr)
            self.assertEqual(stat.S_IMODE(os.stat(backup).st_mode), 0o600)
            with contextlib.closing(sqlite3.connect(backup)) as copy:
                self.assertEqual(copy.execute("PRAGMA integrity_check").fetchone()[0], "ok")
                states = dict(copy.execute("SELECT resource_id, state FROM event WHERE resource_id IN (?, ?)",
                                           (cortisol.split("/")[1], dheas.split("/")[1])).fetchall())
            self.assertEqual(states, {cortisol.split("/")[1]: "dead", dheas.split("/")[1]: "dead"})
            again = command("state", "backup", str(backup), "--config", config)
            self.assertEqual(again.returncode, 2, "an existing backup is not overwritten without --force")
        finally:
            failing.close()
            first.stop(keep=True)

        # The catch-up search would find both results again and revive them by itself (a dead event seen again
        # is pending again); move its cursor past them so that here only the re-drives bring them back.
        with contextlib.closing(sqlite3.connect(first.dir / "state.db")) as db:
            db.execute("UPDATE cursor SET value = '2999-01-01T00:00:00Z'")
            db.commit()

        second = Gateway(rules_override=SITE_RULES, manage_subscription=False, state_from=first)
        try:
            # The command line, beside the running service: only the DHEA-S was received since.
            redriven = command("events", "retry", "--since", dheas_event["receivedAt"], "--config", config)
            self.assertEqual(redriven.returncode, 0, redriven.stderr)
            self.assertIn("re-drove 1 dead event", redriven.stdout)
            wait_until(lambda: f"{dheas} done; log:\n{second.log_tail()}",
                       lambda: state_of(second, dheas)["state"] == "done", timeout=SETTLE_WAIT_S)
            self.assertEqual(state_of(second, cortisol)["state"], "dead")

            bad = second.admin("POST", "/admin/events/retry?since=yesterday")
            self.assertEqual(bad.status, 400)
            self.assertEqual(bad.json()["resourceType"], "OperationOutcome")
            self.assertEqual(state_of(second, cortisol)["state"], "dead")

            answer = second.admin("POST", "/admin/events/retry", {"failed": True})
            self.assertEqual(answer.status, 200, answer.body)
            self.assertEqual(answer.json(), {"redriven": 1})
            wait_until(lambda: f"{cortisol} done; log:\n{second.log_tail()}",
                       lambda: state_of(second, cortisol)["state"] == "done", timeout=SETTLE_WAIT_S)
            self.assertEqual(second.metric("gradient_gateway_events_redriven_total"), 1)
        finally:
            second.stop()


if __name__ == "__main__":
    unittest.main()
