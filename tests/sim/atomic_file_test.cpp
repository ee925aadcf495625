// Atomic writes: content lands whole, no temp files stay behind, failures name the path.
#include "sim/atomic_file.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "models/common/error.hpp"
#include "test_helpers.hpp"

namespace cimba::sim {
namespace {

using testing::error_message;
using testing::read_text;
using testing::ScratchDir;

/// Names of the entries of `dir`, sorted.
std::vector<std::string> listing(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

TEST(AtomicFile, WritesAndReplacesWithoutLeavingTemps) {
  ScratchDir dir;
  const auto file = dir.path() / "result.json";
  write_file_atomic(file, "first");
  EXPECT_EQ(read_text(file), "first");
  write_file_atomic(file, std::string(100000, 'x'));
  EXPECT_EQ(read_text(file), std::string(100000, 'x'));
  write_file_atomic(file, "");
  EXPECT_EQ(read_text(file), "");
  EXPECT_EQ(listing(dir.path()), std::vector<std::string>{"result.json"});
}

TEST(AtomicFile, CreatesTheParentDirectory) {
  ScratchDir dir;
  const auto file = dir.path() / "runs" / "a" / "layers.csv";
  write_file_atomic(file, "m,k\n");
  EXPECT_EQ(read_text(file), "m,k\n");
}

TEST(AtomicFile, UnwritableDirectoryIsAnIoErrorNamingThePath) {
  ScratchDir dir;
  dir.write("blocker", "a file where a directory should be");
  const auto file = dir.path() / "blocker" / "result.json";
  const std::string message = error_message<IoError>([&] { write_file_atomic(file, "x"); });
  EXPECT_NE(message.find((dir.path() / "blocker").string()), std::string::npos) << message;
  EXPECT_EQ(listing(dir.path()), std::vector<std::string>{"blocker"});
  EXPECT_NE(error_message<IoError>([&] {
              create_output_directory(dir.path() / "blocker");
            }).find("not a directory"),
            std::string::npos);
}

TEST(AtomicFile, RenameOntoADirectoryFailsAndRemovesTheTemp) {
  ScratchDir dir;
  std::filesystem::create_directories(dir.path() / "result.json" / "inside");
  const std::string message =
      error_message<IoError>([&] { write_file_atomic(dir.path() / "result.json", "x"); });
  EXPECT_NE(message.find("result.json"), std::string::npos) << message;
  EXPECT_EQ(listing(dir.path()), std::vector<std::string>{"result.json"});
}

TEST(AtomicFile, FileSetWritesNothingWhenOneFileFails) {
  ScratchDir dir;
  write_file_atomic(dir.path() / "result.json", "old");
  dir.write("blocker", "");
  const std::string message = error_message<IoError>([&] {
    write_files_atomic(
        {{dir.path() / "result.json", "new"}, {dir.path() / "blocker" / "layers.csv", "new"}});
  });
  EXPECT_NE(message.find("blocker"), std::string::npos) << message;
  EXPECT_EQ(read_text(dir.path() / "result.json"), "old");  // the first file was not committed
  EXPECT_EQ(listing(dir.path()), (std::vector<std::string>{"blocker", "result.json"}));
}

TEST(AtomicFile, FileSetCommitsEveryFile) {
  ScratchDir dir;
  write_files_atomic({{dir.path() / "result.json", "{}"}, {dir.path() / "layers.csv", "a\n"}});
  EXPECT_EQ(read_text(dir.path() / "result.json"), "{}");
  EXPECT_EQ(read_text(dir.path() / "layers.csv"), "a\n");
  EXPECT_EQ(listing(dir.path()), (std::vector<std::string>{"layers.csv", "result.json"}));
}

}  // namespace
}  // namespace cimba::sim
