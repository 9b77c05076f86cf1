#include "gateway/alerts/retry_policy.hpp"

#include <algorithm>
#include <charconv>
#include <ctime>
#include <iomanip>
#include <locale>
#include <sstream>
#include <stdexcept>
#include <string>

namespace gg::gateway {
namespace {

using std::chrono::milliseconds;

// RFC 9110 section 5.6.7: IMF-fixdate, then the obsolete RFC 850 and asctime formats a recipient must still
// accept.
constexpr const char* http_date_formats[] = {"%a, %d %b %Y %H:%M:%S GMT", "%A, %d-%b-%y %H:%M:%S GMT",
                                             "%a %b %d %H:%M:%S %Y"};

std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view value) {
  for (const char* format : http_date_formats) {
    std::tm parts{};
    std::istringstream in{std::string(value)};
    in.imbue(std::locale::classic());
    in >> std::get_time(&parts, format);
    if (in.fail()) continue;
    in >> std::ws;
    if (!in.eof()) continue;
    return std::chrono::system_clock::from_time_t(timegm(&parts));
  }
  return std::nullopt;
}

// +-10 % of the scheduled wait, so receivers recovering from an outage are not hit by every sender at once.
milliseconds jittered(milliseconds wait, double random_unit) {
  const double unit = std::clamp(random_unit, 0.0, 1.0);
  return milliseconds(static_cast<milliseconds::rep>(static_cast<double>(wait.count()) * (0.9 + 0.2 * unit)));
}

bool is_final_client_error(int status) {
  // 408 Request Timeout and 429 Too Many Requests (RFC 9110 section 15.5.9, RFC 6585 section 4) say "later";
  // every other 4xx is about the request itself, which a resend repeats unchanged.
  return status >= 400 && status < 500 && status != 408 && status != 429;
}

}  // namespace

std::optional<milliseconds> parse_retry_after(std::string_view value, std::chrono::system_clock::time_point now) {
  const auto first = value.find_first_not_of(" \t");
  if (first == std::string_view::npos) return std::nullopt;
  value = value.substr(first, value.find_last_not_of(" \t") - first + 1);
  std::int64_t seconds = 0;
  const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (error == std::errc() && end == value.data() + value.size()) {
    if (seconds < 0) return std::nullopt;  // delay-seconds is 1*DIGIT (RFC 9110 section 10.2.3)
    return std::chrono::duration_cast<milliseconds>(
        std::min<std::chrono::seconds>(std::chrono::seconds(seconds), max_retry_after));
  }
  if (error == std::errc::result_out_of_range) return milliseconds(max_retry_after);
  const auto date = parse_http_date(value);
  if (!date) return std::nullopt;
  return std::max(milliseconds(0), std::chrono::duration_cast<milliseconds>(*date - now));
}

DeliveryDecision decide_after_attempt(const std::vector<milliseconds>& schedule, const AttemptResult& attempt,
                                      std::chrono::system_clock::time_point now, double random_unit) {
  if (attempt.attempt < 1) throw std::invalid_argument("delivery attempts are numbered from 1");
  const int status = attempt.http_status;
  if (status >= 200 && status < 300) return {DeliveryAction::delivered, milliseconds(0)};
  if (status == 410) return {DeliveryAction::disable, milliseconds(0)};
  if (is_final_client_error(status)) return {DeliveryAction::dead, milliseconds(0)};
  const auto next = static_cast<std::size_t>(attempt.attempt);
  if (next >= schedule.size()) return {DeliveryAction::dead, milliseconds(0)};
  milliseconds delay = jittered(schedule[next], random_unit);
  if (status == 429 || status == 503) {
    const auto asked = parse_retry_after(attempt.retry_after, now);
    if (asked) delay = std::max(delay, std::min<milliseconds>(*asked, max_retry_after));
  }
  return {DeliveryAction::retry_at_delay, delay};
}

}  // namespace gg::gateway
