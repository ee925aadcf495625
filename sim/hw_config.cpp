#include "sim/hw_config.hpp"

#include <algorithm>
#include <string>

#include "models/common/error.hpp"
#include "sim/numerics_config.hpp"
#include "sim/result_format.hpp"

namespace cimba::sim {
namespace nm = cimba::numerics;

namespace {

const char* dram_preset_name(DramPresetKind kind) {
  switch (kind) {
    case DramPresetKind::Ddr4_3200:
      return "ddr4_3200";
    case DramPresetKind::Lpddr4_4266:
      return "lpddr4_4266";
    case DramPresetKind::Hbm2:
      return "hbm2";
  }
  return "ddr4_3200";
}

}  // namespace

hw::HwParams to_hw_params(const RunConfig& c) {
  hw::HwParams p;
  p.node_nm = c.hw.node_nm;
  p.vdd_v = c.hw.vdd_v;
  p.clock_mhz = c.hw.clock_mhz;
  p.queue_depth = c.hw.queue_depth;
  p.batch = c.hw.batch;
  p.cim.rows = c.hw.cim.rows;
  p.cim.cols = c.hw.cim.cols;
  p.cim.w_bits = c.quant.w_bits;  // one key for the weights of the numerics and the hardware
  p.cim.cell_bits = c.hw.cim.cell_bits;
  p.cim.weight_slice_bits = c.quant.weight_slice_bits;
  p.cim.weight_encoding = to_numerics(c.quant.weight_encoding);
  p.cim.cols_per_adc = c.hw.cim.cols_per_adc;
  p.cim.macros = c.hw.cim.macros;
  p.cim.weights = c.hw.cim.weights;
  p.cim.dac = c.hw.cim.dac;
  p.cim.pulse_ns = c.hw.cim.pulse_ns;
  p.cim.input_cycles_per_slice = c.hw.cim.input_cycles_per_slice;
  p.cim.write_cycles_per_row = c.hw.cim.write_cycles_per_row;
  p.cim.shift_add_latency = c.hw.cim.shift_add_latency;
  p.cim.cell_type = c.hw.cim.cell_type;
  p.cim.a_bits = c.quant.a_bits;
  p.cim.slice_bits = c.quant.slice_bits;
  p.cim.adc.bits = c.hw.cim.adc.bits;
  p.cim.adc.conversion_ns = c.hw.cim.adc.conversion_ns;
  p.cim.adc.model = c.hw.cim.adc.model;
  p.ssm.lanes = c.hw.ssm.lanes;
  p.ssm.exp_latency = c.hw.ssm.exp_latency;
  p.ssm.mul_latency = c.hw.ssm.mul_latency;
  p.ssm.add_latency = c.hw.ssm.add_latency;
  p.ssm.exp_impl = c.ssm.exp_impl == ExpImplMode::Pwl   ? nm::ExpImpl::Pwl
                   : c.ssm.exp_impl == ExpImplMode::Lut ? nm::ExpImpl::Lut
                                                        : nm::ExpImpl::Exact;
  p.ssm.exp_segments = c.ssm.exp_segments;
  p.ssm.lut_entries = c.ssm.lut_entries;
  p.conv.lanes = c.hw.conv.lanes;
  p.conv.latency = c.hw.conv.latency;
  // The SSM-input code the conv unit's quantizer produces: dual_scale its value bits, else 8.
  p.conv.code_bits = c.workload.ssm_input.scheme == SsmInputScheme::DualScale
                         ? c.workload.ssm_input.value_bits
                         : 8;
  p.index.impl = c.hw.index.impl == IndexImplMode::Sequential ? hw::IndexImpl::Sequential
                 : c.hw.index.impl == IndexImplMode::Lut      ? hw::IndexImpl::Lut
                                                              : hw::IndexImpl::Parallel;
  p.index.units = c.hw.index.units;
  p.index.head_groups = c.workload.ssm_input.n_head_groups;
  p.index.dim_groups = c.workload.ssm_input.n_dim_groups;
  p.index.lookups = c.hw.index.lookups == LookupMode::PerChannel
                        ? hw::LookupGranularity::PerChannel
                        : hw::LookupGranularity::PerElement;
  p.mux.lanes = c.hw.mux.lanes;
  p.mux.latency = c.hw.mux.latency;
  p.vec.lanes = c.hw.vec.lanes;
  p.vec.latency = c.hw.vec.latency;
  p.mac.rows = c.hw.mac.rows;
  p.mac.cols = c.hw.mac.cols;
  p.mac.latency = c.hw.mac.latency;
  const SramDefaultConfig& d = c.hw.sram.default_;
  p.sram_default = hw::SramParams{d.bytes, d.width_bits, d.ports, d.bank_bytes};
  const std::pair<const char*, const SramBufferConfig*> buffers[] = {
      {"x", &c.hw.sram.x},
      {"xn", &c.hw.sram.xn},
      {"xz", &c.hw.sram.xz},
      {"u", &c.hw.sram.u},
      {"xp", &c.hw.sram.xp},
      {"delta", &c.hw.sram.delta},
      {"y", &c.hw.sram.y},
      {"g", &c.hw.sram.g},
      {"mo", &c.hw.sram.mo},
      {"out", &c.hw.sram.out},
      {"weights", &c.hw.sram.weights},
      {"scale_tables", &c.hw.sram.scale_tables},
      {"ssm_state", &c.hw.sram.ssm_state},
      {"ssm_params", &c.hw.sram.ssm_params},
      {"stream", &c.hw.sram.stream}};
  for (const auto& [name, b] : buffers) {
    if (b->bytes == 0 && b->width_bits == 0 && b->ports == 0 && b->bank_bytes == 0) continue;
    p.sram[name] =
        hw::SramParams{b->bytes ? b->bytes : d.bytes, b->width_bits ? b->width_bits : d.width_bits,
                       b->ports ? b->ports : d.ports, b->bank_bytes ? b->bank_bytes : d.bank_bytes};
  }
  p.dram.preset = dram_preset_name(c.hw.dram.preset);
  if (c.hw.dram.bandwidth_gbps > 0.0) p.dram.bandwidth_gbps = c.hw.dram.bandwidth_gbps;
  if (c.hw.dram.latency_ns > 0.0) p.dram.latency_ns = c.hw.dram.latency_ns;
  p.trace = c.hw.trace;
  return p;
}

std::optional<std::string> hardware_config_problem(const RunConfig& config) {
  try {
    to_hw_params(config).validate();
  } catch (const ConfigError& e) {
    std::string message = e.what();
    // The hardware's weight width is quant.w_bits (one key for both).
    const std::string w_key = "hw.cim.w_bits";
    if (message.rfind(w_key, 0) == 0) message = "quant.w_bits" + message.substr(w_key.size());
    return message;
  }
  return std::nullopt;
}

}  // namespace cimba::sim
