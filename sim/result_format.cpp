#include "sim/result_format.hpp"

#include <cmath>
#include <sstream>

namespace cimba::sim {

std::string fmt(double v, int precision) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  if (std::isnan(v)) return "nan";
  std::ostringstream os;
  os.precision(precision);
  os << v;
  return os.str();
}

nlohmann::ordered_json number_or_null(double v) {
  return std::isfinite(v) ? nlohmann::ordered_json(v) : nlohmann::ordered_json(nullptr);
}

std::string csv_cell(const nlohmann::ordered_json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "inf";
  if (v.is_number_float()) return fmt(v.get<double>(), 10);
  return v.dump();
}

std::string render_layers_csv(const nlohmann::ordered_json& layers) {
  std::ostringstream csv;
  if (layers.empty()) return csv.str();
  bool head = true;
  for (const auto& [name, value] : layers.front().items()) {
    csv << (head ? "" : ",") << name;
    head = false;
  }
  csv << "\n";
  for (const auto& row : layers) {
    bool first_col = true;
    for (const auto& [name, v] : row.items()) {
      csv << (first_col ? "" : ",")
          << (v.is_null() && name.rfind("hw_", 0) == 0 ? std::string() : csv_cell(v));
      first_col = false;
    }
    csv << "\n";
  }
  return csv.str();
}

const char* adc_range_name(AdcRangeMode m) {
  return m == AdcRangeMode::Dynamic ? "dynamic" : m == AdcRangeMode::Static ? "static" : "bypass";
}

}  // namespace cimba::sim
