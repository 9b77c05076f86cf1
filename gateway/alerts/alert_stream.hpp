// The live alert stream (issue 10 item 5): GET /alerts/stream as Server-Sent Events (WHATWG HTML section 9.2),
// for dashboards and quick integrations. Each alert is an event whose id is its durable sequence number (the
// alert table's), whose event name is its type and whose data is the alert body, the same as the webhooks'.
// A client that reconnects with Last-Event-ID (the header, or ?last_event_id= for clients that cannot set it)
// gets every alert after that id, from the store: nothing is missed across a disconnect or a gateway restart.
// Without it, the stream starts with the next alert. The filters are the subscriptions': min_level, types and
// codes (comma-separated). A comment line every heartbeat keeps proxies from closing an idle stream and finds a
// client that went away.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <set>

#include "gateway/http/message.hpp"
#include "gateway/store/state_store.hpp"
#include "gateway/telemetry/metrics.hpp"

namespace gg::gateway {

class AlertEventStream;

class AlertStreamHub {
 public:
  AlertStreamHub(const boost::asio::any_io_executor& executor, StateStore& store, MetricsRegistry& metrics,
                 std::chrono::milliseconds heartbeat = std::chrono::seconds(15));
  ~AlertStreamHub();
  AlertStreamHub(const AlertStreamHub&) = delete;
  AlertStreamHub& operator=(const AlertStreamHub&) = delete;

  // Thread-safe: alerts were queued; waiting streams read them.
  void notify();

  // GET /alerts/stream: a 200 text/event-stream response, or a 400/405 OperationOutcome.
  HttpResponse handle(const HttpRequest& request);

 private:
  friend class AlertEventStream;
  // Registers a stream to be poked by notify() while it lives.
  void wait(const std::shared_ptr<AlertEventStream>& stream);

  boost::asio::strand<boost::asio::any_io_executor> strand_;
  StateStore& store_;
  std::chrono::milliseconds heartbeat_;
  Gauge& clients_;
  std::mutex mutex_;  // guards: waiting_
  std::set<std::weak_ptr<AlertEventStream>, std::owner_less<std::weak_ptr<AlertEventStream>>> waiting_;
};

}  // namespace gg::gateway
