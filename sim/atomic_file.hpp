#pragma once
// Writing result files so that a reader never sees a half-written file: each file is written to a
// temporary file in the same directory, flushed to disk (fsync) and renamed over the target.
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace cimba::sim {

/// Creates `dir` and its parents if needed. Throws IoError naming the directory when it cannot be
/// created or exists as something else than a directory.
void create_output_directory(const std::filesystem::path& dir);

/// Writes `content` to `path` atomically (temp file in the same directory, fsync, rename), creating
/// the parent directory if needed. On failure throws IoError naming `path`; the temp file is
/// removed and an existing file at `path` is left untouched.
void write_file_atomic(const std::filesystem::path& path, const std::string& content);

/// Writes several files as one commit: every temp file is written and synced first, and only then
/// are they renamed into place. A failure while writing (disk full, permissions) removes every temp
/// and leaves all targets untouched. The renames themselves are not atomic as a group, but they
/// only fail in unusual cases (a target replaced by a directory meanwhile); the IoError then names
/// the files already committed.
void write_files_atomic(const std::vector<std::pair<std::filesystem::path, std::string>>& files);

}  // namespace cimba::sim
