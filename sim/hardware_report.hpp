#pragma once
// The hardware side of `cimba run` (workload kind mamba): RunConfig -> hw::HwParams, the energy
// table (pJ per ledger action) and the area of every component from models/cost, the layers of
// the model played on the SystemC accelerator, and the "hardware" section of result.json with the
// summary rendered from it. See docs/results-format.md for every key.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hw/accelerator.hpp"
#include "models/cost/report.hpp"
#include "sim/run_config.hpp"
#include "workloads/calibration.hpp"
#include "workloads/mamba_model.hpp"
#include "workloads/op_program.hpp"
#include "workloads/text_data.hpp"

namespace cimba::sim {

/// The accelerator of `config`: every hw.* key, plus the keys the hardware shares with the
/// numerics (quant.w_bits -> cim.w_bits, hw.cim.adc.bits, ssm.exp_impl -> ssm.exp_impl).
/// hw.sram.<buffer> gets an entry of its own only when one of its fields is non-zero (0 inherits
/// hw.sram.default). Not validated: see hardware_config_problem.
hw::HwParams to_hw_params(const RunConfig& config);

/// The first problem of the accelerator as "key: message" (HwParams::validate, or a node the cost
/// models do not support), or nullopt. The config schema's cross-field rule, so that a bad hw key
/// is a ConfigError (exit 2) before anything runs.
std::optional<std::string> hardware_config_problem(const RunConfig& config);

/// One entry of the energy table: `key` is "<action>" (every component) or
/// "<action>@<component>"; `source` names the cost function that gave `pJ`.
struct EnergyPrice {
  std::string key;
  double pJ = 0.0;
  std::string source;
};

/// A ledger action the cost models cannot price, and why (never priced as 0 silently).
struct UnpricedAction {
  std::string key;  // "<action>" or "<action>@<component>"
  std::string reason;
};

struct PricedEnergyTable {
  hw::EnergyTable table;                 // what run_on_hardware prices the ledger with
  std::vector<EnergyPrice> prices;       // the same entries with their sources
  std::vector<UnpricedAction> unpriced;  // actions deliberately left without a price
  /// The reason for an unpriced "<action>@<component>" (or "" when none is recorded).
  std::string reason_for(const std::string& action_at_component) const;
};

/// Prices of every ledger action at the configured node and supply, ADC model and bits, CIM
/// geometry and cell, SRAM buffer sizes (configured, or the bytes `buffers` says the layer needs)
/// and DRAM preset.
PricedEnergyTable build_energy_table(const RunConfig& config, const hw::HwParams& hw,
                                     const std::vector<workloads::BufferUse>& buffers);

/// The AcceleratorDesc of models/cost that describes `hw` for a layer of `shape` (CIM macros,
/// ADCs, digital units counted from the lanes of the units; see hardware_report.cpp).
cost::AcceleratorDesc accelerator_desc(const RunConfig& config, const hw::HwParams& hw,
                                       const workloads::Mamba1LayerShape& shape);

/// One component of the area breakdown (all instances).
struct AreaRow {
  std::string component;
  int count = 0;
  double area_um2_each = 0.0;
  double area_um2 = 0.0;    // count x area_um2_each
  double leakage_uW = 0.0;  // all instances
  std::string counted_as;   // how `count` follows from the hw keys
  std::string source;
};

/// cost_table(accelerator_desc(...)) without its three generic SRAM rows, the scale-table
/// register file and DRAM, plus one row per buffer in `buffers` (sram_cost, or
/// register_file_cost for scale_tables up to 64 KiB) at its configured or required size.
std::vector<AreaRow> area_breakdown(const RunConfig& config, const hw::HwParams& hw,
                                    const std::vector<workloads::BufferUse>& buffers,
                                    const workloads::Mamba1LayerShape& shape);

/// Plays every layer of `model` on the accelerator: the layer's op program (L =
/// windows.window tokens), its real weights and, as input, the FP32 reference's block input on
/// the first window. Quantization as in the replay (`base`: bits, slicing, SSM-input scheme,
/// scan), with static ranges calibrated on that window (hw::calibrate_static; group tables from
/// `calibration` when it has them). `layer_done(layer)` is called after each layer. Returns the
/// "hardware" section of result.json.
nlohmann::ordered_json run_mamba_hardware(const RunConfig& config,
                                          const workloads::MambaModel& model,
                                          const workloads::TokenWindows& windows,
                                          const hw::LayerQuant& base,
                                          const workloads::MambaCalibration* calibration,
                                          const std::function<void(int)>& layer_done = {});

/// The hardware columns of layers.csv (and of the rows of `layers` in result.json) for `layer`
/// (-1, the lm_head, which does not run on the accelerator: nulls).
nlohmann::ordered_json hardware_layer_columns(const nlohmann::ordered_json& hardware, int layer);

/// One unit's figures (ops, busy/stall/critical-path cycles, busy ns, energy) as JSON.
nlohmann::ordered_json unit_json(const hw::UnitReport& unit, double clock_mhz);

/// Prices the report's ledger with `table` again (energy, per unit, per buffer).
void reprice(hw::HwReport& report, const hw::EnergyTable& table);

// Pieces of the result.json "hardware" section shared by every workload runner.
/// area.components rows; adds the totals into `area_um2` and `leakage_uW`.
nlohmann::ordered_json area_rows_json(const std::vector<AreaRow>& area, double& area_um2,
                                      double& leakage_uW);
/// A report's energy per component (pJ), as an object.
nlohmann::ordered_json energy_by_component_json(const hw::HwReport& report);
/// A report's non-zero action counts as {"action@component": count}.
nlohmann::ordered_json action_counts_json(const hw::HwReport& report);
/// A report's buffers: required/configured bytes, bits read/written, energy.
nlohmann::ordered_json buffers_json(const hw::HwReport& report);
/// Adds `times` x the report's count of every unpriced action into `counts` (key action@unit).
void add_unpriced_counts(const hw::HwReport& report, std::int64_t times,
                         std::map<std::string, std::int64_t>& counts);
/// energy_table rows (action, pJ, source) and unpriced rows (action, count, reason).
nlohmann::ordered_json price_rows_json(const PricedEnergyTable& prices);
nlohmann::ordered_json unpriced_rows_json(const std::map<std::string, std::int64_t>& counts,
                                          const PricedEnergyTable& prices);

/// The area / energy / latency part of the summary, rendered from the "hardware" section.
std::string render_hardware_summary(const nlohmann::ordered_json& hardware);

}  // namespace cimba::sim
