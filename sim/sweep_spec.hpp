#pragma once
// Sweep files (docs/sweep.md): a base config plus axes over config keys, expanded into points,
// each point validated into a RunConfig before anything runs.
//
//   base: ../linear.yaml            # a config file (relative to the sweep file) or a mapping
//   set: {quant.a_range: static}    # fixed overrides of the base, the same for every point
//   grid:                           # cartesian product, first key slowest
//     hw.cim.adc.bits: [4..14]      # integer range a..b or a..b:step, or an explicit list
//     workload.ssm_input.scheme: [fp32, int8, group, dual_scale]
//   zip:                            # groups of lists advanced together (equal lengths)
//     - {quant.w_bits: [4, 6, 8], quant.a_bits: [8, 10, 12]}
//
// Dimensions are the grid keys in file order, then each zip group; point i is the i-th
// combination in row-major order (the last dimension varies fastest). Its id is `p` + the index
// (zero-padded to at least 4 digits) + a slug of the values, e.g. `p0007-bits=11`: stable for a
// given sweep file, sortable, readable.
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sim/config.hpp"
#include "sim/run_config.hpp"

namespace cimba::sim {

/// One value of one swept key, with where it is written (for messages).
struct SweepValue {
  std::string text;  // as written (a range is expanded into its integers)
  SourceLocation at;
};

/// One dimension of the product: one grid key, or a zip group of keys advanced together.
struct SweepDimension {
  std::vector<std::string> keys;
  std::vector<std::vector<SweepValue>> values;  // values[step][key]
};

struct SweepPoint {
  std::size_t index = 0;
  std::string id;  // "p0007-bits=11"
  /// The swept keys in column order with the point's resolved value, as docs/config.md writes it.
  std::vector<std::pair<std::string, std::string>> values;
  RunConfig config;
};

struct SweepPlan {
  std::filesystem::path sweep_file;
  std::vector<std::string> keys;  // swept keys, in column order
  std::vector<SweepPoint> points;
};

/// Expands an integer range `a..b` or `a..b:step` (a <= b, step >= 1) into its values; nullopt
/// when `text` is not range syntax. Throws ConfigError (naming `where`) for a malformed range
/// such as `9..4` or `1..8:0`.
std::optional<std::vector<long long>> expand_int_range(const std::string& text,
                                                       const std::string& where);

/// Reads the sweep text (`source`: the sweep file path, for messages and to resolve `base:`),
/// expands it into points and validates every point (build_run_config on the base plus the
/// point's values). Throws ConfigError: for the file itself naming file:line:column, for invalid
/// points naming each point's id, values and the key.
SweepPlan parse_sweep(const std::string& text, const std::filesystem::path& source);

/// parse_sweep on a file; a missing file is a ConfigError.
SweepPlan load_sweep_file(const std::filesystem::path& sweep_file);

/// The slug of a point: `key=value` per swept key (last path component, value reduced to file-name
/// safe characters), joined by '-', at most about 60 characters.
std::string point_slug(const std::vector<std::string>& keys, const std::vector<std::string>& texts);

}  // namespace cimba::sim
