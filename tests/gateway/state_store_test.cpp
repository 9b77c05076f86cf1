#include "gateway/store/state_store.hpp"
#include "gateway/store/schema.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <sqlite3.h>

namespace gg::gateway {
namespace {

namespace fs = std::filesystem;

IntakeEvent observation(std::string id, std::string version, std::string received_at = "2024-05-01T10:00:00Z") {
  IntakeEvent event;
  event.resource_type = "Observation";
  event.resource_id = std::move(id);
  event.version_id = std::move(version);
  event.patient = "Patient/p1";
  event.source = IntakeSource::rest_hook;
  event.received_at = std::move(received_at);
  event.payload = R"({"resourceType":"Observation"})";
  return event;
}

std::unique_ptr<StateStore> open_or_fail(const std::string& path) {
  auto opened = StateStore::open(path);
  EXPECT_TRUE(opened) << opened.error();
  return opened ? std::move(*opened) : nullptr;
}

// A fresh directory per test, removed afterwards.
class StateStoreFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "gg-state-store-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path() const { return (dir_ / "state.db").string(); }

  fs::path dir_;
};

TEST(StateStore, RecordsEventThenCollapsesDuplicate) {
  auto store = open_or_fail(":memory:");
  const RecordOutcome first = store->record_event(observation("o1", "1"));
  EXPECT_EQ(first.kind, RecordOutcome::Kind::inserted);
  EXPECT_GT(first.seq, 0);

  const RecordOutcome again = store->record_event(observation("o1", "1", "2024-05-01T10:00:05Z"));
  EXPECT_EQ(again.kind, RecordOutcome::Kind::duplicate);
  EXPECT_EQ(again.seq, first.seq);
  EXPECT_TRUE(again.stored());

  EXPECT_EQ(store->record_event(observation("o1", "2")).kind, RecordOutcome::Kind::inserted);
  EXPECT_EQ(store->counts().pending, 2);
}

TEST(StateStore, StoresEveryFieldAsGiven) {
  auto store = open_or_fail(":memory:");
  IntakeEvent event = observation("o1", "3");
  event.source = IntakeSource::websocket;
  const auto seq = store->record_event(event).seq;

  const auto stored = store->find_event(seq);
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->resource_type, "Observation");
  EXPECT_EQ(stored->resource_id, "o1");
  EXPECT_EQ(stored->version_id, "3");
  EXPECT_EQ(stored->patient, "Patient/p1");
  EXPECT_EQ(stored->source, IntakeSource::websocket);
  EXPECT_EQ(stored->received_at, "2024-05-01T10:00:00Z");
  EXPECT_EQ(stored->payload, event.payload);
  EXPECT_EQ(stored->state, EventState::pending);
  EXPECT_EQ(stored->attempts, 0);
  EXPECT_EQ(stored->next_attempt_at, "2024-05-01T10:00:00Z");
}

TEST(StateStore, UnversionedEventCollapsesOnlyWhileEarlierIsPending) {
  auto store = open_or_fail(":memory:");
  const auto first = store->record_event(observation("o1", ""));
  EXPECT_EQ(store->record_event(observation("o1", "")).kind, RecordOutcome::Kind::duplicate);

  ASSERT_TRUE(store->mark_done(first.seq));
  const auto later = store->record_event(observation("o1", "", "2024-05-01T11:00:00Z"));
  EXPECT_EQ(later.kind, RecordOutcome::Kind::inserted);
  EXPECT_GT(later.seq, first.seq);
  EXPECT_EQ(store->counts().pending, 1);
}

TEST(StateStore, ClaimDueReturnsDuePendingEventsOldestFirst) {
  auto store = open_or_fail(":memory:");
  const auto a = store->record_event(observation("a", "1", "2024-05-01T10:00:00Z")).seq;
  const auto b = store->record_event(observation("b", "1", "2024-05-01T10:00:01Z")).seq;
  const auto c = store->record_event(observation("c", "1", "2024-05-01T10:00:02Z")).seq;
  const auto future = store->record_event(observation("d", "1", "2024-05-01T12:00:00Z")).seq;
  ASSERT_TRUE(store->mark_retry(a, "2024-05-01T10:30:00Z", "FHIR server unavailable"));

  const auto due = store->claim_due("2024-05-01T10:05:00Z", 10);
  ASSERT_EQ(due.size(), 2u);
  EXPECT_EQ(due[0].seq, b);
  EXPECT_EQ(due[1].seq, c);

  const auto later = store->claim_due("2024-05-01T10:30:00Z", 10);
  ASSERT_EQ(later.size(), 3u);
  EXPECT_EQ(later[0].seq, a);
  EXPECT_EQ(later[0].attempts, 1);
  EXPECT_EQ(later[0].last_error, "FHIR server unavailable");

  EXPECT_EQ(store->claim_due("2024-05-01T13:00:00Z", 2).size(), 2u);
  EXPECT_EQ(store->claim_due("2024-05-01T13:00:00Z", 10).back().seq, future);
}

TEST(StateStore, ClaimDueMarksNothing) {
  auto store = open_or_fail(":memory:");
  store->record_event(observation("a", "1"));
  EXPECT_EQ(store->claim_due("2024-05-02T00:00:00Z", 10).size(), 1u);
  EXPECT_EQ(store->claim_due("2024-05-02T00:00:00Z", 10).size(), 1u);
}

TEST(StateStore, MarkTransitionsLeavePendingAndCountAttempts) {
  auto store = open_or_fail(":memory:");
  const auto done = store->record_event(observation("a", "1")).seq;
  const auto dead = store->record_event(observation("b", "1")).seq;
  const auto failed = store->record_event(observation("c", "1")).seq;
  const auto retried = store->record_event(observation("d", "1")).seq;

  EXPECT_TRUE(store->mark_done(done));
  EXPECT_TRUE(store->mark_retry(dead, "2024-05-01T10:01:00Z", "timeout"));
  EXPECT_TRUE(store->mark_dead(dead, "gave up after 2 attempts"));
  EXPECT_TRUE(store->mark_failed(failed, "unit not convertible"));
  EXPECT_TRUE(store->mark_retry(retried, "2024-05-01T10:01:00Z", "timeout"));

  const EventCounts counts = store->counts();
  EXPECT_EQ(counts.pending, 1);
  EXPECT_EQ(counts.done, 1);
  EXPECT_EQ(counts.failed, 1);
  EXPECT_EQ(counts.dead, 1);
  EXPECT_EQ(counts.oldest_pending_received_at, "2024-05-01T10:00:00Z");  // the operations page's queue age

  const auto dead_event = store->find_event(dead);
  ASSERT_TRUE(dead_event.has_value());
  EXPECT_EQ(dead_event->state, EventState::dead);
  EXPECT_EQ(dead_event->attempts, 2);
  EXPECT_EQ(dead_event->last_error, "gave up after 2 attempts");
  EXPECT_EQ(dead_event->next_attempt_at, "2024-05-01T10:01:00Z");
}

TEST(StateStore, MarkRefusesEventsThatAreNotPending) {
  auto store = open_or_fail(":memory:");
  const auto seq = store->record_event(observation("a", "1")).seq;
  ASSERT_TRUE(store->mark_done(seq));
  EXPECT_FALSE(store->mark_dead(seq, "late"));
  EXPECT_FALSE(store->mark_retry(seq, "2024-05-01T11:00:00Z", "late"));
  EXPECT_FALSE(store->mark_done(seq + 100));
  EXPECT_EQ(store->find_event(seq)->state, EventState::done);
}

TEST(StateStore, EventsOfListsOneResourcesEventsInIntakeOrder) {
  auto store = open_or_fail(":memory:");
  const auto v1 = store->record_event(observation("o1", "1")).seq;
  store->record_event(observation("other", "1"));
  const auto v2 = store->record_event(observation("o1", "2")).seq;
  ASSERT_TRUE(store->mark_done(v1));

  const auto events = store->events_of("Observation", "o1");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].seq, v1);
  EXPECT_EQ(events[0].state, EventState::done);
  EXPECT_EQ(events[1].seq, v2);
  EXPECT_TRUE(store->events_of("Observation", "missing").empty());
}

TEST(StateStore, CursorRoundTrips) {
  auto store = open_or_fail(":memory:");
  EXPECT_EQ(store->cursor("poll.lastUpdated"), std::nullopt);
  EXPECT_TRUE(store->set_cursor("poll.lastUpdated", "2024-05-01T10:00:00Z"));
  EXPECT_EQ(store->cursor("poll.lastUpdated"), "2024-05-01T10:00:00Z");
  EXPECT_TRUE(store->set_cursor("poll.lastUpdated", "2024-05-01T11:00:00Z"));
  EXPECT_EQ(store->cursor("poll.lastUpdated"), "2024-05-01T11:00:00Z");
}

TEST(StateStore, SubscriptionIdRoundTrips) {
  auto store = open_or_fail(":memory:");
  EXPECT_EQ(store->subscription_id("hormones"), std::nullopt);
  EXPECT_TRUE(store->set_subscription_id("hormones", "Subscription/42"));
  EXPECT_EQ(store->subscription_id("hormones"), "Subscription/42");
}

TEST(StateStore, ConcurrentRecordsAreAllStored) {
  auto store = open_or_fail(":memory:");
  constexpr int kThreads = 4;
  constexpr int kEach = 50;
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&store, t] {
      for (int i = 0; i < kEach; ++i) {
        EXPECT_EQ(store->record_event(observation("o" + std::to_string(t * kEach + i), "1")).kind,
                  RecordOutcome::Kind::inserted);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(store->counts().pending, kThreads * kEach);
}

TEST(StateStore, InMemoryStoreIsHealthy) {
  auto store = open_or_fail(":memory:");
  EXPECT_TRUE(store->healthy());
}

// The seam the pipeline's unit tests stand on: a ":memory:" store runs an event's whole life (record, claim,
// retry, settle) and keeps rejections and cursors, and each one is private to its StateStore.
TEST(StateStore, InMemoryStoreRunsTheWholeLifecycleAndIsPrivate) {
  auto store = open_or_fail(":memory:");
  auto other = open_or_fail(":memory:");
  const auto seq = store->record_event(observation("o1", "1")).seq;
  ASSERT_GT(seq, 0);
  ASSERT_EQ(store->claim_due("2024-05-01T10:00:00Z", 10).size(), 1u);
  ASSERT_TRUE(store->mark_retry(seq, "2024-05-01T10:05:00Z", "HTTP 503"));
  EXPECT_TRUE(store->claim_due("2024-05-01T10:04:59Z", 10).empty());
  ASSERT_EQ(store->claim_due("2024-05-01T10:05:00Z", 10).size(), 1u);
  ASSERT_TRUE(store->mark_done(seq));
  EXPECT_EQ(store->find_event(seq)->attempts, 2);
  EXPECT_EQ(store->counts().done, 1);

  ASSERT_TRUE(store->record_rejection({"Observation/o2", "1", "Patient/p1", "cortisol", "incompatible-unit",
                                       R"({"resourceType":"OperationOutcome"})", "2024-05-01T10:00:00Z"}));
  ASSERT_TRUE(store->set_cursor("reconcile", "2024-05-01T10:00:00Z"));
  EXPECT_EQ(store->rejections("", 10).size(), 1u);
  EXPECT_EQ(store->cursor("reconcile"), "2024-05-01T10:00:00Z");

  EXPECT_TRUE(other->events_of("Observation", "o1").empty());
  EXPECT_TRUE(other->rejections("", 10).empty());
  EXPECT_FALSE(other->cursor("reconcile").has_value());
}

// The parts and the forwarding methods are one store: what one writes, the other reads.
TEST(StateStore, PartsAndForwardingMethodsShareOneDatabase) {
  auto store = open_or_fail(":memory:");
  const auto seq = store->events().record(observation("o1", "1")).seq;
  EXPECT_EQ(store->find_event(seq)->resource_id, "o1");
  store->cursors().set_cursor("c", "v");
  EXPECT_EQ(store->cursor("c"), "v");
  store->set_subscription_id("main", "Subscription/9");
  EXPECT_EQ(store->cursors().subscription_id("main"), "Subscription/9");
  EXPECT_TRUE(store->rejection_log().recent("", 10).empty());
}

// Every enumerator has one spelling, and it reads back as itself (the CHECK constraints admit these spellings).
TEST(StateStore, EnumTextRoundTrips) {
  for (auto source : {IntakeSource::rest_hook, IntakeSource::poll, IntakeSource::websocket, IntakeSource::backfill,
                      IntakeSource::analyze}) {
    EXPECT_FALSE(to_string(source).empty());
    EXPECT_EQ(intake_source_from_string(to_string(source)), source);
  }
  for (auto state : {EventState::pending, EventState::done, EventState::failed, EventState::dead}) {
    EXPECT_FALSE(to_string(state).empty());
    EXPECT_EQ(event_state_from_string(to_string(state)), state);
  }
  EXPECT_EQ(to_string(IntakeSource::rest_hook), "rest-hook");
  EXPECT_FALSE(intake_source_from_string("rest_hook").has_value());
  EXPECT_FALSE(event_state_from_string("").has_value());
}

TEST_F(StateStoreFileTest, SetsSchemaVersionAndWalMode) {
  { open_or_fail(path()); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path().c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  const auto query_text = [db](const char* sql) {
    sqlite3_stmt* stmt = nullptr;
    std::string value;
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW) {
      value = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    }
    sqlite3_finalize(stmt);
    return value;
  };
  EXPECT_EQ(query_text("PRAGMA user_version"), std::to_string(StateStore::kSchemaVersion));
  EXPECT_EQ(query_text("PRAGMA journal_mode"), "wal");
  sqlite3_close(db);
}

TEST_F(StateStoreFileTest, PendingEventSurvivesReopen) {
  std::int64_t seq = 0;
  {
    auto store = open_or_fail(path());
    seq = store->record_event(observation("o1", "1")).seq;
    store->set_cursor("poll", "2024-05-01T10:00:00Z");
  }
  auto reopened = open_or_fail(path());
  const auto due = reopened->claim_due("2024-05-02T00:00:00Z", 10);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].seq, seq);
  EXPECT_EQ(reopened->cursor("poll"), "2024-05-01T10:00:00Z");
  EXPECT_EQ(reopened->record_event(observation("o1", "1")).kind, RecordOutcome::Kind::duplicate);
}

TEST_F(StateStoreFileTest, RecordedEventSurvivesProcessDeathWithoutClose) {
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The acknowledgement point: record_event returned. Then the process dies without closing anything.
    auto store = StateStore::open(path());
    const bool stored = store && (*store)->record_event(observation("o1", "1")).stored();
    _exit(stored ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 0);

  auto store = open_or_fail(path());
  const auto due = store->claim_due("2024-05-02T00:00:00Z", 10);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].resource_id, "o1");
}

// A state file written by an older program (schema version 1, before the rejection log and the alert outbox) is
// migrated on open and keeps its events.
TEST_F(StateStoreFileTest, MigratesAnOlderSchemaAndKeepsItsEvents) {
  {
    // As the release that wrote schema version 1 left the file (state_maintenance_test.cpp: every version).
    auto db = sqlite::Database::open(path(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    ASSERT_TRUE(db) << db.error();
    ASSERT_TRUE(store::migrate_to_for_test(**db, 1));
    ASSERT_TRUE((*db)->exec(
        "INSERT INTO event (resource_type, resource_id, version_id, source, received_at, next_attempt_at) "
        "VALUES ('Observation', 'o1', '1', 'rest-hook', '2024-05-01T10:00:00Z', '2024-05-01T10:00:00Z')"));
  }
  auto store = open_or_fail(path());
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->healthy());
  EXPECT_EQ(store->events_of("Observation", "o1").size(), 1u);
  EXPECT_TRUE(store->record_rejection({"Observation/o2", "1", "", "", "incompatible-unit", "{}", "2024-05-01"}));
  EXPECT_TRUE(store->alerts().subscriptions().empty());
}

TEST_F(StateStoreFileTest, OpenFailsWhenDirectoryDoesNotExist) {
  const auto opened = StateStore::open((dir_ / "missing" / "state.db").string());
  ASSERT_FALSE(opened);
  const std::string error = opened.error();
  EXPECT_NE(error.find("cannot open state database"), std::string::npos) << error;
}

TEST_F(StateStoreFileTest, OpenFailsWhenParentIsAFile) {
  std::ofstream(dir_ / "plain-file") << "x";
  const auto opened = StateStore::open((dir_ / "plain-file" / "state.db").string());
  ASSERT_FALSE(opened);
  const std::string error = opened.error();
  EXPECT_FALSE(error.empty());
}

TEST_F(StateStoreFileTest, OpenFailsOnReadOnlyFile) {
  if (geteuid() == 0) GTEST_SKIP() << "root ignores file permissions";
  { open_or_fail(path()); }
  fs::permissions(path(), fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
  fs::permissions(dir_, fs::perms::owner_read | fs::perms::owner_exec);
  const auto opened = StateStore::open(path());
  ASSERT_FALSE(opened);
  const std::string error = opened.error();
  EXPECT_FALSE(error.empty());
  fs::permissions(dir_, fs::perms::owner_all);
}

TEST_F(StateStoreFileTest, OpenFailsOnFileThatIsNotADatabase) {
  std::ofstream(path()) << std::string(4096, 'x');
  const auto opened = StateStore::open(path());
  ASSERT_FALSE(opened);
  const std::string error = opened.error();
  EXPECT_NE(error.find("not a database"), std::string::npos) << error;
}

TEST_F(StateStoreFileTest, OpenFailsOnNewerSchema) {
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path().c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  const auto opened = StateStore::open(path());
  ASSERT_FALSE(opened);
  const std::string error = opened.error();
  EXPECT_NE(error.find("newer"), std::string::npos) << error;
}

TEST_F(StateStoreFileTest, RecordEventReportsStorageFailure) {
  auto store = open_or_fail(path());
  {
    // Another connection breaks the schema under the store: the insert cannot be stored.
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path().c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "DROP TABLE event", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  const RecordOutcome outcome = store->record_event(observation("o1", "1"));
  EXPECT_EQ(outcome.kind, RecordOutcome::Kind::failed);
  EXPECT_FALSE(outcome.stored());
  EXPECT_FALSE(outcome.error.empty());
  EXPECT_EQ(outcome.error.find("Observation"), std::string::npos);  // names no values
}

}  // namespace
}  // namespace gg::gateway
