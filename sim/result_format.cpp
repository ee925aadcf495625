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

numerics::AdcRange to_numerics(AdcRangeMode mode) {
  switch (mode) {
    case AdcRangeMode::Static:
      return numerics::AdcRange::Static;
    case AdcRangeMode::Bypass:
      return numerics::AdcRange::Bypass;
    case AdcRangeMode::Dynamic:
      break;
  }
  return numerics::AdcRange::Dynamic;
}

numerics::ObserverKind to_numerics(ObserverKind kind) {
  switch (kind) {
    case ObserverKind::PercentileEma:
      return numerics::ObserverKind::PercentileEma;
    case ObserverKind::Kl:
      return numerics::ObserverKind::Kl;
    case ObserverKind::Mse:
      return numerics::ObserverKind::Mse;
    case ObserverKind::Absmax:
      break;
  }
  return numerics::ObserverKind::Absmax;
}

numerics::InputEncoding to_numerics(InputEncodingMode mode) {
  return mode == InputEncodingMode::SignMagnitude ? numerics::InputEncoding::SignMagnitude
                                                  : numerics::InputEncoding::TwosComplement;
}

numerics::WeightEncoding to_numerics(WeightEncodingMode mode) {
  switch (mode) {
    case WeightEncodingMode::Offset:
      return numerics::WeightEncoding::Offset;
    case WeightEncodingMode::Differential:
      return numerics::WeightEncoding::Differential;
    case WeightEncodingMode::TwosComplement:
      break;
  }
  return numerics::WeightEncoding::TwosComplement;
}

void apply_cim_encodings(const RunConfig& cfg, numerics::BitSerialConfig& bs) {
  bs.input_encoding = to_numerics(cfg.quant.input_encoding);
  bs.weight_slice_bits = cfg.quant.weight_slice_bits;
  bs.weight_encoding = to_numerics(cfg.quant.weight_encoding);
}

}  // namespace cimba::sim
