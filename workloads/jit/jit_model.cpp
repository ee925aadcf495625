#include "workloads/jit/jit_model.hpp"

#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <type_traits>

#include "models/common/error.hpp"
#include "models/numerics/rng.hpp"
#include "workloads/io/hf_config.hpp"

namespace cimba::workloads {

using numerics::MatrixF;
using numerics::VectorF;

namespace {

std::int64_t numel(const std::vector<std::int64_t>& shape) {
  std::int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

// Visits every stored tensor of a (const or mutable) model with its name, shape, the Eigen
// object holding it and its fan-in (0 for norms, biases and embeddings).
template <typename Model, typename F>
void visit_tensors(Model& m, F&& f) {
  const JitConfig& c = m.config;
  const std::int64_t H = c.hidden_size, F2 = 2 * c.ffn_hidden, Fh = c.ffn_hidden, P = c.patch_dim(),
                     T = c.t_freq_dim;
  using Shape = std::vector<std::int64_t>;
  f("x_embed.weight", Shape{H, P}, m.x_embed_weight);
  f("x_embed.bias", Shape{H}, m.x_embed_bias);
  f("t_embed.fc1.weight", Shape{H, T}, m.t_fc1_weight);
  f("t_embed.fc1.bias", Shape{H}, m.t_fc1_bias);
  f("t_embed.fc2.weight", Shape{H, H}, m.t_fc2_weight);
  f("t_embed.fc2.bias", Shape{H}, m.t_fc2_bias);
  f("y_embed.weight", Shape{c.num_classes + 1, H}, m.y_embed);
  for (std::size_t i = 0; i < m.blocks.size(); ++i) {
    auto& b = m.blocks[i];
    const std::string p = "blocks." + std::to_string(i) + ".";
    f(p + "norm1.weight", Shape{H}, b.norm1);
    f(p + "attn.qkv.weight", Shape{3 * H, H}, b.qkv);
    f(p + "attn.proj.weight", Shape{H, H}, b.proj);
    f(p + "norm2.weight", Shape{H}, b.norm2);
    f(p + "mlp.w12.weight", Shape{F2, H}, b.w12);
    f(p + "mlp.w3.weight", Shape{H, Fh}, b.w3);
    f(p + "adaLN.weight", Shape{6 * H, H}, b.adaLN_weight);
    f(p + "adaLN.bias", Shape{6 * H}, b.adaLN_bias);
  }
  f("final.norm.weight", Shape{H}, m.final_norm);
  f("final.adaLN.weight", Shape{2 * H, H}, m.final_adaLN_weight);
  f("final.adaLN.bias", Shape{2 * H}, m.final_adaLN_bias);
  f("final.linear.weight", Shape{P, H}, m.final_linear_weight);
  f("final.linear.bias", Shape{P}, m.final_linear_bias);
}

bool ends_with(const std::string& s, const char* suffix) {
  const std::size_t k = std::strlen(suffix);
  return s.size() >= k && s.compare(s.size() - k, k, suffix) == 0;
}

// The first violated constraint, or "" when the configuration is consistent.
std::string config_problem(const JitConfig& c) {
  const std::pair<const char*, std::int64_t> sizes[] = {
      {"image_size", c.image_size}, {"in_channels", c.in_channels},
      {"patch_size", c.patch_size}, {"hidden_size", c.hidden_size},
      {"depth", c.depth},           {"num_heads", c.num_heads},
      {"ffn_hidden", c.ffn_hidden}, {"num_classes", c.num_classes},
      {"t_freq_dim", c.t_freq_dim}};
  for (const auto& [field, value] : sizes)
    if (value <= 0)
      return std::string("field '") + field + "' must be positive (found " + std::to_string(value) +
             ")";
  // Bounded before any product of sizes is formed in int64 (param_count, patch_dim...).
  for (const auto& [field, value] : sizes)
    if (value > kMaxModelDimension)
      return std::string("field '") + field + "' must be at most " +
             std::to_string(kMaxModelDimension) + " (found " + std::to_string(value) + ")";
  const double H = static_cast<double>(c.hidden_size), F = static_cast<double>(c.ffn_hidden),
               C = static_cast<double>(c.in_channels), p = static_cast<double>(c.patch_size),
               S = static_cast<double>(c.image_size), P = C * p * p;
  const double per_block = 2 * H + 3 * H * H + H * H + 2 * F * H + H * F + 6 * H * H + 6 * H;
  const double parameters = H * P + H + H * static_cast<double>(c.t_freq_dim) + H + H * H + H +
                            (static_cast<double>(c.num_classes) + 1) * H +
                            static_cast<double>(c.depth) * per_block + H + 2 * H * H + 2 * H +
                            P * H + P;
  if (parameters > kMaxModelParameters || C * S * S > kMaxModelParameters)
    return "the sizes describe more than 2^40 weights or image values";
  if (c.image_size % c.patch_size != 0)
    return "field 'patch_size' (" + std::to_string(c.patch_size) + ") must divide 'image_size' (" +
           std::to_string(c.image_size) + ")";
  if (c.hidden_size % c.num_heads != 0)
    return "field 'num_heads' (" + std::to_string(c.num_heads) + ") must divide 'hidden_size' (" +
           std::to_string(c.hidden_size) + ")";
  if (c.head_dim() % 4 != 0)
    return "head_dim = hidden_size / num_heads = " + std::to_string(c.head_dim()) +
           " must be a multiple of 4 (2-D RoPE: two axes of two halves)";
  if (c.t_freq_dim % 2 != 0)
    return "field 't_freq_dim' must be even (found " + std::to_string(c.t_freq_dim) + ")";
  if (!(c.norm_eps > 0.0)) return "field 'norm_eps' must be positive";
  if (!(c.t_eps > 0.0)) return "field 't_eps' must be positive";
  if (!(c.rope_base > 0.0)) return "field 'rope_base' must be positive";
  if (!std::isfinite(c.t_scale)) return "field 't_scale' must be finite";
  return "";
}

}  // namespace

std::int64_t JitConfig::param_count() const {
  const std::int64_t H = hidden_size, P = patch_dim(), F = ffn_hidden;
  const std::int64_t per_block = 2 * H + 3 * H * H + H * H + 2 * F * H + H * F + 6 * H * H + 6 * H;
  return H * P + H + H * t_freq_dim + H + H * H + H + (num_classes + 1) * H + depth * per_block +
         H + 2 * H * H + 2 * H + P * H + P;
}

bool JitConfig::operator==(const JitConfig& o) const {
  return image_size == o.image_size && in_channels == o.in_channels && patch_size == o.patch_size &&
         hidden_size == o.hidden_size && depth == o.depth && num_heads == o.num_heads &&
         ffn_hidden == o.ffn_hidden && num_classes == o.num_classes && t_freq_dim == o.t_freq_dim &&
         t_scale == o.t_scale && rope_base == o.rope_base && norm_eps == o.norm_eps &&
         t_eps == o.t_eps && pad_value == o.pad_value;
}

JitConfig jit_mnist_tiny_config() { return JitConfig{}; }

JitConfig jit_b_config() {
  JitConfig c;
  c.hidden_size = 768;
  c.depth = 12;
  c.num_heads = 12;
  c.ffn_hidden = 2048;  // 4 * 768 * 2 / 3 = 2048 exactly
  return c;
}

void check_jit_config(const JitConfig& config) {
  const std::string problem = config_problem(config);
  if (!problem.empty()) throw InvalidArgument("JiT config: " + problem);
}

JitConfig parse_jit_config(const HfConfig& hf) {
  const std::string& origin = hf.origin();
  JitConfig c;
  c.image_size = hf.get_int("image_size");
  c.in_channels = hf.get_int("in_channels");
  c.patch_size = hf.get_int("patch_size");
  c.hidden_size = hf.get_int("hidden_size");
  c.depth = hf.get_int("depth");
  c.num_heads = hf.get_int("num_heads");
  c.ffn_hidden = hf.get_int("ffn_hidden");
  c.num_classes = hf.get_int("num_classes");
  c.t_freq_dim = hf.get_int("t_freq_dim", c.t_freq_dim);
  c.t_scale = hf.get_double("t_scale", c.t_scale);
  c.rope_base = hf.get_double("rope_base", c.rope_base);
  c.norm_eps = hf.get_double("norm_eps", c.norm_eps);
  c.t_eps = hf.get_double("t_eps", c.t_eps);
  c.pad_value = hf.get_double("pad_value", c.pad_value);
  const std::string problem = config_problem(c);
  if (!problem.empty()) throw FormatError(origin + ": " + problem);
  const std::pair<const char*, std::int64_t> derived[] = {{"num_patches", c.num_patches()},
                                                          {"head_dim", c.head_dim()},
                                                          {"null_class", c.null_class()},
                                                          {"param_count", c.param_count()}};
  for (const auto& [field, expected] : derived)
    if (hf.has(field) && hf.get_int(field) != expected)
      throw FormatError(origin + ": field '" + field + "' is " + std::to_string(hf.get_int(field)) +
                        " but the other fields give " + std::to_string(expected));
  return c;
}

JitConfig read_jit_config(const std::filesystem::path& config_json) {
  return parse_jit_config(HfConfig::read(config_json));
}

std::string jit_config_json(const JitConfig& c) {
  nlohmann::ordered_json j;
  j["image_size"] = c.image_size;
  j["in_channels"] = c.in_channels;
  j["patch_size"] = c.patch_size;
  j["num_patches"] = c.num_patches();
  j["hidden_size"] = c.hidden_size;
  j["depth"] = c.depth;
  j["num_heads"] = c.num_heads;
  j["head_dim"] = c.head_dim();
  j["ffn_hidden"] = c.ffn_hidden;
  j["num_classes"] = c.num_classes;
  j["null_class"] = c.null_class();
  j["t_freq_dim"] = c.t_freq_dim;
  j["t_scale"] = c.t_scale;
  j["rope_base"] = c.rope_base;
  j["norm_eps"] = c.norm_eps;
  j["t_eps"] = c.t_eps;
  j["pad_value"] = c.pad_value;
  j["architecture"] =
      "JiT-style DiT (x-prediction, linear flow, adaLN-Zero, SwiGLU w12/w3, 2-D RoPE, RMSNorm)";
  j["param_count"] = c.param_count();
  return j.dump(1) + "\n";
}

JitModel make_empty_jit(const JitConfig& config) {
  check_jit_config(config);
  JitModel m;
  m.config = config;
  m.blocks.resize(static_cast<std::size_t>(config.depth));
  visit_tensors(m, [](const std::string&, const std::vector<std::int64_t>& shape, auto& t) {
    using T = std::decay_t<decltype(t)>;
    if constexpr (std::is_same_v<T, MatrixF>) {
      t = MatrixF::Zero(shape[0], numel(shape) / shape[0]);
    } else {
      t = VectorF::Zero(shape[0]);
    }
  });
  return m;
}

void for_each_jit_tensor(
    const JitModel& model,
    const std::function<void(const std::string&, const std::vector<std::int64_t>&, const float*)>&
        visit) {
  if (model.blocks.size() != static_cast<std::size_t>(model.config.depth))
    throw InvalidArgument("JiT model has " + std::to_string(model.blocks.size()) +
                          " blocks, config says " + std::to_string(model.config.depth));
  visit_tensors(
      model, [&](const std::string& name, const std::vector<std::int64_t>& shape, const auto& t) {
        if (t.size() != numel(shape))
          throw InvalidArgument("JiT model tensor '" + name + "' has " + std::to_string(t.size()) +
                                " values, expected " + shape_string(shape));
        visit(name, shape, t.data());
      });
}

JitModel load_jit(const std::filesystem::path& model_dir) {
  const auto config_path = model_dir / "config.json";
  const JitConfig config = read_jit_config(config_path);
  check_weights_can_hold(
      model_dir, config_path, static_cast<double>(config.param_count()),
      "image_size " + std::to_string(config.image_size) + ", in_channels " +
          std::to_string(config.in_channels) + ", patch_size " + std::to_string(config.patch_size) +
          ", hidden_size " + std::to_string(config.hidden_size) + ", depth " +
          std::to_string(config.depth) + ", ffn_hidden " + std::to_string(config.ffn_hidden) +
          ", num_classes " + std::to_string(config.num_classes) + ", t_freq_dim " +
          std::to_string(config.t_freq_dim));
  JitModel m = make_empty_jit(config);
  std::vector<WeightSlot> slots;
  visit_tensors(m, [&](const std::string& name, const std::vector<std::int64_t>& shape, auto& t) {
    slots.push_back({name, shape, t.data()});
  });
  load_hf_weights(model_dir, slots, config_path,
                  "for a JiT model of " + std::to_string(m.config.depth) + " blocks");
  return m;
}

void save_jit(const JitModel& model, const std::filesystem::path& model_dir,
              const JitSaveOptions& options) {
  check_jit_config(model.config);
  std::vector<Tensor> tensors;
  for_each_jit_tensor(model, [&](const std::string& name, const std::vector<std::int64_t>& shape,
                                 const float* data) {
    tensors.push_back(encode_tensor(name, shape, data, options.dtype));
  });
  std::error_code ec;
  std::filesystem::create_directories(model_dir, ec);
  if (ec) throw IoError(model_dir.string() + ": cannot create directory: " + ec.message());
  {
    std::ofstream out(model_dir / "config.json", std::ios::binary | std::ios::trunc);
    out << jit_config_json(model.config);
    if (!out) throw IoError((model_dir / "config.json").string() + ": write error");
  }
  write_safetensors(model_dir / "model.safetensors", tensors,
                    {{"format", "pt"}, {"dtype", dtype_name(options.dtype)}});
}

JitModel make_random_jit(const JitConfig& config, const JitRandomOptions& options) {
  if (!(options.weight_gain >= 0.0 && options.bias_std >= 0.0 && options.embed_std >= 0.0))
    throw InvalidArgument("JiT random weights: weight_gain, bias_std and embed_std must be >= 0");
  JitModel m = make_empty_jit(config);
  std::uint64_t tensor_index = 0;
  std::vector<float> values;
  visit_tensors(m, [&](const std::string& name, const std::vector<std::int64_t>& shape, auto& t) {
    const auto n = static_cast<std::size_t>(t.size());
    const std::uint64_t key =
        numerics::stream_key(options.seed, 0x4a6954 /* "JiT" */, tensor_index++);
    double std_dev = 0.0;
    if (ends_with(name, "norm1.weight") || ends_with(name, "norm2.weight") ||
        ends_with(name, "norm.weight")) {
      values.assign(n, 1.0f);
    } else {
      if (name == "y_embed.weight")
        std_dev = options.embed_std;
      else if (shape.size() == 1)
        std_dev = options.bias_std;
      else
        std_dev = options.weight_gain / std::sqrt(static_cast<double>(shape[1]));
      values.resize(n);
      for (std::size_t i = 0; i < n; ++i)
        values[i] = static_cast<float>(std_dev * numerics::normal_at(key, i));
    }
    round_to_storage(values, options.storage);
    std::memcpy(t.data(), values.data(), n * sizeof(float));
  });
  return m;
}

JitModel write_random_jit(const std::filesystem::path& model_dir, const JitConfig& config,
                          JitRandomOptions options, const JitSaveOptions& save) {
  options.storage = save.dtype;
  JitModel model = make_random_jit(config, options);
  save_jit(model, model_dir, save);
  return model;
}

}  // namespace cimba::workloads
