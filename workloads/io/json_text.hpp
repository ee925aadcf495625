#pragma once
// JSON text of the files cimba reads (safetensors headers, config.json, index files), parsed
// with the checks nlohmann::json leaves out.
#include <nlohmann/json.hpp>
#include <string>

namespace cimba::workloads {

/// Parses `text`. nlohmann::json keeps the last of two equal keys without a word; a header or
/// config that names a tensor or field twice is ambiguous, so the first key repeated within one
/// object is returned in `duplicate` (empty when none) for the caller to report with its file.
/// Throws nlohmann::json::exception (parse_error, or out_of_range for a number such as 1e999
/// that overflows a double): callers catch the base class and name their file.
nlohmann::json parse_json_text(const std::string& text, std::string& duplicate);

}  // namespace cimba::workloads
