// The identity of a resource the gateway writes: a stable hash of what it was computed from, as the identifier
// value of its conditional create and as its fullUrl in the transaction. The same key gives the same identity in
// every release, so a retry or a duplicate notification finds what was written before.
#pragma once

#include <string>
#include <string_view>

namespace gg::gateway {

struct StableIdentity {
  std::string identifier_value;  // 32 hex digits of SHA-256
  std::string full_url;          // "urn:uuid:..." (RFC 9562 version 8, from the same hash)
};
StableIdentity stable_identity(std::string_view key);
// The identity of the key `prefix` followed by `key` (the same as stable_identity of the two joined), without
// joining them.
StableIdentity stable_identity(std::string_view prefix, std::string_view key);

}  // namespace gg::gateway
