// `state backup` and `events retry` as an operator runs them: what they print, their exit status, and that they
// refuse what they should and change nothing then.
#include "gateway/commands/state_command.hpp"

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "gateway_test_support.hpp"

namespace gg::gateway {
namespace {

namespace fs = std::filesystem;

class StateCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "gg-state-command-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    config_.state.path = (dir_ / "state.db").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A state file holding one event of each final state, received on 1 and 3 May 2024.
  void write_state() {
    auto store = testing::open_test_store(config_.state.path);
    ASSERT_NE(store, nullptr);
    const auto record = [&](const char* id, const char* received_at) {
      return store
          ->record_event(
              IntakeEvent{"Observation", id, "1", "Patient/p1", IntakeSource::rest_hook, received_at, "{}", ""})
          .seq;
    };
    ASSERT_TRUE(store->mark_dead(record("dead-early", "2024-05-01T00:00:00Z"), "HTTP 500"));
    ASSERT_TRUE(store->mark_dead(record("dead-late", "2024-05-03T00:00:00Z"), "HTTP 500"));
    ASSERT_TRUE(store->mark_failed(record("failed", "2024-05-03T00:00:00Z"), "invalid"));
    ASSERT_TRUE(store->mark_done(record("done", "2024-05-03T00:00:00Z")));
  }

  EventCounts counts() { return testing::open_test_store(config_.state.path)->counts(); }

  fs::path dir_;
  Config config_;
  ManualClock clock_{std::chrono::sys_days(std::chrono::year{2024} / 6 / 1)};
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST_F(StateCommandTest, BackupWritesAFileThatOpensWithTheEvents) {
  write_state();
  const auto copy = (dir_ / "copy.db").string();
  EXPECT_EQ(run_state_backup(config_, copy, false, out_, err_), 0) << err_.str();
  EXPECT_NE(out_.str().find("integrity check ok"), std::string::npos) << out_.str();
  EXPECT_EQ(testing::open_test_store(copy)->counts().dead, 2);
}

TEST_F(StateCommandTest, BackupOverAnExistingFileIsAUsageErrorWithoutForce) {
  write_state();
  const auto copy = (dir_ / "copy.db").string();
  std::ofstream(copy) << "earlier";
  EXPECT_EQ(run_state_backup(config_, copy, false, out_, err_), 2);
  EXPECT_NE(err_.str().find("--force"), std::string::npos) << err_.str();
  EXPECT_EQ(fs::file_size(copy), 7U);
  EXPECT_EQ(run_state_backup(config_, copy, true, out_, err_), 0) << err_.str();
  EXPECT_EQ(testing::open_test_store(copy)->counts().done, 1);
}

TEST_F(StateCommandTest, BackupWithoutAStateFileFails) {
  EXPECT_EQ(run_state_backup(config_, (dir_ / "copy.db").string(), false, out_, err_), 1);
  EXPECT_NE(err_.str().find("state.db"), std::string::npos) << err_.str();
  EXPECT_FALSE(fs::exists(config_.state.path));
}

TEST_F(StateCommandTest, RetryRedrivesDeadEventsAndSaysHowMany) {
  write_state();
  EXPECT_EQ(run_events_retry(config_, "", false, clock_, out_, err_), 0) << err_.str();
  EXPECT_EQ(out_.str(), "re-drove 2 dead events; serve's pipeline processes them\n");
  const auto after = counts();
  EXPECT_EQ(after.dead, 0);
  EXPECT_EQ(after.pending, 2);
  EXPECT_EQ(after.failed, 1);
}

TEST_F(StateCommandTest, RetrySinceAndFailedNarrowAndWiden) {
  write_state();
  EXPECT_EQ(run_events_retry(config_, "2024-05-02", true, clock_, out_, err_), 0) << err_.str();
  EXPECT_EQ(out_.str(),
            "re-drove 2 dead or failed events received since 2024-05-02T00:00:00Z; serve's pipeline processes "
            "them\n");
  const auto after = counts();
  EXPECT_EQ(after.dead, 1);  // dead-early, received before
  EXPECT_EQ(after.failed, 0);
  EXPECT_EQ(after.pending, 2);
}

TEST_F(StateCommandTest, RetryRefusesABadSinceOrAMissingStateFileAndChangesNothing) {
  EXPECT_EQ(run_events_retry(config_, "2024-05-02", false, clock_, out_, err_), 2);
  EXPECT_FALSE(fs::exists(config_.state.path));  // not created by a mistyped configuration
  write_state();
  EXPECT_EQ(run_events_retry(config_, "last tuesday", false, clock_, out_, err_), 2);
  EXPECT_NE(err_.str().find("--since"), std::string::npos) << err_.str();
  EXPECT_EQ(counts().dead, 2);
}

}  // namespace
}  // namespace gg::gateway
