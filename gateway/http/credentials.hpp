// Shared-secret checks on the HTTP side: the notification endpoint's header secret and the admin API's bearer
// token. Compared in constant time, so a secret cannot be guessed byte by byte from response times.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "gateway/http/message.hpp"

namespace gg::gateway {

// True when `given` equals `expected` and `expected` is not empty (an unset secret opens nothing). Both are hashed
// (SHA-256) before CRYPTO_memcmp, so the time taken depends on neither where they differ nor the expected length.
bool secret_equals(std::string_view given, std::string_view expected);

// The token of an `Authorization: Bearer <token>` header (RFC 6750 section 2.1; the scheme is case-insensitive),
// or nullopt when the header is absent or of another scheme.
std::optional<std::string> bearer_token(const HttpRequest& request);

// The password of an `Authorization: Basic <base64(user:password)>` header (RFC 7617 section 2; the scheme is
// case-insensitive), or nullopt when the header is absent, of another scheme, or not valid base64 with a colon.
std::optional<std::string> basic_password(const HttpRequest& request);

// How the admin token may come: as a bearer token (the APIs), or also as HTTP Basic's password with any user name
// (the pages, docs/ui.md: a browser sends Basic by itself once asked).
enum class AdminCredential { bearer, bearer_or_basic };

// The admin gate (every /admin/..., /alerts/... and /ui/... route): nothing when the request carries the admin
// token, otherwise a 401 OperationOutcome with `WWW-Authenticate: Bearer` (RFC 6750 section 3), preceded for the
// pages by `WWW-Authenticate: Basic` (RFC 7617 section 2, so that a browser asks for it): the token is missing,
// wrong, or none is configured (the admin API is then closed).
std::optional<HttpResponse> refuse_unless_admin(const HttpRequest& request, std::string_view admin_token,
                                                AdminCredential accepted = AdminCredential::bearer);

}  // namespace gg::gateway
