#pragma once
// Small pieces every workload runner shares: number formatting for summaries and CSV cells.
#include <string>

#include <nlohmann/json.hpp>

#include "sim/run_config.hpp"

namespace cimba::sim {

/// A number for humans: `precision` significant digits; inf, -inf and nan spelled out.
std::string fmt(double v, int precision = 6);

/// JSON has no infinity: an exact result (error 0) has SQNR +inf, written as null.
nlohmann::ordered_json number_or_null(double v);

/// A result value as a CSV cell: strings as they are, null (an infinite SQNR) as inf, floats
/// with 10 significant digits.
std::string csv_cell(const nlohmann::ordered_json& v);

/// layers.csv from result.json's `layers` rows: the first row's keys as the header, one line per
/// row. A null hardware column (`hw_*`, a point off the accelerator) is an empty cell, any other
/// null an "inf" (an exact result's SQNR).
std::string render_layers_csv(const nlohmann::ordered_json& layers);

/// "dynamic", "static" or "bypass".
const char* adc_range_name(AdcRangeMode mode);

}  // namespace cimba::sim
