#!/usr/bin/env python3
"""Check a running hapi-local server end to end (Python 3 standard library only).

    deploy/hapi-local/selftest.py --port N [--receiver-port M] [--only auth]

Checks: metadata; create Patient and Observation; an R4 rest-hook Subscription with payload and a
secret header turns active and delivers a matching Observation (PUT {endpoint}/Observation/{id}) but
not a non-matching one; an update is delivered too; a receiver answering with a non-empty text body;
$validate on a valid and an invalid RiskAssessment; a transaction with conditional creates
(If-None-Exist) and urn:uuid references, sent twice; the WebSocket channel (bind/bound/ping) at
ws://127.0.0.1:N/websocket; the protected paths /secure/fhir (HS256 bearer tokens made here with the key in
.run/hapi-N.token-key: 401 without or with an expired or badly signed token, 403 outside the token's scope, search
links under /secure/fhir) and /basic/fhir (.run/hapi-N.basic). `--only auth` runs just those (a few seconds).
Prints what HAPI sent and how long each step took; exits 1 on a failure.
The checks create resources; run it against a throw-away (in-memory) server.
"""
import argparse
import base64
import hashlib
import hmac
import http.server
import pathlib
import json
import os
import socket
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

FHIR_JSON = "application/fhir+json"
LOINC = "http://loinc.org"


class Failure(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Failure(msg)


class Fhir:
    def __init__(self, base):
        self.base = base.rstrip("/")

    def request(self, method, path, body=None, headers=None):
        url = path if path.startswith("http") else f"{self.base}/{path.lstrip('/')}"
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(url, data=data, method=method)
        req.add_header("Accept", FHIR_JSON)
        if data is not None:
            req.add_header("Content-Type", FHIR_JSON)
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                raw = resp.read()
                return resp.status, dict(resp.headers), json.loads(raw) if raw else None
        except urllib.error.HTTPError as e:
            raw = e.read()
            try:
                parsed = json.loads(raw) if raw else None
            except ValueError:
                parsed = raw.decode(errors="replace")
            return e.code, dict(e.headers), parsed

    def get(self, path):
        return self.request("GET", path)

    def search(self, rtype, **params):
        return self.request("GET", f"{rtype}?{urllib.parse.urlencode(params)}")

    def post(self, path, body, headers=None):
        return self.request("POST", path, body, headers)

    def put(self, path, body):
        return self.request("PUT", path, body)


# ---- a tiny notification receiver --------------------------------------------------------------------

class Receiver:
    """Records every request under /notify; answers 200 with an empty body, or with `reply_body`."""

    def __init__(self, port):
        self.events = []
        self.reply_body = b""
        self.reply_type = "text/plain"
        self.run_id = None
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _handle(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                with outer.lock:
                    outer.events.append({
                        "t": time.monotonic(), "method": self.command, "path": self.path,
                        "headers": dict(self.headers.items()), "body": body.decode(errors="replace"),
                    })
                    reply, reply_type = outer.reply_body, outer.reply_type
                self.send_response(200)
                if reply:
                    self.send_header("Content-Type", reply_type)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                if reply:
                    self.wfile.write(reply)

            do_PUT = do_POST = do_DELETE = do_GET = _handle

            def log_message(self, fmt, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def ours(self, e):
        return e["headers"].get("X-Selftest-Run") == self.run_id

    def wait_for(self, pred, timeout):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self.lock:
                hits = [e for e in self.events if self.ours(e) and pred(e)]
            if hits:
                return hits
            time.sleep(0.1)
        return []

    def matching(self, pred):
        with self.lock:
            return [e for e in self.events if self.ours(e) and pred(e)]


# ---- a minimal WebSocket client (RFC 6455, text frames only) ---------------------------------------

class WebSocket:
    def __init__(self, host, port, path):
        self.sock = socket.create_connection((host, port), timeout=10)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            if not chunk:
                break
            head += chunk
        self.status_line = head.split(b"\r\n", 1)[0].decode(errors="replace")

    def send_text(self, text):
        payload = text.encode()
        mask = os.urandom(4)
        header = bytes([0x81])
        n = len(payload)
        if n < 126:
            header += bytes([0x80 | n])
        else:
            header += bytes([0x80 | 126]) + n.to_bytes(2, "big")
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def _recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise Failure("websocket closed by the server")
            buf += chunk
        return buf

    def recv_text(self, timeout):
        self.sock.settimeout(timeout)
        while True:
            b1, b2 = self._recv_exact(2)
            n = b2 & 0x7F
            if n == 126:
                n = int.from_bytes(self._recv_exact(2), "big")
            elif n == 127:
                n = int.from_bytes(self._recv_exact(8), "big")
            payload = self._recv_exact(n)
            opcode = b1 & 0x0F
            if opcode == 0x1:
                return payload.decode()
            if opcode == 0x8:
                raise Failure("websocket closed by the server")

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


# ---- the checks --------------------------------------------------------------------------------------

def observation(code, patient_ref, value, identifier=None):
    obs = {
        "resourceType": "Observation", "status": "final",
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                  "code": "laboratory"}]}],
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "subject": {"reference": patient_ref},
        "effectiveDateTime": "2026-01-15T08:30:00Z",
        "valueQuantity": {"value": value, "unit": "ng/dL", "system": "http://unitsofmeasure.org",
                          "code": "ng/dL"},
    }
    if identifier:
        obs["identifier"] = [identifier]
    return obs


def wait_active(fhir, sub_id, timeout):
    t0 = time.monotonic()
    status = None
    while time.monotonic() - t0 < timeout:
        _, _, sub = fhir.get(f"Subscription/{sub_id}")
        status = sub.get("status")
        if status in ("active", "error", "off"):
            break
        time.sleep(0.2)
    return status, time.monotonic() - t0


RUN_DIR = pathlib.Path(__file__).resolve().parent / ".run"


def hs256_token(key, claims):
    """A JWT signed HS256 (what /secure/fhir accepts), by hand: this script uses the standard library only."""
    def b64(data):
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
    signing_input = b64(b'{"alg":"HS256","typ":"JWT"}') + "." + b64(json.dumps(claims).encode())
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + b64(signature)


def auth_checks(port):
    print("\n== protected paths: /secure/fhir (bearer) and /basic/fhir (HTTP Basic)")
    root = f"http://127.0.0.1:{port}"
    secure, basic = Fhir(f"{root}/secure/fhir"), Fhir(f"{root}/basic/fhir")
    key = (RUN_DIR / f"hapi-{port}.token-key").read_text().strip().encode()
    now = int(time.time())

    def token(scope, exp_in=60, key=key):
        return {"Authorization": "Bearer " + hs256_token(key, {"sub": "selftest", "scope": scope,
                                                                "exp": now + exp_in})}

    code, _, _ = Fhir(f"{root}/fhir").get("Patient?_count=1")
    check(code == 200, f"/fhir without a credential: {code}")
    code, _, cs = secure.get("metadata")
    check(code == 200 and cs.get("resourceType") == "CapabilityStatement", f"/secure/fhir/metadata: {code}")
    code, _, _ = secure.get(".well-known/smart-configuration")
    check(code in (200, 404), f".well-known/smart-configuration: {code} (404 until a test writes it)")
    code, hdr, oo = secure.get("Patient")
    check(code == 401 and hdr.get("WWW-Authenticate", "").startswith("Bearer")
          and oo.get("resourceType") == "OperationOutcome", f"no token: {code} {hdr.get('WWW-Authenticate')}")
    for label, headers in (("expired", token("system/*.*", exp_in=-5)),
                           ("signed with another key", token("system/*.*", key=os.urandom(32))),
                           ("not a JWT", {"Authorization": "Bearer abc"})):
        code, hdr, _ = secure.request("GET", "Patient", headers=headers)
        check(code == 401 and 'error="invalid_token"' in hdr.get("WWW-Authenticate", ""), f"{label}: {code}")
    code, _, pat = secure.request("POST", "Patient", {"resourceType": "Patient", "gender": "other"},
                                  headers=token("system/Patient.cu"))
    check(code == 201, f"create with system/Patient.cu: {code}")
    code, hdr, _ = secure.request("GET", f"Patient/{pat['id']}", headers=token("system/Patient.cu"))
    check(code == 403 and "insufficient_scope" in hdr.get("WWW-Authenticate", ""), f"read with .cu only: {code}")
    code, _, got = secure.request("GET", f"Patient/{pat['id']}", headers=token("system/Patient.read"))
    check(code == 200 and got["id"] == pat["id"], f"read with system/Patient.read: {code}")
    code, _, found = secure.request("GET", f"Patient?_id={pat['id']}", headers=token("system/*.rs"))
    urls = [l["url"] for l in found.get("link", [])] + [e["fullUrl"] for e in found.get("entry", [])]
    check(code == 200 and urls and all(u.startswith(f"{root}/secure/fhir") for u in urls),
          f"search links under /secure/fhir: {urls}")
    code, hdr, _ = basic.get("Patient?_count=1")
    check(code == 401 and hdr.get("WWW-Authenticate", "").startswith("Basic"), f"/basic/fhir without: {code}")
    credential = (RUN_DIR / f"hapi-{port}.basic").read_text().strip()
    code, _, found = basic.request("GET", "Patient?_count=1", headers={
        "Authorization": "Basic " + base64.b64encode(credential.encode()).decode()})
    check(code == 200 and found["link"][0]["url"].startswith(f"{root}/basic/fhir"), f"/basic/fhir with: {code}")
    code, _, _ = basic.request("GET", "Patient?_count=1", headers={
        "Authorization": "Basic " + base64.b64encode(b"hapi-local:wrong").decode()})
    check(code == 401, f"/basic/fhir with a wrong password: {code}")
    Fhir(f"{root}/fhir").request("DELETE", f"Patient/{pat['id']}")
    print("  /fhir open; /secure/fhir: metadata open, 401 without/expired/bad token, 403 outside the scope, "
          "200 within it, links under /secure/fhir; /basic/fhir: 401 without or wrong, 200 with the file's")


def run(args):
    if args.only == "auth":
        auth_checks(args.port)
        print("\nALL CHECKS PASSED")
        return
    fhir = Fhir(f"http://127.0.0.1:{args.port}/fhir")
    cleanup = []
    try:
        checks(fhir, args, cleanup)
        auth_checks(args.port)
        print("\nALL CHECKS PASSED")
    finally:
        # Delete this run's subscriptions, so that a later run is not notified twice and HAPI does not
        # keep retrying deliveries to a receiver that has gone.
        for ref in cleanup:
            fhir.request("DELETE", ref)


def checks(fhir, args, cleanup):
    results = []

    def step(name):
        print(f"\n== {name}")

    # 1. metadata
    step("metadata")
    t0 = time.monotonic()
    code, _, cs = fhir.get("metadata")
    check(code == 200 and cs.get("fhirVersion") == "4.0.1", f"metadata: {code} {cs}")
    print(f"  {cs['software']['name']} {cs['software']['version']}, FHIR {cs['fhirVersion']}, "
          f"{(time.monotonic() - t0) * 1000:.0f} ms")

    # 2. Patient and Observation
    step("create Patient and Observation")
    code, hdr, pat = fhir.post("Patient", {"resourceType": "Patient", "gender": "female",
                                           "birthDate": "1985-04-02", "name": [{"family": "Selftest"}]})
    check(code == 201, f"POST Patient: {code} {pat}")
    pid = pat["id"]
    code, _, obs = fhir.post("Observation", observation("2986-8", f"Patient/{pid}", 30))
    check(code == 201, f"POST Observation: {code} {obs}")
    print(f"  Patient/{pid}, Observation/{obs['id']} (Location: {hdr.get('Location')})")

    # 3. rest-hook subscription
    step("rest-hook Subscription")
    rx = Receiver(args.receiver_port)
    endpoint = f"http://127.0.0.1:{rx.port}/notify"
    # A second header tells this run's deliveries apart from those of subscriptions left by other runs.
    run_id = os.urandom(6).hex()
    rx.run_id = run_id
    sub = {
        "resourceType": "Subscription", "status": "requested", "reason": "hapi-local selftest",
        "criteria": f"Observation?code={LOINC}|2143-6,{LOINC}|2191-5",
        "channel": {"type": "rest-hook", "endpoint": endpoint, "payload": FHIR_JSON,
                    "header": ["X-Gradient-Secret: abc", f"X-Selftest-Run: {run_id}"]},
    }
    t_sub = time.monotonic()
    code, _, created = fhir.post("Subscription", sub)
    check(code == 201, f"POST Subscription: {code} {created}")
    sub_id = created["id"]
    cleanup.append(f"Subscription/{sub_id}")
    status, took = wait_active(fhir, sub_id, 90)
    check(status == "active", f"Subscription/{sub_id} status {status} after {took:.1f} s")
    print(f"  Subscription/{sub_id} active {took:.1f} s after the POST")
    results.append(("subscription requested->active", took))
    # The subscription registry may need a moment after 'active' before matching uses it.
    t_act = time.monotonic()

    # A matching Observation, sent until the first one is delivered (measures registry lag too).
    code, _, m1 = fhir.post("Observation", observation("2143-6", f"Patient/{pid}", 12.5))
    check(code == 201, f"POST matching Observation: {code} {m1}")
    t_post = time.monotonic()
    hits = rx.wait_for(lambda e: e["path"].startswith(f"/notify/Observation/{m1['id']}"), 60)
    check(hits, f"no notification for Observation/{m1['id']} within 60 s; received: "
                f"{[(e['method'], e['path']) for e in rx.events]}")
    e = hits[0]
    delay = e["t"] - t_post
    results.append(("matching Observation -> notification", delay))
    print(f"  {e['method']} {e['path']} arrived {delay:.1f} s after the POST "
          f"({e['t'] - t_act:.1f} s after activation)")
    print("  headers: " + json.dumps(e["headers"]))
    check(e["method"] == "PUT", f"expected PUT, got {e['method']}")
    check(e["headers"].get("X-Gradient-Secret") == "abc", "X-Gradient-Secret header missing")
    body = json.loads(e["body"])
    check(body.get("resourceType") == "Observation" and body.get("id") == m1["id"]
          and body["code"]["coding"][0]["code"] == "2143-6", f"unexpected body {e['body'][:300]}")
    print(f"  body: full Observation, id {body['id']}, meta {json.dumps(body.get('meta'))}, "
          f"{len(e['body'])} bytes")

    # A non-matching Observation must not arrive; the other code in the OR list must.
    code, _, nm = fhir.post("Observation", observation("2986-8", f"Patient/{pid}", 40))
    code, _, m2 = fhir.post("Observation", observation("2191-5", f"Patient/{pid}", 150))
    t_post = time.monotonic()
    hits = rx.wait_for(lambda e: e["path"].startswith(f"/notify/Observation/{m2['id']}"), 60)
    check(hits, f"no notification for the 2191-5 Observation/{m2['id']}")
    results.append(("second code of the OR list -> notification", hits[0]["t"] - t_post))
    time.sleep(3)
    check(not rx.matching(lambda e: f"/Observation/{nm['id']}" in e["path"]),
          f"non-matching Observation/{nm['id']} was delivered")
    print(f"  2191-5 delivered ({hits[0]['t'] - t_post:.1f} s), non-matching 2986-8 not delivered")

    # An update arrives as a PUT of the new version.
    m1_v2 = dict(body)
    m1_v2.pop("meta", None)
    m1_v2["valueQuantity"] = dict(m1_v2["valueQuantity"], value=13.0)
    code, _, upd = fhir.put(f"Observation/{m1['id']}", m1_v2)
    check(code == 200, f"PUT Observation: {code} {upd}")
    t_post = time.monotonic()
    hits = rx.wait_for(lambda e: e["path"].startswith(f"/notify/Observation/{m1['id']}")
                       and json.loads(e["body"] or "{}").get("meta", {}).get("versionId") == "2", 60)
    check(hits, "the update (version 2) was not delivered")
    print(f"  update delivered as {hits[0]['method']} {hits[0]['path']} versionId 2 "
          f"({hits[0]['t'] - t_post:.1f} s)")
    results.append(("update -> notification", hits[0]["t"] - t_post))

    # Latency over a few more matching Observations.
    delays = []
    for i in range(5):
        code, _, mx = fhir.post("Observation", observation("2143-6", f"Patient/{pid}", 10 + i))
        t_post = time.monotonic()
        hits = rx.wait_for(lambda e: e["path"].startswith(f"/notify/Observation/{mx['id']}"), 60)
        check(hits, f"no notification for Observation/{mx['id']}")
        delays.append(hits[0]["t"] - t_post)
    delays.sort()
    print(f"  5 more matching Observations: notification after {', '.join(f'{d:.1f}' for d in delays)} s")
    results.append(("matching Observation -> notification, worst of 5", delays[-1]))

    # A receiver that answers 200 with a non-empty body: is it taken as a failure (and retried)?
    for reply_type, reply in (("text/plain", b"ok thanks"), ("application/json", b'{"status":"ok"}')):
        rx.reply_body, rx.reply_type = reply, reply_type
        code, _, m3 = fhir.post("Observation", observation("2143-6", f"Patient/{pid}", 9.9))
        hits = rx.wait_for(lambda e: e["path"].startswith(f"/notify/Observation/{m3['id']}"), 60)
        check(hits, "no notification while the receiver answers with a body")
        time.sleep(6)
        n = len(rx.matching(lambda e: e["path"].startswith(f"/notify/Observation/{m3['id']}")))
        print(f"  receiver answering 200 with a {reply_type} body {reply.decode()!r}: delivered {n} time(s) "
              f"in 6 s ({'accepted, no retry' if n == 1 else 'RETRIED: HAPI took it as a failure'})")
    rx.reply_body = b""

    # Without channel.payload HAPI POSTs an empty body to the endpoint itself.
    code, _, np_sub = fhir.post("Subscription", dict(sub, channel={
        "type": "rest-hook", "endpoint": endpoint + "-nopayload",
        "header": ["X-Gradient-Secret: abc", f"X-Selftest-Run: {run_id}"]}))
    check(code == 201, f"POST Subscription without payload: {code} {np_sub}")
    cleanup.append(f"Subscription/{np_sub['id']}")
    status, _ = wait_active(fhir, np_sub["id"], 90)
    check(status == "active", f"payload-less Subscription status {status}")
    code, _, m5 = fhir.post("Observation", observation("2143-6", f"Patient/{pid}", 8.8))
    hits = rx.wait_for(lambda e: e["path"].startswith("/notify-nopayload"), 60)
    check(hits, "no notification for the payload-less subscription")
    e = hits[0]
    print(f"  without payload: {e['method']} {e['path']}, body {len(e['body'])} bytes, "
          f"Content-Type {e['headers'].get('Content-Type')!r}")
    fhir.request("DELETE", f"Subscription/{np_sub['id']}")

    # 4. $validate
    step("$validate RiskAssessment")
    valid = {"resourceType": "RiskAssessment", "status": "final",
             "subject": {"reference": f"Patient/{pid}"},
             "occurrenceDateTime": "2026-01-15T09:00:00Z",
             "prediction": [{"outcome": {"text": "elevated ratio"}, "qualitativeRisk": {"text": "moderate"}}]}
    # Parseable but invalid: status and subject are required; probability must be <= 100 (ras-2).
    invalid = {"resourceType": "RiskAssessment", "prediction": [{"probabilityDecimal": 150}]}
    for label, res, want_errors in (("valid", valid, False), ("invalid", invalid, True)):
        t0 = time.monotonic()
        code, _, oo = fhir.post("RiskAssessment/$validate", res)
        ms = (time.monotonic() - t0) * 1000
        issues = (oo or {}).get("issue", []) if isinstance(oo, dict) else []
        errors = [i for i in issues if i.get("severity") in ("error", "fatal")]
        print(f"  {label}: HTTP {code}, {oo.get('resourceType') if isinstance(oo, dict) else oo!r}, "
              f"{len(errors)} error(s) of {len(issues)} issue(s), {ms:.0f} ms")
        for i in errors[:4]:
            print(f"    - {i.get('severity')}: {(i.get('diagnostics') or '')[:150]}")
        check(isinstance(oo, dict) and oo.get("resourceType") == "OperationOutcome",
              f"$validate {label}: not an OperationOutcome")
        check(bool(errors) == want_errors, f"$validate {label}: errors={errors}")

    # 5. transaction with conditional create and urn:uuid
    step("transaction: If-None-Exist + urn:uuid")
    stamp = int(time.time() * 1000)
    pat_uuid, obs_uuid, dup_uuid = ("urn:uuid:6f1c3a9e-1d2b-4c3d-9e8f-0a1b2c3d4e5f",
                                    "urn:uuid:7a2d4b0f-2e3c-4d4e-8f90-1b2c3d4e5f60",
                                    "urn:uuid:8b3e5c1a-3f4d-4e5f-9a01-2c3d4e5f6071")

    def bundle(ident, dup_entry):
        patient_entry = {
            "fullUrl": pat_uuid,
            "resource": {"resourceType": "Patient", "identifier": [{"system": "http://x", "value": ident}]},
            "request": {"method": "POST", "url": "Patient", "ifNoneExist": f"identifier=http://x|{ident}"}}
        entries = [patient_entry]
        if dup_entry:  # the same conditional create again, under another fullUrl
            entries.append(dict(patient_entry, fullUrl=dup_uuid))
        entries.append({
            "fullUrl": obs_uuid,
            "resource": observation("2143-6", pat_uuid, 11.0, {"system": "http://x", "value": ident + "-obs"}),
            "request": {"method": "POST", "url": "Observation",
                        "ifNoneExist": f"identifier=http://x|{ident}-obs"}})
        return {"resourceType": "Bundle", "type": "transaction", "entry": entries}

    def send(ident, dup_entry, label):
        code, _, resp = fhir.post("", bundle(ident, dup_entry))
        check(code == 200, f"transaction ({label}): {code} {json.dumps(resp)[:400]}")
        outcome = [(e["response"]["status"], e["response"].get("location")) for e in resp["entry"]]
        n = fhir.search("Patient", identifier=f"http://x|{ident}")[2].get("total")
        print(f"  {label}: {outcome}; Patients with the identifier: {n}")
        check(n == 1, f"expected 1 Patient with identifier http://x|{ident}, found {n}")

    ident = f"selftest-{stamp}"
    send(ident, False, "bundle sent once")
    send(ident, False, "same bundle again")
    _, _, obs_found = fhir.search("Observation", identifier=f"http://x|{ident}-obs")
    check(obs_found.get("total") == 1, f"expected 1 Observation, got {obs_found.get('total')}")
    oref = obs_found["entry"][0]["resource"]["subject"]["reference"]
    check(oref.startswith("Patient/"), f"urn:uuid reference not resolved: {oref}")
    print(f"  Observation.subject (was {pat_uuid}) stored as {oref}")
    ident = f"selftest-dup-{stamp}"
    send(ident, True, "two identical conditional creates in one bundle")
    send(ident, True, "that bundle again")

    # 6. websocket
    step("WebSocket channel")
    code, _, wsub = fhir.post("Subscription", {
        "resourceType": "Subscription", "status": "requested", "reason": "hapi-local selftest ws",
        "criteria": f"Observation?code={LOINC}|2143-6", "channel": {"type": "websocket"}})
    check(code == 201, f"POST websocket Subscription: {code} {wsub}")
    cleanup.append(f"Subscription/{wsub['id']}")
    status, took = wait_active(fhir, wsub["id"], 90)
    check(status == "active", f"websocket Subscription status {status}")
    ws = WebSocket("127.0.0.1", args.port, "/websocket")
    print(f"  handshake: {ws.status_line}")
    check(" 101 " in ws.status_line + " ", f"websocket handshake failed: {ws.status_line}")
    ws.send_text(f"bind {wsub['id']}")
    reply = ws.recv_text(10)
    print(f"  sent 'bind {wsub['id']}', got '{reply}'")
    check(reply.startswith("bound"), f"unexpected bind reply {reply!r}")
    time.sleep(1)
    code, _, m4 = fhir.post("Observation", observation("2143-6", f"Patient/{pid}", 10.1))
    t_post = time.monotonic()
    msg = ws.recv_text(60)
    print(f"  after a matching Observation: '{msg}' ({time.monotonic() - t_post:.1f} s)")
    check(msg.startswith("ping"), f"unexpected websocket message {msg!r}")
    results.append(("matching Observation -> websocket ping", time.monotonic() - t_post))
    ws.close()

    step("timings")
    for name, secs in results:
        print(f"  {name}: {secs:.1f} s")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, required=True, help="port of the running hapi-local server")
    ap.add_argument("--receiver-port", type=int, default=0, help="port for the notification receiver (0: any)")
    ap.add_argument("--only", choices=["auth"], help="auth: only the checks of /secure/fhir and /basic/fhir")
    args = ap.parse_args()
    try:
        run(args)
    except Failure as exc:
        print(f"\nFAILED: {exc}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
