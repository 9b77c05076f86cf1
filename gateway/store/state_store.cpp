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

std::unique_ptr<StateStore> StateStore::open(const std::string& path, std::string& error) {
  std::unique_ptr<StateStore> store(new StateStore());
  store->connection_->db = store::open_database(path, error);
  if (store->connection_->db == nullptr || !store->schema_->prepare(*store->connection_->db, error) ||
      !store->events_->prepare(error) || !store->rejection_log_->prepare(error) ||
      !store->cursors_->prepare(error)) {
    error = "cannot open state database '" + path + "': " + error;
    return nullptr;
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
