#include "workloads/mamba1/mamba_eval.hpp"

#include <algorithm>
#include <cmath>
#include <exception>
#include <limits>
#include <map>
#include <thread>

#include "models/common/error.hpp"
#include "workloads/io/safetensors.hpp"

namespace cimba::workloads {

using numerics::MatrixF;

double token_nll(const float* logits, std::int64_t vocab, std::int32_t target) {
  if (target < 0 || target >= vocab)
    throw InvalidArgument("target " + std::to_string(target) + " outside the vocabulary [0, " +
                          std::to_string(vocab) + ")");
  double max = logits[0];
  for (std::int64_t v = 1; v < vocab; ++v) max = std::max(max, static_cast<double>(logits[v]));
  double sum = 0.0;
  for (std::int64_t v = 0; v < vocab; ++v) sum += std::exp(static_cast<double>(logits[v]) - max);
  return max + std::log(sum) - static_cast<double>(logits[target]);
}

MambaLossResult evaluate_mamba_loss(const MambaModel& model, const TokenWindows& windows,
                                    const MambaLossOptions& options) {
  if (options.threads < 1) throw InvalidArgument("threads must be >= 1");
  if (options.windows_per_batch < 1) throw InvalidArgument("windows_per_batch must be >= 1");
  if (options.threads > 1 && (options.forward.hooks || options.forward.observer))
    throw InvalidArgument("loss evaluation with hooks or an observer must run on one thread");
  if (windows.count <= 0 || windows.window <= 0)
    throw InvalidArgument("loss evaluation needs at least one window");
  const std::int64_t L = windows.window, V = model.config.vocab_size;
  const std::int64_t groups =
      (windows.count + options.windows_per_batch - 1) / options.windows_per_batch;

  MambaLossResult r;
  r.windows = windows.count;
  r.predicted_tokens = windows.predicted_tokens();
  r.window_nats.assign(static_cast<std::size_t>(windows.count), 0.0);

  // Group g always holds the same windows whatever the thread count, so every window sees the
  // same GEMM shapes and gives the same bits; thread k takes groups k, k + threads, ...
  auto run_group = [&](std::int64_t g) {
    const std::int64_t first = g * options.windows_per_batch;
    const std::int64_t n = std::min(options.windows_per_batch, windows.count - first);
    const MatrixF logits = mamba_forward(model, windows.input(first), n, L, options.forward);
    for (std::int64_t k = 0; k < n; ++k) {
      const std::int32_t* target = windows.target(first + k);
      double sum = 0.0;
      for (std::int64_t t = 0; t < L; ++t)
        sum += token_nll(logits.data() + (k * L + t) * V, V, target[t]);
      r.window_nats[static_cast<std::size_t>(first + k)] = sum;
    }
  };
  const int threads = static_cast<int>(std::min<std::int64_t>(options.threads, groups));
  if (threads <= 1) {
    for (std::int64_t g = 0; g < groups; ++g) run_group(g);
  } else {
    std::vector<std::exception_ptr> errors(static_cast<std::size_t>(threads));
    std::vector<std::thread> pool;
    for (int k = 0; k < threads; ++k)
      pool.emplace_back([&, k] {
        try {
          for (std::int64_t g = k; g < groups; g += threads) run_group(g);
        } catch (...) {
          errors[static_cast<std::size_t>(k)] = std::current_exception();
        }
      });
    for (auto& t : pool) t.join();
    for (auto& e : errors)
      if (e) std::rethrow_exception(e);
  }
  double total = 0.0;
  for (double w : r.window_nats) total += w;  // fixed order
  r.nats_per_token = total / static_cast<double>(r.predicted_tokens);
  r.bits_per_token = r.nats_per_token / std::log(2.0);
  r.perplexity = std::exp(r.nats_per_token);
  return r;
}

std::vector<GoldenRow> verify_mamba_golden(const MambaModel& model,
                                           const std::filesystem::path& golden, double tolerance) {
  const SafetensorsFile file = SafetensorsFile::read(golden);
  const std::string where = golden.string() + ": ";
  if (!file.contains("input_ids")) throw FormatError(where + "no tensor 'input_ids'");
  const Tensor& ids_tensor = file.at("input_ids");
  if (ids_tensor.shape.size() != 2 || ids_tensor.shape[0] <= 0 || ids_tensor.shape[1] <= 0)
    throw FormatError(where + "'input_ids' has shape " + shape_string(ids_tensor.shape) +
                      ", expected [batch, length]");
  const std::int64_t B = ids_tensor.shape[0], L = ids_tensor.shape[1];
  const std::vector<std::int64_t> ids64 = ids_tensor.to_i64();
  std::vector<std::int32_t> ids(ids64.size());
  for (std::size_t i = 0; i < ids64.size(); ++i) {
    if (ids64[i] < 0 || ids64[i] >= model.config.vocab_size)
      throw FormatError(where + "input_ids[" + std::to_string(i) +
                        "] = " + std::to_string(ids64[i]) + " outside the vocabulary");
    ids[i] = static_cast<std::int32_t>(ids64[i]);
  }

  // Every name the forward can produce -> its position in forward order.
  std::map<std::string, std::size_t> known;
  for (int i = 0; i < model.config.num_hidden_layers; ++i)
    for (const auto& p : mamba_layer_points())
      known.emplace(mamba_activation_name(i, p), known.size());
  for (const auto& p : mamba_model_points()) known.emplace(p, known.size());
  std::vector<std::string> unknown;
  for (const auto& name : file.names())
    if (name != "input_ids" && !known.count(name)) unknown.push_back(name);
  if (!unknown.empty()) {
    std::string list;
    for (const auto& n : unknown) list += (list.empty() ? "'" : ", '") + n + "'";
    throw FormatError(where + "unknown golden tensor(s) " + list + " (expected input_ids and " +
                      "layers.{0.." + std::to_string(model.config.num_hidden_layers - 1) +
                      "}.{block.in, mixer.in, in_proj.out, conv1d.out, x_proj.out, dt_proj.out, " +
                      "ssm.y, out_proj.in, mixer.out, block.out}, norm_f.out, logits)");
  }

  std::vector<GoldenRow> rows;
  MambaForwardOptions options;
  options.observer = [&](int layer, const std::string& point, const MatrixF& value) {
    const std::string name = mamba_activation_name(layer, point);
    if (!file.contains(name)) return;
    rows.push_back(
        compare_golden_tensor(where, file.at(name), value.data(), {B, L, value.cols()}, tolerance));
  };
  mamba_forward(model, ids, B, L, options);
  return rows;
}

std::vector<GoldenRow> verify_mamba_golden(const std::filesystem::path& model_dir,
                                           const std::filesystem::path& golden, double tolerance) {
  return verify_mamba_golden(load_mamba(model_dir), golden, tolerance);
}

}  // namespace cimba::workloads
