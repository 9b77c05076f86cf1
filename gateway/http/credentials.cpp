#include "gateway/http/credentials.hpp"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <array>

#include "gateway/http/outcome_response.hpp"

namespace gg::gateway {
namespace {

using Digest = std::array<unsigned char, SHA256_DIGEST_LENGTH>;

Digest sha256(std::string_view text) {
  Digest digest{};
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest.data());
  return digest;
}

HttpResponse unauthorized(std::string diagnostics) {
  auto response = operation_outcome_response(401, "login", std::move(diagnostics));
  response.headers.emplace_back("WWW-Authenticate", R"(Bearer realm="gradient-gateway")");
  return response;
}

}  // namespace

bool secret_equals(std::string_view given, std::string_view expected) {
  const Digest a = sha256(given);
  const Digest b = sha256(expected);
  const bool same = CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
  return same && !expected.empty();
}

std::optional<std::string> bearer_token(const HttpRequest& request) {
  const std::string value = header_value(request, "authorization");
  constexpr std::string_view kScheme = "bearer ";
  if (value.size() <= kScheme.size() || lower_case(value.substr(0, kScheme.size())) != kScheme)
    return std::nullopt;
  std::string token = value.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.erase(0, 1);
  while (!token.empty() && token.back() == ' ') token.pop_back();
  return token;
}

std::optional<HttpResponse> refuse_unless_admin(const HttpRequest& request, std::string_view admin_token) {
  if (admin_token.empty()) {
    return unauthorized(
        "the admin API is closed: no admin token is configured (admin.token_file or "
        "GRADIENT_GATEWAY_ADMIN_TOKEN)");
  }
  const auto token = bearer_token(request);
  if (!token) return unauthorized("an admin bearer token is required (Authorization: Bearer ...)");
  if (!secret_equals(*token, admin_token)) return unauthorized("wrong admin bearer token");
  return std::nullopt;
}

}  // namespace gg::gateway
