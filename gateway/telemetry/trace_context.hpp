// W3C Trace Context (Level 1, https://www.w3.org/TR/trace-context/): the `traceparent` header that links what one
// notification caused across processes. The gateway takes it from an incoming notification (or starts a trace when
// there is none), keeps it with the event, and sends a child of it on every FHIR call and alert delivery the event
// leads to; its trace id is the correlation id of the log lines about that work.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace gg::gateway {

struct TraceContext {
  std::string trace_id;   // 32 lower-case hex digits, not all zero
  std::string parent_id;  // 16 lower-case hex digits, not all zero: the caller's span
  bool sampled = false;   // trace-flags bit 0

  // "00-<trace-id>-<parent-id>-<flags>" (section 3.2.2).
  [[nodiscard]] std::string traceparent() const;
  // The same trace with a new span id of ours: what a request made on the trace's behalf carries.
  [[nodiscard]] TraceContext child() const;
};

// The context of a traceparent header, or nullopt when it is not one this version can read (section 3.2.2 and
// 3.2.4: version 00 is exactly 55 characters; a higher version is read by its first four fields; version ff, upper
// case hex, an all-zero trace or parent id are invalid). An invalid header is ignored, and a new trace started.
std::optional<TraceContext> parse_traceparent(std::string_view header);

// A new trace: random trace and span ids (OpenSSL's generator), sampled.
TraceContext start_trace();

// The trace id of a traceparent (the log's correlation id), or "" when it is not one.
std::string trace_id_of(std::string_view traceparent);

// The context stored with an event, or a new trace when it has none or it is not valid.
TraceContext trace_or_start(std::string_view traceparent);

}  // namespace gg::gateway
