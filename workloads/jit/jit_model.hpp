#pragma once
// JiT-style pixel-space diffusion transformers (x-prediction, linear flow, adaLN-Zero, SwiGLU
// w12/w3, 2-D RoPE, RMSNorm; shared/data/jit-mnist-tiny/README.md): configuration, FP32 weights,
// loading from a model folder (config.json + model.safetensors, or shards with
// model.safetensors.index.json), saving, and a seeded random-weight generator for any shape
// (e.g. jit_b_config(): hidden 768, depth 12, 12 heads).
//
// Tensor names are the module paths of the reference export: `x_embed.{weight,bias}`,
// `t_embed.fc1/fc2.{weight,bias}`, `y_embed.weight`, `blocks.{i}.norm1.weight`,
// `blocks.{i}.attn.qkv.weight`, `blocks.{i}.attn.proj.weight`, `blocks.{i}.norm2.weight`,
// `blocks.{i}.mlp.w12.weight`, `blocks.{i}.mlp.w3.weight`, `blocks.{i}.adaLN.{weight,bias}`,
// `final.norm.weight`, `final.adaLN.{weight,bias}`, `final.linear.{weight,bias}`.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "models/numerics/types.hpp"
#include "workloads/io/safetensors.hpp"

namespace cimba::workloads {

class HfConfig;

/// The fields of a JiT config.json that the forward uses.
struct JitConfig {
  std::int64_t image_size = 32;    // S: images are [in_channels, S, S]
  std::int64_t in_channels = 1;    // C
  std::int64_t patch_size = 4;     // p: tokens of C*p*p values on an (S/p) x (S/p) grid
  std::int64_t hidden_size = 256;  // H
  std::int64_t depth = 6;          // number of blocks
  std::int64_t num_heads = 4;      // head_dim = H / num_heads
  std::int64_t ffn_hidden = 672;   // F: w12 is [2F, H] (gate | up), w3 [H, F]
  std::int64_t num_classes = 10;   // y_embed has num_classes + 1 rows; the last is the null class
  std::int64_t t_freq_dim = 256;   // sinusoidal timestep features (cos half | sin half)
  double t_scale = 1000.0;         // the timestep is multiplied by this before the sinusoids
  double rope_base = 100.0;        // RoPE angle = pos * rope_base^(-j / (head_dim / 4))
  double norm_eps = 1e-6;          // RMSNorm epsilon
  double t_eps = 0.05;             // v = (x_pred - z) / max(1 - t, t_eps)
  double pad_value = -1.0;         // value of the pixels added around a smaller dataset image

  std::int64_t grid_size() const { return image_size / patch_size; }
  std::int64_t num_patches() const { return grid_size() * grid_size(); }
  std::int64_t patch_dim() const { return in_channels * patch_size * patch_size; }
  std::int64_t head_dim() const { return hidden_size / num_heads; }
  std::int64_t image_numel() const { return in_channels * image_size * image_size; }
  std::int64_t null_class() const { return num_classes; }
  /// Number of stored parameters.
  std::int64_t param_count() const;

  bool operator==(const JitConfig& other) const;
  bool operator!=(const JitConfig& other) const { return !(*this == other); }
};

/// The shipped jit-mnist-tiny shape (the JitConfig defaults).
JitConfig jit_mnist_tiny_config();
/// A JiT-B-like shape on the same 32x32x1 images: hidden 768, depth 12, 12 heads, FFN 2048
/// (4*768*2/3 rounded to a multiple of 32).
JitConfig jit_b_config();

/// Parses a JiT config.json. Required (FormatError naming the file and the field when missing or
/// of the wrong type): image_size, in_channels, patch_size, hidden_size, depth, num_heads,
/// ffn_hidden, num_classes. Optional with the defaults above: t_freq_dim, t_scale, rope_base,
/// norm_eps, t_eps, pad_value. When present, num_patches, head_dim, null_class and param_count
/// must agree with the others. Also checked: sizes positive, patch_size divides image_size,
/// num_heads divides hidden_size, head_dim divisible by 4 (two RoPE axes of two halves),
/// t_freq_dim even, epsilons positive.
JitConfig parse_jit_config(const HfConfig& config);
/// Reads `config.json`. Throws IoError or FormatError.
JitConfig read_jit_config(const std::filesystem::path& config_json);
/// The config.json text for this configuration (every field parse_jit_config reads, plus the
/// derived ones the reference export writes).
std::string jit_config_json(const JitConfig& config);

/// Weights of one block (`blocks.{i}`), FP32, row-major as stored ([out, in]).
struct JitBlockWeights {
  numerics::VectorF norm1;         // [H]
  numerics::MatrixF qkv;           // [3H, H]  rows q | k | v, no bias
  numerics::MatrixF proj;          // [H, H]   no bias
  numerics::VectorF norm2;         // [H]
  numerics::MatrixF w12;           // [2F, H]  rows gate | up, no bias
  numerics::MatrixF w3;            // [H, F]   no bias
  numerics::MatrixF adaLN_weight;  // [6H, H]  -> shift1 | scale1 | gate1 | shift2 | scale2 | gate2
  numerics::VectorF adaLN_bias;    // [6H]
};

/// A whole JiT denoiser in FP32.
struct JitModel {
  JitConfig config;
  numerics::MatrixF x_embed_weight;  // [H, C p p]
  numerics::VectorF x_embed_bias;    // [H]
  numerics::MatrixF t_fc1_weight;    // [H, t_freq_dim]
  numerics::VectorF t_fc1_bias;      // [H]
  numerics::MatrixF t_fc2_weight;    // [H, H]
  numerics::VectorF t_fc2_bias;      // [H]
  numerics::MatrixF y_embed;         // [num_classes + 1, H]
  std::vector<JitBlockWeights> blocks;
  numerics::VectorF final_norm;           // [H]
  numerics::MatrixF final_adaLN_weight;   // [2H, H]  -> shift | scale
  numerics::VectorF final_adaLN_bias;     // [2H]
  numerics::MatrixF final_linear_weight;  // [C p p, H]
  numerics::VectorF final_linear_bias;    // [C p p]
};

/// A model of this configuration with every tensor allocated (zero-filled). Throws
/// InvalidArgument for an inconsistent configuration (the checks of parse_jit_config).
JitModel make_empty_jit(const JitConfig& config);

/// Throws InvalidArgument naming the first violated constraint of parse_jit_config.
void check_jit_config(const JitConfig& config);

/// Calls `visit(name, shape, data)` for every stored tensor in file order; `data` holds
/// numel(shape) floats, row-major.
void for_each_jit_tensor(
    const JitModel& model,
    const std::function<void(const std::string& name, const std::vector<std::int64_t>& shape,
                             const float* data)>& visit);

/// Loads config.json and the weights of a model folder. F32, F16, BF16 (and F64) tensors are
/// converted to FP32. Throws FormatError naming the tensor for unknown tensors (all listed),
/// missing tensors (all listed), a shape mismatch (expected and found shapes) or a non-float
/// dtype; IoError for unreadable files.
JitModel load_jit(const std::filesystem::path& model_dir);

struct JitSaveOptions {
  DType dtype = DType::F32;  // F32, F16 or BF16 (round to nearest even)
};

/// Writes config.json and model.safetensors into `model_dir` (created if needed). Throws IoError
/// or InvalidArgument (unsupported dtype, tensors not of the config's shapes).
void save_jit(const JitModel& model, const std::filesystem::path& model_dir,
              const JitSaveOptions& options = {});

/// Options of the random-weight generator. Unlike adaLN-Zero training init (which makes every
/// block the identity), every tensor is random so that every path carries signal.
struct JitRandomOptions {
  std::uint64_t seed = 0;
  double weight_gain = 1.0;  // linear weights ~ N(0, weight_gain^2 / fan_in)
  double bias_std = 0.02;    // biases ~ N(0, bias_std^2)
  double embed_std = 1.0;    // y_embed ~ N(0, embed_std^2)
  /// Values are rounded to this storage precision (F32, F16, BF16) so that a model saved in it
  /// loads back bit-identical to the generated one.
  DType storage = DType::F32;
};

/// A random-weight model, deterministic from the seed (cimba's counter-based normal_at, one
/// stream per tensor). RMSNorm weights are 1.
JitModel make_random_jit(const JitConfig& config, const JitRandomOptions& options = {});

/// make_random_jit (with `options.storage` set to `save.dtype`) then save_jit: a random model
/// folder that load_jit reads back bit-identical to the returned model.
JitModel write_random_jit(const std::filesystem::path& model_dir, const JitConfig& config,
                          JitRandomOptions options = {}, const JitSaveOptions& save = {});

}  // namespace cimba::workloads
