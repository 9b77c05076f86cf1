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
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/system/result.hpp>
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include "fhir/client.hpp"
#include "gateway/config/config.hpp"

namespace gg::gateway {

class SideReader {
 public:
  // Why run() gave no result.
  enum class Failure { busy, timeout, error };

  // A client of `config`'s FHIR server (one connection, requests bounded by `timeout`) whose User-Agent ends in
  // `agent` ("cds", "ui"). Fails (with the reason) when the client cannot be made.
  static boost::system::result<std::unique_ptr<SideReader>, std::string> start(const FhirConfig& config,
                                                                               const std::string& agent,
                                                                               std::chrono::milliseconds timeout);
  ~SideReader();  // stops the context and joins its thread
  SideReader(const SideReader&) = delete;
  SideReader& operator=(const SideReader&) = delete;

  fhir::Client& client() { return *client_; }
  boost::asio::any_io_executor executor() { return ioc_.get_executor(); }
  std::chrono::milliseconds timeout() const { return timeout_; }

  // Runs `work` (made with client()) on the reader's thread and waits up to timeout() for it. Thread-safe; at most
  // one caller waits at a time.
  template <typename T>
  boost::system::result<T, Failure> run(boost::asio::awaitable<T> work) {
    if (waiting_.fetch_add(1) != 0) {
      waiting_.fetch_sub(1);
      return Failure::busy;
    }
    std::future<T> future = boost::asio::co_spawn(executor(), std::move(work), boost::asio::use_future);
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
  explicit SideReader(std::chrono::milliseconds timeout) : timeout_(timeout) {}

  std::chrono::milliseconds timeout_;
  boost::asio::io_context ioc_{1};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{ioc_.get_executor()};
  std::unique_ptr<fhir::Client> client_;
  std::thread thread_;
  std::atomic<int> waiting_{0};
};

}  // namespace gg::gateway
