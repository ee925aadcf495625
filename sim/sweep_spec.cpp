// Sweep file -> dimensions -> points -> validated RunConfigs.
#include "sim/sweep_spec.hpp"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <system_error>

#include "models/common/error.hpp"
#include "sim/config.hpp"
#include "sim/config_schema.hpp"

namespace cimba::sim {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxPoints = 100000;   // a typo such as [1..100000000] fails early
constexpr std::size_t kMaxListedErrors = 8;  // invalid points listed one by one

SourceLocation location_of(const YAML::Node& node, const std::string& source) {
  const YAML::Mark mark = node.Mark();
  if (mark.is_null() || mark.line < 0) return SourceLocation{source, 0, 0};
  return SourceLocation{source, mark.line + 1, mark.column + 1};
}

std::string at(const YAML::Node& node, const std::string& source, const std::string& message) {
  return location_of(node, source).to_string() + ": " + message;
}

/// A plain (unquoted) scalar: only these may be range syntax, so "4..8" in quotes stays a string.
bool is_plain_scalar(const YAML::Node& node) { return node.IsScalar() && node.Tag() == "?"; }

/// The values of one key: a list (ranges expanded), or one scalar (a range or a single value).
std::vector<SweepValue> axis_values(const YAML::Node& node, const std::string& key,
                                    const std::string& source) {
  std::vector<SweepValue> out;
  auto add_scalar = [&](const YAML::Node& item) {
    const SourceLocation where = location_of(item, source);
    if (!item.IsScalar())
      throw ConfigError(at(
          item, source,
          key + ": each value must be a scalar, got a " + (item.IsMap() ? "mapping" : "sequence")));
    if (is_plain_scalar(item)) {
      if (auto range = expand_int_range(item.Scalar(), where.to_string() + ": " + key)) {
        for (const long long v : *range) out.push_back({std::to_string(v), where});
        return;
      }
    }
    out.push_back({item.Scalar(), where});
  };
  if (node.IsSequence()) {
    for (const auto& item : node) add_scalar(item);
  } else if (node.IsScalar()) {
    add_scalar(node);
  } else {
    throw ConfigError(
        at(node, source, key + ": no values (write a list such as [4, 6, 8] or a range [4..8])"));
  }
  if (out.empty())
    throw ConfigError(
        at(node, source, key + ": empty list (a sweep axis needs at least one value)"));
  if (out.size() > kMaxPoints)
    throw ConfigError(at(node, source,
                         key + ": " + std::to_string(out.size()) + " values (at most " +
                             std::to_string(kMaxPoints) + ")"));
  return out;
}

/// Checks that `key` is a config key (not a section, not a typo) and not swept twice.
void check_axis_key(const std::string& key, const YAML::Node& key_node, const std::string& source,
                    std::set<std::string>& seen) {
  if (schema::find_key(key) == nullptr) {
    std::vector<std::string> all;
    for (const auto& k : schema::config_schema().keys) all.push_back(k.path);
    std::string message =
        key + ": " +
        (schema::find_section(key) ? "is a section, not a key" : std::string("unknown key"));
    if (auto guess = schema::closest_match(key, all)) message += "; did you mean " + *guess + "?";
    message += " (every key: docs/config.md)";
    throw ConfigError(at(key_node, source, message));
  }
  if (!seen.insert(key).second)
    throw ConfigError(
        at(key_node, source, key + ": swept twice (each key may be in one axis only)"));
}

/// Flattens a mapping of axes (`a.b: [..]` or nested `a: {b: [..]}`) into (key, values) pairs.
void collect_axes(const YAML::Node& mapping, const std::string& prefix, const std::string& source,
                  std::set<std::string>& seen,
                  std::vector<std::pair<std::string, std::vector<SweepValue>>>& out) {
  for (const auto& pair : mapping) {
    const YAML::Node key_node = pair.first;
    const YAML::Node value = pair.second;
    if (!key_node.IsScalar()) throw ConfigError(at(key_node, source, "keys must be plain names"));
    const std::string key = prefix.empty() ? key_node.Scalar() : prefix + "." + key_node.Scalar();
    if (value.IsMap()) {
      collect_axes(value, key, source, seen, out);
      continue;
    }
    check_axis_key(key, key_node, source, seen);
    out.emplace_back(key, axis_values(value, key, source));
  }
}

/// The inline `base:` mapping as raw config entries (the same flattening as a config file, with
/// the sweep file's lines and columns).
void flatten_base(const YAML::Node& mapping, const std::string& prefix, const std::string& source,
                  RawConfig& out) {
  for (const auto& pair : mapping) {
    const YAML::Node key = pair.first;
    const YAML::Node value = pair.second;
    const SourceLocation key_at = location_of(key, source);
    if (!key.IsScalar()) throw ConfigError(key_at.to_string() + ": base: keys must be plain names");
    RawEntry entry;
    entry.path = prefix.empty() ? key.Scalar() : prefix + "." + key.Scalar();
    entry.kind = value.IsMap()        ? RawKind::Mapping
                 : value.IsSequence() ? RawKind::Sequence
                 : value.IsScalar()   ? RawKind::Scalar
                                      : RawKind::Null;
    if (entry.kind == RawKind::Scalar) entry.text = value.Scalar();
    entry.key_at = key_at;
    entry.value_at = value.IsNull() ? key_at : location_of(value, source);
    out.add(entry);
    if (value.IsMap()) flatten_base(value, entry.path, source, out);
  }
}

std::string describe_values(const std::vector<std::string>& keys,
                            const std::vector<const SweepValue*>& values) {
  std::string out;
  for (std::size_t k = 0; k < keys.size(); ++k)
    out += (k ? ", " : "") + keys[k] + "=" + values[k]->text;
  return out;
}

std::string indent_lines(const std::string& text, const std::string& prefix) {
  std::string out = prefix;
  for (const char c : text) {
    out += c;
    if (c == '\n') out += prefix;
  }
  return out;
}

/// What the sections of a sweep file give: the base config, its fixed overrides and the axes.
struct SweepSections {
  RawConfig base;
  RawConfig fixed;  // `set:` overrides of the base, the same for every point
  std::vector<SweepDimension> dims;
  std::set<std::string> seen_keys;  // every swept key, to catch one swept twice
};

/// Parses the sweep text into its root mapping (an empty file is an empty mapping).
YAML::Node load_sweep_root(const std::string& text, const std::string& source) {
  YAML::Node root;
  try {
    if (count_yaml_documents(text) > 1)
      throw ConfigError(source +
                        ": expected one YAML document, found more (a line '---' starts another; "
                        "so does a stray ',' or ']' at the top level)");
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw ConfigError(source + ":" + std::to_string(e.mark.line + 1) + ":" +
                      std::to_string(e.mark.column + 1) + ": malformed YAML: " + e.msg);
  }
  if (root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  if (!root.IsMap())
    throw ConfigError(at(root, source, "a sweep file is a mapping with base, set, grid and zip"));
  return root;
}

/// Reads `base:`, a config file path (relative to the sweep file) or an inline mapping.
void read_base_section(const YAML::Node& value, const fs::path& source_path,
                       const std::string& source, RawConfig& base) {
  if (value.IsScalar()) {
    fs::path file = value.Scalar();
    if (file.is_relative()) file = (source_path.parent_path() / file).lexically_normal();
    if (!fs::exists(file))
      throw ConfigError(at(value, source,
                           "base: config file not found: " + file.string() +
                               " (relative paths are relative to the sweep file)"));
    base = read_yaml_file(file);
  } else if (value.IsMap()) {
    flatten_base(value, "", source, base);
  } else if (!value.IsNull()) {
    throw ConfigError(
        at(value, source, "base: expected a config file path or a mapping of config keys"));
  }
}

/// Reads `set:`, the fixed overrides of the base.
void read_set_section(const YAML::Node& value, const std::string& source, RawConfig& fixed) {
  if (value.IsNull()) return;
  if (!value.IsMap())
    throw ConfigError(at(
        value, source, "set: expected a mapping of config keys to values (fixed for every point)"));
  flatten_base(value, "", source, fixed);
}

/// Reads `grid:`, one dimension per key.
void read_grid_section(const YAML::Node& value, const std::string& source,
                       SweepSections& sections) {
  if (value.IsNull()) return;
  if (!value.IsMap())
    throw ConfigError(at(value, source, "grid: expected a mapping of config keys to value lists"));
  std::vector<std::pair<std::string, std::vector<SweepValue>>> axes;
  collect_axes(value, "", source, sections.seen_keys, axes);
  for (auto& [k, values] : axes) {
    SweepDimension dim;
    dim.keys = {k};
    for (auto& v : values) dim.values.push_back({v});
    sections.dims.push_back(std::move(dim));
  }
}

/// Reads zip group `g` (1-based in messages) into one dimension; no dimension when it is empty.
std::optional<SweepDimension> zip_group_dimension(const YAML::Node& group, std::size_t g,
                                                  const std::string& source,
                                                  std::set<std::string>& seen_keys) {
  if (!group.IsMap())
    throw ConfigError(at(group, source,
                         "zip group " + std::to_string(g + 1) +
                             ": expected a mapping of config keys to value lists"));
  std::vector<std::pair<std::string, std::vector<SweepValue>>> axes;
  collect_axes(group, "", source, seen_keys, axes);
  if (axes.empty()) return std::nullopt;
  SweepDimension dim;
  for (const auto& [k, values] : axes) {
    if (values.size() != axes.front().second.size())
      throw ConfigError(at(group, source,
                           "zip group " + std::to_string(g + 1) + ": lists of different lengths (" +
                               axes.front().first + ": " +
                               std::to_string(axes.front().second.size()) + " values, " + k + ": " +
                               std::to_string(values.size()) + ")"));
    dim.keys.push_back(k);
  }
  for (std::size_t step = 0; step < axes.front().second.size(); ++step) {
    std::vector<SweepValue> row;
    for (const auto& axis : axes) row.push_back(axis.second[step]);
    dim.values.push_back(std::move(row));
  }
  return dim;
}

/// Reads `zip:`, one group (a mapping) or a list of groups, one dimension per group.
void read_zip_section(const YAML::Node& value, const std::string& source, SweepSections& sections) {
  if (value.IsNull()) return;
  std::vector<YAML::Node> groups;
  if (value.IsMap()) {
    groups.push_back(value);
  } else if (value.IsSequence()) {
    for (const auto& g : value) groups.push_back(g);
  } else {
    throw ConfigError(at(value, source,
                         "zip: expected a list of groups, each a mapping of config keys to "
                         "equally long value lists"));
  }
  for (std::size_t g = 0; g < groups.size(); ++g)
    if (auto dim = zip_group_dimension(groups[g], g, source, sections.seen_keys))
      sections.dims.push_back(std::move(*dim));
}

/// Reads every top-level section (base, set, grid, zip), each at most once, in file order.
SweepSections read_sections(const YAML::Node& root, const fs::path& source_path,
                            const std::string& source) {
  SweepSections sections;
  std::set<std::string> seen_sections;
  for (const auto& pair : root) {
    const YAML::Node key = pair.first;
    const YAML::Node value = pair.second;
    const std::string name = key.IsScalar() ? key.Scalar() : "";
    if (!seen_sections.insert(name).second)
      throw ConfigError(at(key, source, name + ": given twice"));
    if (name == "base") {
      read_base_section(value, source_path, source, sections.base);
    } else if (name == "set") {
      read_set_section(value, source, sections.fixed);
    } else if (name == "grid") {
      read_grid_section(value, source, sections);
    } else if (name == "zip") {
      read_zip_section(value, source, sections);
    } else {
      std::string message = "'" + name + "': unknown key";
      if (auto guess = schema::closest_match(name, {"base", "set", "grid", "zip"}))
        message += "; did you mean " + *guess + "?";
      throw ConfigError(at(key, source, message + " (a sweep file has base, set, grid and zip)"));
    }
  }
  return sections;
}

/// Applies the `set:` overrides to the base; a key may not be both fixed and swept.
void apply_fixed_overrides(SweepSections& sections) {
  // Leaves only: a nested `set: {hw: {cim: ...}}` must not drop the base's other hw keys.
  for (const RawEntry& entry : sections.fixed.entries()) {
    if (entry.kind == RawKind::Mapping) continue;
    if (sections.seen_keys.count(entry.path) != 0)
      throw ConfigError(entry.key_at.to_string() + ": " + entry.path +
                        ": both fixed (set) and swept (grid / zip)");
    sections.base.override_with(entry);
  }
}

/// The number of points (the product of the dimensions' sizes); appends the swept keys to `keys`.
std::size_t count_points(const std::vector<SweepDimension>& dims, const std::string& source,
                         std::vector<std::string>& keys) {
  std::size_t count = 1;
  for (const SweepDimension& d : dims) {
    for (const std::string& k : d.keys) keys.push_back(k);
    count *= d.values.size();
    if (count > kMaxPoints)
      throw ConfigError(source + ": more than " + std::to_string(kMaxPoints) + " points");
  }
  return count;
}

/// The values of point `index`, one per swept key in column order.
std::vector<const SweepValue*> point_values(const std::vector<SweepDimension>& dims,
                                            std::size_t index) {
  // Row-major: the last dimension varies fastest.
  std::vector<const SweepValue*> values;
  std::vector<std::size_t> steps(dims.size());
  for (std::size_t d = dims.size(), rest = index; d-- > 0;) {
    steps[d] = rest % dims[d].values.size();
    rest /= dims[d].values.size();
  }
  for (std::size_t d = 0; d < dims.size(); ++d)
    for (const SweepValue& v : dims[d].values[steps[d]]) values.push_back(&v);
  return values;
}

/// The id of a point: `p`, the index zero-padded to `width` digits, and the slug of its values.
std::string point_id(std::size_t index, std::size_t width, const std::vector<std::string>& keys,
                     const std::vector<const SweepValue*>& values) {
  std::vector<std::string> texts;
  for (const SweepValue* v : values) texts.push_back(v->text);
  std::string number = std::to_string(index);
  std::string id = "p" + std::string(width - number.size(), '0') + number;
  const std::string slug = point_slug(keys, texts);
  if (!slug.empty()) id += "-" + slug;
  return id;
}

/// The raw config of a point: the base with the point's values written over it.
RawConfig point_raw_config(const RawConfig& base, const std::vector<std::string>& keys,
                           const std::vector<const SweepValue*>& values) {
  RawConfig raw = base;
  for (std::size_t k = 0; k < values.size(); ++k) {
    RawEntry entry;
    entry.path = keys[k];
    entry.kind = RawKind::Scalar;
    entry.text = values[k]->text;
    entry.key_at = values[k]->at;
    entry.value_at = values[k]->at;
    raw.override_with(entry);
  }
  return raw;
}

/// Invalid points found while expanding: how many, and the first few described.
struct InvalidPoints {
  std::size_t count = 0;
  std::vector<std::string> listed;  // at most kMaxListedErrors
};

/// Builds and validates every point into `plan.points`; invalid ones are counted in `invalid`.
void expand_points(const std::vector<SweepDimension>& dims, const RawConfig& base,
                   std::size_t count, SweepPlan& plan, InvalidPoints& invalid) {
  std::size_t width = 4;
  for (std::size_t n = count - 1, digits = 1; n >= 10; n /= 10) width = std::max(width, ++digits);
  for (std::size_t index = 0; index < count; ++index) {
    const std::vector<const SweepValue*> values = point_values(dims, index);
    SweepPoint point;
    point.index = index;
    point.id = point_id(index, width, plan.keys, values);
    const RawConfig raw = point_raw_config(base, plan.keys, values);
    try {
      point.config = build_run_config(raw);
    } catch (const ConfigError& e) {
      ++invalid.count;
      if (invalid.listed.size() < kMaxListedErrors)
        invalid.listed.push_back("point " + point.id + " (" + describe_values(plan.keys, values) +
                                 "):\n" + indent_lines(e.what(), "  "));
      continue;
    }
    for (const std::string& key : plan.keys) {
      const schema::KeySpec* spec = schema::find_key(key);
      point.values.emplace_back(key, schema::format_value(*spec, spec->get(point.config)));
    }
    plan.points.push_back(std::move(point));
  }
}

/// Throws one ConfigError listing the invalid points, if there are any.
void check_no_invalid_points(const InvalidPoints& invalid, std::size_t count,
                             const std::string& source) {
  if (invalid.count == 0) return;
  std::string message = source + ": " + std::to_string(invalid.count) + " of " +
                        std::to_string(count) + " points are invalid; nothing was run";
  for (const std::string& p : invalid.listed) message += "\n" + p;
  if (invalid.count > invalid.listed.size())
    message += "\n... and " + std::to_string(invalid.count - invalid.listed.size()) +
               " more invalid points";
  throw ConfigError(message);
}

}  // namespace

std::optional<std::vector<long long>> expand_int_range(const std::string& text,
                                                       const std::string& where) {
  static const std::regex pattern(R"(^\s*([+-]?\d+)\s*\.\.\s*([+-]?\d+)\s*(?::\s*(\d+)\s*)?$)");
  std::smatch m;
  if (!std::regex_match(text, m, pattern)) return std::nullopt;
  long long first = 0, last = 0, step = 1;
  try {
    first = std::stoll(m[1].str());
    last = std::stoll(m[2].str());
    if (m[3].matched) step = std::stoll(m[3].str());
  } catch (const std::exception&) {
    throw ConfigError(where + ": range '" + text + "' has a number out of range");
  }
  if (step < 1) throw ConfigError(where + ": range '" + text + "' needs a step >= 1 (a..b:step)");
  if (first > last)
    throw ConfigError(where + ": range '" + text + "' runs backwards (write a..b with a <= b)");
  if ((last - first) / step + 1 > static_cast<long long>(kMaxPoints))
    throw ConfigError(where + ": range '" + text + "' has more than " + std::to_string(kMaxPoints) +
                      " values");
  std::vector<long long> values;
  for (long long v = first; v <= last; v += step) values.push_back(v);
  return values;
}

std::string point_slug(const std::vector<std::string>& keys,
                       const std::vector<std::string>& texts) {
  constexpr std::size_t kMaxValueChars = 24, kMaxSlugChars = 60;
  std::string slug;
  for (std::size_t k = 0; k < keys.size(); ++k) {
    const std::string& key = keys[k];
    std::string part = key.substr(key.rfind('.') == std::string::npos ? 0 : key.rfind('.') + 1);
    part += '=';
    std::string value;
    for (const char c : texts[k]) {
      const bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '+' || c == '-';
      value += safe ? c : '_';
    }
    if (value.size() > kMaxValueChars) value.resize(kMaxValueChars);
    part += value;
    if (slug.size() + 1 + part.size() > kMaxSlugChars) break;  // the index keeps ids unique
    slug += (slug.empty() ? "" : "-") + part;
  }
  return slug;
}

SweepPlan parse_sweep(const std::string& text, const fs::path& source_path) {
  const std::string source = source_path.string();
  const YAML::Node root = load_sweep_root(text, source);
  SweepPlan plan;
  plan.sweep_file = source_path;
  SweepSections sections = read_sections(root, source_path, source);
  apply_fixed_overrides(sections);
  const std::size_t count = count_points(sections.dims, source, plan.keys);
  InvalidPoints invalid;
  expand_points(sections.dims, sections.base, count, plan, invalid);
  check_no_invalid_points(invalid, count, source);
  return plan;
}

SweepPlan load_sweep_file(const fs::path& sweep_file) {
  std::error_code error;
  if (fs::is_directory(sweep_file, error))
    throw ConfigError("sweep file is a directory: " + sweep_file.string());
  std::ifstream in(sweep_file, std::ios::binary);
  if (!in) throw ConfigError("sweep file not found or unreadable: " + sweep_file.string());
  std::ostringstream text;
  text << in.rdbuf();
  return parse_sweep(text.str(), sweep_file);
}

}  // namespace cimba::sim
