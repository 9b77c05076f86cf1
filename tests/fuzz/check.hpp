// The fuzz targets' assertion: a broken property is printed (expression and line, to stderr, where libFuzzer's log
// has it next to the input) and then __builtin_trap(), which libFuzzer reports as a crash ("deadly signal").
#pragma once

#include <cstdio>

namespace gg::fuzz {

[[noreturn]] inline void property_broken(const char* expression, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: property broken: %s\n", file, line, expression);
  std::fflush(stderr);
  __builtin_trap();
}

}  // namespace gg::fuzz

#define GG_FUZZ_CHECK(expression) \
  ((expression) ? static_cast<void>(0) : ::gg::fuzz::property_broken(#expression, __FILE__, __LINE__))
