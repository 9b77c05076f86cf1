// /healthz and /readyz as orchestrators and tests/integration/harness.py read them, and the FHIR reachability
// loop, driven by a scripted probe instead of a server.
#include "gateway/http/probes.hpp"

#include <gtest/gtest.h>

#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

namespace gg::gateway {
namespace {

TEST(Probes, HealthzSaysUp) {
  const auto response = healthz_response();
  EXPECT_EQ(response.status, 200U);
  EXPECT_EQ(response.content_type, "application/json");
  EXPECT_EQ(response.body, R"({"status":"up"})");
}

TEST(Probes, ReadyzIsReadyOnlyWhenEveryDependencyIs) {
  struct Case {
    ReadinessReport report;
    unsigned status;
    std::string_view body;
  };
  const Case cases[] = {
      {{true, true, true},
       200,
       R"({"status":"ready","stateStore":true,"fhirServer":true,"fhirCircuit":"closed","subscription":true})"},
      {{false, true, true},
       503,
       R"({"status":"not-ready","stateStore":false,"fhirServer":true,"fhirCircuit":"closed","subscription":true})"},
      {{true, false, true},
       503,
       R"({"status":"not-ready","stateStore":true,"fhirServer":false,"fhirCircuit":"closed","subscription":true})"},
      {{true, true, false},
       503,
       R"({"status":"not-ready","stateStore":true,"fhirServer":true,"fhirCircuit":"closed","subscription":false})"},
      {{true, true, true, "open"},
       503,
       R"({"status":"not-ready","stateStore":true,"fhirServer":true,"fhirCircuit":"open","subscription":true})"},
      {{true, true, true, "half-open"},
       503,
       R"({"status":"not-ready","stateStore":true,"fhirServer":true,"fhirCircuit":"half-open",)"
       R"("subscription":true})"},
      {{false, false, false},
       503,
       R"({"status":"not-ready","stateStore":false,"fhirServer":false,"fhirCircuit":"closed",)"
       R"("subscription":false})"},
  };
  for (const auto& [report, status, body] : cases) {
    const auto response = readyz_response(report);
    EXPECT_EQ(response.status, status) << body;
    EXPECT_EQ(response.content_type, "application/json");
    EXPECT_EQ(response.body, body);
  }
}

TEST(Readiness, NothingIsReachableOrActiveBeforeTheChecksSaySo) {
  const Readiness readiness(true);
  const auto report = readiness.report(true);
  EXPECT_TRUE(report.state_store);
  EXPECT_FALSE(report.fhir_server);
  EXPECT_FALSE(report.subscription);
  EXPECT_FALSE(readiness.report(false).state_store);
}

TEST(Readiness, AnUnmanagedSubscriptionIsNeverWaitedFor) {
  Readiness readiness(false);
  EXPECT_TRUE(readiness.report(true).subscription);
  readiness.set_fhir_reachable(true);
  EXPECT_TRUE(readiness.report(true).ready());
}

TEST(Readiness, AManagedSubscriptionCountsOnceActive) {
  Readiness readiness(true);
  readiness.set_fhir_reachable(true);
  EXPECT_FALSE(readiness.report(true).ready());
  readiness.set_subscription_active();
  EXPECT_TRUE(readiness.report(true).subscription);
  EXPECT_TRUE(readiness.report(true).ready());
  // Deleted or errored on the server, found by the scheduled verification: not ready until it is active again.
  readiness.set_subscription_active(false);
  EXPECT_FALSE(readiness.report(true).ready());
}

TEST(Readiness, AnOpenCircuitBreakerIsNotReady) {
  Readiness readiness(false);
  readiness.set_fhir_reachable(true);
  readiness.set_fhir_circuit("open");
  EXPECT_EQ(readiness.report(true).fhir_circuit, "open");
  EXPECT_FALSE(readiness.report(true).ready());
  readiness.set_fhir_circuit("half-open");
  EXPECT_FALSE(readiness.report(true).ready());
  readiness.set_fhir_circuit("closed");
  EXPECT_TRUE(readiness.report(true).ready());
}

// What makes the loop log fhir.reachable / fhir.unreachable: a change, not every answer.
TEST(Readiness, AFhirProbeAnswerReportsWhetherItChanged) {
  Readiness readiness(false);
  EXPECT_FALSE(readiness.set_fhir_reachable(false));  // unreachable until told otherwise: no change
  EXPECT_TRUE(readiness.set_fhir_reachable(true));
  EXPECT_FALSE(readiness.set_fhir_reachable(true));
  EXPECT_TRUE(readiness.set_fhir_reachable(false));
}

TEST(ProbeFhirServer, RecordsEveryAnswerUntilStopped) {
  boost::asio::io_context ioc;
  Readiness readiness(false);
  const std::vector<bool> answers = {true, true, false, true};
  std::vector<bool> seen_before_each;  // readiness as each probe starts: the answers so far
  std::size_t calls = 0;
  auto probe = [&]() -> boost::asio::awaitable<bool> {
    seen_before_each.push_back(readiness.report(true).fhir_server);
    if (calls == answers.size()) {
      ioc.stop();
      co_return false;
    }
    co_return answers[calls++];
  };
  boost::asio::co_spawn(
      ioc,
      probe_fhir_server(ioc.get_executor(), probe, readiness, std::chrono::milliseconds(0), "http://fhir.test"),
      boost::asio::detached);
  ioc.run();
  EXPECT_EQ(seen_before_each, (std::vector<bool>{false, true, true, false, true}));
}

}  // namespace
}  // namespace gg::gateway
