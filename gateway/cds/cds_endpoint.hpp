// The CDS Hooks routes (CDS Hooks 2.0, https://cds-hooks.hl7.org/2.0/): GET /cds-services (Discovery) and
// POST /cds-services/gradient-findings (the patient-view service), as an HttpHandler for the router's extra
// routes (http/router.hpp).
//
// Threads. The HttpServer calls handlers synchronously on the gateway's io_context (two threads), but reading the
// FHIR server is a coroutine. Running that coroutine on the same io_context and waiting for it from the handler
// could deadlock: with both threads waiting in handlers, nobody runs the coroutines they wait for. So the searches
// run on a separate io_context with its own thread and its own FHIR client (CdsHooksService), which never waits on
// the gateway's; the handler waits for them with a deadline. While it waits it holds one of the gateway's two
// threads, so at most one request at a time may wait (another one gets 503 with Retry-After), and the wait is
// bounded by cds.fhir_timeout_ms: the other thread keeps serving notifications and the pipeline. A call whose
// client prefetched everything never waits. (An asynchronous handler in the HttpServer would lift the limit; the
// server's handlers are synchronous today.)
#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/system/result.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "fhir/client.hpp"
#include "gateway/cds/client_token.hpp"
#include "gateway/config/config.hpp"
#include "gateway/http/message.hpp"
#include "gateway/telemetry/clock.hpp"

namespace gg::gateway {

struct CdsEndpointOptions {
  std::string fhir_base;  // the gateway's FHIR server: the link base of CarePlans it searched there
  std::chrono::milliseconds fhir_wait{5000};  // the longest a request waits for the service's own searches
};

class CdsEndpoint {
 public:
  // `client` is used only on `fhir_executor`, a context that never waits for the caller's. Every reference must
  // outlive the endpoint.
  CdsEndpoint(CdsEndpointOptions options, ClientTokenVerifier& verifier, fhir::Client& client,
              boost::asio::any_io_executor fhir_executor, const Clock& clock);

  // Any request under /cds-services. Thread-safe.
  HttpResponse handle(const HttpRequest& request);

 private:
  HttpResponse patient_view(const HttpRequest& request);

  CdsEndpointOptions options_;
  ClientTokenVerifier& verifier_;
  fhir::Client& client_;
  boost::asio::any_io_executor fhir_executor_;
  const Clock& clock_;
  std::atomic<int> waiting_{0};  // requests waiting for a search; at most one
};

// The service as serve runs it: the trusted issuers' JWK Sets (loaded at start), the searches' own io_context,
// thread and FHIR client, and the endpoint.
class CdsHooksService {
 public:
  // Fails (with the reason) when a JWKS file cannot be read or holds no usable key.
  static boost::system::result<std::unique_ptr<CdsHooksService>, std::string> start(const Config& config,
                                                                                    const Clock& clock);
  ~CdsHooksService();  // stops the searches' context and joins its thread
  CdsHooksService(const CdsHooksService&) = delete;
  CdsHooksService& operator=(const CdsHooksService&) = delete;

  // For ExtraRoute{"/cds-services", ...}; the service must outlive it.
  HttpHandler handler();

 private:
  CdsHooksService() = default;

  boost::asio::io_context ioc_{1};
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{ioc_.get_executor()};
  std::unique_ptr<fhir::Client> client_;
  std::unique_ptr<ClientTokenVerifier> verifier_;
  std::unique_ptr<CdsEndpoint> endpoint_;
  std::thread thread_;
};

}  // namespace gg::gateway
