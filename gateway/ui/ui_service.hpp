// The pages' routes (docs/ui.md), as an HttpHandler for the router's extra routes (http/router.hpp); the router
// has already checked the admin token.
//   GET /ui                       303 to /ui/status
//   GET /ui/status                the operations page          GET /ui/api/status          its JSON
//   GET /ui/patients/{id}         the patient page             GET /ui/api/patients/{id}   its JSON
// The patient's JSON is read from the FHIR server at the time of the request (a SideReader: the server's handler
// threads never wait on their own context), analysed as the pipeline analyses, with the gateway's derived
// Observations of the patient as the series over time.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/system/result.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "fhir/client.hpp"
#include "gateway/config/config.hpp"
#include "gateway/config/knowledge_loader.hpp"
#include "gateway/http/message.hpp"
#include "gateway/pipeline/patient_analysis.hpp"
#include "gateway/pipeline/side_reader.hpp"
#include "gateway/store/state_store.hpp"
#include "gateway/telemetry/clock.hpp"
#include "gateway/ui/status_page.hpp"

namespace gg::gateway {

// What the patient page reads from the FHIR server.
struct PatientRecord {
  bool found = false;  // the Patient, or any hormone result of it, is on the server
  PatientContext context;
  std::vector<fhir::Observation> derived;  // the gateway's derived Observations of the patient
};

// The search for a patient's derived Observations: every code of the gradient code system, oldest first.
std::string derived_query(const std::string& patient);
inline constexpr std::size_t kDerivedPages = 5;

// Reads the record of `patient` ("Patient/7"): its context as the pipeline reads it (results since `since`) and
// its derived Observations. An error says which read failed (no patient data).
boost::asio::awaitable<boost::system::result<PatientRecord, std::string>> read_patient_record(
    fhir::Client& client, std::string patient, std::chrono::sys_seconds since, const LoadedKnowledge& knowledge);

class UiService {
 public:
  // Every reference must outlive the service.
  UiService(const Config& config, const LoadedKnowledge& knowledge, StateStore& store, StatusSampler& sampler,
            SideReader& reader, const Clock& clock);

  // Any request under /ui. Thread-safe.
  HttpResponse handle(const HttpRequest& request);
  HttpHandler handler();

 private:
  HttpResponse patient_json(const std::string& id);

  const LoadedKnowledge& knowledge_;
  StateStore& store_;
  StatusSampler& sampler_;
  SideReader& reader_;
  const Clock& clock_;
  int lookback_days_;
};

}  // namespace gg::gateway
