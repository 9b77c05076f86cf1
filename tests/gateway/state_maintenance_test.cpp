// What keeps the state database in shape over months: a dead event seen again is revived, operators re-drive dead
// (and failed) events, retention prunes what settled long ago (never pending or dead work), files are created
// 0600, an online backup is a whole database, and a file written by any earlier schema version opens with every
// row intact.
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "gateway/store/backup.hpp"
#include "gateway/store/retention.hpp"
#include "gateway/store/schema.hpp"
#include "gateway/store/state_store.hpp"
#include "gateway_test_support.hpp"

namespace gg::gateway {
namespace {

namespace fs = std::filesystem;
using std::chrono::days;
using std::chrono::sys_days;

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

StoredRejection rejection(std::string observation, std::string recorded_at) {
  return {std::move(observation), "1", "Patient/p1", "", "incompatible-unit", "{}", std::move(recorded_at)};
}

// Records an event and settles it in `state` (one attempt), returning its seq.
std::int64_t settled(StateStore& store, const IntakeEvent& event, EventState state) {
  const auto seq = store.record_event(event).seq;
  EXPECT_GT(seq, 0);
  switch (state) {
    case EventState::done:
      EXPECT_TRUE(store.mark_done(seq));
      break;
    case EventState::failed:
      EXPECT_TRUE(store.mark_failed(seq, "invalid"));
      break;
    case EventState::dead:
      EXPECT_TRUE(store.mark_dead(seq, "HTTP 500"));
      break;
    case EventState::pending:
      break;
  }
  return seq;
}

class TempDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "gg-state-maint-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string file(const std::string& name) const { return (dir_ / name).string(); }

  static unsigned mode_of(const std::string& path) {
    struct stat info {};
    EXPECT_EQ(::stat(path.c_str(), &info), 0) << path;
    return info.st_mode & 0777U;
  }

  fs::path dir_;
};

// --- a dead event recorded again -------------------------------------------------------------------------------

TEST(DeadEventRecordedAgain, IsPendingAgainWithItsAttemptsFromZero) {
  auto store = testing::open_test_store();
  const auto seq = store->record_event(observation("o1", "1")).seq;
  ASSERT_TRUE(store->mark_retry(seq, "2024-05-01T10:01:00Z", "HTTP 500"));
  ASSERT_TRUE(store->mark_dead(seq, "HTTP 500"));

  // The reconcile search (or HAPI's redelivery) sees the same version again.
  auto again = observation("o1", "1", "2024-05-03T08:00:00Z");
  again.source = IntakeSource::poll;
  const RecordOutcome outcome = store->record_event(again);
  EXPECT_EQ(outcome.kind, RecordOutcome::Kind::inserted);
  EXPECT_TRUE(outcome.revived);
  EXPECT_EQ(outcome.seq, seq);

  const auto event = store->find_event(seq);
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->state, EventState::pending);
  EXPECT_EQ(event->attempts, 0);
  EXPECT_EQ(event->next_attempt_at, "2024-05-03T08:00:00Z");
  EXPECT_EQ(event->settled_at, "");
  EXPECT_EQ(store->claim_due("2024-05-03T08:00:00Z", 10).size(), 1U);
  EXPECT_EQ(store->events_of("Observation", "o1").size(), 1U);  // revived, not a second row
  EXPECT_EQ(store->counts().dead, 0);
}

TEST(DeadEventRecordedAgain, ByALeasedRecorderIsDueWhenTheLeaseEnds) {
  auto store = testing::open_test_store();
  const auto seq = settled(*store, observation("o1", "1"), EventState::dead);
  const auto outcome =
      store->events().record(observation("o1", "1", "2024-05-03T08:00:00Z"), "2024-05-03T08:05:00Z");
  EXPECT_TRUE(outcome.revived);
  EXPECT_EQ(store->find_event(seq)->next_attempt_at, "2024-05-03T08:05:00Z");
}

TEST(DeadEventRecordedAgain, DoneAndFailedEventsStayDuplicates) {
  auto store = testing::open_test_store();
  const auto done = settled(*store, observation("o1", "1"), EventState::done);
  const auto failed = settled(*store, observation("o2", "1"), EventState::failed);
  for (const auto& [id, seq, state] :
       {std::tuple{"o1", done, EventState::done}, std::tuple{"o2", failed, EventState::failed}}) {
    const auto outcome = store->record_event(observation(id, "1", "2024-05-03T08:00:00Z"));
    EXPECT_EQ(outcome.kind, RecordOutcome::Kind::duplicate) << id;
    EXPECT_FALSE(outcome.revived);
    EXPECT_EQ(store->find_event(seq)->state, state) << id;
    EXPECT_EQ(store->find_event(seq)->attempts, 1) << id;
  }
}

// --- re-drive --------------------------------------------------------------------------------------------------

TEST(Redrive, SetsDeadEventsPendingDueNowWithZeroAttempts) {
  auto store = testing::open_test_store();
  const auto dead = settled(*store, observation("o1", "1"), EventState::dead);
  const auto failed = settled(*store, observation("o2", "1"), EventState::failed);
  const auto done = settled(*store, observation("o3", "1"), EventState::done);
  const auto pending = settled(*store, observation("o4", "1"), EventState::pending);

  EXPECT_EQ(store->events().redrive("2024-06-01T00:00:00Z", "", false), 1);
  const auto redriven = store->find_event(dead);
  EXPECT_EQ(redriven->state, EventState::pending);
  EXPECT_EQ(redriven->attempts, 0);
  EXPECT_EQ(redriven->next_attempt_at, "2024-06-01T00:00:00Z");
  EXPECT_EQ(redriven->settled_at, "");
  EXPECT_EQ(redriven->last_error, "HTTP 500");  // why it stopped, until the next attempt says otherwise
  EXPECT_EQ(store->find_event(failed)->state, EventState::failed);
  EXPECT_EQ(store->find_event(done)->state, EventState::done);
  EXPECT_EQ(store->find_event(pending)->next_attempt_at, "2024-05-01T10:00:00Z");

  // A second re-drive finds nothing dead.
  EXPECT_EQ(store->events().redrive("2024-06-01T00:00:00Z", "", false), 0);
}

TEST(Redrive, IncludesFailedEventsOnlyWhenAsked) {
  auto store = testing::open_test_store();
  const auto failed = settled(*store, observation("o2", "1"), EventState::failed);
  EXPECT_EQ(store->events().redrive("2024-06-01T00:00:00Z", "", false), 0);
  EXPECT_EQ(store->events().redrive("2024-06-01T00:00:00Z", "", true), 1);
  EXPECT_EQ(store->find_event(failed)->state, EventState::pending);
  EXPECT_EQ(store->find_event(failed)->attempts, 0);
}

TEST(Redrive, SinceKeepsEventsReceivedEarlierDead) {
  auto store = testing::open_test_store();
  const auto old = settled(*store, observation("o1", "1", "2024-05-01T10:00:00Z"), EventState::dead);
  const auto at = settled(*store, observation("o2", "1", "2024-05-02T00:00:00Z"), EventState::dead);
  const auto recent = settled(*store, observation("o3", "1", "2024-05-03T10:00:00Z"), EventState::dead);
  EXPECT_EQ(store->events().redrive("2024-06-01T00:00:00Z", "2024-05-02T00:00:00Z", false), 2);
  EXPECT_EQ(store->find_event(old)->state, EventState::dead);
  EXPECT_EQ(store->find_event(at)->state, EventState::pending);
  EXPECT_EQ(store->find_event(recent)->state, EventState::pending);
}

TEST(InstantText, AcceptsADateTimeWithZoneOrADateAndNothingElse) {
  EXPECT_EQ(instant_text("2026-11-25T08:00:00+01:00"), "2026-11-25T07:00:00Z");
  EXPECT_EQ(instant_text("2026-11-25T07:00:00.250Z"), "2026-11-25T07:00:00Z");
  EXPECT_EQ(instant_text("2026-11-25"), "2026-11-25T00:00:00Z");
  for (const char* bad : {"", "yesterday", "2026-11", "2026-11-25T08:00:00", "2026-13-01", "2026-11-25 08:00Z"}) {
    EXPECT_FALSE(instant_text(bad).has_value()) << bad;
  }
}

// --- retention -------------------------------------------------------------------------------------------------

TEST(Prune, DeletesDoneAndFailedEventsSettledBeforeTheCutoffAndNeverPendingOrDead) {
  auto store = testing::open_test_store();
  const auto done = settled(*store, observation("o1", "1"), EventState::done);
  const auto failed = settled(*store, observation("o2", "1"), EventState::failed);
  const auto dead = settled(*store, observation("o3", "1"), EventState::dead);
  const auto pending = settled(*store, observation("o4", "1"), EventState::pending);
  EXPECT_GE(store->find_event(done)->settled_at, store->find_event(done)->received_at);
  EXPECT_EQ(store->find_event(pending)->settled_at, "");

  // Settled just now: a cutoff an hour ago keeps all of them, although they were received in 2024.
  const auto hour_ago = format_instant(std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()) -
                                       std::chrono::hours(1));
  auto pruned = store->prune(hour_ago);
  ASSERT_TRUE(pruned.has_value());
  EXPECT_EQ(pruned->events, 0);
  EXPECT_TRUE(store->find_event(done).has_value());

  pruned = store->prune("9999-01-01T00:00:00Z");
  ASSERT_TRUE(pruned.has_value());
  EXPECT_EQ(pruned->events, 2);
  EXPECT_FALSE(store->find_event(done).has_value());
  EXPECT_FALSE(store->find_event(failed).has_value());
  EXPECT_EQ(store->find_event(dead)->state, EventState::dead);
  EXPECT_EQ(store->find_event(pending)->state, EventState::pending);
}

TEST(Prune, DeletesRejectionsRecordedBeforeTheCutoff) {
  auto store = testing::open_test_store();
  ASSERT_TRUE(store->record_rejection(rejection("Observation/old", "2024-04-01T00:00:00Z")));
  ASSERT_TRUE(store->record_rejection(rejection("Observation/new", "2024-05-01T00:00:00Z")));
  const auto pruned = store->prune("2024-04-15T00:00:00Z");
  ASSERT_TRUE(pruned.has_value());
  EXPECT_EQ(pruned->rejections, 1);
  const auto kept = store->rejections("", 10);
  ASSERT_EQ(kept.size(), 1U);
  EXPECT_EQ(kept[0].observation, "Observation/new");
}

TEST(Prune, GoesOnPastOneBatch) {
  auto store = testing::open_test_store();
  constexpr int kEvents = 1234;  // more than two batches of 500
  for (int i = 0; i < kEvents; ++i) settled(*store, observation("o" + std::to_string(i), "1"), EventState::done);
  const auto pruned = store->prune("9999-01-01T00:00:00Z");
  ASSERT_TRUE(pruned.has_value());
  EXPECT_EQ(pruned->events, kEvents);
  EXPECT_EQ(store->counts().done, 0);
}

TEST(StateRetention, PrunesAsOfItsClockAndCountsPerTable) {
  auto store = testing::open_test_store();
  ASSERT_TRUE(store->record_rejection(rejection("Observation/old", "2024-04-01T00:00:00Z")));
  ASSERT_TRUE(store->record_rejection(rejection("Observation/new", "2024-05-20T00:00:00Z")));
  settled(*store, observation("o1", "1"),
          EventState::done);  // settled now: far younger than 30 days before 2024-06
  MetricsRegistry metrics;
  ManualClock clock(sys_days(std::chrono::year{2024} / 6 / 1));
  StateRetention retention(*store, days(30), clock, metrics);
  ASSERT_TRUE(retention.enabled());
  ASSERT_TRUE(retention.run_once());
  EXPECT_EQ(store->rejections("", 10).size(), 1U);
  EXPECT_EQ(store->counts().done, 1);
  const std::string exposition = metrics.render();
  EXPECT_NE(exposition.find("gradient_gateway_state_pruned_total{table=\"rejection\"} 1\n"), std::string::npos)
      << exposition;
  EXPECT_NE(exposition.find("gradient_gateway_state_pruned_total{table=\"event\"} 0\n"), std::string::npos)
      << exposition;
}

TEST(StateRetention, ZeroDaysKeepsEverything) {
  auto store = testing::open_test_store();
  ASSERT_TRUE(store->record_rejection(rejection("Observation/old", "2000-01-01T00:00:00Z")));
  MetricsRegistry metrics;
  ManualClock clock(sys_days(std::chrono::year{2024} / 6 / 1));
  StateRetention retention(*store, days(0), clock, metrics);
  EXPECT_FALSE(retention.enabled());
  EXPECT_TRUE(retention.run_once());
  EXPECT_EQ(store->rejections("", 10).size(), 1U);
}

// --- file modes and backup -------------------------------------------------------------------------------------

TEST_F(TempDirTest, TheStateFileTheGatewayCreatesIsItsOwnersAlone) {
  const mode_t previous = ::umask(022);  // a usual umask would leave it world-readable
  {
    auto store = testing::open_test_store(file("state.db"));
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->record_event(observation("o1", "1")).stored());
    EXPECT_EQ(mode_of(file("state.db")), 0600U);
    EXPECT_EQ(mode_of(file("state.db-wal")), 0600U);
  }
  ::umask(previous);
}

TEST_F(TempDirTest, AnExistingStateFileKeepsTheOperatorsMode) {
  std::ofstream(file("state.db")).close();
  fs::permissions(file("state.db"), fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
  auto store = testing::open_test_store(file("state.db"));
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(mode_of(file("state.db")), 0640U);
}

// Opens path as a plain SQLite database and answers one query's first column.
std::string query_text(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  std::string value;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) == SQLITE_OK && sqlite3_step(stmt) == SQLITE_ROW) {
      value = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    }
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
  return value;
}

// settled_at is the schema's (a trigger), not one statement's: a transition written elsewhere (another process,
// a later statement) cannot leave a settled event undated, which retention would prune at once.
TEST_F(TempDirTest, EveryChangeOfStateDatesTheEvent) {
  auto store = testing::open_test_store(file("state.db"));
  ASSERT_NE(store, nullptr);
  const auto seq = store->record_event(observation("o1", "1")).seq;
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(file("state.db").c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "UPDATE event SET state = 'done'", nullptr, nullptr, nullptr), SQLITE_OK);
  const std::string settled_at = store->find_event(seq)->settled_at;
  EXPECT_EQ(settled_at.size(), std::string("2026-11-25T08:00:00Z").size()) << settled_at;
  ASSERT_EQ(sqlite3_exec(other, "UPDATE event SET state = 'done', last_error = 'x'", nullptr, nullptr, nullptr),
            SQLITE_OK);
  EXPECT_EQ(store->find_event(seq)->settled_at, settled_at);  // no change of state, no new date
  ASSERT_EQ(sqlite3_exec(other, "UPDATE event SET state = 'pending'", nullptr, nullptr, nullptr), SQLITE_OK);
  EXPECT_EQ(store->find_event(seq)->settled_at, "");
  sqlite3_close(other);
}

TEST_F(TempDirTest, BackupOfAnOpenStoreIsAWholeSelfContainedPrivateDatabase) {
  auto store = testing::open_test_store(file("state.db"));
  ASSERT_NE(store, nullptr);
  settled(*store, observation("o1", "1"), EventState::done);
  settled(*store, observation("o2", "1"), EventState::dead);
  ASSERT_TRUE(store->record_rejection(rejection("Observation/r1", "2024-05-01T00:00:00Z")));

  // Another writer holds a write transaction meanwhile, as serve may: WAL lets the backup read the last commit.
  sqlite3* writer = nullptr;
  ASSERT_EQ(sqlite3_open(file("state.db").c_str(), &writer), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(writer, "BEGIN IMMEDIATE; INSERT INTO cursor (name, value) VALUES ('uncommitted', 'x');",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  const auto pages = store::backup_database(file("state.db"), file("copy.db"), false);
  ASSERT_TRUE(pages) << pages.error();
  EXPECT_GT(*pages, 0);
  sqlite3_exec(writer, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(writer);

  EXPECT_EQ(mode_of(file("copy.db")), 0600U);
  EXPECT_FALSE(fs::exists(file("copy.db-wal")));
  EXPECT_EQ(query_text(file("copy.db"), "PRAGMA integrity_check"), "ok");
  EXPECT_EQ(query_text(file("copy.db"), "PRAGMA journal_mode"), "delete");  // one self-contained file
  EXPECT_EQ(query_text(file("copy.db"), "SELECT count(*) FROM cursor WHERE name = 'uncommitted'"), "0");
  auto copy = testing::open_test_store(file("copy.db"));
  ASSERT_NE(copy, nullptr);
  EXPECT_EQ(copy->counts().done, 1);
  EXPECT_EQ(copy->counts().dead, 1);
  EXPECT_EQ(copy->rejections("", 10).size(), 1U);
  // Nothing left beside it.
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir_)) names.push_back(entry.path().filename().string());
  for (const auto& name : names) EXPECT_EQ(name.find(".tmp-"), std::string::npos) << name;
}

TEST_F(TempDirTest, BackupReplacesAnExistingFileOnlyWhenToldTo) {
  { testing::open_test_store(file("state.db"))->record_event(observation("o1", "1")); }
  std::ofstream(file("copy.db")) << "keep me";
  const auto refused = store::backup_database(file("state.db"), file("copy.db"), false);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().find("exists"), std::string::npos) << refused.error();
  std::string kept;
  std::getline(std::ifstream(file("copy.db")), kept);
  EXPECT_EQ(kept, "keep me");

  const auto replaced = store::backup_database(file("state.db"), file("copy.db"), true);
  ASSERT_TRUE(replaced) << replaced.error();
  EXPECT_EQ(query_text(file("copy.db"), "SELECT count(*) FROM event"), "1");
  EXPECT_EQ(mode_of(file("copy.db")), 0600U);
}

TEST_F(TempDirTest, BackupOfAMissingStateFileFailsAndCreatesNothing) {
  const auto failed = store::backup_database(file("missing.db"), file("copy.db"), false);
  ASSERT_FALSE(failed);
  EXPECT_NE(failed.error().find("missing.db"), std::string::npos) << failed.error();
  EXPECT_TRUE(fs::is_empty(dir_));
}

// --- migrations from every earlier schema version ---------------------------------------------------------------

// A state file as the release that wrote schema `version` left it, with the rows that release's code wrote.
void write_release(const std::string& path, int version) {
  auto db = sqlite::Database::open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  ASSERT_TRUE(db) << db.error();
  ASSERT_TRUE(store::migrate_to_for_test(**db, version));
  if (version >= 1) {
    ASSERT_TRUE((*db)->exec(
        "INSERT INTO event (resource_type, resource_id, version_id, patient, source, received_at, payload, state, "
        "attempts, next_attempt_at, last_error) VALUES "
        "('Observation', 'o1', '1', 'Patient/p1', 'rest-hook', '2024-05-01T10:00:00Z', '{}', 'done', 1, "
        "'2024-05-01T10:00:00Z', ''), "
        "('Observation', 'o2', '1', 'Patient/p1', 'poll', '2024-05-01T11:00:00Z', '{}', 'dead', 8, "
        "'2024-05-01T12:00:00Z', 'HTTP 500'), "
        "('Observation', 'o3', '1', 'Patient/p1', 'rest-hook', '2024-05-01T12:00:00Z', '{}', 'pending', 0, "
        "'2024-05-01T12:00:00Z', '');"
        "INSERT INTO cursor (name, value) VALUES ('reconcile', '2024-05-01T12:00:00Z');"
        "INSERT INTO subscription (name, server_id) VALUES ('gradient-gateway', '42');"));
  }
  if (version >= 2) {
    ASSERT_TRUE((*db)->exec(
        "INSERT INTO rejection (observation, version_id, patient, analyte, reasons, outcome, recorded_at) VALUES "
        "('Observation/r1', '1', 'Patient/p1', 'estradiol', 'incompatible-unit', '{}', '2024-05-01T10:00:00Z');"));
  }
  if (version >= 3) {
    ASSERT_TRUE((*db)->exec(
        "INSERT INTO alert_subscription (id, url, min_level, secret, created_at, updated_at) VALUES "
        "('s1', 'https://receiver.example/hook', 'moderate', 'whsec_x', '2024-05-01T00:00:00Z', "
        "'2024-05-01T00:00:00Z');"
        "INSERT INTO alert (alert_key, webhook_id, type, patient, code, level, observation, created_at, body) "
        "VALUES ('k1', 'msg_1', 'gradient.finding', 'Patient/p1', 'e2-p4-ratio', 'high', 'Observation/9', "
        "'2024-05-01T10:00:00Z', '{}');"
        "INSERT INTO alert_delivery (subscription_id, alert_seq, next_attempt_at) VALUES "
        "('s1', 1, '2024-05-01T10:00:00Z');"));
  }
  if (version >= 4) {
    // That release's code dated each event as it settled (here: as it arrived, as the 3 -> 4 step does).
    ASSERT_TRUE((*db)->exec("UPDATE event SET settled_at = received_at WHERE state <> 'pending';"));
  }
}

class MigrationTest : public TempDirTest, public ::testing::WithParamInterface<int> {};

TEST_P(MigrationTest, TheCurrentStoreOpensAnEarlierVersionWithEveryRowIntact) {
  const int version = GetParam();
  write_release(file("state.db"), version);
  if (HasFatalFailure()) return;
  auto store = testing::open_test_store(file("state.db"));
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->healthy());
  EXPECT_EQ(query_text(file("state.db"), "PRAGMA user_version"), std::to_string(StateStore::kSchemaVersion));

  if (version >= 1) {
    const auto counts = store->counts();
    EXPECT_EQ(counts.done, 1);
    EXPECT_EQ(counts.dead, 1);
    EXPECT_EQ(counts.pending, 1);
    const auto dead = store->events_of("Observation", "o2");
    ASSERT_EQ(dead.size(), 1U);
    EXPECT_EQ(dead[0].attempts, 8);
    EXPECT_EQ(dead[0].last_error, "HTTP 500");
    EXPECT_EQ(dead[0].source, IntakeSource::poll);
    // Settled before settled_at existed: dated by when it arrived; pending ones are not settled.
    EXPECT_EQ(store->events_of("Observation", "o1")[0].settled_at, "2024-05-01T10:00:00Z");
    EXPECT_EQ(store->events_of("Observation", "o3")[0].settled_at, "");
    EXPECT_EQ(store->cursor("reconcile"), "2024-05-01T12:00:00Z");
    EXPECT_EQ(store->subscription_id("gradient-gateway"), "42");
    // The old rows work with the new code: the pending one settles with a date, the dead one is re-driven.
    const auto o3 = store->events_of("Observation", "o3")[0].seq;
    ASSERT_TRUE(store->mark_done(o3));
    EXPECT_FALSE(store->find_event(o3)->settled_at.empty());
    EXPECT_EQ(store->events().redrive("2024-06-01T00:00:00Z", "", false), 1);
    // Events from before traces were kept have none: the pipeline starts one when it processes them.
    EXPECT_EQ(store->events_of("Observation", "o2")[0].traceparent, "");
    EXPECT_FALSE(store->events_of("Observation", "o2")[0].payload_trusted);
  }
  if (version >= 2) {
    const auto rejections = store->rejections("Observation/r1", 10);
    ASSERT_EQ(rejections.size(), 1U);
    EXPECT_EQ(rejections[0].analyte, "estradiol");
  }
  if (version >= 3) {
    const auto subscriptions = store->alerts().subscriptions();
    ASSERT_EQ(subscriptions.size(), 1U);
    EXPECT_EQ(subscriptions[0].url, "https://receiver.example/hook");
    EXPECT_EQ(store->alerts().after(0, 10).size(), 1U);
  }
  // Every table of the current schema works, whatever the file's start.
  auto fresh = observation("new", "1");
  fresh.traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  EXPECT_TRUE(store->record_event(fresh).stored());
  EXPECT_EQ(store->events_of("Observation", "new")[0].traceparent, fresh.traceparent);
  EXPECT_TRUE(store->record_rejection(rejection("Observation/r2", "2024-06-01T00:00:00Z")));
  const auto pruned = store->prune("2024-05-15T00:00:00Z");
  ASSERT_TRUE(pruned.has_value());
  EXPECT_EQ(pruned->events, version >= 1 ? 1 : 0);  // o1, settled (as received) 2024-05-01
  EXPECT_EQ(pruned->rejections, version >= 2 ? 1 : 0);
}

INSTANTIATE_TEST_SUITE_P(EveryEarlierVersion, MigrationTest, ::testing::Range(0, StateStore::kSchemaVersion),
                         [](const auto& info) { return "FromVersion" + std::to_string(info.param); });

}  // namespace
}  // namespace gg::gateway
