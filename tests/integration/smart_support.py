"""A small OAuth 2.0 authorization server for SMART Backend Services (SMART App Launch 2, "Backend Services":
client credentials grant, private_key_jwt client assertions signed RS384 or ES384), in a thread of the test process,
for the hapi-local FHIR server's protected path /secure/fhir.

hapi-local (deploy/hapi-local, started by its run script) serves the same FHIR server three times:

    http://127.0.0.1:PORT/fhir          open, as always
    http://127.0.0.1:PORT/secure/fhir   Authorization: Bearer <JWT, HS256, signed with .run/hapi-PORT.token-key>
                                        whose scope claim grants the request; metadata and
                                        .well-known/smart-configuration (= .run/hapi-PORT.smart-configuration.json)
                                        are open
    http://127.0.0.1:PORT/basic/fhir    HTTP Basic with the user:password in .run/hapi-PORT.basic

SmartAuthServer checks each token request as the specification asks (see check_assertion) and issues access tokens
hapi-local accepts: it reads HAPI's token key from the run directory, and writes HAPI's smart-configuration file so
that {secure_base}/.well-known/smart-configuration names this server's token endpoint. Every token request is
recorded with its outcome (TokenRequest), so a test can say "the gateway asked twice" or "refused: jti replayed".

In a test module (GG_HAPI_BASE names the hapi-local; one module uses it at a time):

    key = make_key_pair(tmp_dir, "ES384")                     # or "RS384" (RSA 3072)
    with SmartAuthServer(token_lifetime_s=4, expires_in=3600) as auth:   # writes HAPI's smart-configuration
        auth.register_client("gradient-gateway", key, scope="system/*.rs system/*.cu")
        fhir = auth.gateway_fhir_settings("gradient-gateway", key)      # base_url = .../secure/fhir, smart_*
        ... start the gateway with those fhir keys, post data, wait for its RiskAssessment ...
        issued = auth.wait_for_requests(2, predicate=lambda r: r.outcome == "issued")  # a token, then a new one
        self.assertFalse(auth.refused(), [r.reason for r in auth.refused()])        # after HAPI's 401
        rotate_hapi_token_key()                                   # revoke: HAPI refuses every token issued so far

    python tests/integration/smart_support.py [--hapi-base URL] [--run-dir DIR]

checks this module against a running hapi-local (the test venv's python: PyJWT with cryptography).
"""
import base64
import dataclasses
import hmac
import http.server
import json
import os
import pathlib
import secrets
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

REPO = pathlib.Path(__file__).resolve().parents[2]
HAPI_BASE = os.environ.get("GG_HAPI_BASE", "http://127.0.0.1:8080/fhir")
# Where deploy/hapi-local/run keeps its per-port files; GG_HAPI_RUN_DIR for a hapi-local started from elsewhere.
HAPI_RUN_DIR = pathlib.Path(os.environ.get("GG_HAPI_RUN_DIR", REPO / "deploy/hapi-local/.run"))

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASYMMETRIC_ALGS = ("RS384", "ES384")
MAX_ASSERTION_LIFETIME_S = 300  # "exp ... no more than five minutes in the future"


# ---- hapi-local's files and paths --------------------------------------------------------------------------------

def hapi_port(hapi_base=HAPI_BASE):
    parsed = urllib.parse.urlsplit(hapi_base)
    return parsed.port or (443 if parsed.scheme == "https" else 80)


def hapi_run_file(suffix, hapi_base=HAPI_BASE, run_dir=None):
    """deploy/hapi-local/.run/hapi-PORT.SUFFIX of the hapi-local serving hapi_base (suffix: token-key, basic,
    smart-configuration.json)."""
    return pathlib.Path(run_dir or HAPI_RUN_DIR) / f"hapi-{hapi_port(hapi_base)}.{suffix}"


def _root(hapi_base):
    """http://127.0.0.1:PORT of a base URL that ends in /fhir."""
    base = hapi_base.rstrip("/")
    if not base.endswith("/fhir"):
        raise ValueError(f"a hapi-local base URL ends in /fhir: {hapi_base}")
    return base[: -len("/fhir")]


def secure_base(hapi_base=HAPI_BASE):
    """The bearer-token path of the same server: http://127.0.0.1:PORT/secure/fhir."""
    return _root(hapi_base) + "/secure/fhir"


def basic_base(hapi_base=HAPI_BASE):
    """The HTTP Basic path of the same server: http://127.0.0.1:PORT/basic/fhir."""
    return _root(hapi_base) + "/basic/fhir"


def basic_credential(hapi_base=HAPI_BASE, run_dir=None):
    """The "user:password" /basic/fhir takes (the file's text: what a gateway's basic_auth_file holds)."""
    return hapi_run_file("basic", hapi_base, run_dir).read_text().strip()


def basic_credential_file(hapi_base=HAPI_BASE, run_dir=None):
    return hapi_run_file("basic", hapi_base, run_dir)


def hapi_token_key(hapi_base=HAPI_BASE, run_dir=None):
    """The HS256 key hapi-local checks access tokens with: the file's text without the final newline, as bytes."""
    return hapi_run_file("token-key", hapi_base, run_dir).read_text().strip().encode()


def rotate_hapi_token_key(hapi_base=HAPI_BASE, run_dir=None):
    """Replace HAPI's token key (HAPI reads it at every request): every access token issued so far is refused from
    now on with 401 invalid_token, as if revoked. SmartAuthServer signs later tokens with the new key."""
    path = hapi_run_file("token-key", hapi_base, run_dir)
    _write_private(path, secrets.token_hex(32) + "\n")


def _write_private(path, text):
    """Write a whole file at once (a new file renamed into place), mode 0600."""
    path = pathlib.Path(path)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


# ---- client keys and assertions ----------------------------------------------------------------------------------

@dataclasses.dataclass
class KeyPair:
    """A client's key pair, PEM, also written as files (private_key_file is what a gateway's smart_private_key_file
    names)."""
    alg: str  # RS384 | ES384
    kid: str
    private_pem: bytes
    public_pem: bytes
    private_key_file: pathlib.Path
    public_key_file: pathlib.Path


def make_key_pair(directory, alg="RS384", name=None, rsa_bits=3072):
    """A new key pair in `directory`: RSA (rsa_bits, default 3072) for RS384, EC P-384 for ES384. The private key is
    PKCS#8 PEM (mode 0600), the public key SubjectPublicKeyInfo PEM. kid: a random id."""
    if alg == "RS384":
        key = rsa.generate_private_key(public_exponent=65537, key_size=rsa_bits)
    elif alg == "ES384":
        key = ec.generate_private_key(ec.SECP384R1())
    else:
        raise ValueError(f"alg must be RS384 or ES384, got {alg}")
    private_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
    public_pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                              serialization.PublicFormat.SubjectPublicKeyInfo)
    directory = pathlib.Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    name = name or f"client-{alg.lower()}-{uuid.uuid4().hex[:8]}"
    private_file, public_file = directory / f"{name}.key", directory / f"{name}.pub"
    _write_private(private_file, private_pem.decode())
    public_file.write_bytes(public_pem)
    return KeyPair(alg, uuid.uuid4().hex[:16], private_pem, public_pem, private_file, public_file)


def make_assertion(client_id, token_endpoint, key, lifetime_s=240, jti=None, alg=None, kid=None, headers=None,
                   **claims):
    """A client assertion as a SMART backend client makes it: iss = sub = client_id, aud = token_endpoint, exp = now
    + lifetime_s, a fresh jti (unless given; "" sends an empty one), signed with `key` (a KeyPair, or a key/secret PyJWT takes with `alg`).
    claims: extra or replacement claims (a value None removes that claim); headers: extra header fields."""
    payload = {"iss": client_id, "sub": client_id, "aud": token_endpoint, "exp": int(time.time()) + lifetime_s,
               "jti": uuid.uuid4().hex if jti is None else jti}
    payload.update(claims)
    payload = {k: v for k, v in payload.items() if v is not None}
    if isinstance(key, KeyPair):
        alg, kid, key = alg or key.alg, kid if kid is not None else key.kid, key.private_pem
    header = dict(headers or {})
    if kid:
        header["kid"] = kid
    return jwt.encode(payload, key, algorithm=alg, headers=header or None)


def request_token(token_endpoint, assertion, scope="system/*.rs", grant_type="client_credentials",
                  assertion_type=ASSERTION_TYPE, extra=None):
    """POST a token request; (HTTP status, parsed JSON body)."""
    form = {"grant_type": grant_type, "client_assertion_type": assertion_type, "client_assertion": assertion}
    if scope is not None:
        form["scope"] = scope
    form.update(extra or {})
    form = {k: v for k, v in form.items() if v is not None}
    request = urllib.request.Request(token_endpoint, data=urllib.parse.urlencode(form).encode(), method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded",
                                              "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            return e.code, json.loads(raw)
        except ValueError:
            return e.code, raw.decode(errors="replace")


# ---- scopes ------------------------------------------------------------------------------------------------------

def _scope_grants(scope):
    """{(type, letters)} of SMART system scopes, v1 (read, write, *) as v2 letters; None for a scope of another form.
    """
    prefix, _, rest = scope.partition("/")
    resource, dot, permissions = rest.rpartition(".")
    if prefix != "system" or not dot or not resource or "?" in permissions:
        return None
    letters = {"read": "rs", "write": "cud", "*": "cruds"}.get(permissions, permissions)
    if not letters or set(letters) - set("cruds"):
        return None
    return resource, set(letters)


def scope_covers(allowed, requested):
    """Whether the space-separated `allowed` scopes grant every scope of `requested` (each requested scope must fall
    within one allowed scope: the same or * type, a subset of its permissions)."""
    allowed_grants = [g for g in (_scope_grants(s) for s in allowed.split()) if g]
    for scope in requested.split():
        wanted = _scope_grants(scope)
        if wanted is None:
            return False
        if not any(t in ("*", wanted[0]) and wanted[1] <= letters for t, letters in allowed_grants):
            return False
    return True


# ---- the authorization server ------------------------------------------------------------------------------------

@dataclasses.dataclass
class Client:
    client_id: str
    public_pem: bytes
    algs: tuple = ASYMMETRIC_ALGS  # what this client may sign with: RS384 for an RSA key, ES384 for EC P-384
    scope: str = "system/*.cruds"   # what it may ask for
    kid: str = None                 # if set, an assertion's kid must be this (an assertion without one is taken)


@dataclasses.dataclass
class TokenRequest:
    """One POST to the token endpoint, as the server judged it."""
    at: float                    # time.time() when it arrived
    outcome: str                 # "issued" | "refused"
    status: int                  # HTTP status answered
    client_id: str = None        # the assertion's iss (unverified when refused)
    error: str = None            # RFC 6749 5.2 error code when refused
    reason: str = None           # why, in words (also the error_description)
    scope: str = None            # scope asked for
    jti: str = None
    alg: str = None
    kid: str = None
    access_token: str = None     # what was issued
    expires_in: int = None       # what the response said
    token_exp: int = None        # the access token's real exp claim
    form: dict = None            # the form fields, client_assertion included


class SmartAuthServer:
    """An OAuth 2.0 token endpoint for SMART Backend Services on http://127.0.0.1:PORT/token, in a thread.

    hapi_base: the open base of the hapi-local under test (GG_HAPI_BASE); its run directory holds the token key this
    server signs access tokens with and the smart-configuration file it writes (run_dir, token_key_file,
    smart_configuration_file override where they are). token_lifetime_s: how long an access token is good for (its
    exp); expires_in: what the response claims instead (None: the same), e.g. token_lifetime_s=3, expires_in=3600
    makes HAPI refuse a token the client still believes good, so the client must get a new one on the 401.
    Both may be changed while the server runs. Use as a context manager or call start() and stop().
    """

    def __init__(self, hapi_base=HAPI_BASE, token_lifetime_s=300, expires_in=None, run_dir=None,
                 token_key_file=None, smart_configuration_file=None, write_configuration=True,
                 configuration_extra=None, leeway_s=2, require_kid=False):
        self.hapi_base = hapi_base
        self.secure_base = secure_base(hapi_base)
        self.basic_base = basic_base(hapi_base)
        self.token_lifetime_s = token_lifetime_s
        self.expires_in = expires_in
        self.token_key_file = pathlib.Path(token_key_file or hapi_run_file("token-key", hapi_base, run_dir))
        self.smart_configuration_file = pathlib.Path(
            smart_configuration_file or hapi_run_file("smart-configuration.json", hapi_base, run_dir))
        self.write_configuration = write_configuration
        self.configuration_extra = dict(configuration_extra or {})
        self.leeway_s = leeway_s
        self.require_kid = require_kid
        self.clients = {}
        self._lock = threading.Lock()
        self._requests = []
        self._seen_jti = set()
        self._failures = []  # [(status, body)] answered to the next requests instead of judging them
        self._httpd = None
        self._thread = None
        self.port = None
        self.url = None
        self.token_endpoint = None

    # -- set-up --

    def register_client(self, client_id, public_pem, algs=ASYMMETRIC_ALGS, scope="system/*.cruds", kid=None):
        """Let client_id sign assertions with the key whose public half is public_pem (bytes or str, or a KeyPair:
        then its kid is registered too unless kid= says otherwise): RS384 with an RSA key, ES384 with EC P-384 (algs
        narrows that further: algs=() registers a client whose every assertion is refused). scope: the most it may
        ask for (space-separated SMART system scopes, v1 or v2)."""
        if isinstance(public_pem, KeyPair):
            kid = kid if kid is not None else public_pem.kid
            public_pem = public_pem.public_pem
        if isinstance(public_pem, str):
            public_pem = public_pem.encode()
        key = serialization.load_pem_public_key(public_pem)
        if isinstance(key, rsa.RSAPublicKey):
            algs = tuple(a for a in algs if a.startswith("RS"))
        elif isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == "secp384r1":
            algs = tuple(a for a in algs if a.startswith("ES"))
        else:
            raise ValueError("a client key is RSA or EC P-384")
        self.clients[client_id] = Client(client_id, public_pem, algs, scope, kid)

    def start(self):
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status, payload = server._handle_token(self.path, self.headers.get("Content-Type", ""), body)
                self._answer(status, payload)

            def do_GET(self):
                if self.path == "/.well-known/smart-configuration":
                    self._answer(200, server.smart_configuration())
                else:
                    self._answer(404, {"error": "not_found"})

            def _answer(self, status, payload):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Cache-Control", "no-store")
                self.send_header("Pragma", "no-cache")
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.token_endpoint = f"{self.url}/token"
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="smart-auth-server", daemon=True)
        self._thread.start()
        if self.write_configuration:
            self.write_smart_configuration()
        return self

    def stop(self):
        """Stop serving; remove the smart-configuration file if it is still this server's."""
        if self._httpd:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self.write_configuration:
            try:
                if json.loads(self.smart_configuration_file.read_text()).get("token_endpoint") == self.token_endpoint:
                    self.smart_configuration_file.unlink()
            except (OSError, ValueError):
                pass

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def smart_configuration(self):
        """The discovery document hapi-local serves at {secure_base}/.well-known/smart-configuration."""
        document = {
            "issuer": self.url,
            "token_endpoint": self.token_endpoint,
            "grant_types_supported": ["client_credentials"],
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "token_endpoint_auth_signing_alg_values_supported": list(ASYMMETRIC_ALGS),
            "scopes_supported": ["system/*.read", "system/*.write", "system/*.*", "system/*.rs", "system/*.cu",
                                 "system/*.cud", "system/*.cruds"],
            "capabilities": ["client-confidential-asymmetric", "permission-v1", "permission-v2"],
        }
        document.update(self.configuration_extra)
        return {k: v for k, v in document.items() if v is not None}

    def write_smart_configuration(self, document=None):
        """(Re)write HAPI's smart-configuration file: this server's document, or `document` (a dict, or a str written
        as it is: a test of a broken discovery)."""
        document = self.smart_configuration() if document is None else document
        _write_private(self.smart_configuration_file,
                       document if isinstance(document, str) else json.dumps(document, indent=2) + "\n")

    # -- what a test looks at or changes while it runs --

    @property
    def requests(self):
        """Every token request so far (a copy), oldest first."""
        with self._lock:
            return list(self._requests)

    def issued(self):
        return [r for r in self.requests if r.outcome == "issued"]

    def refused(self):
        return [r for r in self.requests if r.outcome == "refused"]

    def wait_for_requests(self, count, timeout=30, predicate=None):
        """Wait until at least `count` token requests (matching `predicate`) have arrived; returns them."""
        deadline = time.monotonic() + timeout
        while True:
            found = [r for r in self.requests if predicate is None or predicate(r)]
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} token request(s) within {timeout} s, got {len(found)}: "
                                     + "; ".join(f"{r.outcome} {r.error or ''} {r.reason or ''}" for r in found))
            time.sleep(0.1)

    def gateway_fhir_settings(self, client_id, key, scope="system/*.rs system/*.cu"):
        """The gateway's fhir section for this server (config keys of gateway/config/config.cpp): base_url the
        secure path, the client id, the private key file and its kid, the scope. No smart_token_endpoint: the
        gateway discovers it at {base_url}/.well-known/smart-configuration."""
        return {"base_url": self.secure_base, "smart_client_id": client_id,
                "smart_private_key_file": str(key.private_key_file), "smart_key_id": key.kid, "smart_scope": scope}

    def fail_next(self, count=1, status=503, body=None):
        """Answer the next `count` token requests with `status` and `body` (default {"error":
        "temporarily_unavailable"}) without judging them (recorded as refused, error "injected")."""
        with self._lock:
            self._failures.extend([(status, body or {"error": "temporarily_unavailable",
                                                     "error_description": "injected by the test"})] * count)

    def mint_access_token(self, scope="system/*.cruds", lifetime_s=None, sub="test", **claims):
        """An access token hapi-local accepts, without a token request (for probing HAPI directly)."""
        now = int(time.time())
        payload = {"iss": self.url or "smart-support", "sub": sub, "aud": self.secure_base, "scope": scope,
                   "iat": now, "exp": now + (self.token_lifetime_s if lifetime_s is None else lifetime_s),
                   "jti": uuid.uuid4().hex}
        payload.update(claims)
        return jwt.encode({k: v for k, v in payload.items() if v is not None},
                          self.token_key_file.read_text().strip().encode(), algorithm="HS256")

    # -- the token endpoint --

    def _handle_token(self, path, content_type, body):
        record = TokenRequest(at=time.time(), outcome="refused", status=400)
        with self._lock:
            injected = self._failures.pop(0) if self._failures else None
        try:
            form = {k: v[-1] for k, v in urllib.parse.parse_qs(body.decode("utf-8", "replace"),
                                                               keep_blank_values=True).items()}
        except ValueError:
            form = {}
        record.form, record.scope = form, form.get("scope")
        try:
            if injected:
                record.status, record.error, record.reason = injected[0], "injected", "fail_next"
                return injected
            if urllib.parse.urlsplit(path).path != "/token":
                raise TokenError("invalid_request", f"no token endpoint at {path}", 404)
            if content_type.split(";")[0].strip().lower() != "application/x-www-form-urlencoded":
                raise TokenError("invalid_request", f"Content-Type must be application/x-www-form-urlencoded, "
                                                    f"got {content_type!r}")
            response = self._issue(form, record)
            record.outcome, record.status = "issued", 200
            return 200, response
        except TokenError as e:
            record.error, record.reason, record.status = e.error, e.description, e.status
            return e.status, {"error": e.error, "error_description": e.description}
        finally:
            with self._lock:
                self._requests.append(record)

    def _issue(self, form, record):
        if form.get("grant_type") != "client_credentials":
            raise TokenError("unsupported_grant_type", f"grant_type must be client_credentials, got "
                                                       f"{form.get('grant_type')!r}")
        if form.get("client_assertion_type") != ASSERTION_TYPE:
            raise TokenError("invalid_client", f"client_assertion_type must be {ASSERTION_TYPE}, got "
                                               f"{form.get('client_assertion_type')!r}")
        assertion = form.get("client_assertion")
        if not assertion:
            raise TokenError("invalid_client", "no client_assertion")
        claims = self.check_assertion(assertion, record)
        client = self.clients[claims["iss"]]
        if "client_id" in form and form["client_id"] != client.client_id:
            raise TokenError("invalid_client", "client_id differs from the assertion's iss")
        scope = form.get("scope")
        if not scope or not scope.strip():
            raise TokenError("invalid_scope", "no scope requested")
        scope = " ".join(scope.split())
        if not scope_covers(client.scope, scope):
            raise TokenError("invalid_scope", f"scope {scope!r} is not within {client.scope!r}")
        now = int(time.time())
        access_token = jwt.encode(
            {"iss": self.url, "sub": client.client_id, "aud": self.secure_base, "scope": scope, "iat": now,
             "exp": now + int(self.token_lifetime_s), "jti": uuid.uuid4().hex},
            self.token_key_file.read_text().strip().encode(), algorithm="HS256")
        expires_in = int(self.token_lifetime_s if self.expires_in is None else self.expires_in)
        record.access_token, record.expires_in, record.token_exp = access_token, expires_in, now + self.token_lifetime_s
        return {"access_token": access_token, "token_type": "bearer", "expires_in": expires_in, "scope": scope}

    def check_assertion(self, assertion, record=None):
        """The claims of a client assertion that passes every check, or TokenError("invalid_client", why):
        a JWS of three parts; header alg RS384 or ES384 and one the client is registered for (none, HS*, PS*,
        anything else refused), typ JWT if present, kid the registered one if both are set (present at all if
        require_kid); iss a registered client; the signature good with that client's public key; sub == iss;
        aud == this token endpoint's URL (a string, or a list holding it); exp present, not passed and at most five
        minutes ahead (leeway_s for clock rounding); nbf and iat, when present, not in the future; jti present and
        never seen before (replays are refused; a jti counts as seen once its signature checked out)."""
        record = record or TokenRequest(at=time.time(), outcome="refused", status=400)
        try:
            header = jwt.get_unverified_header(assertion)
            unverified = jwt.decode(assertion, options={"verify_signature": False})
        except jwt.PyJWTError as e:
            raise TokenError("invalid_client", f"the client_assertion is not a JWT: {e}")
        alg, kid, iss = header.get("alg"), header.get("kid"), unverified.get("iss")
        record.alg, record.kid, record.client_id, record.jti = alg, kid, iss, unverified.get("jti")
        if alg not in ASYMMETRIC_ALGS:
            raise TokenError("invalid_client", f"alg {alg!r} is not accepted (RS384 or ES384)")
        if "typ" in header and str(header["typ"]).upper() != "JWT":
            raise TokenError("invalid_client", f"typ must be JWT, got {header['typ']!r}")
        client = self.clients.get(iss) if isinstance(iss, str) else None
        if client is None:
            raise TokenError("invalid_client", f"unknown client (iss {iss!r})")
        if alg not in client.algs:
            raise TokenError("invalid_client", f"client {iss} is not registered for {alg}")
        if self.require_kid and not kid:
            raise TokenError("invalid_client", "the assertion has no kid")
        if kid and client.kid and kid != client.kid:
            raise TokenError("invalid_client", f"unknown kid {kid!r} for client {iss}")
        try:
            claims = jwt.decode(assertion, client.public_pem, algorithms=[alg],
                                options={"verify_aud": False, "verify_exp": False, "verify_nbf": False,
                                         "verify_iat": False, "verify_iss": False})
        except jwt.InvalidSignatureError:
            raise TokenError("invalid_client", "bad signature")
        except jwt.PyJWTError as e:
            raise TokenError("invalid_client", f"the assertion does not verify: {e}")
        now = time.time()
        if claims.get("sub") != iss:
            raise TokenError("invalid_client", f"sub {claims.get('sub')!r} differs from iss {iss!r}")
        aud = claims.get("aud")
        if not (aud == self.token_endpoint or (isinstance(aud, list) and self.token_endpoint in aud)):
            raise TokenError("invalid_client", f"aud {aud!r} is not the token endpoint {self.token_endpoint}")
        exp = claims.get("exp")
        if not isinstance(exp, (int, float)) or isinstance(exp, bool):
            raise TokenError("invalid_client", "no numeric exp")
        if exp <= now - self.leeway_s:
            raise TokenError("invalid_client", f"the assertion expired {now - exp:.0f} s ago")
        if exp > now + MAX_ASSERTION_LIFETIME_S + self.leeway_s:
            raise TokenError("invalid_client", f"exp is {exp - now:.0f} s ahead; at most 300 s are allowed")
        for name in ("nbf", "iat"):
            if name in claims and (not isinstance(claims[name], (int, float)) or claims[name] > now + self.leeway_s):
                raise TokenError("invalid_client", f"{name} is in the future")
        jti = claims.get("jti")
        if not isinstance(jti, str) or not jti:
            raise TokenError("invalid_client", "no jti")
        with self._lock:
            replay = (iss, jti) in self._seen_jti
            self._seen_jti.add((iss, jti))
        if replay:
            raise TokenError("invalid_client", f"jti {jti!r} was used before (replay)")
        return claims


class TokenError(Exception):
    def __init__(self, error, description, status=400):
        super().__init__(f"{error}: {description}")
        self.error, self.description, self.status = error, description, status


# ---- self-check against a running hapi-local ---------------------------------------------------------------------

def _fhir(method, url, token=None, body=None, basic=None):
    headers = {"Accept": "application/fhir+json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if basic:
        headers["Authorization"] = "Basic " + base64.b64encode(basic.encode()).decode()
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/fhir+json"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, dict(response.headers), json.loads(response.read() or b"null")
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = raw.decode(errors="replace")
        return e.code, dict(e.headers), parsed


def self_check(hapi_base=HAPI_BASE, run_dir=None):
    def check(condition, what):
        if not condition:
            raise AssertionError(what)
        print(f"  ok: {what}")

    with tempfile.TemporaryDirectory(prefix="smart-support-") as tmp:
        rsa_key, ec_key = make_key_pair(tmp, "RS384"), make_key_pair(tmp, "ES384")
        other_key = make_key_pair(tmp, "RS384", name="intruder", rsa_bits=2048)
        with SmartAuthServer(hapi_base, run_dir=run_dir, token_lifetime_s=60) as server:
            server.register_client("gateway-rsa", rsa_key)
            server.register_client("gateway-ec", ec_key, scope="system/Observation.rs system/Patient.read")
            base = server.secure_base
            print(f"authorization server {server.token_endpoint}, FHIR {base}")

            print("discovery")
            status, _, document = _fhir("GET", f"{base}/.well-known/smart-configuration")
            check(status == 200 and document.get("token_endpoint") == server.token_endpoint,
                  f"GET .well-known/smart-configuration names this token endpoint ({status})")
            status, _, cs = _fhir("GET", f"{base}/metadata")
            check(status == 200 and cs.get("resourceType") == "CapabilityStatement", "metadata needs no token")

            print("tokens")
            status, grant = request_token(server.token_endpoint,
                                          make_assertion("gateway-rsa", server.token_endpoint, rsa_key),
                                          scope="system/*.rs system/*.cu")
            check(status == 200 and grant.get("token_type") == "bearer" and grant.get("expires_in") == 60
                  and grant.get("scope") == "system/*.rs system/*.cu",
                  f"RS384 client gets a token: { {k: v for k, v in grant.items() if k != 'access_token'} }")
            token = grant["access_token"]
            status, grant_ec = request_token(server.token_endpoint,
                                             make_assertion("gateway-ec", server.token_endpoint, ec_key),
                                             scope="system/Observation.rs")
            check(status == 200, f"ES384 client gets a token ({status} {grant_ec.get('scope')})")

            print("FHIR with the token")
            status, headers, _ = _fhir("GET", f"{base}/Patient")
            check(status == 401 and "Bearer" in headers.get("WWW-Authenticate", ""), "no token: 401 Bearer")
            patient = {"resourceType": "Patient", "name": [{"family": "Smartcheck"}]}
            status, _, created = _fhir("POST", f"{base}/Patient", token, patient)
            check(status == 201, f"create with system/*.cu: {status}")
            status, _, read = _fhir("GET", f"{base}/Patient/{created['id']}", token)
            check(status == 200 and read["id"] == created["id"], "read with system/*.rs")
            status, _, bundle = _fhir("GET", f"{base}/Patient?_count=1&_id={created['id']}", token)
            links = [link["url"] for link in bundle.get("link", [])] + [e["fullUrl"] for e in bundle.get("entry", [])]
            check(status == 200 and links and all(u.startswith(base + "/") or u.startswith(base + "?")
                                                  for u in links), f"search links under {base}: {links}")
            status, _, _ = _fhir("DELETE", f"{base}/Patient/{created['id']}", token)
            check(status == 403, f"delete without d: 403 ({status})")
            status, headers, _ = _fhir("GET", f"{base}/Patient/{created['id']}", grant_ec["access_token"])
            check(status == 403 and "insufficient_scope" in headers.get("WWW-Authenticate", ""),
                  "an Observation-only token reading a Patient: 403 insufficient_scope")
            status, _, _ = _fhir("GET", f"{base}/Observation?_count=1", grant_ec["access_token"])
            check(status == 200, "the Observation-only token searching Observations: 200")
            observation = {"resourceType": "Observation", "status": "final", "code": {"text": "smart check"},
                           "subject": {"reference": f"Patient/{created['id']}"}}
            status, _, _ = _fhir("POST", f"{base}/Observation", grant_ec["access_token"], observation)
            check(status == 403, f"the read-only token creating an Observation: 403 ({status})")
            transaction = {"resourceType": "Bundle", "type": "transaction", "entry": [
                {"resource": observation, "request": {"method": "POST", "url": "Observation"}},
                {"request": {"method": "GET", "url": f"Patient/{created['id']}"}}]}
            status, _, _ = _fhir("POST", base, grant_ec["access_token"], transaction)
            check(status == 403, f"a transaction with the read-only token: 403 ({status})")
            status, _, response = _fhir("POST", base, token, transaction)
            check(status == 200 and response["entry"][0]["response"]["status"].startswith("201"),
                  f"the transaction with system/*.rs system/*.cu: {status}")
            for _ in range(2):
                _fhir("POST", f"{base}/Observation", token, observation)
            status, _, page = _fhir("GET", f"{base}/Observation?subject=Patient/{created['id']}&_count=1",
                                    grant_ec["access_token"])
            following = [link["url"] for link in page.get("link", []) if link["relation"] == "next"]
            check(status == 200 and following and following[0].startswith(base + "?_getpages="),
                  f"a search's next link is under {base}: {following}")
            status, _, page2 = _fhir("GET", following[0], grant_ec["access_token"])
            check(status == 200 and page2.get("entry"), "the next page with the same token: 200")
            check(_fhir("GET", following[0])[0] == 401, "the next page without a token: 401")
            short = server.mint_access_token("system/*.rs", lifetime_s=1)
            time.sleep(2.1)
            status, headers, outcome = _fhir("GET", f"{base}/Patient?_count=1", short)
            check(status == 401 and 'error="invalid_token"' in headers.get("WWW-Authenticate", ""),
                  f"expired token: 401 invalid_token ({(outcome or {}).get('issue', [{}])[0].get('diagnostics')})")

            print("refusals")
            def refused(label, assertion, want="invalid_client", **kwargs):
                status, body = request_token(server.token_endpoint, assertion, **kwargs)
                check(status == 400 and isinstance(body, dict) and body.get("error") == want,
                      f"{label}: {status} {body.get('error') if isinstance(body, dict) else body}"
                      f" ({body.get('error_description') if isinstance(body, dict) else ''})")
            endpoint = server.token_endpoint
            refused("signed by another key", make_assertion("gateway-rsa", endpoint, other_key.private_pem,
                                                            alg="RS384"))
            refused("aud the FHIR base", make_assertion("gateway-rsa", server.secure_base, rsa_key))
            refused("expired", make_assertion("gateway-rsa", endpoint, rsa_key, lifetime_s=-30))
            refused("exp 10 minutes ahead", make_assertion("gateway-rsa", endpoint, rsa_key, lifetime_s=600))
            refused("no exp", make_assertion("gateway-rsa", endpoint, rsa_key, exp=None))
            refused("no jti", make_assertion("gateway-rsa", endpoint, rsa_key, jti=""))
            refused("sub differs from iss", make_assertion("gateway-rsa", endpoint, rsa_key, sub="someone"))
            replayed = make_assertion("gateway-rsa", endpoint, rsa_key)
            check(request_token(endpoint, replayed)[0] == 200, "a fresh assertion once: 200")
            refused("the same assertion again (jti replayed)", replayed)
            unsigned = jwt.encode({"iss": "gateway-rsa", "sub": "gateway-rsa", "aud": endpoint,
                                   "exp": int(time.time()) + 60, "jti": uuid.uuid4().hex}, None, algorithm="none")
            refused("alg none", unsigned)
            # HS256 keyed with the client's public key (algorithm confusion): PyJWT refuses to make it, so by hand.
            head = base64.urlsafe_b64encode(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()).rstrip(b"=")
            body = base64.urlsafe_b64encode(json.dumps({
                "iss": "gateway-rsa", "sub": "gateway-rsa", "aud": endpoint, "exp": int(time.time()) + 60,
                "jti": uuid.uuid4().hex}).encode()).rstrip(b"=")
            mac = hmac.new(rsa_key.public_pem, head + b"." + body, "sha256").digest()
            confused = (head + b"." + body + b"." + base64.urlsafe_b64encode(mac).rstrip(b"=")).decode()
            refused("HS256 with the public key as secret", confused)
            refused("unknown client", make_assertion("nobody", endpoint, rsa_key))
            refused("kid of another key", make_assertion("gateway-rsa", endpoint, rsa_key, kid="not-registered"))
            refused("ES384 with a key the RSA client never registered",
                    make_assertion("gateway-rsa", endpoint, ec_key, kid=rsa_key.kid))
            refused("scope beyond the registration", make_assertion("gateway-ec", endpoint, ec_key),
                    want="invalid_scope", scope="system/Observation.cruds")
            refused("grant_type authorization_code", make_assertion("gateway-rsa", endpoint, rsa_key),
                    want="unsupported_grant_type", grant_type="authorization_code")
            refused("another client_assertion_type", make_assertion("gateway-rsa", endpoint, rsa_key),
                    assertion_type="urn:ietf:params:oauth:client-assertion-type:saml2-bearer")
            reasons = [r.reason for r in server.refused()]
            check(any("replay" in r for r in reasons) and any("bad signature" in r for r in reasons),
                  f"refusals recorded with reasons ({len(reasons)})")

            print("short-lived tokens and key rotation")
            server.token_lifetime_s, server.expires_in = 2, 3600
            status, grant = request_token(endpoint, make_assertion("gateway-rsa", endpoint, rsa_key))
            check(status == 200 and grant["expires_in"] == 3600, "expires_in says 3600 s")
            check(_fhir("GET", f"{base}/Patient?_count=1", grant["access_token"])[0] == 200, "good at first")
            time.sleep(3.1)
            check(_fhir("GET", f"{base}/Patient?_count=1", grant["access_token"])[0] == 401, "401 after 2 s")
            server.token_lifetime_s, server.expires_in = 60, None
            token = server.mint_access_token("system/*.rs")
            rotate_hapi_token_key(hapi_base, run_dir)
            check(_fhir("GET", f"{base}/Patient?_count=1", token)[0] == 401, "a token from before rotation: 401")
            check(_fhir("GET", f"{base}/Patient?_count=1", server.mint_access_token("system/*.rs"))[0] == 200,
                  "a token after rotation: 200")
            server.fail_next(1)
            status, body = request_token(endpoint, make_assertion("gateway-rsa", endpoint, rsa_key))
            check(status == 503 and body["error"] == "temporarily_unavailable", "fail_next: 503")

            print("HTTP Basic")
            b = server.basic_base
            check(_fhir("GET", f"{b}/Patient?_count=1")[0] == 401, "/basic/fhir without a credential: 401")
            check(_fhir("GET", f"{b}/Patient?_count=1", basic="hapi-local:wrong")[0] == 401, "wrong password: 401")
            status, _, bundle = _fhir("GET", f"{b}/Patient?_count=1", basic=basic_credential(hapi_base, run_dir))
            check(status == 200 and bundle["link"][0]["url"].startswith(b + "/"), "the right one: 200, links there")
        check(not server.smart_configuration_file.exists(), "stop() removed the smart-configuration file")
    print("SMART SUPPORT SELF-CHECK PASSED")


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Check smart_support.py against a running hapi-local.")
    parser.add_argument("--hapi-base", default=HAPI_BASE, help="its open base URL (default GG_HAPI_BASE)")
    parser.add_argument("--run-dir", default=None, help="its run directory (default deploy/hapi-local/.run)")
    arguments = parser.parse_args()
    self_check(arguments.hapi_base, arguments.run_dir)
