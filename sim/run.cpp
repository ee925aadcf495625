// `cimba run`: the one pipeline every model family runs through (sim/family.hpp), and the
// command that writes its result files.
#include "sim/run.hpp"

#include <chrono>
#include <iostream>

#include "hw/accelerator.hpp"
#include "models/common/error.hpp"
#include "sim/atomic_file.hpp"
#include "sim/calibration_fingerprint.hpp"
#include "sim/family.hpp"
#include "sim/progress.hpp"

namespace cimba::sim {

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/// Step 3: the calibration is loaded (and its fingerprint checked), computed (when the
/// configuration needs one or calib.save asks), or none; then saved when calib.save asks.
void calibration_step(const RunConfig& cfg, CalibrationFamily family, FamilyRun& run,
                      Progress& progress, PipelineRecord& record) {
  if (!cfg.calib.load.empty()) {
    check_calibration_fingerprint(run.load_calibration(cfg.calib.load), cfg, family);
    record.calib_source = "loaded";
  } else if (run.needs_calibration() || !cfg.calib.save.empty()) {
    const auto t0 = std::chrono::steady_clock::now();
    run.calibrate(progress, calibration_fingerprint(cfg, family));
    record.calib_seconds = seconds_since(t0);
    record.calib_source = "computed";
  }
  if (!cfg.calib.save.empty()) run.save_calibration(cfg.calib.save);
  record.calib_file = !cfg.calib.load.empty() ? cfg.calib.load : cfg.calib.save;
}

}  // namespace

RunOutput execute_run(const RunConfig& config, Progress* progress_or_null) {
  Progress silent(nullptr);
  Progress& progress = progress_or_null ? *progress_or_null : silent;
  const ModelFamily& family = model_family(config.workload.kind);
  const std::unique_ptr<FamilyRun> run = family.start(config);
  if (family.runs_hardware() && !config.hw.trace.empty() && hw::hardware_has_run())
    throw ConfigError("hw.trace: " + config.hw.trace +
                      ": a VCD can only be written by the first hardware run of a process "
                      "(SystemC elaborates once); run this config on its own");
  run->load(progress);
  PipelineRecord record;
  if (const auto calibration = family.calibration_family())
    calibration_step(config, *calibration, *run, progress, record);
  // The hardware before the long replay, so that a configuration the hardware cannot run (e.g. a
  // buffer too small) fails early.
  const auto hw_t0 = std::chrono::steady_clock::now();
  record.hardware = run->run_hardware(progress);
  record.hw_seconds = seconds_since(hw_t0);
  run->replay(progress);
  return run->render(record);
}

int run_command(const RunConfig& config, const std::filesystem::path& out_dir, bool quiet) {
  std::error_code ignored;
  const bool existed = std::filesystem::exists(out_dir, ignored);
  create_output_directory(out_dir);  // fail before computing if the directory is unusable
  RunOutput out;
  try {
    Progress progress(progress_enabled(quiet) ? &std::cerr : nullptr);
    out = execute_run(config, &progress);
  } catch (...) {
    // A run that fails leaves nothing behind: not even the (empty) directory it made.
    if (!existed) std::filesystem::remove(out_dir, ignored);  // only removes it when empty
    throw;
  }
  write_files_atomic({{out_dir / "result.json", out.result.dump(2) + "\n"},
                      {out_dir / "layers.csv", out.layers_csv}});
  if (!quiet)
    std::cout << out.summary << "  wrote        " << (out_dir / "result.json").string() << ", "
              << (out_dir / "layers.csv").string() << "\n";
  return 0;
}

}  // namespace cimba::sim
