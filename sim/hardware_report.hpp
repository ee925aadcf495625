#pragma once
// The hardware side of `cimba run` (workload kind mamba): the layers of the model played on the
// SystemC accelerator (configured by sim/hw_config, priced by sim/hw_pricing), and the "hardware"
// section of result.json with the summary rendered from it. See docs/results-format.md for every
// key.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hw/accelerator.hpp"
#include "models/cost/report.hpp"
#include "sim/hw_config.hpp"
#include "sim/hw_pricing.hpp"
#include "sim/run_config.hpp"
#include "workloads/mamba1/calibration.hpp"
#include "workloads/mamba1/layer_executor.hpp"
#include "workloads/mamba1/mamba_model.hpp"
#include "workloads/program/op_program.hpp"
#include "workloads/io/text_data.hpp"

namespace cimba::sim {

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
