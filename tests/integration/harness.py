"""Integration harness: a small FHIR client (stdlib only), the gateway process under test, and polling waits.

The HAPI FHIR server is started by scripts/test (deploy/hapi-local) and named by GG_HAPI_BASE. Every wait polls for
the expected state with a deadline; nothing sleeps as synchronisation.
"""
import atexit
import json
import os
import pathlib
import re
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

REPO = pathlib.Path(__file__).resolve().parents[2]
HAPI_BASE = os.environ.get("GG_HAPI_BASE", "http://127.0.0.1:8080/fhir")
BINARY = os.environ.get("GG_BINARY", str(REPO / "build/release/bin/gradient-gateway"))
GRADIENT_SYSTEM = "http://gradient-gateway.dev/fhir/CodeSystem/gradient"
# HAPI delivers asynchronously: matching runs every 5 s, retries for about 60 s (shared/HAPI-NOTES.md).
NOTIFICATION_WAIT_S = 90


class HttpResult:
    def __init__(self, status, body, headers):
        self.status = status
        self.body = body
        self.headers = headers

    def json(self):
        return json.loads(self.body) if self.body else None


class PostedPatientData:
    """What the suite has sent anywhere (HAPI, the gateway) that is patient data: patients' names, birth dates and
    free text, and result values. Every gateway's log is scanned for them when it stops (issue 13, item 5: "values,
    names, birth dates and free text never appear"); nothing may be found unless the gateway's debug switch
    (logging.patient_data) was on. Values are compared as numbers with every number in a log field's value: those
    written with a decimal point always, whole numbers of three or more digits only inside a text (an error
    message), not as a field's whole value: a field that is one whole number is a count, a sequence number or a
    port (`reconcile.searched recorded=189` met a posted 189 by chance)."""

    TEXT_KEYS = {"family", "text", "valueString", "birthDate"}
    VALUE_KEYS = {"value"}

    def __init__(self):
        self.texts = set()
        self.values = set()
        self.lines_scanned = 0
        self.gateways_scanned = 0
        self.found = 0

    def remember(self, body):
        if isinstance(body, (bytes, str)):
            try:
                body = json.loads(body)
            except ValueError:
                return
        self._walk(body, None)

    def _walk(self, node, key):
        if isinstance(node, dict):
            for child_key, child in node.items():
                if child_key == "given" and isinstance(child, list):
                    for given in child:
                        self._text(given)
                elif child_key == "valueQuantity" and isinstance(child, dict):
                    self._value(child.get("value"))
                self._walk(child, child_key)
        elif isinstance(node, list):
            for item in node:
                self._walk(item, key)
        elif key in self.TEXT_KEYS and isinstance(node, str):
            self._text(node)

    def _text(self, text):
        # Short texts ("F", "mg") are codes more than patient data, and would be found everywhere.
        if isinstance(text, str) and len(text.strip()) >= 6:
            self.texts.add(text.strip())

    def _value(self, value):
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value == value:
            self.values.add(float(value))

    NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w.])")

    def found_in(self, records):
        """(event, field, what) of every posted text or value found in the records' fields."""
        found = []
        for record in records:
            self.lines_scanned += 1
            for field, value in record.items():
                if field in ("time", "level", "event") or not isinstance(value, str):
                    continue
                for text in self.texts:
                    if text in value:
                        found.append((record["event"], field, "posted text"))
                whole_number = re.fullmatch(r"-?\d+", value) is not None
                for token in self.NUMBER.findall(value):
                    number = float(token)
                    if number not in self.values:
                        continue
                    if "." in token or (len(token.lstrip("-")) >= 3 and not whole_number):
                        found.append((record["event"], field, f"posted value {token}"))
        self.gateways_scanned += 1
        self.found += len(found)
        return found


POSTED = PostedPatientData()


@atexit.register
def _report_log_scan():
    if POSTED.gateways_scanned:
        print(f"log scan: {POSTED.lines_scanned} log lines of {POSTED.gateways_scanned} gateway(s) against "
              f"{len(POSTED.texts)} posted texts and {len(POSTED.values)} posted values: "
              f"{POSTED.found or 'nothing'} found", flush=True)


def http(method, url, body=None, headers=None, timeout=60, context=None):
    """context: an ssl.SSLContext for https:// URLs (a test CA, a client certificate). What a POST or PUT sends is
    remembered for the log scan (PostedPatientData)."""
    if method in ("POST", "PUT") and body is not None:
        POSTED.remember(body)
    data = None
    all_headers = {"Accept": "application/fhir+json"}
    if body is not None:
        data = body if isinstance(body, (bytes, str)) else json.dumps(body)
        data = data.encode() if isinstance(data, str) else data
        all_headers["Content-Type"] = "application/fhir+json"
    all_headers.update(headers or {})
    request = urllib.request.Request(url, data=data, method=method, headers=all_headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout, context=context) as response:
            return HttpResult(response.status, response.read().decode(), dict(response.headers))
    except urllib.error.HTTPError as error:
        return HttpResult(error.code, error.read().decode(), dict(error.headers))


class Fhir:
    def __init__(self, base=HAPI_BASE):
        self.base = base.rstrip("/")

    def get(self, path):
        # Tomcat refuses raw "|" in a query: encode everything but the URL's own structure.
        result = http("GET", f"{self.base}/{urllib.parse.quote(path, safe='/?=&:,')}")
        assert result.status == 200, f"GET {path}: {result.status} {result.body[:500]}"
        return result.json()

    def search(self, path):
        """All resources of a search, following next links."""
        bundle = self.get(path)
        found = [e["resource"] for e in bundle.get("entry", []) if "resource" in e]
        while True:
            nxt = [l["url"] for l in bundle.get("link", []) if l["relation"] == "next"]
            if not nxt:
                return found
            result = http("GET", nxt[0])
            bundle = result.json()
            found += [e["resource"] for e in bundle.get("entry", []) if "resource" in e]

    def transaction(self, bundle):
        result = http("POST", self.base, bundle)
        assert result.status == 200, f"transaction: {result.status} {result.body[:1000]}"
        return result.json()

    def derived(self, patient):
        """The gateway's derived Observations about a patient (any gradient code), in search order."""
        found = self.search(f"Observation?subject={patient}&code={GRADIENT_SYSTEM}|&_count=200")
        return [o for o in found if o["code"]["coding"][0]["system"] == GRADIENT_SYSTEM]

    def validation_errors(self, resource):
        """The error and fatal issues of HAPI's $validate of a resource (R4 base)."""
        outcome = self.validate(resource)
        return [i for i in outcome.get("issue", []) if i["severity"] in ("error", "fatal")]

    def validate(self, resource):
        result = http("POST", f"{self.base}/{resource['resourceType']}/$validate", resource)
        return result.json()


def created_references(response):
    """The "Type/id" of each resource a transaction response created, in entry order (version dropped)."""
    return [e["response"]["location"].split("/_history")[0] for e in response["entry"]]


def ucum(value, unit):
    """A UCUM Quantity."""
    return {"value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit}


def lab_entry(patient_url, tag, key, loinc, when, value=None, unit=None, **elements):
    """A transaction entry creating a final LOINC-coded Observation about patient_url (identifier "{tag}-{key}"),
    valued with a UCUM quantity when value is given, or with other value[x] elements (valueDateTime=...)."""
    resource = {"resourceType": "Observation", "status": "final",
                "identifier": [{"system": "urn:test:lab", "value": f"{tag}-{key}"}],
                "code": {"coding": [{"system": "http://loinc.org", "code": loinc}]},
                "subject": {"reference": patient_url}, "effectiveDateTime": when}
    if value is not None:
        resource["valueQuantity"] = ucum(value, unit)
    resource.update(elements)
    return {"resource": resource, "request": {"method": "POST", "url": "Observation"}}


def patient_name(tag):
    """A name of the patient's own, for the log scan to look for (PostedPatientData)."""
    return [{"family": f"Family{tag}", "given": [f"Given{tag}"]}]


def patient_entry(patient_url, tag, gender, birth_date):
    """A transaction entry creating a Patient at patient_url (identifier tag), named after it."""
    return {"fullUrl": patient_url,
            "resource": {"resourceType": "Patient", "gender": gender, "birthDate": birth_date,
                         "name": patient_name(tag), "identifier": [{"system": "urn:test:mrn", "value": tag}]},
            "request": {"method": "POST", "url": "Patient"}}


def wait_until(describe, probe, timeout=NOTIFICATION_WAIT_S, interval=0.5):
    """Polls probe() until it returns a truthy value; fails with describe() after the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {describe()}")
        time.sleep(interval)  # polling interval, not synchronisation


def _port_range():
    """GG_PORT_RANGE "LOW-HIGH": the ports this process may hand out (run.py gives each parallel shard its own range,
    below the kernel's ephemeral range, so a port one shard picked and has not bound yet is never another's)."""
    text = os.environ.get("GG_PORT_RANGE")
    if not text:
        return None
    low, high = (int(part) for part in text.split("-"))
    if not 1024 <= low <= high <= 65535:
        raise ValueError(f"GG_PORT_RANGE {text!r}: expected LOW-HIGH within 1024-65535")
    return low, high


_PORT_RANGE = _port_range()
_next_port = _PORT_RANGE[0] if _PORT_RANGE else None


def free_port():
    """A TCP port free on 127.0.0.1 right now. Within GG_PORT_RANGE the ports go round in order, so this process does
    not get a port again before it has used the whole range; without it the kernel picks one."""
    global _next_port
    if _PORT_RANGE is None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]
    low, high = _PORT_RANGE
    for _ in range(high - low + 1):
        port = _next_port
        _next_port = low if port == high else port + 1
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue  # in use (another program, or one of ours still running)
            return port
    raise AssertionError(f"no free port in GG_PORT_RANGE {low}-{high}")


class Gateway:
    """gradient-gateway serve, with its own configuration, state file and rules, against GG_HAPI_BASE."""

    SECRET = "integration-" + uuid.uuid4().hex
    ADMIN_TOKEN = "admin-" + uuid.uuid4().hex

    def __init__(self, rules_override=None, manage_subscription=True, state_from=None, extra_config=None,
                 port=None, fhir_base=None, pipeline=None, subscription=None, wait_ready=True,
                 subscription_mode=None, reconcile_interval_s=None, lookback_days=3650, server=None,
                 client_tls=None, fhir=None):
        """state_from: a stopped Gateway whose directory (state store included) this one takes over.
        extra_config: {section: {key: value}} for sections the file does not have yet, written as JSON (YAML's
        flow style). port: listen there (a restart keeps its Subscription's endpoint). fhir_base: another FHIR
        server than GG_HAPI_BASE. pipeline, subscription: extra keys of those sections. subscription_mode,
        reconcile_interval_s: shorthands for subscription.mode and pipeline.reconcile_interval_s. lookback_days:
        analysis.lookback_days (3650 keeps the fixed-date test data of tests/data/patients inside it). server:
        extra keys of that section; without tls_cert_file among them the listener is plain HTTP (plain_http: true).
        client_tls: the ssl.SSLContext this object's own requests to an https:// gateway use. fhir: extra keys of
        the fhir section (credentials: basic_auth_file, smart_client_id, ...)."""
        server = dict(server or {})
        if "tls_cert_file" not in server:
            server.setdefault("plain_http", "true")
        self.client_tls = client_tls
        subscription = dict(subscription or {})
        pipeline = dict(pipeline or {})
        if subscription_mode is not None:
            subscription["mode"] = subscription_mode
        if reconcile_interval_s is not None:
            pipeline["reconcile_interval_s"] = reconcile_interval_s
        self.dir = state_from.dir if state_from else pathlib.Path(tempfile.mkdtemp(prefix="gg-it-"))
        self.port = port or free_port()
        self.fhir_base = fhir_base or HAPI_BASE
        self.url = f"{'https' if 'tls_cert_file' in server else 'http'}://127.0.0.1:{self.port}"
        (self.dir / "notify.secret").write_text(self.SECRET + "\n")
        (self.dir / "admin.token").write_text(self.ADMIN_TOKEN + "\n")
        rules_dir = REPO / "config/rules"
        if rules_override:
            rules_dir = self.dir / "rules"
            shutil.copytree(REPO / "config/rules", rules_dir, dirs_exist_ok=True)
            for name, text in rules_override.items():
                (rules_dir / name).write_text(text)
        (self.dir / "gateway.yaml").write_text(
            f"""server:
  listen_address: 127.0.0.1
  port: {self.port}
""" + "".join(f"  {key}: {value}\n" for key, value in server.items()) + f"""fhir:
  base_url: {self.fhir_base}
""" + "".join(f"  {key}: {value}\n" for key, value in (fhir or {}).items()) + f"""subscription:
  manage: {"true" if manage_subscription else "false"}
  secret_file: notify.secret
""" + "".join(f"  {key}: {value}\n" for key, value in (subscription or {}).items()) + f"""admin:
  token_file: admin.token
state:
  path: state.db
analysis:
  lookback_days: {lookback_days}
  terminology_dir: {REPO / 'config/terminology'}
  rules_dir: {rules_dir}
pipeline:
  retry_initial_backoff_ms: 200
""" + "".join(f"  {key}: {value}\n" for key, value in (pipeline or {}).items()) + "".join(f"{section}: {json.dumps(body)}\n" for section, body in (extra_config or {}).items())
        )
        self.log = open(self.dir / "gateway.log", "a")
        self.process = subprocess.Popen(
            [BINARY, "serve", "--config", str(self.dir / "gateway.yaml")],
            stdout=self.log, stderr=subprocess.STDOUT)
        if wait_ready:
            try:
                wait_until(lambda: "gateway /readyz " + self.log_tail(), self.ready, timeout=120)
            except AssertionError:
                # A gateway that never became ready must not outlive the test that started it.
                self.process.kill()
                self.process.wait()
                self.log.close()
                raise

    def ready(self):
        if self.process.poll() is not None:
            raise AssertionError("gateway exited: " + self.log_tail())
        try:
            return http("GET", self.url + "/readyz", timeout=5, context=self.client_tls).status == 200
        except OSError:
            return False

    def metric(self, name):
        """Sum of a Prometheus metric's samples whose name (with labels) starts with name."""
        text = self.admin("GET", "/metrics").body  # server.metrics_access: token (the default)
        total = 0.0
        for line in text.splitlines():
            if line.startswith(name):
                total += float(line.rsplit(" ", 1)[1])
        return total

    def admin(self, method, path, body=None, token=None):
        """An operator request (/admin/..., /alerts/...) with the admin bearer token (or the one given)."""
        headers = {"Authorization": f"Bearer {self.ADMIN_TOKEN if token is None else token}",
                   "Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        return http(method, self.url + path, body, headers, context=self.client_tls)

    def events(self, resource_type, resource_id):
        """The gateway's intake events for one resource (GET /admin/events)."""
        reply = self.admin("GET", f"/admin/events?type={resource_type}&id={resource_id}")
        assert reply.status == 200, f"/admin/events: {reply.status} {reply.body[:300]}"
        return reply.json()["events"]

    def notify(self, method, path, body=None, secret=True, content_type="application/fhir+json"):
        headers = {"Content-Type": content_type}
        if secret:
            headers["X-Gradient-Secret"] = self.SECRET
        return http(method, self.url + "/notify" + path, body, headers, context=self.client_tls)

    def log_records(self, event=None):
        """The gateway's log lines (logging.format json: one object a line) as dicts, those of `event` alone when
        given. Every line must be a JSON object: anything else fails the test that reads the log."""
        self.log.flush()
        records = []
        for number, line in enumerate((self.dir / "gateway.log").read_text().splitlines(), 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:
                raise AssertionError(f"gateway.log line {number} is not a JSON object: {line[:300]!r}")
            assert isinstance(record, dict) and {"time", "level", "event"} <= set(record), line[:300]
            if event is None or record["event"] == event:
                records.append(record)
        return records

    def log_tail(self):
        self.log.flush()
        return (self.dir / "gateway.log").read_text()[-3000:]

    def forget_subscriptions(self):
        # hapi-local's credential paths (/secure/fhir, /basic/fhir) are the same server as its open /fhir.
        base = re.sub(r"/(secure|basic)/fhir/?$", "/fhir", self.fhir_base.rstrip("/"))
        try:
            found = Fhir(base).search(f"Subscription?url={self.url}/notify&_count=100")
        except (AssertionError, OSError):
            return  # the FHIR server is down (a fault test): nothing to clean up now
        for subscription in found:
            http("DELETE", f"{base}/Subscription/{subscription['id']}")

    def readiness(self):
        """/readyz's body (the report of every dependency), or None while the gateway does not answer."""
        try:
            return http("GET", self.url + "/readyz", timeout=5, context=self.client_tls).json()
        except OSError:
            return None

    def kill(self):
        """SIGKILL: no clean shutdown, the state directory stays for the next Gateway(state_from=...)."""
        self.process.kill()
        self.process.wait()
        self.log.close()

    def stop(self, keep=False):
        """SIGTERM. Unless kept for a successor (keep=True), the gateway's REST-hook Subscriptions are deleted from
        HAPI first: HAPI retries each delivery to a dead endpoint for about a minute on its few delivery threads,
        so Subscriptions left behind by earlier tests would delay every later test's notifications."""
        if not keep:
            self.forget_subscriptions()
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()
        # Issue 13, item 5: every line the service wrote is one JSON object (log_records fails otherwise), and none
        # holds a name, birth date, free text or value the suite posted.
        self.log = open(self.dir / "gateway.log", "a")
        try:
            found = POSTED.found_in(self.log_records())
            assert not found, f"patient data in the gateway's log ({self.dir / 'gateway.log'}): {found[:10]}"
        finally:
            self.log.close()
            if not keep:
                shutil.rmtree(self.dir, ignore_errors=True)
