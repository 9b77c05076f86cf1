// The CDS Hooks routes (CDS Hooks 2.0, https://cds-hooks.hl7.org/2.0/): GET /cds-services (Discovery) and
// POST /cds-services/gradient-findings (the patient-view service), as an HttpHandler for the router's extra
// routes (http/router.hpp).
//
// Threads: the searches run on a SideReader (pipeline/side_reader.hpp), a context and thread of their own that the
// handler waits for with a deadline (cds.fhir_timeout_ms); one request at a time may wait (another gets 503 with
// Retry-After). A call whose client prefetched everything never waits.
#pragma once

#include <boost/system/result.hpp>
#include <memory>
#include <string>

#include "gateway/cds/client_token.hpp"
#include "gateway/config/config.hpp"
#include "gateway/http/message.hpp"
#include "gateway/pipeline/side_reader.hpp"
#include "gateway/telemetry/clock.hpp"

namespace gg::gateway {

struct CdsEndpointOptions {
  std::string fhir_base;  // the gateway's FHIR server: the link base of CarePlans it searched there
};

class CdsEndpoint {
 public:
  // The searches run on `reader`, which bounds the wait. Every reference must outlive the endpoint.
  CdsEndpoint(CdsEndpointOptions options, ClientTokenVerifier& verifier, SideReader& reader, const Clock& clock);

  // Any request under /cds-services. Thread-safe.
  HttpResponse handle(const HttpRequest& request);

 private:
  HttpResponse patient_view(const HttpRequest& request);

  CdsEndpointOptions options_;
  ClientTokenVerifier& verifier_;
  SideReader& reader_;
  const Clock& clock_;
};

// The service as serve runs it: the trusted issuers' JWK Sets (loaded at start), the searches' SideReader, and the
// endpoint.
class CdsHooksService {
 public:
  // Fails (with the reason) when a JWKS file cannot be read or holds no usable key.
  static boost::system::result<std::unique_ptr<CdsHooksService>, std::string> start(const Config& config,
                                                                                    const Clock& clock);
  CdsHooksService(const CdsHooksService&) = delete;
  CdsHooksService& operator=(const CdsHooksService&) = delete;

  // For ExtraRoute{"/cds-services", ...}; the service must outlive it.
  HttpHandler handler();

 private:
  CdsHooksService() = default;

  std::unique_ptr<SideReader> reader_;
  std::unique_ptr<ClientTokenVerifier> verifier_;
  std::unique_ptr<CdsEndpoint> endpoint_;
};

}  // namespace gg::gateway
