// Where a woman is in her reproductive life, from her own records: menopausal status (an Observation coded as a
// menopausal status question, valued with a status concept) and the first day of the last menstrual period (an
// Observation valued with that date), which gives the cycle day of each draw. Female sex-hormone target ranges may
// require either (assessment.hpp). The codes are data (config/terminology/reproductive-status.yaml); nothing is
// inferred from age. Pure.
#pragma once

#include <array>
#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "analytics/enum_text.hpp"
#include "analytics/measurement.hpp"
#include "fhir/resources.hpp"

namespace gg::analytics {

enum class MenopausalStatus { premenopausal, perimenopausal, postmenopausal };
// Spelt so in gradients.yaml (`menopausal_status:`) and reproductive_status.yaml (`answers:`).
inline constexpr std::array<EnumText<MenopausalStatus>, 3> kMenopausalStatusText{{
    {MenopausalStatus::premenopausal, "premenopausal"},
    {MenopausalStatus::perimenopausal, "perimenopausal"},
    {MenopausalStatus::postmenopausal, "postmenopausal"},
}};

std::string_view to_string(MenopausalStatus status);  // kMenopausalStatusText
std::optional<MenopausalStatus> menopausal_status_from_string(std::string_view text);

struct ConceptCode {
  std::string system;
  std::string code;
  friend bool operator==(const ConceptCode&, const ConceptCode&) = default;
};

struct ReproductiveCodes {
  std::vector<ConceptCode> menopausal_status_questions;                             // Observation.code
  std::vector<std::pair<MenopausalStatus, ConceptCode>> menopausal_status_answers;  // valueCodeableConcept
  std::vector<ConceptCode> last_menstrual_period;  // Observation.code; the value is the period's first day
  bool empty() const {
    return menopausal_status_questions.empty() && menopausal_status_answers.empty() &&
           last_menstrual_period.empty();
  }
  // Every Observation code these facts come in, for searches and decoding.
  std::vector<ConceptCode> observation_codes() const;
  friend bool operator==(const ReproductiveCodes&, const ReproductiveCodes&) = default;
};

struct ReproductiveFacts {
  std::optional<MenopausalStatus> menopausal_status;
  std::string menopausal_status_source;  // "Observation/12"
  std::optional<std::chrono::year_month_day> last_menstrual_period;
  std::string last_menstrual_period_source;
  friend bool operator==(const ReproductiveFacts&, const ReproductiveFacts&) = default;
};

// The most recent statement of each (by effective time, else issued; a statement without either counts as
// oldest) among the subject's usable Observations (status final, amended, corrected or preliminary). An
// empty `subject` accepts any subject.
ReproductiveFacts reproductive_facts(std::span<const fhir::Observation> observations,
                                     const ReproductiveCodes& codes, std::string_view subject);

// Day of the menstrual cycle on the draw's local calendar date, the period's first day being day 1; none without a
// last menstrual period, or when the draw is before it.
std::optional<int> cycle_day(const ReproductiveFacts& facts, const EffectiveTime& draw);

}  // namespace gg::analytics
