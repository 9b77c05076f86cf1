// A problem found while validating hormone knowledge (catalogue, gradient rules, target ranges). The path is in
// the terms of the data ("analytes[1].loinc[0].code"); the gateway's loader turns it into a file location.
#pragma once

#include <string>

namespace gg::analytics {

struct KnowledgeProblem {
  std::string path;
  std::string message;
  friend bool operator==(const KnowledgeProblem&, const KnowledgeProblem&) = default;
};

}  // namespace gg::analytics
