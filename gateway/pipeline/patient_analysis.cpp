#include "gateway/pipeline/patient_analysis.hpp"

#include <optional>
#include <string>

#include "gateway/pipeline/write_back.hpp"
#include "gateway/telemetry/clock.hpp"

namespace gg::gateway {

namespace {

analytics::Analysis analysis_of(const PatientContext& context, const LoadedKnowledge& knowledge,
                                std::chrono::sys_seconds as_of) {
  return analytics::analyze(context.facts, context.observations, context.medications, knowledge.knowledge, as_of,
                            context.history);
}

// The instant a run stamps on every patient, formatted once per thread rather than once a patient (strftime was
// half a percent of analyze, docs/performance.md).
const std::string& formatted_instant(std::chrono::sys_seconds as_of) {
  thread_local std::chrono::sys_seconds last = std::chrono::sys_seconds::min();
  thread_local std::string text;
  if (as_of != last || text.empty()) {
    text = format_instant(as_of);
    last = as_of;
  }
  return text;
}

// What the write-back is stamped with; none when the subject is not a Patient (write-back needs one).
std::optional<WriteBackContext> write_back_context(const PatientContext& context, const LoadedKnowledge& knowledge,
                                                   std::chrono::sys_seconds as_of) {
  const std::string& subject = context.facts.reference;
  if (subject.rfind("Patient/", 0) != 0) return std::nullopt;
  return WriteBackContext{subject, formatted_instant(as_of), knowledge.rule_set_id, knowledge.rule_set_version,
                          GG_VERSION};
}

}  // namespace

PatientAnalysis analyze_patient(const PatientContext& context, const LoadedKnowledge& knowledge,
                                std::chrono::sys_seconds as_of) {
  PatientAnalysis result;
  result.analysis = analysis_of(context, knowledge, as_of);
  if (const auto stamp = write_back_context(context, knowledge, as_of)) {
    result.entries = write_back_entries(result.analysis, *stamp);
  }
  return result;
}

PatientAnalysisJson analyze_patient_json(const PatientContext& context, const LoadedKnowledge& knowledge,
                                         std::chrono::sys_seconds as_of, WriteBackForm form, std::string& out) {
  PatientAnalysisJson result;
  result.analysis = analysis_of(context, knowledge, as_of);
  if (const auto stamp = write_back_context(context, knowledge, as_of)) {
    result.written = append_write_back(result.analysis, *stamp, form, out);
  }
  return result;
}

}  // namespace gg::gateway
