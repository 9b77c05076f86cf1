// The command line's words (shared/ARCHITECTURE.md, "Command line"): which command, which options, which files.
// Parsing only; main.cpp dispatches, and each command checks what it needs.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace gg::gateway {

struct Arguments {
  std::string command;             // "analyze", "serve", "check-config", "backfill", "state", "events", or what
                                   // the user typed
  std::string config;              // --config
  std::string as_of;               // --as-of, as typed
  bool ndjson = false;             // --ndjson
  std::string jobs;                // --jobs (analyze), as typed
  std::string index_budget;        // --index-budget (analyze), megabytes as typed
  std::string html;                // --html (analyze), the offline report's file
  bool force = false;              // --force (state backup: replace an existing FILE)
  std::string since;               // --since, as typed (events retry; backfill --export, --search)
  std::string until;               // --until, as typed (backfill --search)
  bool failed = false;             // --failed (events retry: failed events too)
  bool bulk_export = false;        // --export (backfill)
  std::string export_poll_max;     // --export-poll-max (backfill --export), seconds as typed
  bool search = false;             // --search (backfill)
  std::string search_count;        // --search-count (backfill --search), as typed
  std::string search_max_pages;    // --search-max-pages (backfill --search), as typed
  std::vector<std::string> files;  // every other word; "-" is standard input
  std::string error;               // "" when the words parse; else what is wrong, for a usage error
};

// argv[1..] as words. Options may come anywhere after the command; an option that needs a value takes the next
// word.
Arguments parse_arguments(const std::vector<std::string>& words);

// --as-of: a FHIR dateTime with time and zone, to the second; empty means now. Nothing when it does not parse.
std::optional<std::chrono::sys_seconds> parse_as_of(const std::string& text);

// A whole number from minimum to maximum, digits only (no sign, no spaces); nothing otherwise.
std::optional<long> parse_whole_number(const std::string& text, long minimum, long maximum);

}  // namespace gg::gateway
