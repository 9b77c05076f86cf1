#include "gateway/http/auth_limiter.hpp"

#include <algorithm>

namespace gg::gateway {

std::optional<std::chrono::seconds> AuthFailureLimiter::locked_out(const std::string& client, TimePoint now) {
  if (options_.limit == 0) return std::nullopt;
  const std::lock_guard lock(mutex_);
  const auto found = windows_.find(client);
  if (found == windows_.end() || found->second.failures < options_.limit) return std::nullopt;
  const TimePoint end = found->second.start + options_.window;
  if (now >= end) {
    windows_.erase(found);
    return std::nullopt;
  }
  return std::max(std::chrono::seconds(1), end - now);
}

AuthFailureLimiter::Failure AuthFailureLimiter::record_failure(const std::string& client, TimePoint now) {
  const std::lock_guard lock(mutex_);
  auto found = windows_.find(client);
  if (found != windows_.end() && now >= found->second.start + options_.window) {
    windows_.erase(found);
    found = windows_.end();
  }
  if (found == windows_.end()) {
    make_room(now);
    found = windows_.emplace(client, Window{now, 0}).first;
  }
  Failure failure;
  failure.count = ++found->second.failures;
  failure.locks = options_.limit > 0 && failure.count == options_.limit;
  failure.log = failure.count == 1;
  return failure;
}

std::size_t AuthFailureLimiter::clients() const {
  const std::lock_guard lock(mutex_);
  return windows_.size();
}

void AuthFailureLimiter::make_room(TimePoint now) {
  if (windows_.size() < options_.max_clients) return;
  std::erase_if(windows_, [&](const auto& entry) { return now >= entry.second.start + options_.window; });
  while (!windows_.empty() && windows_.size() >= options_.max_clients) {
    const auto oldest = std::min_element(windows_.begin(), windows_.end(), [](const auto& a, const auto& b) {
      return a.second.start < b.second.start;
    });
    windows_.erase(oldest);
  }
}

}  // namespace gg::gateway
