#include "workloads/io/builtin_data.hpp"

#include <algorithm>
#include <vector>

#include "models/common/error.hpp"

namespace cimba::workloads {

std::filesystem::path builtin_data_dir() { return CIMBA_BUILTIN_DATA_DIR; }

std::filesystem::path resolve_data_path(const std::string& path) {
  static const std::string kPrefix = "builtin:";
  if (path.rfind(kPrefix, 0) != 0) return path;
  const std::string name = path.substr(kPrefix.size());
  const bool plain_name = !name.empty();
  const std::filesystem::path folder = builtin_data_dir() / name;
  if (plain_name && std::filesystem::is_directory(folder)) return folder;
  const std::filesystem::path file = builtin_data_dir() / (name + ".safetensors");
  if (plain_name && std::filesystem::is_regular_file(file)) return file;
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(builtin_data_dir(), ec)) {
    if (e.is_directory(ec))
      names.push_back("builtin:" + e.path().filename().string());
    else if (e.path().extension() == ".safetensors")
      names.push_back("builtin:" + e.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
  throw IoError("'" + path + "': no such built-in data (available: " + list + ")");
}

}  // namespace cimba::workloads
