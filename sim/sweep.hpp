#pragma once
// `cimba sweep SWEEP.yaml [-j N] [--shard i/N] [--out DIR]` and `cimba sweep --merge DIR`
// (docs/sweep.md).
//
// Every point of the sweep file is validated first (an invalid point: ConfigError, exit 2,
// nothing written). Then each selected point runs as a child process
// `cimba run DIR/points/<id>/config.yaml --out DIR/points/<id> --quiet` (the SystemC model allows
// one simulation per process), up to N at a time; points whose results are already complete are
// skipped (resume). Mamba points with equal calibration fingerprints (sim/sweep_calibration.hpp)
// calibrate once: a representative runs first with calib.save, the others load its file. At the
// end DIR/sweep.csv is rebuilt from every result present.
#include <cstddef>
#include <filesystem>
#include <iosfwd>
#include <string>
#include <utility>
#include <vector>

#include "models/common/error.hpp"

namespace cimba::sim {

/// Some points of a sweep failed (exit code 1); the others finished and are in sweep.csv.
class SweepPointsFailed : public Error {
 public:
  using Error::Error;
};

struct SweepOptions {
  std::filesystem::path sweep_file;
  std::filesystem::path out_dir;
  int jobs = 1;         // child processes at a time
  int shard_index = 0;  // run the points whose index % shard_count == shard_index
  int shard_count = 1;
  bool share_calibration = true;
  std::filesystem::path executable;  // the cimba binary for the children; empty: /proc/self/exe
};

struct SweepSummary {
  std::size_t points = 0;    // in the sweep
  std::size_t selected = 0;  // in this shard
  std::size_t skipped = 0;   // complete before this run
  std::size_t ran = 0;       // run now, successfully
  std::size_t failed = 0;
  std::size_t calibration_groups = 0;  // shared calibrations used (computed or found)
};

/// Parses "i/N" (0 <= i < N); throws ConfigError naming --shard.
std::pair<int, int> parse_shard(const std::string& text);

/// The CPUs this process may run on (sched_getaffinity; respects Slurm and taskset), at least 1.
int available_cores();

/// Runs a sweep; progress lines go to `progress`. Throws ConfigError before anything is written
/// (invalid sweep file or point), SweepPointsFailed after the run when points failed.
SweepSummary run_sweep(const SweepOptions& options, std::ostream& progress);

/// The `sweep` subcommand (arguments after the command name); returns the exit code.
int sweep_command(const std::vector<std::string>& args);

}  // namespace cimba::sim
