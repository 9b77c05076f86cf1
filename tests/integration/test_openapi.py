"""The HTTP API as docs/openapi.yaml describes it, fuzzed by schemathesis against a running gateway (issue 13,
item 8): no 5xx, every response's status, content type, headers and body as the file says (so every error is an
OperationOutcome where the file says so). The alert subscriptions' paths come from docs/alerts-openapi.yaml by
reference. Left out: /alerts/stream (an event stream that does not end) and the CDS Hooks service (off here; its
JWTs are fuzzed by test_cds_hooks and the unit tests).

The pages (/ui) are fuzzed with the admin token as every admin path is (a bearer token; HTTP Basic is the same
token). Two patients are put on HAPI first, and their ids are the examples of the patient view's id, so that its 200
is checked against its schema with real data: tests/data/patients/full-panel.json (a saliva day curve with its
cosinor and awakening response, HOMA-IR against its target) and test_dose_timing's patient (a dose curve under
hydrocortisone, results timed after medications). Redirects are not followed (openapi_hooks.py)."""
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import unittest

import yaml

import test_dose_timing
from harness import REPO, Fhir, Gateway, created_references
from test_gradients import panel_transaction

HERE = pathlib.Path(__file__).resolve().parent

# Examples per operation: enough to reach every documented status, few enough for a CI minute.
MAX_EXAMPLES = 40


def bundled_api(directory, patient_ids=()):
    """docs/openapi.yaml as one file: the alert paths it takes from docs/alerts-openapi.yaml by reference put in
    place, with that file's components renamed Alerts* (schemathesis resolves a reference inside another file
    against the first one), and patient_ids as the examples of the pages' patient id. Returns the bundled file's
    path."""
    main = yaml.safe_load((REPO / "docs/openapi.yaml").read_text())
    if patient_ids:
        main["components"]["parameters"]["PatientId"]["schema"]["examples"] = list(patient_ids)
    alerts = yaml.safe_load((REPO / "docs/alerts-openapi.yaml").read_text())

    def renamed(node):
        if isinstance(node, dict):
            return {key: (re.sub(r"^#/components/(\w+)/", r"#/components/\1/Alerts", value)
                          if key == "$ref" and isinstance(value, str) else renamed(value))
                    for key, value in node.items()}
        if isinstance(node, list):
            return [renamed(item) for item in node]
        return node

    alerts = renamed(alerts)
    for kind, items in alerts["components"].items():
        main["components"].setdefault(kind, {}).update({"Alerts" + name: item for name, item in items.items()})
    for path, item in main["paths"].items():
        if set(item) == {"$ref"} and item["$ref"].startswith("alerts-openapi.yaml#"):
            main["paths"][path] = alerts["paths"][path]
    # The alert paths name the admin token scheme of their own file.
    bundled = pathlib.Path(directory) / "openapi-bundled.json"
    bundled.write_text(json.dumps(main).replace('"AlertsadminToken"', '"adminToken"'))
    return bundled


def schemathesis(spec, gateway, *excluded):
    """schemathesis over one OpenAPI file against the gateway: (exit status, its output, its summary line)."""
    command = [sys.executable, "-m", "schemathesis.cli", "run", str(spec), "--base-url", gateway.url,
               "--checks", "all", "--experimental", "openapi-3.1",
               "--hypothesis-max-examples", str(MAX_EXAMPLES), "--hypothesis-seed", "13",
               "--hypothesis-derandomize", "--generation-allow-x00", "false",
               "-H", f"Authorization: Bearer {gateway.ADMIN_TOKEN}", "-H", f"X-Gradient-Secret: {gateway.SECRET}",
               "--no-color", "--show-trace"]
    for pattern in excluded:
        command += ["--exclude-path-regex", pattern]
    environment = dict(os.environ, SCHEMATHESIS_HOOKS="openapi_hooks",
                       PYTHONPATH=os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")])))
    run = subprocess.run(command, capture_output=True, text=True, timeout=900, env=environment)
    output = run.stdout + run.stderr
    summary = [line for line in output.splitlines() if re.search(r"\b(passed|failed|errored)\b", line)]
    return run.returncode, output, summary[-1].strip("= ") if summary else "no summary"


class OpenApiFuzz(unittest.TestCase):
    def test_schemathesis_finds_no_failure(self):
        # The FHIR server is asked for the patient views only: what the notifications store is only retried. No
        # limit on failed authentication: schemathesis also sends requests without the credentials, all from one
        # address.
        fhir = Fhir()
        patients = [created_references(fhir.transaction(bundle))[0].split("/")[1]
                    for bundle in (panel_transaction(), test_dose_timing.transaction())]
        gateway = Gateway(manage_subscription=False, server={"auth_failure_limit": 0})
        try:
            with tempfile.TemporaryDirectory() as directory:
                status, output, summary = schemathesis(bundled_api(directory, patients), gateway,
                                                       "^/(alerts/stream|cds-services)")
            requests = gateway.metric("gradient_gateway_http_requests_total")
            print(f"\n  schemathesis docs/openapi.yaml: {summary}; the gateway answered {requests:.0f} requests",
                  flush=True)
            self.assertEqual(status, 0, output[-8000:])
        finally:
            gateway.stop()


if __name__ == "__main__":
    unittest.main()
