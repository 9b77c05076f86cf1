// Authenticating CDS Clients (CDS Hooks 2.0, "Security and Safety" / "Trusting CDS Clients",
// https://cds-hooks.hl7.org/2.0/#trusting-cds-clients): every service call carries `Authorization: Bearer <JWT>`,
// a JWS (RFC 7515) signed with the client's private key; its `kid` names the public key in the client's JWK Set
// (RFC 7517), exchanged out of band (here: one JWKS file per allowed issuer). The payload's iss, aud, exp, iat and
// jti are required; jti guards against replay.
//
// Verified with OpenSSL 3 directly, not with Debian's libcpp-jwt-dev: that library pulls in nlohmann-json (a third
// JSON library beside simdjson and RapidJSON), takes keys only as PEM (the JWK to EVP_PKEY conversion below would
// be needed anyway), and leaves aud-as-array, jti replay and the allow-list of issuers to the caller: what remains
// of it is the signature check, which is a few EVP calls.
#pragma once

#include <boost/system/result.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gg::gateway {

// One public key of a JWK Set, ready for EVP_DigestVerify.
struct JsonWebKey {
  std::string kid;
  std::string kty;  // "RSA" | "EC"
  std::string alg;  // the key's "alg" member, when it has one: then only that algorithm is accepted with it
  std::string crv;  // EC: "P-256" | "P-384" | "P-521"
  std::shared_ptr<void> pkey;  // EVP_PKEY*, freed with EVP_PKEY_free (void: no OpenSSL type in this header)
};

// A JWK Set (RFC 7517 section 5): the signing keys by kid. Keys of other types (oct, OKP), keys whose "use" is
// not "sig" and keys without a kid are left out: a CDS Client's kid is REQUIRED and unique in its set.
class JsonWebKeySet {
 public:
  // The set, or what is wrong with the JSON (no key data in the message).
  static boost::system::result<JsonWebKeySet, std::string> parse(std::string_view json);
  static boost::system::result<JsonWebKeySet, std::string> load(const std::string& path);

  const JsonWebKey* find(std::string_view kid) const;
  std::size_t size() const { return keys_.size(); }

 private:
  std::map<std::string, JsonWebKey, std::less<>> keys_;
};

struct TrustedIssuer {
  std::string iss;  // compared exactly with the token's iss
  JsonWebKeySet keys;
};

struct ClientTokenPolicy {
  std::string audience;  // the service endpoint URL the client calls: the token's aud must name it
  // Clock-skew leeway, applied to exp (accepted until exp + leeway) and iat (not after now + leeway).
  std::chrono::seconds leeway{60};
  // The furthest exp may lie ahead of now (plus leeway): an authentication JWT is short-lived, as in SMART Backend
  // Services' client assertion (exp no more than five minutes in the future), so a stolen token is soon useless
  // and the replay cache stays small.
  std::chrono::seconds max_lifetime{300};
};

// What a verified token says about its client (no patient data).
struct ClientIdentity {
  std::string iss;
  std::string kid;
  std::string jti;
  std::string tenant;    // optional claim
  std::int64_t exp = 0;  // epoch seconds
};

class ClientTokenVerifier {
 public:
  ClientTokenVerifier(std::vector<TrustedIssuer> issuers, ClientTokenPolicy policy);

  // Verifies the value of an Authorization header ("Bearer <JWT>") at time `now`. The error says what failed
  // (safe to answer to the caller: no key material, no claim values). Thread-safe.
  boost::system::result<ClientIdentity, std::string> verify(std::string_view authorization,
                                                            std::chrono::sys_seconds now);

  std::size_t remembered_token_ids() const;

 private:
  boost::system::result<ClientIdentity, std::string> check(std::string_view authorization,
                                                           std::chrono::sys_seconds now) const;
  void forget_expired(std::int64_t now);
  // False when (iss, jti) is held already.
  bool remember(const ClientIdentity& identity, std::int64_t until);

  std::vector<TrustedIssuer> issuers_;
  ClientTokenPolicy policy_;
  // The replay cache: in memory, so it is per process and forgets on restart. That is enough because a token is
  // accepted only until exp + leeway and exp is at most max_lifetime ahead: each (iss, jti) is held exactly as
  // long as its token could still be accepted, then dropped. Several gateway replicas behind one URL would need a
  // shared cache.
  mutable std::mutex replay_mutex_;                  // guards the two maps below
  std::map<std::string, std::int64_t> seen_;         // iss + "\n" + jti -> until (epoch seconds)
  std::multimap<std::int64_t, std::string> expiry_;  // until -> key of seen_, to drop the expired
};

}  // namespace gg::gateway
