#include "sim/families/jit_settings.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>

#include "models/common/error.hpp"
#include "sim/numerics_config.hpp"
#include "sim/result_format.hpp"

namespace cimba::sim {
namespace nm = cimba::numerics;
namespace wl = cimba::workloads;

namespace {

const JitLinearOverride& jit_override(const RunConfig& cfg, wl::JitLinearKind kind) {
  const JitLayerOverrides& l = cfg.workload.jit.layers;
  switch (kind) {
    case wl::JitLinearKind::qkv:
      return l.qkv;
    case wl::JitLinearKind::proj:
      return l.proj;
    case wl::JitLinearKind::w12:
      return l.w12;
    case wl::JitLinearKind::w3:
      return l.w3;
    case wl::JitLinearKind::adaLN:
      return l.adaLN;
    case wl::JitLinearKind::x_embed:
      return l.x_embed;
    case wl::JitLinearKind::t_fc1:
      return l.t_fc1;
    case wl::JitLinearKind::t_fc2:
      return l.t_fc2;
    case wl::JitLinearKind::final_adaLN:
      return l.final_adaLN;
    case wl::JitLinearKind::final_linear:
      break;
  }
  return l.final_linear;
}

}  // namespace

std::vector<double> parse_number_list(const std::string& text, const std::string& key) {
  std::vector<double> out;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const std::size_t comma = std::min(text.find(',', pos), text.size());
    std::string item = text.substr(pos, comma - pos);
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    std::size_t used = 0;
    double v = 0.0;
    try {
      v = std::stod(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (item.empty() || used != item.size() || !std::isfinite(v))
      throw ConfigError(key + ": '" + text + "' is not a comma-separated list of numbers (item '" +
                        item + "')");
    out.push_back(v);
    pos = comma + 1;
  }
  return out;
}

wl::JitQuantConfig jit_quant_config(const RunConfig& cfg) {
  wl::JitQuantConfig q;
  for (wl::JitLinearKind kind : wl::jit_linear_kinds()) {
    const std::size_t k = wl::jit_kind_index(kind);
    const JitLinearOverride& o = jit_override(cfg, kind);
    const std::string prefix = std::string("quant.layers.") + wl::jit_linear_key_name(kind) + ".";
    nm::BitSerialConfig& bs = q.linear[k];
    bs = cim_linear_config(cfg, {o.w_bits, o.a_bits, o.adc_bits}, cfg.hw.cim.rows_per_adc);
    q.quantize[k] = o.quantize;
    if (!o.quantize) continue;
    if (bs.w_bits < 2)
      throw ConfigError(prefix + "w_bits: " + std::to_string(o.w_bits) +
                        " is too small (weights need at least 2 bits; 0 inherits quant.w_bits)");
    if (o.a_bits && bs.a_bits < bs.slice_bits)
      throw ConfigError(prefix + "a_bits: " + std::to_string(o.a_bits) +
                        " must be >= quant.slice_bits (which is " + std::to_string(bs.slice_bits) +
                        ")");
    if (bs.adc.enob > 0.0 && bs.adc.enob > bs.adc.bits)
      throw ConfigError(prefix + "adc_bits: " + std::to_string(bs.adc.bits) +
                        " must be >= hw.cim.adc.enob (which is " + fmt(bs.adc.enob) + ")");
  }
  q.static_range_x = cfg.quant.a_range == RangeMode::Static;
  const JitTaqSettings& taq = cfg.workload.jit.taq;
  q.taq.enabled = taq.enabled;
  q.taq.buckets = taq.buckets;
  q.taq.target_sqnr_db = taq.target_sqnr_db;
  q.taq.bits.clear();
  for (double b : parse_number_list(taq.bits, "workload.jit.taq.bits")) {
    if (b != std::floor(b) || b < 2 || b > 16 || (!q.taq.bits.empty() && b <= q.taq.bits.back()))
      throw ConfigError("workload.jit.taq.bits: '" + taq.bits +
                        "' must list ascending integers in 2..16");
    q.taq.bits.push_back(static_cast<int>(b));
  }
  q.seed = cfg.seed;
  return q;
}

double clean_timestep(double t) {
  char text[32];
  std::snprintf(text, sizeof text, "%.7g", static_cast<double>(static_cast<float>(t)));
  return std::strtod(text, nullptr);
}

}  // namespace cimba::sim
