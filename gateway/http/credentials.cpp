#include "gateway/http/credentials.hpp"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <array>

#include "fhir/url.hpp"
#include "gateway/http/outcome_response.hpp"

namespace gg::gateway {
namespace {

using Digest = std::array<unsigned char, SHA256_DIGEST_LENGTH>;

Digest sha256(std::string_view text) {
  Digest digest{};
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest.data());
  return digest;
}

HttpResponse unauthorized(std::string diagnostics, AdminCredential accepted) {
  auto response = operation_outcome_response(401, "login", std::move(diagnostics));
  if (accepted == AdminCredential::bearer_or_basic) {
    response.headers.emplace_back("WWW-Authenticate", R"(Basic realm="gradient-gateway", charset="UTF-8")");
  }
  response.headers.emplace_back("WWW-Authenticate", R"(Bearer realm="gradient-gateway")");
  return response;
}

// The credentials of an `Authorization` header of this scheme ("bearer ", "basic "), trimmed, or nullopt.
std::optional<std::string> credentials_of(const HttpRequest& request, std::string_view scheme) {
  const std::string value = header_value(request, "authorization");
  if (value.size() <= scheme.size() || lower_case(value.substr(0, scheme.size())) != scheme) return std::nullopt;
  std::string credentials = value.substr(scheme.size());
  while (!credentials.empty() && credentials.front() == ' ') credentials.erase(0, 1);
  while (!credentials.empty() && credentials.back() == ' ') credentials.pop_back();
  return credentials;
}

}  // namespace

bool secret_equals(std::string_view given, std::string_view expected) {
  const Digest a = sha256(given);
  const Digest b = sha256(expected);
  const bool same = CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
  return same && !expected.empty();
}

std::optional<std::string> bearer_token(const HttpRequest& request) {
  return credentials_of(request, "bearer ");
}

std::optional<std::string> basic_password(const HttpRequest& request) {
  const auto encoded = credentials_of(request, "basic ");
  if (!encoded) return std::nullopt;
  const auto decoded = fhir::base64_decode(*encoded);
  if (!decoded) return std::nullopt;
  const auto colon = decoded->find(':');
  if (colon == std::string::npos) return std::nullopt;
  return decoded->substr(colon + 1);
}

std::optional<HttpResponse> refuse_unless_admin(const HttpRequest& request, std::string_view admin_token,
                                                AdminCredential accepted) {
  if (admin_token.empty()) {
    return unauthorized(
        "the admin API is closed: no admin token is configured (admin.token_file or "
        "GRADIENT_GATEWAY_ADMIN_TOKEN)",
        accepted);
  }
  auto token = bearer_token(request);
  if (!token && accepted == AdminCredential::bearer_or_basic) token = basic_password(request);
  if (!token) {
    return unauthorized(accepted == AdminCredential::bearer
                            ? "an admin bearer token is required (Authorization: Bearer ...)"
                            : "the admin token is required (Authorization: Bearer ..., or Basic with the token as "
                              "the password)",
                        accepted);
  }
  if (!secret_equals(*token, admin_token)) {
    return unauthorized(accepted == AdminCredential::bearer ? "wrong admin bearer token" : "wrong admin token",
                        accepted);
  }
  return std::nullopt;
}

}  // namespace gg::gateway
