#include "gateway/telemetry/metrics.hpp"

#include <limits>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace gg::gateway {
namespace {

TEST(MetricsRegistry, RendersTextExpositionFormat) {
  MetricsRegistry registry;
  registry.counter("gg_events_total", "Events recorded.", {{"source", "rest-hook"}}).inc(3);
  registry.counter("gg_events_total", "Events recorded.", {{"source", "poll"}}).inc();
  registry.gauge("gg_pending_events", "Events waiting to be processed.").set(2.5);
  registry.gauge("gg_http_sessions", "Open HTTP connections.", {{"listener", "main"}, {"scheme", "http"}}).inc(2);

  EXPECT_EQ(registry.render(),
            "# HELP gg_events_total Events recorded.\n"
            "# TYPE gg_events_total counter\n"
            "gg_events_total{source=\"poll\"} 1\n"
            "gg_events_total{source=\"rest-hook\"} 3\n"
            "# HELP gg_http_sessions Open HTTP connections.\n"
            "# TYPE gg_http_sessions gauge\n"
            "gg_http_sessions{listener=\"main\",scheme=\"http\"} 2\n"
            "# HELP gg_pending_events Events waiting to be processed.\n"
            "# TYPE gg_pending_events gauge\n"
            "gg_pending_events 2.5\n");
}

TEST(MetricsRegistry, RendersAHistogramWithCumulativeBucketsSumAndCount) {
  MetricsRegistry registry;
  auto& latency = registry.histogram("x_seconds", "Latency", {0.1, 1});
  latency.observe(0.05);
  latency.observe(0.1);  // a bucket's bound is inclusive (le)
  latency.observe(0.5);
  latency.observe(7);
  EXPECT_EQ(&registry.histogram("x_seconds", "ignored", {5}), &latency);
  EXPECT_EQ(registry.render(),
            "# HELP x_seconds Latency\n"
            "# TYPE x_seconds histogram\n"
            "x_seconds_bucket{le=\"0.1\"} 2\n"
            "x_seconds_bucket{le=\"1\"} 3\n"
            "x_seconds_bucket{le=\"+Inf\"} 4\n"
            "x_seconds_sum 7.65\n"
            "x_seconds_count 4\n");
  EXPECT_THROW(registry.counter("x_seconds", "x"), std::invalid_argument);
  EXPECT_THROW(Histogram({1, 1}), std::invalid_argument);
}

// The operations page reads /metrics' numbers as values: the same sample lines, in the same order.
TEST(MetricsRegistry, SamplesAreTheRenderedLinesAsValues) {
  MetricsRegistry registry;
  registry.counter("a_total", "A", {{"source", "poll"}}).inc(2);
  registry.counter("a_total", "A", {{"source", "rest-hook"}}).inc(3);
  registry.gauge("b", "B").set(-1.5);
  registry.histogram("c_seconds", "C", {0.5}).observe(0.25);
  const auto samples = registry.samples();
  ASSERT_EQ(samples.size(), 7U);
  const auto line = [](const MetricSample& s) {
    std::string text = s.name;
    for (const auto& [key, value] : s.labels) text.append(" ").append(key).append("=").append(value);
    return text.append(" ").append(std::to_string(s.value));
  };
  std::vector<std::string> lines;
  lines.reserve(samples.size());
  for (const auto& sample : samples) lines.push_back(line(sample));
  EXPECT_EQ(lines, (std::vector<std::string>{"a_total source=poll 2.000000", "a_total source=rest-hook 3.000000",
                                             "b -1.500000", "c_seconds_bucket le=0.5 1.000000",
                                             "c_seconds_bucket le=+Inf 1.000000", "c_seconds_sum 0.250000",
                                             "c_seconds_count 1.000000"}));
}

TEST(MetricsRegistry, EscapesLabelValuesAndHelp) {
  MetricsRegistry registry;
  registry.counter("gg_x_total", "Line one\nback\\slash \"quoted\"", {{"path", "a\\b\"c\nd"}}).inc();

  EXPECT_EQ(registry.render(),
            "# HELP gg_x_total Line one\\nback\\\\slash \"quoted\"\n"
            "# TYPE gg_x_total counter\n"
            "gg_x_total{path=\"a\\\\b\\\"c\\nd\"} 1\n");
}

TEST(MetricsRegistry, LabelOrderDoesNotMakeANewSeries) {
  MetricsRegistry registry;
  Counter& first = registry.counter("gg_y_total", "Y.", {{"a", "1"}, {"b", "2"}});
  Counter& second = registry.counter("gg_y_total", "Y.", {{"b", "2"}, {"a", "1"}});
  EXPECT_EQ(&first, &second);
}

TEST(MetricsRegistry, RendersSpecialValues) {
  MetricsRegistry registry;
  registry.gauge("gg_a", "A.").set(-std::numeric_limits<double>::infinity());
  registry.gauge("gg_b", "B.").set(1e20);
  registry.gauge("gg_c", "C.").set(-7);
  const std::string text = registry.render();
  EXPECT_NE(text.find("gg_a -Inf\n"), std::string::npos);
  EXPECT_NE(text.find("gg_b 1e+20\n"), std::string::npos);
  EXPECT_NE(text.find("gg_c -7\n"), std::string::npos);
}

TEST(MetricsRegistry, RejectsInvalidNamesAndTypeClashes) {
  MetricsRegistry registry;
  EXPECT_THROW(registry.counter("1bad", "x"), std::invalid_argument);
  EXPECT_THROW(registry.counter("gg_ok_total", "x", {{"bad-label", "v"}}), std::invalid_argument);
  EXPECT_THROW(registry.counter("gg_ok_total", "x", {{"__reserved", "v"}}), std::invalid_argument);
  EXPECT_THROW(registry.counter("gg_ok_total", "x", {{"a", "1"}, {"a", "2"}}), std::invalid_argument);
  registry.counter("gg_both", "x");
  EXPECT_THROW(registry.gauge("gg_both", "x"), std::invalid_argument);
}

TEST(Counter, RejectsNegativeIncrements) {
  Counter counter;
  EXPECT_THROW(counter.inc(-1), std::invalid_argument);
  EXPECT_EQ(counter.value(), 0);
}

TEST(MetricsRegistry, CountsConcurrentIncrementsExactly) {
  MetricsRegistry registry;
  constexpr int kThreads = 4;
  constexpr int kIncrements = 10000;
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&registry] {
      Counter& counter = registry.counter("gg_hits_total", "Hits.");
      for (int i = 0; i < kIncrements; ++i) counter.inc();
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(registry.counter("gg_hits_total", "Hits.").value(), kThreads * kIncrements);
}

}  // namespace
}  // namespace gg::gateway
