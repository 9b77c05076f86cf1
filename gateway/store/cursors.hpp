// The small durable state of the ingress paths, as named values: cursors (e.g. the last _lastUpdated seen by
// polling) and the server ids of the Subscriptions we created, under their configured names.
//
// Thread-safe through the shared connection's mutex.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "gateway/store/part.hpp"

namespace gg::gateway {

namespace store {
struct CursorStatements;
}

class Cursors : public store::Part<store::CursorStatements> {
 public:
  using Part::Part;

  // Absent when never set, or when the read failed (logged). set: false when the write failed (logged).
  std::optional<std::string> cursor(const std::string& name);
  bool set_cursor(const std::string& name, const std::string& value);

  // The server-assigned id of the Subscription we created under a configured name.
  std::optional<std::string> subscription_id(const std::string& name);
  bool set_subscription_id(const std::string& name, const std::string& server_id);
};

}  // namespace gg::gateway
