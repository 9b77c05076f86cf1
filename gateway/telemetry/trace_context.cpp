#include "gateway/telemetry/trace_context.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <stdexcept>

namespace gg::gateway {
namespace {

constexpr std::size_t kTraceIdDigits = 32;
constexpr std::size_t kParentIdDigits = 16;
constexpr std::size_t kVersion00Length = 55;  // 2 + 1 + 32 + 1 + 16 + 1 + 2

bool lower_hex(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char ch) { return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'); });
}

bool all_zero(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char ch) { return ch == '0'; });
}

int hex_value(char ch) {
  return ch <= '9' ? ch - '0' : ch - 'a' + 10;
}

std::string random_hex(std::size_t digits) {
  std::array<unsigned char, kTraceIdDigits / 2> bytes{};
  for (;;) {
    if (RAND_bytes(bytes.data(), static_cast<int>(digits / 2)) != 1) throw std::runtime_error("RAND_bytes failed");
    static constexpr std::string_view kDigits = "0123456789abcdef";
    std::string text;
    for (std::size_t i = 0; i < digits / 2; ++i) {
      text += kDigits[bytes[i] >> 4U];
      text += kDigits[bytes[i] & 0xfU];
    }
    if (!all_zero(text)) return text;  // an all-zero id is invalid (sections 3.2.2.3 and 3.2.2.4)
  }
}

}  // namespace

std::string TraceContext::traceparent() const {
  return "00-" + trace_id + "-" + parent_id + (sampled ? "-01" : "-00");
}

TraceContext TraceContext::child() const {
  return TraceContext{trace_id, random_hex(kParentIdDigits), sampled};
}

std::optional<TraceContext> parse_traceparent(std::string_view header) {
  // Optional whitespace around the value is not part of it (RFC 9110 section 5.5).
  while (!header.empty() && (header.front() == ' ' || header.front() == '\t')) header.remove_prefix(1);
  while (!header.empty() && (header.back() == ' ' || header.back() == '\t')) header.remove_suffix(1);
  if (header.size() < kVersion00Length) return std::nullopt;
  const auto version = header.substr(0, 2);
  if (!lower_hex(version) || version == "ff") return std::nullopt;
  if (version == "00" ? header.size() != kVersion00Length
                      : header.size() > kVersion00Length && header[kVersion00Length] != '-') {
    return std::nullopt;
  }
  if (header[2] != '-' || header[35] != '-' || header[52] != '-') return std::nullopt;
  const auto trace_id = header.substr(3, kTraceIdDigits);
  const auto parent_id = header.substr(36, kParentIdDigits);
  const auto flags = header.substr(53, 2);
  if (!lower_hex(trace_id) || !lower_hex(parent_id) || !lower_hex(flags)) return std::nullopt;
  if (all_zero(trace_id) || all_zero(parent_id)) return std::nullopt;
  return TraceContext{std::string(trace_id), std::string(parent_id), (hex_value(flags[1]) & 1) != 0};
}

TraceContext start_trace() {
  return TraceContext{random_hex(kTraceIdDigits), random_hex(kParentIdDigits), true};
}

std::string trace_id_of(std::string_view traceparent) {
  auto context = parse_traceparent(traceparent);
  return context ? std::move(context->trace_id) : std::string();
}

TraceContext trace_or_start(std::string_view traceparent) {
  if (auto context = parse_traceparent(traceparent)) return std::move(*context);
  return start_trace();
}

}  // namespace gg::gateway
