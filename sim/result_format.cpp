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

}  // namespace cimba::sim
