#include "gateway/telemetry/metrics.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>
#include <system_error>

namespace gg::gateway {
namespace {

bool is_metric_name(std::string_view name) {
  // [a-zA-Z_:][a-zA-Z0-9_:]*
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char ch = name[i];
    const bool letter = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' || ch == ':';
    const bool digit = ch >= '0' && ch <= '9';
    if (!letter && !(digit && i > 0)) return false;
  }
  return true;
}

bool is_label_name(std::string_view name) {
  // [a-zA-Z_][a-zA-Z0-9_]*, and names beginning with __ are reserved for Prometheus itself.
  if (name.starts_with("__")) return false;
  return is_metric_name(name) && name.find(':') == std::string_view::npos;
}

MetricLabels sorted_labels(MetricLabels labels) {
  std::sort(labels.begin(), labels.end());
  return labels;
}

void validate(const std::string& name, const MetricLabels& labels) {
  if (!is_metric_name(name)) throw std::invalid_argument("invalid metric name: " + name);
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (!is_label_name(labels[i].first)) throw std::invalid_argument("invalid label name: " + labels[i].first);
    if (i > 0 && labels[i].first == labels[i - 1].first) {
      throw std::invalid_argument("duplicate label name: " + labels[i].first);
    }
  }
}

// Go's ParseFloat spelling, which Prometheus reads: integers without a fraction, others in shortest form.
std::string format_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buffer[32];
  std::to_chars_result result{};
  if (std::trunc(value) == value && std::fabs(value) < 9.007199254740992e15) {  // 2^53: exact as an integer
    result = std::to_chars(buffer, buffer + sizeof buffer, static_cast<long long>(value));
  } else {
    result = std::to_chars(buffer, buffer + sizeof buffer, value);
  }
  return std::string(buffer, result.ptr);
}

void append_sample(std::string& out, const std::string& name, const MetricLabels& labels, double value) {
  out += name;
  if (!labels.empty()) {
    out += '{';
    for (std::size_t i = 0; i < labels.size(); ++i) {
      if (i > 0) out += ',';
      out += labels[i].first;
      out += "=\"";
      out += escape_label_value(labels[i].second);
      out += '"';
    }
    out += '}';
  }
  out += ' ';
  out += format_value(value);
  out += '\n';
}

// The text format escapes backslash and newline everywhere, and double quotes inside label values only.
std::string escape(std::string_view text, bool quotes) {
  std::string out;
  out.reserve(text.size());
  for (const char ch : text) {
    if (ch == '\\') {
      out += "\\\\";
    } else if (ch == '\n') {
      out += "\\n";
    } else if (ch == '"' && quotes) {
      out += "\\\"";
    } else {
      out += ch;
    }
  }
  return out;
}

}  // namespace

std::string escape_label_value(std::string_view value) {
  return escape(value, true);
}

std::string escape_help(std::string_view help) {
  return escape(help, false);
}

void Counter::inc(double amount) {
  if (!(amount >= 0.0)) throw std::invalid_argument("a counter cannot decrease");
  value_.fetch_add(amount, std::memory_order_relaxed);
}

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)), counts_(new std::atomic<double>[bounds_.size() + 1]) {
  for (std::size_t i = 0; i + 1 < bounds_.size(); ++i) {
    if (!(bounds_[i] < bounds_[i + 1])) throw std::invalid_argument("histogram bounds must ascend");
  }
  for (std::size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0.0, std::memory_order_relaxed);
}

void Histogram::observe(double value) {
  const auto bucket =
      static_cast<std::size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin());
  counts_[bucket].fetch_add(1.0, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

double Histogram::cumulative(std::size_t i) const {
  double total = 0;
  for (std::size_t k = 0; k <= i && k <= bounds_.size(); ++k) total += counts_[k].load(std::memory_order_relaxed);
  return total;
}

MetricsRegistry::Family& MetricsRegistry::family(const std::string& name, const std::string& help, Type type,
                                                 const MetricLabels& labels) {
  validate(name, labels);
  auto [it, inserted] = families_.try_emplace(name, Family{type, help, {}, {}, {}});
  if (!inserted && it->second.type != type) {
    throw std::invalid_argument("metric registered with two types: " + name);
  }
  return it->second;
}

Counter& MetricsRegistry::counter(const std::string& name, const std::string& help, MetricLabels labels) {
  labels = sorted_labels(std::move(labels));
  const std::lock_guard lock(families_mutex_);
  auto& series = family(name, help, Type::counter, labels).counters[std::move(labels)];
  if (!series) series = std::make_unique<Counter>();
  return *series;
}

Gauge& MetricsRegistry::gauge(const std::string& name, const std::string& help, MetricLabels labels) {
  labels = sorted_labels(std::move(labels));
  const std::lock_guard lock(families_mutex_);
  auto& series = family(name, help, Type::gauge, labels).gauges[std::move(labels)];
  if (!series) series = std::make_unique<Gauge>();
  return *series;
}

Histogram& MetricsRegistry::histogram(const std::string& name, const std::string& help,
                                      std::vector<double> upper_bounds, MetricLabels labels) {
  labels = sorted_labels(std::move(labels));
  const std::lock_guard lock(families_mutex_);
  auto& series = family(name, help, Type::histogram, labels).histograms[std::move(labels)];
  if (!series) series = std::make_unique<Histogram>(std::move(upper_bounds));
  return *series;
}

template <typename Visit>
void MetricsRegistry::for_each_sample(const std::string& name, const Family& family, Visit&& visit) {
  for (const auto& [labels, series] : family.counters) visit(name, labels, series->value());
  for (const auto& [labels, series] : family.gauges) visit(name, labels, series->value());
  for (const auto& [labels, series] : family.histograms) {
    const auto& bounds = series->upper_bounds();
    for (std::size_t i = 0; i <= bounds.size(); ++i) {
      MetricLabels with_le = labels;
      with_le.emplace_back("le", i < bounds.size() ? format_value(bounds[i]) : "+Inf");
      visit(name + "_bucket", with_le, series->cumulative(i));
    }
    visit(name + "_sum", labels, series->sum());
    visit(name + "_count", labels, series->count());
  }
}

std::string MetricsRegistry::render() const {
  std::string out;
  const std::lock_guard lock(families_mutex_);
  for (const auto& [name, family] : families_) {
    out += "# HELP " + name + ' ' + escape_help(family.help) + '\n';
    const char* type = family.type == Type::counter ? " counter\n"
                       : family.type == Type::gauge ? " gauge\n"
                                                    : " histogram\n";
    out += "# TYPE " + name + type;
    for_each_sample(name, family, [&out](const std::string& sample, const MetricLabels& labels, double value) {
      append_sample(out, sample, labels, value);
    });
  }
  return out;
}

std::vector<MetricSample> MetricsRegistry::samples() const {
  std::vector<MetricSample> out;
  const std::lock_guard lock(families_mutex_);
  for (const auto& [name, family] : families_) {
    for_each_sample(name, family, [&out](const std::string& sample, const MetricLabels& labels, double value) {
      out.push_back({sample, labels, value});
    });
  }
  return out;
}

}  // namespace gg::gateway
