#pragma once
// The data shipped in the repository (workloads/data/) and the `builtin:NAME` paths that name it
// in configs, so that defaults stay machine independent.
#include <filesystem>
#include <string>

namespace cimba::workloads {

/// workloads/data of the source tree this binary was built from.
std::filesystem::path builtin_data_dir();

/// `builtin:NAME` -> builtin_data_dir()/NAME when that is a folder (a built-in model, e.g.
/// builtin:mamba-bytes-4l), else builtin_data_dir()/NAME.safetensors (IoError listing the
/// available names when neither exists); any other path is returned unchanged.
std::filesystem::path resolve_data_path(const std::string& path);

}  // namespace cimba::workloads
