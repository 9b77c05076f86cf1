// SMART Backend Services (SMART App Launch 2.x, "Backend Services",
// https://hl7.org/fhir/smart-app-launch/backend-services.html): a client with no user authenticates to the FHIR
// server's authorization server with the OAuth 2.0 client credentials grant (RFC 6749 section 4.4), proving who it
// is by a JWT signed with its private key (RFC 7523 section 2.2, "private_key_jwt"), and sends the access token it
// gets as `Authorization: Bearer` until the token expires.
//
// This header holds the pure parts: the signing key, the assertion, the token request's body, and reading the
// discovery document and the token response. fhir/smart_token_source.hpp does the requests and keeps the token.
#pragma once

#include <boost/system/result.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace gg::fhir {

struct SmartBackendOptions {
  std::string client_id;        // empty: SMART Backend Services are not used
  std::string private_key_pem;  // secret: RSA of 2048 bits or more (signs RS384), or EC P-384 (signs ES384)
  std::string key_id;           // the assertion's `kid`: the key's id in the JWK Set registered for the client
  // The scopes asked for, space-separated: by default read and search, create and update of every type (SMART
  // v2 scopes; the gateway never deletes). Empty: none asked for, the server grants what it registered.
  std::string scope = "system/*.rs system/*.cu";
  std::string token_endpoint;  // empty: token_endpoint of {base_url}/.well-known/smart-configuration
  // How far ahead of now each assertion's exp lies; the specification allows at most five minutes.
  std::chrono::seconds assertion_lifetime{300};
  // A token is renewed once less than this is left of its lifetime (at most half its lifetime, so a token that
  // lives 10 s is renewed after 5 s), and on a 401 from the FHIR server whatever is left.
  std::chrono::seconds refresh_margin{30};

  [[nodiscard]] bool enabled() const { return !client_id.empty(); }
};

// A private key that signs client assertions: RS384 with an RSA key, ES384 with an EC P-384 key (the two
// algorithms SMART Backend Services requires servers to support).
class AssertionSigner {
 public:
  // The signer, or what is wrong with the PEM text (no key material in the message).
  static boost::system::result<AssertionSigner, std::string> from_pem(std::string_view pem);

  const std::string& algorithm() const { return algorithm_; }  // "RS384" | "ES384"

  // A compact JWS (RFC 7515 section 7.1) over `claims`, a JSON object's text, with the protected header
  // {"alg":algorithm(),"typ":"JWT","kid":kid}. ES384's signature is R || S, 48 bytes each (RFC 7518 section 3.4).
  // Throws std::runtime_error when OpenSSL fails to sign.
  std::string sign(std::string_view kid, std::string_view claims) const;

 private:
  AssertionSigner(std::shared_ptr<void> key, std::string algorithm);
  std::shared_ptr<void> key_;  // EVP_PKEY*, freed with EVP_PKEY_free (void: no OpenSSL type in this header)
  std::string algorithm_;
};

// The claims of one client assertion (SMART Backend Services, "Authentication JWT"): iss and sub are the client
// id, aud the token endpoint's URL, exp in seconds since the epoch, jti never used before.
struct AssertionClaims {
  std::string client_id;
  std::string audience;
  std::int64_t expires_at = 0;
  std::string jti;
};
std::string assertion_claims_json(const AssertionClaims& claims);

// 32 lower-case hex digits from OpenSSL's random generator: a jti. Throws std::runtime_error when it fails.
std::string random_jti();

// The token request's application/x-www-form-urlencoded body (RFC 6749 section 4.4.2, RFC 7523 section 2.2).
std::string token_request_body(std::string_view scope, std::string_view assertion);

// `token_endpoint` of a .well-known/smart-configuration document; an error when it has none, or when it says the
// server takes neither private_key_jwt nor the signer's algorithm (`algorithm`; only checked when it lists them).
boost::system::result<std::string, std::string> smart_token_endpoint(std::string_view json,
                                                                     std::string_view algorithm);

// A successful token response (RFC 6749 section 5.1): token_type must be "bearer" (any case).
struct TokenGrant {
  std::string access_token;
  std::optional<std::chrono::seconds> expires_in;  // absent: the token is used until the server refuses it
  std::string scope;                               // what was granted, when the server says
};
boost::system::result<TokenGrant, std::string> parse_token_response(std::string_view json);

// How long after it was asked for a token that lives `expires_in` is renewed: `margin` before it expires, and at
// the latest halfway through its lifetime.
std::chrono::seconds renew_after(std::chrono::seconds expires_in, std::chrono::seconds margin);

// An error response (RFC 6749 section 5.2) as "invalid_client: <error_description>", printable ASCII only and at
// most 300 characters; empty when the body is not one.
std::string token_error_text(std::string_view json);

}  // namespace gg::fhir
