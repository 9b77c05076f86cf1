// W3C Trace Context Level 1 (https://www.w3.org/TR/trace-context/), section 3.2: the traceparent header. The
// example values are the specification's own (section 3.2.2.5's "00-4bf92f3577b34da6a3ce929d0e0e4736-
// 00f067aa0ba902b7-01").
#include "gateway/telemetry/trace_context.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace gg::gateway {
namespace {

constexpr const char* kExample = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

TEST(TraceContext, ReadsTheSpecificationsExampleAndWritesItBack) {
  const auto context = parse_traceparent(kExample);
  ASSERT_TRUE(context);
  EXPECT_EQ(context->trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(context->parent_id, "00f067aa0ba902b7");
  EXPECT_TRUE(context->sampled);
  EXPECT_EQ(context->traceparent(), kExample);
  EXPECT_FALSE(parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00")->sampled);
  EXPECT_TRUE(parse_traceparent(std::string(" ") + kExample + "\t"));
}

TEST(TraceContext, RefusesWhatSection3_2SaysIsInvalid) {
  for (const std::string bad : {
           "",
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",        // no flags
           "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-00",  // version 00 is 55 characters exactly
           "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",     // upper case
           "00-00000000000000000000000000000000-00f067aa0ba902b7-01",     // all-zero trace id
           "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",     // all-zero parent id
           "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",     // version ff
           "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01",     // not dashes
           "00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01",     // not hex
           "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",    // a later version: a dash must follow
       }) {
    EXPECT_FALSE(parse_traceparent(bad)) << bad;
  }
  // A later version is read by its first four fields (section 3.2.4).
  const auto later = parse_traceparent("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-comes-next");
  ASSERT_TRUE(later);
  EXPECT_EQ(later->traceparent(), kExample);
}

TEST(TraceContext, AChildKeepsTheTraceAndGetsASpanOfItsOwn) {
  const auto context = *parse_traceparent(kExample);
  std::set<std::string> spans;
  for (int i = 0; i < 100; ++i) {
    const auto child = context.child();
    EXPECT_EQ(child.trace_id, context.trace_id);
    EXPECT_TRUE(child.sampled);
    ASSERT_TRUE(parse_traceparent(child.traceparent())) << child.traceparent();
    spans.insert(child.parent_id);
  }
  EXPECT_EQ(spans.size(), 100u);
  EXPECT_EQ(spans.count(context.parent_id), 0u);
}

TEST(TraceContext, StartsATraceWhenThereIsNoneOrItIsInvalid) {
  const auto started = start_trace();
  ASSERT_TRUE(parse_traceparent(started.traceparent())) << started.traceparent();
  EXPECT_NE(start_trace().trace_id, started.trace_id);
  EXPECT_EQ(trace_or_start(kExample).trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
  const auto fresh = trace_or_start("garbage");
  EXPECT_EQ(fresh.trace_id.size(), 32u);
  EXPECT_NE(fresh.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
}

}  // namespace
}  // namespace gg::gateway
