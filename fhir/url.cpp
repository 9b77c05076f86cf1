#include "fhir/url.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <charconv>

namespace gg::fhir {

namespace {

constexpr std::uint16_t default_port(std::string_view scheme) {
  return scheme == "https" ? 443 : 80;
}

bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_hex(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string to_lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), lower);
  return out;
}

// Control characters and spaces can split a request line or smuggle a header: they are refused, never encoded.
bool has_control_or_space(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte <= 0x20 || byte == 0x7f;
  });
}

// Bytes above 0x7f (UTF-8 in a search value) are percent-encoded (RFC 3986 section 2.1); the rest is kept.
std::string encode_non_ascii(std::string_view text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x80) {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(hex[byte >> 4]);
      out.push_back(hex[byte & 0x0f]);
    }
  }
  return out;
}

std::string_view without_fragment(std::string_view text) {
  return text.substr(0, text.find('#'));
}

// RFC 3986 section 3.1: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ), followed by ":".
bool has_scheme(std::string_view text) {
  if (text.empty() || !is_alpha(text.front())) return false;
  for (const char c : text) {
    if (c == ':') return true;
    if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '-' && c != '.') return false;
  }
  return false;
}

bool valid_reg_name(std::string_view host) {
  return !host.empty() && std::all_of(host.begin(), host.end(), [](char c) {
    return is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c == '_';
  });
}

bool valid_ipv6_literal(std::string_view host) {
  return host.find(':') != std::string_view::npos &&
         std::all_of(host.begin(), host.end(), [](char c) { return is_hex(c) || c == ':' || c == '.'; });
}

std::optional<std::uint16_t> parse_port(std::string_view text, std::string_view scheme) {
  if (text.empty()) return default_port(scheme);  // "host:" is allowed by RFC 3986 section 3.2.3
  if (text.size() > 5 || !std::all_of(text.begin(), text.end(), is_digit)) return std::nullopt;
  unsigned value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  if (value == 0 || value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

std::string_view path_of(std::string_view target) {
  return target.substr(0, target.find('?'));
}

}  // namespace

std::string Url::authority() const {
  std::string out = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  if (port != default_port(scheme)) out += ":" + std::to_string(port);
  return out;
}

std::string Url::origin() const {
  const std::string bracketed = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return scheme + "://" + bracketed + ":" + std::to_string(port);
}

bool Url::same_origin(const Url& other) const {
  return scheme == other.scheme && host == other.host && port == other.port;
}

std::optional<Url> parse_url(std::string_view text) {
  if (has_control_or_space(text)) return std::nullopt;
  const auto scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos) return std::nullopt;
  Url url;
  url.scheme = to_lower(text.substr(0, scheme_end));
  if (url.scheme != "http" && url.scheme != "https") return std::nullopt;

  const std::string_view rest = without_fragment(text.substr(scheme_end + 3));
  const auto authority_end = rest.find_first_of("/?");
  const std::string_view authority = rest.substr(0, authority_end);
  // User information is deprecated for http(s) (RFC 9110 section 4.2.4) and is how "https://good@evil" deceives.
  if (authority.find('@') != std::string_view::npos) return std::nullopt;

  std::string_view host;
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = authority.substr(1, close - 1);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty() && after.front() != ':') return std::nullopt;
    if (!after.empty()) port = after.substr(1);
    if (!valid_ipv6_literal(host)) return std::nullopt;
  } else {
    const auto colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
    if (!valid_reg_name(host)) return std::nullopt;
  }
  url.host = to_lower(host);
  const auto parsed_port = parse_port(port, url.scheme);
  if (!parsed_port) return std::nullopt;
  url.port = *parsed_port;

  const std::string_view target = authority_end == std::string_view::npos ? "" : rest.substr(authority_end);
  url.target = encode_non_ascii(target);
  if (url.target.empty() || url.target.front() != '/') url.target.insert(0, "/");
  return url;
}

ResolvedTarget resolve_target(const Url& base, std::string_view reference) {
  reference = without_fragment(reference);
  if (has_control_or_space(reference)) return {std::nullopt, "target contains control characters or spaces"};

  if (reference.starts_with("//") || has_scheme(reference)) {
    const std::string absolute =
        reference.starts_with("//") ? base.scheme + ":" + std::string(reference) : std::string(reference);
    const auto url = parse_url(absolute);
    if (!url) return {std::nullopt, "target is not a valid http or https URL"};
    if (!url->same_origin(base)) return {std::nullopt, "target is on another origin (" + url->origin() + ")"};
    return {url->target, {}};
  }

  const std::string_view base_path = path_of(base.target);
  std::string target;
  if (reference.starts_with('/')) {
    target = reference;
  } else if (reference.starts_with('?')) {
    target = std::string(base_path) + std::string(reference);
  } else {
    target = base_path;
    if (!reference.empty()) {
      if (!target.ends_with('/')) target += '/';
      target += reference;
    }
  }
  return {encode_non_ascii(target), {}};
}

std::string base64(std::string_view bytes, bool url) {
  std::string encoded(4 * ((bytes.size() + 2) / 3), '\0');
  // EVP_EncodeBlock writes a terminating NUL too: size() + 1 bytes are there (std::string's own terminator).
  const int written =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                      reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  encoded.resize(static_cast<std::size_t>(written));
  if (url) {
    while (!encoded.empty() && encoded.back() == '=') encoded.pop_back();
    std::replace(encoded.begin(), encoded.end(), '+', '-');
    std::replace(encoded.begin(), encoded.end(), '/', '_');
  }
  return encoded;
}

std::optional<std::string> base64_decode(std::string_view text, bool url) {
  if (!url) {
    const auto end = text.find_last_not_of('=');
    const std::size_t padding = end == std::string_view::npos ? text.size() : text.size() - end - 1;
    if (padding > 2 || (padding != 0 && text.size() % 4 != 0)) return std::nullopt;
    text.remove_suffix(padding);
  }
  if (text.size() % 4 == 1) return std::nullopt;
  const auto value_of = [url](char ch) {
    if (ch >= 'A' && ch <= 'Z') return ch - 'A';
    if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9') return ch - '0' + 52;
    if (ch == (url ? '-' : '+')) return 62;
    if (ch == (url ? '_' : '/')) return 63;
    return -1;
  };
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t buffer = 0;
  int bits = 0;
  for (const char ch : text) {
    const int value = value_of(ch);
    if (value < 0) return std::nullopt;
    buffer = (buffer << 6) | static_cast<std::uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  if ((buffer & ((1U << bits) - 1)) != 0) return std::nullopt;
  return out;
}

std::string percent_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const unsigned char ch : text) {
    if (std::isalnum(ch) != 0 || ch == '-' || ch == '_' || ch == '.' || ch == '~') {
      out += static_cast<char>(ch);
    } else {
      out += '%';
      out += kHex[ch >> 4];
      out += kHex[ch & 15];
    }
  }
  return out;
}

bool is_resource_type_name(std::string_view type) {
  return !type.empty() && type.size() <= 64 && type.front() >= 'A' && type.front() <= 'Z' &&
         std::all_of(type.begin(), type.end(),
                     [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); });
}

bool is_resource_id(std::string_view id) {
  // "." and ".." match the pattern but are dot segments (RFC 3986 section 5.2.4): [type]/.. addresses the base.
  if (id == "." || id == "..") return false;
  return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
  });
}

}  // namespace gg::fhir
