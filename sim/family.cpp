#include "sim/family.hpp"

#include <vector>

#include "models/common/error.hpp"
#include "sim/families/families.hpp"

namespace cimba::sim {

std::map<std::string, std::string> FamilyRun::load_calibration(const std::string&) {
  throw CheckFailed("this model family reads no calibration files");
}

void FamilyRun::calibrate(Progress&, const std::map<std::string, std::string>&) {
  throw CheckFailed("this model family computes no calibration");
}

void FamilyRun::save_calibration(const std::string&) const {
  throw CheckFailed("this model family writes no calibration files");
}

bool ModelFamily::can_share_calibration(const RunConfig&) const { return false; }

const ModelFamily& model_family(WorkloadKind kind) {
  // The registry: one line per family.
  static const std::vector<std::unique_ptr<ModelFamily>> families = [] {
    std::vector<std::unique_ptr<ModelFamily>> f;
    f.push_back(make_mamba1_family());
    f.push_back(make_jit_family());
    f.push_back(make_linear_family());
    return f;
  }();
  for (const auto& f : families)
    if (f->kind() == kind) return *f;
  throw ConfigError("workload.kind: no model family is registered for this workload");
}

}  // namespace cimba::sim
