// A small Prometheus registry: counters and gauges, optionally labelled, rendered in the text exposition format
// 0.0.4 (https://prometheus.io/docs/instrumenting/exposition_formats/) for GET /metrics.
//
// Registering is cheap but takes the registry's mutex, so look a series up once and keep the reference: the
// registry owns every series for its whole life and references stay valid. Updating a series is lock-free.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gg::gateway {

// Label name/value pairs of one series. Order does not matter: {a,b} and {b,a} name the same series.
using MetricLabels = std::vector<std::pair<std::string, std::string>>;

// A value that only goes up (requests served, events recorded). Name it with the suffix _total.
class Counter {
 public:
  // Adds amount, which must not be negative (a counter that goes down is a programming error:
  // std::invalid_argument).
  void inc(double amount = 1.0);
  [[nodiscard]] double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

// A value that goes up and down (events pending, sessions open).
class Gauge {
 public:
  void set(double value) { value_.store(value, std::memory_order_relaxed); }
  void inc(double amount = 1.0) { value_.fetch_add(amount, std::memory_order_relaxed); }
  void dec(double amount = 1.0) { value_.fetch_sub(amount, std::memory_order_relaxed); }
  [[nodiscard]] double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

// Observations counted into cumulative buckets by upper bound, with their sum and count (Prometheus histogram:
// name_bucket{le="..."}, name_sum, name_count). The bounds are fixed when the series is made.
class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);
  void observe(double value);
  [[nodiscard]] const std::vector<double>& upper_bounds() const { return bounds_; }
  // Observations at or below upper_bounds()[i]; with i == upper_bounds().size(), every observation (+Inf).
  [[nodiscard]] double cumulative(std::size_t i) const;
  [[nodiscard]] double sum() const { return sum_.load(std::memory_order_relaxed); }
  [[nodiscard]] double count() const { return cumulative(bounds_.size()); }

 private:
  std::vector<double> bounds_;                     // ascending
  std::unique_ptr<std::atomic<double>[]> counts_;  // per bucket, not cumulative; the last is (last bound, +Inf)
  std::atomic<double> sum_{0.0};
};

// One sample line of the exposition: a counter's or gauge's value, or a histogram's _bucket (with its "le" label),
// _sum or _count.
struct MetricSample {
  std::string name;
  MetricLabels labels;
  double value = 0;
};

class MetricsRegistry {
 public:
  // The series of family `name` with these labels, created on first use. The help text of the first call for a
  // family is kept. An invalid metric or label name, or one family used as both counter and gauge, is a
  // programming error: std::invalid_argument.
  Counter& counter(const std::string& name, const std::string& help, MetricLabels labels = {});
  Gauge& gauge(const std::string& name, const std::string& help, MetricLabels labels = {});
  // upper_bounds: ascending, finite; the first call for a series fixes them.
  Histogram& histogram(const std::string& name, const std::string& help, std::vector<double> upper_bounds,
                       MetricLabels labels = {});

  // Every family in name order, each series in label order: "# HELP", "# TYPE", then one sample line per series.
  [[nodiscard]] std::string render() const;
  // The same samples as values, in the same order (the operations page reads /metrics' numbers so).
  [[nodiscard]] std::vector<MetricSample> samples() const;

 private:
  enum class Type { counter, gauge, histogram };
  struct Family {
    Type type;
    std::string help;
    std::map<MetricLabels, std::unique_ptr<Counter>> counters;  // keyed by labels sorted by name
    std::map<MetricLabels, std::unique_ptr<Gauge>> gauges;
    std::map<MetricLabels, std::unique_ptr<Histogram>> histograms;
  };
  Family& family(const std::string& name, const std::string& help, Type type, const MetricLabels& labels);
  // Calls visit(sample name, labels, value) for each sample line of a family, as render() writes them.
  template <typename Visit>
  static void for_each_sample(const std::string& name, const Family& family, Visit&& visit);

  mutable std::mutex families_mutex_;  // guards: families_ (the maps, not the atomic values in them)
  std::map<std::string, Family> families_;
};

// The text format's escaping: label values escape backslash, double quote and newline; help text escapes
// backslash and newline.
std::string escape_label_value(std::string_view value);
std::string escape_help(std::string_view help);

}  // namespace gg::gateway
