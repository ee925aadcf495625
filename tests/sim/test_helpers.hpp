#pragma once
// Shared helpers of the tests in tests/sim: scratch directories, capturing expected errors, and
// running the real `cimba` binary.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "models/common/error.hpp"

namespace cimba::sim::testing {

/// A fresh directory under the system temp dir, removed at the end of the test.
class ScratchDir {
 public:
  ScratchDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = std::filesystem::temp_directory_path() /
            ("cimba_sim_test_" + std::to_string(::getpid()) + "_" + info->test_suite_name() + "_" +
             info->name());
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }

  /// Writes `content` to `name` inside the directory and returns its path.
  std::filesystem::path write(const std::string& name, const std::string& content) const {
    const auto file = path_ / name;
    std::ofstream(file, std::ios::binary) << content;
    return file;
  }

 private:
  std::filesystem::path path_;
};

inline std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

/// The message of the `Expected` error `action` throws; fails the test if it throws nothing.
template <class Expected>
std::string error_message(const std::function<void()>& action) {
  try {
    action();
  } catch (const Expected& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected an exception, none was thrown";
  return "";
}

/// What a run of the `cimba` binary gave.
struct Outcome {
  int exit_code = -1;  // -1: did not exit normally
  std::string out;     // stdout
  std::string err;     // stderr
};

/// Runs `cimba <args>` (CIMBA_BINARY) through the shell, so `args` are shell words (quote paths),
/// and captures both streams; stderr passes through `stderr.txt` in `dir`.
inline Outcome run_cimba(const ScratchDir& dir, const std::string& args) {
  const auto err_file = dir.path() / "stderr.txt";
  const std::string command =
      "'" + std::string(CIMBA_BINARY) + "' " + args + " 2>'" + err_file.string() + "'";
  Outcome outcome;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    ADD_FAILURE() << "popen failed: " << command;
    return outcome;
  }
  char buffer[4096];
  std::size_t n;
  while ((n = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0) outcome.out.append(buffer, n);
  const int status = ::pclose(pipe);
  outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  outcome.err = read_text(err_file);
  return outcome;
}

}  // namespace cimba::sim::testing
