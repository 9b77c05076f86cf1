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

}  // namespace

void JsonOut::put_long(std::string_view bytes) {
  flush();
  if (bytes.size() >= kStaged) {
    out_.append(bytes);
    return;
  }
  std::memcpy(stage_, bytes.data(), bytes.size());
  staged_ = bytes.size();
}

void JsonOut::put_escaped(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (const char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c != '"' && c != '\\') {
      put(ch);
      continue;
    }
    put('\\');
    switch (c) {
      case '"':
      case '\\':
        put(ch);
        break;
      case '\b':
        put('b');
        break;
      case '\t':
        put('t');
        break;
      case '\n':
        put('n');
        break;
      case '\f':
        put('f');
        break;
      case '\r':
        put('r');
        break;
      default:
        put("u00");
        put(kHex[c >> 4]);
        put(kHex[c & 0xF]);
    }
  }
}

void JsonOut::text(std::string_view value) {
  separate();
  put('"');
  if (needs_escape(value)) {
    put_escaped(value);
  } else {
    put(value);
  }
  put('"');
  if (depth_ == 0) flush();
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
  put(std::string_view(digits, static_cast<std::size_t>(end - digits)));
  if (depth_ == 0) flush();
}

void JsonOut::integer(std::int64_t value) {
  separate();
  char digits[24];
  const char* end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  put(std::string_view(digits, static_cast<std::size_t>(end - digits)));
  if (depth_ == 0) flush();
}

void JsonOut::boolean(bool value) {
  separate();
  put(value ? std::string_view("true") : std::string_view("false"));
  if (depth_ == 0) flush();
}

void JsonOut::decimal(std::string_view name, const std::optional<double>& value) {
  if (!value || !std::isfinite(*value)) return;
  key(name);
  number(*value);
}

}  // namespace gg::fhir
