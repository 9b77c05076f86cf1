#include "gateway/store/rejection_log.hpp"

#include <cstdint>

#include "gateway/store/connection.hpp"
#include "gateway/store/part_impl.hpp"
#include "gateway/store/sqlite.hpp"

namespace gg::gateway {

struct store::RejectionLogStatements {
  sqlite::Statement insert, recent, of_observation, prune;

  sqlite::Status prepare(sqlite::Database& db) {
    return sqlite::prepare_all(db,
                               {{&insert,
                                 "INSERT INTO rejection (observation, version_id, patient, analyte, reasons, "
                                 "outcome, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
                                 "ON CONFLICT (observation, version_id) DO NOTHING RETURNING observation"},
                                {&recent,
                                 "SELECT observation, version_id, patient, analyte, reasons, outcome, "
                                 "recorded_at FROM rejection ORDER BY recorded_at DESC, rowid DESC LIMIT ?1"},
                                {&of_observation,
                                 "SELECT observation, version_id, patient, analyte, reasons, outcome, recorded_at "
                                 "FROM rejection WHERE observation = ?1 ORDER BY recorded_at DESC, rowid DESC "
                                 "LIMIT ?2"},
                                {&prune,
                                 "DELETE FROM rejection WHERE rowid IN (SELECT rowid FROM rejection "
                                 "WHERE recorded_at < ?1 LIMIT ?2)"}});
  }
};

template class store::Part<store::RejectionLogStatements>;

bool RejectionLog::record(const StoredRejection& rejection) {
  const std::lock_guard lock(connection_.mutex);
  auto& insert = statements_->insert;
  const sqlite::Statement::Use use(insert);
  insert.bind(1, rejection.observation);
  insert.bind(2, rejection.version_id);
  insert.bind(3, rejection.patient);
  insert.bind(4, rejection.analyte);
  insert.bind(5, rejection.reasons);
  insert.bind(6, rejection.outcome);
  insert.bind(7, rejection.recorded_at);
  const int rc = insert.step();
  if (rc == SQLITE_ROW) return true;
  if (rc != SQLITE_DONE) store::log_failure("record_rejection", connection_.db->last_error());
  return false;
}

std::optional<std::int64_t> RejectionLog::prune(const std::string& recorded_before, std::size_t batch) {
  const std::lock_guard lock(connection_.mutex);
  auto& prune = statements_->prune;
  const sqlite::Statement::Use use(prune);
  prune.bind(1, recorded_before);
  prune.bind(2, static_cast<std::int64_t>(batch));
  if (prune.step() != SQLITE_DONE) {
    store::log_failure("prune_rejections", connection_.db->last_error());
    return std::nullopt;
  }
  return connection_.db->changes();
}

std::vector<StoredRejection> RejectionLog::recent(const std::string& observation, std::size_t limit) {
  const std::lock_guard lock(connection_.mutex);
  auto& query = observation.empty() ? statements_->recent : statements_->of_observation;
  const sqlite::Statement::Use use(query);
  int next = 1;
  if (!observation.empty()) query.bind(next++, observation);
  query.bind(next, static_cast<std::int64_t>(limit));
  std::vector<StoredRejection> out;
  int rc = SQLITE_ROW;
  while ((rc = query.step()) == SQLITE_ROW) {
    out.push_back({query.column_text(0), query.column_text(1), query.column_text(2), query.column_text(3),
                   query.column_text(4), query.column_text(5), query.column_text(6)});
  }
  if (rc != SQLITE_DONE) store::log_failure("rejections", connection_.db->last_error());
  return out;
}

}  // namespace gg::gateway
