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
      cursors_(std::make_unique<Cursors>(*connection_)) {}

StateStore::~StateStore() = default;

bool StateStore::healthy() {
  const std::lock_guard lock(connection_->mutex);
  return schema_->current();
}

}  // namespace gg::gateway
