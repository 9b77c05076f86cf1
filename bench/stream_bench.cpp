// Throughput of analyze's in-process stages on one NDJSON file, as ratios against a reference measured in the same
// run on the same bytes: simdjson's iterate_many walking the documents and reading one field (resourceType) of
// each, what any reader of the file pays at least (issue 12). Stages:
//   filter    the scan analyze runs before decoding (gateway::scan_inputs: the file mapped, each line's type,
//             subject and codes read, wanted resources indexed), on one thread
//   pipeline  analyze on one thread, whole: scan, decode, normalise, compute, author and the JSON (run_analyze
//             with jobs 1, its output counted and discarded)
// and a second reference, `walk`: iterate_many walking every value of every document (keys and strings unescaped
// and copied, numbers parsed), what a reader that looks at every element, as decoding does to validate it, pays
// at least. The pipeline against it says how much of its time any validating decode would still need.
// Each round measures the reference and the stages one after the other; the median of the rounds is printed as one
// JSON object (bench/run reads it). Usage: stream_bench [--config DIR] [--rounds N] [--as-of DATETIME] FILE
#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <ostream>
#include <streambuf>
#include <string>
#include <vector>

#include "analytics/date_time.hpp"
#include "gateway/commands/analyze_command.hpp"
#include "gateway/commands/input_index.hpp"
#include "gateway/config/knowledge_loader.hpp"

namespace {

using namespace gg;
using Clock = std::chrono::steady_clock;

// An ostream that counts what is written and keeps nothing.
class CountingBuffer : public std::streambuf {
 public:
  std::size_t count = 0;

 protected:
  std::streamsize xsputn(const char*, std::streamsize n) override {
    count += static_cast<std::size_t>(n);
    return n;
  }
  int overflow(int c) override {
    ++count;
    return c;
  }
};

double seconds(const std::function<void()>& run) {
  const auto start = Clock::now();
  run();
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

// Every value below `value`, each string copied into `scratch` (as a decoder keeps what it reads); returns a
// number that depends on all of them, so that nothing is optimised away.
std::size_t walk_value(simdjson::ondemand::value value, std::string& scratch) {
  namespace od = simdjson::ondemand;
  std::size_t seen = 1;
  od::json_type type;
  if (value.type().get(type) != simdjson::SUCCESS) std::abort();
  switch (type) {
    case od::json_type::object:
      for (auto field : value.get_object()) {
        std::string_view key;
        if (field.unescaped_key().get(key) != simdjson::SUCCESS) std::abort();
        seen += key.size() + walk_value(field.value(), scratch);
      }
      break;
    case od::json_type::array:
      for (auto element : value.get_array()) seen += walk_value(element.value(), scratch);
      break;
    case od::json_type::string: {
      std::string_view text;
      if (value.get_string().get(text) != simdjson::SUCCESS) std::abort();
      scratch.assign(text);
      seen += scratch.size();
      break;
    }
    case od::json_type::number: {
      double number = 0;
      if (value.get_double().get(number) != simdjson::SUCCESS) std::abort();
      seen += number > 0 ? 1 : 0;
      break;
    }
    case od::json_type::boolean:
    case od::json_type::null:
      break;
  }
  return seen;
}

int usage() {
  std::fprintf(stderr, "usage: stream_bench [--config DIR] [--rounds N] [--as-of DATETIME] FILE.ndjson\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string config = std::string(GG_SOURCE_DIR) + "/config";
  std::string file;
  std::string as_of_text = "2026-12-01T00:00:00Z";
  int rounds = 3;
  for (int i = 1; i < argc; ++i) {
    const std::string word = argv[i];
    if (word == "--config" && i + 1 < argc) {
      config = argv[++i];
    } else if (word == "--rounds" && i + 1 < argc) {
      rounds = std::max(1, std::atoi(argv[++i]));
    } else if (word == "--as-of" && i + 1 < argc) {
      as_of_text = argv[++i];
    } else if (file.empty() && word.rfind("--", 0) != 0) {
      file = word;
    } else {
      return usage();
    }
  }
  if (file.empty()) return usage();
  auto knowledge = gateway::load_knowledge(config + "/terminology", config + "/rules");
  if (!knowledge) {
    std::fprintf(stderr, "stream_bench: cannot load the configuration in %s\n", config.c_str());
    return 2;
  }
  const auto as_of = analytics::parse_fhir_date_time(as_of_text).instant;
  if (!as_of) return usage();

  simdjson::padded_string text;
  if (simdjson::padded_string::load(file).get(text) != simdjson::SUCCESS) {
    std::fprintf(stderr, "stream_bench: cannot read %s\n", file.c_str());
    return 2;
  }
  const double megabytes = static_cast<double>(text.size()) / 1e6;

  std::size_t documents = 0;
  const auto reference = [&] {
    simdjson::ondemand::parser parser;
    simdjson::ondemand::document_stream stream;
    if (parser.iterate_many(text, std::size_t{4} << 20).get(stream) != simdjson::SUCCESS) std::abort();
    documents = 0;
    for (auto document : stream) {
      std::string_view type;
      if (document["resourceType"].get_string().get(type) == simdjson::SUCCESS && !type.empty()) ++documents;
    }
  };

  std::size_t walked = 0;
  const auto walk = [&] {
    simdjson::ondemand::parser parser;
    simdjson::ondemand::document_stream stream;
    if (parser.iterate_many(text, std::size_t{4} << 20).get(stream) != simdjson::SUCCESS) std::abort();
    std::string scratch;
    walked = 0;
    for (auto document : stream) {
      simdjson::ondemand::object object;
      if (document.get_object().get(object) != simdjson::SUCCESS) std::abort();
      for (auto field : object) {
        std::string_view key;
        if (field.unescaped_key().get(key) != simdjson::SUCCESS) std::abort();
        walked += key.size() + walk_value(field.value(), scratch);
      }
    }
  };

  std::size_t wanted = 0;
  const auto filter = [&] {
    gateway::ScanCallbacks callbacks;
    callbacks.on_error = [](const gateway::InputLocation&, const std::vector<fhir::DecodeIssue>&) {};
    callbacks.on_skipped = [](std::string_view, std::size_t) {};
    const auto index =
        gateway::scan_inputs({file}, knowledge->decode_options(), knowledge->scan_options(), callbacks);
    wanted = index.resources.size();
  };

  std::size_t output_bytes = 0;
  const auto pipeline = [&] {
    CountingBuffer counted;
    std::ostream out(&counted);
    std::ostream err(&counted);
    gateway::AnalyzeOptions options{{file}, as_of->utc, false, 1};
    gateway::run_analyze(*knowledge, options, out, err);
    output_bytes = counted.count;
  };

  std::vector<double> reference_s, walk_s, filter_s, pipeline_s;
  for (int round = 0; round < rounds; ++round) {
    reference_s.push_back(seconds(reference));
    walk_s.push_back(seconds(walk));
    filter_s.push_back(seconds(filter));
    pipeline_s.push_back(seconds(pipeline));
  }
  const double ref = median(reference_s);
  const double whole_walk = median(walk_s);
  const double fil = median(filter_s);
  const double pip = median(pipeline_s);
  std::printf(
      "{\"file\":\"%s\",\"megabytes\":%.1f,\"documents\":%zu,\"wanted\":%zu,\"output_megabytes\":%.1f,"
      "\"rounds\":%d,\"reference_s\":%.4f,\"filter_s\":%.4f,\"pipeline_s\":%.4f,"
      "\"reference_mb_s\":%.0f,\"filter_mb_s\":%.0f,\"pipeline_mb_s\":%.0f,"
      "\"filter_x_ref\":%.3f,\"pipeline_x_ref\":%.3f,\"walk_s\":%.4f,\"walk_mb_s\":%.0f,"
      "\"pipeline_x_walk\":%.3f}\n",
      file.c_str(), megabytes, documents, wanted, static_cast<double>(output_bytes) / 1e6, rounds, ref, fil, pip,
      megabytes / ref, megabytes / fil, megabytes / pip, ref / fil, ref / pip, whole_walk, megabytes / whole_walk,
      whole_walk / pip);
  if (walked == 0) std::abort();  // the walk saw the documents
  return 0;
}
