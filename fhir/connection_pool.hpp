// The RestClient's keep-alive connections: at most max_connections open at once, idle ones reused most recent
// first, callers beyond the limit queued (oldest first) until a connection is given back or their deadline passes.
// Internal to fhir/.
//
// Thread-safe: one mutex guards the idle list, the count and the queue, so coroutines on any thread of the
// executor may share the pool.
#pragma once

#include <algorithm>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "fhir/http_connection.hpp"

namespace gg::fhir::detail {

class ConnectionPool;

// One of the pool's max_connections places, with its connection (empty until one is opened). Destroying the slot
// gives both back: the connection to the idle list when `keep`, otherwise the place alone.
class Slot {
 public:
  Slot() = default;
  Slot(ConnectionPool& pool, std::unique_ptr<Connection> granted)
      : connection(std::move(granted)), reused(connection != nullptr), pool_(&pool) {}
  Slot(Slot&& other) noexcept
      : connection(std::move(other.connection)),
        reused(other.reused),
        keep(other.keep),
        pool_(std::exchange(other.pool_, nullptr)) {}
  Slot& operator=(Slot&&) = delete;
  ~Slot();

  std::unique_ptr<Connection> connection;
  bool reused = false;  // it carried an earlier request, so the server may have closed it since
  bool keep = false;    // set after a clean exchange on a connection that allows keep-alive

 private:
  ConnectionPool* pool_ = nullptr;
};

class ConnectionPool {
 public:
  explicit ConnectionPool(std::size_t max_connections)
      : max_connections_(std::max<std::size_t>(1, max_connections)) {}

  // An idle connection that is still open, else an empty slot while fewer than max_connections are open, else the
  // first one given back, waiting at most until `deadline` (then beast::error::timeout).
  boost::asio::awaitable<std::pair<boost::system::error_code, Slot>> acquire(SteadyClock::time_point deadline);

  // Gives a slot back, with its connection when it may be reused: to the longest waiter first, else to the pool.
  void release(std::unique_ptr<Connection> connection, bool keep);

 private:
  struct Waiter {
    Waiter(ConnectionPool& owner, const boost::asio::any_io_executor& executor) : pool(owner), timer(executor) {}
    Waiter(const Waiter&) = delete;
    Waiter& operator=(const Waiter&) = delete;
    // A coroutine destroyed while waiting (its io_context shut down) leaves the queue and returns what it was
    // given.
    ~Waiter();
    ConnectionPool& pool;
    boost::asio::steady_timer timer;  // woken by cancel() when a slot is granted
    bool queued = false;
    bool granted = false;
    std::unique_ptr<Connection> connection;  // the granted connection; empty: open one in the granted slot
  };

  std::optional<Slot> take_locked(std::vector<std::unique_ptr<Connection>>& closed);

  const std::size_t max_connections_;
  std::mutex mutex_;  // guards idle_, open_, waiters_, and every queued Waiter (its flags, connection and timer)
  std::vector<std::unique_ptr<Connection>> idle_;
  std::size_t open_ = 0;         // slots handed out plus idle connections
  std::deque<Waiter*> waiters_;  // oldest first
};

}  // namespace gg::fhir::detail
