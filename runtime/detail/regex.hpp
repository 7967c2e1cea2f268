#pragma once

// Includes <regex> for Drover's code. GCC 12 reports false -Wmaybe-uninitialized warnings
// inside <regex> when optimizing with sanitizers (GCC PR 105616); the pragma covers the
// header's code wherever it is inlined.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <regex>
#pragma GCC diagnostic pop
#else
#include <regex>
#endif
