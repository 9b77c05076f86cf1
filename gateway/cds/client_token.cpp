#include "gateway/cds/client_token.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <simdjson.h>

#include <array>
#include <cctype>
#include <cmath>
#include <fstream>
#include <sstream>

#include "fhir/url.hpp"

namespace gg::gateway {
namespace {

using Result = boost::system::result<ClientIdentity, std::string>;

Result fail(std::string reason) {
  return Result(boost::system::in_place_error, std::move(reason));
}

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* pointer) const { Free(pointer); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using BignumPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
using ParamBuildPtr = std::unique_ptr<OSSL_PARAM_BLD, Deleter<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>>;
using ParamPtr = std::unique_ptr<OSSL_PARAM, Deleter<OSSL_PARAM, OSSL_PARAM_free>>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX, EVP_MD_CTX_free>>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, Deleter<ECDSA_SIG, ECDSA_SIG_free>>;

// RFC 7518 section 3.3: an RSA key for RS* and PS* is at least 2048 bits.
constexpr int kMinRsaBits = 2048;

struct Algorithm {
  std::string_view name;
  std::string_view kty;
  std::string_view crv;       // EC: the curve the algorithm fixes (RFC 7518 section 3.4)
  std::size_t ec_coordinate;  // EC: bytes of R and of S in the signature
  bool pss;                   // RSASSA-PSS (RFC 7518 section 3.5), salt as long as the digest
  const EVP_MD* (*digest)();
};

// The asymmetric algorithms of RFC 7518 section 3.1. "none" and the HMAC family (HS*) are absent on purpose: the
// specification forbids both ("JWT Signing Algorithm": no unsecured JWS, no symmetric algorithm). ES384 and RS384
// are the two it RECOMMENDS.
constexpr std::array kAlgorithms = {
    Algorithm{"RS256", "RSA", "", 0, false, EVP_sha256},
    Algorithm{"RS384", "RSA", "", 0, false, EVP_sha384},
    Algorithm{"RS512", "RSA", "", 0, false, EVP_sha512},
    Algorithm{"PS256", "RSA", "", 0, true, EVP_sha256},
    Algorithm{"PS384", "RSA", "", 0, true, EVP_sha384},
    Algorithm{"PS512", "RSA", "", 0, true, EVP_sha512},
    Algorithm{"ES256", "EC", "P-256", 32, false, EVP_sha256},
    Algorithm{"ES384", "EC", "P-384", 48, false, EVP_sha384},
    Algorithm{"ES512", "EC", "P-521", 66, false, EVP_sha512},
};

const Algorithm* find_algorithm(std::string_view name) {
  for (const auto& algorithm : kAlgorithms) {
    if (algorithm.name == name) return &algorithm;
  }
  return nullptr;
}

std::string string_member(simdjson::dom::object object, std::string_view key) {
  std::string_view value;
  if (object[key].get_string().get(value) != simdjson::SUCCESS) return {};
  return std::string(value);
}

BignumPtr bignum(const std::string& bytes) {
  return BignumPtr(
      BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()), nullptr));
}

// EVP_PKEY_fromdata (OpenSSL 3, "EVP_PKEY-RSA" and "EVP_PKEY-EC" parameters) from a JWK's members.
PkeyPtr key_from_params(const char* type, OSSL_PARAM_BLD* build) {
  ParamPtr params(OSSL_PARAM_BLD_to_param(build));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0) return nullptr;
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) <= 0) return nullptr;
  PkeyPtr key(raw);
  // An EC point must lie on its curve; a check also refuses an RSA modulus OpenSSL finds unusable.
  PkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) <= 0) return nullptr;
  return key;
}

// RFC 7518 section 6.3.1: n and e, base64url big-endian unsigned integers.
PkeyPtr rsa_key(simdjson::dom::object jwk) {
  const auto n = fhir::base64_decode(string_member(jwk, "n"), true);
  const auto e = fhir::base64_decode(string_member(jwk, "e"), true);
  if (!n || !e || n->empty() || e->empty()) return nullptr;
  BignumPtr bn_n = bignum(*n);
  BignumPtr bn_e = bignum(*e);
  ParamBuildPtr build(OSSL_PARAM_BLD_new());
  if (!bn_n || !bn_e || !build || !OSSL_PARAM_BLD_push_BN(build.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) ||
      !OSSL_PARAM_BLD_push_BN(build.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get())) {
    return nullptr;
  }
  PkeyPtr key = key_from_params("RSA", build.get());
  if (key && EVP_PKEY_get_bits(key.get()) < kMinRsaBits) return nullptr;
  return key;
}

// RFC 7518 section 6.2.1: crv, and x and y each the full coordinate length; the uncompressed point 04 || x || y
// (SEC 1 section 2.3.3) is what OpenSSL takes as the public key.
PkeyPtr ec_key(simdjson::dom::object jwk, const std::string& crv) {
  std::size_t length = 0;
  for (const auto& algorithm : kAlgorithms) {
    if (algorithm.crv == crv) length = algorithm.ec_coordinate;
  }
  const auto x = fhir::base64_decode(string_member(jwk, "x"), true);
  const auto y = fhir::base64_decode(string_member(jwk, "y"), true);
  if (length == 0 || !x || !y || x->size() != length || y->size() != length) return nullptr;
  const std::string point = std::string(1, '\x04') + *x + *y;
  ParamBuildPtr build(OSSL_PARAM_BLD_new());
  if (!build ||
      !OSSL_PARAM_BLD_push_utf8_string(build.get(), OSSL_PKEY_PARAM_GROUP_NAME, crv.c_str(), crv.size()) ||
      !OSSL_PARAM_BLD_push_octet_string(build.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size())) {
    return nullptr;
  }
  return key_from_params("EC", build.get());
}

// RFC 7518 section 3.4: an ECDSA JWS signature is R || S, each of the coordinate length; OpenSSL verifies DER.
std::optional<std::string> ecdsa_der(const std::string& signature, std::size_t coordinate) {
  if (signature.size() != 2 * coordinate) return std::nullopt;
  const auto* bytes = reinterpret_cast<const unsigned char*>(signature.data());
  EcdsaSigPtr sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(bytes, static_cast<int>(coordinate), nullptr);
  BIGNUM* s = BN_bin2bn(bytes + coordinate, static_cast<int>(coordinate), nullptr);
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return std::nullopt;
  }
  const int size = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (size <= 0) return std::nullopt;
  std::string der(static_cast<std::size_t>(size), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  i2d_ECDSA_SIG(sig.get(), &out);
  return der;
}

bool signature_verifies(const Algorithm& algorithm, EVP_PKEY* key, std::string_view signing_input,
                        const std::string& signature) {
  std::string der;
  const std::string* checked = &signature;
  if (algorithm.kty == "EC") {
    auto converted = ecdsa_der(signature, algorithm.ec_coordinate);
    if (!converted) return false;
    der = std::move(*converted);
    checked = &der;
  }
  MdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), &pctx, algorithm.digest(), nullptr, key) != 1) return false;
  if (algorithm.pss && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
                        EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1)) {
    return false;
  }
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(checked->data()), checked->size(),
                          reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size()) == 1;
}

// A NumericDate (RFC 7519 section 2): seconds since the epoch, possibly with a fraction.
std::optional<std::int64_t> numeric_date(simdjson::dom::object payload, std::string_view key) {
  simdjson::dom::element value;
  if (payload[key].get(value) != simdjson::SUCCESS) return std::nullopt;
  std::int64_t whole = 0;
  if (value.get_int64().get(whole) == simdjson::SUCCESS) return whole;
  double fractional = 0;
  if (value.get_double().get(fractional) == simdjson::SUCCESS && std::isfinite(fractional) &&
      std::fabs(fractional) < 1e15) {
    return static_cast<std::int64_t>(std::floor(fractional));
  }
  return std::nullopt;
}

// RFC 7519 section 4.1.3: aud is one string or an array of strings; one of them must be ours.
bool audience_matches(simdjson::dom::object payload, std::string_view audience) {
  simdjson::dom::element aud;
  if (payload["aud"].get(aud) != simdjson::SUCCESS) return false;
  std::string_view single;
  if (aud.get_string().get(single) == simdjson::SUCCESS) return single == audience;
  simdjson::dom::array many;
  if (aud.get_array().get(many) != simdjson::SUCCESS) return false;
  for (auto element : many) {
    std::string_view item;
    if (element.get_string().get(item) == simdjson::SUCCESS && item == audience) return true;
  }
  return false;
}

}  // namespace

boost::system::result<JsonWebKeySet, std::string> JsonWebKeySet::parse(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(json.data(), json.size()).get(root) != simdjson::SUCCESS) return std::string("not JSON");
  simdjson::dom::array keys;
  if (root["keys"].get_array().get(keys) != simdjson::SUCCESS) return std::string("no \"keys\" array");
  JsonWebKeySet set;
  for (auto element : keys) {
    simdjson::dom::object jwk;
    if (element.get_object().get(jwk) != simdjson::SUCCESS) return std::string("a key is not a JSON object");
    JsonWebKey key;
    key.kid = string_member(jwk, "kid");
    key.kty = string_member(jwk, "kty");
    key.alg = string_member(jwk, "alg");
    const std::string use = string_member(jwk, "use");
    if (key.kid.empty() || (!use.empty() && use != "sig")) continue;
    PkeyPtr pkey;
    if (key.kty == "RSA") {
      pkey = rsa_key(jwk);
    } else if (key.kty == "EC") {
      key.crv = string_member(jwk, "crv");
      pkey = ec_key(jwk, key.crv);
    } else {
      continue;
    }
    if (!pkey) return "key \"" + key.kid + "\" is not a usable " + key.kty + " public key";
    if (!key.alg.empty()) {
      const Algorithm* algorithm = find_algorithm(key.alg);
      if (algorithm == nullptr || algorithm->kty != key.kty) {
        return "key \"" + key.kid + "\" names an algorithm this service does not accept";
      }
    }
    if (set.keys_.count(key.kid) != 0) return "kid \"" + key.kid + "\" is not unique";
    key.pkey = std::shared_ptr<void>(pkey.release(), [](void* p) { EVP_PKEY_free(static_cast<EVP_PKEY*>(p)); });
    std::string kid = key.kid;
    set.keys_.emplace(std::move(kid), std::move(key));
  }
  if (set.keys_.empty()) return std::string("no signing key with a kid (kty RSA or EC)");
  return set;
}

boost::system::result<JsonWebKeySet, std::string> JsonWebKeySet::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "cannot read " + path;
  std::stringstream buffer;
  buffer << in.rdbuf();
  auto parsed = parse(buffer.str());
  if (!parsed) return path + ": " + parsed.error();
  return parsed;
}

const JsonWebKey* JsonWebKeySet::find(std::string_view kid) const {
  auto found = keys_.find(kid);
  return found == keys_.end() ? nullptr : &found->second;
}

ClientTokenVerifier::ClientTokenVerifier(std::vector<TrustedIssuer> issuers, ClientTokenPolicy policy)
    : issuers_(std::move(issuers)), policy_(std::move(policy)) {}

Result ClientTokenVerifier::check(std::string_view authorization, std::chrono::sys_seconds now) const {
  // RFC 6750 section 2.1: the scheme is case-insensitive; one space, then the token.
  constexpr std::string_view kScheme = "bearer ";
  if (authorization.size() <= kScheme.size()) return fail("no bearer token (Authorization: Bearer <JWT>)");
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(authorization[i])) != kScheme[i]) {
      return fail("no bearer token (Authorization: Bearer <JWT>)");
    }
  }
  const std::string_view token = authorization.substr(kScheme.size());

  // RFC 7515 section 7.1: compact serialisation, header.payload.signature.
  const auto first = token.find('.');
  const auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return fail("the token is not a compact JWS (three base64url parts)");
  }
  const auto header_json = fhir::base64_decode(token.substr(0, first), true);
  const auto payload_json = fhir::base64_decode(token.substr(first + 1, second - first - 1), true);
  const auto signature = fhir::base64_decode(token.substr(second + 1), true);
  if (!header_json || !payload_json || !signature) return fail("the token is not valid base64url");

  simdjson::dom::parser header_parser;
  simdjson::dom::object header;
  if (header_parser.parse(*header_json).get_object().get(header) != simdjson::SUCCESS) {
    return fail("the token header is not a JSON object");
  }
  const std::string alg = string_member(header, "alg");
  const std::string kid = string_member(header, "kid");
  const std::string typ = string_member(header, "typ");
  const Algorithm* algorithm = find_algorithm(alg);
  if (algorithm == nullptr) return fail("the token's alg is not one this service accepts (RS*, PS*, ES*)");
  if (kid.empty()) return fail("the token header has no kid");
  // "typ" is REQUIRED with the fixed value JWT; RFC 7515 section 4.1.9 compares media types case-insensitively.
  if (typ != "JWT" && typ != "jwt") return fail("the token header's typ is not JWT");

  simdjson::dom::parser payload_parser;
  simdjson::dom::object payload;
  if (payload_parser.parse(*payload_json).get_object().get(payload) != simdjson::SUCCESS) {
    return fail("the token payload is not a JSON object");
  }
  const std::string iss = string_member(payload, "iss");
  const TrustedIssuer* issuer = nullptr;
  for (const auto& candidate : issuers_) {
    if (!iss.empty() && candidate.iss == iss) issuer = &candidate;
  }
  if (issuer == nullptr) return fail("the token's issuer is not trusted");
  const JsonWebKey* key = issuer->keys.find(kid);
  if (key == nullptr) return fail("the token's kid is not in its issuer's JWK Set");
  if (key->kty != algorithm->kty || (algorithm->kty == "EC" && key->crv != algorithm->crv) ||
      (!key->alg.empty() && key->alg != alg)) {
    return fail("the token's alg does not match its key");
  }
  // The signing input is the two encoded parts as sent (RFC 7515 section 5.2 step 8).
  if (!signature_verifies(*algorithm, static_cast<EVP_PKEY*>(key->pkey.get()), token.substr(0, second),
                          *signature)) {
    return fail("the token's signature does not verify");
  }

  // Signed by a trusted client: now its claims (RFC 7519 section 4.1; all five are REQUIRED by CDS Hooks).
  if (!audience_matches(payload, policy_.audience)) return fail("the token's aud is not this service");
  const auto exp = numeric_date(payload, "exp");
  const auto iat = numeric_date(payload, "iat");
  const std::string jti = string_member(payload, "jti");
  if (!exp || !iat || jti.empty()) return fail("the token lacks exp, iat or jti");
  const std::int64_t seconds = now.time_since_epoch().count();
  const std::int64_t leeway = policy_.leeway.count();
  if (*exp + leeway < seconds) return fail("the token has expired");
  if (*exp > seconds + policy_.max_lifetime.count() + leeway) {
    return fail("the token's exp lies more than " + std::to_string(policy_.max_lifetime.count()) +
                " s ahead: this service accepts only short-lived tokens");
  }
  if (*iat > seconds + leeway) return fail("the token's iat lies in the future");
  if (*iat > *exp) return fail("the token's iat lies after its exp");
  return ClientIdentity{iss, kid, jti, string_member(payload, "tenant"), *exp};
}

void ClientTokenVerifier::forget_expired(std::int64_t now) {
  const std::lock_guard lock(replay_mutex_);
  while (!expiry_.empty() && expiry_.begin()->first < now) {
    seen_.erase(expiry_.begin()->second);
    expiry_.erase(expiry_.begin());
  }
}

bool ClientTokenVerifier::remember(const ClientIdentity& identity, std::int64_t until) {
  const std::lock_guard lock(replay_mutex_);
  std::string key = identity.iss + "\n" + identity.jti;
  if (!seen_.emplace(key, until).second) return false;
  expiry_.emplace(until, std::move(key));
  return true;
}

Result ClientTokenVerifier::verify(std::string_view authorization, std::chrono::sys_seconds now) {
  forget_expired(now.time_since_epoch().count());
  auto checked = check(authorization, now);
  if (!checked) return checked;
  // Held until the token could no longer be accepted anyway: exp plus leeway (exp is at most max_lifetime ahead).
  if (!remember(*checked, checked->exp + policy_.leeway.count()))
    return fail("the token was used before (jti replayed)");
  return checked;
}

std::size_t ClientTokenVerifier::remembered_token_ids() const {
  const std::lock_guard lock(replay_mutex_);
  return seen_.size();
}

}  // namespace gg::gateway
