// Failed authentication, limited per client (issue 13, item 3; reliability review point 9): a client address that
// fails `limit` times within `window` is locked out until that window ends, whatever it sends then (a correct
// credential too: guessing must not go on); every request from it is answered 429 with Retry-After, before its
// credential is looked at and before its body is read. Other clients are not affected. The same window says which
// failures are logged: the first of each client's window (and the router logs the lock-out), so a flood of wrong
// credentials writes two lines a window, not one a request (the counters count them all).
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace gg::gateway {

struct AuthLimitOptions {
  std::size_t limit = 20;            // failures per window; 0: no limit (failures are still logged sparingly)
  std::chrono::seconds window{60};   // from a client's first failure
  std::size_t max_clients = 10'000;  // addresses tracked at once; expired windows go first, then the oldest
};

class AuthFailureLimiter {
 public:
  using TimePoint = std::chrono::sys_seconds;

  explicit AuthFailureLimiter(AuthLimitOptions options = {}) : options_(options) {}

  // How long `client` must still wait, when it is locked out now; nothing otherwise.
  std::optional<std::chrono::seconds> locked_out(const std::string& client, TimePoint now);

  struct Failure {
    std::size_t count = 0;  // failures of this client in its current window, this one included
    bool log = false;       // the first of the window
    bool locks = false;     // this failure reached the limit
  };
  // One more failed authentication from `client`.
  Failure record_failure(const std::string& client, TimePoint now);

  std::size_t clients() const;  // addresses tracked now

 private:
  struct Window {
    TimePoint start;
    std::size_t failures = 0;
  };
  void make_room(TimePoint now);  // with mutex_ held

  AuthLimitOptions options_;
  mutable std::mutex mutex_;  // guards: windows_
  std::unordered_map<std::string, Window> windows_;
};

}  // namespace gg::gateway
