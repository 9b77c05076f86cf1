// Signing of outgoing alerts per the Standard Webhooks specification
// (https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md), so that receivers
// verify them with that project's existing libraries. Pure functions: the delivery loop supplies the key, the
// message id, the time and the exact bytes it sends.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <boost/system/result.hpp>

namespace gg::gateway {

// A fresh subscription secret: "whsec_" + base64 of 32 random bytes (spec "Signature scheme" table: symmetric
// secrets are 24 to 64 random bytes, base64 encoded, prefixed with `whsec_`). Throws std::runtime_error when the
// system's random generator fails (nothing sensible can be signed then).
std::string new_webhook_secret();

// The raw HMAC key of a "whsec_<base64>" secret, or why it is not one (missing prefix, bad base64, empty key).
// Standard base64 (RFC 4648 section 4); missing trailing '=' padding is tolerated, as the reference libraries do.
boost::system::result<std::string, std::string> secret_key(std::string_view whsec);

// One signature: "v1," + base64(HMAC-SHA256(key, "msg_id.timestamp.body")) (spec "Signature scheme": the content
// signed is `msg_id.timestamp.payload`; `v1` identifies the symmetric scheme). `body` must be the exact bytes
// sent.
std::string sign(std::string_view key_bytes, std::string_view msg_id, std::int64_t timestamp_s,
                 std::string_view body);

// The `webhook-signature` header value: the signatures separated by single spaces (spec "Webhook headers": several
// during a secret rotation, and the receiver accepts any one that verifies).
std::string signature_header(const std::vector<std::string>& signatures);

// The `webhook-id` of an alert: "msg_" + unpadded base64url (RFC 4648 section 5) of the first 18 bytes of
// SHA-256(alert_key). Deterministic, so every retry, re-queue and replay of the same alert carries the same id and
// receivers deduplicate on it (spec "Webhook headers"); free of '.', which the spec forbids in ids.
std::string webhook_id(std::string_view alert_key);

}  // namespace gg::gateway
