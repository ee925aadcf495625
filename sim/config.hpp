#pragma once
// Loading a run's configuration: YAML file + `--set key.path=value` overrides -> RunConfig.
//
// Two layers, kept apart:
//  1. raw: the YAML document (or a --set argument) flattened into entries `path -> text` that
//     remember where they came from (file:line:column or --set). No schema knowledge.
//  2. validated: build_run_config() checks every raw entry against the schema
//     (sim/config_schema.cpp), parses and range-checks values, applies the cross-field rules and
//     copies the values into a RunConfig whose other fields keep their defaults.
// Every problem is a cimba::ConfigError whose message names the key, the value, the source location
// and what is allowed; several problems in one input are reported together, one per line.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/run_config.hpp"

namespace cimba::sim {

// ---- Raw layer ------------------------------------------------------------------------------

/// Where a raw value came from.
struct SourceLocation {
  std::string source;  // the config file path as given, or "--set"
  int line = 0;        // 1-based; 0: no line (a --set argument)
  int column = 0;      // 1-based
  /// "config.yaml:12:5", or "--set".
  std::string to_string() const;
};

enum class RawKind { Scalar, Mapping, Sequence, Null };

/// One node of the input: a mapping (section) or a leaf value, at a dotted path.
struct RawEntry {
  std::string path;  // "hw.cim.adc.bits"
  RawKind kind = RawKind::Scalar;
  std::string text;         // the scalar's text (Scalar only)
  SourceLocation key_at;    // where the key is written
  SourceLocation value_at;  // where the value is written
};

/// The input flattened to entries in input order; parents come before their children.
class RawConfig {
 public:
  /// Adds an entry read from a file; a second entry with the same path is a ConfigError.
  void add(RawEntry entry);
  /// Replaces the entry with this path and everything below it (a --set override).
  void override_with(RawEntry entry);
  const std::vector<RawEntry>& entries() const { return entries_; }
  const RawEntry* find(const std::string& path) const;

 private:
  std::vector<RawEntry> entries_;
};

/// Parses YAML text; `source_name` is used in messages (normally the file path). A YAML key may be
/// dotted (`hw.cim.adc.bits: 6` is the same as the nested form). Throws ConfigError on malformed
/// YAML, non-scalar keys or duplicate keys.
RawConfig parse_yaml_text(const std::string& yaml_text, const std::string& source_name);

/// The number of YAML documents in `yaml_text`, counting at most two (0 for an empty or
/// comment-only text). Throws YAML::Exception for malformed YAML.
int count_yaml_documents(const std::string& yaml_text);
/// Reads and parses a YAML file; a missing or unreadable file is a ConfigError.
RawConfig read_yaml_file(const std::filesystem::path& yaml);
/// Parses one `key.path=value` argument of --set into an entry (value taken verbatim).
RawEntry parse_set_override(const std::string& assignment);

// ---- Validated layer ------------------------------------------------------------------------

/// Validates raw input against the schema and returns the config with every default resolved.
RunConfig build_run_config(const RawConfig& raw);

/// The whole pipeline: the YAML file (if any), then each --set override in order (a later value
/// for the same key wins), validated once.
RunConfig load_run_config(const std::optional<std::filesystem::path>& yaml,
                          const std::vector<std::string>& set_overrides);

/// The resolved config as YAML with every key (and its meaning as a comment); loading this text
/// gives back an equal config.
std::string render_config_yaml(const RunConfig& config);

/// The resolved config as nested JSON objects in schema order, for result.json.
nlohmann::ordered_json config_to_json(const RunConfig& config);

/// docs/config.md: every section and key with type, default, range and meaning, and the rules.
std::string render_config_docs();

}  // namespace cimba::sim
