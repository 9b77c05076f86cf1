// The pages' bundle (docs/ui.md): the script and style sheet that ui/ builds with esbuild from ui/src, embedded in
// the binary by ui/CMakeLists.txt (ui/embed.cmake writes their bytes into a generated source of the gg_ui_assets
// library). The page's HTML holds both inline, and its Content-Security-Policy allows exactly these bytes by their
// SHA-256 hashes. Static data: the views are valid for the whole run of the process.
#pragma once

#include <string_view>

namespace gg::gateway::ui {

// ui.js: one minified IIFE (Observable Plot and the page code), UTF-8, no source map.
std::string_view script();
// ui.css: the pages' style sheet, UTF-8.
std::string_view style();

}  // namespace gg::gateway::ui
