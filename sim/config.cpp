// YAML + --set -> raw entries -> validated RunConfig, and the renderings of a RunConfig.
#include "sim/config.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <system_error>

#include "models/common/error.hpp"
#include "sim/config_schema.hpp"

namespace cimba::sim {
namespace {

using schema::KeySpec;
using schema::Value;
using schema::ValueType;

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = path.find('.', start);
    parts.push_back(path.substr(start, dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return parts;
}

bool is_valid_path(const std::string& path) {
  for (const std::string& part : split_path(path)) {
    if (part.empty()) return false;
  }
  return true;
}

std::string join(const std::vector<std::string>& items, const std::string& separator) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += separator;
    out += items[i];
  }
  return out;
}

std::string trim(const std::string& text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  const auto last = text.find_last_not_of(" \t");
  return text.substr(first, last - first + 1);
}

std::string kind_name(RawKind kind) {
  switch (kind) {
    case RawKind::Scalar:
      return "a scalar";
    case RawKind::Mapping:
      return "a mapping";
    case RawKind::Sequence:
      return "a sequence";
    case RawKind::Null:
      return "no value";
  }
  return "?";
}

SourceLocation location_of(const YAML::Node& node, const std::string& source,
                           const SourceLocation& fallback) {
  const YAML::Mark mark = node.Mark();
  if (mark.is_null() || mark.line < 0) return fallback;
  return SourceLocation{source, mark.line + 1, mark.column + 1};
}

RawKind kind_of(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return RawKind::Mapping;
    case YAML::NodeType::Sequence:
      return RawKind::Sequence;
    case YAML::NodeType::Scalar:
      return RawKind::Scalar;
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      break;
  }
  return RawKind::Null;
}

// Far beyond any config or sweep file (the largest in configs/ is under 2 KB).
constexpr std::size_t kMaxConfigBytes = std::size_t{16} << 20;

// Deeper than any config section: a mapping nested this deep is a recursive alias
// (`a: &x {b: *x}`), which would otherwise recurse without end.
constexpr int kMaxNesting = 16;

void flatten_mapping(const YAML::Node& mapping, const std::string& prefix,
                     const std::string& source, RawConfig& out, int depth = 0) {
  if (depth > kMaxNesting)
    throw ConfigError(location_of(mapping, source, SourceLocation{source, 0, 0}).to_string() +
                      ": " + prefix + ": nested deeper than " + std::to_string(kMaxNesting) +
                      " levels (a YAML alias that refers to itself?)");
  for (const auto& pair : mapping) {
    // Copies: a YAML::Node is a cheap handle, and the iterator's pair is a temporary.
    const YAML::Node key = pair.first;
    const YAML::Node value = pair.second;
    const SourceLocation key_at = location_of(key, source, SourceLocation{source, 0, 0});
    if (!key.IsScalar()) {
      throw ConfigError(key_at.to_string() + ": " + (prefix.empty() ? "" : prefix + ": ") +
                        "keys must be plain names, got " + kind_name(kind_of(key)));
    }
    const std::string path = prefix.empty() ? key.Scalar() : prefix + "." + key.Scalar();
    if (!is_valid_path(path)) {
      throw ConfigError(key_at.to_string() + ": '" + key.Scalar() + "' is not a valid key name");
    }
    RawEntry entry;
    entry.path = path;
    entry.kind = kind_of(value);
    if (entry.kind == RawKind::Scalar) entry.text = value.Scalar();
    entry.key_at = key_at;
    // A missing value has no position of its own (yaml-cpp marks the next token): use the key's.
    entry.value_at = value.IsNull() ? key_at : location_of(value, source, key_at);
    out.add(entry);
    if (value.IsMap()) flatten_mapping(value, path, source, out, depth + 1);
  }
}

bool uses_tab_indentation(const std::string& text) {
  bool line_start = true;
  for (const char c : text) {
    if (c == '\t' && line_start) return true;
    line_start = c == '\n' || (line_start && c == ' ');
  }
  return false;
}

std::string located(const SourceLocation& where, const std::string& message) {
  return where.to_string() + ": " + message;
}

/// "did you mean 'bits'?" from the keys at the same level, else a key of that name elsewhere.
std::optional<std::string> suggest_key(const std::string& name,
                                       const std::vector<std::string>& siblings) {
  if (auto local = schema::closest_match(name, siblings)) return local;
  std::vector<std::string> elsewhere;
  for (const schema::SectionSpec& section : schema::config_schema().sections) {
    if (!section.path.empty() && split_path(section.path).back() == name) {
      elsewhere.push_back(section.path);
    }
  }
  for (const KeySpec& key : schema::config_schema().keys) {
    if (key.name() == name) elsewhere.push_back(key.path);
  }
  if (elsewhere.size() == 1) return elsewhere.front();
  return std::nullopt;
}

std::string unknown_key_message(const std::string& path, const std::string& parent) {
  const std::string name = split_path(path).back();
  const std::vector<std::string> siblings = schema::child_names(parent);
  std::string message = path + ": unknown key";
  if (auto guess = suggest_key(name, siblings)) message += "; did you mean '" + *guess + "'?";
  message += " (valid keys " + (parent.empty() ? std::string("at the top level") : "here") + ": " +
             join(siblings, ", ") + ")";
  return message;
}

/// The byte offset of the first byte that does not belong to well-formed UTF-8 (RFC 3629: no
/// overlong forms, no surrogates, nothing above U+10FFFF), or npos.
std::size_t invalid_utf8_at(const std::string& text) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const auto continuation = [&](std::size_t i) {
    return i < text.size() && (byte(i) & 0xc0) == 0x80;
  };
  std::size_t i = 0;
  while (i < text.size()) {
    const unsigned char b = byte(i);
    std::size_t length = 0;
    unsigned char second_lo = 0x80, second_hi = 0xbf;
    if (b < 0x80) {
      length = 1;
    } else if (b >= 0xc2 && b <= 0xdf) {
      length = 2;
    } else if (b >= 0xe0 && b <= 0xef) {
      length = 3;
      if (b == 0xe0) second_lo = 0xa0;  // overlong
      if (b == 0xed) second_hi = 0x9f;  // UTF-16 surrogates
    } else if (b >= 0xf0 && b <= 0xf4) {
      length = 4;
      if (b == 0xf0) second_lo = 0x90;  // overlong
      if (b == 0xf4) second_hi = 0x8f;  // above U+10FFFF
    } else {
      return i;
    }
    if (length > 1 &&
        !(continuation(i + 1) && byte(i + 1) >= second_lo && byte(i + 1) <= second_hi))
      return i;
    for (std::size_t k = 2; k < length; ++k)
      if (!continuation(i + k)) return i;
    i += length;
  }
  return std::string::npos;
}

/// Checks one leaf entry and copies its value into `config`. Returns the error, if any.
std::optional<std::string> apply_leaf(const KeySpec& key, const RawEntry& entry,
                                      RunConfig& config) {
  switch (entry.kind) {
    case RawKind::Scalar: {
      // result.json holds the resolved config and JSON text is UTF-8: a value that is not
      // would pass here and fail only when the finished run is written.
      if (const std::size_t bad = invalid_utf8_at(entry.text); bad != std::string::npos) {
        return located(entry.value_at, key.path + ": the value is not valid UTF-8 (byte " +
                                           std::to_string(bad + 1) + " of " +
                                           std::to_string(entry.text.size()) + ")");
      }
      auto parsed = schema::parse_value(key, entry.text);
      if (auto* reason = std::get_if<std::string>(&parsed)) {
        return located(entry.value_at, key.path + ": " + *reason);
      }
      key.set(config, std::get<Value>(parsed));
      return std::nullopt;
    }
    case RawKind::Null:
      return located(entry.value_at,
                     key.path + ": no value given (" + schema::expected_text(key) +
                         (key.type == ValueType::String ? "; write '' for an empty string)" : ")"));
    case RawKind::Mapping:
    case RawKind::Sequence:
      break;
  }
  return located(entry.value_at,
                 key.path + ": " + schema::expected_text(key) + ", got " + kind_name(entry.kind));
}

// ---- Renderers ------------------------------------------------------------------------------

nlohmann::ordered_json to_json(const Value& value) {
  return std::visit([](const auto& v) { return nlohmann::ordered_json(v); }, value);
}

std::string yaml_double_quoted(const std::string& text) {
  std::string out = "\"";
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
          char escape[8];
          std::snprintf(escape, sizeof(escape), "\\x%02x", static_cast<unsigned char>(c));
          out += escape;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

void render_yaml_object(const nlohmann::ordered_json& object, const std::string& prefix, int depth,
                        std::string& out) {
  const std::string indent(static_cast<std::size_t>(depth) * 2, ' ');
  for (const auto& [name, child] : object.items()) {
    const std::string path = prefix.empty() ? name : prefix + "." + name;
    if (child.is_object()) {
      out += indent + name + ":";
      if (const schema::SectionSpec* section = schema::find_section(path)) {
        out += "  # " + section->meaning;
      }
      out += "\n";
      render_yaml_object(child, path, depth + 1, out);
      continue;
    }
    const KeySpec* key = schema::find_key(path);
    std::string text;
    if (key->type == ValueType::String) {
      text = yaml_double_quoted(child.get<std::string>());
    } else if (key->type == ValueType::Float) {
      text = schema::format_value(*key, Value(std::in_place_type<double>, child.get<double>()));
    } else {
      text = child.is_string() ? child.get<std::string>() : child.dump();
    }
    out += indent + name + ": " + text + "  # " + key->meaning + "\n";
  }
}

std::string markdown_cell(const std::string& text) {
  std::string out;
  for (const char c : text) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

std::string code(const std::string& text) { return "`" + text + "`"; }

/// "the column ADCs" -> "The column ADCs."
std::string sentence(std::string text) {
  if (!text.empty() && text.front() >= 'a' && text.front() <= 'z') text.front() += 'A' - 'a';
  return text + ".";
}

}  // namespace

// ---- Raw layer ------------------------------------------------------------------------------

std::string SourceLocation::to_string() const {
  if (line <= 0) return source;
  return source + ":" + std::to_string(line) + ":" + std::to_string(column);
}

void RawConfig::add(RawEntry entry) {
  if (const RawEntry* first = find(entry.path)) {
    throw ConfigError(located(entry.key_at, entry.path + ": duplicate key (first given at " +
                                                first->key_at.to_string() + ")"));
  }
  entries_.push_back(std::move(entry));
}

void RawConfig::override_with(RawEntry entry) {
  const std::string below = entry.path + ".";
  std::vector<RawEntry> kept;
  for (RawEntry& existing : entries_) {
    if (existing.path != entry.path && existing.path.compare(0, below.size(), below) != 0) {
      kept.push_back(std::move(existing));
    }
  }
  kept.push_back(std::move(entry));
  entries_ = std::move(kept);
}

const RawEntry* RawConfig::find(const std::string& path) const {
  for (const RawEntry& entry : entries_) {
    if (entry.path == path) return &entry;
  }
  return nullptr;
}

namespace {
// Counts events of a document without building it.
struct EventCounter : YAML::EventHandler {
  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};
}  // namespace

int count_yaml_documents(const std::string& yaml_text) {
  // YAML::LoadAll never returns on some malformed input (a stray ',' at the top level makes
  // yaml-cpp 0.7 yield empty documents forever): count at most two, which is all a caller needs.
  std::istringstream in(yaml_text);
  YAML::Parser parser(in);
  EventCounter counter;
  int documents = 0;
  while (documents < 2 && parser.HandleNextDocument(counter)) ++documents;
  return documents;
}

RawConfig parse_yaml_text(const std::string& yaml_text, const std::string& source_name) {
  YAML::Node root;
  try {
    const int documents = count_yaml_documents(yaml_text);
    if (documents == 0) return RawConfig();
    if (documents > 1)
      throw ConfigError(source_name +
                        ": expected one YAML document, found more (a line '---' starts another; "
                        "so does a stray ',' or ']' at the top level)");
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    const SourceLocation where{source_name, e.mark.is_null() ? 0 : e.mark.line + 1,
                               e.mark.is_null() ? 0 : e.mark.column + 1};
    std::string message = "malformed YAML: " + e.msg;
    if (uses_tab_indentation(yaml_text)) message += " (YAML does not allow tabs for indentation)";
    throw ConfigError(located(where, message));
  }
  RawConfig raw;
  if (root.IsNull()) return raw;
  if (!root.IsMap()) {
    const SourceLocation where = location_of(root, source_name, SourceLocation{source_name, 0, 0});
    throw ConfigError(located(where, "the top level must be a mapping of keys, got " +
                                         kind_name(kind_of(root)) + " (see docs/config.md)"));
  }
  try {
    flatten_mapping(root, "", source_name, raw);
  } catch (const YAML::Exception& e) {
    throw ConfigError(source_name + ": cannot read YAML: " + e.msg);
  }
  return raw;
}

RawConfig read_yaml_file(const std::filesystem::path& yaml) {
  std::error_code error;
  if (!std::filesystem::exists(yaml, error)) {
    throw ConfigError("config file not found: " + yaml.string());
  }
  if (std::filesystem::is_directory(yaml, error)) {
    throw ConfigError("config file is a directory: " + yaml.string());
  }
  std::ifstream in(yaml, std::ios::binary);
  if (!in) throw ConfigError("cannot read config file: " + yaml.string());
  // Bounded: a config names no file it reads whole without a limit (`base: /dev/zero` in a
  // sweep, or a device given as the config, would grow memory forever); pipes still work.
  std::string text;
  char chunk[65536];
  while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
    text.append(chunk, static_cast<std::size_t>(in.gcount()));
    if (text.size() > kMaxConfigBytes)
      throw ConfigError(yaml.string() + ": larger than " + std::to_string(kMaxConfigBytes >> 20) +
                        " MiB; not a config file");
  }
  if (in.bad()) throw ConfigError("cannot read config file: " + yaml.string());
  return parse_yaml_text(text, yaml.string());
}

RawEntry parse_set_override(const std::string& assignment) {
  const SourceLocation where{"--set", 0, 0};
  const auto equals = assignment.find('=');
  const std::string path = equals == std::string::npos ? "" : trim(assignment.substr(0, equals));
  if (equals == std::string::npos || path.empty()) {
    throw ConfigError("--set expects key.path=value (e.g. --set hw.cim.adc.bits=8), got '" +
                      assignment + "'");
  }
  if (!is_valid_path(path)) {
    throw ConfigError("--set: '" + path + "' is not a valid key path (e.g. hw.cim.adc.bits)");
  }
  RawEntry entry;
  entry.path = path;
  entry.kind = RawKind::Scalar;
  entry.text = assignment.substr(equals + 1);
  entry.key_at = where;
  entry.value_at = where;
  return entry;
}

// ---- Validation -----------------------------------------------------------------------------

RunConfig build_run_config(const RawConfig& raw) {
  RunConfig config;
  std::vector<std::string> errors;
  std::set<std::string> reported;  // paths already reported; nothing below them is checked again

  for (const RawEntry& entry : raw.entries()) {
    const std::vector<std::string> parts = split_path(entry.path);
    std::string parent;
    for (std::size_t i = 0; i < parts.size(); ++i) {
      const std::string path = parent.empty() ? parts[i] : parent + "." + parts[i];
      const bool last = i + 1 == parts.size();
      if (reported.count(path) != 0) break;
      if (const schema::SectionSpec* section = schema::find_section(path)) {
        if (last && (entry.kind == RawKind::Scalar || entry.kind == RawKind::Sequence)) {
          errors.push_back(located(
              entry.value_at, path + ": expected a mapping (a section with keys " +
                                  join(schema::child_names(section->path), ", ") + "), got " +
                                  kind_name(entry.kind) +
                                  (entry.kind == RawKind::Scalar ? " '" + entry.text + "'" : "")));
          reported.insert(path);
        }
        parent = path;
        continue;
      }
      if (const KeySpec* key = schema::find_key(path)) {
        if (!last) {
          errors.push_back(
              located(entry.key_at, path + ": is a key of type " + schema::type_name(key->type) +
                                        ", not a section; it has no key '" + parts[i + 1] + "'"));
          reported.insert(path);
        } else if (auto error = apply_leaf(*key, entry, config)) {
          errors.push_back(*error);
          reported.insert(path);
        }
        break;
      }
      errors.push_back(located(entry.key_at, unknown_key_message(path, parent)));
      reported.insert(path);
      break;
    }
  }

  if (errors.empty()) {
    for (const schema::CrossRule& rule : schema::config_schema().rules) {
      auto violation = rule.check(config);
      if (!violation) continue;
      const RawEntry* culprit = nullptr;
      for (const std::string& key : rule.keys) {
        if ((culprit = raw.find(key)) != nullptr) break;
      }
      errors.push_back(culprit != nullptr ? located(culprit->value_at, *violation) : *violation);
    }
  }
  if (!errors.empty()) throw ConfigError(join(errors, "\n"));
  return config;
}

RunConfig load_run_config(const std::optional<std::filesystem::path>& yaml,
                          const std::vector<std::string>& set_overrides) {
  RawConfig raw = yaml ? read_yaml_file(*yaml) : RawConfig{};
  for (const std::string& assignment : set_overrides) {
    raw.override_with(parse_set_override(assignment));
  }
  return build_run_config(raw);
}

// ---- Renderings -----------------------------------------------------------------------------

nlohmann::ordered_json config_to_json(const RunConfig& config) {
  nlohmann::ordered_json root = nlohmann::ordered_json::object();
  for (const KeySpec& key : schema::config_schema().keys) {
    nlohmann::ordered_json* node = &root;
    const std::vector<std::string> parts = split_path(key.path);
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
      if (!node->contains(parts[i])) (*node)[parts[i]] = nlohmann::ordered_json::object();
      node = &(*node)[parts[i]];
    }
    (*node)[parts.back()] = to_json(key.get(config));
  }
  return root;
}

std::string render_config_yaml(const RunConfig& config) {
  std::string out =
      "# Resolved cimba configuration: every key, defaults filled in (see docs/config.md).\n";
  render_yaml_object(config_to_json(config), "", 0, out);
  return out;
}

std::string render_config_docs() {
  const schema::Schema& s = schema::config_schema();
  const RunConfig defaults;
  std::ostringstream out;
  out << R"(# Configuration reference

This page is generated from the schema in `sim/config_schema.cpp`; do not edit it by hand.
After changing the schema, regenerate it from the repository root with
`build/cimba config-docs > docs/config.md` (a test in `tests/sim` fails while it is out of date).

`cimba run CONFIG.yaml [--set key.path=value ...]` reads a YAML file whose nested mappings
follow the key paths below: `hw.cim.adc.bits` is `bits` inside `adc` inside `cim` inside `hw` (a
dotted key such as `hw.cim.adc.bits: 8` is accepted too). A key takes its default when absent (the
cross-field rules at the end say which keys are required). Each `--set` overrides one key after the
file is read and is validated the same way; a later `--set` of the same key wins. Unknown keys,
values of the wrong type or out of range, and broken cross-field rules are errors that name the key
and its file:line:column (exit code 2). `cimba run CONFIG.yaml --print-config` prints the resolved
configuration with every key; the same configuration is written into result.json.

```yaml
workload:
  linear:
    file: layer.safetensors
quant:
  a_bits: 12
hw:
  cim:
    adc:
      bits: 8
      range: static
```
)";
  for (const schema::SectionSpec& section : s.sections) {
    out << "\n## " << (section.path.empty() ? std::string("Top level") : code(section.path))
        << "\n\n"
        << markdown_cell(sentence(section.meaning)) << "\n";
    bool header = false;
    for (const KeySpec& key : s.keys) {
      if (key.section() != section.path) continue;
      if (!header) {
        out << "\n| Key | Type | Default | Range | Meaning |\n| --- | --- | --- | --- | --- |\n";
        header = true;
      }
      const std::string default_text = schema::format_value(key, key.get(defaults));
      std::string range = schema::range_text(key);
      if (key.type == ValueType::Enum) {
        std::vector<std::string> values;
        for (const std::string& value : key.enum_values) values.push_back(code(value));
        range = join(values, ", ");
      }
      out << "| " << code(key.path) << " | " << schema::type_name(key.type) << " | "
          << (default_text.empty() ? std::string("`\"\"`") : code(default_text)) << " | "
          << markdown_cell(range) << " | " << markdown_cell(key.meaning) << " |\n";
    }
  }
  out << "\n## Cross-field rules\n\nChecked after every key is valid on its own:\n\n";
  for (const schema::CrossRule& rule : s.rules)
    out << "- " << markdown_cell(rule.description) << "\n";
  return out.str();
}

}  // namespace cimba::sim
