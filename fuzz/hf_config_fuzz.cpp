// libFuzzer target: a Hugging Face model folder's JSON files. The input is parsed as a
// config.json by both families' parsers, then loaded as the config.json of a small Mamba and a
// small JiT folder (so the checks that come before any allocation are exercised against real
// weight files), and as the model.safetensors.index.json of a sharded Mamba folder. A typed
// cimba::Error is the expected outcome for malformed input; anything else is a finding.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz/fuzz_util.hpp"
#include "models/common/error.hpp"
#include "workloads/io/hf_config.hpp"
#include "workloads/jit/jit_model.hpp"
#include "workloads/mamba1/mamba_model.hpp"

namespace {
namespace wl = cimba::workloads;
namespace fs = std::filesystem;

struct Folders {
  fs::path mamba, jit, sharded;
};

// Three model folders with small random weights, written once.
const Folders& folders() {
  static const Folders f = [] {
    Folders out;
    const fs::path root = cimba::fuzz::scratch_dir();
    out.mamba = root / "mamba";
    out.jit = root / "jit";
    out.sharded = root / "mamba-sharded";
    wl::MambaConfig mamba;  // 2 layers of width 16: a few KB of weights
    mamba.hidden_size = 16;
    mamba.intermediate_size = 32;
    mamba.state_size = 4;
    mamba.time_step_rank = 2;
    mamba.num_hidden_layers = 2;
    mamba.vocab_size = 20;
    wl::write_random_mamba(out.mamba, mamba);
    wl::write_random_mamba(out.sharded, mamba, {}, {wl::DType::F16, 2000});
    wl::JitConfig jit;
    jit.image_size = 8;
    jit.patch_size = 2;
    jit.hidden_size = 32;
    jit.depth = 2;
    jit.num_heads = 2;
    jit.ffn_hidden = 24;
    jit.t_freq_dim = 16;
    wl::write_random_jit(out.jit, jit);
    return out;
  }();
  return f;
}

template <typename F>
void expect_typed_errors(F&& f) {
  try {
    f();
  } catch (const cimba::Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Folders& f = folders();
  const std::string text(reinterpret_cast<const char*>(data), size);
  expect_typed_errors([&] {
    const wl::HfConfig hf = wl::HfConfig::parse(text, "config.json");
    expect_typed_errors([&] { wl::parse_mamba_config(hf); });
    expect_typed_errors([&] { wl::parse_jit_config(hf); });
  });
  cimba::fuzz::write_file(f.mamba / "config.json", data, size);
  expect_typed_errors([&] { wl::load_mamba(f.mamba); });
  cimba::fuzz::write_file(f.jit / "config.json", data, size);
  expect_typed_errors([&] { wl::load_jit(f.jit); });
  cimba::fuzz::write_file(f.sharded / "model.safetensors.index.json", data, size);
  expect_typed_errors([&] { wl::load_mamba(f.sharded); });
  return 0;
}
