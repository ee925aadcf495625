#pragma once
// The data-backed tests read ../shared/data (the real models, their golden files, the numerics
// goldens, MNIST, TinyShakespeare): CI has it, a clone of the repository alone does not. Without
// it they skip, naming what they need (README, "Tests", says how to run them).
#include <gtest/gtest.h>

#include <filesystem>

/// Skips the test unless `needed` (a file or folder of the shared data) exists.
#define CIMBA_SKIP_WITHOUT_SHARED_DATA(needed)                                               \
  if (!std::filesystem::exists(needed))                                                      \
  GTEST_SKIP() << "needs " << std::filesystem::path(needed).string()                         \
               << " (shared data, not in the repository: ../shared/data, or configure with " \
                  "-DCIMBA_SHARED_DATA_DIR=...)"
