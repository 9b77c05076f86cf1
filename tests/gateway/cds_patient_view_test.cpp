// The CDS Hooks patient-view service end to end without sockets: discovery, authentication, the hook request,
// prefetched data used as sent or searched on the (fake) FHIR server, and the cards of the patient's findings.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <future>
#include <thread>

#include "analytics/assessment.hpp"
#include "analytics/gradient_rules.hpp"
#include "cds_test_support.hpp"
#include "fake_fhir_client.hpp"
#include "fhir/json_codec.hpp"
#include "gateway/cds/cds_endpoint.hpp"
#include "gateway/cds/finding_cards.hpp"
#include "gateway/cds/patient_view.hpp"
#include "gateway/pipeline/write_back.hpp"
#include "gateway_test_support.hpp"

namespace gg::gateway {
namespace {

using testing::FakeFhirClient;
using testing::Interaction;
using testing::TestKey;

constexpr std::string_view kIssuer = "https://ehr.example.org/";
constexpr std::string_view kAudience = "https://gateway.example.org/cds-services/gradient-findings";
constexpr std::string_view kBase = "http://fhir.example.org/fhir";
constexpr std::string_view kRationale = "Cortisol/DHEA-S ratio above the target range";

fhir::RiskAssessment risk(std::string id, const std::string& patient, std::string code, std::string level,
                          std::string when, std::string rationale = std::string(kRationale)) {
  fhir::RiskAssessment r;
  r.id = std::move(id);
  r.identifier = {{std::string(kWriteBackIdentifierSystem), "ra-" + r.id}};
  r.status = "final";
  r.method = fhir::CodeableConcept{{{std::string(kRuleSetSystem), "2026.11", "gradient-gateway-default", ""}},
                                   "Gradient Gateway rule set gradient-gateway-default version 2026.11"};
  r.subject = {"Patient/" + patient, ""};
  r.occurrence_date_time = std::move(when);
  fhir::RiskAssessmentPrediction prediction;
  prediction.outcome =
      fhir::CodeableConcept{{{std::string(analytics::kGradientCodeSystem), "", code, "Cortisol/DHEA-S ratio"}},
                            "Cortisol/DHEA-S ratio 12"};
  prediction.qualitative_risk =
      fhir::CodeableConcept{{{std::string(analytics::kRiskProbabilitySystem), "", std::move(level), ""}}, ""};
  prediction.rationale = std::move(rationale);
  r.prediction.push_back(prediction);
  return r;
}

fhir::CarePlan plan(std::string id, const std::string& patient, const std::string& risk_id) {
  fhir::CarePlan p;
  p.id = std::move(id);
  p.identifier = {{std::string(kWriteBackIdentifierSystem), "cp-" + p.id}};
  p.status = "draft";
  p.intent = "proposal";
  p.subject = {"Patient/" + patient, ""};
  p.supporting_info = {{"RiskAssessment/" + risk_id, ""}};
  fhir::CarePlanActivity activity;
  activity.detail.status = "not-started";
  activity.detail.reason_code = {fhir::CodeableConcept{{}, std::string(kRationale)}};
  activity.detail.description = "Proposal for clinician review, not an order. Repeat the morning cortisol.";
  p.activity.push_back(activity);
  return p;
}

std::string searchset(const std::vector<fhir::Resource>& resources) {
  fhir::Bundle bundle;
  bundle.type = "searchset";
  for (const auto& resource : resources) {
    fhir::BundleEntry entry;
    entry.resource = resource;
    bundle.entry.push_back(std::move(entry));
  }
  return fhir::to_json(bundle);
}

// The request of the specification's example ("Calling a CDS Service", Example), for the patient-view hook.
std::string hook_request(std::string_view patient, std::string_view prefetch = {}) {
  std::string body = R"({"hookInstance":"d1577c69-dfbe-44ad-ba6d-3e05e953b2ea","hook":"patient-view",)"
                     R"("context":{"userId":"Practitioner/example","patientId":")" +
                     std::string(patient) + R"(","encounterId":"89284"})";
  if (!prefetch.empty()) body += R"(,"prefetch":)" + std::string(prefetch);
  return body + "}";
}

struct CardView {
  std::string summary, detail, indicator, source_label, topic_code, link_url, link_type;
};

std::vector<CardView> cards_of(const std::string& json) {
  simdjson::dom::parser parser;
  simdjson::dom::element root = parser.parse(json);
  std::vector<CardView> out;
  for (auto card : root["cards"].get_array()) {
    CardView view;
    view.summary = std::string(card["summary"].get_string().value());
    view.detail = std::string(card["detail"].get_string().value());
    view.indicator = std::string(card["indicator"].get_string().value());
    view.source_label = std::string(card["source"]["label"].get_string().value());
    std::string_view topic;
    if (card["source"]["topic"]["code"].get_string().get(topic) == simdjson::SUCCESS) view.topic_code = topic;
    simdjson::dom::array links;
    if (card["links"].get_array().get(links) == simdjson::SUCCESS) {
      for (auto link : links) {
        view.link_url = std::string(link["url"].get_string().value());
        view.link_type = std::string(link["type"].get_string().value());
      }
    }
    out.push_back(view);
  }
  return out;
}

class PatientViewTest : public ::testing::Test {
 protected:
  PatientViewTest() {
    auto keys = JsonWebKeySet::parse(testing::jwks_of({&key()}));
    EXPECT_TRUE(keys) << keys.error();
    verifier_ = std::make_unique<ClientTokenVerifier>(
        std::vector<TrustedIssuer>{{std::string(kIssuer), *keys}},
        ClientTokenPolicy{std::string(kAudience), std::chrono::seconds(60), std::chrono::seconds(300)});
    endpoint_ = std::make_unique<CdsEndpoint>(CdsEndpointOptions{std::string(kBase)}, *verifier_, reader_, clock_);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~PatientViewTest() override {
    work_.reset();
    thread_.join();
  }

  static const TestKey& key() {
    static const TestKey k = TestKey::ec384("ehr-key");
    return k;
  }

  std::string token() {
    const long long now = clock_.now().time_since_epoch().count();
    return "Bearer " +
           key().sign(testing::client_claims(kIssuer, kAudience, now, now + 120, "jti-" + std::to_string(++jti_)));
  }

  HttpResponse post(const std::string& body, std::string authorization = "use-a-good-token") {
    HttpRequest request{"POST", "/cds-services/gradient-findings", {}, body, "127.0.0.1"};
    if (authorization == "use-a-good-token") authorization = token();
    if (!authorization.empty()) request.headers["authorization"] = authorization;
    request.headers["content-type"] = "application/json";
    return endpoint_->handle(request);
  }

  // The fake is used on io_'s thread only: store into it there.
  void store(fhir::Resource resource) {
    boost::asio::post(io_, [this, resource = std::move(resource)]() mutable { fhir_.put(std::move(resource)); });
    std::promise<void> done;
    boost::asio::post(io_, [&done] { done.set_value(); });
    done.get_future().wait();
  }

  boost::asio::io_context io_{1};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{io_.get_executor()};
  ManualClock clock_{std::chrono::sys_days{std::chrono::December / 3 / 2026}};
  FakeFhirClient fhir_{clock_};
  SideReader reader_{fhir_, io_.get_executor(), std::chrono::seconds(5)};
  std::unique_ptr<ClientTokenVerifier> verifier_;
  std::unique_ptr<CdsEndpoint> endpoint_;
  std::thread thread_;
  int jti_ = 0;
};

TEST_F(PatientViewTest, DiscoveryListsThePatientViewServiceWithPrefetchWithoutAToken) {
  auto response = endpoint_->handle(HttpRequest{"GET", "/cds-services", {}, "", "127.0.0.1"});
  ASSERT_EQ(response.status, 200U);
  simdjson::dom::parser parser;
  simdjson::dom::element root = parser.parse(response.body);
  auto services = root["services"].get_array().value();
  ASSERT_EQ(services.size(), 1U);
  auto service = services.at(0).value();
  EXPECT_EQ(service["hook"].get_string().value(), "patient-view");
  EXPECT_EQ(service["id"].get_string().value(), "gradient-findings");
  EXPECT_FALSE(service["description"].get_string().value().empty());
  EXPECT_EQ(service["prefetch"]["riskAssessments"].get_string().value(),
            "RiskAssessment?patient={{context.patientId}}&identifier="
            "http://gradient-gateway.dev/fhir/NamingSystem/write-back|");
  EXPECT_EQ(service["prefetch"]["carePlans"].get_string().value(),
            "CarePlan?patient={{context.patientId}}&identifier="
            "http://gradient-gateway.dev/fhir/NamingSystem/write-back|");
}

TEST_F(PatientViewTest, SearchesTheFhirServerWithoutPrefetchAndAnswersACardPerFinding) {
  store(risk("r1", "7", "cortisol-dheas-ratio", "high", "2026-12-01T08:00:00Z"));
  store(plan("c1", "7", "r1"));
  auto response = post(hook_request("7"));
  ASSERT_EQ(response.status, 200U) << response.body;
  EXPECT_EQ(response.content_type, "application/json");
  const auto cards = cards_of(response.body);
  ASSERT_EQ(cards.size(), 1U);
  EXPECT_EQ(cards[0].indicator, "critical");
  EXPECT_LT(cards[0].summary.size(), 140U);
  EXPECT_NE(cards[0].summary.find("high"), std::string::npos);
  EXPECT_NE(cards[0].detail.find("Repeat the morning cortisol."), std::string::npos);
  EXPECT_NE(cards[0].detail.find("not orders"), std::string::npos);
  EXPECT_EQ(cards[0].source_label, "Gradient Gateway");
  EXPECT_EQ(cards[0].topic_code, "gradient-gateway-default");
  EXPECT_EQ(cards[0].link_url, std::string(kBase) + "/CarePlan/c1");
  EXPECT_EQ(cards[0].link_type, "absolute");
  EXPECT_EQ(fhir_.count(Interaction::search), 2U);
}

TEST_F(PatientViewTest, UsesPrefetchedBundlesWithoutSearching) {
  const std::string prefetch =
      R"({"riskAssessments":)" +
      searchset({risk("r9", "7", "cortisol-dheas-ratio", "moderate", "2026-12-01T08:00:00Z")}) +
      R"(,"carePlans":)" + searchset({plan("c9", "7", "r9")}) + "}";
  auto response = post(hook_request("7", prefetch));
  ASSERT_EQ(response.status, 200U) << response.body;
  const auto cards = cards_of(response.body);
  ASSERT_EQ(cards.size(), 1U);
  EXPECT_EQ(cards[0].indicator, "warning");
  EXPECT_EQ(cards[0].link_url, std::string(kBase) + "/CarePlan/c9");
  EXPECT_EQ(fhir_.count(Interaction::search), 0U);
}

TEST_F(PatientViewTest, SearchesWhatTheClientPrefetchedAsNull) {
  store(risk("r1", "7", "cortisol-dheas-ratio", "low", "2026-12-01T08:00:00Z"));
  const std::string prefetch = R"({"riskAssessments":null,"carePlans":)" + searchset({}) + "}";
  auto response = post(hook_request("7", prefetch));
  ASSERT_EQ(response.status, 200U) << response.body;
  const auto cards = cards_of(response.body);
  ASSERT_EQ(cards.size(), 1U);
  EXPECT_EQ(cards[0].indicator, "info");
  EXPECT_TRUE(cards[0].link_url.empty());  // no CarePlan prefetched
  ASSERT_EQ(fhir_.count(Interaction::search), 1U);
  EXPECT_EQ(fhir_.calls().back().type, "RiskAssessment");
}

TEST_F(PatientViewTest, NoFindingGivesAnEmptyCardList) {
  store(risk("r1", "8", "cortisol-dheas-ratio", "high", "2026-12-01T08:00:00Z"));  // another patient's
  auto response = post(hook_request("7"));
  ASSERT_EQ(response.status, 200U) << response.body;
  EXPECT_EQ(response.body, R"({"cards":[]})");
}

TEST_F(PatientViewTest, OnlyTheLatestNonRetractedFindingPerCodeIsACard) {
  store(risk("old", "7", "cortisol-dheas-ratio", "high", "2026-11-01T08:00:00Z"));
  store(risk("new", "7", "cortisol-dheas-ratio", "low", "2026-12-01T08:00:00Z"));
  auto retracted = risk("newest", "7", "cortisol-dheas-ratio", "moderate", "2026-12-02T08:00:00Z");
  retracted.status = "entered-in-error";
  store(retracted);
  auto foreign = risk("foreign", "7", "cortisol-dheas-ratio", "high", "2026-12-02T09:00:00Z");
  foreign.identifier = {{"http://other.example/ids", "x"}};  // not written by the gateway
  store(foreign);
  const auto cards = cards_of(post(hook_request("7")).body);
  ASSERT_EQ(cards.size(), 1U);
  EXPECT_EQ(cards[0].indicator, "info");
  EXPECT_NE(cards[0].detail.find("RiskAssessment/new"), std::string::npos);
}

TEST_F(PatientViewTest, RefusesCallsWithoutAValidTokenWith401) {
  store(risk("r1", "7", "cortisol-dheas-ratio", "high", "2026-12-01T08:00:00Z"));
  for (const std::string& authorization : {std::string(), std::string("Bearer x.y.z")}) {
    auto response = post(hook_request("7"), authorization);
    EXPECT_EQ(response.status, 401U);
    EXPECT_FALSE(testing::outcome_of(response).issue.empty());
  }
  const long long now = clock_.now().time_since_epoch().count();
  auto expired =
      post(hook_request("7"),
           "Bearer " + key().sign(testing::client_claims(kIssuer, kAudience, now - 600, now - 300, "old")));
  EXPECT_EQ(expired.status, 401U);
  const std::string once = token();
  EXPECT_EQ(post(hook_request("7"), once).status, 200U);
  EXPECT_EQ(post(hook_request("7"), once).status, 401U);  // replayed
  EXPECT_EQ(fhir_.count(Interaction::search), 2U);        // only the one authenticated call searched
}

TEST_F(PatientViewTest, RefusesMalformedHookRequestsWith400) {
  for (const std::string& body :
       {std::string("not json"), std::string(R"({"hook":"order-sign","hookInstance":"x","context":{}})"),
        std::string(R"({"hook":"patient-view","context":{"patientId":"7","userId":"Practitioner/1"}})"),
        std::string(R"({"hook":"patient-view","hookInstance":"x","context":{"userId":"Practitioner/1"}})"),
        std::string(R"({"hook":"patient-view","hookInstance":"x","context":{"patientId":"7"}})"),
        std::string(R"({"hook":"patient-view","hookInstance":"x","context":{"patientId":"a/b","userId":"P/1"}})"),
        hook_request("7", R"({"riskAssessments":"RiskAssessment/1"})"),
        hook_request("7", R"({"riskAssessments":{"resourceType":"Patient","id":"7"}})")}) {
    auto response = post(body);
    EXPECT_EQ(response.status, 400U) << body;
    EXPECT_FALSE(testing::outcome_of(response).issue.empty()) << body;
  }
  EXPECT_EQ(fhir_.count(Interaction::search), 0U);
}

TEST_F(PatientViewTest, AnswersFhirServerFailureWith412) {
  fhir_.fail_next(Interaction::search, 1, testing::FakeFailure{503});
  auto response = post(hook_request("7"));
  EXPECT_EQ(response.status, 412U);
  EXPECT_FALSE(testing::outcome_of(response).issue.empty());
}

TEST_F(PatientViewTest, UnknownServiceAndWrongMethods) {
  EXPECT_EQ(endpoint_->handle(HttpRequest{"POST", "/cds-services/other", {}, "{}", ""}).status, 404U);
  EXPECT_EQ(endpoint_->handle(HttpRequest{"GET", "/cds-services/gradient-findings", {}, "", ""}).status, 405U);
  EXPECT_EQ(endpoint_->handle(HttpRequest{"POST", "/cds-services", {}, "{}", ""}).status, 405U);
}

TEST(FindingCardsTest, IndicatorFollowsTheRiskLevel) {
  EXPECT_EQ(indicator_for("high"), "critical");
  EXPECT_EQ(indicator_for("moderate"), "warning");
  EXPECT_EQ(indicator_for("low"), "info");
  EXPECT_EQ(indicator_for("negligible"), "info");
  EXPECT_EQ(indicator_for(""), "info");
}

TEST(FindingCardsTest, AValueWithoutARiskLevelIsNoFinding) {
  FindingResources resources;
  auto ungraded = risk("a", "7", "code-a", "", "2026-12-01T08:00:00Z");
  ungraded.prediction[0].qualitative_risk.reset();
  resources.risk_assessments.push_back(ungraded);
  EXPECT_TRUE(finding_cards("7", resources, kBase).empty());
}

TEST(FindingCardsTest, DetailEscapesMarkdownInResourceText) {
  FindingResources resources;
  resources.risk_assessments.push_back(
      risk("a", "7", "code-a", "high", "2026-12-01T08:00:00Z", "ratio *above* <b>range</b> [x]"));
  const auto cards = finding_cards("7", resources, kBase);
  ASSERT_EQ(cards.size(), 1U);
  EXPECT_NE(cards[0].detail.find(R"(ratio \*above\* \<b\>range\</b\> \[x\])"), std::string::npos)
      << cards[0].detail;
}

TEST(FindingCardsTest, SummaryStaysUnder140CharactersAndCardsAreMostUrgentFirst) {
  FindingResources resources;
  resources.risk_assessments.push_back(risk("a", "7", "code-a", "low", "2026-12-01T08:00:00Z"));
  auto long_one = risk("b", "7", "code-b", "high", "2026-12-01T08:00:00Z");
  long_one.prediction[0].outcome->text = std::string(300, 'x');
  resources.risk_assessments.push_back(long_one);
  const auto cards = finding_cards("7", resources, kBase);
  ASSERT_EQ(cards.size(), 2U);
  EXPECT_EQ(cards[0].code, "code-b");
  EXPECT_EQ(cards[0].indicator, "critical");
  EXPECT_LT(cards[0].summary.size(), 140U);
  EXPECT_EQ(cards[1].code, "code-a");
}

}  // namespace
}  // namespace gg::gateway
