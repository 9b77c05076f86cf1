// gradient-gateway backfill through the durable intake (issue 9, item 3): the files name the patients, each gets
// one event in the state store, and the pipeline analyses each patient from what the FHIR server (here the
// in-memory fake) holds. No retries here: backfill waits for those with a real timer.
#include "gateway/commands/backfill_command.hpp"
#include "gateway_test_support.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <sstream>
#include <string>

#include "fake_fhir_client.hpp"
#include "gateway/config/knowledge_loader.hpp"

namespace gg::gateway {
namespace {

using testing::FakeFhirClient;
using testing::Interaction;

const std::string kSource = GG_SOURCE_DIR;
const std::string kPatients = kSource + "/tests/data/patients/";
constexpr auto kStart = std::chrono::sys_days{std::chrono::November / 26 / 2026};

class BackfillCommandTest : public ::testing::Test {
 protected:
  BackfillCommandTest() { store_ = testing::open_test_store(); }

  int backfill(const std::vector<std::string>& inputs, std::string& err) {
    std::ostringstream stream;
    const int status = run_backfill(io_, fhir_, *store_, clock_, config_, testing::shipped_knowledge(),
                                    AnalyzeOptions{inputs, clock_.now(), false}, stream);
    err = stream.str();
    return status;
  }

  boost::asio::io_context io_;
  ManualClock clock_{kStart};
  FakeFhirClient fhir_{clock_};
  Config config_;
  std::unique_ptr<StateStore> store_;
};

TEST_F(BackfillCommandTest, RecordsOneEventPerPatientAndWritesEachPatientsAnalysisOnce) {
  fhir_.load(kPatients + "cortisol-dheas-pair.json");
  fhir_.load(kPatients + "full-panel.json");
  std::string err;
  EXPECT_EQ(backfill({kPatients + "cortisol-dheas-pair.json", kPatients + "full-panel.json"}, err), 0) << err;
  EXPECT_NE(err.find("2 of 2 patient transactions written"), std::string::npos) << err;
  EXPECT_EQ(fhir_.committed_transactions().size(), 2u);
  const auto events = store_->events_of("Patient", "qs-a");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].source, IntakeSource::backfill);
  EXPECT_EQ(events[0].patient, "Patient/qs-a");
  EXPECT_EQ(events[0].state, EventState::done);
  EXPECT_TRUE(events[0].payload.empty());

  // Twice: analysed again (a new event), nothing written twice.
  const auto risks = fhir_.all("RiskAssessment").size();
  clock_.advance(std::chrono::minutes(1));
  EXPECT_EQ(backfill({kPatients + "cortisol-dheas-pair.json"}, err), 0) << err;
  EXPECT_NE(err.find("1 of 1 patient transactions written"), std::string::npos) << err;
  EXPECT_EQ(store_->events_of("Patient", "qs-a").size(), 2u);
  EXPECT_EQ(fhir_.count(Interaction::transaction), 3u);
  EXPECT_EQ(fhir_.all("RiskAssessment").size(), risks);
}

TEST_F(BackfillCommandTest, ARefusedTransactionEndsTheRunWithStatusOne) {
  fhir_.load(kPatients + "cortisol-dheas-pair.json");
  fhir_.fail_next(Interaction::transaction, 1, testing::FakeFailure{422});
  std::string err;
  EXPECT_EQ(backfill({kPatients + "cortisol-dheas-pair.json"}, err), 1);
  EXPECT_NE(err.find("0 of 1 patient transactions written"), std::string::npos) << err;
  EXPECT_NE(err.find("Patient/qs-a: failed"), std::string::npos) << err;
  EXPECT_EQ(store_->events_of("Patient", "qs-a").at(0).state, EventState::failed);
}

}  // namespace
}  // namespace gg::gateway
