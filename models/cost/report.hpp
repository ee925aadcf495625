#pragma once
// Per-component area / energy table of a whole accelerator, cimba::cost.
//
// Entry points for the CLI (`cimba cost`):
//   std::vector<CostRow> cost_table(const AcceleratorDesc&)   -- structured rows
//   std::string render_cost_table(const std::vector<CostRow>&) -- fixed-width text
//   std::string render_cost_table(const AcceleratorDesc&)      -- both in one call
// Everything is computed from the models of this library (tech, adc, sram, cim, digital, dram);
// each row carries the short citation of its numbers. Throws cimba::InvalidArgument on bad input.
#include <cstdint>
#include <string>
#include <vector>

#include "models/cost/adc.hpp"
#include "models/cost/cim.hpp"
#include "models/cost/digital.hpp"
#include "models/cost/dram.hpp"
#include "models/cost/tech.hpp"

namespace cimba::cost {

/// Plain description of a CIM accelerator (what `hw.*` config keys will fill in).
struct AcceleratorDesc {
  TechPoint tech{7, 0.8, 1.0};  ///< node (nm), supply (V), digital clock (GHz)

  // CIM macros
  int cim_macros = 16;
  int cim_rows = 256;
  int cim_cols = 256;
  CimCellType cim_cell = CimCellType::k8T;
  InputEncoding cim_encoding = InputEncoding::kBitSerial;
  int cim_input_bits = 8;
  int cim_dac_bits = 1;
  double cim_input_activity = 0.5;
  int cim_cols_per_conversion = 1;
  int cim_conversions_per_adc = 8;  ///< columns time-multiplexed per ADC
  double cim_pulse_width_ns = 1.0;
  double cim_drive_ns = 0.0;  ///< one input slice's drive; 0: the encoding's own (CimMacroParams)
  int cim_acc_bits = 24;
  AdcModel adc_model = AdcModel::kSurvey;  ///< hw.cim.adc.model
  int adc_bits = 6;
  double adc_sample_rate_Hz = 0.0;  ///< one ADC's rate; 0: back to back (CimMacroParams)
  CimCalibration cim_cal{};

  // on-chip memories (bytes) and their word width (bits)
  std::int64_t input_buffer_bytes = 64 * 1024;
  std::int64_t output_buffer_bytes = 64 * 1024;
  std::int64_t ssm_state_bytes = 128 * 1024;
  int sram_width_bits = 128;
  std::int64_t scale_table_bytes = 1024;  ///< register file
  int scale_table_width_bits = 16;

  // special-function / digital units (counts)
  int fp32_adders = 16;
  int fp32_multipliers = 16;
  int int_adders = 64;
  int int_adder_bits = 32;
  int exp_units = 16;
  int softplus_units = 16;
  int silu_units = 0;       ///< SiLU datapaths (silu_unit)
  int fp32_dividers = 0;    ///< FP32 dividers (fp32_divider)
  int fp32_sqrt_units = 0;  ///< FP32 square roots (fp32_sqrt_unit)
  FunctionImpl sfu_impl = FunctionImpl::kPwlInt16;
  int pwl_segments = 32;

  DramKind dram = DramKind::kLpddr5;
};

struct CostRow {
  std::string name;        ///< component
  int count = 1;           ///< instances in the accelerator
  double area_um2 = 0.0;   ///< area of ONE instance
  double energy_pJ = 0.0;  ///< energy of ONE action of one instance
  std::string action;      ///< what the action is
  double latency_ns = 0.0;
  double leakage_uW = 0.0;  ///< of one instance
  std::string source;
};

/// One row per component (CIM macro parts, ADC, SRAMs, register file, digital units, DRAM).
/// DRAM rows have area 0 (off chip) and energy per 64-byte transfer.
std::vector<CostRow> cost_table(const AcceleratorDesc& desc);

/// Fixed-width table with a total-area / total-leakage footer.
std::string render_cost_table(const std::vector<CostRow>& rows);
std::string render_cost_table(const AcceleratorDesc& desc);

}  // namespace cimba::cost
