// POSIX implementation of atomic file writes (open O_EXCL + write + fsync + rename).
#include "sim/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "models/common/error.hpp"

namespace cimba::sim {
namespace {

namespace fs = std::filesystem;

std::string describe_errno(int error) { return std::generic_category().message(error); }

fs::path parent_of(const fs::path& path) {
  return path.has_parent_path() ? path.parent_path() : fs::path(".");
}

/// A name in the target's directory that no other writer (thread or process) uses.
fs::path temp_path_for(const fs::path& target) {
  static std::atomic<unsigned long> counter{0};
  return parent_of(target) / ("." + target.filename().string() + ".tmp-" +
                              std::to_string(::getpid()) + "-" + std::to_string(counter++));
}

/// Writes and syncs `content` into the new file `temp`; on failure removes it and throws IoError
/// naming `target` (the file the user asked for).
void write_temp(const fs::path& temp, const fs::path& target, const std::string& content) {
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    throw IoError("cannot write " + target.string() + ": " + describe_errno(errno));
  }
  auto fail = [&](int error) {
    ::close(fd);
    ::unlink(temp.c_str());
    throw IoError("cannot write " + target.string() + ": " + describe_errno(error));
  };
  const char* data = content.data();
  std::size_t left = content.size();
  while (left > 0) {
    const ssize_t written = ::write(fd, data, left);
    if (written < 0) {
      if (errno == EINTR) continue;
      fail(errno);
    }
    data += written;
    left -= static_cast<std::size_t>(written);
  }
  if (::fsync(fd) != 0) fail(errno);
  if (::close(fd) != 0) {
    const int error = errno;
    ::unlink(temp.c_str());
    throw IoError("cannot write " + target.string() + ": " + describe_errno(error));
  }
}

/// Makes the renames durable; best effort (some file systems refuse fsync on directories).
void sync_directory(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

void create_output_directory(const fs::path& dir) {
  std::error_code error;
  if (fs::exists(dir, error) && !fs::is_directory(dir, error)) {
    throw IoError("cannot create directory " + dir.string() + ": it exists and is not a directory");
  }
  fs::create_directories(dir, error);
  if (error) {
    throw IoError("cannot create directory " + dir.string() + ": " + error.message());
  }
  if (!fs::is_directory(dir, error)) {
    throw IoError("cannot create directory " + dir.string() + ": it exists and is not a directory");
  }
}

void write_file_atomic(const fs::path& path, const std::string& content) {
  write_files_atomic({{path, content}});
}

void write_files_atomic(const std::vector<std::pair<fs::path, std::string>>& files) {
  std::vector<fs::path> temps;
  auto remove_temps = [&](std::size_t from) {
    for (std::size_t i = from; i < temps.size(); ++i) ::unlink(temps[i].c_str());
  };
  try {
    for (const auto& [path, content] : files) {
      create_output_directory(parent_of(path));
      const fs::path temp = temp_path_for(path);
      write_temp(temp, path, content);
      temps.push_back(temp);
    }
  } catch (...) {
    remove_temps(0);
    throw;
  }
  std::vector<std::string> committed;
  for (std::size_t i = 0; i < files.size(); ++i) {
    const fs::path& path = files[i].first;
    if (::rename(temps[i].c_str(), path.c_str()) != 0) {
      const int error = errno;
      remove_temps(i);
      std::string message = "cannot write " + path.string() + ": " + describe_errno(error);
      if (!committed.empty()) {
        message += " (already written: ";
        for (std::size_t j = 0; j < committed.size(); ++j) {
          message += (j > 0 ? ", " : "") + committed[j];
        }
        message += ")";
      }
      throw IoError(message);
    }
    committed.push_back(path.string());
  }
  std::vector<fs::path> synced;
  for (const auto& [path, content] : files) {
    const fs::path dir = parent_of(path);
    bool seen = false;
    for (const fs::path& done : synced) seen = seen || done == dir;
    if (!seen) {
      sync_directory(dir);
      synced.push_back(dir);
    }
  }
}

}  // namespace cimba::sim
