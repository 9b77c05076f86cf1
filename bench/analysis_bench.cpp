// Throughput of the analysis path on synthetic patients, as ratios against a reference measured in the same run:
// parsing the same bytes with simdjson's DOM parser (the floor any JSON reader pays). Stages, each cumulative:
//   decode    fhir::decode_bundle with the catalogue's Observation filter
//   analyse   + analytics::analyze (normalisation, pairing, derived values, rhythms, dose timing, trends)
//   write     gateway::analyze_patient (the analysis and write_back_entries) and the transaction Bundle's JSON
// Peak resident memory is reported against the input's size. Usage: analysis_bench [PATIENTS] [ROUNDS].
// The patients are generated from a fixed seed, so two runs read the same input.
#include <simdjson.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "analytics/analysis.hpp"
#include "analytics/date_time.hpp"
#include "fhir/json_codec.hpp"
#include "gateway/config/knowledge_loader.hpp"
#include "gateway/pipeline/patient_analysis.hpp"
#include "gateway/pipeline/write_back.hpp"

namespace {

using namespace gg;
using Clock = std::chrono::steady_clock;

struct Result {
  const char* loinc;
  const char* unit;
  double low;
  double high;
};

// A hormone panel in the catalogue's codes and plausible adult values (uniform between low and high).
constexpr Result kPanel[] = {
    {"2986-8", "ng/dL", 250, 900},  {"13967-5", "nmol/L", 15, 60}, {"1751-7", "g/dL", 3.5, 5},
    {"2243-4", "pg/mL", 15, 60},    {"10501-5", "m[IU]/mL", 2, 9}, {"15067-2", "m[IU]/mL", 2, 10},
    {"3051-0", "pg/mL", 2.3, 4.2},  {"3052-8", "ng/dL", 10, 24},   {"2839-9", "ng/mL", 0.2, 1.5},
    {"2143-6", "ug/dL", 6, 20},     {"2191-5", "ug/dL", 80, 400},  {"14159-8", "ug/dL", 1, 3},
    {"1558-6", "mmol/L", 4.2, 6.1}, {"20448-7", "u[IU]/mL", 3, 25}};

fhir::Observation result(const std::string& id, const std::string& patient, const char* loinc, double value,
                         const char* unit, const std::string& when) {
  fhir::Observation o;
  o.id = id;
  o.meta.version_id = "1";
  o.status = "final";
  o.category = {fhir::CodeableConcept{
      {{"http://terminology.hl7.org/CodeSystem/observation-category", "", "laboratory", ""}}, ""}};
  o.code.coding = {{"http://loinc.org", "", loinc, ""}};
  o.subject.reference = patient;
  o.effective_date_time = when;
  o.value_quantity = fhir::Quantity{value, "", unit, "http://unitsofmeasure.org", unit};
  return o;
}

// One patient: three days of the panel, a saliva cortisol day series, a non-hormone result and a medication.
std::string patient_bundle(int n, std::mt19937& random) {
  std::uniform_real_distribution<double> unit(0, 1);
  const std::string id = "bench-" + std::to_string(n);
  const std::string patient = "Patient/" + id;
  fhir::Bundle bundle;
  bundle.type = "collection";
  fhir::Patient p;
  p.id = id;
  p.gender = n % 2 == 0 ? "male" : "female";
  p.birth_date = "1970-05-12";
  bundle.entry.push_back({"", fhir::Resource{p}, std::nullopt, std::nullopt});
  int seq = 0;
  for (int day = 18; day <= 20; ++day) {
    const std::string when = "2026-11-" + std::to_string(day) + "T08:00:00+01:00";
    for (const auto& r : kPanel) {
      const double value = r.low + (r.high - r.low) * unit(random);
      bundle.entry.push_back(
          {"", fhir::Resource{result(id + "-" + std::to_string(seq++), patient, r.loinc, value, r.unit, when)},
           std::nullopt, std::nullopt});
    }
  }
  // Waking, +30, +60 min and five more through the day: enough for the saliva cosinor, which leaves the
  // awakening-response samples out and needs 6 (config/rules/gradients.yaml).
  for (const char* time : {"07:00", "07:30", "08:00", "10:00", "12:00", "15:00", "17:00", "20:00", "23:00"}) {
    const double value = 1 + 20 * unit(random);
    bundle.entry.push_back({"",
                            fhir::Resource{result(id + "-" + std::to_string(seq++), patient, "51844-9", value,
                                                  "nmol/L", std::string("2026-11-20T") + time + ":00+01:00")},
                            std::nullopt, std::nullopt});
  }
  bundle.entry.push_back({"",
                          fhir::Resource{result(id + "-hr", patient, "8867-4", 60 + 30 * unit(random), "/min",
                                                "2026-11-20T08:00:00+01:00")},
                          std::nullopt, std::nullopt});
  fhir::MedicationUse use;
  use.resource_type = "MedicationStatement";
  use.id = id + "-med";
  use.status = "active";
  use.medication_codeable_concept =
      fhir::CodeableConcept{{{"http://www.whocc.no/atc", "", "H03AA01", "levothyroxine"}}, ""};
  use.subject.reference = patient;
  fhir::Dosage dosage;
  dosage.timing = fhir::Timing{{}, fhir::TimingRepeat{}, std::nullopt};
  dosage.timing->repeat->time_of_day = {"06:30:00"};
  use.dosage = {dosage};
  bundle.entry.push_back({"", fhir::Resource{use}, std::nullopt, std::nullopt});
  return fhir::to_json(bundle);
}

long peak_rss_kib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

template <typename Body>
double seconds_of(int rounds, Body&& body) {
  double best = 1e300;  // the fastest round: the least disturbed by the rest of the machine
  for (int round = 0; round < rounds; ++round) {
    const auto start = Clock::now();
    body();
    best = std::min(best, std::chrono::duration<double>(Clock::now() - start).count());
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  const int patients = argc > 1 ? std::atoi(argv[1]) : 2000;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 5;
  if (patients <= 0 || rounds <= 0) {
    std::fprintf(stderr, "usage: analysis_bench [PATIENTS > 0] [ROUNDS > 0]\n");
    return 2;
  }
  const std::string config = std::string(GG_SOURCE_DIR) + "/config";
  auto loaded = gateway::load_knowledge(config + "/terminology", config + "/rules");
  if (!loaded.has_value()) {
    std::fprintf(stderr, "analysis_bench: the configuration in %s does not load\n", config.c_str());
    return 2;
  }
  const auto& knowledge = *loaded;
  const auto options = knowledge.decode_options();

  std::mt19937 random(20261126);
  std::vector<std::string> inputs;
  std::size_t bytes = 0;
  for (int n = 0; n < patients; ++n) {
    inputs.push_back(patient_bundle(n, random));
    bytes += inputs.back().size();
  }
  const long rss_before = peak_rss_kib();
  const auto as_of = analytics::parse_fhir_date_time("2026-11-21T00:00:00Z").instant->utc;

  std::size_t sink = 0;  // results are used, so the optimiser keeps the work
  simdjson::dom::parser parser;
  const double parse = seconds_of(rounds, [&] {
    for (const auto& input : inputs) {
      simdjson::dom::element document;
      if (parser.parse(input).get(document) == simdjson::SUCCESS) ++sink;
    }
  });

  const auto run = [&](int stages) {
    for (const auto& input : inputs) {
      auto decoded = fhir::decode_bundle(input, options);
      if (!decoded.ok()) continue;
      if (stages < 2) {
        sink += decoded.value->entry.size();
        continue;
      }
      gateway::PatientContext context;
      for (auto& entry : decoded.value->entry) {
        if (!entry.resource) continue;
        if (auto* o = std::get_if<fhir::Observation>(&*entry.resource))
          context.observations.push_back(std::move(*o));
        if (auto* m = std::get_if<fhir::MedicationUse>(&*entry.resource))
          context.medications.push_back(std::move(*m));
        if (auto* p = std::get_if<fhir::Patient>(&*entry.resource)) context.facts = analytics::patient_facts(*p);
      }
      if (stages < 3) {
        // The analysis alone, without the write-back mapping.
        const auto analysis = analytics::analyze(context.facts, context.observations, context.medications,
                                                 knowledge.knowledge, as_of);
        sink += analysis.gradients.size();
        continue;
      }
      // The path serve, backfill and analyze share: analysis and write-back entries.
      auto analyzed = gateway::analyze_patient(context, knowledge, as_of);
      sink += analyzed.analysis.gradients.size();
      sink += fhir::to_json(gateway::transaction_bundle(std::move(analyzed.entries))).size();
    }
  };
  const double decode = seconds_of(rounds, [&] { run(1); });
  const double analyze = seconds_of(rounds, [&] { run(2); });
  const double write = seconds_of(rounds, [&] { run(3); });
  const long rss_after = peak_rss_kib();

  const double mb = static_cast<double>(bytes) / 1e6;
  std::printf("analysis_bench: %d patients, %.1f MB of FHIR JSON, best of %d rounds (sink %zu)\n", patients, mb,
              rounds, sink);
  std::printf("%-34s %10s %12s %14s\n", "stage", "MB/s", "patients/s", "time x ref");
  const auto row = [&](const char* name, double seconds) {
    std::printf("%-34s %10.1f %12.0f %14.2f\n", name, mb / seconds, patients / seconds, seconds / parse);
  };
  row("reference: simdjson DOM parse", parse);
  row("decode (fhir::decode_bundle)", decode);
  row("decode + analyse", analyze);
  row("decode + analyse + write back", write);
  std::printf("peak RSS: %.1f MB after generating the input, %.1f MB after the runs (%.2f x input size)\n",
              static_cast<double>(rss_before) / 1024.0, static_cast<double>(rss_after) / 1024.0,
              (static_cast<double>(rss_after) * 1024.0) / static_cast<double>(bytes));
  return 0;
}
