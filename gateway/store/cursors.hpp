// The small durable state of the ingress paths, as named values: cursors (e.g. the last _lastUpdated seen by
// polling) and the server ids of the Subscriptions we created, under their configured names.
//
// Thread-safe through the shared connection's mutex.
#pragma once

#include <memory>
#include <optional>
#include <string>

namespace gg::gateway {

namespace store {
struct Connection;
}

class Cursors {
 public:
  explicit Cursors(store::Connection& connection);
  ~Cursors();
  Cursors(const Cursors&) = delete;
  Cursors& operator=(const Cursors&) = delete;

  // Prepares the statements; call once after the schema is current. On failure returns false and sets error.
  [[nodiscard]] bool prepare(std::string& error);

  // Absent when never set, or when the read failed (logged). set: false when the write failed (logged).
  std::optional<std::string> cursor(const std::string& name);
  bool set_cursor(const std::string& name, const std::string& value);

  // The server-assigned id of the Subscription we created under a configured name.
  std::optional<std::string> subscription_id(const std::string& name);
  bool set_subscription_id(const std::string& name, const std::string& server_id);

 private:
  struct Statements;
  store::Connection& connection_;
  std::unique_ptr<Statements> statements_;
};

}  // namespace gg::gateway
