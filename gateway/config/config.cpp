#include "gateway/config/config.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <utility>

#include "analytics/enum_text.hpp"
#include "fhir/url.hpp"
#include "gateway/telemetry/log.hpp"

extern char** environ;  // NOLINT: POSIX

namespace gg::gateway {
namespace {

constexpr std::string_view kEnvPrefix = "GRADIENT_GATEWAY_";

// What a key's text value means. Secrets are never read inline: a *_file key names a file holding the secret.
enum class Kind { text, path, integer, boolean, secret_file, issuer_list };

struct KeySpec {
  std::string section;
  std::string key;
  Kind kind;
  std::string default_text;
  std::string meaning;
  // Applies a validated value; returns an error message or empty.
  std::function<std::string(Config&, const std::string&)> apply;
};

std::optional<long long> parse_integer(const std::string& text) {
  long long value = 0;
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc{} || ptr != end) return std::nullopt;
  return value;
}

std::optional<bool> parse_boolean(const std::string& text) {
  if (text == "true" || text == "yes" || text == "on" || text == "1") return true;
  if (text == "false" || text == "no" || text == "off" || text == "0") return false;
  return std::nullopt;
}

// "0s,5s,5m,30m,2h": durations with a unit each (ms, s, m, h), comma-separated, at least one; nullopt otherwise.
std::optional<std::vector<std::chrono::milliseconds>> parse_schedule(const std::string& text) {
  std::vector<std::chrono::milliseconds> schedule;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    const auto digits = item.find_first_not_of("0123456789");
    if (digits == 0 || digits == std::string::npos) return std::nullopt;
    const auto number = parse_integer(item.substr(0, digits));
    const std::string unit = item.substr(digits);
    if (!number || *number > 1'000'000) return std::nullopt;
    if (unit == "ms") {
      schedule.emplace_back(*number);
    } else if (unit == "s") {
      schedule.emplace_back(std::chrono::seconds(*number));
    } else if (unit == "m") {
      schedule.emplace_back(std::chrono::minutes(*number));
    } else if (unit == "h") {
      schedule.emplace_back(std::chrono::hours(*number));
    } else {
      return std::nullopt;
    }
  }
  if (schedule.empty()) return std::nullopt;
  return schedule;
}

std::string read_secret_file(const std::string& path, std::string& secret) {
  std::ifstream in(path);
  if (!in) return "cannot read secret file " + path;
  std::stringstream buffer;
  buffer << in.rdbuf();
  secret = buffer.str();
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r' || secret.back() == ' ')) {
    secret.pop_back();
  }
  if (secret.empty()) return "secret file " + path + " is empty";
  return {};
}

std::function<std::string(Config&, const std::string&)> int_in(long long low, long long high,
                                                               std::function<void(Config&, long long)> set) {
  return [low, high, set = std::move(set)](Config& config, const std::string& text) -> std::string {
    auto value = parse_integer(text);
    if (!value) return "expected an integer, got '" + text + "'";
    if (*value < low || *value > high) {
      return "must be between " + std::to_string(low) + " and " + std::to_string(high);
    }
    set(config, *value);
    return {};
  };
}

std::function<std::string(Config&, const std::string&)> flag(std::function<void(Config&, bool)> set) {
  return [set = std::move(set)](Config& config, const std::string& text) -> std::string {
    auto value = parse_boolean(text);
    if (!value) return "expected true or false, got '" + text + "'";
    set(config, *value);
    return {};
  };
}

std::function<std::string(Config&, const std::string&)> text(
    std::function<void(Config&, const std::string&)> set) {
  return [set = std::move(set)](Config& config, const std::string& value) -> std::string {
    set(config, value);
    return {};
  };
}

// cds.issuers from the environment: "ISS JWKS_FILE" pairs separated by ";" (relative files resolved by the
// caller). In the file it is a YAML list of {iss, jwks_file} (load_config).
std::string parse_issuers(Config& config, const std::string& text) {
  config.cds.issuers.clear();
  std::istringstream entries(text);
  std::string entry;
  while (std::getline(entries, entry, ';')) {
    std::istringstream words(entry);
    CdsIssuerConfig issuer;
    std::string extra;
    if (!(words >> issuer.iss)) continue;
    if (!(words >> issuer.jwks_file) || (words >> extra)) return "expected \"ISS JWKS_FILE\" pairs separated by ;";
    config.cds.issuers.push_back(std::move(issuer));
  }
  return {};
}

const std::vector<KeySpec>& key_specs() {
  static const std::vector<KeySpec> specs = {
      {"server", "listen_address", Kind::text, "127.0.0.1", "address the HTTP server binds (0.0.0.0 for all)",
       text([](Config& c, const std::string& v) { c.server.listen_address = v; })},
      {"server", "port", Kind::integer, "8089", "TCP port of the HTTP server (0: any free port)",
       int_in(0, 65535, [](Config& c, long long v) { c.server.port = static_cast<unsigned>(v); })},
      {"server", "public_base_url", Kind::text, "http://{listen_address}:{port}",
       "base URL at which the FHIR server reaches this gateway (the Subscription endpoint is built from it)",
       text([](Config& c, const std::string& v) { c.server.public_base_url = v; })},
      {"server", "body_limit_bytes", Kind::integer, "8388608", "largest accepted request body; larger gets 413",
       int_in(1024, 1LL << 31,
              [](Config& c, long long v) { c.server.body_limit_bytes = static_cast<std::size_t>(v); })},
      {"server", "max_connections", Kind::integer, "64",
       "connections open at once (each may hold a body of up to body_limit_bytes); more are answered 503 with "
       "Retry-After and closed",
       int_in(1, 100000, [](Config& c, long long v) { c.server.max_connections = static_cast<std::size_t>(v); })},
      {"server", "plain_http", Kind::boolean, "false",
       "listen without TLS; the service refuses to start with neither this nor tls_cert_file",
       flag([](Config& c, bool v) { c.server.plain_http = v; })},
      {"server", "tls_cert_file", Kind::path, "",
       "the listener's certificate chain (PEM, leaf first); reread on SIGHUP",
       text([](Config& c, const std::string& v) { c.server.tls_cert_file = v; })},
      {"server", "tls_key_file", Kind::path, "", "the private key of tls_cert_file (PEM); reread on SIGHUP",
       text([](Config& c, const std::string& v) { c.server.tls_key_file = v; })},
      {"server", "tls_client_ca_file", Kind::path, "", "CA certificates (PEM) that sign clients' certificates",
       text([](Config& c, const std::string& v) { c.server.tls_client_ca_file = v; })},
      {"server", "tls_client_certificates", Kind::text, "none",
       "mutual TLS: " + analytics::alternatives(kClientCertificateModeText) +
           " (notifications: the notification endpoint refuses clients without one; all: every handshake)",
       [](Config& c, const std::string& v) -> std::string {
         const auto mode = analytics::value_of(kClientCertificateModeText, v);
         if (!mode) return "expected " + analytics::choices(kClientCertificateModeText);
         c.server.tls_client_certificates = *mode;
         return {};
       }},
      {"server", "metrics_access", Kind::text, "token",
       "who may read /metrics: " + analytics::alternatives(kMetricsAccessText) +
           " (token: with the admin token; listener: anyone, on metrics_address:metrics_port only)",
       [](Config& c, const std::string& v) -> std::string {
         const auto access = analytics::value_of(kMetricsAccessText, v);
         if (!access) return "expected " + analytics::choices(kMetricsAccessText);
         c.server.metrics_access = *access;
         return {};
       }},
      {"server", "metrics_address", Kind::text, "127.0.0.1",
       "metrics_access listener: the address of /metrics, /healthz and /readyz (plain HTTP)",
       text([](Config& c, const std::string& v) { c.server.metrics_address = v; })},
      {"server", "metrics_port", Kind::integer, "9464", "metrics_access listener: its port (0: any free port)",
       int_in(0, 65535, [](Config& c, long long v) { c.server.metrics_port = static_cast<unsigned>(v); })},
      {"server", "auth_failure_limit", Kind::integer, "20",
       "failed authentications from one address within auth_failure_window_s before it is answered 429 (0: none)",
       int_in(0, 1000000,
              [](Config& c, long long v) { c.server.auth_failure_limit = static_cast<std::size_t>(v); })},
      {"server", "auth_failure_window_s", Kind::integer, "60",
       "the window of auth_failure_limit, from an address's first failure; it is locked out until the window ends",
       int_in(1, 86400, [](Config& c, long long v) { c.server.auth_failure_window = std::chrono::seconds(v); })},
      {"server", "read_timeout_s", Kind::integer, "30",
       "how long a whole request may take to arrive (408 when it is cut short), and an idle keep-alive connection",
       int_in(1, 3600, [](Config& c, long long v) { c.server.read_timeout = std::chrono::seconds(v); })},
      {"server", "write_timeout_s", Kind::integer, "30", "how long a response may take to be written",
       int_in(1, 3600, [](Config& c, long long v) { c.server.write_timeout = std::chrono::seconds(v); })},
      {"server", "handshake_timeout_s", Kind::integer, "10", "how long a TLS handshake may take",
       int_in(1, 600, [](Config& c, long long v) { c.server.handshake_timeout = std::chrono::seconds(v); })},
      {"server", "notification_path", Kind::text, "/notify",
       "path prefix of the REST-hook endpoint (HAPI sends PUT {prefix}/Observation/{id})",
       text([](Config& c, const std::string& v) { c.server.notification_path = v; })},
      {"fhir", "base_url", Kind::text, "http://127.0.0.1:8080/fhir", "base URL of the FHIR R4 server",
       text([](Config& c, const std::string& v) { c.fhir.base_url = v; })},
      {"fhir", "connect_timeout_ms", Kind::integer, "5000", "TCP and TLS connect timeout",
       int_in(1, 600000, [](Config& c, long long v) { c.fhir.connect_timeout = std::chrono::milliseconds(v); })},
      {"fhir", "request_timeout_ms", Kind::integer, "30000", "timeout of one request, sending to last byte",
       int_in(1, 3600000, [](Config& c, long long v) { c.fhir.request_timeout = std::chrono::milliseconds(v); })},
      {"fhir", "verify_tls", Kind::boolean, "true", "verify the server's certificate and host name",
       flag([](Config& c, bool v) { c.fhir.verify_tls = v; })},
      {"fhir", "ca_file", Kind::path, "", "CA bundle (PEM); empty: the system's trust store",
       text([](Config& c, const std::string& v) { c.fhir.ca_file = v; })},
      {"fhir", "bearer_token_file", Kind::secret_file, "",
       "file holding an OAuth bearer token (or set GRADIENT_GATEWAY_FHIR_BEARER_TOKEN)",
       [](Config& c, const std::string& v) { return read_secret_file(v, c.fhir.bearer_token); }},
      {"fhir", "basic_auth_file", Kind::secret_file, "",
       "file holding user:password for HTTP Basic authentication (or set GRADIENT_GATEWAY_FHIR_BASIC_AUTH)",
       [](Config& c, const std::string& v) { return read_secret_file(v, c.fhir.basic_auth); }},
      {"fhir", "smart_client_id", Kind::text, "",
       "SMART Backend Services: the client id registered with the FHIR server's authorization server; set, every "
       "request carries an access token obtained with a signed client assertion",
       text([](Config& c, const std::string& v) { c.fhir.smart.client_id = v; })},
      {"fhir", "smart_private_key_file", Kind::secret_file, "",
       "SMART Backend Services: the client's private key (PEM; RSA of 2048 bits or more signs RS384, EC P-384 "
       "signs ES384)",
       [](Config& c, const std::string& v) { return read_secret_file(v, c.fhir.smart.private_key_pem); }},
      {"fhir", "smart_key_id", Kind::text, "",
       "SMART Backend Services: the kid of that key in the JWK Set registered for the client",
       text([](Config& c, const std::string& v) { c.fhir.smart.key_id = v; })},
      {"fhir", "smart_scope", Kind::text, "system/*.rs system/*.cu",
       "SMART Backend Services: the scopes asked for, space-separated (SMART v2; v1's system/*.read also works)",
       text([](Config& c, const std::string& v) { c.fhir.smart.scope = v; })},
      {"fhir", "smart_token_endpoint", Kind::text, "",
       "SMART Backend Services: the token endpoint; empty: token_endpoint of "
       "{base_url}/.well-known/smart-configuration",
       text([](Config& c, const std::string& v) { c.fhir.smart.token_endpoint = v; })},
      {"fhir", "smart_refresh_margin_s", Kind::integer, "30",
       "SMART Backend Services: a token is renewed when less than this is left of it (at most half its lifetime), "
       "and after a 401",
       int_in(1, 3600, [](Config& c, long long v) { c.fhir.smart.refresh_margin = std::chrono::seconds(v); })},
      {"subscription", "mode", Kind::text, "rest-hook", analytics::alternatives(kSubscriptionModeText),
       [](Config& c, const std::string& v) -> std::string {
         const auto mode = analytics::value_of(kSubscriptionModeText, v);
         if (!mode) return "expected " + analytics::choices(kSubscriptionModeText);
         c.subscription.mode = *mode;
         return {};
       }},
      {"subscription", "manage", Kind::boolean, "true",
       "create or repair the gateway's R4 Subscription on the FHIR server at start",
       flag([](Config& c, bool v) { c.subscription.manage = v; })},
      {"subscription", "trust_authenticated_payload", Kind::boolean, "false",
       "with server.tls_client_certificates notifications or all: analyse a notification's payload as it came, "
       "without reading the result again from the FHIR server",
       flag([](Config& c, bool v) { c.subscription.trust_authenticated_payload = v; })},
      {"subscription", "header_name", Kind::text, "X-Gradient-Secret",
       "header carrying the shared secret on every notification",
       text([](Config& c, const std::string& v) { c.subscription.header_name = v; })},
      {"subscription", "secret_file", Kind::secret_file, "",
       "file holding the notification shared secret (or set GRADIENT_GATEWAY_SUBSCRIPTION_SECRET)",
       [](Config& c, const std::string& v) { return read_secret_file(v, c.subscription.secret); }},
      {"subscription", "activation_timeout_s", Kind::integer, "120",
       "how long to wait for the server to mark the Subscription active",
       int_in(1, 3600,
              [](Config& c, long long v) { c.subscription.activation_timeout = std::chrono::seconds(v); })},
      {"subscription", "verify_interval_s", Kind::integer, "30",
       "how often the Subscription (rest-hook, topic or websocket mode) is checked on the server; a missing, "
       "changed or errored one is recreated and /readyz is not ready meanwhile",
       int_in(1, 86400, [](Config& c, long long v) { c.subscription.verify_interval = std::chrono::seconds(v); })},
      {"subscription", "websocket_url", Kind::text, "ws(s)://{fhir.base_url's host:port}/websocket",
       "websocket mode: the FHIR server's subscription WebSocket (ws:// or wss://; wss uses fhir.verify_tls and "
       "fhir.ca_file)",
       text([](Config& c, const std::string& v) { c.subscription.websocket_url = v; })},
      {"subscription", "websocket_reconnect_initial_ms", Kind::integer, "1000",
       "websocket mode: wait before the first reconnect; it doubles per failed attempt",
       int_in(1, 3600000,
              [](Config& c, long long v) {
                c.subscription.websocket_reconnect_initial = std::chrono::milliseconds(v);
              })},
      {"subscription", "websocket_reconnect_max_ms", Kind::integer, "60000",
       "websocket mode: the longest wait between reconnect attempts",
       int_in(1, 3600000,
              [](Config& c, long long v) {
                c.subscription.websocket_reconnect_max = std::chrono::milliseconds(v);
              })},
      {"subscription", "websocket_keepalive_s", Kind::integer, "30",
       "websocket mode: a connection without any frame from the server this long is dropped and reopened "
       "(WebSocket pings every half of it; 0: none)",
       int_in(0, 3600,
              [](Config& c, long long v) { c.subscription.websocket_keepalive = std::chrono::seconds(v); })},
      {"admin", "token_file", Kind::secret_file, "",
       "file holding the bearer token of /admin/... and /alerts/... (or set GRADIENT_GATEWAY_ADMIN_TOKEN); "
       "none: those endpoints answer 401",
       [](Config& c, const std::string& v) { return read_secret_file(v, c.admin.token); }},
      {"alerts", "allow_insecure_loopback", Kind::boolean, "false",
       "accept http:// alert endpoints on a loopback address (tests, local receivers); others must be https://",
       flag([](Config& c, bool v) { c.alerts.allow_insecure_loopback = v; })},
      {"alerts", "rotation_overlap_s", Kind::integer, "86400",
       "after a secret rotation, how long the old secret still signs (a second signature)",
       int_in(0, 30LL * 86400,
              [](Config& c, long long v) { c.alerts.rotation_overlap = std::chrono::seconds(v); })},
      {"alerts", "retry_schedule", Kind::text, "0s,5s,5m,30m,2h,5h,10h,10h",
       "delivery attempts: the wait before each (ms, s, m, h), the first usually 0s; after the last, dead letter",
       [](Config& c, const std::string& v) -> std::string {
         auto schedule = parse_schedule(v);
         if (!schedule) return "expected durations like 0s,5s,5m,2h (units ms, s, m, h), got '" + v + "'";
         c.alerts.retry_schedule = std::move(*schedule);
         return {};
       }},
      {"alerts", "request_timeout_ms", Kind::integer, "15000", "one delivery attempt, connect to last byte",
       int_in(1, 600000, [](Config& c, long long v) { c.alerts.request_timeout = std::chrono::milliseconds(v); })},
      {"state", "path", Kind::path, "gradient-gateway.db", "SQLite file of the durable intake and cursors",
       text([](Config& c, const std::string& v) { c.state.path = v; })},
      {"state", "retention_days", Kind::integer, "30",
       "done and failed events settled, and rejections recorded, longer ago are deleted (patient data); "
       "pending and dead events are kept; 0: keep everything",
       int_in(0, 36500, [](Config& c, long long v) { c.state.retention = std::chrono::days(v); })},
      {"analysis", "terminology_dir", Kind::path, "terminology",
       "analyte catalogue, ConceptMaps, medications, biological variation, reproductive-status codes",
       text([](Config& c, const std::string& v) { c.analysis.terminology_dir = v; })},
      {"analysis", "rules_dir", Kind::path, "rules", "gradient rules, target ranges and suggestions",
       text([](Config& c, const std::string& v) { c.analysis.rules_dir = v; })},
      {"analysis", "lookback_days", Kind::integer, "30", "how far back a patient's hormone results are fetched",
       int_in(1, 3650, [](Config& c, long long v) { c.analysis.lookback_days = static_cast<int>(v); })},
      {"pipeline", "max_attempts", Kind::integer, "8", "attempts per event before it is parked as dead",
       int_in(1, 1000, [](Config& c, long long v) { c.pipeline.max_attempts = static_cast<int>(v); })},
      {"pipeline", "retry_initial_backoff_ms", Kind::integer, "1000", "first retry delay; doubles per attempt",
       int_in(1, 3600000,
              [](Config& c, long long v) { c.pipeline.retry_initial_backoff = std::chrono::milliseconds(v); })},
      {"pipeline", "reconcile_interval_s", Kind::integer, "60",
       "period of the _lastUpdated catch-up search for missed notifications (0: only at start)",
       int_in(0, 86400, [](Config& c, long long v) { c.pipeline.reconcile_interval = std::chrono::seconds(v); })},
      {"pipeline", "reconcile_overlap_s", Kind::integer, "120",
       "how far each catch-up search reaches behind the newest lastUpdated seen (slow commits, clock skew)",
       int_in(0, 86400, [](Config& c, long long v) { c.pipeline.reconcile_overlap = std::chrono::seconds(v); })},
      {"pipeline", "claim_lease_s", Kind::integer, "300",
       "how long backfill holds the events it records or claims before serve may take them over (it renews "
       "the lease while it works; longer than one batch of patients takes)",
       int_in(1, 86400, [](Config& c, long long v) { c.pipeline.claim_lease = std::chrono::seconds(v); })},
      {"pipeline", "workers", Kind::integer, "4",
       "patients analysed at once (their FHIR round trips overlap); one patient's events are never split",
       int_in(1, 64, [](Config& c, long long v) { c.pipeline.workers = static_cast<int>(v); })},
      {"pipeline", "max_pending", Kind::integer, "100000",
       "the intake queue's bound: with this many events pending, notifications are answered 503 with "
       "Retry-After (the sender retries; what it gives up on, the catch-up search finds)",
       int_in(1, 100000000, [](Config& c, long long v) { c.pipeline.max_pending = v; })},
      {"pipeline", "context_cache_patients", Kind::integer, "1000",
       "patients whose fetched context is kept, so that their next notifications cost a read of each notified "
       "result instead of the whole context (0: no cache)",
       int_in(0, 1000000,
              [](Config& c, long long v) { c.pipeline.context_cache_patients = static_cast<std::size_t>(v); })},
      {"pipeline", "context_cache_ttl_s", Kind::integer, "300",
       "how long a cached context is used: a change to the Patient or its medications, which no notification "
       "announces, is seen at most this late",
       int_in(1, 86400, [](Config& c, long long v) { c.pipeline.context_cache_ttl = std::chrono::seconds(v); })},
      {"pipeline", "circuit_failures", Kind::integer, "3",
       "unavailable answers in a row (no connection, 502-504) that open the FHIR server's circuit breaker: "
       "events then wait without spending attempts",
       int_in(1, 1000, [](Config& c, long long v) { c.pipeline.circuit_failures = static_cast<int>(v); })},
      {"pipeline", "circuit_open_ms", Kind::integer, "2000",
       "how long an open breaker waits before probing the server (GET metadata); doubles per failed probe",
       int_in(10, 3600000,
              [](Config& c, long long v) { c.pipeline.circuit_open = std::chrono::milliseconds(v); })},
      {"pipeline", "circuit_max_open_ms", Kind::integer, "60000", "the longest wait between probes",
       int_in(10, 3600000,
              [](Config& c, long long v) { c.pipeline.circuit_max_open = std::chrono::milliseconds(v); })},
      {"cds", "enabled", Kind::boolean, "false",
       "serve CDS Hooks 2.0 at /cds-services: discovery and the patient-view service gradient-findings "
       "(docs/cds-hooks.md); false: /cds-services is 404",
       flag([](Config& c, bool v) { c.cds.enabled = v; })},
      {"cds", "issuers", Kind::issuer_list, "",
       "the CDS Clients trusted: a list of {iss, jwks_file}, the JWT issuer and its JWK Set file (env: "
       "\"ISS JWKS_FILE; ISS JWKS_FILE\")",
       parse_issuers},
      {"cds", "audience", Kind::text, "{public_base_url}/cds-services/gradient-findings",
       "the aud a client's JWT must name: this service's URL as the client calls it",
       text([](Config& c, const std::string& v) { c.cds.audience = v; })},
      {"cds", "clock_skew_s", Kind::integer, "60", "leeway on a JWT's exp and iat for clock differences",
       int_in(0, 600, [](Config& c, long long v) { c.cds.clock_skew = std::chrono::seconds(v); })},
      {"cds", "max_token_lifetime_s", Kind::integer, "300",
       "how far ahead a JWT's exp may lie (longer-lived tokens are refused; jti are remembered this long)",
       int_in(1, 3600, [](Config& c, long long v) { c.cds.max_token_lifetime = std::chrono::seconds(v); })},
      {"cds", "fhir_timeout_ms", Kind::integer, "5000",
       "how long a patient-view call may wait for the service's own FHIR searches (no prefetch) before 412",
       int_in(100, 60000, [](Config& c, long long v) { c.cds.fhir_timeout = std::chrono::milliseconds(v); })},
      {"ui", "enabled", Kind::boolean, "true",
       "serve the pages /ui/patients/{id} and /ui/status with their JSON under /ui/api (docs/ui.md; the admin "
       "token opens them); false: /ui is 404",
       flag([](Config& c, bool v) { c.ui.enabled = v; })},
      {"ui", "fhir_timeout_ms", Kind::integer, "10000",
       "how long the patient page's JSON may wait for the FHIR server before a 504",
       int_in(100, 120000, [](Config& c, long long v) { c.ui.fhir_timeout = std::chrono::milliseconds(v); })},
      {"ui", "status_sample_interval_s", Kind::integer, "60",
       "how often the operations page keeps a copy of the metrics for its last hour (its timeline's step)",
       int_in(1, 3600, [](Config& c, long long v) { c.ui.status_sample_interval = std::chrono::seconds(v); })},
      {"logging", "level", Kind::text, "info", analytics::alternatives(kLogLevelText),
       [](Config& c, const std::string& v) -> std::string {
         if (!analytics::value_of(kLogLevelText, v)) return "expected " + analytics::choices(kLogLevelText);
         c.logging.level = v;
         return {};
       }},
      {"logging", "format", Kind::text, "json",
       "serve's log lines: " + analytics::alternatives(kLogFormatText) +
           " (json: one object a line; text: time level event key=value, for a terminal)",
       [](Config& c, const std::string& v) -> std::string {
         if (!analytics::value_of(kLogFormatText, v)) return "expected " + analytics::choices(kLogFormatText);
         c.logging.format = v;
         return {};
       }},
      {"logging", "patient_data", Kind::boolean, "false",
       "debug switch: allow values and names of patients in logs (never in production)",
       flag([](Config& c, bool v) { c.logging.patient_data = v; })},
  };
  return specs;
}

std::string env_name(const KeySpec& spec) {
  std::string name(kEnvPrefix);
  for (char ch : spec.section + "_" + spec.key)
    name += static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return name;
}

std::string where(const std::string& file, const YAML::Node& node, const std::string& key_path) {
  std::string text = std::filesystem::path(file).filename().string();
  const YAML::Mark mark = node.Mark();
  if (!mark.is_null()) text += ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
  return text + " (" + key_path + ")";
}

const KeySpec* find_spec(const std::string& section, const std::string& key) {
  for (const auto& spec : key_specs()) {
    if (spec.section == section && spec.key == key) return &spec;
  }
  return nullptr;
}

bool section_exists(const std::string& section) {
  return std::any_of(key_specs().begin(), key_specs().end(),
                     [&](const KeySpec& s) { return s.section == section; });
}

// Paths in the file are relative to the file's directory, so a config directory can be moved as a whole.
std::string resolve_path(const std::filesystem::path& base, const std::string& value) {
  if (value.empty() || value == ":memory:") return value;
  std::filesystem::path path(value);
  return path.is_absolute() ? value : (base / path).lexically_normal().string();
}

// cds.issuers in the file: a list of mappings {iss: ..., jwks_file: ...}, the file relative to the config file.
void read_issuers(const std::string& path, const std::filesystem::path& base, const YAML::Node& node,
                  Config& config, ConfigProblems& problems) {
  config.cds.issuers.clear();
  if (node.IsNull()) return;
  if (!node.IsSequence()) {
    problems.push_back({where(path, node, "cds.issuers"), "expected a list of {iss, jwks_file}"});
    return;
  }
  for (const auto& item : node) {
    const bool shaped = item.IsMap() && item.size() == 2 && item["iss"] && item["iss"].IsScalar() &&
                        item["jwks_file"] && item["jwks_file"].IsScalar();
    if (!shaped || item["iss"].Scalar().empty() || item["jwks_file"].Scalar().empty()) {
      problems.push_back(
          {where(path, item, "cds.issuers"), "each issuer is {iss: <issuer URI>, jwks_file: <path>}"});
      continue;
    }
    config.cds.issuers.push_back({item["iss"].Scalar(), resolve_path(base, item["jwks_file"].Scalar())});
  }
}

// Issue 13, item 1: TLS where the gateway listens, plain HTTP only when the configuration says so.
template <class Problem>
void validate_tls(const ServerConfig& server, ConfigUse use, Problem& problem) {
  if (server.tls_cert_file.empty() != server.tls_key_file.empty()) {
    problem(server.tls_cert_file.empty() ? "server.tls_cert_file" : "server.tls_key_file",
            "tls_cert_file and tls_key_file go together");
  }
  for (const auto& [key, file] : {std::pair{"server.tls_cert_file", &server.tls_cert_file},
                                  std::pair{"server.tls_key_file", &server.tls_key_file},
                                  std::pair{"server.tls_client_ca_file", &server.tls_client_ca_file}}) {
    if (!file->empty() && !std::filesystem::is_regular_file(*file)) problem(key, "no such file: " + *file);
  }
  if (server.tls() && server.plain_http) {
    problem("server.plain_http", "plain_http and tls_cert_file exclude each other: the listener speaks one");
  }
  if (use == ConfigUse::service && !server.tls() && !server.plain_http) {
    problem("server.tls_cert_file",
            "the listener needs a certificate (tls_cert_file and tls_key_file), or plain_http: true to listen "
            "without TLS");
  }
  const bool mutual = server.tls_client_certificates != ClientCertificateMode::none;
  if (mutual && server.tls_client_ca_file.empty()) {
    problem("server.tls_client_ca_file",
            "tls_client_certificates needs the CA that signs the clients' certificates");
  }
  if (mutual && !server.tls()) problem("server.tls_client_certificates", "mutual TLS needs tls_cert_file");
  if (!mutual && !server.tls_client_ca_file.empty()) {
    problem("server.tls_client_certificates",
            "tls_client_ca_file is set: say which clients must show a certificate");
  }
}

// SMART Backend Services: a client id, a key that signs, its kid, and no second credential.
template <typename Problem>
void validate_smart(FhirConfig& fhir, Problem& problem) {
  auto& smart = fhir.smart;
  if (!smart.enabled()) {
    if (!smart.private_key_pem.empty() || !smart.key_id.empty() || !smart.token_endpoint.empty()) {
      problem("fhir.smart_client_id", "the SMART Backend Services keys are set but smart_client_id is not");
    }
    return;
  }
  if (!fhir.bearer_token.empty() || !fhir.basic_auth.empty()) {
    problem("fhir.smart_client_id", "SMART Backend Services exclude bearer_token_file and basic_auth_file");
  }
  if (smart.private_key_pem.empty()) {
    problem("fhir.smart_private_key_file", "SMART Backend Services need the client's private key");
  } else if (auto signer = fhir::AssertionSigner::from_pem(smart.private_key_pem); !signer) {
    problem("fhir.smart_private_key_file", signer.error());
  }
  if (smart.key_id.empty()) problem("fhir.smart_key_id", "SMART Backend Services need the key's kid");
  const bool https_base = fhir.base_url.rfind("https://", 0) == 0;
  if (!smart.token_endpoint.empty() && smart.token_endpoint.rfind("https://", 0) != 0 &&
      (https_base || smart.token_endpoint.rfind("http://", 0) != 0)) {
    problem("fhir.smart_token_endpoint", https_base ? "must be an https:// URL" : "must be an http(s):// URL");
  }
  for (const char ch : smart.client_id + smart.key_id + smart.scope) {
    if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) {
      problem("fhir.smart_client_id", "a SMART setting holds a control character");
      break;
    }
  }
}

void validate(Config& config, ConfigUse use, std::vector<ConfigProblem>& problems) {
  auto problem = [&](std::string location, std::string message) {
    problems.push_back({std::move(location), std::move(message)});
  };
  if (config.fhir.base_url.rfind("http://", 0) != 0 && config.fhir.base_url.rfind("https://", 0) != 0) {
    problem("fhir.base_url", "must start with http:// or https://");
  }
  while (config.fhir.base_url.size() > 1 && config.fhir.base_url.back() == '/') config.fhir.base_url.pop_back();
  if (config.server.notification_path.empty() || config.server.notification_path.front() != '/') {
    problem("server.notification_path", "must start with /");
  }
  validate_tls(config.server, use, problem);
  validate_smart(config.fhir, problem);
  if (config.subscription.trust_authenticated_payload &&
      config.server.tls_client_certificates == ClientCertificateMode::none) {
    problem("subscription.trust_authenticated_payload",
            "needs mutual TLS (server.tls_client_certificates notifications or all): only a sender proved by its "
            "certificate is trusted");
  }
  if (!config.fhir.basic_auth.empty() && !config.fhir.bearer_token.empty()) {
    problem("fhir.basic_auth_file", "basic_auth_file and bearer_token_file exclude each other: one credential");
  } else if (!config.fhir.basic_auth.empty() && config.fhir.basic_auth.find(':') == std::string::npos) {
    problem("fhir.basic_auth_file", "expected user:password (RFC 7617)");
  }
  for (const char ch : config.fhir.basic_auth + config.fhir.bearer_token) {
    if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) {
      problem("fhir", "a credential holds a control character");
      break;
    }
  }
  if (config.server.metrics_access == MetricsAccess::listener && config.server.metrics_port != 0 &&
      config.server.metrics_port == config.server.port) {
    problem("server.metrics_port", "must differ from server.port: /metrics gets a listener of its own");
  }
  if (config.server.public_base_url.empty()) {
    config.server.public_base_url = std::string(config.server.tls() ? "https://" : "http://") +
                                    config.server.listen_address + ":" + std::to_string(config.server.port);
  }
  while (!config.server.public_base_url.empty() && config.server.public_base_url.back() == '/') {
    config.server.public_base_url.pop_back();
  }
  // Poll mode keeps no Subscription: nothing to manage, no notification secret to send.
  if (config.subscription.mode == SubscriptionMode::poll) {
    config.subscription.manage = false;
    if (config.pipeline.reconcile_interval.count() == 0) {
      problem("pipeline.reconcile_interval_s", "must be above 0 when subscription.mode is poll: it is the poll");
    }
  }
  if (config.subscription.websocket_url.empty()) {
    // HAPI serves the channel at the servlet root, not under the FHIR base (shared/HAPI-NOTES.md); ws and wss
    // share http's and https's default ports (RFC 6455 section 3), which authority() leaves out.
    if (const auto base = fhir::parse_url(config.fhir.base_url)) {
      config.subscription.websocket_url = (base->tls() ? "wss://" : "ws://") + base->authority() + "/websocket";
    }
  } else {
    const auto& url = config.subscription.websocket_url;
    const bool wss = url.rfind("wss://", 0) == 0;
    if ((!wss && url.rfind("ws://", 0) != 0) ||
        !fhir::parse_url((wss ? "https://" : "http://") + url.substr(wss ? 6 : 5))) {
      problem("subscription.websocket_url", "must be a ws:// or wss:// URL");
    }
  }
  if (config.subscription.websocket_reconnect_max < config.subscription.websocket_reconnect_initial) {
    problem("subscription.websocket_reconnect_max_ms", "must not be below websocket_reconnect_initial_ms");
  }
  // In websocket mode nothing is notified to the gateway over HTTP: no shared secret to send or check.
  if (use == ConfigUse::service && config.subscription.manage && config.subscription.secret.empty() &&
      config.subscription.mode != SubscriptionMode::websocket) {
    problem("subscription.secret_file",
            "a notification secret is required when subscription.manage is true (secret_file or "
            "GRADIENT_GATEWAY_SUBSCRIPTION_SECRET)");
  }
  // Two credentials, two doors: the notification secret never opens the admin API, nor the token the endpoint.
  if (!config.admin.token.empty() && config.admin.token == config.subscription.secret) {
    problem("admin.token_file", "the admin token must differ from the notification secret");
  }
  if (config.cds.audience.empty()) {
    config.cds.audience = config.server.public_base_url + "/cds-services/gradient-findings";
  }
  if (config.cds.enabled && config.cds.issuers.empty()) {
    problem("cds.issuers",
            "at least one trusted issuer is required when cds.enabled is true (CDS Hooks "
            "\"Trusting CDS Clients\": every call carries a JWT from a known issuer)");
  }
  for (const auto& issuer : config.cds.issuers) {
    if (!std::filesystem::is_regular_file(issuer.jwks_file)) {
      problem("cds.issuers", "JWKS file " + issuer.jwks_file + " of issuer " + issuer.iss + " does not exist");
    }
  }
  for (const auto& [key, dir] : {std::pair{"analysis.terminology_dir", config.analysis.terminology_dir},
                                 std::pair{"analysis.rules_dir", config.analysis.rules_dir}}) {
    if (!std::filesystem::is_directory(dir)) problem(key, "directory " + dir + " does not exist");
  }
}

}  // namespace

Environment process_environment() {
  Environment environment;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view text(*entry);
    if (text.rfind(kEnvPrefix, 0) != 0) continue;
    auto eq = text.find('=');
    if (eq == std::string_view::npos) continue;
    environment.emplace(std::string(text.substr(0, eq)), std::string(text.substr(eq + 1)));
  }
  return environment;
}

ConfigResult load_config(const std::string& path, const Environment& environment, ConfigUse use) {
  Config config;
  config.source_path = path;
  ConfigProblems problems;
  const auto failed = [&problems] { return ConfigResult(boost::system::in_place_error, std::move(problems)); };
  const std::filesystem::path base = std::filesystem::absolute(path).parent_path();

  // Defaults for directories resolve against the file's directory too.
  config.analysis.terminology_dir = "terminology";
  config.analysis.rules_dir = "rules";

  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    problems.push_back({path, "cannot read the file"});
    return failed();
  } catch (const YAML::ParserException& error) {
    problems.push_back(
        {path + ":" + std::to_string(error.mark.line + 1) + ":" + std::to_string(error.mark.column + 1),
         "YAML syntax: " + error.msg});
    return failed();
  }

  if (root && !root.IsNull()) {
    if (!root.IsMap()) {
      problems.push_back({where(path, root, "<top>"), "the top level must be a mapping of sections"});
      return failed();
    }
    for (const auto& section_entry : root) {
      const auto section = section_entry.first.as<std::string>();
      if (!section_exists(section)) {
        problems.push_back({where(path, section_entry.first, section), "unknown section '" + section + "'"});
        continue;
      }
      const YAML::Node& body = section_entry.second;
      if (body.IsNull()) continue;
      if (!body.IsMap()) {
        problems.push_back({where(path, body, section), "a section must be a mapping of keys"});
        continue;
      }
      for (const auto& key_entry : body) {
        const auto key = key_entry.first.as<std::string>();
        std::string key_path = section;
        key_path.append(".").append(key);
        const KeySpec* spec = find_spec(section, key);
        if (spec == nullptr) {
          std::string message = "unknown key '" + key_path + "'";
          if (key == "secret" || key == "bearer_token" || key == "token") {
            message += ": secrets are never written inline; use " + key + "_file or the environment";
          }
          problems.push_back({where(path, key_entry.first, key_path), message});
          continue;
        }
        if (spec->kind == Kind::issuer_list) {
          read_issuers(path, base, key_entry.second, config, problems);
          continue;
        }
        if (!key_entry.second.IsScalar()) {
          problems.push_back({where(path, key_entry.second, key_path), "expected a single value"});
          continue;
        }
        std::string value = key_entry.second.Scalar();
        if (spec->kind == Kind::path || spec->kind == Kind::secret_file) value = resolve_path(base, value);
        if (spec->kind == Kind::secret_file && value.empty()) continue;
        if (auto error = spec->apply(config, value); !error.empty()) {
          problems.push_back({where(path, key_entry.second, key_path), error});
        }
      }
    }
  }
  config.analysis.terminology_dir = resolve_path(base, config.analysis.terminology_dir);
  config.analysis.rules_dir = resolve_path(base, config.analysis.rules_dir);

  // Environment overrides: every key, plus the two secrets by value.
  for (const auto& [name, value] : environment) {
    if (name.rfind(kEnvPrefix, 0) != 0) continue;
    if (name == "GRADIENT_GATEWAY_SUBSCRIPTION_SECRET") {
      config.subscription.secret = value;
      continue;
    }
    if (name == "GRADIENT_GATEWAY_FHIR_BEARER_TOKEN") {
      config.fhir.bearer_token = value;
      continue;
    }
    if (name == "GRADIENT_GATEWAY_FHIR_BASIC_AUTH") {
      config.fhir.basic_auth = value;
      continue;
    }
    if (name == "GRADIENT_GATEWAY_ADMIN_TOKEN") {
      config.admin.token = value;
      continue;
    }
    const KeySpec* match = nullptr;
    for (const auto& spec : key_specs()) {
      if (env_name(spec) == name) match = &spec;
    }
    if (match == nullptr) {
      problems.push_back({"env " + name, "unknown variable (no such configuration key)"});
      continue;
    }
    std::string resolved = value;
    if (match->kind == Kind::path || match->kind == Kind::secret_file) {
      resolved = resolve_path(std::filesystem::current_path(), value);
    }
    if (auto error = match->apply(config, resolved); !error.empty()) problems.push_back({"env " + name, error});
    if (match->kind == Kind::issuer_list) {
      for (auto& issuer : config.cds.issuers) {
        issuer.jwks_file = resolve_path(std::filesystem::current_path(), issuer.jwks_file);
      }
    }
  }

  validate(config, use, problems);
  if (!problems.empty()) return failed();
  return config;
}

fhir::RestClientOptions rest_client_options(const FhirConfig& fhir, const std::string& user_agent) {
  fhir::RestClientOptions options;
  options.base_url = fhir.base_url;
  options.connect_timeout = fhir.connect_timeout;
  options.request_timeout = fhir.request_timeout;
  options.bearer_token = fhir.bearer_token;
  options.basic_credentials = fhir.basic_auth;
  options.smart = fhir.smart;
  if (fhir.smart.enabled()) {
    options.smart_observer = [base = fhir.base_url](const std::string& event, const std::string& detail) {
      if (event == "token-obtained") {
        log(LogLevel::info, "fhir.token-obtained", {{"server", base}, {"expires_in_s", detail}});
      } else if (event == "token-refused") {
        log(LogLevel::info, "fhir.token-refused", {{"server", base}});
      } else {
        log(LogLevel::warn, "fhir.token-failed", {{"server", base}, {"error", detail}});
      }
    };
  }
  options.verify_peer = fhir.verify_tls;
  options.ca_file = fhir.ca_file;
  options.user_agent = user_agent;
  return options;
}

std::string describe_config_keys() {
  std::ostringstream out;
  std::string section;
  for (const auto& spec : key_specs()) {
    if (spec.section != section) {
      section = spec.section;
      out << section << ":\n";
    }
    out << "  " << spec.key << " (default " << (spec.default_text.empty() ? "none" : spec.default_text) << ", env "
        << env_name(spec) << ")\n      " << spec.meaning << "\n";
  }
  return out.str();
}

}  // namespace gg::gateway
