#include "models/cost/dram.hpp"

#include <algorithm>
#include <cctype>
#include <string>

#include "models/common/error.hpp"

namespace cimba::cost {
namespace {

// pJ/b figures and their sources: see dram.hpp.
constexpr double kLpddr4_pJ_per_bit = 14.0;
constexpr double kLpddr5OverLpddr4 = 0.7;  // "up to 30 % lower power" (Samsung, 2019)
constexpr double kHbm2_pJ_per_bit = 3.9;   // O'Connor et al. MICRO 2017 baseline (unverified)

DramPreset make(DramKind kind, const char* name, double pj, double mtps, int pins,
                const char* src) {
  // MT/s * pins / 8 = MB/s; / 1000 = GB/s.
  return DramPreset{kind, name, pj, mtps * pins / 8.0 / 1000.0, mtps, pins, src};
}

}  // namespace

DramPreset dram_preset(DramKind kind) {
  switch (kind) {
    case DramKind::kLpddr4:
      return make(kind, "LPDDR4", kLpddr4_pJ_per_bit, 3200.0, 64,
                  "Ha, Stanford PhD thesis (DramDSE), via Dongyunkam/DRAM_info; JESD209-4");
    case DramKind::kLpddr5:
      return make(kind, "LPDDR5", kLpddr4_pJ_per_bit * kLpddr5OverLpddr4, 6400.0, 64,
                  "derived: LPDDR4 x 0.7 (Samsung -30 % claim, 2019); JESD209-5");
    case DramKind::kHbm2:
      return make(kind, "HBM2", kHbm2_pJ_per_bit, 2000.0, 1024,
                  "O'Connor et al., MICRO 2017 HBM2 baseline (unverified); JESD235A");
  }
  throw InvalidArgument("cost: unknown DRAM kind");
}

DramPreset dram_preset(std::string_view name) {
  std::string n(name);
  std::transform(n.begin(), n.end(), n.begin(), [](unsigned char ch) { return std::tolower(ch); });
  if (n == "lpddr4") return dram_preset(DramKind::kLpddr4);
  if (n == "lpddr5") return dram_preset(DramKind::kLpddr5);
  if (n == "hbm2") return dram_preset(DramKind::kHbm2);
  throw ConfigError("unknown DRAM preset '" + std::string(name) +
                    "' (expected lpddr4, lpddr5 or hbm2)");
}

double dram_transfer_energy_pJ(const DramPreset& d, double bytes) {
  if (!(bytes >= 0.0)) throw InvalidArgument("cost: DRAM transfer size must be >= 0 B");
  return bytes * 8.0 * d.energy_pJ_per_bit;
}

double dram_transfer_time_ns(const DramPreset& d, double bytes) {
  if (!(bytes >= 0.0)) throw InvalidArgument("cost: DRAM transfer size must be >= 0 B");
  return bytes / d.bandwidth_GBps;  // B / (GB/s) = ns
}

}  // namespace cimba::cost
