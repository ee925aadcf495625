#pragma once
// Runs the golden cases of NUMERICS.md (an INDEX.json listing safetensors cases, see
// shared/data/golden-numerics/README.md) through the numerics library and compares.
#include <filesystem>
#include <string>
#include <vector>

namespace cimba::workloads {

/// One comparison inside a case.
struct GoldenCheck {
  std::string what;        // e.g. "Y rel L2", "q mismatches", "saturated"
  double error = 0.0;      // the measured error (relative, fraction or count difference)
  double tolerance = 0.0;  // pass when error <= tolerance
  bool pass() const { return error <= tolerance; }
};

struct GoldenCaseResult {
  std::string name;  // case name from INDEX.json
  std::string kind;  // metadata "kind"
  std::vector<GoldenCheck> checks;
  bool pass() const;
  /// The check closest to (or furthest past) its tolerance: largest error / tolerance.
  const GoldenCheck& worst() const;
};

/// Runs one case file. Throws FormatError naming the file for a malformed case (missing tensor
/// or parameter, wrong shape, unknown kind), IoError when unreadable.
GoldenCaseResult run_golden_case(const std::filesystem::path& file, const std::string& name);

/// Reads DIR/INDEX.json ({"cases": [names...]}) and runs DIR/<name>.safetensors for each.
/// Throws FormatError for a malformed index, or the first malformed case.
std::vector<GoldenCaseResult> run_golden_dir(const std::filesystem::path& dir);

}  // namespace cimba::workloads
