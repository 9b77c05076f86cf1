#include "gateway/store/alert_outbox.hpp"

#include <sstream>
#include <utility>

#include "gateway/store/connection.hpp"
#include "gateway/store/part_impl.hpp"
#include "gateway/store/sqlite.hpp"

namespace gg::gateway {
namespace {

constexpr const char* kSubscriptionColumns =
    "id, url, min_level, types, codes, description, secret, previous_secret, previous_until, state, "
    "disabled_reason, created_at, updated_at";
constexpr const char* kAlertColumns =
    "alert.seq, alert.alert_key, alert.webhook_id, alert.type, alert.patient, alert.code, alert.level, "
    "alert.observation, alert.created_at, alert.body, alert.traceparent";
constexpr const char* kAttemptColumns =
    "subscription_id, alert_seq, webhook_id, attempted_at, http_status, latency_ms, error";

// Filters are stored ",a,b," (empty: no filter), so that membership is one instr(); codes and types never
// contain commas (the API refuses them).
std::string join_filter(const std::vector<std::string>& items) {
  if (items.empty()) return {};
  std::string out = ",";
  for (const auto& item : items) out += item + ",";
  return out;
}

AlertSubscription read_subscription(const sqlite::Statement& row) {
  AlertSubscription s;
  s.id = row.column_text(0);
  s.url = row.column_text(1);
  s.min_level = row.column_text(2);
  s.types = split_list(row.column_text(3));
  s.codes = split_list(row.column_text(4));
  s.description = row.column_text(5);
  s.secret = row.column_text(6);
  s.previous_secret = row.column_text(7);
  s.previous_until = row.column_text(8);
  s.state = row.column_text(9);
  s.disabled_reason = row.column_text(10);
  s.created_at = row.column_text(11);
  s.updated_at = row.column_text(12);
  return s;
}

// The alert columns starting at `first`.
StoredAlert read_alert(const sqlite::Statement& row, int first) {
  StoredAlert a;
  a.seq = row.column_int64(first);
  a.key = row.column_text(first + 1);
  a.webhook_id = row.column_text(first + 2);
  a.type = row.column_text(first + 3);
  a.patient = row.column_text(first + 4);
  a.code = row.column_text(first + 5);
  a.level = row.column_text(first + 6);
  a.observation = row.column_text(first + 7);
  a.created_at = row.column_text(first + 8);
  a.body = row.column_text(first + 9);
  a.traceparent = row.column_text(first + 10);
  return a;
}

DeliveryAttempt read_attempt(const sqlite::Statement& row) {
  return {row.column_text(0),  row.column_int64(1), row.column_text(2), row.column_text(3),
          row.column_int64(4), row.column_int64(5), row.column_text(6)};
}

void bind_subscription(sqlite::Statement& statement, const AlertSubscription& s) {
  statement.bind(1, s.id);
  statement.bind(2, s.url);
  statement.bind(3, s.min_level);
  statement.bind(4, join_filter(s.types));
  statement.bind(5, join_filter(s.codes));
  statement.bind(6, s.description);
  statement.bind(7, s.secret);
  statement.bind(8, s.previous_secret);
  statement.bind(9, s.previous_until);
  statement.bind(10, s.state);
  statement.bind(11, s.disabled_reason);
  statement.bind(12, s.created_at);
  statement.bind(13, s.updated_at);
}

// A level's rank for min_level: low < moderate < high (risk-probability codes in issue 10's order).
constexpr const char* kRank = "CASE %s WHEN 'low' THEN 0 WHEN 'moderate' THEN 1 WHEN 'high' THEN 2 END";

std::string rank_of(const std::string& column) {
  std::string out = kRank;
  out.replace(out.find("%s"), 2, column);
  return out;
}

}  // namespace

struct store::AlertOutboxStatements {
  sqlite::Statement begin, commit, rollback;
  sqlite::Statement insert_subscription, all_subscriptions, find_subscription, update_subscription;
  sqlite::Statement delete_subscription, delete_deliveries, delete_attempts;
  sqlite::Statement insert_alert, fan_out, head, insert_attempt, deliver, retry, kill, attempts;
  sqlite::Statement replay_id, replay_range, after, about, depths, summaries, last_seq;

  sqlite::Status prepare(sqlite::Database& db) {
    const std::string subscription_columns = kSubscriptionColumns;
    const std::string alert_columns = kAlertColumns;
    const std::string attempt_columns = kAttemptColumns;
    return sqlite::prepare_all(
        db,
        {{&begin, "BEGIN IMMEDIATE"},
         {&commit, "COMMIT"},
         {&rollback, "ROLLBACK"},
         {&insert_subscription, "INSERT INTO alert_subscription (" + subscription_columns +
                                    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) "
                                    "ON CONFLICT (id) DO NOTHING"},
         {&all_subscriptions,
          "SELECT " + subscription_columns + " FROM alert_subscription ORDER BY created_at, id"},
         {&find_subscription, "SELECT " + subscription_columns + " FROM alert_subscription WHERE id = ?1"},
         {&update_subscription,
          "UPDATE alert_subscription SET url = ?2, min_level = ?3, types = ?4, codes = ?5, description = ?6, "
          "secret = ?7, previous_secret = ?8, previous_until = ?9, state = ?10, disabled_reason = ?11, "
          "updated_at = ?13 WHERE id = ?1"},  // ?12, created_at, never changes
         {&delete_subscription, "DELETE FROM alert_subscription WHERE id = ?1"},
         {&delete_deliveries, "DELETE FROM alert_delivery WHERE subscription_id = ?1"},
         {&delete_attempts, "DELETE FROM alert_attempt WHERE subscription_id = ?1"},
         {&insert_alert,
          "INSERT INTO alert (alert_key, webhook_id, type, patient, code, level, observation, created_at, body, "
          "traceparent) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT (alert_key) DO NOTHING "
          "RETURNING seq"},
         // Every active subscription whose filters the alert passes gets it queued, due now.
         {&fan_out,
          "INSERT INTO alert_delivery (subscription_id, alert_seq, next_attempt_at) "
          "SELECT id, ?1, ?2 FROM alert_subscription WHERE state = 'active' "
          "AND (types = '' OR instr(types, ',' || ?3 || ',') > 0) "
          "AND (codes = '' OR instr(codes, ',' || ?4 || ',') > 0) "
          "AND (?5 = '' OR " +
              rank_of("?5") + " >= " + rank_of("min_level") +
              ") ON CONFLICT (subscription_id, alert_seq) DO NOTHING"},
         {&head,
          "SELECT alert_delivery.subscription_id, alert_delivery.state, alert_delivery.attempts, "
          "alert_delivery.next_attempt_at, alert_delivery.last_error, " +
              alert_columns +
              " FROM alert_delivery JOIN alert ON alert.seq = alert_delivery.alert_seq "
              "WHERE alert_delivery.subscription_id = ?1 AND alert_delivery.state = 'pending' "
              "ORDER BY alert_delivery.alert_seq LIMIT 1"},
         {&insert_attempt,
          "INSERT INTO alert_attempt (" + attempt_columns + ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"},
         {&deliver,
          "UPDATE alert_delivery SET state = 'delivered', attempts = attempts + 1, last_error = '' "
          "WHERE subscription_id = ?1 AND alert_seq = ?2"},
         {&retry,
          "UPDATE alert_delivery SET attempts = attempts + 1, next_attempt_at = ?3, last_error = ?4 "
          "WHERE subscription_id = ?1 AND alert_seq = ?2"},
         {&kill,
          "UPDATE alert_delivery SET state = 'dead', attempts = attempts + 1, last_error = ?3 "
          "WHERE subscription_id = ?1 AND alert_seq = ?2"},
         {&attempts, "SELECT " + attempt_columns +
                         " FROM alert_attempt WHERE subscription_id = ?1 ORDER BY id DESC LIMIT ?2"},
         // A replay resets the delivery (a new attempt budget) or, for an alert the subscription never had
         // queued, creates it.
         {&replay_id,
          "INSERT INTO alert_delivery (subscription_id, alert_seq, next_attempt_at) "
          "SELECT ?1, seq, ?3 FROM alert WHERE webhook_id = ?2 "
          "ON CONFLICT (subscription_id, alert_seq) DO UPDATE SET state = 'pending', attempts = 0, "
          "next_attempt_at = excluded.next_attempt_at, last_error = ''"},
         {&replay_range,
          "INSERT INTO alert_delivery (subscription_id, alert_seq, next_attempt_at) "
          "SELECT ?1, seq, ?4 FROM alert WHERE created_at >= ?2 AND created_at <= ?3 "
          "ON CONFLICT (subscription_id, alert_seq) DO UPDATE SET state = 'pending', attempts = 0, "
          "next_attempt_at = excluded.next_attempt_at, last_error = ''"},
         {&after, "SELECT " + alert_columns + " FROM alert WHERE seq > ?1 ORDER BY seq LIMIT ?2"},
         {&last_seq, "SELECT coalesce(max(seq), 0) FROM alert"},
         {&about, "SELECT " + alert_columns + " FROM alert WHERE observation = ?1 ORDER BY seq"},
         {&depths,
          "SELECT alert_subscription.id, count(alert_delivery.alert_seq) FROM alert_subscription "
          "LEFT JOIN alert_delivery ON alert_delivery.subscription_id = alert_subscription.id "
          "AND alert_delivery.state = 'pending' GROUP BY alert_subscription.id ORDER BY 1"},
         {&summaries,
          "SELECT s.id, "
          "(SELECT count(*) FROM alert_delivery d WHERE d.subscription_id = s.id AND d.state = 'pending'), "
          "(SELECT count(*) FROM alert_delivery d WHERE d.subscription_id = s.id AND d.state = 'delivered'), "
          "(SELECT count(*) FROM alert_delivery d WHERE d.subscription_id = s.id AND d.state = 'dead'), "
          "coalesce(a.attempted_at, ''), coalesce(a.http_status, 0), coalesce(a.error, '') "
          "FROM alert_subscription s LEFT JOIN alert_attempt a ON a.id = "
          "(SELECT max(id) FROM alert_attempt WHERE subscription_id = s.id) ORDER BY s.id"}});
  }
};

template class store::Part<store::AlertOutboxStatements>;

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

namespace {

// Steps a statement that returns no rows; logs a failure.
bool run(sqlite::Statement& statement, store::Connection& connection, std::string_view operation) {
  if (statement.step() == SQLITE_DONE) return true;
  store::log_failure(operation, connection.db->last_error());
  return false;
}

}  // namespace

bool AlertOutbox::create(const AlertSubscription& subscription) {
  const std::lock_guard lock(connection_.mutex);
  auto& insert = statements_->insert_subscription;
  const sqlite::Statement::Use use(insert);
  bind_subscription(insert, subscription);
  return run(insert, connection_, "alert_subscription.create") && connection_.db->changes() == 1;
}

std::vector<AlertSubscription> AlertOutbox::subscriptions() {
  const std::lock_guard lock(connection_.mutex);
  auto& query = statements_->all_subscriptions;
  const sqlite::Statement::Use use(query);
  std::vector<AlertSubscription> out;
  int rc = SQLITE_ROW;
  while ((rc = query.step()) == SQLITE_ROW) out.push_back(read_subscription(query));
  if (rc != SQLITE_DONE) store::log_failure("alert_subscription.list", connection_.db->last_error());
  return out;
}

std::optional<AlertSubscription> AlertOutbox::find(const std::string& id) {
  const std::lock_guard lock(connection_.mutex);
  auto& query = statements_->find_subscription;
  const sqlite::Statement::Use use(query);
  query.bind(1, id);
  if (query.step() != SQLITE_ROW) return std::nullopt;
  return read_subscription(query);
}

bool AlertOutbox::update(const AlertSubscription& subscription) {
  const std::lock_guard lock(connection_.mutex);
  auto& update = statements_->update_subscription;
  const sqlite::Statement::Use use(update);
  bind_subscription(update, subscription);
  return run(update, connection_, "alert_subscription.update") && connection_.db->changes() == 1;
}

bool AlertOutbox::remove(const std::string& id) {
  const std::lock_guard lock(connection_.mutex);
  auto& s = *statements_;
  if (!run(s.begin, connection_, "alert_subscription.remove")) return false;
  bool ok = true;
  std::int64_t removed = 0;
  for (auto* statement : {&s.delete_attempts, &s.delete_deliveries, &s.delete_subscription}) {
    const sqlite::Statement::Use use(*statement);
    statement->bind(1, id);
    ok = ok && run(*statement, connection_, "alert_subscription.remove");
    removed = connection_.db->changes();
  }
  if (ok) ok = run(s.commit, connection_, "alert_subscription.remove");
  if (!ok) (void)run(s.rollback, connection_, "alert_subscription.remove");
  return ok && removed == 1;
}

std::optional<std::size_t> AlertOutbox::queue_locked(const std::vector<NewAlert>& alerts,
                                                     const std::string& now_iso) {
  std::size_t added = 0;
  for (const auto& alert : alerts) {
    std::int64_t seq = 0;
    {
      auto& insert = statements_->insert_alert;
      const sqlite::Statement::Use use(insert);
      insert.bind(1, alert.key);
      insert.bind(2, alert.webhook_id);
      insert.bind(3, alert.type);
      insert.bind(4, alert.patient);
      insert.bind(5, alert.code);
      insert.bind(6, alert.level);
      insert.bind(7, alert.observation);
      insert.bind(8, alert.created_at);
      insert.bind(9, alert.body);
      insert.bind(10, alert.traceparent);
      const int rc = insert.step();
      if (rc == SQLITE_DONE) continue;  // raised before: never twice
      if (rc != SQLITE_ROW) {
        store::log_failure("alert.queue", connection_.db->last_error());
        return std::nullopt;
      }
      seq = insert.column_int64(0);
    }
    auto& fan_out = statements_->fan_out;
    const sqlite::Statement::Use use(fan_out);
    fan_out.bind(1, seq);
    fan_out.bind(2, now_iso);
    fan_out.bind(3, alert.type);
    fan_out.bind(4, alert.code);
    fan_out.bind(5, alert.level);
    if (!run(fan_out, connection_, "alert.fan-out")) return std::nullopt;
    ++added;
  }
  return added;
}

std::optional<AlertDelivery> AlertOutbox::head(const std::string& subscription_id) {
  const std::lock_guard lock(connection_.mutex);
  auto& query = statements_->head;
  const sqlite::Statement::Use use(query);
  query.bind(1, subscription_id);
  if (query.step() != SQLITE_ROW) return std::nullopt;
  AlertDelivery delivery;
  delivery.subscription_id = query.column_text(0);
  delivery.state = query.column_text(1);
  delivery.attempts = query.column_int64(2);
  delivery.next_attempt_at = query.column_text(3);
  delivery.last_error = query.column_text(4);
  delivery.alert = read_alert(query, 5);
  return delivery;
}

bool AlertOutbox::settle(const DeliveryAttempt& attempt, DeliveryNext next, const std::string& next_attempt_at) {
  const std::lock_guard lock(connection_.mutex);
  auto& s = *statements_;
  if (!run(s.begin, connection_, "alert.settle")) return false;
  bool ok = true;
  {
    const sqlite::Statement::Use use(s.insert_attempt);
    s.insert_attempt.bind(1, attempt.subscription_id);
    s.insert_attempt.bind(2, attempt.alert_seq);
    s.insert_attempt.bind(3, attempt.webhook_id);
    s.insert_attempt.bind(4, attempt.attempted_at);
    s.insert_attempt.bind(5, attempt.http_status);
    s.insert_attempt.bind(6, attempt.latency_ms);
    s.insert_attempt.bind(7, attempt.error);
    ok = run(s.insert_attempt, connection_, "alert.settle");
  }
  if (ok) {
    auto& move_on = next == DeliveryNext::delivered ? s.deliver : next == DeliveryNext::retry ? s.retry : s.kill;
    const sqlite::Statement::Use use(move_on);
    move_on.bind(1, attempt.subscription_id);
    move_on.bind(2, attempt.alert_seq);
    if (next == DeliveryNext::retry) {
      move_on.bind(3, next_attempt_at);
      move_on.bind(4, attempt.error);
    } else if (next == DeliveryNext::dead) {
      move_on.bind(3, attempt.error);
    }
    ok = run(move_on, connection_, "alert.settle");
  }
  if (ok) ok = run(s.commit, connection_, "alert.settle");
  if (!ok) (void)run(s.rollback, connection_, "alert.settle");
  return ok;
}

std::vector<DeliveryAttempt> AlertOutbox::attempts(const std::string& subscription_id, std::size_t limit) {
  const std::lock_guard lock(connection_.mutex);
  auto& query = statements_->attempts;
  const sqlite::Statement::Use use(query);
  query.bind(1, subscription_id);
  query.bind(2, static_cast<std::int64_t>(limit));
  std::vector<DeliveryAttempt> out;
  int rc = SQLITE_ROW;
  while ((rc = query.step()) == SQLITE_ROW) out.push_back(read_attempt(query));
  if (rc != SQLITE_DONE) store::log_failure("alert.attempts", connection_.db->last_error());
  return out;
}

std::optional<std::size_t> AlertOutbox::replay(const std::string& subscription_id, const std::string& webhook_id,
                                               const std::string& from, const std::string& to,
                                               const std::string& now_iso) {
  const std::lock_guard lock(connection_.mutex);
  auto& statement = webhook_id.empty() ? statements_->replay_range : statements_->replay_id;
  const sqlite::Statement::Use use(statement);
  statement.bind(1, subscription_id);
  if (webhook_id.empty()) {
    statement.bind(2, from);
    statement.bind(3, to);
    statement.bind(4, now_iso);
  } else {
    statement.bind(2, webhook_id);
    statement.bind(3, now_iso);
  }
  if (!run(statement, connection_, "alert.replay")) return std::nullopt;
  return static_cast<std::size_t>(connection_.db->changes());
}

std::vector<StoredAlert> AlertOutbox::after(std::int64_t after_seq, std::size_t limit) {
  const std::lock_guard lock(connection_.mutex);
  auto& query = statements_->after;
  const sqlite::Statement::Use use(query);
  query.bind(1, after_seq);
  query.bind(2, static_cast<std::int64_t>(limit));
  std::vector<StoredAlert> out;
  int rc = SQLITE_ROW;
  while ((rc = query.step()) == SQLITE_ROW) out.push_back(read_alert(query, 0));
  if (rc != SQLITE_DONE) store::log_failure("alert.after", connection_.db->last_error());
  return out;
}

std::int64_t AlertOutbox::last_seq() {
  const std::lock_guard lock(connection_.mutex);
  auto& query = statements_->last_seq;
  const sqlite::Statement::Use use(query);
  if (query.step() != SQLITE_ROW) {
    store::log_failure("alert.last-seq", connection_.db->last_error());
    return 0;
  }
  return query.column_int64(0);
}

std::vector<StoredAlert> AlertOutbox::about(const std::string& observation) {
  const std::lock_guard lock(connection_.mutex);
  auto& query = statements_->about;
  const sqlite::Statement::Use use(query);
  query.bind(1, observation);
  std::vector<StoredAlert> out;
  int rc = SQLITE_ROW;
  while ((rc = query.step()) == SQLITE_ROW) out.push_back(read_alert(query, 0));
  if (rc != SQLITE_DONE) store::log_failure("alert.about", connection_.db->last_error());
  return out;
}

std::vector<std::pair<std::string, std::int64_t>> AlertOutbox::queue_depths() {
  const std::lock_guard lock(connection_.mutex);
  auto& query = statements_->depths;
  const sqlite::Statement::Use use(query);
  std::vector<std::pair<std::string, std::int64_t>> out;
  int rc = SQLITE_ROW;
  while ((rc = query.step()) == SQLITE_ROW) out.emplace_back(query.column_text(0), query.column_int64(1));
  if (rc != SQLITE_DONE) store::log_failure("alert.queue-depths", connection_.db->last_error());
  return out;
}

std::vector<DeliverySummary> AlertOutbox::delivery_summaries() {
  const std::lock_guard lock(connection_.mutex);
  auto& query = statements_->summaries;
  const sqlite::Statement::Use use(query);
  std::vector<DeliverySummary> out;
  int rc = SQLITE_ROW;
  while ((rc = query.step()) == SQLITE_ROW) {
    out.push_back({query.column_text(0), query.column_int64(1), query.column_int64(2), query.column_int64(3),
                   query.column_text(4), query.column_int64(5), query.column_text(6)});
  }
  if (rc != SQLITE_DONE) store::log_failure("alert.delivery-summaries", connection_.db->last_error());
  return out;
}

}  // namespace gg::gateway
