#include "fhir/json_out.hpp"

#include <rapidjson/internal/dtoa.h>

#include <charconv>
#include <cmath>
#include <cstring>

namespace gg::fhir {
namespace {

// True when a byte of `text` needs an escape: '"', '\\' or a control character. Branch-free and byte-wide, so the
// compiler checks 16 bytes at a time (a wider accumulator makes it widen every byte to four first).
bool needs_escape(std::string_view text) {
  unsigned char found = 0;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    found |= static_cast<unsigned char>((c < 0x20) | (c == '"') | (c == '\\'));
  }
  return found != 0;
}

void append_escaped(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c != '"' && c != '\\') {
      out += ch;
      continue;
    }
    out += '\\';
    switch (c) {
      case '"':
      case '\\':
        out += ch;
        break;
      case '\b':
        out += 'b';
        break;
      case '\t':
        out += 't';
        break;
      case '\n':
        out += 'n';
        break;
      case '\f':
        out += 'f';
        break;
      case '\r':
        out += 'r';
        break;
      default:
        out.append("u00", 3);
        out += kHex[c >> 4];
        out += kHex[c & 0xF];
    }
  }
}

}  // namespace

void JsonOut::text(std::string_view value) {
  separate();
  out_ += '"';
  if (needs_escape(value)) {
    append_escaped(out_, value);
  } else {
    out_.append(value);
  }
  out_ += '"';
}

void JsonOut::number(double value) {
  if (!std::isfinite(value)) return;
  constexpr double kExactIntegerLimit = 9007199254740992.0;  // 2^53: every integer below is a double
  if (std::trunc(value) == value && std::fabs(value) < kExactIntegerLimit) {
    integer(static_cast<std::int64_t>(value));
    return;
  }
  separate();
  char digits[32];
  // RapidJSON's Grisu2 with its own formatting (maxDecimalPlaces 324: never cut), as its Writer::Double writes.
  const char* end = rapidjson::internal::dtoa(value, digits, 324);
  out_.append(digits, static_cast<std::size_t>(end - digits));
}

void JsonOut::integer(std::int64_t value) {
  separate();
  char digits[24];
  const char* end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  out_.append(digits, static_cast<std::size_t>(end - digits));
}

void JsonOut::boolean(bool value) {
  separate();
  out_.append(value ? "true" : "false");
}

void JsonOut::decimal(std::string_view name, const std::optional<double>& value) {
  if (!value || !std::isfinite(*value)) return;
  key(name);
  number(*value);
}

}  // namespace gg::fhir
