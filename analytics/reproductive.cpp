#include "analytics/reproductive.hpp"

#include <algorithm>

#include "analytics/date_time.hpp"

namespace gg::analytics {
namespace {

bool has_code(const fhir::CodeableConcept& concept_, const std::vector<ConceptCode>& codes) {
  return std::any_of(concept_.coding.begin(), concept_.coding.end(), [&](const fhir::Coding& coding) {
    return std::any_of(codes.begin(), codes.end(),
                       [&](const ConceptCode& c) { return c.system == coding.system && c.code == coding.code; });
  });
}

bool usable(std::string_view status) {
  return status == "final" || status == "amended" || status == "corrected" || status == "preliminary";
}

// When the statement was made: effective[x], else issued; the earliest possible instant without either.
std::chrono::sys_seconds stated_at(const fhir::Observation& observation) {
  for (const std::string_view text :
       {std::string_view(observation.effective_date_time),
        observation.effective_period ? std::string_view(observation.effective_period->start) : std::string_view(),
        std::string_view(observation.issued)}) {
    if (auto instant = parse_fhir_date_time(text).instant) return instant->utc;
    if (auto date = parse_fhir_date(text)) return std::chrono::sys_seconds(std::chrono::sys_days(*date));
  }
  return std::chrono::sys_seconds::min();
}

}  // namespace

std::string_view to_string(MenopausalStatus status) {
  return text_of(kMenopausalStatusText, status);
}

std::optional<MenopausalStatus> menopausal_status_from_string(std::string_view text) {
  return value_of(kMenopausalStatusText, text);
}

std::vector<ConceptCode> ReproductiveCodes::observation_codes() const {
  std::vector<ConceptCode> codes = menopausal_status_questions;
  codes.insert(codes.end(), last_menstrual_period.begin(), last_menstrual_period.end());
  return codes;
}

ReproductiveFacts reproductive_facts(std::span<const fhir::Observation> observations,
                                     const ReproductiveCodes& codes, std::string_view subject) {
  ReproductiveFacts facts;
  std::optional<std::chrono::sys_seconds> status_at;
  std::optional<std::chrono::sys_seconds> period_at;
  for (const auto& observation : observations) {
    if (!usable(observation.status)) continue;
    if (!subject.empty() && observation.subject.reference != subject) continue;
    const bool status_question = has_code(observation.code, codes.menopausal_status_questions);
    const bool period_question = has_code(observation.code, codes.last_menstrual_period);
    if (!status_question && !period_question) continue;  // nearly every result: its time is not read
    const auto at = stated_at(observation);
    const std::string reference = observation.id.empty() ? std::string() : "Observation/" + observation.id;
    if (status_question && observation.value_codeable_concept) {
      for (const auto& [status, code] : codes.menopausal_status_answers) {
        if (!has_code(*observation.value_codeable_concept, {code})) continue;
        if (!status_at || at > *status_at) {
          status_at = at;
          facts.menopausal_status = status;
          facts.menopausal_status_source = reference;
        }
        break;
      }
    }
    if (period_question) {
      // valueDateTime: a date ("2026-11-02") or a dateTime, whose own calendar date is the first day.
      auto date = parse_fhir_date(observation.value_date_time.substr(0, 10));
      if (date && (!period_at || at > *period_at)) {
        period_at = at;
        facts.last_menstrual_period = date;
        facts.last_menstrual_period_source = reference;
      }
    }
  }
  return facts;
}

std::optional<int> cycle_day(const ReproductiveFacts& facts, const EffectiveTime& draw) {
  if (!facts.last_menstrual_period) return std::nullopt;
  const auto local_day = std::chrono::floor<std::chrono::days>(draw.instant.utc + draw.instant.utc_offset);
  const auto days = (local_day - std::chrono::sys_days(*facts.last_menstrual_period)).count();
  if (days < 0) return std::nullopt;
  return static_cast<int>(days) + 1;
}

}  // namespace gg::analytics
