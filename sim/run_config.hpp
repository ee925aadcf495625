#pragma once
// RunConfig: the validated, immutable parameters of one run, every default resolved.
// Built only by sim/config.cpp from the YAML file and --set overrides (see docs/config.md, which is
// generated from the schema in sim/config_schema.cpp). Everything downstream reads this struct.
#include <cstdint>
#include <string>

#include "hw/params.hpp"
#include "models/numerics/slice_kernels.hpp"

namespace cimba::sim {

enum class WorkloadKind { Linear, Mamba, Jit };
enum class RangeMode { Dynamic, Static };             // activation ranges: per tensor or calibrated
enum class AdcRangeMode { Dynamic, Static, Bypass };  // NUMERICS.md 2.5
enum class ObserverKind { Absmax, PercentileEma, Kl, Mse };              // NUMERICS.md 6
enum class SsmInputScheme { Fp32, Int8, Group, DualScale };              // NUMERICS.md 3
enum class GroupingMode { EqualSize, KMeans };                           // NUMERICS.md 4
enum class KRoundMode { Pow2, None };                                    // NUMERICS.md 5
enum class InputEncodingMode { TwosComplement, SignMagnitude };          // NUMERICS.md 2.7
enum class WeightEncodingMode { TwosComplement, Offset, Differential };  // NUMERICS.md 2.8
enum class ExpImplMode { Exact, Pwl, Lut };                              // NUMERICS.md 7
enum class IndexImplMode { Sequential, Parallel, Lut };                  // hw/params.hpp IndexImpl
enum class LookupMode { PerElement, PerChannel };            // hw/params.hpp LookupGranularity
enum class DramPresetKind { Ddr4_3200, Lpddr4_4266, Hbm2 };  // hw/params.hpp dram_preset
enum class SimulateLayers { First, All };                    // sim/hardware_report.cpp

/// workload.linear.*: one linear layer Y = X W^T + b read from a safetensors file.
struct LinearWorkloadConfig {
  std::string file = "builtin:linear_example";  // safetensors path, or builtin:NAME
  std::string weight = "W";                     // tensor [M, K]
  std::string input = "X";                      // tensor [N, K]
  std::string bias;                             // tensor [M]; empty: no bias
  std::string calib_input;      // tensor [N', K] for static calibration; empty: use `input`
  std::string name = "linear";  // layer name in results
};

/// workload.mamba.*: a Mamba1 byte-level language model replayed quantized against its FP32
/// reference over text windows (docs/quantized-replay.md).
struct MambaWorkloadConfig {
  std::string model = "builtin:mamba-bytes-4l";  // transformers model folder or builtin:NAME
  std::string text = "builtin:validation";       // evaluation text: file path or builtin:validation
  std::string calib_text = "builtin:calibration";  // calibration text: path or builtin:NAME
  std::int64_t window = 256;       // tokens (bytes) per window, state reset per window
  std::int64_t windows = 4;        // evaluation windows from the start of the text; 0: all
  std::int64_t calib_windows = 8;  // calibration windows from the start of calib_text
  std::int64_t batch_windows = 8;  // windows per forward (the rows a dynamic range sees)
  bool out_proj_rescale = true;    // MambaLoadOptions::transformers_out_proj_rescale
};

/// workload.ssm_input.*: quantization of the conv1d output u (NUMERICS.md 3-5).
struct SsmInputConfig {
  SsmInputScheme scheme = SsmInputScheme::Int8;
  RangeMode range = RangeMode::Static;  // scales calibrated, or computed on each tensor
  int n_ssd_groups = 1;                 // G (group)
  int n_head_groups = 4;                // HG (group)
  int n_dim_groups = 4;                 // DG (group)
  int head_dim = 64;                    // P (group)
  GroupingMode grouping = GroupingMode::EqualSize;
  int value_bits = 4;        // dual_scale b
  double inlier_pct = 99.0;  // dual_scale tau percentile
  KRoundMode k_round = KRoundMode::Pow2;
  double fixed_k = 0.0;  // 0: k calibrated; else a fixed k >= 1
};

/// workload.jit.* and quant.layers.<jit linear>.*: a JiT diffusion transformer (docs/jit.md)
/// replayed quantized against its FP32 reference on noisy MNIST images (sim/families/jit.cpp).
enum class JitCalibTimestepsMode { LogitNormal, Stratified };  // JitCalibrationTimesteps

/// quant.layers.<name>.* of one JiT linear; 0 inherits quant.w_bits, quant.a_bits,
/// hw.cim.adc.bits.
struct JitLinearOverride {
  bool quantize = true;
  int w_bits = 0;
  int a_bits = 0;
  int adc_bits = 0;
};

/// The JiT linears by config name (workloads::jit_linear_key_name); default: the block's
/// attention and FFN linears on the CIM, the rest FP32 (JitQuantConfig's default).
struct JitLayerOverrides {
  JitLinearOverride qkv, proj, w12, w3;
  JitLinearOverride adaLN{false}, x_embed{false}, t_fc1{false}, t_fc2{false}, final_adaLN{false},
      final_linear{false};
};

struct JitEvalConfig {
  std::int64_t images = 16;                       // MNIST test images ...
  std::int64_t first_image = 5000;                // ... from this index
  std::string timesteps = "0.1,0.3,0.5,0.7,0.9";  // comma-separated t in [0, 1]
};

struct JitSampleConfig {
  std::int64_t count = 2;  // samples compared (0: no sampling comparison)
  int steps = 8;           // sampler steps N (2N - 1 network calls)
  double cfg_scale = 1.5;  // classifier-free guidance scale
};

struct JitTaqSettings {
  bool enabled = false;
  int buckets = 10;
  std::string bits = "4,6,8";  // comma-separated candidate activation bits, ascending
  double target_sqnr_db = 25.0;
};

struct JitWorkloadConfig {
  std::string model;  // JiT model folder (config.json + model.safetensors); required
  std::string mnist;  // MNIST folder with t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz
  JitEvalConfig eval;
  JitSampleConfig sample;
  JitTaqSettings taq;
  std::int64_t calib_images = 32;  // calibration images (MNIST test images from index 0)
  std::int64_t calib_batch = 16;   // images per calibration forward (one observer batch)
  JitCalibTimestepsMode calib_timesteps = JitCalibTimestepsMode::LogitNormal;
  JitLayerOverrides layers;  // YAML: quant.layers.<name>.*
};

struct WorkloadConfig {
  WorkloadKind kind = WorkloadKind::Mamba;  // the default run is the built-in Mamba model
  LinearWorkloadConfig linear;
  MambaWorkloadConfig mamba;
  SsmInputConfig ssm_input;
  JitWorkloadConfig jit;
};

/// quant.layers.<type>.*: settings of one linear type of the Mamba workload; 0 inherits the
/// global value (quant.w_bits, quant.a_bits, hw.cim.adc.bits).
struct LinearTypeOverride {
  bool quantize = true;  // false: this type stays FP32
  int w_bits = 0;
  int a_bits = 0;
  int adc_bits = 0;
};

struct LayerTypeOverrides {
  LinearTypeOverride in_proj, x_proj, dt_proj, out_proj;
  LinearTypeOverride lm_head{false, 0, 0, 0};  // the output projection stays FP32 by default
};

/// quant.*: quantization of the linear layers (NUMERICS.md 2.1-2.3).
struct QuantConfig {
  // w_bits, a_bits and slice_bits are also what the CIM macros hold and drive (hw::CimParams).
  int w_bits = hw::CimParams{}.w_bits;  // 2..8
  double w_clip_pct = 100.0;            // (0, 100]; 100: range = max|W|
  int a_bits = hw::CimParams{}.a_bits;  // 8..16
  RangeMode a_range = RangeMode::Static;
  int slice_bits = hw::CimParams{}.slice_bits;                           // 1..a_bits
  int overlap_bits = 0;  // 0..slice_bits-1 (default: plain 4-bit digits of a_bits 12)
  InputEncodingMode input_encoding = InputEncodingMode::TwosComplement;  // sign_magnitude: O = 0
  int weight_slice_bits = 0;  // 0..w_bits; 0: one signed analog weight (no digit columns)
  WeightEncodingMode weight_encoding = WeightEncodingMode::TwosComplement;
  LayerTypeOverrides layers;  // mamba workload: per linear type
};

/// hw.cim.adc.*: the column ADCs (NUMERICS.md 2.5; hardware: hw/params.hpp AdcParams, cost:
/// models/cost/adc.hpp).
struct AdcConfig {
  int bits = hw::AdcParams{}.bits;  // 1..16; the numerics' and the hardware's ADC resolution
  AdcRangeMode range = AdcRangeMode::Static;
  double noise_lsb = 0.0;                                // >= 0, Gaussian noise sigma in LSB
  double enob = 0.0;                                     // 0: ideal (enob = bits); else (0, bits]
  double conversion_ns = hw::AdcParams{}.conversion_ns;  // >= 0: one conversion; 0: the model's
  cost::AdcModel model = hw::AdcParams{}.model;          // energy / area model of one ADC
};

/// hw.*: the defaults of the hardware keys are those of hw/params.hpp, read from its structs
/// (declared once; a test checks the SRAM buffers' and the enums' against hw::default_hw_params).
/// hw.cim.*: the CIM macros.
struct CimConfig {
  AdcConfig adc;
  int rows_per_adc = 0;             // >= 0; 0: mamba hw.cim.rows, linear the whole column (K rows)
  int rows = hw::CimParams{}.rows;  // rows of one macro = rows summed per conversion
  int cols = hw::CimParams{}.cols;
  int cell_bits = hw::CimParams{}.cell_bits;
  int cols_per_adc = hw::CimParams{}.cols_per_adc;  // output columns sharing one ADC
  int macros = hw::CimParams{}.macros;              // 0: as many as residency needs
  hw::WeightPlacement weights = hw::CimParams{}.weights;
  hw::InputDrive dac = hw::CimParams{}.dac;
  double pulse_ns = hw::CimParams{}.pulse_ns;
  int input_cycles_per_slice = hw::CimParams{}.input_cycles_per_slice;
  int write_cycles_per_row = hw::CimParams{}.write_cycles_per_row;
  int shift_add_latency = hw::CimParams{}.shift_add_latency;
  cost::CimCellType cell_type = hw::CimParams{}.cell_type;  // cost model of the bitcell
};

/// hw.ssm.*: the FP32 SSM core (its exp_impl is ssm.exp_impl).
struct HwSsmConfig {
  int lanes = hw::SsmParams{}.lanes;
  int exp_latency = hw::SsmParams{}.exp_latency;
  int mul_latency = hw::SsmParams{}.mul_latency;
  int add_latency = hw::SsmParams{}.add_latency;
};

/// hw.conv.*, hw.mux.*, hw.vec.*: lanes and pipeline depth of a streaming unit.
struct LanesConfig {
  int lanes = 16;
  int latency = 8;
};

/// hw.index.*: the scale-index lookup of the group scheme.
struct IndexConfig {
  IndexImplMode impl = IndexImplMode::Parallel;
  int units = hw::IndexParams{}.units;
  LookupMode lookups = LookupMode::PerElement;
};

/// hw.mac.*: the digital FP32 MAC array (JiT attention; unused by Mamba programs).
struct MacConfig {
  int rows = hw::MacParams{}.rows;
  int cols = hw::MacParams{}.cols;
  int latency = hw::MacParams{}.latency;
};

/// hw.sram.<buffer>.*: one on-chip buffer; 0 in a field inherits hw.sram.default.
struct SramBufferConfig {
  std::int64_t bytes = 0;
  int width_bits = 0;
  int ports = 0;
  std::int64_t bank_bytes = 0;
};

/// hw.sram.default.*: buffers without values of their own.
struct SramDefaultConfig {
  std::int64_t bytes = hw::SramParams{}.bytes;  // 0: sized to what the program needs
  int width_bits = hw::SramParams{}.width_bits;
  int ports = hw::SramParams{}.ports;
  std::int64_t bank_bytes = hw::SramParams{}.bank_bytes;  // 0: one bank
};

/// The buffers of a Mamba1 layer program (workloads/program/op_program.hpp, docs/hardware.md).
struct SramConfig {
  SramDefaultConfig default_;  // YAML key "default" (a C++ keyword)
  SramBufferConfig x, xn, xz, u, xp, delta, y, g, mo, out, weights, scale_tables;
  SramBufferConfig ssm_state{0, 512, 2};   // the state of 16 lanes: 16 x 32 bit per cycle
  SramBufferConfig ssm_params{0, 512, 1};  // A and D for 16 lanes
  /// The residual stream between layers [L, d_model] FP32 (0: sized to it).
  SramBufferConfig stream{hw::kDefaultStreamBytes, 0, 0, 0};
};

/// hw.dram.*
struct DramConfig {
  DramPresetKind preset = DramPresetKind::Lpddr4_4266;  // priced by models/cost/dram.hpp
  double bandwidth_gbps = 0.0;                          // 0: the preset's
  double latency_ns = 0.0;                              // 0: the preset's
};

/// hw.*: the accelerator the mamba workload's layers run on (hw/params.hpp, sim/hardware_report).
struct HwConfig {
  CimConfig cim;
  int node_nm = hw::HwParams{}.node_nm;  // technology node of the cost models
  double vdd_v = hw::HwParams{}.vdd_v;   // supply of the cost models
  double clock_mhz = hw::HwParams{}.clock_mhz;
  int queue_depth = hw::HwParams{}.queue_depth;
  std::int64_t token_chunk = 64;  // tokens per op of the token-parallel phase
  std::int64_t batch = hw::HwParams{}.batch;  // sequences (images) in flight, sharing weights
  HwSsmConfig ssm;
  LanesConfig conv{hw::ConvParams{}.lanes, hw::ConvParams{}.latency};
  IndexConfig index;
  LanesConfig mux{hw::MuxParams{}.lanes, hw::MuxParams{}.latency};
  LanesConfig vec{hw::VecParams{}.lanes, hw::VecParams{}.latency};
  MacConfig mac;
  SramConfig sram;
  DramConfig dram;
  std::string trace;                                       // VCD of the first layer; empty: off
  SimulateLayers simulate_layers = SimulateLayers::First;  // first layer scaled, or every layer
};

/// calib.*: observers for static ranges (NUMERICS.md 6).
struct CalibrationConfig {
  ObserverKind observer = ObserverKind::Absmax;
  double percentile_alpha = 0.9995;  // (0, 1]
  double ema_sigma = 0.01;           // (0, 1]
  int batch_rows = 0;  // rows of the calibration tensor per observer batch; 0: one batch
  std::string save;    // mamba: write the calibration to this safetensors file
  std::string load;    // mamba: read the calibration from this file instead of calibrating
};

/// ssm.*: the SSM core (NUMERICS.md 7).
struct SsmConfig {
  ExpImplMode exp_impl = ExpImplMode::Exact;
  int exp_segments = hw::SsmParams{}.exp_segments;  // pwl
  int lut_entries = hw::SsmParams{}.lut_entries;    // lut
};

struct RunConfig {
  std::uint64_t seed = 1;
  int threads = 0;  // threads inside one run; 0: every CPU the process may use
  numerics::SliceKernel slice_kernel = numerics::SliceKernel::Auto;  // slice-product kernel
  WorkloadConfig workload;
  QuantConfig quant;
  HwConfig hw;
  SsmConfig ssm;
  CalibrationConfig calib;
};

}  // namespace cimba::sim
