#include "gateway/store/rejection_log.hpp"

#include <cstdint>

#include "gateway/store/connection.hpp"
#include "gateway/store/part_impl.hpp"
#include "gateway/store/sqlite.hpp"

namespace gg::gateway {

struct store::RejectionLogStatements {
  sqlite::Statement insert, recent, of_observation;

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
                                 "LIMIT ?2"}});
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
