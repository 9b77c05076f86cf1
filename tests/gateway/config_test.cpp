#include "gateway/config/config.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

namespace gg::gateway {
namespace {

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("gg-config-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ / "terminology");
    std::filesystem::create_directories(dir_ / "rules");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Every test but the listener's own (ListenerSpeaksTlsOrSaysPlainHttp...) is about something else: the listener
  // is plain HTTP, said through the environment.
  static ConfigResult load(const std::string& path, Environment environment) {
    environment.try_emplace("GRADIENT_GATEWAY_SERVER_PLAIN_HTTP", "true");
    return load_config(path, environment);
  }

  std::string write(const std::string& name, const std::string& text) {
    auto path = dir_ / name;
    std::ofstream(path) << text;
    return path.string();
  }

  std::filesystem::path dir_;
};

TEST_F(ConfigTest, ShippedDefaultConfigurationIsValidGivenASecret) {
  auto result = load(std::string(GG_SOURCE_DIR) + "/config/gateway.yaml",
                     {{"GRADIENT_GATEWAY_SUBSCRIPTION_SECRET", "s3cret"}});
  ASSERT_TRUE(result.error().empty()) << result.error().front().location << ": " << result.error().front().message;
  EXPECT_EQ(result->server.port, 8089u);
  EXPECT_EQ(result->fhir.base_url, "http://127.0.0.1:8080/fhir");
  EXPECT_EQ(result->subscription.secret, "s3cret");
  EXPECT_EQ(result->server.public_base_url, "http://127.0.0.1:8089");
}

TEST_F(ConfigTest, UnknownKeyIsReportedWithItsLineAndColumn) {
  auto path =
      write("gateway.yaml", "subscription:\n  manage: false\nfhir:\n  base_url: http://x/fhir\n  basse: 1\n");
  auto result = load(path, {});
  ASSERT_EQ(result.error().size(), 1u);
  EXPECT_EQ(result.error()[0].location, "gateway.yaml:5:3 (fhir.basse)");
  EXPECT_FALSE(result.has_value());
}

TEST_F(ConfigTest, EveryProblemIsReportedNotOnlyTheFirst) {
  auto path = write("gateway.yaml", "server:\n  port: 99999\nfhir:\n  base_url: ftp://x\nnosuch:\n  a: 1\n");
  auto result = load(path, {{"GRADIENT_GATEWAY_SUBSCRIPTION_SECRET", "x"}});
  ASSERT_EQ(result.error().size(), 3u);
  EXPECT_EQ(result.error()[0].location, "gateway.yaml:2:9 (server.port)");
  EXPECT_EQ(result.error()[1].location, "gateway.yaml:5:1 (nosuch)");
  EXPECT_EQ(result.error()[2].location, "fhir.base_url");
}

// The message lists the levels from the log level's table (gateway/telemetry/log.hpp).
TEST_F(ConfigTest, UnknownLogLevelNamesTheLevels) {
  auto path = write("gateway.yaml", "subscription:\n  manage: false\nlogging:\n  level: verbose\n");
  auto result = load(path, {});
  ASSERT_EQ(result.error().size(), 1u);
  EXPECT_EQ(result.error()[0].location, "gateway.yaml:4:10 (logging.level)");
  EXPECT_EQ(result.error()[0].message, "expected error, warn, info or debug");
}

TEST_F(ConfigTest, EnvironmentOverridesAnyKey) {
  auto path = write("gateway.yaml", "subscription:\n  manage: false\nserver:\n  port: 1000\n");
  auto result = load(path, {{"GRADIENT_GATEWAY_SERVER_PORT", "2000"},
                            {"GRADIENT_GATEWAY_FHIR_BASE_URL", "https://fhir.example.org/r4/"}});
  ASSERT_TRUE(result.error().empty());
  EXPECT_EQ(result->server.port, 2000u);
  EXPECT_EQ(result->fhir.base_url, "https://fhir.example.org/r4");
}

TEST_F(ConfigTest, UnknownEnvironmentVariableIsAnError) {
  auto path = write("gateway.yaml", "subscription:\n  manage: false\n");
  auto result = load(path, {{"GRADIENT_GATEWAY_SERVER_PROT", "2000"}});
  ASSERT_EQ(result.error().size(), 1u);
  EXPECT_EQ(result.error()[0].location, "env GRADIENT_GATEWAY_SERVER_PROT");
}

TEST_F(ConfigTest, InlineSecretIsRefusedWithAHint) {
  auto path = write("gateway.yaml", "subscription:\n  secret: hunter2\n");
  auto result = load(path, {});
  ASSERT_FALSE(result.error().empty());
  EXPECT_NE(result.error()[0].message.find("never written inline"), std::string::npos);
}

TEST_F(ConfigTest, SecretComesFromAFileRelativeToTheConfig) {
  write("notify.secret", "from-file\n");
  auto path = write("gateway.yaml", "subscription:\n  secret_file: notify.secret\n");
  auto result = load(path, {});
  ASSERT_TRUE(result.error().empty());
  EXPECT_EQ(result->subscription.secret, "from-file");
}

TEST_F(ConfigTest, ManagedSubscriptionWithoutSecretIsAnError) {
  auto path = write("gateway.yaml", "subscription:\n  manage: true\n");
  auto result = load(path, {});
  ASSERT_EQ(result.error().size(), 1u);
  EXPECT_EQ(result.error()[0].location, "subscription.secret_file");
}

TEST_F(ConfigTest, PollModeNeedsNoSecretButAPollInterval) {
  auto polled = load(write("poll.yaml", "subscription:\n  mode: poll\n"), {});
  ASSERT_TRUE(polled.error().empty());
  EXPECT_EQ(polled->subscription.mode, SubscriptionMode::poll);
  EXPECT_FALSE(polled->subscription.manage);

  auto never =
      load(write("never.yaml", "subscription:\n  mode: poll\npipeline:\n  reconcile_interval_s: 0\n"), {});
  ASSERT_EQ(never.error().size(), 1u);
  EXPECT_EQ(never.error()[0].location, "pipeline.reconcile_interval_s");

  auto unknown = load(write("sse.yaml", "subscription:\n  mode: sse\n  manage: false\n"), {});
  ASSERT_EQ(unknown.error().size(), 1u);
  EXPECT_NE(unknown.error()[0].message.find("rest-hook, topic, websocket or poll"), std::string::npos);
}

TEST_F(ConfigTest, WebsocketModeNeedsNoSecretAndConnectsToTheFhirServersOrigin) {
  auto plain = load(
      write("ws.yaml", "subscription:\n  mode: websocket\nfhir:\n  base_url: http://10.0.0.5:8080/fhir/r4\n"), {});
  ASSERT_TRUE(plain.error().empty()) << plain.error().front().location << ": " << plain.error().front().message;
  EXPECT_EQ(plain->subscription.websocket_url, "ws://10.0.0.5:8080/websocket");
  EXPECT_TRUE(plain->subscription.manage);

  auto tls = load(
      write("wss.yaml", "subscription:\n  mode: websocket\nfhir:\n  base_url: https://fhir.example.org/r4\n"), {});
  ASSERT_TRUE(tls.error().empty());
  EXPECT_EQ(tls->subscription.websocket_url, "wss://fhir.example.org/websocket");

  auto given = load(write("given.yaml",
                          "subscription:\n  mode: websocket\n  websocket_url: wss://ws.example.org:9443/x\n"
                          "  websocket_reconnect_initial_ms: 50\n  websocket_reconnect_max_ms: 400\n"),
                    {});
  ASSERT_TRUE(given.error().empty());
  EXPECT_EQ(given->subscription.websocket_url, "wss://ws.example.org:9443/x");
  EXPECT_EQ(given->subscription.websocket_reconnect_initial.count(), 50);
  EXPECT_EQ(given->subscription.websocket_reconnect_max.count(), 400);
}

TEST_F(ConfigTest, WebsocketUrlMustBeWsOrWssAndTheBackoffInOrder) {
  auto wrong = load(write("wrong.yaml",
                          "subscription:\n  mode: websocket\n  websocket_url: http://x/websocket\n"
                          "  websocket_reconnect_initial_ms: 5000\n  websocket_reconnect_max_ms: 1000\n"),
                    {});
  ASSERT_EQ(wrong.error().size(), 2u);
  EXPECT_EQ(wrong.error()[0].location, "subscription.websocket_url");
  EXPECT_EQ(wrong.error()[1].location, "subscription.websocket_reconnect_max_ms");
}

TEST_F(ConfigTest, YamlSyntaxErrorNamesTheLine) {
  auto path = write("gateway.yaml", "server:\n  port: [1, 2\n");
  auto result = load(path, {});
  ASSERT_EQ(result.error().size(), 1u);
  EXPECT_NE(result.error()[0].message.find("YAML syntax"), std::string::npos);
}

TEST_F(ConfigTest, RelativeDirectoriesResolveAgainstTheConfigFile) {
  auto path = write("gateway.yaml", "subscription:\n  manage: false\nstate:\n  path: state/gw.db\n");
  auto result = load(path, {});
  ASSERT_TRUE(result.error().empty());
  EXPECT_EQ(result->state.path, (dir_ / "state/gw.db").string());
  EXPECT_EQ(result->analysis.rules_dir, (dir_ / "rules").string());
}

TEST_F(ConfigTest, StateRetentionIsWholeDaysThirtyByDefaultAndZeroKeepsEverything) {
  auto path = write("gateway.yaml", "subscription:\n  manage: false\n");
  auto result = load(path, {});
  ASSERT_TRUE(result.has_value()) << result.error().front().message;
  EXPECT_EQ(result->state.retention, std::chrono::days(30));
  result = load(path, {{"GRADIENT_GATEWAY_STATE_RETENTION_DAYS", "0"}});
  ASSERT_TRUE(result.has_value()) << result.error().front().message;
  EXPECT_EQ(result->state.retention, std::chrono::days(0));
  for (const char* bad : {"-1", "7d", "1.5"}) {
    EXPECT_FALSE(load(path, {{"GRADIENT_GATEWAY_STATE_RETENTION_DAYS", bad}}).has_value()) << bad;
  }
}

TEST_F(ConfigTest, AlertRetryScheduleReadsDurationsWithTheirUnits) {
  auto path =
      write("gateway.yaml", "subscription:\n  manage: false\nalerts:\n  retry_schedule: 0s, 500ms,2m,1h\n");
  auto result = load(path, {});
  ASSERT_TRUE(result.has_value()) << result.error().front().message;
  using std::chrono::milliseconds;
  EXPECT_EQ(result->alerts.retry_schedule,
            (std::vector<milliseconds>{milliseconds(0), milliseconds(500), milliseconds(120000),
                                       milliseconds(3600000)}));
  for (const char* bad : {"", "5", "5x", "s", "1s,,2s", "-1s"}) {
    auto refused = load(path, {{"GRADIENT_GATEWAY_ALERTS_RETRY_SCHEDULE", bad}});
    ASSERT_FALSE(refused.has_value()) << bad;
    EXPECT_EQ(refused.error().front().location, "env GRADIENT_GATEWAY_ALERTS_RETRY_SCHEDULE") << bad;
  }
}

TEST_F(ConfigTest, TheDefaultAlertRetriesSpanAboutADay) {
  // Issue 10: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h: eight attempts over 27 h 35 min 5 s.
  const AlertsConfig alerts;
  ASSERT_EQ(alerts.retry_schedule.size(), 8U);
  std::chrono::milliseconds total{0};
  for (const auto wait : alerts.retry_schedule) total += wait;
  EXPECT_EQ(total, std::chrono::hours(27) + std::chrono::minutes(35) + std::chrono::seconds(5));
}

TEST_F(ConfigTest, AdminTokenComesFromAFileOrTheEnvironmentAndDiffersFromTheNotificationSecret) {
  write("admin.token", "t0ken\n");
  write("notify.secret", "s3cret\n");
  auto path =
      write("gateway.yaml", "subscription:\n  secret_file: notify.secret\nadmin:\n  token_file: admin.token\n");
  auto result = load(path, {});
  ASSERT_TRUE(result.has_value()) << result.error().front().message;
  EXPECT_EQ(result->admin.token, "t0ken");
  EXPECT_EQ(load(path, {{"GRADIENT_GATEWAY_ADMIN_TOKEN", "other"}})->admin.token, "other");

  auto same = load(path, {{"GRADIENT_GATEWAY_ADMIN_TOKEN", "s3cret"}});
  ASSERT_FALSE(same.has_value());
  EXPECT_EQ(same.error().front().location, "admin.token_file");
  EXPECT_EQ(same.error().front().message, "the admin token must differ from the notification secret");

  auto inline_token = load(write("inline.yaml", "subscription:\n  manage: false\nadmin:\n  token: x\n"), {});
  ASSERT_FALSE(inline_token.has_value());
  EXPECT_NE(inline_token.error().front().message.find("secrets are never written inline"), std::string::npos);
}

TEST_F(ConfigTest, CdsIssuersAreAListOfIssuerAndJwksFileRelativeToTheFile) {
  write("ehr-jwks.json", R"({"keys":[]})");
  auto path =
      write("gateway.yaml",
            "subscription:\n  manage: false\nserver:\n  public_base_url: https://gw.example.org/\ncds:\n"
            "  enabled: true\n  issuers:\n    - iss: https://ehr.example.org/\n      jwks_file: ehr-jwks.json\n");
  auto result = load(path, {});
  ASSERT_TRUE(result) << result.error().front().location << ": " << result.error().front().message;
  ASSERT_EQ(result->cds.issuers.size(), 1U);
  EXPECT_EQ(result->cds.issuers[0].iss, "https://ehr.example.org/");
  EXPECT_EQ(result->cds.issuers[0].jwks_file, (dir_ / "ehr-jwks.json").string());
  // CDS Hooks "Trusting CDS Clients": aud is the URL of the service endpoint being invoked.
  EXPECT_EQ(result->cds.audience, "https://gw.example.org/cds-services/gradient-findings");
  EXPECT_EQ(result->cds.max_token_lifetime, std::chrono::seconds(300));
}

TEST_F(ConfigTest, CdsEnabledNeedsAnIssuerWhoseJwksFileExists) {
  auto none = load(write("a.yaml", "subscription:\n  manage: false\ncds:\n  enabled: true\n"), {});
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error()[0].location, "cds.issuers");
  auto missing = load(write("b.yaml",
                            "subscription:\n  manage: false\ncds:\n  issuers:\n"
                            "    - iss: https://ehr.example.org/\n      jwks_file: nowhere.json\n"),
                      {});
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error()[0].message.find("nowhere.json"), std::string::npos);
  auto shapeless = load(write("c.yaml", "subscription:\n  manage: false\ncds:\n  issuers: https://x/\n"), {});
  ASSERT_FALSE(shapeless);
  EXPECT_EQ(shapeless.error()[0].location, "c.yaml:4:12 (cds.issuers)");
}

TEST_F(ConfigTest, CdsIssuersFromTheEnvironment) {
  write("one.json", "{}");
  write("two.json", "{}");
  auto result =
      load(write("gateway.yaml", "subscription:\n  manage: false\n"),
           {{"GRADIENT_GATEWAY_CDS_ENABLED", "true"},
            {"GRADIENT_GATEWAY_CDS_ISSUERS", "https://a.example/ " + (dir_ / "one.json").string() +
                                                 "; https://b.example/ " + (dir_ / "two.json").string()}});
  ASSERT_TRUE(result) << result.error().front().location << ": " << result.error().front().message;
  ASSERT_EQ(result->cds.issuers.size(), 2U);
  EXPECT_EQ(result->cds.issuers[1].iss, "https://b.example/");
  EXPECT_EQ(result->cds.issuers[1].jwks_file, (dir_ / "two.json").string());
}

// Issue 13, item 1: "plain HTTP only by explicit configuration". The service needs a certificate and key, or
// plain_http said outright; check-config and serve both refuse the file otherwise, naming the keys.
TEST_F(ConfigTest, ListenerSpeaksTlsOrSaysPlainHttpOutright) {
  const std::string quiet = write("quiet.yaml", "subscription:\n  manage: false\n");
  auto refused = load_config(quiet, {});
  ASSERT_FALSE(refused.has_value());
  ASSERT_EQ(refused.error().size(), 1u);
  EXPECT_EQ(refused.error()[0].location, "server.tls_cert_file");
  EXPECT_NE(refused.error()[0].message.find("plain_http: true"), std::string::npos);
  // Offline analysis listens nowhere.
  EXPECT_TRUE(load_config(quiet, {}, ConfigUse::offline).has_value());

  auto plain = load_config(quiet, {{"GRADIENT_GATEWAY_SERVER_PLAIN_HTTP", "true"}});
  ASSERT_TRUE(plain.has_value());
  EXPECT_FALSE(plain->server.tls());
  EXPECT_EQ(plain->server.public_base_url, "http://127.0.0.1:8089");

  std::ofstream(dir_ / "cert.pem") << "-";
  std::ofstream(dir_ / "key.pem") << "-";
  auto tls = load_config(
      write("tls.yaml",
            "subscription:\n  manage: false\nserver:\n  tls_cert_file: cert.pem\n  tls_key_file: key.pem\n"),
      {});
  ASSERT_TRUE(tls.has_value()) << tls.error().front().location << ": " << tls.error().front().message;
  EXPECT_TRUE(tls->server.tls());
  EXPECT_EQ(tls->server.tls_cert_file, (dir_ / "cert.pem").string());
  EXPECT_EQ(tls->server.tls_key_file, (dir_ / "key.pem").string());
  EXPECT_EQ(tls->server.tls_client_certificates, ClientCertificateMode::none);
  EXPECT_EQ(tls->server.public_base_url, "https://127.0.0.1:8089");
}

TEST_F(ConfigTest, TlsKeysAreCheckedTogether) {
  std::ofstream(dir_ / "cert.pem") << "-";
  std::ofstream(dir_ / "key.pem") << "-";
  auto locations = [this](const std::string& server) {
    std::vector<std::string> found;
    auto result = load_config(write("t.yaml", "subscription:\n  manage: false\nserver:\n" + server), {});
    if (!result) {
      for (const auto& problem : result.error()) found.push_back(problem.location);
    }
    return found;
  };
  using Locations = std::vector<std::string>;
  // A certificate without its key, a missing file, both TLS and plain.
  EXPECT_EQ(locations("  tls_cert_file: cert.pem\n"), Locations{"server.tls_key_file"});
  EXPECT_EQ(locations("  tls_cert_file: cert.pem\n  tls_key_file: nokey.pem\n"), Locations{"server.tls_key_file"});
  EXPECT_EQ(locations("  tls_cert_file: cert.pem\n  tls_key_file: key.pem\n  plain_http: true\n"),
            Locations{"server.plain_http"});
  // Mutual TLS needs its CA, the CA needs a mode, and both need TLS.
  EXPECT_EQ(locations("  tls_cert_file: cert.pem\n  tls_key_file: key.pem\n  tls_client_certificates: all\n"),
            Locations{"server.tls_client_ca_file"});
  EXPECT_EQ(locations("  tls_cert_file: cert.pem\n  tls_key_file: key.pem\n  tls_client_ca_file: cert.pem\n"),
            Locations{"server.tls_client_certificates"});
  EXPECT_EQ(
      locations("  plain_http: true\n  tls_client_ca_file: cert.pem\n  tls_client_certificates: notifications\n"),
      Locations{"server.tls_client_certificates"});
  EXPECT_EQ(locations("  tls_cert_file: cert.pem\n  tls_key_file: key.pem\n  tls_client_certificates: some\n"),
            Locations{"t.yaml:6:28 (server.tls_client_certificates)"});
  EXPECT_EQ(locations("  tls_cert_file: cert.pem\n  tls_key_file: key.pem\n  tls_client_ca_file: cert.pem\n"
                      "  tls_client_certificates: notifications\n"),
            Locations{});
}

TEST_F(ConfigTest, BasicAuthComesFromAFileAndExcludesABearerToken) {
  std::ofstream(dir_ / "basic") << "gateway:s3cret pass\n";
  std::ofstream(dir_ / "token") << "abc\n";
  auto basic = load(write("b.yaml", "subscription:\n  manage: false\nfhir:\n  basic_auth_file: basic\n"), {});
  ASSERT_TRUE(basic.has_value());
  EXPECT_EQ(basic->fhir.basic_auth, "gateway:s3cret pass");
  EXPECT_EQ(rest_client_options(basic->fhir, "ua").basic_credentials, "gateway:s3cret pass");
  auto both =
      load(write("c.yaml",
                 "subscription:\n  manage: false\nfhir:\n  basic_auth_file: basic\n  bearer_token_file: token\n"),
           {});
  ASSERT_FALSE(both.has_value());
  EXPECT_EQ(both.error().at(0).location, "fhir.basic_auth_file");
  auto no_colon =
      load(write("d.yaml", "subscription:\n  manage: false\n"), {{"GRADIENT_GATEWAY_FHIR_BASIC_AUTH", "user"}});
  ASSERT_FALSE(no_colon.has_value());
  EXPECT_EQ(no_colon.error().at(0).message, "expected user:password (RFC 7617)");
}

// Issue 13, item 1: a payload is trusted only from a sender proved by its certificate, so the option needs mTLS.
TEST_F(ConfigTest, TrustingPayloadsNeedsMutualTls) {
  auto refused =
      load(write("t.yaml", "subscription:\n  manage: false\n  trust_authenticated_payload: true\n"), {});
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().at(0).location, "subscription.trust_authenticated_payload");
}

// Issue 14: the pages are on by default; their FHIR wait and the operations page's sample interval are bounded.
TEST_F(ConfigTest, ThePagesAreOnByDefaultAndTheirTimingsAreBounded) {
  auto defaults = load(write("d.yaml", "subscription:\n  manage: false\n"), {});
  ASSERT_TRUE(defaults.has_value());
  EXPECT_TRUE(defaults->ui.enabled);
  EXPECT_EQ(defaults->ui.fhir_timeout, std::chrono::milliseconds(10000));
  EXPECT_EQ(defaults->ui.status_sample_interval, std::chrono::seconds(60));
  auto set = load(write("s.yaml",
                        "subscription:\n  manage: false\nui:\n  enabled: false\n  fhir_timeout_ms: 500\n"
                        "  status_sample_interval_s: 5\n"),
                  {});
  ASSERT_TRUE(set.has_value()) << set.error().at(0).message;
  EXPECT_FALSE(set->ui.enabled);
  EXPECT_EQ(set->ui.fhir_timeout, std::chrono::milliseconds(500));
  EXPECT_EQ(set->ui.status_sample_interval, std::chrono::seconds(5));
  auto refused = load(write("r.yaml", "subscription:\n  manage: false\nui:\n  status_sample_interval_s: 0\n"), {});
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().at(0).location, "r.yaml:4:29 (ui.status_sample_interval_s)");
  auto from_env =
      load(write("e.yaml", "subscription:\n  manage: false\n"), {{"GRADIENT_GATEWAY_UI_ENABLED", "false"}});
  ASSERT_TRUE(from_env.has_value());
  EXPECT_FALSE(from_env->ui.enabled);
}

// Issue 13, item 2: SMART Backend Services need a client id, a private key that signs RS384 or ES384, and its kid
// (SMART App Launch 2.x, Backend Services: "kid ... SHALL be present"); they replace the other credentials.
TEST_F(ConfigTest, SmartBackendServicesNeedAClientIdASigningKeyAndItsKid) {
  {
    const std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
        EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"), EVP_PKEY_free);
    const std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
    PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    std::ofstream(dir_ / "client.pem") << std::string(data, static_cast<std::size_t>(size));
  }
  std::ofstream(dir_ / "token") << "abc\n";
  std::ofstream(dir_ / "not-a-key.pem") << "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
  const std::string smart =
      "subscription:\n  manage: false\nfhir:\n  base_url: https://fhir.example.org/r4\n"
      "  smart_client_id: gradient-gateway\n  smart_private_key_file: client.pem\n";
  auto good = load(write("a.yaml", smart + "  smart_key_id: key-1\n"), {});
  ASSERT_TRUE(good.has_value()) << good.error().at(0).message;
  const auto options = rest_client_options(good->fhir, "ua");
  EXPECT_EQ(options.smart.client_id, "gradient-gateway");
  EXPECT_EQ(options.smart.key_id, "key-1");
  EXPECT_EQ(options.smart.scope, "system/*.rs system/*.cu");
  EXPECT_EQ(options.smart.private_key_pem.rfind("-----BEGIN PRIVATE KEY-----", 0), 0u);
  EXPECT_TRUE(options.smart_observer);

  const auto first_problem = [&](const std::string& name, const std::string& text, Environment environment = {}) {
    auto loaded = load(write(name, text), std::move(environment));
    return loaded ? std::string("loaded") : loaded.error().at(0).location + ": " + loaded.error().at(0).message;
  };
  EXPECT_EQ(first_problem("b.yaml", smart), "fhir.smart_key_id: SMART Backend Services need the key's kid");
  EXPECT_EQ(first_problem("c.yaml", smart + "  smart_key_id: k\n  bearer_token_file: token\n"),
            "fhir.smart_client_id: SMART Backend Services exclude bearer_token_file and basic_auth_file");
  EXPECT_EQ(first_problem("d.yaml",
                          "subscription:\n  manage: false\nfhir:\n  smart_client_id: gg\n"
                          "  smart_key_id: k\n  smart_private_key_file: not-a-key.pem\n"),
            "fhir.smart_private_key_file: not a PEM private key (unencrypted PKCS#8, RSA or EC)");
  EXPECT_EQ(first_problem("e.yaml",
                          "subscription:\n  manage: false\nfhir:\n  smart_client_id: gg\n"
                          "  smart_key_id: k\n"),
            "fhir.smart_private_key_file: SMART Backend Services need the client's private key");
  EXPECT_EQ(first_problem("f.yaml", smart + "  smart_key_id: k\n  smart_token_endpoint: http://auth/token\n"),
            "fhir.smart_token_endpoint: must be an https:// URL");
  EXPECT_EQ(first_problem("g.yaml", "subscription:\n  manage: false\nfhir:\n  smart_key_id: k\n"),
            "fhir.smart_client_id: the SMART Backend Services keys are set but smart_client_id is not");
  // Every key also from the environment.
  EXPECT_EQ(first_problem("h.yaml", smart, {{"GRADIENT_GATEWAY_FHIR_SMART_KEY_ID", "k"}}), "loaded");
}

}  // namespace
}  // namespace gg::gateway
