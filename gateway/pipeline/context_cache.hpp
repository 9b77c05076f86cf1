// The patients' contexts the pipeline fetched last (issue 11, item 3): a bounded, least-recently-used map from a
// patient reference to its PatientContext, each entry usable for a fixed time after it was fetched. A patient's
// next notifications then cost a read of each notified result instead of the whole context again (a Patient
// read, an Observation search and three medication searches): results arriving in several batches, a panel of 20
// delivered one by one, are not fetched 20 times.
//
// What a hit leaves out is what no notification announces: a change to the Patient (sex, birth date) or to the
// medications is seen at most `ttl` late; notified results are always read again from the server (the source of
// truth) and replace their cached version. Used from the pipeline's strand only: not thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <list>
#include <optional>
#include <string>
#include <unordered_map>

#include "gateway/pipeline/patient_analysis.hpp"

namespace gg::gateway {

class ContextCache {
 public:
  // capacity 0: nothing is kept (every analysis fetches the whole context).
  ContextCache(std::size_t capacity, std::chrono::seconds ttl) : capacity_(capacity), ttl_(ttl) {}

  // A copy of the patient's context when one was stored less than ttl before `now` (and it becomes the most
  // recently used); an expired entry is dropped.
  std::optional<PatientContext> find(const std::string& patient, std::chrono::sys_seconds now);
  // Keeps `context` as the patient's, fetched at `fetched_at`, evicting the least recently used beyond capacity.
  // What was last written for the patient (written()) stays.
  void put(const std::string& patient, PatientContext context, std::chrono::sys_seconds fetched_at);
  // What the patient's last write-back wrote, as the caller keys it ("" when unknown): an analysis that would
  // write the same again (results notified again, delivered in several batches) can leave the server alone.
  [[nodiscard]] std::string written(const std::string& patient) const;
  // Notes the patient's last write-back (kept only while the patient's context is).
  void set_written(const std::string& patient, std::string written);
  // Forgets the patient's context (its analysis failed: the next one starts from the server).
  void erase(const std::string& patient);
  [[nodiscard]] std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::string patient;
    PatientContext context;
    std::chrono::sys_seconds fetched_at;
    std::string written;
  };

  std::size_t capacity_;
  std::chrono::seconds ttl_;
  std::list<Entry> entries_;  // most recently used first
  std::unordered_map<std::string, std::list<Entry>::iterator> by_patient_;
};

}  // namespace gg::gateway
