// doctest's implementation lives here (the harness is compiled into the fuzz targets without
// doctest_main.cc, which brings a main() of its own).
#define DOCTEST_CONFIG_IMPLEMENT
#include "fuzz/harness_support.h"

#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>

namespace runnel::fuzz {
namespace {

void AbortOnFailure(const doctest::AssertData& ad) {
  std::fprintf(stderr, "%s:%d: harness assertion failed: %s %s\n", ad.m_file, ad.m_line, ad.m_expr,
               ad.m_decomp.c_str());
  std::abort();
}

}  // namespace

void InstallAssertHandler() {
  static doctest::Context context;  // lives as long as the process; asserts report to it
  context.setAsDefaultForAssertsOutOfTestCases();
  context.setAssertHandler(AbortOnFailure);
}

}  // namespace runnel::fuzz
