// For the fuzz targets that run commands through the in-process harness (tests/server/
// harness.h): the harness checks its own expectations with doctest assertions, which outside a
// doctest run need a context to report to. InstallAssertHandler gives them one whose failures
// print the assertion and abort, so libFuzzer keeps the input as a crash. Call it once, before
// the first Harness is made (LLVMFuzzerInitialize).
#pragma once

namespace runnel::fuzz {

void InstallAssertHandler();

}  // namespace runnel::fuzz
