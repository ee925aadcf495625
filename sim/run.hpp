#pragma once
// `cimba run`: executes the configured workload and writes DIR/result.json and DIR/layers.csv.
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "sim/run_config.hpp"

namespace cimba::sim {

class Progress;

/// Everything a run produced, rendered; nothing is written yet.
struct RunOutput {
  nlohmann::ordered_json result;  // result.json content
  std::string layers_csv;         // layers.csv content
  std::string summary;            // human-readable summary (rendered from the same numbers)
};

/// Runs the workload of `config` (pure computation; throws cimba::Error subclasses). `progress`
/// (optional) shows the long steps; it has no effect on the output.
RunOutput execute_run(const RunConfig& config, Progress* progress = nullptr);

/// The `run` subcommand after option parsing: checks that `out_dir` can be written, runs, writes
/// result.json and layers.csv atomically (nothing partial on failure), prints the summary.
/// Returns the exit code.
int run_command(const RunConfig& config, const std::filesystem::path& out_dir, bool quiet);

}  // namespace cimba::sim
