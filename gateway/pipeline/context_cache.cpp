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
  erase(patient);
  entries_.push_front(Entry{patient, std::move(context), fetched_at});
  by_patient_[patient] = entries_.begin();
  while (entries_.size() > capacity_) {
    by_patient_.erase(entries_.back().patient);
    entries_.pop_back();
  }
}

void ContextCache::erase(const std::string& patient) {
  const auto found = by_patient_.find(patient);
  if (found == by_patient_.end()) return;
  entries_.erase(found->second);
  by_patient_.erase(found);
}

}  // namespace gg::gateway
