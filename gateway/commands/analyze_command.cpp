#include "gateway/commands/analyze_command.hpp"

#include <map>
#include <ostream>

#include "analytics/analysis.hpp"
#include "gateway/commands/input_reader.hpp"
#include "gateway/pipeline/patient_analysis.hpp"
#include "gateway/pipeline/rejections.hpp"
#include "gateway/pipeline/write_back.hpp"

namespace gg::gateway {
namespace {

std::string location_text(const InputLocation& where) {
  return where.line == 0 ? where.source : where.source + ":" + std::to_string(where.line);
}

// One OperationOutcome line on standard error for an unusable input.
void report(std::ostream& err, fhir::OperationOutcome outcome) {
  err << fhir::to_json(fhir::Resource{std::move(outcome)}) << '\n';
}

}  // namespace

std::vector<PatientWriteBack> analyze_inputs(const LoadedKnowledge& knowledge, const AnalyzeOptions& options,
                                             std::ostream& err, AnalyzeSummary& summary) {
  std::map<std::string, std::vector<fhir::Observation>> observations;   // by subject reference, sorted
  std::map<std::string, fhir::Patient> patients;                        // by "Patient/id"
  std::map<std::string, std::vector<fhir::MedicationUse>> medications;  // by subject reference
  std::vector<fhir::Medication> named_medications;                      // what medicationReference may name
  const auto decode_options = knowledge.decode_options();

  InputHandlers handlers;
  handlers.on_resource = [&](const InputLocation&, fhir::Resource&& resource) {
    ++summary.resources;
    if (auto* observation = std::get_if<fhir::Observation>(&resource)) {
      observations[observation->subject.reference].push_back(std::move(*observation));
    } else if (auto* patient = std::get_if<fhir::Patient>(&resource)) {
      patients["Patient/" + patient->id] = std::move(*patient);
      ++summary.skipped;
      ++summary.skipped_by_type["Patient"];
    } else if (auto* named = std::get_if<fhir::Medication>(&resource)) {
      ++summary.skipped;
      ++summary.skipped_by_type["Medication"];
      named_medications.push_back(std::move(*named));
    } else if (auto* medication = std::get_if<fhir::MedicationUse>(&resource)) {
      // Context for dose timing, like the Patient: counted with the resources that are not hormone results.
      ++summary.skipped;
      ++summary.skipped_by_type[medication->resource_type];
      medications[medication->subject.reference].push_back(std::move(*medication));
    } else {
      ++summary.skipped;
      ++summary.skipped_by_type[std::string(fhir::resource_type(resource))];
    }
  };
  handlers.on_error = [&](const InputLocation& where, const std::vector<fhir::DecodeIssue>& issues) {
    ++summary.rejected;
    auto outcome = fhir::to_operation_outcome(issues);
    for (auto& issue : outcome.issue) issue.diagnostics = location_text(where) + ": " + issue.diagnostics;
    report(err, std::move(outcome));
  };
  for (const auto& input : options.inputs) read_input(input, decode_options, handlers);

  for (auto& [subject, uses] : medications) fhir::resolve_medication_references(uses, named_medications);

  std::vector<PatientWriteBack> written_back;
  for (auto& [subject, results] : observations) {
    PatientContext context;
    if (auto found = patients.find(subject); found != patients.end())
      context.facts = analytics::patient_facts(found->second);
    context.facts.reference = subject;
    context.observations = std::move(results);
    if (auto used = medications.find(subject); used != medications.end())
      context.medications = std::move(used->second);
    auto [analysis, written] = analyze_patient(context, knowledge, options.as_of);
    summary.hormone_results += analysis.measurements.size();
    summary.skipped += analysis.skipped;
    if (analysis.skipped > 0) summary.skipped_by_type["Observation (not a hormone)"] += analysis.skipped;
    if (!analysis.measurements.empty() || !analysis.rejections.empty()) ++summary.patients;
    for (const auto& rejected : analysis.rejections) {
      ++summary.rejected;
      report(err, rejection_outcome(rejected));
    }
    summary.written += written.size();
    if (!written.empty()) written_back.push_back({subject, std::move(written)});
  }
  return written_back;
}

std::string summary_text(const AnalyzeSummary& summary) {
  std::string text = "analyze: read " + std::to_string(summary.resources) + ", hormone results " +
                     std::to_string(summary.hormone_results) + ", skipped " + std::to_string(summary.skipped);
  if (!summary.skipped_by_type.empty()) {
    text += " (";
    bool first = true;
    for (const auto& [type, count] : summary.skipped_by_type) {
      text += (first ? "" : ", ") + type + " " + std::to_string(count);
      first = false;
    }
    text += ")";
  }
  text += ", rejected " + std::to_string(summary.rejected) + ", patients " + std::to_string(summary.patients) +
          ", written " + std::to_string(summary.written);
  return text;
}

int run_analyze(const LoadedKnowledge& knowledge, const AnalyzeOptions& options, std::ostream& out,
                std::ostream& err, AnalyzeSummary* summary_out) {
  AnalyzeSummary summary;
  std::vector<fhir::BundleEntry> entries;
  for (auto& patient : analyze_inputs(knowledge, options, err, summary)) {
    for (auto& entry : patient.entries) entries.push_back(std::move(entry));
  }

  if (options.ndjson) {
    for (const auto& entry : entries) out << fhir::to_json(*entry.resource) << '\n';
  } else {
    out << fhir::to_json(transaction_bundle(std::move(entries))) << '\n';
  }
  fhir::OperationOutcome outcome;
  outcome.issue.push_back({"information", "informational", summary_text(summary), {}, std::nullopt});
  report(err, std::move(outcome));
  if (summary_out != nullptr) *summary_out = summary;
  return summary.rejected == 0 ? 0 : 1;
}

}  // namespace gg::gateway
