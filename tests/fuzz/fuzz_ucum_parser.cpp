// Fuzzes the unit parser (analytics/ucum.hpp) in both dialects. Besides "no crash and no sanitizer
// report", every input must keep the contracts the header states:
//   - parse_unit gives a unit or a reason, never both or neither; the reason is a short, printable message (it
//     quotes the unit through quoted_unit, so a hostile unit field cannot flood or break a log line);
//   - a parsed unit has a finite factor > 0 ("a value v in this unit is v * factor in the coherent base units"),
//     is the same unit as itself, has a printable description, and a value rescaled to it from itself is
//     unchanged;
//   - quoted_unit: quotes around at most 32 bytes of the text (then "..."), control characters replaced.
// A broken contract is printed and calls __builtin_trap() (check.hpp): libFuzzer reports a crash with this input.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "analytics/ucum.hpp"
#include "analytics/unit_conversion.hpp"  // rescale
#include "tests/fuzz/check.hpp"

namespace {

using gg::analytics::parse_unit;
using gg::analytics::UnitDialect;

bool is_control(unsigned char c) {
  return c < 0x20 || c == 0x7f;
}

bool printable(std::string_view text) {
  for (const char c : text) {
    if (is_control(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// The longest fixed message text ("parentheses nested too deeply in unit ") plus a quoted unit (32 + 2 + 3 bytes),
// with room to spare: a message never grows with the input.
constexpr std::size_t kMaxErrorBytes = 160;

// The contract: quotes around at most 32 bytes of the text, the whole text when it is no longer, "..." when it
// is; each byte kept as it is except control characters, which are replaced. (Where exactly a long text is cut is
// not part of it: the implementation backs off so as not to split a UTF-8 character.)
void check_quoted_unit(std::string_view text) {
  constexpr std::size_t kMax = 32;
  const std::string quoted = gg::analytics::quoted_unit(text);
  const bool truncated = text.size() > kMax;
  const std::string_view ellipsis = truncated ? "..." : "";
  GG_FUZZ_CHECK(quoted.size() >= 2 + ellipsis.size() && quoted.front() == '\'' && quoted.back() == '\'');
  const std::string_view body = std::string_view(quoted).substr(1, quoted.size() - 2 - ellipsis.size());
  GG_FUZZ_CHECK(std::string_view(quoted).substr(1 + body.size(), ellipsis.size()) == ellipsis);
  GG_FUZZ_CHECK(body.size() <= kMax && body.size() <= text.size());
  GG_FUZZ_CHECK(truncated || body.size() == text.size());
  for (std::size_t i = 0; i < body.size(); ++i) {
    const auto in = static_cast<unsigned char>(text[i]);
    const auto out = static_cast<unsigned char>(body[i]);
    GG_FUZZ_CHECK(!is_control(out));
    if (!is_control(in)) GG_FUZZ_CHECK(out == in);
  }
}

void check_parse(std::string_view text, UnitDialect dialect) {
  const auto result = parse_unit(text, dialect);
  GG_FUZZ_CHECK(result.unit.has_value() == result.error.empty());
  if (!result.unit) {
    GG_FUZZ_CHECK(result.error.size() <= kMaxErrorBytes);
    GG_FUZZ_CHECK(printable(result.error));
    return;
  }
  const auto& unit = *result.unit;
  GG_FUZZ_CHECK(std::isfinite(unit.factor) && unit.factor > 0);
  GG_FUZZ_CHECK(gg::analytics::same_unit(unit, unit));
  const std::string name = gg::analytics::describe(unit.dimension);
  GG_FUZZ_CHECK(!name.empty() && printable(name));
  if (dialect == UnitDialect::ucum) {
    // rescale reads both units as UCUM codes: 1 of a unit in that same unit is 1.
    const auto same = gg::analytics::rescale({1.0, std::string(text)}, text);
    GG_FUZZ_CHECK(same.has_value() && std::fabs(same->value - 1.0) <= 1e-12);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  check_parse(text, UnitDialect::ucum);
  check_parse(text, UnitDialect::lab_text);
  check_quoted_unit(text);
  return 0;
}
