#pragma once
// Validation of the cost models against two published SRAM-CIM macros, cimba::cost.
//
//  Jia et al., "A Programmable Heterogeneous Microprocessor Based on Bit-Scalable In-Memory
//  Computing", IEEE JSSC 55(9):2609-2621, 2020, doi:10.1109/JSSC.2020.2987714 (65 nm).
//    -> CALIBRATION macro: the three CimCalibration factors are fitted on it.
//  Sinangil et al., "A 7-nm Compute-in-Memory SRAM Macro Supporting Multi-Bit Input, Weight and
//  Output and Achieving 351 TOPS/W and 372.4 GOPS", IEEE JSSC 56(1), 2021,
//  doi:10.1109/JSSC.2020.3031290 (7 nm).
//    -> VALIDATION macro: evaluated with the Jia-fitted factors, nothing fitted on it.
//
// Entry points for the CLI (`cimba validate`): validate_against_silicon() and
// render_validation_table().
#include <string>
#include <vector>

#include "models/cost/cim.hpp"

namespace cimba::cost {

/// Tolerance of the validation target (relative error).
inline constexpr double kValidationTolerance = 0.25;

struct ValidationRow {
  std::string macro;   ///< "Jia JSSC'20 (65 nm)" / "Sinangil JSSC'21 (7 nm)"
  std::string figure;  ///< what is compared
  std::string unit;
  double published = 0.0;
  double cimba = 0.0;
  double rel_error = 0.0;  ///< (cimba - published) / published
  bool gated = true;       ///< true: the 25 % target applies (tests enforce it)
  std::string note;        ///< calibration / assumption / source remarks
  /// How cimba's figure relates to the published one: "fitted" (a calibration factor was fitted
  /// to make it match), "check" (follows from fitted numbers of the same macro), "predicted"
  /// (held out: nothing fitted on this macro), "not a model" (bookkeeping only).
  std::string basis;
};

/// The macro every calibration factor is fitted on (for `cimba validate`).
inline constexpr const char* kCalibrationMacro =
    "Jia et al., IEEE JSSC 55(9), 2020 (65 nm charge-domain macro)";
/// True when every gated row is within kValidationTolerance.
bool all_gated_within_tolerance(const std::vector<ValidationRow>& rows);

/// The Jia macro as a CimMacroParams (65 nm, 0.85 V, 2304 x 256 8T1C, bit-serial 1 b inputs,
/// 256 8-bit SAR ADCs), with the given calibration.
CimMacroParams jia_jssc2020_macro(const CimCalibration& cal);
/// The Sinangil macro (7 nm, 0.8 V, 64 x 64 8T, 4-bit pulse-count inputs, 4-bit weights over 4
/// charge-shared columns, 16 4-bit flash ADCs), with the given calibration.
CimMacroParams sinangil_jssc2021_macro(const CimCalibration& cal);

/// Fits the three calibration factors on Jia et al. (published ADC energy 1.79 pJ/conversion,
/// ADC area 0.497 mm^2 for 256 ADCs, CiM energy 9.7 pJ per column per 1-b cycle, at 0.85 V).
CimCalibration fit_calibration_on_jia();

/// Compares cimba's models with the published figures of both macros (calibration fitted on Jia
/// only). Deterministic; no I/O.
std::vector<ValidationRow> validate_against_silicon();

/// Fixed-width text table of the rows (one line per row plus header and notes).
std::string render_validation_table(const std::vector<ValidationRow>& rows);

}  // namespace cimba::cost
