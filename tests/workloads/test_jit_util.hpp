#pragma once
// The small JiT configuration and the shared model folder used by the JiT tests.
#include <filesystem>

#include "workloads/jit/jit_model.hpp"

namespace cimba::workloads {

/// The real model of shared/data.
inline const std::filesystem::path kJitModelDir =
    std::filesystem::path(CIMBA_SHARED_DATA_DIR) / "jit-mnist-tiny";

/// 8x8x1 images, patch 2 (16 tokens of 4 values on a 4x4 grid), hidden 32, 2 blocks, 2 heads of
/// 16, FFN 24, 10 classes, 16 timestep features.
inline JitConfig tiny_jit_config() {
  JitConfig c;
  c.image_size = 8;
  c.patch_size = 2;
  c.hidden_size = 32;
  c.depth = 2;
  c.num_heads = 2;
  c.ffn_hidden = 24;
  c.t_freq_dim = 16;
  return c;
}

}  // namespace cimba::workloads
