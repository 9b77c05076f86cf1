#include "gateway/store/state_store.hpp"

#include <utility>

#include "gateway/store/connection.hpp"
#include "gateway/store/sqlite.hpp"
#include "gateway/telemetry/log.hpp"

namespace gg::gateway {

namespace store {

void log_failure(std::string_view operation, const std::string& error) {
  log(LogLevel::error, "state-store.failed", {{"operation", std::string(operation)}, {"error", error}});
}

}  // namespace store

sqlite::Result<std::unique_ptr<StateStore>> StateStore::open(const std::string& path) {
  std::unique_ptr<StateStore> store(new StateStore());
  sqlite::Status ready;
  if (auto db = store::open_database(path)) {
    store->connection_->db = std::move(*db);
    ready = store->schema_->prepare(*store->connection_->db);
  } else {
    ready = sqlite::Status(boost::system::in_place_error, db.error());
  }
  if (ready) ready = store->events_->prepare();
  if (ready) ready = store->rejection_log_->prepare();
  if (ready) ready = store->cursors_->prepare();
  if (ready) ready = store->alerts_->prepare();
  if (!ready) {
    return sqlite::Result<std::unique_ptr<StateStore>>(
        boost::system::in_place_error, "cannot open state database '" + path + "': " + ready.error());
  }
  return store;
}

StateStore::StateStore()
    : connection_(std::make_unique<store::Connection>()),
      schema_(std::make_unique<store::SchemaCheck>()),
      events_(std::make_unique<EventQueue>(*connection_)),
      rejection_log_(std::make_unique<RejectionLog>(*connection_)),
      cursors_(std::make_unique<Cursors>(*connection_)),
      alerts_(std::make_unique<AlertOutbox>(*connection_)) {}

StateStore::~StateStore() = default;

std::optional<StateStore::Completed> StateStore::complete(const std::vector<std::int64_t>& done,
                                                          const std::vector<NewAlert>& alerts,
                                                          const std::string& now_iso) {
  const std::lock_guard lock(connection_->mutex);
  auto& db = *connection_->db;
  if (auto begun = db.exec("BEGIN IMMEDIATE"); !begun) {
    store::log_failure("complete", begun.error());
    return std::nullopt;
  }
  const auto queued = alerts_->queue_locked(alerts, now_iso);
  bool ok = queued.has_value();
  Completed completed;
  completed.alerts_queued = queued.value_or(0);
  for (const auto seq : done) {
    if (!ok) break;
    if (events_->mark_done_locked(seq)) ++completed.events_done;
  }
  if (ok) {
    if (auto committed = db.exec("COMMIT"); !committed) {
      store::log_failure("complete", committed.error());
      ok = false;
    }
  }
  if (!ok) {
    (void)db.exec("ROLLBACK");
    return std::nullopt;
  }
  return completed;
}

std::optional<StateStore::Pruned> StateStore::prune(const std::string& before) {
  // A batch is one short write transaction; the mutex is let go between batches.
  constexpr std::size_t kBatch = 500;
  const auto drain = [](const auto& delete_batch) -> std::optional<std::int64_t> {
    std::int64_t total = 0;
    while (true) {
      const std::optional<std::int64_t> deleted = delete_batch();
      if (!deleted) return std::nullopt;
      total += *deleted;
      if (*deleted < static_cast<std::int64_t>(kBatch)) return total;
    }
  };
  const auto events = drain([&] { return events_->prune_settled(before, kBatch); });
  if (!events) return std::nullopt;
  const auto rejections = drain([&] { return rejection_log_->prune(before, kBatch); });
  if (!rejections) return std::nullopt;
  return Pruned{*events, *rejections};
}

bool StateStore::healthy() {
  const std::lock_guard lock(connection_->mutex);
  return schema_->current();
}

}  // namespace gg::gateway
