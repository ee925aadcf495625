#include "hw/params.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "hw/timing.hpp"
#include "models/common/error.hpp"
#include "models/cost/dac.hpp"
#include "models/cost/tech.hpp"

namespace cimba::hw {

namespace {

template <typename T>
void require(bool ok, const std::string& key, const std::string& rule, T got) {
  if (!ok) {
    std::string g;
    if constexpr (std::is_same_v<T, std::string>)
      g = got;
    else
      g = std::to_string(got);
    throw ConfigError(key + ": " + rule + ", got " + g);
  }
}

void check_int(int v, int lo, int hi, const std::string& key) {
  if (v < lo || v > hi)
    throw ConfigError(key + ": must be in " + std::to_string(lo) + ".." + std::to_string(hi) +
                      ", got " + std::to_string(v));
}
void check_min(long long v, long long lo, const std::string& key) {
  if (v < lo)
    throw ConfigError(key + ": must be >= " + std::to_string(lo) + ", got " + std::to_string(v));
}
void check_positive(double v, const std::string& key) {
  require(std::isfinite(v) && v > 0.0, key, "must be a finite number > 0", v);
}

}  // namespace

const char* index_impl_name(IndexImpl impl) {
  switch (impl) {
    case IndexImpl::Sequential:
      return "sequential";
    case IndexImpl::Parallel:
      return "parallel";
    case IndexImpl::Lut:
      return "lut";
  }
  return "?";
}

IndexImpl parse_index_impl(const std::string& name) {
  for (auto i : {IndexImpl::Sequential, IndexImpl::Parallel, IndexImpl::Lut})
    if (name == index_impl_name(i)) return i;
  throw ConfigError("hw.index.impl: unknown value '" + name +
                    "' (valid: sequential, parallel, lut)");
}

numerics::ExpImpl parse_exp_impl(const std::string& name) {
  if (name == "exact") return numerics::ExpImpl::Exact;
  if (name == "pwl") return numerics::ExpImpl::Pwl;
  if (name == "lut") return numerics::ExpImpl::Lut;
  throw ConfigError("hw.ssm.exp_impl: unknown value '" + name + "' (valid: exact, pwl, lut)");
}

DramPreset dram_preset(const std::string& name) {
  // Peak bandwidth of one channel/stack at the speed bin's data rate; latency = row miss
  // tRP + tRCD + CL of the bin.
  // ddr4_3200: 3200 MT/s x 64 bit = 25.6 GB/s; DDR4-3200AA 22-22-22 at 0.625 ns (JESD79-4):
  //   3 x 13.75 ns = 41.25 ns.
  if (name == "ddr4_3200") return {25.6, 41.25};
  // lpddr4_4266: 4266 MT/s x 32 bit (one channel) = 17.064 GB/s; tRPpb 18 + tRCD 18 + RL 36 x
  //   0.469 ns (16.9) ~= 52.9 ns (JESD209-4).
  if (name == "lpddr4_4266") return {17.064, 52.9};
  // hbm2: 2 Gb/s/pin x 1024 bit = 256 GB/s per stack; tRP 14 + tRCD 14 + CL 14 ns (JESD235A
  //   class timings) = 42 ns.
  if (name == "hbm2") return {256.0, 42.0};
  throw ConfigError("hw.dram.preset: unknown preset '" + name +
                    "' (valid: ddr4_3200, lpddr4_4266, hbm2)");
}

const SramParams& HwParams::sram_for(const std::string& buffer) const {
  auto it = sram.find(buffer);
  return it == sram.end() ? sram_default : it->second;
}

std::string HwParams::sram_key(const std::string& buffer) const {
  return sram.count(buffer) ? "hw.sram." + buffer : std::string("hw.sram.default");
}

double HwParams::dram_bandwidth_gbps() const {
  return dram.bandwidth_gbps ? *dram.bandwidth_gbps : dram_preset(dram.preset).bandwidth_gbps;
}
double HwParams::dram_latency_ns() const {
  return dram.latency_ns ? *dram.latency_ns : dram_preset(dram.preset).latency_ns;
}

void CimParams::apply_to(numerics::BitSerialConfig& linear) const {
  linear.w_bits = w_bits;
  linear.weight_slice_bits = weight_slice_bits;
  linear.weight_encoding = weight_encoding;
  linear.adc.bits = adc.bits;
  linear.rows_per_adc = rows;
}

bool CimParams::holds(const numerics::BitSerialLinear& linear) const {
  const numerics::BitSerialConfig& c = linear.config();
  return c.w_bits == w_bits && c.adc.bits == adc.bits && linear.rows_per_tile() <= rows &&
         c.slice_bits <= slice_bits && c.weight_slice_bits == weight_slice_bits &&
         (c.weight_slice_bits == 0 || c.weight_encoding == weight_encoding);
}

std::int64_t HwParams::ns_to_cycles(double ns) const {
  // A tiny tolerance keeps exact products (e.g. 5 ns at 1000 MHz) from rounding up on FP error.
  const double cycles = ns * clock_mhz / 1000.0;
  return static_cast<std::int64_t>(std::ceil(cycles - 1e-9));
}

void HwParams::validate() const {
  const auto& nodes = cost::supported_nodes_nm();
  if (std::find(nodes.begin(), nodes.end(), node_nm) == nodes.end()) {
    std::string list;
    for (int n : nodes) list += (list.empty() ? "" : ", ") + std::to_string(n);
    throw ConfigError("hw.node_nm: " + std::to_string(node_nm) +
                      " is not a node of the cost models (" + list + ")");
  }
  check_positive(clock_mhz, "hw.clock_mhz");
  check_min(queue_depth, 1, "hw.queue_depth");
  check_min(batch, 1, "hw.batch");
  check_min(cim.rows, 1, "hw.cim.rows");
  check_int(cim.w_bits, 2, 16, "hw.cim.w_bits");
  check_int(cim.cell_bits, 1, cim.w_bits, "hw.cim.cell_bits");
  check_min(cim.cols, cim.weight_cells(), "hw.cim.cols");
  check_min(cim.cols_per_adc, 1, "hw.cim.cols_per_adc");
  check_min(cim.macros, 0, "hw.cim.macros");
  if (cim.macros == 0 && cim.weights == WeightPlacement::Streamed)
    throw ConfigError(
        "hw.cim.macros: 0 (as many macros as the model's weights need) goes with hw.cim.weights "
        "resident or auto; streamed weights need a macro count");
  check_min(cim.input_cycles_per_slice, 0, "hw.cim.input_cycles_per_slice");
  check_positive(cim.pulse_ns, "hw.cim.pulse_ns");
  check_min(cim.write_cycles_per_row, 1, "hw.cim.write_cycles_per_row");
  check_min(cim.shift_add_latency, 0, "hw.cim.shift_add_latency");
  check_int(cim.adc.bits, 1, 16, "hw.cim.adc.bits");
  if (!(cim.adc.conversion_ns >= 0.0) || !std::isfinite(cim.adc.conversion_ns))
    throw ConfigError("hw.cim.adc.conversion_ns: must be >= 0 (0: the ADC model's own), got " +
                      std::to_string(cim.adc.conversion_ns));
  check_min(ssm.lanes, 1, "hw.ssm.lanes");
  check_min(ssm.exp_latency, 1, "hw.ssm.exp_latency");
  check_min(ssm.mul_latency, 1, "hw.ssm.mul_latency");
  check_min(ssm.add_latency, 1, "hw.ssm.add_latency");
  check_min(conv.lanes, 1, "hw.conv.lanes");
  check_min(conv.latency, 1, "hw.conv.latency");
  check_min(index.units, 1, "hw.index.units");
  check_min(mux.lanes, 1, "hw.mux.lanes");
  check_min(mux.latency, 1, "hw.mux.latency");
  check_min(vec.lanes, 1, "hw.vec.lanes");
  check_min(vec.latency, 1, "hw.vec.latency");
  check_min(mac.rows, 1, "hw.mac.rows");
  check_min(mac.cols, 1, "hw.mac.cols");
  check_min(mac.latency, 1, "hw.mac.latency");
  auto check_sram = [](const SramParams& s, const std::string& key) {
    check_min(s.bytes, 0, key + ".bytes");
    check_min(s.width_bits, 1, key + ".width_bits");
    check_min(s.ports, 1, key + ".ports");
    check_min(s.bank_bytes, 0, key + ".bank_bytes");
  };
  check_sram(sram_default, "hw.sram.default");
  for (const auto& [name, s] : sram) check_sram(s, "hw.sram." + name);
  if (dram.bandwidth_gbps) check_positive(*dram.bandwidth_gbps, "hw.dram.bandwidth_gbps");
  if (dram.latency_ns)
    require(std::isfinite(*dram.latency_ns) && *dram.latency_ns >= 0.0, "hw.dram.latency_ns",
            "must be a finite number >= 0", *dram.latency_ns);
  if (!dram.bandwidth_gbps || !dram.latency_ns) dram_preset(dram.preset);
}

const char* weight_placement_name(WeightPlacement placement) {
  switch (placement) {
    case WeightPlacement::Resident:
      return "resident";
    case WeightPlacement::Streamed:
      return "streamed";
    case WeightPlacement::Auto:
      break;
  }
  return "auto";
}

CimWeightPlan plan_cim_weights(const CimParams& cim, std::int64_t model_tiles) {
  CimWeightPlan plan;
  plan.model_tiles = model_tiles;
  if (cim.macros == 0) {
    if (cim.weights == WeightPlacement::Streamed)
      throw ConfigError("hw.cim.macros: 0 goes with hw.cim.weights resident or auto");
    if (model_tiles > (std::int64_t{1} << 20))
      throw ConfigError("hw.cim.macros: 0 (sized to the model) would need " +
                        std::to_string(model_tiles) +
                        " macros, more than 2^20; set hw.cim.weights streamed and a count");
    plan.macros = static_cast<int>(std::max<std::int64_t>(1, model_tiles));
  } else {
    plan.macros = cim.macros;
  }
  const bool fits = model_tiles <= plan.macros;
  if (cim.weights == WeightPlacement::Resident && !fits)
    throw ConfigError("hw.cim.macros: " + std::to_string(cim.macros) +
                      " macros cannot hold the model's " + std::to_string(model_tiles) +
                      " macro tiles with hw.cim.weights resident (set hw.cim.macros 0 to size "
                      "the CIM to the model, or hw.cim.weights streamed or auto)");
  plan.resident = cim.weights != WeightPlacement::Streamed && fits;
  return plan;
}

HwParams default_hw_params() {
  HwParams p;
  // The state and A of 16 lanes: 16 x 32 bit per cycle read and written.
  p.sram["ssm_state"] = SramParams{0, 512, 2};
  p.sram["ssm_params"] = SramParams{0, 512, 1};
  p.sram["stream"] = SramParams{kDefaultStreamBytes, 256, 2};  // the residual stream
  return p;
}

const char* input_drive_name(InputDrive drive) {
  switch (drive) {
    case InputDrive::BitSerial:
      return "bit_serial";
    case InputDrive::PulseCount:
      return "pulse_count";
    case InputDrive::Amplitude:
      return "amplitude";
    case InputDrive::Auto:
      break;
  }
  return "auto";
}

cost::InputEncoding CimParams::input_encoding() const {
  switch (dac) {
    case InputDrive::BitSerial:
      return cost::InputEncoding::kBitSerial;
    case InputDrive::PulseCount:
      return cost::InputEncoding::kPulseCount;
    case InputDrive::Amplitude:
      return cost::InputEncoding::kAmplitude;
    case InputDrive::Auto:
      break;
  }
  if (slice_bits == 1) return cost::InputEncoding::kBitSerial;
  return slice_bits <= cost::kMaxPulseCountBits ? cost::InputEncoding::kPulseCount
                                                : cost::InputEncoding::kAmplitude;
}

cost::TechPoint tech_of(const HwParams& hw) {
  return cost::TechPoint{hw.node_nm, hw.vdd_v, hw.clock_mhz / 1000.0};
}

// The cost model needs whole ADC groups: the used output columns (floor(cols / weight_cells)) are
// rounded up to a multiple of cols_per_adc (a no-op for the defaults: 64 outputs, 8 per ADC).
// Each output has digit_columns() ADC inputs of cells_per_conversion() cells (one input of
// weight_cells cells when weights are not sliced). One numerics slice (quant.slice_bits) is one
// activation of the array, driven as hw.cim.dac says.
cost::CimMacroParams cim_macro_geometry(const HwParams& hw) {
  cost::CimMacroParams m;
  const int wc = hw.cim.weight_cells();
  const int cpa = std::min(hw.cim.cols_per_adc, std::max(1, hw.cim.outputs_per_macro()));
  const int outputs = (hw.cim.outputs_per_macro() + cpa - 1) / cpa * cpa;
  m.rows = hw.cim.rows;
  m.cols = outputs * wc;
  m.cell = hw.cim.cell_type;
  m.encoding = hw.cim.input_encoding();
  m.input_bits = hw.cim.a_bits;
  m.dac_bits = m.encoding == cost::InputEncoding::kBitSerial ? 1 : hw.cim.slice_bits;
  m.pulse_width_ns = hw.cim.pulse_ns;
  m.adc_model = hw.cim.adc.model;
  m.adc_bits = hw.cim.adc.bits;
  m.cols_per_conversion = hw.cim.cells_per_conversion();
  m.conversions_per_adc = cpa;
  m.tech = tech_of(hw);
  return m;
}

void check_cim_costable(const HwParams& hw) {
  const AdcParams& adc = hw.cim.adc;
  if (adc.model == cost::AdcModel::kSurvey && adc.bits < 4)
    throw ConfigError("hw.cim.adc.bits: " + std::to_string(adc.bits) +
                      " bits; the survey ADC model is fitted for 4 bits or more (hw.cim.adc.model "
                      "sar or flash model lower resolutions)");
  const double fastest = cost::adc_conversion_ns(adc.model, adc.bits);
  if (adc.conversion_ns > 0.0 && adc.model != cost::AdcModel::kSurvey &&
      adc.conversion_ns < fastest)
    throw ConfigError("hw.cim.adc.conversion_ns: " + std::to_string(adc.conversion_ns) +
                      " ns is faster than the " + cost::adc_model_name(adc.model) +
                      " model converts " + std::to_string(adc.bits) + " bits (" +
                      std::to_string(fastest) + " ns); 0 takes the model's own");
  if (adc.conversion_ns > 0.0 && adc.conversion_ns < 0.1)
    throw ConfigError("hw.cim.adc.conversion_ns: " + std::to_string(adc.conversion_ns) +
                      " ns is above the survey model's 1e10 conversions/s");
  const int b = hw.cim.slice_bits;
  const std::string slices = "quant.slice_bits is " + std::to_string(b);
  switch (hw.cim.input_encoding()) {
    case cost::InputEncoding::kBitSerial:
      if (b != 1)
        throw ConfigError("hw.cim.dac: bit_serial drives 1-bit input slices, " + slices +
                          " (set quant.slice_bits 1, or hw.cim.dac amplitude / pulse_count)");
      break;
    case cost::InputEncoding::kPulseCount:
      if (b > cost::kMaxPulseCountBits)
        throw ConfigError("hw.cim.dac: pulse_count drives at most " +
                          std::to_string(cost::kMaxPulseCountBits) + "-bit slices (" +
                          std::to_string((1 << cost::kMaxPulseCountBits) - 1) +
                          " pulses; silicon with pulse-count inputs stops there), " + slices +
                          " (use hw.cim.dac amplitude, or smaller slices)");
      break;
    case cost::InputEncoding::kAmplitude:
      if (b > cost::kMaxAmplitudeDacBits)
        throw ConfigError("hw.cim.dac: the amplitude DAC model drives at most " +
                          std::to_string(cost::kMaxAmplitudeDacBits) + "-bit slices, " + slices);
      break;
  }
  if (hw.cim.input_cycles_per_slice > 0) {
    const double need_ns = cost::cim_input_drive_ns(cim_macro_geometry(hw));
    const std::int64_t need = cim_own_drive_cycles(hw);
    if (hw.cim.input_cycles_per_slice < need)
      throw ConfigError(
          "hw.cim.input_cycles_per_slice: " + std::to_string(hw.cim.input_cycles_per_slice) +
          " cycles are shorter than the " + input_drive_name(hw.cim.dac) + " drive of a " +
          std::to_string(b) + "-bit slice needs (" + std::to_string(need_ns) +
          " ns = " + std::to_string(need) + " cycles); 0 takes the drive's own time");
  }
}

}  // namespace cimba::hw
