#!/usr/bin/env python3
"""Creates the FHIR-native alert Subscription (docs/alerts-fhir-native.md) on a FHIR R4 server and waits until the
server has activated it. Python 3 standard library only.

    deploy/fhir-native/create_subscription.py --fhir-base https://fhir.example.org/fhir \\
        --endpoint https://receiver.example.org/gradient --secret-file receiver.secret [--levels moderate,high]

It fills the placeholders of riskassessment-subscription.json (next to this script, or --template):
  {{ENDPOINT}}  the receiver's base URL; the server PUTs each RiskAssessment to {endpoint}/RiskAssessment/{id}
  {{SECRET}}    the receiver's shared secret, read from --secret-file, sent as "Authorization: Bearer <secret>"
and sets the risk levels of the criteria (--levels, default high). --exclude-retractions also leaves out
RiskAssessments the gateway retracted (status entered-in-error); the server must first hold the SearchParameter
riskassessment-status-searchparameter.json, or it refuses the Subscription. On success it prints the Subscription's
reference ("Subscription/123") and exits 0; it exits 1 when the server refuses the Subscription or sets it to
status error, and 2 on bad arguments. Nothing is sent when --dry-run is given: the filled Subscription is printed.
"""
import argparse
import ipaddress
import json
import pathlib
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

HERE = pathlib.Path(__file__).resolve().parent
TEMPLATE = HERE / "riskassessment-subscription.json"
# http://terminology.hl7.org/CodeSystem/risk-probability: the codes the gateway writes in
# RiskAssessment.prediction.qualitativeRisk (gateway/pipeline/write_back.cpp).
RISK_SYSTEM = "http://terminology.hl7.org/CodeSystem/risk-probability"
LEVELS = ("low", "moderate", "high")


def fail(message, code=2):
    print(f"create_subscription: error: {message}", file=sys.stderr)
    sys.exit(code)


def check_endpoint(endpoint):
    """https://, or http:// to a loopback address (a receiver on the FHIR server's own host, e.g. in tests)."""
    parsed = urllib.parse.urlsplit(endpoint)
    if parsed.scheme == "https" and parsed.hostname:
        return
    if parsed.scheme == "http" and parsed.hostname:
        host = parsed.hostname
        try:
            loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if loopback:
            return
    fail(f"--endpoint must be an https:// URL (http:// only to a loopback address), got {endpoint!r}")


def with_levels(criteria, levels, exclude_retractions=False):
    """The criteria with its risk parameter set to the given levels: values separated by a comma in one
    parameter are an OR, parameters are an AND (FHIR R4 Search, Combining Search Parameters:
    https://hl7.org/fhir/R4/search.html#combining). exclude_retractions adds status=final,preliminary, which needs
    the SearchParameter riskassessment-status-searchparameter.json on the server (R4 defines none for status)."""
    path, _, query = criteria.partition("?")
    params = [p for p in query.split("&") if p and not p.startswith(("risk=", "status="))]
    params.append("risk=" + ",".join(f"{RISK_SYSTEM}|{level}" for level in levels))
    if exclude_retractions:
        params.append("status=final,preliminary")
    return path + "?" + "&".join(params)


def fill(template_text, endpoint, secret, levels, exclude_retractions=False):
    """The Subscription of the template with its placeholders filled and its criteria set."""
    for name, value in (("ENDPOINT", endpoint), ("SECRET", secret)):
        # json.dumps(...)[1:-1]: the value as the inside of a JSON string, so no value can break the document.
        template_text = template_text.replace("{{" + name + "}}", json.dumps(value)[1:-1])
    subscription = json.loads(template_text)
    subscription["criteria"] = with_levels(subscription["criteria"], levels, exclude_retractions)
    subscription["reason"] = (
        f"Gradient Gateway findings at risk level {' or '.join(levels)}, delivered by this FHIR server "
        "(docs/alerts-fhir-native.md)")
    return subscription


def request(method, url, body=None, token=None):
    headers = {"Accept": "application/fhir+json"}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/fhir+json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data, headers, method=method), timeout=60) as reply:
            return reply.status, reply.read().decode(), reply.headers
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), error.headers
    except urllib.error.URLError as error:
        fail(f"{method} {url}: {error.reason}", 1)


def read_secret(path, what):
    try:
        value = pathlib.Path(path).read_text().strip()
    except OSError as error:
        fail(f"cannot read {what} {path}: {error.strerror}")
    if not value or any(c in value for c in "\r\n"):
        fail(f"{what} {path} must hold one non-empty line")
    return value


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fhir-base", required=True, help="the FHIR server's base URL, e.g. https://host/fhir")
    parser.add_argument("--endpoint", required=True, help="the receiver's base URL")
    parser.add_argument("--secret-file", required=True, help="file holding the receiver's shared secret")
    parser.add_argument("--levels", default="high", help="comma-separated risk levels (low, moderate, high)")
    parser.add_argument("--exclude-retractions", action="store_true",
                        help="leave out entered-in-error RiskAssessments (needs the status SearchParameter on the "
                             "server: riskassessment-status-searchparameter.json)")
    parser.add_argument("--fhir-token-file", help="file holding a bearer token for the FHIR server itself")
    parser.add_argument("--template", default=str(TEMPLATE), help="the Subscription template")
    parser.add_argument("--wait", type=float, default=90,
                        help="seconds to wait for status active (0: do not wait; default 90)")
    parser.add_argument("--dry-run", action="store_true", help="print the filled Subscription, send nothing")
    args = parser.parse_args()

    check_endpoint(args.endpoint)
    levels = [level.strip() for level in args.levels.split(",") if level.strip()]
    unknown = [level for level in levels if level not in LEVELS]
    if not levels or unknown:
        fail(f"--levels takes a comma-separated list of {', '.join(LEVELS)}, got {args.levels!r}")
    secret = read_secret(args.secret_file, "--secret-file")
    token = read_secret(args.fhir_token_file, "--fhir-token-file") if args.fhir_token_file else None
    subscription = fill(pathlib.Path(args.template).read_text(), args.endpoint.rstrip("/"), secret, levels,
                        args.exclude_retractions)
    if args.dry_run:
        print(json.dumps(subscription, indent=2))
        return

    base = args.fhir_base.rstrip("/")
    status, body, headers = request("POST", f"{base}/Subscription", subscription, token)
    if status not in (200, 201):
        hint = (" (--exclude-retractions needs riskassessment-status-searchparameter.json on the server first)"
                if args.exclude_retractions else "")
        fail(f"the FHIR server refused the Subscription: HTTP {status}: {body[:2000]}{hint}", 1)
    # The id from the body, or from Location ([base]/Subscription/{id}/_history/{vid}) when the server sends none.
    created_id = json.loads(body).get("id") if body.strip() else None
    if not created_id:
        parts = (headers.get("Location") or "").split("/_history")[0].rstrip("/").split("/")
        created_id = parts[-1] if len(parts) >= 2 and parts[-2] == "Subscription" else None
    if not created_id:
        fail(f"the FHIR server answered HTTP {status} but named no Subscription id", 1)
    reference = f"Subscription/{created_id}"

    # The server activates a requested Subscription asynchronously (HAPI: within seconds); "error" says why not.
    deadline = time.monotonic() + args.wait
    while args.wait > 0:
        status, body, _ = request("GET", f"{base}/{reference}", token=token)
        current = json.loads(body) if status == 200 else {}
        if current.get("status") == "active":
            break
        if current.get("status") == "error":
            fail(f"{reference} is in status error: {current.get('error', '(no reason given)')}", 1)
        if time.monotonic() > deadline:
            fail(f"{reference} is not active after {args.wait:g} s (status {current.get('status')!r}, "
                 f"HTTP {status}); is REST-hook delivery enabled on the server?", 1)
        time.sleep(1)  # polling interval
    print(reference)


if __name__ == "__main__":
    main()
