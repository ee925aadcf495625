#pragma once
// The config schema: ONE table (sim/config_schema.cpp) lists every key of RunConfig with its type,
// range and meaning; its default is read from a default-constructed RunConfig (run_config.hpp is
// the single source of defaults). The table drives validation, did-you-mean suggestions, `cimba run
// --print-config`, the JSON config in result.json and docs/config.md.
//
// Adding a key: add the field (with its default) to RunConfig and one row to the table in
// config_schema.cpp, e.g.
//   int_key(CIMBA_KEY(hw.cim.adc.bits), closed(1, 16), "resolution of each column ADC in bits"),
// CIMBA_KEY spells the YAML path and the member access from the same tokens, so the key path always
// equals the struct path and the row is also the line that copies the value into RunConfig.
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "sim/run_config.hpp"

namespace cimba::sim::schema {

enum class ValueType { Int, Float, Bool, String, Enum };

/// A validated value of one key. Enum values are held by name.
using Value = std::variant<bool, std::int64_t, double, std::string>;

/// One end of a numeric range.
struct Bound {
  double value = 0.0;
  bool inclusive = true;
};

/// Allowed numeric range of an int or float key; an absent end is unbounded.
struct Range {
  std::optional<Bound> min;
  std::optional<Bound> max;
};

inline Range closed(double lo, double hi) { return {Bound{lo, true}, Bound{hi, true}}; }
inline Range left_open(double lo, double hi) { return {Bound{lo, false}, Bound{hi, true}}; }
inline Range at_least(double lo) { return {Bound{lo, true}, std::nullopt}; }
inline Range unbounded() { return {}; }

/// One leaf key of the config.
struct KeySpec {
  std::string path;  // full dotted path, e.g. "hw.cim.adc.bits"
  ValueType type = ValueType::Int;
  Range range;                           // Int and Float only
  std::vector<std::string> enum_values;  // Enum only, in documentation order
  // Int only: the limits of the C++ field (a value must also fit in it).
  std::int64_t storage_min = std::numeric_limits<std::int64_t>::min();
  std::int64_t storage_max = std::numeric_limits<std::int64_t>::max();
  std::string meaning;  // one line
  std::function<void(RunConfig&, const Value&)> set;
  std::function<Value(const RunConfig&)> get;

  /// The last path component ("bits").
  std::string name() const;
  /// The section path ("hw.cim.adc"; "" for top-level keys).
  std::string section() const;
};

/// A mapping that groups keys (e.g. "hw.cim.adc"), documented by one line.
struct SectionSpec {
  std::string path;
  std::string meaning;
};

/// A rule across keys, checked after every key is valid on its own.
struct CrossRule {
  std::vector<std::string>
      keys;                 // keys involved; the first one present in the input locates errors
  std::string description;  // e.g. "quant.overlap_bits < quant.slice_bits"
  // Returns the violation message (without location) or nullopt when the rule holds.
  std::function<std::optional<std::string>(const RunConfig&)> check;
};

struct Schema {
  std::vector<SectionSpec> sections;  // every section, parents before children
  std::vector<KeySpec> keys;          // every leaf key, grouped by section
  std::vector<CrossRule> rules;
};

/// The schema of RunConfig (built once).
const Schema& config_schema();

/// The key with this full path, or nullptr.
const KeySpec* find_key(std::string_view path);
/// The section with this full path ("" is the top level), or nullptr.
const SectionSpec* find_section(std::string_view path);
/// Names of the keys and sections directly below a section, sorted ("" is the top level).
std::vector<std::string> child_names(std::string_view section_path);

/// "int", "float", "bool", "string" or "enum".
std::string type_name(ValueType type);
/// The allowed values in words: "1..16", "(0, 1]", ">= 0", "dynamic, static, bypass", "any".
std::string range_text(const KeySpec& key);
/// What a value of this key must be: "expected int in 1..16", "expected one of dynamic, static".
std::string expected_text(const KeySpec& key);
/// The value as it appears in YAML and in the docs (strings unquoted; floats keep a '.').
std::string format_value(const KeySpec& key, const Value& value);
/// True when `formatted` (format_value) is the default of the key at `path`. A calibration file
/// that predates a key was made with its default, so a missing fingerprint entry matches it.
bool is_default_value(std::string_view path, const std::string& formatted);

/// Parses and range-checks the text of a scalar for this key. On failure returns the reason,
/// e.g. "17 is out of range (expected int in 1..16)".
std::variant<Value, std::string> parse_value(const KeySpec& key, std::string_view text);

/// Optimal-string-alignment edit distance (adjacent transpositions count as one edit).
std::size_t edit_distance(std::string_view a, std::string_view b);
/// The candidate closest to `word` if it is close enough to be a plausible typo.
std::optional<std::string> closest_match(std::string_view word,
                                         const std::vector<std::string>& candidates);

// ---- Row builders used by the table in config_schema.cpp ------------------------------------

namespace detail {
template <class Access>
using FieldOf =
    std::remove_reference_t<decltype(std::declval<Access&>()(std::declval<RunConfig&>()))>;
}  // namespace detail

/// Expands to `"a.b.c", accessor` for the field `RunConfig::a.b.c`: the path cannot drift from the
/// member it names.
#define CIMBA_KEY(member_path) \
#member_path, [](auto& config) -> auto& { return config.member_path; }

template <class Access>
KeySpec int_key(std::string path, Access access, Range range, std::string meaning) {
  using Field = detail::FieldOf<Access>;
  static_assert(std::is_integral_v<Field> && !std::is_same_v<Field, bool>, "int_key needs an int");
  KeySpec key;
  key.path = std::move(path);
  key.type = ValueType::Int;
  key.range = range;
  key.storage_min = static_cast<std::int64_t>(std::numeric_limits<Field>::min());
  if constexpr (std::is_unsigned_v<Field> && sizeof(Field) >= sizeof(std::int64_t)) {
    key.storage_max = std::numeric_limits<std::int64_t>::max();  // values go through int64
  } else {
    key.storage_max = static_cast<std::int64_t>(std::numeric_limits<Field>::max());
  }
  key.meaning = std::move(meaning);
  key.set = [access](RunConfig& config, const Value& value) {
    access(config) = static_cast<Field>(std::get<std::int64_t>(value));
  };
  key.get = [access](const RunConfig& config) -> Value {
    return static_cast<std::int64_t>(access(config));
  };
  return key;
}

template <class Access>
KeySpec float_key(std::string path, Access access, Range range, std::string meaning) {
  static_assert(std::is_same_v<detail::FieldOf<Access>, double>, "float_key needs a double");
  KeySpec key;
  key.path = std::move(path);
  key.type = ValueType::Float;
  key.range = range;
  key.meaning = std::move(meaning);
  key.set = [access](RunConfig& config, const Value& value) {
    access(config) = std::get<double>(value);
  };
  key.get = [access](const RunConfig& config) -> Value { return access(config); };
  return key;
}

template <class Access>
KeySpec bool_key(std::string path, Access access, std::string meaning) {
  static_assert(std::is_same_v<detail::FieldOf<Access>, bool>, "bool_key needs a bool");
  KeySpec key;
  key.path = std::move(path);
  key.type = ValueType::Bool;
  key.meaning = std::move(meaning);
  key.set = [access](RunConfig& config, const Value& value) {
    access(config) = std::get<bool>(value);
  };
  key.get = [access](const RunConfig& config) -> Value { return access(config); };
  return key;
}

template <class Access>
KeySpec string_key(std::string path, Access access, std::string meaning) {
  static_assert(std::is_same_v<detail::FieldOf<Access>, std::string>, "string_key needs a string");
  KeySpec key;
  key.path = std::move(path);
  key.type = ValueType::String;
  key.meaning = std::move(meaning);
  key.set = [access](RunConfig& config, const Value& value) {
    access(config) = std::get<std::string>(value);
  };
  key.get = [access](const RunConfig& config) -> Value { return access(config); };
  return key;
}

/// An enum key; `values` maps each YAML name to its C++ enumerator, in documentation order.
template <class Access, class Enum = detail::FieldOf<Access>>
KeySpec enum_key(std::string path, Access access, std::vector<std::pair<std::string, Enum>> values,
                 std::string meaning) {
  static_assert(std::is_enum_v<Enum>, "enum_key needs an enum");
  KeySpec key;
  key.path = std::move(path);
  key.type = ValueType::Enum;
  for (const auto& [name, enumerator] : values) key.enum_values.push_back(name);
  key.meaning = std::move(meaning);
  key.set = [access, values](RunConfig& config, const Value& value) {
    for (const auto& [name, enumerator] : values) {
      if (name == std::get<std::string>(value)) access(config) = enumerator;
    }
  };
  key.get = [access, values](const RunConfig& config) -> Value {
    for (const auto& [name, enumerator] : values) {
      if (enumerator == access(config)) return name;
    }
    return std::string("?");  // unreachable while every enumerator has a row
  };
  return key;
}

}  // namespace cimba::sim::schema
