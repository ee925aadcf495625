// The config schema table and the value parsing, formatting and typo matching it needs.
// See config_schema.hpp for how to add a key.
#include "sim/config_schema.hpp"

#include "sim/hw_config.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>
#include <stdexcept>
#include <system_error>

namespace cimba::sim::schema {
namespace {

std::string format_number(double value);

const KeySpec& key_or_die(const std::string& path) {
  const KeySpec* key = find_key(path);
  // A rule naming a key that is not in the table is a bug in the table; a schema test catches it.
  if (key == nullptr) throw std::logic_error("config schema: rule names unknown key " + path);
  return *key;
}

double numeric(const Value& value) {
  if (const auto* i = std::get_if<std::int64_t>(&value)) return static_cast<double>(*i);
  return std::get<double>(value);
}

/// Rule `lhs op rhs` between two numeric keys. `unless_zero`: the rule holds when lhs is 0 (where
/// 0 means "ideal" or "off").
CrossRule compare_rule(std::string lhs, std::string op, std::string rhs, bool unless_zero) {
  CrossRule rule;
  rule.keys = {lhs, rhs};
  rule.description = lhs + " " + op + " " + rhs + (unless_zero ? " (unless " + lhs + " is 0)" : "");
  rule.check = [lhs, op, rhs, unless_zero](const RunConfig& config) -> std::optional<std::string> {
    const KeySpec& l = key_or_die(lhs);
    const KeySpec& r = key_or_die(rhs);
    const Value lv = l.get(config);
    const Value rv = r.get(config);
    const double a = numeric(lv);
    const double b = numeric(rv);
    if (unless_zero && a == 0.0) return std::nullopt;
    const bool holds = op == "<" ? a < b : op == "<=" ? a <= b : op == ">" ? a > b : a >= b;
    if (holds) return std::nullopt;
    return lhs + ": " + format_value(l, lv) + " must be " + op + " " + rhs + " (which is " +
           format_value(r, rv) + ")";
  };
  return rule;
}

/// Rule: a string key must not be empty while an enum key has a given value.
CrossRule required_when(std::string key, std::string enum_key, std::string enum_value) {
  CrossRule rule;
  rule.keys = {key, enum_key};
  rule.description = key + " is required when " + enum_key + " is " + enum_value;
  rule.check = [key, enum_key, enum_value](const RunConfig& config) -> std::optional<std::string> {
    if (std::get<std::string>(key_or_die(enum_key).get(config)) != enum_value) return std::nullopt;
    if (!std::get<std::string>(key_or_die(key).get(config)).empty()) return std::nullopt;
    return key + ": required when " + enum_key + " is " + enum_value +
           " (set it in the config file or with --set " + key + "=PATH)";
  };
  return rule;
}

/// Rule: hw.cim.adc.enob <= the ADC bits of a linear type (its override, or hw.cim.adc.bits).
CrossRule enob_rule(std::string adc_bits_key) {
  CrossRule rule;
  rule.keys = {adc_bits_key, "hw.cim.adc.enob"};
  rule.description = "hw.cim.adc.enob <= " + adc_bits_key + " (unless either is 0)";
  rule.check = [adc_bits_key](const RunConfig& config) -> std::optional<std::string> {
    const auto bits = std::get<std::int64_t>(key_or_die(adc_bits_key).get(config));
    const double enob = config.hw.cim.adc.enob;
    if (bits == 0 || enob == 0.0 || enob <= static_cast<double>(bits)) return std::nullopt;
    return adc_bits_key + ": " + std::to_string(bits) + " must be >= hw.cim.adc.enob (which is " +
           format_number(enob) + ")";
  };
  return rule;
}

/// Rule: a dual-scale fixed k is 0 (calibrated) or at least 1.
CrossRule fixed_k_rule() {
  CrossRule rule;
  rule.keys = {"workload.ssm_input.fixed_k"};
  rule.description = "workload.ssm_input.fixed_k is 0 (calibrated) or >= 1";
  rule.check = [](const RunConfig& config) -> std::optional<std::string> {
    const double k = config.workload.ssm_input.fixed_k;
    if (k == 0.0 || k >= 1.0) return std::nullopt;
    return "workload.ssm_input.fixed_k: " + format_number(k) +
           " must be 0 (calibrated) or >= 1 (scale2 = k scale1 covers the outliers)";
  };
  return rule;
}

/// Rule: sign-magnitude inputs are plain digits (no overlapped slices).
CrossRule sign_magnitude_rule() {
  CrossRule rule;
  rule.keys = {"quant.input_encoding", "quant.overlap_bits"};
  rule.description = "quant.input_encoding sign_magnitude needs quant.overlap_bits 0";
  rule.check = [](const RunConfig& config) -> std::optional<std::string> {
    if (config.quant.input_encoding != InputEncodingMode::SignMagnitude ||
        config.quant.overlap_bits == 0)
      return std::nullopt;
    return "quant.input_encoding: sign_magnitude needs quant.overlap_bits 0 (plain digits of "
           "|x_q|), but quant.overlap_bits is " +
           std::to_string(config.quant.overlap_bits);
  };
  return rule;
}

/// Rule: a weight digit column is no wider than the weights, global or per linear type.
CrossRule weight_slice_rule() {
  CrossRule rule;
  rule.keys = {"quant.weight_slice_bits", "quant.w_bits"};
  rule.description =
      "quant.weight_slice_bits <= quant.w_bits and <= every non-zero quant.layers.<type>.w_bits";
  rule.check = [](const RunConfig& config) -> std::optional<std::string> {
    const int C = config.quant.weight_slice_bits;
    if (C == 0) return std::nullopt;
    if (C > config.quant.w_bits)
      return "quant.weight_slice_bits: " + std::to_string(C) +
             " must be <= quant.w_bits (which is " + std::to_string(config.quant.w_bits) + ")";
    for (const KeySpec& key : config_schema().keys) {
      if (key.path.rfind("quant.layers.", 0) != 0 || key.name() != "w_bits") continue;
      const int w = static_cast<int>(numeric(key.get(config)));
      if (w != 0 && C > w)
        return "quant.weight_slice_bits: " + std::to_string(C) + " must be <= " + key.path +
               " (which is " + std::to_string(w) + ")";
    }
    return std::nullopt;
  };
  return rule;
}

/// Rule: a string key that only the mamba workload reads is empty for other workloads.
CrossRule mamba_only_rule(std::string key) {
  CrossRule rule;
  rule.keys = {key, "workload.kind"};
  rule.description = key + " is only used when workload.kind is mamba or jit";
  rule.check = [key](const RunConfig& config) -> std::optional<std::string> {
    if (config.workload.kind == WorkloadKind::Mamba || config.workload.kind == WorkloadKind::Jit)
      return std::nullopt;
    if (std::get<std::string>(key_or_die(key).get(config)).empty()) return std::nullopt;
    return key + ": only the mamba and jit workloads calibrate through a file (workload.kind is " +
           std::get<std::string>(key_or_die("workload.kind").get(config)) + ")";
  };
  return rule;
}

/// The four rows of quant.layers.<type> (a macro: CIMBA_KEY needs the member path as tokens).
#define CIMBA_LINEAR_TYPE_KEYS(type)                                                \
  bool_key(CIMBA_KEY(quant.layers.type.quantize),                                   \
           "run the " #type " linears bit-serially on the CIM array; false: FP32"), \
      int_key(CIMBA_KEY(quant.layers.type.w_bits), closed(0, 8),                    \
              "weight bits of the " #type " linears; 0: quant.w_bits"),             \
      int_key(CIMBA_KEY(quant.layers.type.a_bits), closed(0, 16),                   \
              "activation bits of the " #type " linears; 0: quant.a_bits"),         \
      int_key(CIMBA_KEY(quant.layers.type.adc_bits), closed(0, 16),                 \
              "ADC bits of the " #type " linears; 0: hw.cim.adc.bits")

/// The four rows of hw.sram.<buffer> (`bytes_meaning`: what its bytes key means); 0 inherits
/// hw.sram.default.
#define CIMBA_SRAM_KEYS_WITH(buffer, bytes_meaning)                                               \
  int_key(CIMBA_KEY(hw.sram.buffer.bytes), at_least(0), bytes_meaning),                           \
      int_key(CIMBA_KEY(hw.sram.buffer.width_bits), closed(0, 1 << 16),                           \
              "bits per access of one port; 0: hw.sram.default.width_bits"),                      \
      int_key(CIMBA_KEY(hw.sram.buffer.ports), closed(0, 64), "ports; 0: hw.sram.default.ports"), \
      int_key(CIMBA_KEY(hw.sram.buffer.bank_bytes), at_least(0),                                  \
              "bytes per bank; 0: hw.sram.default.bank_bytes")
#define CIMBA_SRAM_KEYS(buffer) CIMBA_SRAM_KEYS_WITH(buffer, "capacity; 0: hw.sram.default.bytes")

/// Rule: the hardware parameters hold together (HwParams::validate, the supported nodes, what
/// the cost models accept); the message names the key.
CrossRule hardware_rule() {
  CrossRule rule;
  rule.keys = {"hw.node_nm", "hw.cim.cell_bits", "hw.cim.cols", "quant.w_bits"};
  rule.description =
      "the hw.* parameters form a valid accelerator (hw::HwParams::validate, the message names "
      "the key): hw.node_nm is 7, 16, 22, 28, 45 or 65; hw.cim.cell_bits <= quant.w_bits; "
      "hw.cim.cols >= ceil(quant.w_bits / hw.cim.cell_bits)";
  rule.check = [](const RunConfig& config) { return hardware_config_problem(config); };
  return rule;
}

/// Rule: in a mamba run the replay's rows per conversion agree with the hardware's.
CrossRule rows_per_adc_rule() {
  CrossRule rule;
  rule.keys = {"hw.cim.rows_per_adc", "hw.cim.rows", "workload.kind"};
  rule.description =
      "mamba: hw.cim.rows_per_adc is 0 (= hw.cim.rows) or equal to hw.cim.rows (one key, "
      "hw.cim.rows, sets the rows per conversion of the hardware)";
  rule.check = [](const RunConfig& config) -> std::optional<std::string> {
    const auto& cim = config.hw.cim;
    if (config.workload.kind != WorkloadKind::Mamba || cim.rows_per_adc == 0 ||
        cim.rows_per_adc == cim.rows)
      return std::nullopt;
    return "hw.cim.rows_per_adc: " + std::to_string(cim.rows_per_adc) +
           " must be 0 or equal to hw.cim.rows (which is " + std::to_string(cim.rows) +
           "): the hardware converts one macro's rows at a time; set hw.cim.rows to " +
           std::to_string(cim.rows_per_adc) + " as well";
  };
  return rule;
}

// ---- The table ------------------------------------------------------------------------------
// One row per key, grouped by section; the order here is the order of --print-config, result.json
// and docs/config.md. Defaults live in run_config.hpp.

Schema build_schema() {
  Schema s;
  s.sections = {
      {"", "keys outside any section"},
      {"workload", "what runs: the layer(s) and their data"},
      {"workload.linear", "one linear layer Y = X W^T + b read from a safetensors file"},
      {"workload.mamba",
       "a Mamba1 byte-level language model replayed quantized against its FP32 reference "
       "(docs/quantized-replay.md)"},
      {"workload.ssm_input",
       "quantization of the SSM input u = conv1d + SiLU output (mamba; NUMERICS.md 3-5)"},
      {"quant", "quantization of the linear layers (NUMERICS.md 2.1-2.3)"},
      {"quant.layers",
       "per linear type of the mamba workload; 0 inherits quant.w_bits, quant.a_bits, "
       "hw.cim.adc.bits"},
      {"quant.layers.in_proj", "the in_proj linears (mixer input -> x, z)"},
      {"quant.layers.x_proj", "the x_proj linears (u -> dt_low, B, C)"},
      {"quant.layers.dt_proj", "the dt_proj linears (dt_low -> delta before softplus)"},
      {"quant.layers.out_proj", "the out_proj linears (gated scan output -> mixer output)"},
      {"quant.layers.lm_head", "the output projection (logits); FP32 unless quantize is true"},
      // ---- workload.jit (JiT) sections ----
      {"workload.jit",
       "a JiT pixel-space diffusion transformer replayed quantized against its FP32 reference on "
       "noisy MNIST test images, and one block played on the accelerator (docs/jit.md)"},
      {"workload.jit.eval", "the denoiser comparisons: every image at every timestep"},
      {"workload.jit.sample",
       "the sampling comparison: quantized vs FP32 Heun + CFG samples from the same noise"},
      {"workload.jit.taq",
       "TaQ-DiT: per-timestep-bucket activation bits and ranges, w3 input channel shift "
       "(NUMERICS.md 8; needs a calibration)"},
      {"quant.layers.qkv", "jit: the attention qkv projections (bias-free)"},
      {"quant.layers.proj", "jit: the attention output projections (bias-free)"},
      {"quant.layers.w12", "jit: the SwiGLU gate | up linears (bias-free)"},
      {"quant.layers.w3", "jit: the SwiGLU down linears (bias-free)"},
      {"quant.layers.adaLN", "jit: the per-block adaLN modulation linears; FP32 by default"},
      {"quant.layers.x_embed", "jit: the patch embedding; FP32 by default"},
      {"quant.layers.t_fc1", "jit: the first timestep-embedding linear; FP32 by default"},
      {"quant.layers.t_fc2", "jit: the second timestep-embedding linear; FP32 by default"},
      {"quant.layers.final_adaLN", "jit: the final adaLN modulation; FP32 by default"},
      {"quant.layers.final_linear", "jit: the final projection to patches; FP32 by default"},
      {"hw",
       "the accelerator: the mamba workload plays every layer on it for latency, energy and area "
       "(docs/hardware.md, docs/cost-models.md). One key drives the numerics and the hardware "
       "where both describe the same thing: hw.cim.adc.bits (ADC resolution), quant.w_bits "
       "(weight bits in the cells), ssm.exp_impl (exp/softplus of the SSM core) and hw.cim.rows "
       "(rows per ADC conversion on the hardware; in a mamba run hw.cim.rows_per_adc is 0, "
       "meaning hw.cim.rows, or equal to it)"},
      {"hw.cim", "the compute-in-memory macros (NUMERICS.md 2.4)"},
      {"hw.cim.adc", "the column ADCs (NUMERICS.md 2.5)"},
      {"hw.ssm", "the FP32 SSM core (its exp/softplus implementation is ssm.exp_impl)"},
      {"hw.conv", "the depthwise conv1d + SiLU + SSM-input quantizer pipeline"},
      {"hw.index", "the scale-index lookup of the group scheme"},
      {"hw.mux", "the dual-scale dequant MUX"},
      {"hw.vec", "the FP32 vector unit (RMSNorm, gate, residual)"},
      {"hw.mac", "the digital FP32 MAC array (JiT attention; Mamba programs do not use it)"},
      {"hw.sram",
       "the on-chip buffers of a layer program; in hw.sram.<buffer> a 0 inherits hw.sram.default"},
      {"hw.sram.default", "buffers without values of their own"},
      {"hw.sram.x", "block input x, FP32 [2 chunks, d_model]"},
      {"hw.sram.xn",
       "RMSNorm output as in_proj's input codes (a_bits in whole bytes) [2 chunks, d_model]"},
      {"hw.sram.xz", "in_proj output, FP32 [2 chunks, 2 d_inner]"},
      {"hw.sram.u", "SSM input u at its scheme's bits (32, 8, value_bits + 1) [2 chunks, d_inner]"},
      {"hw.sram.xp", "x_proj output, FP32 [2 chunks, dt_rank + 2 d_state]"},
      {"hw.sram.delta", "dt_proj output, FP32 [2 chunks, d_inner]"},
      {"hw.sram.y", "scan output, FP32 [2 chunks, d_inner]"},
      {"hw.sram.g", "gated scan output as out_proj's input codes [2 chunks, d_inner]"},
      {"hw.sram.mo", "out_proj output (K-partial sums), FP32 [2 chunks, d_model]"},
      {"hw.sram.out", "block output, FP32 [2 chunks, d_model]"},
      {"hw.sram.weights", "CIM weights staged from DRAM"},
      {"hw.sram.scale_tables", "group / dual-scale scale tables (a register file when <= 64 KiB)"},
      {"hw.sram.ssm_state", "SSM state h [d_inner, d_state] FP32, carried between token chunks"},
      {"hw.sram.ssm_params", "A and D of the SSM core"},
      {"hw.sram.stream", "the residual stream between layers [L, d_model] FP32 (mamba)"},
      {"hw.dram", "the DRAM channel"},
      {"ssm", "the SSM core: exp and softplus of the selective scan (mamba; NUMERICS.md 7)"},
      {"calib", "observers that calibrate static ranges (NUMERICS.md 6)"},
  };
  s.keys = {
      int_key(CIMBA_KEY(seed), at_least(0),
              "seed of every random draw (e.g. ADC noise); same config and seed, same results"),
      int_key(CIMBA_KEY(threads), closed(0, 1024),
              "threads inside one run (the bit-serial linears' slice products and conversions); "
              "0: every CPU the process may use (1 in each point of cimba sweep); results do not "
              "depend on it"),
      enum_key(CIMBA_KEY(slice_kernel),
               {{"auto", numerics::SliceKernel::Auto},
                {"reference", numerics::SliceKernel::Reference},
                {"avx2", numerics::SliceKernel::Avx2},
                {"avx512_vnni", numerics::SliceKernel::Avx512Vnni}},
               "kernel of the slice products (docs/numerics-kernels.md): auto, the fastest the "
               "CPU has; or forced (an error when the CPU lacks it); every kernel gives the "
               "same results"),

      enum_key(CIMBA_KEY(workload.kind),
               {{"linear", WorkloadKind::Linear},
                {"mamba", WorkloadKind::Mamba},
                {"jit", WorkloadKind::Jit}},
               "kind of workload; its keys are in the section of that name (workload.linear, "
               "workload.mamba)"),
      string_key(CIMBA_KEY(workload.linear.file),
                 "safetensors file with the layer's tensors (relative paths: to the working "
                 "directory); builtin:linear_example is a real layer shipped in workloads/data "
                 "(mamba-bytes-4l layer 0 x_proj, W [80, 1536], with its input X [64, 1536])"),
      string_key(CIMBA_KEY(workload.linear.weight), "tensor name of the weight W [M, K]"),
      string_key(CIMBA_KEY(workload.linear.input), "tensor name of the test input X [N, K]"),
      string_key(CIMBA_KEY(workload.linear.bias), "tensor name of the bias b [M]; empty: no bias"),
      string_key(CIMBA_KEY(workload.linear.calib_input),
                 "tensor name of the calibration input [N', K]; empty: use the test input"),
      string_key(CIMBA_KEY(workload.linear.name), "layer name in the results"),

      string_key(CIMBA_KEY(workload.mamba.model),
                 "transformers MambaForCausalLM folder (config.json + safetensors weights), or "
                 "builtin:mamba-bytes-4l (the 4-layer byte-level model in "
                 "workloads/data/mamba-bytes-4l), or random:mamba-130m (generated in memory from a "
                 "fixed seed: mamba-130m's 24 layers, d_model 768, d_inner 1536, d_state 16, "
                 "dt_rank 48, with a 256-byte vocabulary)"),
      string_key(CIMBA_KEY(workload.mamba.text),
                 "evaluation text: a file (bytes = tokens) or builtin:validation "
                 "(TinyShakespeare's validation split) or builtin:calibration"),
      string_key(CIMBA_KEY(workload.mamba.calib_text),
                 "calibration text: a file or builtin:calibration (first 64 KiB of "
                 "TinyShakespeare's training split) or builtin:validation"),
      int_key(CIMBA_KEY(workload.mamba.window), at_least(1),
              "tokens per window; the state is reset per window"),
      int_key(CIMBA_KEY(workload.mamba.windows), at_least(0),
              "evaluation windows from the start of the text; 0: all that fit"),
      int_key(CIMBA_KEY(workload.mamba.calib_windows), at_least(1),
              "calibration windows from the start of the calibration text"),
      int_key(CIMBA_KEY(workload.mamba.batch_windows), at_least(1),
              "windows per forward pass: a dynamic range is taken over this many windows"),
      bool_key(CIMBA_KEY(workload.mamba.out_proj_rescale),
               "reproduce transformers 5.x, which divides out_proj by sqrt(n_layers) on load "
               "when config.json sets rescale_prenorm_residual (the golden and README loss do)"),

      enum_key(CIMBA_KEY(workload.ssm_input.scheme),
               {{"fp32", SsmInputScheme::Fp32},
                {"int8", SsmInputScheme::Int8},
                {"group", SsmInputScheme::Group},
                {"dual_scale", SsmInputScheme::DualScale}},
               "SSM input quantization: none, per-tensor INT8, piecewise group scales, or dual "
               "scale"),
      enum_key(CIMBA_KEY(workload.ssm_input.range),
               {{"static", RangeMode::Static}, {"dynamic", RangeMode::Dynamic}},
               "scales calibrated (calib.*), or computed on each tensor (forward batch) at run "
               "time"),
      int_key(CIMBA_KEY(workload.ssm_input.n_ssd_groups), closed(1, 64),
              "group: SSD groups G; head_dim must divide d_inner / G"),
      int_key(CIMBA_KEY(workload.ssm_input.n_head_groups), closed(1, 64),
              "group: head groups HG per SSD group; at most the d_inner / (G head_dim) heads"),
      int_key(CIMBA_KEY(workload.ssm_input.n_dim_groups), closed(1, 256),
              "group: dim groups DG per head group; <= head_dim"),
      int_key(CIMBA_KEY(workload.ssm_input.head_dim), closed(1, 8192),
              "group: head_dim P of the Mamba1 channel view c = (g H + h) P + d"),
      enum_key(CIMBA_KEY(workload.ssm_input.grouping),
               {{"equal_size", GroupingMode::EqualSize}, {"kmeans", GroupingMode::KMeans}},
               "group: cut the sorted heads and dims into groups of equal size or by 1-D k-means"),
      int_key(CIMBA_KEY(workload.ssm_input.value_bits), closed(2, 8),
              "dual_scale: signed value bits b (one flag bit more is stored)"),
      float_key(CIMBA_KEY(workload.ssm_input.inlier_pct), left_open(0, 100),
                "dual_scale: tau = this percentile of |u|"),
      enum_key(CIMBA_KEY(workload.ssm_input.k_round),
               {{"pow2", KRoundMode::Pow2}, {"none", KRoundMode::None}},
               "dual_scale: k = max|u| / tau rounded up to a power of two (a shift) or kept"),
      float_key(CIMBA_KEY(workload.ssm_input.fixed_k), at_least(0),
                "dual_scale: a fixed k >= 1 instead of the calibrated one; 0: calibrated"),

      int_key(CIMBA_KEY(quant.w_bits), closed(2, 8), "bits of the per-tensor symmetric weights"),
      float_key(CIMBA_KEY(quant.w_clip_pct), left_open(0, 100),
                "percentile of |W| taken as the weight range; 100: max|W|"),
      int_key(CIMBA_KEY(quant.a_bits), closed(8, 16), "bits of the symmetric activations"),
      enum_key(CIMBA_KEY(quant.a_range),
               {{"dynamic", RangeMode::Dynamic}, {"static", RangeMode::Static}},
               "activation range: max|X| per tensor at run time, or calibrated (calib.*)"),
      int_key(CIMBA_KEY(quant.slice_bits), closed(1, 16),
              "bits of each input slice fed to the array; <= quant.a_bits (equal: single pass)"),
      int_key(CIMBA_KEY(quant.overlap_bits), closed(0, 15),
              "bits shared by adjacent slices; < quant.slice_bits (0: plain two's complement "
              "digits)"),
      enum_key(CIMBA_KEY(quant.input_encoding),
               {{"twos_complement", InputEncodingMode::TwosComplement},
                {"sign_magnitude", InputEncodingMode::SignMagnitude}},
               "how the input DAC drives a slice (NUMERICS.md 2.7): two's-complement digits, or "
               "sign times the digits of |x_q| (x_q clamped to +-qmax; needs quant.overlap_bits "
               "0; ceil((a_bits - 1) / slice_bits) slices)"),
      int_key(CIMBA_KEY(quant.weight_slice_bits), closed(0, 8),
              "bits C of each weight digit column (NUMERICS.md 2.8): every column has its own "
              "ADC conversion, shift-added digitally (ISAAC / NeuroSim style); 0: the weight is "
              "one signed analog value converted once per slice and row tile; <= quant.w_bits"),
      enum_key(CIMBA_KEY(quant.weight_encoding),
               {{"twos_complement", WeightEncodingMode::TwosComplement},
                {"offset", WeightEncodingMode::Offset},
                {"differential", WeightEncodingMode::Differential}},
               "signed weights in digit columns (quant.weight_slice_bits > 0): two's-complement "
               "digits (top one signed), unsigned cells holding W + 2^(w_bits-1) with the offset "
               "removed digitally, or two unsigned arrays W+ and W- (twice the columns and "
               "conversions)"),
      CIMBA_LINEAR_TYPE_KEYS(in_proj),
      CIMBA_LINEAR_TYPE_KEYS(x_proj),
      CIMBA_LINEAR_TYPE_KEYS(dt_proj),
      CIMBA_LINEAR_TYPE_KEYS(out_proj),
      CIMBA_LINEAR_TYPE_KEYS(lm_head),

      // ---- workload.jit (JiT) ----
      string_key(CIMBA_KEY(workload.jit.model),
                 "JiT model folder (config.json + model.safetensors, e.g. jit-mnist-tiny); "
                 "required when workload.kind is jit (no model is shipped)"),
      string_key(CIMBA_KEY(workload.jit.mnist),
                 "MNIST folder with t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz "
                 "(evaluation and calibration images); required when workload.kind is jit"),
      int_key(CIMBA_KEY(workload.jit.eval.images), closed(1, 10000),
              "MNIST test images compared at every timestep"),
      int_key(CIMBA_KEY(workload.jit.eval.first_image), closed(0, 9999),
              "index of the first evaluation image"),
      string_key(CIMBA_KEY(workload.jit.eval.timesteps),
                 "comma-separated timesteps t in [0, 1] (0 noise, 1 data) of the comparisons; "
                 "the hardware block runs at the middle one"),
      int_key(CIMBA_KEY(workload.jit.sample.count), closed(0, 1024),
              "samples (classes i % num_classes) compared; 0: no sampling comparison"),
      int_key(CIMBA_KEY(workload.jit.sample.steps), closed(2, 1000),
              "sampler steps N (N - 1 Heun steps and one Euler step: 2N - 1 network calls)"),
      float_key(CIMBA_KEY(workload.jit.sample.cfg_scale), closed(0, 100),
                "classifier-free guidance scale (1: no null-class pass)"),
      bool_key(CIMBA_KEY(workload.jit.taq.enabled),
               "TaQ-DiT: per-bucket activation bits and ranges and the w3 channel shift"),
      int_key(CIMBA_KEY(workload.jit.taq.buckets), closed(1, 1000),
              "timestep buckets: K equal bins of t in [0, 1]"),
      string_key(CIMBA_KEY(workload.jit.taq.bits),
                 "comma-separated candidate activation bits, ascending (each 2..16); calibration "
                 "picks the smallest reaching target_sqnr_db per (bucket, block, linear)"),
      float_key(CIMBA_KEY(workload.jit.taq.target_sqnr_db), unbounded(),
                "fake-quantization SQNR the picked bits must reach on the calibration inputs"),
      int_key(CIMBA_KEY(workload.jit.calib_images), closed(1, 10000),
              "calibration images (MNIST test images from index 0, noised at sampled t)"),
      int_key(CIMBA_KEY(workload.jit.calib_batch), closed(1, 10000),
              "calibration images per forward pass (one observer batch)"),
      enum_key(CIMBA_KEY(workload.jit.calib_timesteps),
               {{"logit_normal", JitCalibTimestepsMode::LogitNormal},
                {"stratified", JitCalibTimestepsMode::Stratified}},
               "calibration timesteps: sigmoid(N(-0.8, 0.8)) as training, or (i + 0.5) / n"),
#define CIMBA_JIT_LINEAR_KEYS(type)                                                         \
  bool_key(                                                                                 \
      "quant.layers." #type ".quantize",                                                    \
      [](auto& config) -> auto& { return config.workload.jit.layers.type.quantize; },       \
      "jit: run the " #type " linears bit-serially on the CIM array; false: FP32"),         \
      int_key(                                                                              \
          "quant.layers." #type ".w_bits",                                                  \
          [](auto& config) -> auto& { return config.workload.jit.layers.type.w_bits; },     \
          closed(0, 8), "jit: weight bits of the " #type " linears; 0: quant.w_bits"),      \
      int_key(                                                                              \
          "quant.layers." #type ".a_bits",                                                  \
          [](auto& config) -> auto& { return config.workload.jit.layers.type.a_bits; },     \
          closed(0, 16), "jit: activation bits of the " #type " linears; 0: quant.a_bits"), \
      int_key(                                                                              \
          "quant.layers." #type ".adc_bits",                                                \
          [](auto& config) -> auto& { return config.workload.jit.layers.type.adc_bits; },   \
          closed(0, 16), "jit: ADC bits of the " #type " linears; 0: hw.cim.adc.bits")
      CIMBA_JIT_LINEAR_KEYS(qkv),
      CIMBA_JIT_LINEAR_KEYS(proj),
      CIMBA_JIT_LINEAR_KEYS(w12),
      CIMBA_JIT_LINEAR_KEYS(w3),
      CIMBA_JIT_LINEAR_KEYS(adaLN),
      CIMBA_JIT_LINEAR_KEYS(x_embed),
      CIMBA_JIT_LINEAR_KEYS(t_fc1),
      CIMBA_JIT_LINEAR_KEYS(t_fc2),
      CIMBA_JIT_LINEAR_KEYS(final_adaLN),
      CIMBA_JIT_LINEAR_KEYS(final_linear),
#undef CIMBA_JIT_LINEAR_KEYS
      // ---- end of workload.jit (JiT) ----

      int_key(CIMBA_KEY(hw.cim.adc.bits), closed(1, 16),
              "resolution of each column ADC in bits (numerics and hardware)"),
      enum_key(CIMBA_KEY(hw.cim.adc.range),
               {{"dynamic", AdcRangeMode::Dynamic},
                {"static", AdcRangeMode::Static},
                {"bypass", AdcRangeMode::Bypass}},
               "ADC full scale: max|partial sum| per tensor, calibrated, or no conversion"),
      float_key(CIMBA_KEY(hw.cim.adc.noise_lsb), at_least(0),
                "standard deviation of Gaussian analog noise before conversion, in ADC LSB"),
      float_key(CIMBA_KEY(hw.cim.adc.enob), closed(0, 16),
                "effective number of bits, modelled as extra noise; 0: ideal (enob = bits)"),
      int_key(CIMBA_KEY(hw.cim.rows_per_adc), at_least(0),
              "rows summed per conversion (row tile height) in the accuracy replay; 0: mamba "
              "hw.cim.rows (the physical array, as the hardware converts), linear the whole "
              "column (K rows); mamba: 0 or hw.cim.rows"),
      float_key(CIMBA_KEY(hw.cim.adc.conversion_ns), closed(0, 1000),
                "time of one ADC conversion, used by the timing and priced by the ADC model at "
                "that rate; 0: the model's own at hw.cim.adc.bits (survey and sar: bits + 1 "
                "cycles of a 1 GHz SAR clock, flash: 1 ns)"),
      enum_key(CIMBA_KEY(hw.cim.adc.model),
               {{"survey", cost::AdcModel::kSurvey},
                {"sar", cost::AdcModel::kNeuroSimSar},
                {"flash", cost::AdcModel::kFlash}},
               "energy and area model of one ADC: survey (CiMLoop's model of the Murmann survey, "
               "Andrulis et al. 2024, as published; >= 4 bits), sar (NeuroSim SAR with its "
               "capacitor DAC, Jia-calibrated), or flash (NeuroSim comparators) "
               "(docs/cost-models.md)"),
      int_key(CIMBA_KEY(hw.cim.rows), closed(1, 8192),
              "rows of one CIM macro = rows summed per ADC conversion on the hardware"),
      int_key(CIMBA_KEY(hw.cim.cols), closed(1, 8192),
              "cell columns of one macro; a weight takes ceil(quant.w_bits / cell_bits) of them"),
      int_key(CIMBA_KEY(hw.cim.cell_bits), closed(1, 16),
              "weight bits stored per cell; <= quant.w_bits"),
      int_key(CIMBA_KEY(hw.cim.cols_per_adc), closed(1, 8192),
              "output columns sharing one ADC through a mux (conversions in series)"),
      int_key(CIMBA_KEY(hw.cim.macros), closed(0, 1 << 20),
              "CIM macros on the chip (tiles run in parallel); 0: as many as keeping every "
              "layer's weights resident needs (hw.cim.weights resident or auto)"),
      enum_key(CIMBA_KEY(hw.cim.weights),
               {{"resident", hw::WeightPlacement::Resident},
                {"streamed", hw::WeightPlacement::Streamed},
                {"auto", hw::WeightPlacement::Auto}},
               "resident: every macro tile of every layer (block) has its own macro, programmed "
               "once (area counts them all); streamed: hw.cim.macros macros reprogrammed from "
               "DRAM for every layer in every window; auto: resident when hw.cim.macros holds "
               "the model, else streamed"),
      enum_key(CIMBA_KEY(hw.cim.dac),
               {{"auto", hw::InputDrive::Auto},
                {"bit_serial", hw::InputDrive::BitSerial},
                {"pulse_count", hw::InputDrive::PulseCount},
                {"amplitude", hw::InputDrive::Amplitude}},
               "how a quant.slice_bits input slice is driven onto the rows: bit_serial one "
               "word-line pulse (1-bit slices); pulse_count 2^b - 1 pulses (b <= 4); amplitude "
               "one level from an R-2R voltage DAC per row (b <= 8, priced and timed by its "
               "settling into the row line); auto: bit_serial for 1-bit slices, pulse_count up to 4 "
               "bits, else amplitude"),
      float_key(CIMBA_KEY(hw.cim.pulse_ns), left_open(0, 1000),
                "one word-line pulse (bit_serial, pulse_count; the shortest amplitude drive)"),
      int_key(CIMBA_KEY(hw.cim.input_cycles_per_slice), at_least(0),
              "cycles to drive one input slice onto the rows; 0: the drive's own time "
              "(hw.cim.dac), else at least that"),
      int_key(CIMBA_KEY(hw.cim.write_cycles_per_row), at_least(1),
              "cycles to program one row of cells"),
      int_key(CIMBA_KEY(hw.cim.shift_add_latency), at_least(0),
              "cycles of the digital shift-add pipeline"),
      enum_key(CIMBA_KEY(hw.cim.cell_type),
               {{"6t", cost::CimCellType::k6T},
                {"8t", cost::CimCellType::k8T},
                {"8t1c", cost::CimCellType::k8T1C}},
               "bitcell of the cost model: 6T or 8T read-port discharge, 8T1C charge domain"),

      int_key(CIMBA_KEY(hw.node_nm), closed(7, 65),
              "technology node of the cost models: 7, 16, 22, 28, 45 or 65 nm"),
      float_key(CIMBA_KEY(hw.vdd_v), closed(0.6, 1.3), "supply voltage of the cost models"),
      float_key(CIMBA_KEY(hw.clock_mhz), left_open(0, 10000),
                "clock of every unit; latency_ns = cycles x 1000 / clock_mhz"),
      int_key(CIMBA_KEY(hw.queue_depth), closed(1, 1 << 20),
              "commands waiting in a unit's input queue"),
      int_key(CIMBA_KEY(hw.token_chunk), at_least(1),
              "tokens per op of the token-parallel phase of a layer program"),
      int_key(CIMBA_KEY(hw.batch), closed(1, 4096),
              "sequences (mamba) or images (jit) in flight through every op of a layer: they "
              "share each weight load and macro program, their activation buffers and state are "
              "batch times one sequence's; latency is the batch's, energy per window / image is "
              "the batch's divided by batch, ledger counts are the batch's"),
      string_key(CIMBA_KEY(hw.trace),
                 "VCD waveform of the first layer on the hardware (busy, op, queue per unit); "
                 "empty: off"),
      enum_key(CIMBA_KEY(hw.simulate_layers),
               {{"first", SimulateLayers::First}, {"all", SimulateLayers::All}},
               "first: play layer 0 on the accelerator and count it once per layer (every Mamba "
               "layer has the same shape and the counts depend on shapes only; per-layer ADC "
               "saturation is then reported for layer 0 only); all: play every layer (the "
               "group scheme's sequential index walk always plays all)"),
      int_key(CIMBA_KEY(hw.ssm.lanes), closed(1, 1 << 20), "(d, n) state elements per cycle"),
      int_key(CIMBA_KEY(hw.ssm.exp_latency), closed(1, 1000), "cycles of the exp / softplus unit"),
      int_key(CIMBA_KEY(hw.ssm.mul_latency), closed(1, 1000), "cycles of the FP32 multiplier"),
      int_key(CIMBA_KEY(hw.ssm.add_latency), closed(1, 1000), "cycles of the FP32 adder"),
      int_key(CIMBA_KEY(hw.conv.lanes), closed(1, 1 << 20), "output elements per cycle"),
      int_key(CIMBA_KEY(hw.conv.latency), closed(1, 1000),
              "pipeline depth (taps, SiLU, quantizer)"),
      enum_key(CIMBA_KEY(hw.index.impl),
               {{"sequential", IndexImplMode::Sequential},
                {"parallel", IndexImplMode::Parallel},
                {"lut", IndexImplMode::Lut}},
               "lookup: sequential threshold walk, parallel comparators, or a lookup table"),
      int_key(CIMBA_KEY(hw.index.units), closed(1, 1 << 20), "lookup units in parallel"),
      enum_key(CIMBA_KEY(hw.index.lookups),
               {{"per_element", LookupMode::PerElement}, {"per_channel", LookupMode::PerChannel}},
               "one lookup per (token, channel), or once per channel per op"),
      int_key(CIMBA_KEY(hw.mux.lanes), closed(1, 1 << 20), "elements per cycle"),
      int_key(CIMBA_KEY(hw.mux.latency), closed(1, 1000), "cycles (unpack + multiply)"),
      int_key(CIMBA_KEY(hw.vec.lanes), closed(1, 1 << 20), "elements per cycle"),
      int_key(CIMBA_KEY(hw.vec.latency), closed(1, 1000), "pipeline depth"),
      int_key(CIMBA_KEY(hw.mac.rows), closed(1, 4096), "output rows of the systolic array"),
      int_key(CIMBA_KEY(hw.mac.cols), closed(1, 4096), "output columns of the systolic array"),
      int_key(CIMBA_KEY(hw.mac.latency), closed(1, 1000), "FP32 multiply-accumulate depth"),
      int_key(
          "hw.sram.default.bytes",
          [](auto& config) -> auto& { return config.hw.sram.default_.bytes; }, at_least(0),
          "capacity; 0: sized to what the program needs"),
      int_key(
          "hw.sram.default.width_bits",
          [](auto& config) -> auto& { return config.hw.sram.default_.width_bits; },
          closed(1, 1 << 16), "bits per access of one port"),
      int_key(
          "hw.sram.default.ports",
          [](auto& config) -> auto& { return config.hw.sram.default_.ports; }, closed(1, 64),
          "ports (accesses per cycle)"),
      int_key(
          "hw.sram.default.bank_bytes",
          [](auto& config) -> auto& { return config.hw.sram.default_.bank_bytes; }, at_least(0),
          "bytes per bank: a buffer is built of banks of this size, an access costs one bank and "
          "the route to it (32 KiB: docs/cost-models.md); 0: one bank of the whole capacity"),
      CIMBA_SRAM_KEYS(x),
      CIMBA_SRAM_KEYS(xn),
      CIMBA_SRAM_KEYS(xz),
      CIMBA_SRAM_KEYS(u),
      CIMBA_SRAM_KEYS(xp),
      CIMBA_SRAM_KEYS(delta),
      CIMBA_SRAM_KEYS(y),
      CIMBA_SRAM_KEYS(g),
      CIMBA_SRAM_KEYS(mo),
      CIMBA_SRAM_KEYS(out),
      CIMBA_SRAM_KEYS(weights),
      CIMBA_SRAM_KEYS(scale_tables),
      CIMBA_SRAM_KEYS(ssm_state),
      CIMBA_SRAM_KEYS(ssm_params),
      CIMBA_SRAM_KEYS_WITH(stream,
                           "capacity of the residual stream between layers: the stream [L, "
                           "d_model] FP32 stays on chip when it fits, else every layer's input "
                           "and output go through DRAM (reported); 0: sized to the window"),
      enum_key(CIMBA_KEY(hw.dram.preset),
               {{"ddr4_3200", DramPresetKind::Ddr4_3200},
                {"lpddr4_4266", DramPresetKind::Lpddr4_4266},
                {"hbm2", DramPresetKind::Hbm2}},
               "DRAM timing preset (bandwidth, latency; docs/hardware.md); energy per bit: "
               "lpddr4_4266 and hbm2 from models/cost/dram.hpp, ddr4_3200 has none (unpriced, "
               "left out of the energy totals)"),
      float_key(CIMBA_KEY(hw.dram.bandwidth_gbps), at_least(0),
                "peak bandwidth in GB/s; 0: the preset's"),
      float_key(CIMBA_KEY(hw.dram.latency_ns), at_least(0),
                "access latency in ns; 0: the preset's"),

      enum_key(
          CIMBA_KEY(ssm.exp_impl),
          {{"exact", ExpImplMode::Exact}, {"pwl", ExpImplMode::Pwl}, {"lut", ExpImplMode::Lut}},
          "exp and softplus of the scan: exact, piecewise-linear, or lookup table"),
      int_key(CIMBA_KEY(ssm.exp_segments), at_least(1), "pwl: equal segments per function"),
      int_key(CIMBA_KEY(ssm.lut_entries), at_least(2), "lut: equal cells per function"),

      enum_key(CIMBA_KEY(calib.observer),
               {{"absmax", ObserverKind::Absmax},
                {"percentile_ema", ObserverKind::PercentileEma},
                {"kl", ObserverKind::Kl},
                {"mse", ObserverKind::Mse}},
               "observer that turns calibration batches into a static range"),
      float_key(CIMBA_KEY(calib.percentile_alpha), left_open(0, 1),
                "quantile of |x| per batch for percentile_ema"),
      float_key(CIMBA_KEY(calib.ema_sigma), left_open(0, 1),
                "EMA step of percentile_ema: range += sigma * (batch quantile - range)"),
      int_key(CIMBA_KEY(calib.batch_rows), at_least(0),
              "rows of the calibration tensor per observer batch; 0: one batch (linear; the "
              "mamba workload observes one window per batch)"),
      string_key(CIMBA_KEY(calib.save),
                 "mamba: write the calibration (every static scale) to this safetensors file"),
      string_key(CIMBA_KEY(calib.load),
                 "mamba: read the calibration from this file (written by calib.save with the "
                 "same calibration settings) instead of calibrating"),
  };
  s.rules = {
      compare_rule("quant.slice_bits", "<=", "quant.a_bits", false),
      compare_rule("quant.overlap_bits", "<", "quant.slice_bits", false),
      sign_magnitude_rule(),
      weight_slice_rule(),
      compare_rule("hw.cim.adc.enob", "<=", "hw.cim.adc.bits", true),
      required_when("workload.linear.file", "workload.kind", "linear"),
      required_when("workload.mamba.model", "workload.kind", "mamba"),
      compare_rule("workload.ssm_input.n_dim_groups", "<=", "workload.ssm_input.head_dim", false),
      fixed_k_rule(),
      mamba_only_rule("calib.save"),
      mamba_only_rule("calib.load"),
      hardware_rule(),
      rows_per_adc_rule(),
  };
  for (const char* type : {"in_proj", "x_proj", "dt_proj", "out_proj", "lm_head"}) {
    const std::string prefix = std::string("quant.layers.") + type + ".";
    s.rules.push_back(compare_rule(prefix + "a_bits", ">=", "quant.slice_bits", true));
    s.rules.push_back(enob_rule(prefix + "adc_bits"));
  }
  return s;
}

std::string join(const std::vector<std::string>& items, const std::string& separator) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += separator;
    out += items[i];
  }
  return out;
}

std::string format_number(double value) {
  // Shortest text that reads back to the same double, with a '.' so it reads as a float.
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  std::string text(buffer, result.ptr);
  if (text.find_first_of(".eEn") == std::string::npos) text += ".0";  // 'n': inf/nan
  return text;
}

std::string format_bound(double value, ValueType type) {
  if (type == ValueType::Int) return std::to_string(static_cast<std::int64_t>(value));
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, result.ptr);
}

bool in_range(double value, const Range& range) {
  if (range.min && (range.min->inclusive ? value < range.min->value : value <= range.min->value)) {
    return false;
  }
  if (range.max && (range.max->inclusive ? value > range.max->value : value >= range.max->value)) {
    return false;
  }
  return true;
}

}  // namespace

std::string expected_text(const KeySpec& key) {
  switch (key.type) {
    case ValueType::Int:
    case ValueType::Float: {
      const std::string range = range_text(key);
      if (range == "any") return "expected " + type_name(key.type);
      const bool comparison = range.front() == '>' || range.front() == '<';
      return "expected " + type_name(key.type) + (comparison ? " " : " in ") + range;
    }
    case ValueType::Bool:
      return "expected true or false";
    case ValueType::Enum:
      return "expected one of " + range_text(key);
    case ValueType::String:
      return "expected a string";
  }
  return "";
}

// ---- Lookups --------------------------------------------------------------------------------

const Schema& config_schema() {
  static const Schema schema = build_schema();
  return schema;
}

std::string KeySpec::name() const {
  const auto dot = path.rfind('.');
  return dot == std::string::npos ? path : path.substr(dot + 1);
}

std::string KeySpec::section() const {
  const auto dot = path.rfind('.');
  return dot == std::string::npos ? std::string() : path.substr(0, dot);
}

const KeySpec* find_key(std::string_view path) {
  for (const KeySpec& key : config_schema().keys) {
    if (key.path == path) return &key;
  }
  return nullptr;
}

const SectionSpec* find_section(std::string_view path) {
  for (const SectionSpec& section : config_schema().sections) {
    if (section.path == path) return &section;
  }
  return nullptr;
}

std::vector<std::string> child_names(std::string_view section_path) {
  const std::string prefix = section_path.empty() ? "" : std::string(section_path) + ".";
  std::set<std::string> names;
  auto add_child_of = [&](const std::string& path) {
    if (path.empty() || path.compare(0, prefix.size(), prefix) != 0 ||
        path.size() == prefix.size()) {
      return;
    }
    const std::string rest = path.substr(prefix.size());
    names.insert(rest.substr(0, rest.find('.')));
  };
  for (const SectionSpec& section : config_schema().sections) add_child_of(section.path);
  for (const KeySpec& key : config_schema().keys) add_child_of(key.path);
  return {names.begin(), names.end()};
}

// ---- Values ---------------------------------------------------------------------------------

std::string type_name(ValueType type) {
  switch (type) {
    case ValueType::Int:
      return "int";
    case ValueType::Float:
      return "float";
    case ValueType::Bool:
      return "bool";
    case ValueType::String:
      return "string";
    case ValueType::Enum:
      return "enum";
  }
  return "?";
}

std::string range_text(const KeySpec& key) {
  switch (key.type) {
    case ValueType::Bool:
      return "true, false";
    case ValueType::String:
      return "any";
    case ValueType::Enum:
      return join(key.enum_values, ", ");
    case ValueType::Int:
    case ValueType::Float:
      break;
  }
  const Range& r = key.range;
  if (r.min && r.max) {
    if (key.type == ValueType::Int || (r.min->inclusive && r.max->inclusive)) {
      return format_bound(r.min->value, key.type) + ".." + format_bound(r.max->value, key.type);
    }
    return std::string(r.min->inclusive ? "[" : "(") + format_bound(r.min->value, key.type) + ", " +
           format_bound(r.max->value, key.type) + (r.max->inclusive ? "]" : ")");
  }
  if (r.min) return (r.min->inclusive ? ">= " : "> ") + format_bound(r.min->value, key.type);
  if (r.max) return (r.max->inclusive ? "<= " : "< ") + format_bound(r.max->value, key.type);
  return "any";
}

std::string format_value(const KeySpec& key, const Value& value) {
  switch (key.type) {
    case ValueType::Int:
      return std::to_string(std::get<std::int64_t>(value));
    case ValueType::Float:
      return format_number(std::get<double>(value));
    case ValueType::Bool:
      return std::get<bool>(value) ? "true" : "false";
    case ValueType::String:
    case ValueType::Enum:
      return std::get<std::string>(value);
  }
  return "";
}

std::variant<Value, std::string> parse_value(const KeySpec& key, std::string_view text) {
  if (key.type != ValueType::String) {  // "--set a.b= 4" means 4; YAML trims plain scalars itself
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  }
  const std::string quoted = "'" + std::string(text) + "'";
  switch (key.type) {
    case ValueType::String:
      return Value(std::string(text));
    case ValueType::Enum: {
      for (const std::string& name : key.enum_values) {
        if (name == text) return Value(name);
      }
      std::string reason = quoted + " is not one of " + range_text(key);
      if (auto guess = closest_match(text, key.enum_values))
        reason += "; did you mean '" + *guess + "'?";
      return reason;
    }
    case ValueType::Bool: {
      if (text == "true" || text == "True" || text == "TRUE") return Value(true);
      if (text == "false" || text == "False" || text == "FALSE") return Value(false);
      return quoted + " is not a bool (" + expected_text(key) + ")";
    }
    case ValueType::Int: {
      std::string_view digits = text;
      if (!digits.empty() && digits.front() == '+') digits.remove_prefix(1);
      std::int64_t parsed = 0;
      const auto [end, error] =
          std::from_chars(digits.data(), digits.data() + digits.size(), parsed);
      if (digits.empty() || end != digits.data() + digits.size()) {
        return quoted + " is not an integer (" + expected_text(key) + ")";
      }
      if (error == std::errc::result_out_of_range || parsed < key.storage_min ||
          parsed > key.storage_max || !in_range(static_cast<double>(parsed), key.range)) {
        return std::string(text) + " is out of range (" + expected_text(key) + ")";
      }
      return Value(parsed);
    }
    case ValueType::Float: {
      std::string_view digits = text;
      if (!digits.empty() && digits.front() == '+') digits.remove_prefix(1);
      double parsed = 0.0;
      const auto [end, error] =
          std::from_chars(digits.data(), digits.data() + digits.size(), parsed);
      if (digits.empty() || end != digits.data() + digits.size() ||
          error == std::errc::invalid_argument || !std::isfinite(parsed)) {
        return quoted + " is not a finite number (" + expected_text(key) + ")";
      }
      if (error == std::errc::result_out_of_range || !in_range(parsed, key.range)) {
        return std::string(text) + " is out of range (" + expected_text(key) + ")";
      }
      return Value(parsed);
    }
  }
  return std::string("unknown type");
}

// ---- Typos ----------------------------------------------------------------------------------

std::size_t edit_distance(std::string_view a, std::string_view b) {
  // d[i][j]: distance between the first i chars of a and the first j chars of b.
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

std::optional<std::string> closest_match(std::string_view word,
                                         const std::vector<std::string>& candidates) {
  // About one edit per four characters: "bitz" -> "bits", "nosie_lsb" -> "noise_lsb", but
  // "adc" does not match "seed".
  const std::size_t max_distance = std::max<std::size_t>(1, (word.size() + 2) / 4);
  std::optional<std::string> best;
  std::size_t best_distance = max_distance + 1;
  for (const std::string& candidate : candidates) {
    const std::size_t distance = edit_distance(word, candidate);
    if (distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best;
}

bool is_default_value(std::string_view path, const std::string& formatted) {
  const KeySpec* key = find_key(path);
  return key != nullptr && format_value(*key, key->get(RunConfig{})) == formatted;
}

}  // namespace cimba::sim::schema
