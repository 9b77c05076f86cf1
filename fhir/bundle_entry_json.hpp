// Decoding a Bundle and keeping each entry's resource as the bytes it arrived as, in the same pass: for a caller
// that stores what it received (a notification Bundle's resources) and must not re-serialise them only to decode
// them again later.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "fhir/json_codec.hpp"

namespace gg::fhir {

// As decode_bundle; when entry_json is not null it receives one string per Bundle.entry, in order: the entry's
// resource exactly as in json (from its "{" to its "}"), or "" when the entry has no resource or it did not
// decode.
DecodeResult<Bundle> decode_bundle_keeping_entry_json(std::string_view json, const DecodeOptions& options,
                                                      std::vector<std::string>* entry_json);

}  // namespace gg::fhir
