#pragma once
// The files of a sweep directory (docs/sweep.md):
//   DIR/points.csv                    point id -> the swept keys' values (every point)
//   DIR/points/<id>/config.yaml       the point's resolved config (written before it runs)
//   DIR/points/<id>/result.json       } written by `cimba run` (atomically, together)
//   DIR/points/<id>/layers.csv        }
//   DIR/points/<id>/stderr.txt        the child's stderr
//   DIR/points/<id>/failed.txt        exit status and last stderr line of a failed run
//   DIR/calib/<group>.safetensors     shared calibrations (mamba)
//   DIR/sweep.csv                     one row per point: id, swept values, status, metrics
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "sim/run_config.hpp"

namespace cimba::sim {

/// The id -> values table of points.csv.
struct SweepTable {
  std::vector<std::string> keys;  // swept keys, in column order
  struct Row {
    std::string id;
    std::vector<std::string> values;  // one per key
  };
  std::vector<Row> rows;  // in point order (ids sort the same way)
};

/// points.csv text: header `point,<keys>`, one row per point.
std::string render_points_csv(const SweepTable& table);
/// Parses points.csv (throws FormatError naming `source` on a malformed file).
SweepTable parse_points_csv(const std::string& text, const std::string& source);

/// One CSV field, quoted when it holds a comma, quote, newline or edge spaces.
std::string csv_field(const std::string& text);

/// True when DIR/points/<id> holds a complete result of `config`: result.json parses, its
/// `config` equals config_to_json(config) and layers.csv exists. calib.save / calib.load are not
/// compared when `config` leaves both empty (the sweep sets them to share calibrations).
bool point_result_complete(const std::filesystem::path& point_dir, const RunConfig& config);

struct SweepMerge {
  std::string csv;  // sweep.csv content
  std::size_t ok = 0, failed = 0, pending = 0;
};

/// sweep.csv text from whatever is in `dir`: one row per point of `table`, sorted by id, with
/// columns point, the swept keys, status (ok | failed | pending) and every scalar of each ok
/// result's `metrics` object (nested names flattened with '.'), then those of `hardware.totals`
/// and `hardware.area` when present (named `hardware.totals.latency_ns`, ...), in order of
/// first appearance; arrays are left out; null (a non-finite number in result.json) becomes an
/// empty cell. A point is ok when
/// point_result_complete holds for the config in its config.yaml. Deterministic bytes.
SweepMerge merge_sweep_results(const std::filesystem::path& dir, const SweepTable& table);

/// Reads DIR/points.csv and writes DIR/sweep.csv (atomically). Throws IoError when
/// DIR/points.csv is missing, FormatError when it is malformed.
SweepMerge merge_sweep_directory(const std::filesystem::path& dir);

}  // namespace cimba::sim
