#include "sim/sweep_calibration.hpp"

#include <cstdint>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "sim/config.hpp"
#include "sim/config_schema.hpp"

namespace cimba::sim {

const std::vector<CalibrationIndependentKey>& calibration_independent_keys() {
  static const std::vector<CalibrationIndependentKey> keys = {
      {"seed",
       "the calibration draws no random numbers (ADC noise is added only when the run replays)"},
      {"workload.linear.", "keys of the linear workload, which has no calibration file"},
      {"workload.mamba.text", "evaluation text; the calibration reads workload.mamba.calib_text"},
      {"workload.mamba.windows",
       "evaluation windows; the calibration reads workload.mamba.calib_windows"},
      {"workload.ssm_input.scheme",
       "one calibration holds what every SSM-input scheme needs (INT8 range, per-channel absmax, "
       "dual-scale tau and k)"},
      {"workload.ssm_input.range", "static or dynamic use of the calibration, not its content"},
      {"workload.ssm_input.n_ssd_groups",
       "group tables are cut at run time from the calibrated per-channel absmax"},
      {"workload.ssm_input.n_head_groups", "as n_ssd_groups"},
      {"workload.ssm_input.n_dim_groups", "as n_ssd_groups"},
      {"workload.ssm_input.head_dim", "as n_ssd_groups"},
      {"workload.ssm_input.grouping", "as n_ssd_groups"},
      {"quant.layers.in_proj.quantize", "every linear is calibrated, quantized at run time or not"},
      {"quant.layers.x_proj.quantize", "as in_proj.quantize"},
      {"quant.layers.dt_proj.quantize", "as in_proj.quantize"},
      {"quant.layers.out_proj.quantize", "as in_proj.quantize"},
      {"quant.layers.lm_head.quantize", "as in_proj.quantize"},
      {"hw.cim.adc.range",
       "ADC full scales are observed on the partial sums whatever the range mode"},
      {"hw.cim.adc.noise_lsb",
       "analog noise is added at run time, not to the observed partial sums"},
      {"hw.cim.adc.enob", "as noise_lsb"},
      {"ssm.", "the calibration runs the FP32 reference with the exact scan"},
      // The accelerator's keys: the calibration observes the replay's numerics, never the
      // hardware model. hw.cim.rows stays in (it is the replay's rows per conversion when
      // hw.cim.rows_per_adc is 0), as do the numerics' hw.cim.adc.* and hw.cim.rows_per_adc.
      {"hw.simulate_layers", "which layers the hardware model plays, after the calibration"},
      {"hw.trace", "a waveform of the hardware model"},
      {"hw.node_nm", "technology node of the cost models (hardware only)"},
      {"hw.vdd_v", "supply of the cost models (hardware only)"},
      {"hw.clock_mhz", "clock of the hardware model"},
      {"hw.queue_depth", "queues of the hardware model"},
      {"hw.token_chunk", "op size of the hardware's layer program"},
      {"hw.cim.adc.conversion_ns", "ADC timing of the hardware model"},
      {"hw.cim.adc.model", "ADC cost model"},
      {"hw.cim.cols", "macro geometry of the hardware model (the replay tiles rows, not columns)"},
      {"hw.cim.cell_bits", "weight bits per cell of the hardware model"},
      {"hw.cim.cols_per_adc", "ADC sharing of the hardware model"},
      {"hw.cim.macros", "macro count of the hardware model"},
      {"hw.cim.input_cycles_per_slice", "timing of the hardware model"},
      {"hw.cim.write_cycles_per_row", "timing of the hardware model"},
      {"hw.cim.shift_add_latency", "timing of the hardware model"},
      {"hw.cim.cell_type", "bitcell cost model"},
      {"hw.ssm.", "SSM core of the hardware model"},
      {"hw.conv.", "conv unit of the hardware model"},
      {"hw.index.", "index unit of the hardware model"},
      {"hw.mux.", "dequant MUX of the hardware model"},
      {"hw.vec.", "vector unit of the hardware model"},
      {"hw.mac.", "MAC array of the hardware model"},
      {"hw.sram.", "on-chip buffers of the hardware model"},
      {"hw.dram.", "DRAM channel of the hardware model"},
      {"calib.save", "where the calibration is written, not what it is"},
      {"calib.load", "where the calibration is read from"},
      {"calib.batch_rows",
       "linear workload only; the mamba workload observes one window per batch"},
      {"hw.cim.adc.bits",
       "absmax and percentile_ema ranges do not depend on the bits (kept for kl and mse)", true},
      {"quant.layers.in_proj.adc_bits", "as hw.cim.adc.bits", true},
      {"quant.layers.x_proj.adc_bits", "as hw.cim.adc.bits", true},
      {"quant.layers.dt_proj.adc_bits", "as hw.cim.adc.bits", true},
      {"quant.layers.out_proj.adc_bits", "as hw.cim.adc.bits", true},
      {"quant.layers.lm_head.adc_bits", "as hw.cim.adc.bits", true},
  };
  return keys;
}

std::string calibration_fingerprint(const RunConfig& config) {
  const bool bit_independent_observer = config.calib.observer == ObserverKind::Absmax ||
                                        config.calib.observer == ObserverKind::PercentileEma;
  nlohmann::ordered_json kept = nlohmann::ordered_json::object();
  const nlohmann::ordered_json flat = config_to_json(config).flatten();  // "/hw/cim/adc/bits"
  for (const schema::KeySpec& key : schema::config_schema().keys) {
    bool independent = false;
    for (const CalibrationIndependentKey& rule : calibration_independent_keys()) {
      const bool matches =
          rule.path.back() == '.' ? key.path.rfind(rule.path, 0) == 0 : key.path == rule.path;
      if (matches && (!rule.only_for_bit_independent_observers || bit_independent_observer))
        independent = true;
    }
    if (independent) continue;
    std::string pointer = "/" + key.path;
    for (char& c : pointer)
      if (c == '.') c = '/';
    kept[key.path] = flat.at(pointer);
  }
  return kept.dump();
}

std::string calibration_group_name(const std::string& fingerprint) {
  std::uint64_t hash = 0xcbf29ce484222325ull;  // FNV-1a 64: stable across builds and platforms
  for (const unsigned char c : fingerprint) {
    hash ^= c;
    hash *= 0x100000001b3ull;
  }
  char text[20];
  std::snprintf(text, sizeof(text), "c%016llx", static_cast<unsigned long long>(hash));
  return text;
}

bool can_share_calibration(const RunConfig& config) {
  if (config.workload.kind != WorkloadKind::Mamba) return false;
  if (!config.calib.save.empty() || !config.calib.load.empty()) return false;
  const SsmInputConfig& si = config.workload.ssm_input;
  if (si.range == RangeMode::Static && si.scheme != SsmInputScheme::Fp32) return true;
  const LayerTypeOverrides& l = config.quant.layers;
  for (const LinearTypeOverride* o : {&l.in_proj, &l.x_proj, &l.dt_proj, &l.out_proj, &l.lm_head}) {
    if (!o->quantize) continue;
    if (config.quant.a_range == RangeMode::Static) return true;
    if (config.hw.cim.adc.range == AdcRangeMode::Static) return true;
  }
  return false;
}

}  // namespace cimba::sim
