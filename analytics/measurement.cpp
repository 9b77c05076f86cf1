#include "analytics/measurement.hpp"

namespace gg::analytics {

std::string_view to_string(ResultStatus status) {
  switch (status) {
    case ResultStatus::preliminary:
      return "preliminary";
    case ResultStatus::final:
      return "final";
    case ResultStatus::amended:
      return "amended";
    case ResultStatus::corrected:
      return "corrected";
  }
  return "final";
}

std::string_view to_string(TimeSource source) {
  switch (source) {
    case TimeSource::effective_date_time:
      return "effectiveDateTime";
    case TimeSource::effective_period_start:
      return "effectivePeriod.start";
    case TimeSource::issued:
      return "issued";
  }
  return "effectiveDateTime";
}

}  // namespace gg::analytics
