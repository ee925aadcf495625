#pragma once
// Helpers shared by the Mamba tests: small configurations and temporary model folders.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "workloads/mamba1/mamba_model.hpp"

namespace cimba::workloads::test {

/// A small Mamba1 config (2 layers) for fast loader and forward tests.
inline MambaConfig tiny_mamba_config() {
  MambaConfig c;
  c.hidden_size = 16;
  c.intermediate_size = 32;
  c.state_size = 4;
  c.time_step_rank = 2;
  c.conv_kernel = 4;
  c.num_hidden_layers = 2;
  c.vocab_size = 20;
  return c;
}

/// A fresh, empty directory under the system temp dir, removed by the destructor.
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = std::filesystem::temp_directory_path() /
            ("cimba_" + std::string(info ? info->name() : "test") + "_" +
             std::to_string(::getpid()) + "_" + std::to_string(counter()++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  static int& counter() {
    static int n = 0;
    return n;
  }
  std::filesystem::path path_;
};

}  // namespace cimba::workloads::test
