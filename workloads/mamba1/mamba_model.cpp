#include "workloads/mamba1/mamba_model.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>
#include <type_traits>

#include "models/common/error.hpp"
#include "workloads/io/hf_config.hpp"

namespace cimba::workloads {

using numerics::MatrixF;
using numerics::VectorF;

bool MambaConfig::operator==(const MambaConfig& o) const {
  return hidden_size == o.hidden_size && intermediate_size == o.intermediate_size &&
         state_size == o.state_size && time_step_rank == o.time_step_rank &&
         conv_kernel == o.conv_kernel && num_hidden_layers == o.num_hidden_layers &&
         vocab_size == o.vocab_size && use_bias == o.use_bias && use_conv_bias == o.use_conv_bias &&
         residual_in_fp32 == o.residual_in_fp32 && layer_norm_epsilon == o.layer_norm_epsilon &&
         tie_word_embeddings == o.tie_word_embeddings &&
         rescale_prenorm_residual == o.rescale_prenorm_residual;
}

MambaConfig mamba_130m_config() {
  MambaConfig c;  // the defaults are mamba-130m's
  return c;
}

double mamba_parameter_count(const MambaConfig& c) {
  const double H = static_cast<double>(c.hidden_size),
               Di = static_cast<double>(c.intermediate_size), N = static_cast<double>(c.state_size),
               R = static_cast<double>(c.time_step_rank), K = static_cast<double>(c.conv_kernel),
               V = static_cast<double>(c.vocab_size), L = static_cast<double>(c.num_hidden_layers);
  const double per_layer = H + 2 * Di * H + (c.use_bias ? 2 * Di + H : 0) + Di * K +
                           (c.use_conv_bias ? Di : 0) + (R + 2 * N) * Di + Di * R + Di + Di * N +
                           Di + H * Di;
  return V * H * (c.tie_word_embeddings ? 1 : 2) + L * per_layer + H;
}

namespace {
// "hidden_size 768, intermediate_size 1536, ..." for messages about the sizes as a whole.
std::string mamba_sizes_text(const MambaConfig& c) {
  return "hidden_size " + std::to_string(c.hidden_size) + ", intermediate_size " +
         std::to_string(c.intermediate_size) + ", state_size " + std::to_string(c.state_size) +
         ", time_step_rank " + std::to_string(c.time_step_rank) + ", conv_kernel " +
         std::to_string(c.conv_kernel) + ", num_hidden_layers " +
         std::to_string(c.num_hidden_layers) + ", vocab_size " + std::to_string(c.vocab_size);
}
}  // namespace

MambaConfig parse_mamba_config(const HfConfig& hf) {
  const std::string& origin = hf.origin();
  if (hf.has("model_type") && hf.get_string("model_type") != "mamba")
    throw FormatError(origin + ": field 'model_type' is '" + hf.get_string("model_type") +
                      "'; only Mamba1 models (\"mamba\") are supported");
  if (hf.has("hidden_act") && hf.get_string("hidden_act") != "silu")
    throw FormatError(origin + ": field 'hidden_act' is '" + hf.get_string("hidden_act") +
                      "'; only \"silu\" is supported");
  // Sizes are checked as they are read, against [1, kMaxModelDimension], so that a message names
  // the field the file has and no product of sizes below overflows.
  const std::string max_text = std::to_string(kMaxModelDimension);
  const auto size_field = [&](const char* field) {
    const std::int64_t value = hf.get_int(field);
    if (value <= 0 || value > kMaxModelDimension)
      throw FormatError(origin + ": field '" + field + "' must be positive and at most " +
                        max_text + " (found " + std::to_string(value) + ")");
    return value;
  };
  MambaConfig c;
  c.hidden_size = size_field("hidden_size");
  c.state_size = size_field("state_size");
  c.num_hidden_layers = hf.has("num_hidden_layers") || !hf.has("n_layer")
                            ? size_field("num_hidden_layers")
                            : size_field("n_layer");
  c.vocab_size = size_field("vocab_size");
  c.conv_kernel = size_field("conv_kernel");
  if (hf.is_string("time_step_rank")) {
    if (hf.get_string("time_step_rank") != "auto")
      throw FormatError(origin +
                        ": field 'time_step_rank' must be an integer or \"auto\" (found \"" +
                        hf.get_string("time_step_rank") + "\")");
    c.time_step_rank = (c.hidden_size + 15) / 16;
  } else {
    c.time_step_rank = size_field("time_step_rank");
  }
  if (hf.has("intermediate_size")) {
    c.intermediate_size = size_field("intermediate_size");
  } else {
    // transformers: intermediate_size = int(expand * hidden_size). The product is checked in
    // double before the cast (a float -> int conversion out of range is undefined behaviour),
    // and the message names 'expand', the field in the file.
    const double expand = hf.get_double("expand", 2.0);
    const double intermediate = expand * static_cast<double>(c.hidden_size);
    if (!(intermediate >= 1.0 && intermediate < static_cast<double>(kMaxModelDimension) + 1.0)) {
      throw FormatError(origin + ": field 'expand' (" + nlohmann::json(expand).dump() +
                        ") times 'hidden_size' (" + std::to_string(c.hidden_size) +
                        ") must give an intermediate size from 1 to " + max_text);
    }
    c.intermediate_size = static_cast<std::int64_t>(intermediate);
  }
  c.use_bias = hf.get_bool("use_bias", false);
  c.use_conv_bias = hf.get_bool("use_conv_bias", true);
  c.residual_in_fp32 = hf.get_bool("residual_in_fp32", true);
  c.layer_norm_epsilon = hf.get_double("layer_norm_epsilon", 1e-5);
  c.tie_word_embeddings = hf.get_bool("tie_word_embeddings", true);
  c.rescale_prenorm_residual = hf.get_bool("rescale_prenorm_residual", false);

  if (mamba_parameter_count(c) > kMaxModelParameters)
    throw FormatError(origin + ": the sizes describe " + mamba_sizes_text(c) +
                      ", more than 2^40 weights");
  if (!(c.layer_norm_epsilon > 0.0))
    throw FormatError(origin + ": field 'layer_norm_epsilon' must be positive");
  return c;
}

MambaConfig read_mamba_config(const std::filesystem::path& config_json) {
  return parse_mamba_config(HfConfig::read(config_json));
}

std::string mamba_config_json(const MambaConfig& c) {
  nlohmann::ordered_json j;
  j["architectures"] = {"MambaForCausalLM"};
  j["model_type"] = "mamba";
  j["bos_token_id"] = 0;
  j["eos_token_id"] = 0;
  j["pad_token_id"] = 0;
  j["hidden_size"] = c.hidden_size;
  j["intermediate_size"] = c.intermediate_size;
  if (c.intermediate_size % c.hidden_size == 0) j["expand"] = c.intermediate_size / c.hidden_size;
  j["state_size"] = c.state_size;
  j["time_step_rank"] = c.time_step_rank;
  j["conv_kernel"] = c.conv_kernel;
  j["num_hidden_layers"] = c.num_hidden_layers;
  j["vocab_size"] = c.vocab_size;
  j["hidden_act"] = "silu";
  j["use_bias"] = c.use_bias;
  j["use_conv_bias"] = c.use_conv_bias;
  j["residual_in_fp32"] = c.residual_in_fp32;
  j["layer_norm_epsilon"] = c.layer_norm_epsilon;
  j["tie_word_embeddings"] = c.tie_word_embeddings;
  j["rescale_prenorm_residual"] = c.rescale_prenorm_residual;
  j["use_cache"] = true;
  return j.dump(2) + "\n";
}

namespace {

void check_config(const MambaConfig& c) {
  if (c.hidden_size <= 0 || c.intermediate_size <= 0 || c.state_size <= 0 ||
      c.time_step_rank <= 0 || c.conv_kernel <= 0 || c.num_hidden_layers <= 0 || c.vocab_size <= 0)
    throw InvalidArgument("Mamba config: every size must be positive");
}

// Visits every stored tensor of a (const or mutable) model with its HF name and shape, and the
// Eigen object holding it.
template <typename Model, typename F>
void visit_tensors(Model& m, F&& f) {
  const MambaConfig& c = m.config;
  const std::int64_t H = c.hidden_size, Di = c.intermediate_size, N = c.state_size,
                     R = c.time_step_rank, K = c.conv_kernel, V = c.vocab_size;
  f("backbone.embeddings.weight", std::vector<std::int64_t>{V, H}, m.embeddings);
  for (std::size_t i = 0; i < m.layers.size(); ++i) {
    auto& l = m.layers[i];
    const std::string p = "backbone.layers." + std::to_string(i) + ".";
    f(p + "norm.weight", std::vector<std::int64_t>{H}, l.norm);
    f(p + "mixer.in_proj.weight", std::vector<std::int64_t>{2 * Di, H}, l.in_proj_weight);
    if (c.use_bias) f(p + "mixer.in_proj.bias", std::vector<std::int64_t>{2 * Di}, l.in_proj_bias);
    f(p + "mixer.conv1d.weight", std::vector<std::int64_t>{Di, 1, K}, l.conv1d_weight);
    if (c.use_conv_bias) f(p + "mixer.conv1d.bias", std::vector<std::int64_t>{Di}, l.conv1d_bias);
    f(p + "mixer.x_proj.weight", std::vector<std::int64_t>{R + 2 * N, Di}, l.x_proj_weight);
    f(p + "mixer.dt_proj.weight", std::vector<std::int64_t>{Di, R}, l.dt_proj_weight);
    f(p + "mixer.dt_proj.bias", std::vector<std::int64_t>{Di}, l.dt_proj_bias);
    f(p + "mixer.A_log", std::vector<std::int64_t>{Di, N}, l.A_log);
    f(p + "mixer.D", std::vector<std::int64_t>{Di}, l.D);
    f(p + "mixer.out_proj.weight", std::vector<std::int64_t>{H, Di}, l.out_proj_weight);
    if (c.use_bias) f(p + "mixer.out_proj.bias", std::vector<std::int64_t>{H}, l.out_proj_bias);
  }
  f("backbone.norm_f.weight", std::vector<std::int64_t>{H}, m.norm_f);
  if (!c.tie_word_embeddings) f("lm_head.weight", std::vector<std::int64_t>{V, H}, m.lm_head);
}

std::int64_t numel(const std::vector<std::int64_t>& shape) {
  std::int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

// Box-Muller normal deviates from mt19937_64 (std::normal_distribution is implementation-defined).
class NormalStream {
 public:
  explicit NormalStream(std::uint64_t seed) : rng_(seed) {}
  double uniform() {  // in (0, 1)
    return (static_cast<double>(rng_() >> 11) + 0.5) * 0x1.0p-53;
  }
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double r = std::sqrt(-2.0 * std::log(uniform()));
    const double theta = 6.283185307179586476925 * uniform();
    spare_ = r * std::sin(theta);
    has_spare_ = true;
    return r * std::cos(theta);
  }

 private:
  std::mt19937_64 rng_;
  double spare_ = 0.0;
  bool has_spare_ = false;
};

}  // namespace

MambaModel make_empty_mamba(const MambaConfig& c) {
  check_config(c);
  MambaModel m;
  m.config = c;
  m.layers.resize(static_cast<std::size_t>(c.num_hidden_layers));
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

void for_each_mamba_tensor(
    const MambaModel& model,
    const std::function<void(const std::string&, const std::vector<std::int64_t>&, const float*)>&
        visit) {
  visit_tensors(model, [&](const std::string& name, const std::vector<std::int64_t>& shape,
                           const auto& t) {
    if (t.size() != numel(shape))
      throw InvalidArgument("Mamba model tensor '" + name + "' has " + std::to_string(t.size()) +
                            " values, expected " + shape_string(shape));
    visit(name, shape, t.data());
  });
}

MambaModel load_mamba(const std::filesystem::path& model_dir, const MambaLoadOptions& options) {
  const auto config_path = model_dir / "config.json";
  const MambaConfig config = read_mamba_config(config_path);
  check_weights_can_hold(model_dir, config_path, mamba_parameter_count(config),
                         mamba_sizes_text(config));
  MambaModel m = make_empty_mamba(config);
  std::vector<WeightSlot> slots;
  visit_tensors(m, [&](const std::string& name, const std::vector<std::int64_t>& shape, auto& t) {
    slots.push_back({name, shape, t.data()});
  });
  // Tied models may still carry a copy of the output projection; transformers ties it to the
  // embeddings (the stored copy is not used), and so do we.
  const auto tied_lm_head = [&](const Tensor& t, const std::filesystem::path& file) {
    if (!m.config.tie_word_embeddings || t.name != "lm_head.weight") return false;
    const std::vector<std::int64_t> expected{m.config.vocab_size, m.config.hidden_size};
    if (t.shape != expected)
      throw FormatError(file.string() + ": tensor 'lm_head.weight' has shape " +
                        shape_string(t.shape) + ", expected " + shape_string(expected));
    return true;
  };
  load_hf_weights(model_dir, slots, config_path,
                  "for a Mamba1 model with " + std::to_string(m.config.num_hidden_layers) +
                      " layers (use_bias " + (m.config.use_bias ? "true" : "false") +
                      ", use_conv_bias " + (m.config.use_conv_bias ? "true" : "false") +
                      ", tie_word_embeddings " + (m.config.tie_word_embeddings ? "true" : "false") +
                      ")",
                  tied_lm_head);
  if (options.transformers_out_proj_rescale && m.config.rescale_prenorm_residual) {
    // transformers: `p /= math.sqrt(self.config.num_hidden_layers)` in FP32 on the loaded
    // (FP16-upcast) weight: one correctly rounded division per element, as here.
    const float divisor =
        static_cast<float>(std::sqrt(static_cast<double>(m.config.num_hidden_layers)));
    for (auto& layer : m.layers) layer.out_proj_weight /= divisor;
  }
  return m;
}

void save_mamba(const MambaModel& model, const std::filesystem::path& model_dir,
                const MambaSaveOptions& options) {
  check_config(model.config);
  if (model.layers.size() != static_cast<std::size_t>(model.config.num_hidden_layers))
    throw InvalidArgument("save_mamba: model has " + std::to_string(model.layers.size()) +
                          " layers, config says " + std::to_string(model.config.num_hidden_layers));
  if (options.max_shard_bytes < 0)
    throw InvalidArgument("save_mamba: max_shard_bytes must be >= 0");
  std::error_code ec;
  std::filesystem::create_directories(model_dir, ec);
  if (ec) throw IoError(model_dir.string() + ": cannot create directory: " + ec.message());

  std::vector<std::vector<Tensor>> shards(1);
  std::int64_t shard_bytes = 0;
  for_each_mamba_tensor(model, [&](const std::string& name, const std::vector<std::int64_t>& shape,
                                   const float* data) {
    Tensor t = encode_tensor(name, shape, data, options.dtype);
    const auto bytes = static_cast<std::int64_t>(t.bytes.size());
    if (options.max_shard_bytes > 0 && !shards.back().empty() &&
        shard_bytes + bytes > options.max_shard_bytes) {
      shards.emplace_back();
      shard_bytes = 0;
    }
    shard_bytes += bytes;
    shards.back().push_back(std::move(t));
  });

  {
    std::ofstream out(model_dir / "config.json", std::ios::binary | std::ios::trunc);
    out << mamba_config_json(model.config);
    if (!out) throw IoError((model_dir / "config.json").string() + ": write error");
  }
  const std::map<std::string, std::string> metadata{{"format", "pt"}};
  if (options.max_shard_bytes == 0) {
    write_safetensors(model_dir / "model.safetensors", shards.front(), metadata);
    return;
  }
  nlohmann::ordered_json index;
  std::int64_t total_bytes = 0;
  nlohmann::ordered_json weight_map = nlohmann::ordered_json::object();
  const std::size_t n = shards.size();
  for (std::size_t i = 0; i < n; ++i) {
    char file[64];
    std::snprintf(file, sizeof file, "model-%05zu-of-%05zu.safetensors", i + 1, n);
    for (const auto& t : shards[i]) {
      weight_map[t.name] = file;
      total_bytes += static_cast<std::int64_t>(t.bytes.size());
    }
    write_safetensors(model_dir / file, shards[i], metadata);
  }
  index["metadata"] = {{"total_size", total_bytes}};
  index["weight_map"] = std::move(weight_map);
  std::ofstream out(model_dir / "model.safetensors.index.json", std::ios::binary | std::ios::trunc);
  out << index.dump(2) << "\n";
  if (!out) throw IoError((model_dir / "model.safetensors.index.json").string() + ": write error");
}

MambaModel make_random_mamba(const MambaConfig& config, const MambaRandomOptions& options) {
  if (!(options.init_std >= 0.0f)) throw InvalidArgument("init_std must be >= 0");
  if (!(options.dt_min > 0.0 && options.dt_max >= options.dt_min))
    throw InvalidArgument("need 0 < dt_min <= dt_max");
  MambaModel m = make_empty_mamba(config);
  NormalStream rng(options.seed);
  const double std_dev = options.init_std;
  const double log_lo = std::log(options.dt_min), log_hi = std::log(options.dt_max);
  std::vector<float> values;
  visit_tensors(m, [&](const std::string& name, const std::vector<std::int64_t>&, auto& t) {
    const auto n = static_cast<std::size_t>(t.size());
    values.assign(n, 0.0f);
    const auto ends_with = [&](const char* suffix) {
      const std::size_t k = std::strlen(suffix);
      return name.size() >= k && name.compare(name.size() - k, k, suffix) == 0;
    };
    if (ends_with("norm.weight") || ends_with("norm_f.weight") || ends_with("mixer.D")) {
      values.assign(n, 1.0f);
    } else if (ends_with("mixer.A_log")) {
      const std::int64_t N = config.state_size;
      for (std::size_t i = 0; i < n; ++i)
        values[i] = static_cast<float>(std::log(static_cast<double>(i % N + 1)));
    } else if (ends_with("dt_proj.bias")) {
      for (std::size_t i = 0; i < n; ++i) {
        // transformers: dt = exp(U * (log dt_max - log dt_min) + log dt_min), clamped at 1e-4;
        // bias = dt + log(-expm1(-dt)), the inverse of softplus.
        const double dt = std::max(std::exp(log_lo + rng.uniform() * (log_hi - log_lo)), 1e-4);
        values[i] = static_cast<float>(dt + std::log(-std::expm1(-dt)));
      }
    } else {
      for (std::size_t i = 0; i < n; ++i) values[i] = static_cast<float>(std_dev * rng.normal());
    }
    round_to_storage(values, options.storage);
    std::memcpy(t.data(), values.data(), n * sizeof(float));
  });
  return m;
}

MambaModel write_random_mamba(const std::filesystem::path& model_dir, const MambaConfig& config,
                              MambaRandomOptions options, const MambaSaveOptions& save) {
  options.storage = save.dtype;
  MambaModel model = make_random_mamba(config, options);
  save_mamba(model, model_dir, save);
  return model;
}

}  // namespace cimba::workloads
