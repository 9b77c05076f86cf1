// The gateway's configuration: one YAML file (config/gateway.yaml documents every key), each key overridable by an
// environment variable GRADIENT_GATEWAY_<SECTION>_<KEY>, secrets only from files or the environment. The whole
// file is validated before anything starts; every problem is reported with its location.
#pragma once

#include <array>
#include <boost/system/result.hpp>
#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "analytics/enum_text.hpp"
#include "fhir/rest_client.hpp"

namespace gg::gateway {

// Which TLS clients must show a certificate signed by server.tls_client_ca_file (mutual TLS).
enum class ClientCertificateMode { none, notifications, all };
inline constexpr std::array<analytics::EnumText<ClientCertificateMode>, 3> kClientCertificateModeText{{
    {ClientCertificateMode::none, "none"},
    {ClientCertificateMode::notifications, "notifications"},
    {ClientCertificateMode::all, "all"},
}};

// Who may read /metrics (issue 13, item 4): callers with the admin token on the main listener, anyone there, or
// anyone on a listener of its own (plain HTTP on metrics_address:metrics_port, for a scraper on a private
// network).
enum class MetricsAccess { token, open, listener };
inline constexpr std::array<analytics::EnumText<MetricsAccess>, 3> kMetricsAccessText{{
    {MetricsAccess::token, "token"},
    {MetricsAccess::open, "open"},
    {MetricsAccess::listener, "listener"},
}};

struct ServerConfig {
  std::string listen_address = "127.0.0.1";
  unsigned port = 8089;
  // how the FHIR server reaches us; default http(s)://{listen_address}:{port}
  std::string public_base_url;
  std::size_t body_limit_bytes = std::size_t{8} * 1024 * 1024;
  std::string notification_path = "/notify";  // prefix: HAPI sends PUT {prefix}/Observation/{id}
  std::size_t max_connections = 64;           // open at once; more are answered 503 with Retry-After and closed
  // TLS on the listener (issue 13): the certificate chain and key (PEM), reread on SIGHUP. Without them the
  // service starts only when plain_http says so.
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_client_ca_file;  // signs the client certificates of mutual TLS
  ClientCertificateMode tls_client_certificates = ClientCertificateMode::none;
  bool plain_http = false;
  MetricsAccess metrics_access = MetricsAccess::token;
  std::string metrics_address = "127.0.0.1";
  unsigned metrics_port = 9464;
  // Failed authentications per client address within the window before it is answered 429 (0: no limit).
  std::size_t auth_failure_limit = 20;
  std::chrono::seconds auth_failure_window{60};
  // How long a whole request may take to arrive (also the idle keep-alive timeout), a response to be written, and
  // a TLS handshake to finish.
  std::chrono::seconds read_timeout{30};
  std::chrono::seconds write_timeout{30};
  std::chrono::seconds handshake_timeout{10};
  [[nodiscard]] bool tls() const { return !tls_cert_file.empty(); }
};

struct FhirConfig {
  std::string base_url = "http://127.0.0.1:8080/fhir";
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds request_timeout{30000};
  bool verify_tls = true;
  std::string ca_file;
  std::string bearer_token;  // secret: from bearer_token_file or GRADIENT_GATEWAY_FHIR_BEARER_TOKEN
  std::string basic_auth;    // secret "user:password": from basic_auth_file or GRADIENT_GATEWAY_FHIR_BASIC_AUTH
  // SMART Backend Services (the smart_* keys); its private key is a secret.
  fhir::SmartBackendOptions smart;
};

// How the FHIR server tells the gateway about new and changed Observations (ARCHITECTURE.md step 1). Every mode
// produces the same intake event; the catch-up search (reconcile) runs beside each of them.
//   rest-hook: HAPI's classic R4 Subscription, PUT {notification_path}/Observation/{id} per change;
//   topic:     an R4 Backport IG topic-based Subscription, notification Bundles POSTed to {notification_path};
//   websocket: the R4 websocket channel (`bind`, then `ping` per change), for sites where the gateway may not
//              open an inbound port: each ping wakes the catch-up search;
//   poll:      no Subscription at all: the `_lastUpdated` search every pipeline.reconcile_interval_s.
enum class SubscriptionMode { rest_hook, topic, websocket, poll };
inline constexpr std::array<analytics::EnumText<SubscriptionMode>, 4> kSubscriptionModeText{{
    {SubscriptionMode::rest_hook, "rest-hook"},
    {SubscriptionMode::topic, "topic"},
    {SubscriptionMode::websocket, "websocket"},
    {SubscriptionMode::poll, "poll"},
}};

struct SubscriptionConfig {
  SubscriptionMode mode = SubscriptionMode::rest_hook;
  bool manage = true;  // make sure our Subscription exists on the server (not in poll mode)
  // With mutual TLS on the notification endpoint: analyse a notification's payload as it came instead of reading
  // the result again from the FHIR server (the sender proved who it is by its certificate).
  bool trust_authenticated_payload = false;
  std::string header_name = "X-Gradient-Secret";
  std::string secret;  // secret: from secret_file or GRADIENT_GATEWAY_SUBSCRIPTION_SECRET
  std::chrono::seconds activation_timeout{120};
  std::chrono::seconds verify_interval{30};  // how often the Subscription is checked on the server
  // websocket mode (ingress/websocket_listener.hpp): where to connect (default: the FHIR base URL's origin, ws or
  // wss, path /websocket), the reconnect backoff (doubling from initial up to max), and the keepalive.
  std::string websocket_url;
  std::chrono::milliseconds websocket_reconnect_initial{1000};
  std::chrono::milliseconds websocket_reconnect_max{60000};
  std::chrono::seconds websocket_keepalive{30};
};

struct AdminConfig {
  std::string token;  // secret: from token_file or GRADIENT_GATEWAY_ADMIN_TOKEN; empty: the admin API is closed
};

struct AlertsConfig {
  // Plain http:// endpoints only on a loopback address, and only with this set (tests, local receivers).
  bool allow_insecure_loopback = false;
  // After a secret rotation, the old secret signs too (a second signature) this long.
  std::chrono::seconds rotation_overlap{86400};
  // When each attempt is made, after the alert was queued (attempt n waits retry_schedule[n-1] after attempt n-1;
  // the first is immediate): about a day in all. Tests scale it down.
  std::vector<std::chrono::milliseconds> retry_schedule = {
      std::chrono::seconds(0), std::chrono::seconds(5), std::chrono::minutes(5), std::chrono::minutes(30),
      std::chrono::hours(2),   std::chrono::hours(5),   std::chrono::hours(10),  std::chrono::hours(10)};
  std::chrono::milliseconds request_timeout{15000};  // one delivery attempt, connect to last byte
};

struct StateConfig {
  std::string path = "gradient-gateway.db";
  std::chrono::days retention{30};  // done/failed events and rejections older than this are deleted; 0: never
};

struct AnalysisConfig {
  std::string terminology_dir;  // absolute after loading
  std::string rules_dir;        // absolute after loading
  int lookback_days = 30;
};

struct PipelineConfig {
  int max_attempts = 8;
  std::chrono::milliseconds retry_initial_backoff{1000};
  std::chrono::seconds reconcile_interval{60};  // _lastUpdated catch-up search period; 0 disables
  // Each catch-up search reaches this far behind the newest lastUpdated seen: a transaction's lastUpdated is its
  // start, so one that commits after a search would otherwise be missed; it also absorbs clock skew between the
  // gateway and the server. What is seen twice is collapsed by resource version.
  std::chrono::seconds reconcile_overlap{120};
  // A process that claims events beside serve (backfill) holds them this long: serve's claim takes them only
  // after it, so the two never process one event at once; if the holder dies, serve finishes them then.
  std::chrono::seconds claim_lease{300};
  // The FHIR server's circuit breaker (gateway/pipeline/circuit_breaker.hpp): this many unavailable answers in a
  // row open it; it probes after circuit_open, doubling up to circuit_max_open while the server stays down.
  int circuit_failures = 3;
  // Patients analysed at once: their FHIR round trips overlap (one patient's events are never split).
  int workers = 4;
  // The intake queue's bound: with this many events pending, notifications are answered 503 with Retry-After.
  std::int64_t max_pending = 100000;
  // The per-patient context cache (gateway/pipeline/context_cache.hpp): patients kept (0: none) and how long a
  // fetched context is used for the patient's next notifications.
  std::size_t context_cache_patients = 1000;
  std::chrono::seconds context_cache_ttl{300};
  std::chrono::milliseconds circuit_open{2000};
  std::chrono::milliseconds circuit_max_open{60000};
};

struct LoggingConfig {
  std::string level = "info";   // error | warn | info | debug
  std::string format = "json";  // json | text: serve's log lines (the commands write text)
  bool patient_data = false;    // debug switch: values and names may appear in logs only when true
};

// A CDS Client the CDS Hooks service trusts (CDS Hooks 2.0, "Trusting CDS Clients"): its JWT issuer and the file
// holding its JWK Set (the public keys), exchanged out of band.
struct CdsIssuerConfig {
  std::string iss;
  std::string jwks_file;  // absolute after loading
};

struct CdsConfig {
  bool enabled = false;  // serve /cds-services (discovery and the patient-view service)
  std::vector<CdsIssuerConfig> issuers;
  std::string audience;  // default {server.public_base_url}/cds-services/gradient-findings
  std::chrono::seconds clock_skew{60};
  std::chrono::seconds max_token_lifetime{300};
  std::chrono::milliseconds fhir_timeout{5000};  // the service's own FHIR searches, when not prefetched
};

struct UiConfig {
  bool enabled = true;                              // serve /ui (docs/ui.md)
  std::chrono::milliseconds fhir_timeout{10000};    // the patient page's JSON waits this long for the server
  std::chrono::seconds status_sample_interval{60};  // the operations page's copy of the metrics, this often
};

struct Config {
  std::string source_path;  // the file it was loaded from (empty: defaults)
  ServerConfig server;
  FhirConfig fhir;
  SubscriptionConfig subscription;
  AdminConfig admin;
  AlertsConfig alerts;
  StateConfig state;
  AnalysisConfig analysis;
  PipelineConfig pipeline;
  LoggingConfig logging;
  CdsConfig cds;
  UiConfig ui;
};

struct ConfigProblem {
  std::string location;  // "gateway.yaml:12:3 (fhir.base_url)" or "env GRADIENT_GATEWAY_SERVER_PORT"
  std::string message;
};

// The configuration, or every problem found in it (never both: one problem is enough not to run).
using ConfigProblems = std::vector<ConfigProblem>;
using ConfigResult = boost::system::result<Config, ConfigProblems>;

using Environment = std::map<std::string, std::string>;

// What the configuration is loaded for: the service needs its secrets; offline analysis does not.
enum class ConfigUse { service, offline };

// Loads and validates a configuration file. Relative directories resolve against the file's directory.
ConfigResult load_config(const std::string& path, const Environment& environment,
                         ConfigUse use = ConfigUse::service);

// The process environment as a map (only GRADIENT_GATEWAY_* variables).
Environment process_environment();

// The FHIR client settings of a configuration.
fhir::RestClientOptions rest_client_options(const FhirConfig& fhir, const std::string& user_agent);

// A text listing every key with its default and meaning (for --help and the documentation test).
std::string describe_config_keys();

}  // namespace gg::gateway
