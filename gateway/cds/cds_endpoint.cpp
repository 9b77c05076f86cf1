#include "gateway/cds/cds_endpoint.hpp"

#include "gateway/cds/finding_cards.hpp"
#include "gateway/cds/patient_view.hpp"
#include "gateway/http/outcome_response.hpp"
#include "gateway/telemetry/log.hpp"

namespace gg::gateway {
namespace {

constexpr std::string_view kJson = "application/json";

HttpResponse method_not_allowed(std::string_view allowed) {
  auto response =
      operation_outcome_response(405, "not-supported", "Method not allowed here; use " + std::string(allowed));
  response.headers.emplace_back("Allow", std::string(allowed));
  return response;
}

// "Trusting CDS Clients": a call without a valid JWT is not authenticated; RFC 6750 section 3 names the scheme.
HttpResponse unauthorized(const std::string& reason) {
  auto response = operation_outcome_response(401, "login", "CDS Client not authenticated: " + reason);
  response.headers.emplace_back("WWW-Authenticate", "Bearer error=\"invalid_token\"");
  return response;
}

// A request that owns what the search needs: the coroutine may outlive a handler that stopped waiting.
using Gathered = boost::system::result<FindingResources, std::string>;

}  // namespace

CdsEndpoint::CdsEndpoint(CdsEndpointOptions options, ClientTokenVerifier& verifier, SideReader& reader,
                         const Clock& clock)
    : options_(std::move(options)), verifier_(verifier), reader_(reader), clock_(clock) {}

HttpResponse CdsEndpoint::handle(const HttpRequest& request) {
  const std::string_view path = path_of(request.target);
  const std::string service_path = std::string(kCdsServicesPath) + "/" + std::string(kPatientViewServiceId);
  if (path == kCdsServicesPath || path == std::string(kCdsServicesPath) + "/") {
    // Discovery is not authenticated here: it lists what the service does and no patient data, and "CDS Services
    // SHOULD require authentication if invoking the service poses any risk of exposing sensitive data".
    if (request.method != "GET" && request.method != "HEAD") return method_not_allowed("GET");
    return HttpResponse{200, std::string(kJson), discovery_json(), {}};
  }
  if (path == service_path) {
    if (request.method != "POST") return method_not_allowed("POST");
    return patient_view(request);
  }
  return operation_outcome_response(404, "not-found", "No such CDS Service");
}

HttpResponse CdsEndpoint::patient_view(const HttpRequest& request) {
  auto client = verifier_.verify(header_value(request, "authorization"), clock_.now());
  if (!client) {
    log(LogLevel::warn, "cds.unauthorized", {{"reason", client.error()}});
    return unauthorized(client.error());
  }
  auto parsed = parse_patient_view(request.body);
  if (!parsed) return operation_outcome_response(400, "invalid", "Not a patient-view request: " + parsed.error());
  const std::string hook_instance = parsed->hook_instance;
  const std::string patient_id = parsed->patient_id;
  // Where CarePlans without an absolute fullUrl live: the client's server for its prefetch, ours for our search.
  const bool prefetched = !needs_search(*parsed);
  std::string link_base = options_.fhir_base;
  if (parsed->care_plans && !parsed->fhir_server.empty()) link_base = parsed->fhir_server;

  Gathered gathered = std::string("not gathered");
  if (prefetched) {
    FindingResources resources;
    add_prefetched(*parsed->risk_assessments, parsed->fhir_server, resources);
    add_prefetched(*parsed->care_plans, parsed->fhir_server, resources);
    gathered = std::move(resources);
  } else {
    auto read = reader_.run(gather_findings(reader_.client(), std::move(*parsed)));
    if (!read && read.error() == SideReader::Failure::busy) {
      auto busy = operation_outcome_response(
          503, "transient", "Another CDS request is reading the FHIR server; retry, or send the prefetch data");
      busy.headers.emplace_back("Retry-After", "1");
      return busy;
    }
    if (!read) {
      gathered =
          std::string(read.error() == SideReader::Failure::timeout ? "the FHIR server did not answer in time"
                                                                   : "reading the FHIR server failed");
    } else {
      gathered = std::move(*read);
    }
  }
  if (!gathered) {
    log(LogLevel::warn, "cds.data-unavailable",
        {{"hook_instance", hook_instance}, {"patient", patient_id}, {"error", gathered.error()}});
    // "CDS Service Response", HTTP Status Codes: 412 when the service cannot get the FHIR data it needs.
    return operation_outcome_response(412, "transient", "Cannot read the patient's findings: " + gathered.error());
  }
  const auto cards = finding_cards(patient_id, *gathered, link_base);
  log(LogLevel::info, "cds.patient-view-answered",
      {{"hook_instance", hook_instance},
       {"patient", patient_id},
       {"issuer", client->iss},
       {"cards", std::to_string(cards.size())},
       {"data", prefetched ? "prefetch" : "searched"}});
  return HttpResponse{200, std::string(kJson), cards_json(cards), {}};
}

boost::system::result<std::unique_ptr<CdsHooksService>, std::string> CdsHooksService::start(const Config& config,
                                                                                            const Clock& clock) {
  std::vector<TrustedIssuer> issuers;
  for (const auto& issuer : config.cds.issuers) {
    auto keys = JsonWebKeySet::load(issuer.jwks_file);
    if (!keys) return "cds.issuers (" + issuer.iss + "): " + keys.error();
    issuers.push_back({issuer.iss, std::move(*keys)});
  }
  std::unique_ptr<CdsHooksService> service(new CdsHooksService());
  service->verifier_ = std::make_unique<ClientTokenVerifier>(
      std::move(issuers),
      ClientTokenPolicy{config.cds.audience, config.cds.clock_skew, config.cds.max_token_lifetime});
  auto reader = SideReader::start(config.fhir, "cds", config.cds.fhir_timeout);
  if (!reader) return reader.error();
  service->reader_ = std::move(*reader);
  service->endpoint_ = std::make_unique<CdsEndpoint>(CdsEndpointOptions{config.fhir.base_url}, *service->verifier_,
                                                     *service->reader_, clock);
  return service;
}

HttpHandler CdsHooksService::handler() {
  return [this](const HttpRequest& request) { return endpoint_->handle(request); };
}

}  // namespace gg::gateway
