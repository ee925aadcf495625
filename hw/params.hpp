#pragma once
// Parameters of the accelerator (config keys under `hw.`), as plain validated structs: what the
// timing needs and what the cost models price (node, supply, ADC model, cell, input drive, the
// function units' segments, the index comparators, the SSM-input code width). The defaults here
// are the defaults of the hw.* config keys (sim/run_config.hpp reads them from these structs).
// They are a starting configuration, not a claim about a chip.
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "models/cost/adc.hpp"
#include "models/cost/cim.hpp"
#include "models/cost/sram.hpp"
#include "models/numerics/bitserial.hpp"
#include "models/numerics/selective_scan.hpp"

namespace cimba::hw {

/// hw.cim.adc.*
struct AdcParams {
  int bits = 10;  // hw.cim.adc.bits, 1..16 (also the numerics' ADC bits)
  /// hw.cim.adc.conversion_ns >= 0: one conversion; 0: the model's own at `bits`
  /// (cost::adc_conversion_ns: N + 1 ns for sar and survey, 1 ns for flash).
  double conversion_ns = 0.0;
  /// hw.cim.adc.model: the cost model that prices a conversion and the ADC's area
  cost::AdcModel model = cost::AdcModel::kSurvey;
  /// The conversion time the timing uses and the cost model prices (ns).
  double conversion_time_ns() const {
    return conversion_ns > 0.0 ? conversion_ns : cost::adc_conversion_ns(model, bits);
  }
};

/// hw.cim.dac: how an input slice of quant.slice_bits is driven onto the rows. bit_serial: one
/// word-line pulse per 1-bit slice; pulse_count: 2^b - 1 pulses for a b-bit slice (b <= 4,
/// cost::kMaxPulseCountBits); amplitude: one level from an R-2R voltage DAC per row (b <= 8,
/// cost::amplitude_dac); auto: bit_serial for 1-bit slices, pulse_count up to 4 bits, else
/// amplitude.
enum class InputDrive { Auto, BitSerial, PulseCount, Amplitude };
const char* input_drive_name(InputDrive drive);

/// hw.cim.weights: where the model's CIM weights live. Resident: every macro tile of every layer
/// (block) has a macro of its own, programmed once (the area counts them all). Streamed: the
/// hw.cim.macros macros are reprogrammed from DRAM for every layer of every window. Auto:
/// resident when hw.cim.macros holds the model, else streamed.
enum class WeightPlacement { Resident, Streamed, Auto };
const char* weight_placement_name(WeightPlacement placement);

/// hw.cim.*: `macros` arrays of rows x cols cells. Unsliced weights (quant.weight_slice_bits 0):
/// a weight of w_bits occupies ceil(w_bits / cell_bits) adjacent cells of a row whose column
/// currents are combined (binary weighted) into one ADC input. Sliced weights (NUMERICS.md 2.8):
/// a weight is held in digit_columns() digit columns of ceil(C / cell_bits) cells each, every
/// digit column its own ADC input. A macro holds floor(cols / weight_cells()) outputs;
/// `cols_per_adc` ADC inputs share one ADC through a mux.
struct CimParams {
  int rows = 256;        // hw.cim.rows >= 1 (also the numerics' rows_per_adc)
  int cols = 256;        // hw.cim.cols >= ceil(w_bits / cell_bits)
  int w_bits = 8;        // hw.cim.w_bits, 2..16 (also the numerics' w_bits)
  int cell_bits = 2;     // hw.cim.cell_bits, 1..w_bits
  int cols_per_adc = 8;  // hw.cim.cols_per_adc >= 1 (output columns per ADC)
  int macros = 0;        // hw.cim.macros >= 0; 0: as many as residency needs
  WeightPlacement weights = WeightPlacement::Resident;  // hw.cim.weights
  InputDrive dac = InputDrive::Auto;                    // hw.cim.dac
  double pulse_ns = 1.0;  // hw.cim.pulse_ns > 0: one word-line pulse (bit_serial, pulse_count)
  /// hw.cim.input_cycles_per_slice >= 0: drive one input slice; 0: the drive's own time
  /// (cim_input_drive_ns of the priced macro, rounded up to cycles); else at least that.
  int input_cycles_per_slice = 0;
  int write_cycles_per_row = 1;  // hw.cim.write_cycles_per_row >= 1: program one cell row
  int shift_add_latency = 1;     // hw.cim.shift_add_latency >= 0: digital shift-add pipeline
  int weight_slice_bits = 0;     // quant.weight_slice_bits C, 0..w_bits (0: not sliced)
  numerics::WeightEncoding weight_encoding = numerics::WeightEncoding::TwosComplement;
  cost::CimCellType cell_type = cost::CimCellType::k8T;  // hw.cim.cell_type (priced cell)
  int a_bits = 12;  // quant.a_bits: input bits the row drivers apply (priced input drive)
  /// quant.slice_bits: input bits per activation. Default 4: 4-bit slices of a 12-bit input as a
  /// pulse train (3 slices; 8T cells with 4-bit pulse-count inputs, as Sinangil et al. JSSC 2021);
  /// an 8-bit slice would need an 8-bit amplitude DAC on every row of every macro, which is
  /// larger than the 256 x 256 array itself (cost::amplitude_dac).
  int slice_bits = 4;
  AdcParams adc;
  /// The drive hw.cim.dac resolves to (auto: bit-serial for 1-bit slices, else amplitude).
  cost::InputEncoding input_encoding() const;
  /// ADC inputs (conversions per input slice and row tile) per output: 1 when weights are not
  /// sliced, else ceil(w_bits / C), twice that for differential weights.
  int digit_columns() const {
    if (weight_slice_bits <= 0) return 1;
    const bool differential = weight_encoding == numerics::WeightEncoding::Differential;
    return (w_bits + weight_slice_bits - 1) / weight_slice_bits * (differential ? 2 : 1);
  }
  /// Cells whose currents one ADC input combines.
  int cells_per_conversion() const {
    const int bits = weight_slice_bits > 0 ? weight_slice_bits : w_bits;
    return (bits + cell_bits - 1) / cell_bits;
  }
  int weight_cells() const { return digit_columns() * cells_per_conversion(); }
  int outputs_per_macro() const { return cols / weight_cells(); }
  /// Sets what the macros fix in a CIM linear's numerics: w_bits, the weight digit columns
  /// (weight_slice_bits, weight_encoding), the ADC bits and the rows per conversion (rows).
  void apply_to(numerics::BitSerialConfig& linear) const;
  /// True when `linear` holds its weights as these macros do (apply_to's settings; its row tiles
  /// may be shorter than a macro) and its input slices are no wider than the drive timed and
  /// priced for (slice_bits; a TaQ-DiT single-pass linear may use fewer bits).
  bool holds(const numerics::BitSerialLinear& linear) const;
};

/// The CIM macros planned over the whole model (plan_cim_weights).
struct CimWeightPlan {
  std::int64_t model_tiles = 0;  // macro tiles of all the model's CIM weights
  int macros = 0;                // macros on the chip
  bool resident = false;         // every tile keeps a macro of its own
};

/// Resolves hw.cim.weights and hw.cim.macros for a model of `model_tiles` macro tiles: macros 0
/// means model_tiles (resident or auto; streamed needs a count); resident with fewer macros than
/// tiles is a ConfigError naming both keys.
CimWeightPlan plan_cim_weights(const CimParams& cim, std::int64_t model_tiles);

/// hw.ssm.*: the FP32 SSM core.
struct SsmParams {
  int lanes = 16;       // hw.ssm.lanes >= 1: (d, n) elements per cycle
  int exp_latency = 4;  // hw.ssm.exp_latency >= 1 (exp and softplus unit)
  int mul_latency = 3;  // hw.ssm.mul_latency >= 1
  int add_latency = 3;  // hw.ssm.add_latency >= 1
  numerics::ExpImpl exp_impl = numerics::ExpImpl::Exact;  // ssm.exp_impl: exact|pwl|lut
  int exp_segments = 64;  // ssm.exp_segments: PWL segments (exp_impl pwl; priced)
  int lut_entries = 256;  // ssm.lut_entries: table entries (exp_impl lut; priced)
};

/// hw.conv.*: the depthwise conv1d + SiLU + SSM-input quantizer pipeline.
struct ConvParams {
  int lanes = 16;   // hw.conv.lanes >= 1: output elements per cycle
  int latency = 8;  // hw.conv.latency >= 1: pipeline depth (taps, SiLU, quantizer)
  /// Taps of a lane (one multiplier and adder each): the model's conv kernel (the Mamba family
  /// sets it; 4, mamba-130m's, otherwise); priced area.
  int taps = 4;
  /// Bits of an SSM-input code the quantizer clamps to (the scheme's: int8 and group 8,
  /// dual_scale its value bits); priced as the quantizer's comparators.
  int code_bits = 8;
};

enum class IndexImpl { Sequential, Parallel, Lut };
const char* index_impl_name(IndexImpl impl);
enum class LookupGranularity { PerElement, PerChannel };

/// hw.index.*: the scale-index lookup of the group scheme.
struct IndexParams {
  IndexImpl impl = IndexImpl::Parallel;  // hw.index.impl: sequential|parallel|lut
  int units = 16;                        // hw.index.units >= 1: lookup units in parallel
  /// hw.index.lookups: per_element (one lookup per (token, channel), NUMERICS.md 4) or
  /// per_channel (once per channel per op, the scale held for the op's tokens)
  LookupGranularity lookups = LookupGranularity::PerElement;
  /// The group scheme's head groups HG and dim groups DG (workload.ssm_input): a parallel unit
  /// holds HG + DG comparators (priced area).
  int head_groups = 4;
  int dim_groups = 4;
};

/// hw.mux.*: the dual-scale dequant MUX.
struct MuxParams {
  int lanes = 16;   // hw.mux.lanes >= 1
  int latency = 2;  // hw.mux.latency >= 1 (unpack + multiply)
};

/// hw.vec.*: the FP32 vector unit (RMSNorm, gate, residual).
struct VecParams {
  int lanes = 16;   // hw.vec.lanes >= 1
  int latency = 4;  // hw.vec.latency >= 1
};

/// hw.mac.*: a digital FP32 MAC array (output-stationary systolic array of rows x cols
/// processing elements) for products of two activations, which cannot be weight-stationary CIM
/// (attention q k^T and p v), and for FP32 linears whose weights are not in the CIM (JiT adaLN).
struct MacParams {
  int rows = 16;    // hw.mac.rows >= 1: output rows computed at once
  int cols = 16;    // hw.mac.cols >= 1: output columns computed at once
  int latency = 4;  // hw.mac.latency >= 1: FP32 multiply-accumulate pipeline depth
};

/// hw.sram.<buffer>.*
struct SramParams {
  std::int64_t bytes = 0;  // hw.sram.<b>.bytes >= 0; 0 = sized to what the program needs
  int width_bits = 256;    // hw.sram.<b>.width_bits >= 1
  int ports = 2;           // hw.sram.<b>.ports >= 1
  /// hw.sram.<b>.bank_bytes >= 0: the buffer is built of banks of this size (an access reads
  /// one bank and the route to it, cost::banked_sram_cost); 0 or >= bytes: one bank.
  std::int64_t bank_bytes = cost::kDefaultSramBankBytes;
};

/// hw.sram.stream.bytes default: 1 MiB holds the built-in model's 256-token residual stream
/// (256 x 768 x 4 = 768 KiB); longer windows spill to DRAM (reported).
inline constexpr std::int64_t kDefaultStreamBytes = std::int64_t{1} << 20;

/// hw.dram.*
struct DramParams {
  std::string preset = "lpddr4_4266";    // hw.dram.preset: ddr4_3200|lpddr4_4266|hbm2 (priced)
  std::optional<double> bandwidth_gbps;  // hw.dram.bandwidth_gbps > 0 (overrides the preset)
  std::optional<double> latency_ns;      // hw.dram.latency_ns >= 0 (overrides the preset)
};

/// A DRAM preset: peak bandwidth and row-miss access latency.
struct DramPreset {
  double bandwidth_gbps = 0.0, latency_ns = 0.0;
};
/// Throws ConfigError naming hw.dram.preset for an unknown name.
DramPreset dram_preset(const std::string& name);

struct HwParams {
  int node_nm = 28;           // hw.node_nm: technology node of the cost models
  double vdd_v = 0.9;         // hw.vdd_v: supply of the cost models
  double clock_mhz = 1000.0;  // hw.clock_mhz > 0
  int queue_depth = 4;        // hw.queue_depth >= 1: commands a unit's input queue holds
  /// hw.batch >= 1: sequences (images) in flight through every op of a layer, sharing each
  /// weight load and macro program (workloads::batch_program).
  std::int64_t batch = 1;
  CimParams cim;
  SsmParams ssm;
  ConvParams conv;
  IndexParams index;
  MuxParams mux;
  VecParams vec;
  MacParams mac;
  SramParams sram_default;                 // hw.sram.default.*: buffers not listed below
  std::map<std::string, SramParams> sram;  // hw.sram.<buffer>.*
  DramParams dram;
  std::string trace;  // hw.trace: VCD path; empty = off

  /// Throws ConfigError naming the full key ("hw.cim.rows: must be >= 1, got 0"; a node the cost
  /// models do not support names hw.node_nm).
  void validate() const;
  const SramParams& sram_for(const std::string& buffer) const;
  /// "hw.sram.<buffer>" or "hw.sram.default" when the buffer has no entry of its own.
  std::string sram_key(const std::string& buffer) const;
  double dram_bandwidth_gbps() const;
  double dram_latency_ns() const;
  /// Cycles of `ns` nanoseconds at clock_mhz, rounded up.
  std::int64_t ns_to_cycles(double ns) const;
  double cycles_to_ns(std::int64_t cycles) const { return double(cycles) * 1000.0 / clock_mhz; }
};

/// The default parameters with the SSM state and parameter buffers widened to feed the lanes.
HwParams default_hw_params();

/// The cost model's view of one CIM macro (models/cost/cim.hpp) at these parameters: the geometry
/// the cost model prices (the used output columns rounded up to whole ADC groups), cell, input
/// drive (hw.cim.dac, pulse_ns), ADC model and bits, node; drive_ns and the ADC rate left 0
/// (the timed values are set by sim::cim_macro_params).
cost::CimMacroParams cim_macro_geometry(const HwParams& hw);
cost::TechPoint tech_of(const HwParams& hw);

/// Checks that the cost models can price and time the CIM (called where the hardware is run or
/// priced, not at config load: the accuracy replay alone takes any 1..16 ADC bits): the survey
/// model needs >= 4 bits; an explicit conversion_ns no faster than the sar / flash model converts
/// and within the survey's 1e10 S/s; hw.cim.dac fits quant.slice_bits (bit_serial 1 bit,
/// pulse_count <= 4, amplitude <= 8); an explicit hw.cim.input_cycles_per_slice no shorter than the
/// drive needs. Throws ConfigError naming the key.
void check_cim_costable(const HwParams& hw);

numerics::ExpImpl parse_exp_impl(const std::string& name);  // ConfigError on hw.ssm.exp_impl
IndexImpl parse_index_impl(const std::string& name);        // ConfigError on hw.index.impl

}  // namespace cimba::hw
