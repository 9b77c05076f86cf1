// A FHIR client on an io_context and a thread of its own, for an HTTP handler that must read the FHIR server while
// it answers (the CDS Hooks service, the patient page).
//
// Threads. The HttpServer calls handlers synchronously on the gateway's io_context (two threads), but reading the
// FHIR server is a coroutine. Running that coroutine on the same io_context and waiting for it from the handler
// could deadlock: with both threads waiting in handlers, nobody runs the coroutines they wait for. So the reads
// run here, on a context that never waits on the gateway's, and the handler waits for them with a deadline. While
// it waits it holds one of the gateway's two threads, so at most one caller at a time may wait (another one is
// told it is busy), and the wait is bounded: the other thread keeps serving notifications and the pipeline.
#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/system/result.hpp>
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <utility>

#include "fhir/client.hpp"
#include "gateway/config/config.hpp"

namespace gg::gateway {

class SideReader {
 public:
  // Why run() gave no result.
  enum class Failure { busy, timeout, error };

  // Reads with `client` on `executor`, a context that never waits for the callers' (a test's own); both must
  // outlive the reader.
  SideReader(fhir::Client& client, boost::asio::any_io_executor executor, std::chrono::milliseconds timeout);

  // A reader with a context, a thread and a client of `config`'s FHIR server of its own (one connection, requests
  // bounded by `timeout`) whose User-Agent ends in `agent` ("cds", "ui"). Fails (with the reason) when the client
  // cannot be made.
  static boost::system::result<std::unique_ptr<SideReader>, std::string> start(const FhirConfig& config,
                                                                               const std::string& agent,
                                                                               std::chrono::milliseconds timeout);
  ~SideReader();  // a started reader stops its context and joins its thread
  SideReader(const SideReader&) = delete;
  SideReader& operator=(const SideReader&) = delete;

  fhir::Client& client() { return *client_; }
  const boost::asio::any_io_executor& executor() const { return executor_; }
  std::chrono::milliseconds timeout() const { return timeout_; }

  // Runs `work` (made with client(), owning what it reads: it may outlive a caller that stopped waiting) on the
  // reader's context and waits up to timeout() for it. Thread-safe; at most one caller waits at a time.
  template <typename T>
  boost::system::result<T, Failure> run(boost::asio::awaitable<T> work) {
    if (waiting_.fetch_add(1) != 0) {
      waiting_.fetch_sub(1);
      return Failure::busy;
    }
    std::future<T> future = boost::asio::co_spawn(executor_, std::move(work), boost::asio::use_future);
    const bool ready = future.wait_for(timeout_) == std::future_status::ready;
    waiting_.fetch_sub(1);
    if (!ready) return Failure::timeout;
    try {
      return future.get();
    } catch (const std::exception&) {
      return Failure::error;
    }
  }

 private:
  struct Own;  // what start() makes: the context, its thread and the client

  std::unique_ptr<Own> own_;
  fhir::Client* client_;
  boost::asio::any_io_executor executor_;
  std::chrono::milliseconds timeout_;
  std::atomic<int> waiting_{0};
};

}  // namespace gg::gateway
