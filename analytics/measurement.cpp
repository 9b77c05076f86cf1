#include "analytics/measurement.hpp"

#include <array>

#include "analytics/enum_text.hpp"

namespace gg::analytics {
namespace {

// FHIR R4 ObservationStatus codes.
constexpr std::array<EnumText<ResultStatus>, 4> kResultStatusText{{
    {ResultStatus::preliminary, "preliminary"},
    {ResultStatus::final, "final"},
    {ResultStatus::amended, "amended"},
    {ResultStatus::corrected, "corrected"},
}};

// The FHIR element the time was read from.
constexpr std::array<EnumText<TimeSource>, 3> kTimeSourceText{{
    {TimeSource::effective_date_time, "effectiveDateTime"},
    {TimeSource::effective_period_start, "effectivePeriod.start"},
    {TimeSource::issued, "issued"},
}};

}  // namespace

std::string_view to_string(ResultStatus status) {
  return text_of(kResultStatusText, status);
}

std::string_view to_string(TimeSource source) {
  return text_of(kTimeSourceText, source);
}

}  // namespace gg::analytics
