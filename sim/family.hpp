#pragma once
// A model family as a plug-in of `cimba run`. The one run pipeline (sim/run.cpp, execute_run)
// does the steps every family shares, in this order:
//   1. ModelFamily::start       config-only checks (required keys), nothing read yet
//   2. FamilyRun::load          model, data and the checks that need the model's shape
//   3. calibration              calib.load (+ fingerprint check) / computed / none; calib.save
//   4. FamilyRun::run_hardware  the family's op program(s) on the SystemC accelerator
//   5. FamilyRun::replay        the quantized replay against the FP32 reference
//   6. FamilyRun::render        result.json, layers.csv and the summary
// A family implements FamilyRun for its workloads/<family>/ code and registers itself in
// sim/family.cpp (docs/ARCHITECTURE.md, "Adding a model family").
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "sim/calibration_fingerprint.hpp"
#include "sim/run.hpp"
#include "sim/run_config.hpp"

namespace cimba::sim {

class Progress;

/// What the pipeline did around a family's steps, for its result files.
struct PipelineRecord {
  std::string calib_source = "none";  // none | loaded | computed
  std::string calib_file;             // calib.load, else calib.save ("" when neither)
  double calib_seconds = 0.0;         // wall time of a computed calibration
  double hw_seconds = 0.0;            // wall time of run_hardware
  nlohmann::ordered_json hardware;    // what run_hardware returned
};

/// One run of a family (its state between the steps).
class FamilyRun {
 public:
  virtual ~FamilyRun() = default;
  /// Loads the model and the evaluation data; checks the config against the model's shape.
  virtual void load(Progress& progress) = 0;
  /// True when the configuration needs calibrated static settings (then step 3 computes them
  /// unless calib.load gives them).
  virtual bool needs_calibration() const { return false; }
  /// Reads a calibration file; returns the fingerprint it records.
  virtual std::map<std::string, std::string> load_calibration(const std::string& path);
  /// Computes the calibration and records `fingerprint` in it.
  virtual void calibrate(Progress& progress, const std::map<std::string, std::string>& fingerprint);
  /// Writes the calibration (loaded or computed) to `path`.
  virtual void save_calibration(const std::string& path) const;
  /// Plays the workload on the accelerator; returns the "hardware" section of result.json
  /// (null for a family without hardware).
  virtual nlohmann::ordered_json run_hardware(Progress& progress) = 0;
  /// The quantized replay against the FP32 reference.
  virtual void replay(Progress& progress) = 0;
  /// The result files and the summary.
  virtual RunOutput render(const PipelineRecord& record) const = 0;
};

/// A model family: the value of workload.kind it runs and how to start a run of it.
class ModelFamily {
 public:
  virtual ~ModelFamily() = default;
  /// workload.kind of this family.
  virtual WorkloadKind kind() const = 0;
  /// The family whose key list (sim/calibration_fingerprint) a saved calibration records;
  /// nullopt: the family reads and writes no calibration files (calib.load / calib.save are
  /// refused).
  virtual std::optional<CalibrationFamily> calibration_family() const = 0;
  /// True when the family plays its workload on the SystemC accelerator (hw.trace applies).
  virtual bool runs_hardware() const = 0;
  /// True when sweep points with equal calibration fingerprints may share one calibration.
  virtual bool can_share_calibration(const RunConfig& config) const;
  /// Step 1: a run of `config` (config-only checks; throws ConfigError naming the key).
  virtual std::unique_ptr<FamilyRun> start(const RunConfig& config) const = 0;
};

/// The registered family of `kind` (ConfigError when none is).
const ModelFamily& model_family(WorkloadKind kind);

}  // namespace cimba::sim
