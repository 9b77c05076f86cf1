#include "gateway/ui/page.hpp"

#include <openssl/sha.h>

#include <array>

#include "fhir/url.hpp"
#include "gateway/ui/assets.hpp"

namespace gg::gateway {
namespace {

// CSP Level 3, section 2.3.1 (hash-source): 'sha256-' and the base64 of the digest of the element's text.
std::string hash_source(std::string_view text) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest.data());
  return "'sha256-" + fhir::base64(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size())) +
         "'";
}

std::string_view kind_name(PageKind kind) {
  switch (kind) {
    case PageKind::patient:
      return "patient";
    case PageKind::status:
      return "status";
    case PageKind::report:
      break;
  }
  return "report";
}

// Text for an HTML attribute value in double quotes or for element content.
std::string escape_html(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace

std::string content_security_policy(PageKind kind) {
  static const std::string script_hash = hash_source(ui::script());
  static const std::string style_hash = hash_source(ui::style());
  return "default-src 'none'; script-src " + script_hash + "; style-src " + style_hash +
         "; img-src data:; connect-src " + (kind == PageKind::report ? "'none'" : "'self'") +
         "; base-uri 'none'; form-action 'none'";
}

PageParts page_parts(PageKind kind, std::string_view title, std::string_view api) {
  PageParts parts;
  std::string& html = parts.before_data;
  html.reserve(ui::style().size() + 1024);
  html += "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">";
  html += R"(<meta name="viewport" content="width=device-width">)";
  // The policy in the document too: a report opened from a file has no headers, and a saved page keeps it.
  html += R"(<meta http-equiv="Content-Security-Policy" content=")" + escape_html(content_security_policy(kind)) +
          R"(">)";
  html += "<title>" + escape_html(title) + "</title><style>";
  html += ui::style();
  html += R"(</style></head><body><main id="gg-root" data-page=")";
  html += kind_name(kind);
  html += "\"";
  if (!api.empty()) html += R"( data-api=")" + escape_html(api) + "\"";
  html += "></main>";
  if (kind == PageKind::report) html += R"(<script type="application/json" id="gg-data">)";
  std::string& tail = parts.after_data;
  tail.reserve(ui::script().size() + 64);
  if (kind == PageKind::report) tail += "</script>";
  tail += "<script>";
  tail += ui::script();
  tail += "</script></body></html>\n";
  return parts;
}

std::string script_data(std::string_view json) {
  std::string out;
  out.reserve(json.size());
  for (const char c : json) {
    if (c == '<') {
      out += "\\u003c";
    } else {
      out += c;
    }
  }
  return out;
}

std::string page_html(PageKind kind, std::string_view title, std::string_view api, std::string_view data) {
  auto parts = page_parts(kind, title, api);
  if (kind == PageKind::report) parts.before_data += script_data(data);
  return parts.before_data + parts.after_data;
}

HttpResponse page_response(PageKind kind, std::string_view title, std::string_view api) {
  HttpResponse response{200, "text/html; charset=utf-8", page_html(kind, title, api), {}};
  // frame-ancestors only works in the header (CSP Level 3, section 6.4.2: a <meta> policy ignores it).
  response.headers.emplace_back("Content-Security-Policy",
                                content_security_policy(kind) + "; frame-ancestors 'none'");
  response.headers.emplace_back("Cache-Control", "no-store");
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  response.headers.emplace_back("Referrer-Policy", "no-referrer");
  return response;
}

}  // namespace gg::gateway
