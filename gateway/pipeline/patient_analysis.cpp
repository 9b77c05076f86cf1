#include "gateway/pipeline/patient_analysis.hpp"

#include <string>

#include "gateway/pipeline/write_back.hpp"
#include "gateway/telemetry/clock.hpp"

namespace gg::gateway {

PatientAnalysis analyze_patient(const PatientContext& context, const LoadedKnowledge& knowledge,
                                std::chrono::sys_seconds as_of) {
  PatientAnalysis result;
  result.analysis = analytics::analyze(context.facts, context.observations, context.medications,
                                       knowledge.knowledge, as_of, context.history);
  const std::string& subject = context.facts.reference;
  if (subject.rfind("Patient/", 0) != 0) return result;  // write-back needs a Patient subject
  result.entries =
      write_back_entries(result.analysis, WriteBackContext{subject, format_instant(as_of), knowledge.rule_set_id,
                                                           knowledge.rule_set_version, GG_VERSION});
  return result;
}

}  // namespace gg::gateway
