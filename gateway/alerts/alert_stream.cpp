#include "gateway/alerts/alert_stream.hpp"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <charconv>
#include <optional>
#include <string>
#include <vector>

#include "gateway/http/outcome_response.hpp"
#include "gateway/http/query.hpp"

namespace gg::gateway {
namespace {

constexpr std::size_t kBatch = 100;
constexpr std::string_view kRetryMs = "retry: 2000\n";  // how soon an EventSource reconnects

int rank(std::string_view level) {
  if (level == "low") return 0;
  if (level == "moderate") return 1;
  if (level == "high") return 2;
  return -1;
}

struct Filters {
  int min_rank = 0;
  std::vector<std::string> types;
  std::vector<std::string> codes;

  // The subscriptions' rule (store/alert_outbox.hpp): min_level applies to alerts with a level.
  bool pass(const StoredAlert& alert) const {
    auto listed = [](const std::vector<std::string>& list, const std::string& value) {
      return list.empty() || std::find(list.begin(), list.end(), value) != list.end();
    };
    return listed(types, alert.type) && listed(codes, alert.code) &&
           (alert.level.empty() || rank(alert.level) >= min_rank);
  }
};

}  // namespace

class AlertEventStream final : public BodyStream, public std::enable_shared_from_this<AlertEventStream> {
 public:
  AlertEventStream(AlertStreamHub& hub, Filters filters, std::int64_t after)
      : hub_(hub), filters_(std::move(filters)), after_(after), timer_(hub.strand_) {
    hub_.clients_.inc();
  }
  ~AlertEventStream() override { hub_.clients_.dec(); }
  AlertEventStream(const AlertEventStream&) = delete;
  AlertEventStream& operator=(const AlertEventStream&) = delete;

  void next(Deliver deliver) override {
    std::string chunk;
    bool ended = false;
    Deliver now;  // set when there is something to deliver at once
    {
      const std::lock_guard lock(mutex_);
      ended = cancelled_;
      if (!cancelled_) {
        if (!opened_) {
          opened_ = true;
          chunk.append(kRetryMs).append(": connected\n\n");
        }
        chunk += read_events();
      }
      if (ended || !chunk.empty()) {
        now = std::move(deliver);
      } else {
        pending_ = std::move(deliver);
      }
    }
    if (!now) {
      // Nothing to send yet: wait for an alert (the hub pokes every stream) or the heartbeat, whichever is first.
      arm_heartbeat();
      return;
    }
    now(std::move(chunk), ended);
  }

  void cancel() override {
    Deliver pending;
    {
      const std::lock_guard lock(mutex_);
      cancelled_ = true;
      pending = std::move(pending_);
      pending_ = nullptr;
    }
    boost::asio::post(hub_.strand_, [self = shared_from_this()] { self->timer_.cancel(); });
    if (pending) pending("", true);
  }

  // An alert was queued: a waiting stream reads it.
  void poke() { resume(false); }

 private:
  bool cancelled() {
    const std::lock_guard lock(mutex_);
    return cancelled_;
  }

  // The events after after_, formatted; advances after_ past what it read, passed the filters or not.
  std::string read_events() {
    std::string out;
    for (const auto& alert : hub_.store_.alerts().after(after_, kBatch)) {
      after_ = alert.seq;
      if (!filters_.pass(alert)) continue;
      out.append("id: ").append(std::to_string(alert.seq)).append("\nevent: ").append(alert.type);
      out.append("\ndata: ").append(alert.body).append("\n\n");
    }
    return out;
  }

  void arm_heartbeat() {
    boost::asio::post(hub_.strand_, [self = shared_from_this()] {
      self->timer_.expires_after(self->hub_.heartbeat_);
      self->timer_.async_wait([weak = std::weak_ptr<AlertEventStream>(self)](const boost::system::error_code& ec) {
        if (ec) return;
        if (auto stream = weak.lock()) stream->resume(true);
      });
    });
  }

  // Delivers to the pending request, if any: new events, or a heartbeat comment when there are none.
  void resume(bool heartbeat) {
    Deliver pending;
    std::string chunk;
    {
      const std::lock_guard lock(mutex_);
      if (!pending_) return;
      chunk = read_events();
      if (chunk.empty() && !heartbeat) return;  // nothing for this stream's filters: keep waiting
      if (chunk.empty()) chunk = ": heartbeat\n\n";
      pending = std::move(pending_);
      pending_ = nullptr;
    }
    boost::asio::post(hub_.strand_, [self = shared_from_this()] { self->timer_.cancel(); });
    pending(std::move(chunk), false);
  }

  AlertStreamHub& hub_;
  Filters filters_;
  std::mutex mutex_;  // guards: after_, pending_, opened_, cancelled_
  std::int64_t after_;
  Deliver pending_;
  bool opened_ = false;
  bool cancelled_ = false;
  boost::asio::steady_timer timer_;  // the heartbeat, on the hub's strand
};

AlertStreamHub::AlertStreamHub(const boost::asio::any_io_executor& executor, StateStore& store,
                               MetricsRegistry& metrics, std::chrono::milliseconds heartbeat)
    : strand_(boost::asio::make_strand(executor)),
      store_(store),
      heartbeat_(heartbeat),
      clients_(metrics.gauge("gradient_gateway_alert_stream_clients", "Clients connected to GET /alerts/stream")) {
}

AlertStreamHub::~AlertStreamHub() = default;

void AlertStreamHub::notify() {
  std::vector<std::shared_ptr<AlertEventStream>> streams;
  {
    const std::lock_guard lock(mutex_);
    for (auto it = waiting_.begin(); it != waiting_.end();) {
      if (auto stream = it->lock()) {
        streams.push_back(std::move(stream));
        ++it;
      } else {
        it = waiting_.erase(it);
      }
    }
  }
  for (auto& stream : streams) boost::asio::post(strand_, [stream] { stream->poke(); });
}

void AlertStreamHub::wait(const std::shared_ptr<AlertEventStream>& stream) {
  const std::lock_guard lock(mutex_);
  waiting_.insert(stream);
}

HttpResponse AlertStreamHub::handle(const HttpRequest& request) {
  if (request.method != "GET") return operation_outcome_response(405, "not-supported", "GET here");
  const auto query = QueryParameters::parse(request.target);
  if (!query) return malformed_target_response(query.error());
  Filters filters;
  if (const auto level = query->value("min_level"); !level.empty()) {
    filters.min_rank = rank(level);
    if (filters.min_rank < 0) {
      return operation_outcome_response(400, "value", "min_level must be one of low, moderate, high");
    }
  }
  filters.types = split_list(query->value("types"));
  filters.codes = split_list(query->value("codes"));

  std::string last = header_value(request, "last-event-id");
  if (last.empty()) last = query->value("last_event_id");
  std::int64_t after = 0;
  if (last.empty()) {
    after = store_.alerts().last_seq();
  } else {
    const auto parsed = std::from_chars(last.data(), last.data() + last.size(), after);
    if (parsed.ec != std::errc() || parsed.ptr != last.data() + last.size() || after < 0) {
      return operation_outcome_response(400, "value", "Last-Event-ID must be an event id of this stream");
    }
  }
  HttpResponse response;
  response.content_type = "text/event-stream";
  response.headers = {{"Cache-Control", "no-cache"}, {"X-Accel-Buffering", "no"}};
  auto stream = std::make_shared<AlertEventStream>(*this, std::move(filters), after);
  wait(stream);
  response.stream = std::move(stream);
  return response;
}

}  // namespace gg::gateway
