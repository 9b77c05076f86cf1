#include "fhir/connection_pool.hpp"

#include <algorithm>
#include <boost/asio/async_result.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>

#include "fhir/asio_names.hpp"

namespace gg::fhir::detail {

using namespace asio_names;

Slot::~Slot() {
  if (pool_) pool_->release(std::move(connection), keep);
}

ConnectionPool::Waiter::~Waiter() {
  std::unique_lock lock(pool.mutex_);
  if (queued) std::erase(pool.waiters_, this);
  if (!granted) return;
  lock.unlock();
  const bool has_connection = connection != nullptr;
  pool.release(std::move(connection), has_connection);
}

asio::awaitable<std::pair<error_code, Slot>> ConnectionPool::acquire(SteadyClock::time_point deadline) {
  Waiter waiter(*this, co_await asio::this_coro::executor);
  std::optional<Slot> slot;
  std::vector<std::unique_ptr<Connection>> closed;
  {
    std::lock_guard lock(mutex_);
    if (auto taken = take_locked(closed)) slot.emplace(std::move(*taken));
    if (!slot) {
      waiter.timer.expires_at(deadline);
      waiters_.push_back(&waiter);
      waiter.queued = true;
    }
  }
  for (auto& connection : closed) discard(std::move(connection));
  if (slot) co_return std::pair{error_code{}, std::move(*slot)};

  error_code ec;
  auto token = asio::redirect_error(asio::use_awaitable, ec);
  co_await asio::async_initiate<decltype(token), void(error_code)>(
      [this, &waiter](auto handler) {
        std::lock_guard lock(mutex_);
        if (waiter.granted) waiter.timer.expires_at(SteadyClock::time_point::min());  // given before we waited
        waiter.timer.async_wait(std::move(handler));
      },
      token);

  std::unique_lock lock(mutex_);
  if (waiter.granted) {
    waiter.granted = false;
    lock.unlock();
    co_return std::pair{error_code{}, Slot(*this, std::move(waiter.connection))};
  }
  std::erase(waiters_, &waiter);
  waiter.queued = false;
  lock.unlock();
  // The timer expired (no error), or the awaiting operation was cancelled.
  co_return std::pair{ec ? ec : error_code(beast::error::timeout), Slot{}};
}

void ConnectionPool::release(std::unique_ptr<Connection> connection, bool keep) {
  if (!keep) discard(std::move(connection));
  std::lock_guard lock(mutex_);
  if (!waiters_.empty()) {
    Waiter* waiter = waiters_.front();
    waiters_.pop_front();
    waiter->queued = false;
    waiter->granted = true;
    waiter->connection = std::move(connection);
    waiter->timer.cancel();
  } else if (connection) {
    idle_.push_back(std::move(connection));
  } else {
    --open_;
  }
}

std::optional<Slot> ConnectionPool::take_locked(std::vector<std::unique_ptr<Connection>>& closed) {
  while (!idle_.empty()) {
    auto connection = std::move(idle_.back());  // the most recently used is the likeliest still open
    idle_.pop_back();
    if (connection->idle_and_open()) return Slot(*this, std::move(connection));
    closed.push_back(std::move(connection));
    --open_;
  }
  if (open_ >= max_connections_) return std::nullopt;
  ++open_;
  return Slot(*this, nullptr);
}

}  // namespace gg::fhir::detail
