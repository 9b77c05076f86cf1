// The pages' HTML (docs/ui.md): one document with the bundle's style and script inline (gateway/ui/assets.hpp) and
// a Content-Security-Policy that allows exactly them by their SHA-256 hashes. The served pages hold no patient
// data: their script fetches its JSON with the browser's credentials. The offline report carries its data in a
// <script type="application/json"> element and may fetch nothing.
#pragma once

#include <string>
#include <string_view>

#include "gateway/http/message.hpp"

namespace gg::gateway {

enum class PageKind { patient, status, report };

// The document. `api` is the JSON the page fetches (patient and status); `data` the report's JSON array.
std::string page_html(PageKind kind, std::string_view title, std::string_view api, std::string_view data = {});

// The same document around its data, for a report written as its patients come: before_data, then the data
// (each piece through script_data()), then after_data.
struct PageParts {
  std::string before_data;
  std::string after_data;
};
PageParts page_parts(PageKind kind, std::string_view title, std::string_view api);

// JSON as the text of a <script type="application/json"> element: every '<' written as \u003c (the same string
// to a JSON reader), so that no text in it can end the element or open a comment.
std::string script_data(std::string_view json);

// The Content-Security-Policy of a page of this kind: the script's and the style's hashes, connect-src 'self' for
// the served pages and 'none' for the report, nothing else from anywhere.
std::string content_security_policy(PageKind kind);

// A served page: 200 text/html with its policy (and frame-ancestors 'none', which only a header can say) and
// headers that keep it out of caches.
HttpResponse page_response(PageKind kind, std::string_view title, std::string_view api);

}  // namespace gg::gateway
