#pragma once
// `cimba run` with workload.kind: jit (docs/jit.md, docs/results-format.md): a JiT diffusion
// transformer replayed quantized against its FP32 reference on noisy MNIST test images (per block
// and linear SQNR / cosine / saturation, pred_x PSNR per timestep, optional sample PSNR), and one
// JiT block's op program played on the SystemC accelerator (latency, energy, area), scaled by
// the model depth (every block has the same shape).
#include "sim/run.hpp"
#include "sim/run_config.hpp"

namespace cimba::sim {

class Progress;

/// Runs a jit workload (pure computation; throws cimba::Error subclasses: ConfigError naming the
/// key for a missing model / MNIST folder or a malformed list). `progress` may be nullptr.
RunOutput run_jit(const RunConfig& config, Progress* progress);

}  // namespace cimba::sim
