#include "analytics/number_text.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>

namespace gg::analytics {
namespace {

constexpr std::array<double, 10> kPowersOfTen = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};

// std::to_chars in fixed notation with `decimals` decimals: the exact binary value correctly rounded (ties to
// even), then trailing zeros and a bare point removed.
void append_rounded_by_to_chars(std::string& out, double value, int decimals) {
  char buffer[64];
  char* end = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::fixed, decimals).ptr;
  if (std::find(buffer, end, '.') != end) {
    while (end[-1] == '0') --end;
    if (end[-1] == '.') --end;
  }
  out.append(buffer, end);
}

// The same text from |value| * 10^decimals rounded to an integer, when that rounding is certain; false otherwise.
// 10^decimals is exact, so the product differs from the exact one by at most half a unit in its last place: below
// 1e9 that is under 1e-7. Unless the product lies within 1e-6 of a half, the exact product then rounds to the
// same integer (std::to_chars rounds the exact value, and only a half between the two could tell them apart).
bool append_rounded_by_product(std::string& out, double value, int decimals) {
  const double scaled = std::fabs(value) * kPowersOfTen[static_cast<std::size_t>(decimals)];
  if (!(scaled < 1e9)) return false;
  const double whole = std::floor(scaled);
  const double fraction = scaled - whole;
  if (std::fabs(fraction - 0.5) < 1e-6) return false;
  auto digits = static_cast<std::uint32_t>(whole) + (fraction > 0.5 ? 1U : 0U);  // at most 1e9
  if (std::signbit(value)) out += '-';
  const auto power = static_cast<std::uint32_t>(kPowersOfTen[static_cast<std::size_t>(decimals)]);
  char buffer[32];
  char* end = std::to_chars(buffer, buffer + sizeof buffer, digits / power).ptr;
  std::uint32_t decimal_digits = digits % power;
  if (decimal_digits != 0) {
    // The decimals, without the zeros they end in.
    int kept = decimals;
    while (decimal_digits % 10 == 0) {
      decimal_digits /= 10;
      --kept;
    }
    *end++ = '.';
    for (int i = kept - 1; i >= 0; --i) {
      end[i] = static_cast<char>('0' + decimal_digits % 10);
      decimal_digits /= 10;
    }
    end += kept;
  }
  out.append(buffer, end);
  return true;
}

// 2 - floor(log10(magnitude)), within 0 to 9, by comparison with powers of ten. Just below a power of ten,
// log10 may round up to it where the comparison does not: the decimals then differ by one, but a value that close
// to 10^k (within a part in 10^15) is written "10^k" at either precision, so the text is the same (the tests
// compare both around every power of ten).
int decimals_for(double magnitude) {
  constexpr std::array<double, 9> kLeast = {1e2, 1e1, 1e0, 1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6};  // for 0 to 8
  int decimals = 0;
  while (decimals < 9 && magnitude < kLeast[static_cast<std::size_t>(decimals)]) ++decimals;
  return decimals;
}

}  // namespace

void append_significant_number(std::string& out, double value) {
  if (value == 0 || !std::isfinite(value)) {
    char buffer[32];
    out.append(buffer, std::to_chars(buffer, buffer + sizeof buffer, value).ptr);
    return;
  }
  const int decimals = decimals_for(std::fabs(value));
  if (!append_rounded_by_product(out, value, decimals)) append_rounded_by_to_chars(out, value, decimals);
}

}  // namespace gg::analytics
