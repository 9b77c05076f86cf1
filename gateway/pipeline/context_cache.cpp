#include "gateway/pipeline/context_cache.hpp"

namespace gg::gateway {

std::optional<PatientContext> ContextCache::find(const std::string& patient, std::chrono::sys_seconds now) {
  const auto found = by_patient_.find(patient);
  if (found == by_patient_.end()) return std::nullopt;
  const auto entry = found->second;
  if (now - entry->fetched_at >= ttl_ || now < entry->fetched_at) {
    // Too old, or the clock went back: fetch afresh.
    entries_.erase(entry);
    by_patient_.erase(found);
    return std::nullopt;
  }
  entries_.splice(entries_.begin(), entries_, entry);
  return entry->context;
}

void ContextCache::put(const std::string& patient, PatientContext context, std::chrono::sys_seconds fetched_at) {
  if (capacity_ == 0) return;
  std::string written = this->written(patient);
  erase(patient);
  entries_.push_front(Entry{patient, std::move(context), fetched_at, std::move(written)});
  by_patient_[patient] = entries_.begin();
  while (entries_.size() > capacity_) {
    by_patient_.erase(entries_.back().patient);
    entries_.pop_back();
  }
}

std::string ContextCache::written(const std::string& patient) const {
  const auto found = by_patient_.find(patient);
  return found == by_patient_.end() ? std::string() : found->second->written;
}

void ContextCache::set_written(const std::string& patient, std::string written) {
  const auto found = by_patient_.find(patient);
  if (found != by_patient_.end()) found->second->written = std::move(written);
}

void ContextCache::erase(const std::string& patient) {
  const auto found = by_patient_.find(patient);
  if (found == by_patient_.end()) return;
  entries_.erase(found->second);
  by_patient_.erase(found);
}

}  // namespace gg::gateway
