#pragma once
// Pieces of the "hardware" section of result.json that every family's hardware report shares
// (units, buffers, action counts, prices, area rows, the layers.csv hardware columns). See
// docs/results-format.md for every key; the families' reports are sim/families/*_hardware.*.
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "hw/accelerator.hpp"
#include "models/cost/report.hpp"
#include "sim/hw_config.hpp"
#include "sim/hw_pricing.hpp"
#include "sim/run_config.hpp"

namespace cimba::sim {

/// The hardware columns of layers.csv (and of the rows of `layers` in result.json) for `layer`
/// (-1, the lm_head, which does not run on the accelerator: nulls).
nlohmann::ordered_json hardware_layer_columns(const nlohmann::ordered_json& hardware, int layer);

/// One unit's figures (ops, busy/stall/critical-path cycles, busy ns, energy) as JSON.
nlohmann::ordered_json unit_json(const hw::UnitReport& unit, double clock_mhz);

/// Prices the report's ledger with `table` again (energy, per unit, per buffer). A batched run
/// (hw.batch = B sequences or images in flight) reports energy per sequence / image: the batch's
/// divided by B (the ledger keeps the batch's counts).
void reprice(hw::HwReport& report, const hw::EnergyTable& table, std::int64_t batch = 1);

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
/// One row of the section's `layers`: the report's latency, energy (dynamic + `leakage_pJ`), CIM
/// weight use, `provenance` (the family's keys saying how the row was obtained, e.g. "simulated"),
/// `adc_saturated` (null where the layer's data was not played), units, energy by component,
/// buffers and action counts.
nlohmann::ordered_json layer_row_json(const hw::HwReport& report, std::int64_t layer,
                                      double leakage_pJ, const nlohmann::ordered_json& provenance,
                                      const nlohmann::ordered_json& adc_saturated);
/// energy_table rows (action, pJ, source) and unpriced rows (action, count, reason).
nlohmann::ordered_json price_rows_json(const PricedEnergyTable& prices);
nlohmann::ordered_json unpriced_rows_json(const std::map<std::string, std::int64_t>& counts,
                                          const PricedEnergyTable& prices);

// Pieces of the summaries rendered from a "hardware" section (`area`, `totals`, the section).
/// The area rows: component, count x area each = area, share of the total.
std::string render_area_components(const nlohmann::ordered_json& area);
/// totals.energy_by_component_pJ as (pJ, component), largest first (ties by name).
std::vector<std::pair<double, std::string>> energy_by_component_sorted(
    const nlohmann::ordered_json& totals);
/// "unpriced (not in the totals): action (count) ..." when any action is unpriced, else "".
std::string render_unpriced(const nlohmann::ordered_json& hardware);
/// busy / stall / critical-path cycles of every unit the workload used.
std::string render_unit_cycles(const nlohmann::ordered_json& totals);

}  // namespace cimba::sim
