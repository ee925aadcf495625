#pragma once
// Common result type of the cimba cost models.
#include <string>

namespace cimba::cost {

/// Cost of one hardware component instance.
struct ComponentCost {
  double energy_pJ = 0.0;   ///< dynamic energy of one `action` (pJ)
  double area_um2 = 0.0;    ///< silicon area of one instance (um^2)
  double latency_ns = 0.0;  ///< time one action takes (ns)
  double leakage_uW = 0.0;  ///< static power of one instance while powered (uW)
  std::string action;       ///< what one action is, e.g. "convert", "read 64 b", "FP32 mul"
  std::string source;       ///< short citation of the figures the numbers come from
};

/// Share of full-activity dynamic power that the library charges as leakage for digital logic
/// and for ADCs when no better figure is known: 10 %.
/// ASSUMPTION (stated fraction, no measured source): the issue allows leakage "from a stated
/// fraction"; 10 % is a modelling choice, documented in docs/cost-models.md, not a measurement.
inline constexpr double kLogicLeakageFraction = 0.10;

}  // namespace cimba::cost
