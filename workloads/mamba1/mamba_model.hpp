#pragma once
// Mamba1 language models in the Hugging Face `transformers` format (MambaForCausalLM):
// configuration, FP32 weights, loading from a model folder (config.json + model.safetensors or
// sharded model-0000i-of-0000n.safetensors with model.safetensors.index.json), saving, and a
// seeded random-weight generator. Tensor names follow transformers: `backbone.embeddings.weight`,
// `backbone.layers.{i}.norm.weight`, `backbone.layers.{i}.mixer.{in_proj,conv1d,x_proj,dt_proj,
// out_proj}.{weight,bias}`, `backbone.layers.{i}.mixer.{A_log,D}`, `backbone.norm_f.weight` and
// `lm_head.weight` (absent when the embeddings are tied), so a downloaded
// state-spaces/mamba-130m-hf folder loads as is.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "models/numerics/types.hpp"
#include "workloads/io/safetensors.hpp"

namespace cimba::workloads {

class HfConfig;

/// The fields of transformers' MambaConfig that the forward uses.
struct MambaConfig {
  std::int64_t hidden_size = 768;         // d_model H
  std::int64_t intermediate_size = 1536;  // d_inner Di
  std::int64_t state_size = 16;           // N
  std::int64_t time_step_rank = 48;       // R (rank of dt)
  std::int64_t conv_kernel = 4;           // K
  std::int64_t num_hidden_layers = 24;
  std::int64_t vocab_size = 50280;
  bool use_bias = false;         // in_proj / out_proj biases
  bool use_conv_bias = true;     // conv1d bias
  bool residual_in_fp32 = true;  // the reference keeps everything in FP32 either way
  double layer_norm_epsilon = 1e-5;
  bool tie_word_embeddings = true;
  /// An init-time flag of transformers that changes loaded weights there (see MambaLoadOptions).
  bool rescale_prenorm_residual = false;

  /// Output width of x_proj: R + 2N (dt_low | B | C).
  std::int64_t x_proj_size() const { return time_step_rank + 2 * state_size; }
  bool operator==(const MambaConfig& other) const;
  bool operator!=(const MambaConfig& other) const { return !(*this == other); }
};

/// state-spaces/mamba-130m-hf: 24 layers, H 768, Di 1536, N 16, R 48, K 4, vocab 50280.
MambaConfig mamba_130m_config();

/// Parses a transformers MambaConfig. Required (FormatError naming the file and the field when
/// missing or of the wrong type): hidden_size, state_size, num_hidden_layers (or n_layer),
/// vocab_size, conv_kernel, time_step_rank (an integer or "auto" = ceil(hidden_size / 16)).
/// intermediate_size defaults to expand (default 2) x hidden_size. Optional with transformers'
/// defaults: use_bias false, use_conv_bias true, residual_in_fp32 true, layer_norm_epsilon 1e-5,
/// tie_word_embeddings true, rescale_prenorm_residual false. `model_type` (when present) must be
/// "mamba" and `hidden_act` "silu". Sizes must be in [1, kMaxModelDimension], the weights at
/// most kMaxModelParameters, and the epsilon > 0.
MambaConfig parse_mamba_config(const HfConfig& config);
/// Reads `config.json`. Throws IoError or FormatError.
MambaConfig read_mamba_config(const std::filesystem::path& config_json);

/// Number of stored weights of a model of this configuration (an lm_head only when untied), in
/// double so that it is defined for any sizes.
double mamba_parameter_count(const MambaConfig& config);
/// The config.json text transformers writes for this configuration (MambaForCausalLM).
std::string mamba_config_json(const MambaConfig& config);

/// Weights of one block (`backbone.layers.{i}`), FP32, row-major as stored.
struct MambaLayerWeights {
  numerics::VectorF norm;             // [H]           norm.weight
  numerics::MatrixF in_proj_weight;   // [2 Di, H]     rows 0..Di-1 -> x, Di..2Di-1 -> z
  numerics::VectorF in_proj_bias;     // [2 Di], empty unless use_bias
  numerics::MatrixF conv1d_weight;    // [Di, K]       conv1d.weight [Di, 1, K]
  numerics::VectorF conv1d_bias;      // [Di], empty unless use_conv_bias
  numerics::MatrixF x_proj_weight;    // [R + 2N, Di]  rows: dt_low | B | C (no bias)
  numerics::MatrixF dt_proj_weight;   // [Di, R]
  numerics::VectorF dt_proj_bias;     // [Di]          (always present)
  numerics::MatrixF A_log;            // [Di, N]
  numerics::VectorF D;                // [Di]
  numerics::MatrixF out_proj_weight;  // [H, Di]
  numerics::VectorF out_proj_bias;    // [H], empty unless use_bias
};

/// A whole MambaForCausalLM in FP32.
struct MambaModel {
  MambaConfig config;
  numerics::MatrixF embeddings;  // [V, H]  backbone.embeddings.weight
  std::vector<MambaLayerWeights> layers;
  numerics::VectorF norm_f;   // [H]     backbone.norm_f.weight
  numerics::MatrixF lm_head;  // [V, H]  lm_head.weight; empty when tie_word_embeddings

  /// The output projection: the embeddings when tied, lm_head otherwise.
  const numerics::MatrixF& lm_head_weight() const {
    return config.tie_word_embeddings ? embeddings : lm_head;
  }
};

/// A model of this configuration with every tensor allocated (zero-filled). Throws
/// InvalidArgument for non-positive sizes.
MambaModel make_empty_mamba(const MambaConfig& config);

/// Calls `visit(hf_name, hf_shape, data)` for every stored tensor in file order (embeddings,
/// layers 0.., norm_f, lm_head when untied). `data` holds numel(hf_shape) floats, row-major.
void for_each_mamba_tensor(
    const MambaModel& model,
    const std::function<void(const std::string& name, const std::vector<std::int64_t>& shape,
                             const float* data)>& visit);

/// How load_mamba turns stored weights into the model it returns.
struct MambaLoadOptions {
  /// transformers 5.x (5.17.0 made the shared golden) re-runs MambaPreTrainedModel._init_weights
  /// on the loaded model, and its `rescale_prenorm_residual` branch does an unguarded
  /// `out_proj.weight /= sqrt(num_hidden_layers)`: with that flag set in config.json, the model
  /// transformers evaluates has every out_proj weight divided by sqrt(num_hidden_layers)
  /// (mamba-bytes-4l: exactly 1/2 on every layer; its golden activations and its 1.5508
  /// nats/byte are of that model, while the stored weights as trained give 1.5498). true:
  /// reproduce transformers (the reference the goldens come from); false: weights as stored.
  /// No effect when the flag is false (e.g. state-spaces/mamba-130m-hf).
  bool transformers_out_proj_rescale = true;
};

/// Loads config.json and the weights of a transformers model folder. F32, F16, BF16 (and F64)
/// tensors are converted to FP32. Throws FormatError naming the tensor for an unknown tensor,
/// a missing tensor, a shape mismatch (expected and found shapes) or a non-float dtype.
/// `lm_head.weight` is optional when the embeddings are tied (and then unused, as in
/// transformers); required when they are not.
MambaModel load_mamba(const std::filesystem::path& model_dir, const MambaLoadOptions& options = {});

/// How save_mamba stores the weights.
struct MambaSaveOptions {
  DType dtype = DType::F32;  // F32, F16 or BF16 (round to nearest even)
  /// 0: one `model.safetensors`. Otherwise shards of at most this many bytes of tensor data
  /// (a larger tensor gets a shard of its own), `model-0000i-of-0000n.safetensors`, plus
  /// `model.safetensors.index.json`, as transformers' save_pretrained(max_shard_size=...).
  std::int64_t max_shard_bytes = 0;
};

/// Writes config.json and the weights into `model_dir` (created if needed), as they are in
/// memory: a model loaded with transformers_out_proj_rescale from a folder whose config sets
/// rescale_prenorm_residual is written with the rescaled out_proj (and the flag). Throws IoError or
/// InvalidArgument (unsupported dtype, model tensors not of the config's shapes).
void save_mamba(const MambaModel& model, const std::filesystem::path& model_dir,
                const MambaSaveOptions& options = {});

/// Options of the random-weight generator.
struct MambaRandomOptions {
  std::uint64_t seed = 0;
  float init_std = 0.02f;               // weights, embeddings and biases ~ N(0, init_std)
  double dt_min = 0.001, dt_max = 0.1;  // softplus(dt_proj.bias) log-uniform in [dt_min, dt_max]
  /// Values are rounded to this storage precision (F32, F16, BF16) so that a model saved in it
  /// loads back bit-identical to the generated one.
  DType storage = DType::F32;
};

/// A random-weight model, deterministic from the seed (own Box-Muller over std::mt19937_64, no
/// implementation-defined distributions): embeddings, in_proj/x_proj/dt_proj/out_proj weights,
/// conv1d weights and the optional in_proj/out_proj/conv1d biases ~ N(0, init_std); norms = 1;
/// A_log[d, n] = log(n + 1); D = 1; dt_proj.bias = softplus^-1(dt) with dt log-uniform in
/// [dt_min, dt_max] (transformers' init).
MambaModel make_random_mamba(const MambaConfig& config, const MambaRandomOptions& options = {});

/// make_random_mamba (with `options.storage` set to `save.dtype`) then save_mamba: a random
/// model folder that load_mamba reads back bit-identical to the returned model.
MambaModel write_random_mamba(const std::filesystem::path& model_dir, const MambaConfig& config,
                              MambaRandomOptions options = {}, const MambaSaveOptions& save = {});

/// Rounds values in place to what `dtype` stores (F32: unchanged) and back to FP32.

}  // namespace cimba::workloads
