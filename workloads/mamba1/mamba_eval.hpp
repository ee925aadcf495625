#pragma once
// Accuracy of a Mamba language model: byte-level loss over text windows, and the comparison of
// the FP32 reference with a golden activation file exported from transformers.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "workloads/io/golden_row.hpp"
#include "workloads/mamba1/mamba_forward.hpp"
#include "workloads/mamba1/mamba_model.hpp"
#include "workloads/io/text_data.hpp"

namespace cimba::workloads {

struct MambaLossOptions {
  /// Worker threads over groups of windows (>= 1). The result does not depend on it: windows are
  /// grouped the same way for any thread count and the loss is summed in window order. Hooks and
  /// observers run on the worker threads, so threads > 1 requires forward.hooks == nullptr and
  /// no observer (InvalidArgument otherwise).
  int threads = 1;
  /// Windows per forward call (the linear layers run on windows_per_batch x window rows).
  std::int64_t windows_per_batch = 8;
  MambaForwardOptions forward;
};

struct MambaLossResult {
  std::int64_t windows = 0;
  std::int64_t predicted_tokens = 0;
  double nats_per_token = 0.0;      // mean of -log softmax(logits)[target], log-softmax in double
  double bits_per_token = 0.0;      // nats / ln 2
  double perplexity = 0.0;          // exp(nats_per_token)
  std::vector<double> window_nats;  // summed loss of each window (nats)
};

/// -log softmax(logits)[target] in double for one row of `vocab` logits.
double token_nll(const float* logits, std::int64_t vocab, std::int32_t target);

/// Loss of the model over the windows (state reset per window); for a byte model nats_per_token
/// is nats/byte. Deterministic: byte-identical results for the same inputs and build.
MambaLossResult evaluate_mamba_loss(const MambaModel& model, const TokenWindows& windows,
                                    const MambaLossOptions& options = {});

/// Runs the FP32 reference on the golden's `input_ids` ([B, L] integer) and compares every other
/// tensor of the file, named as mamba_activation_name() gives ("layers.{i}.ssm.y", "logits", ...;
/// any subset may be present), token-major [B, L, C]. Rows are in forward order. Throws
/// FormatError for unknown tensor names (all listed), a missing input_ids or a shape mismatch.
std::vector<GoldenRow> verify_mamba_golden(const MambaModel& model,
                                           const std::filesystem::path& golden,
                                           double tolerance = 1e-5);
/// The same after load_mamba(model_dir).
std::vector<GoldenRow> verify_mamba_golden(const std::filesystem::path& model_dir,
                                           const std::filesystem::path& golden,
                                           double tolerance = 1e-5);

}  // namespace cimba::workloads
