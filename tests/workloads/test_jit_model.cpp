// JiT config parsing, loading (with its errors), saving and random models.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>

#include "models/common/error.hpp"
#include "test_jit_util.hpp"
#include "test_mamba_test_util.hpp"
#include "tests/shared_data.hpp"
#include "workloads/io/hf_config.hpp"
#include "workloads/io/safetensors.hpp"
#include "workloads/jit/jit_forward.hpp"
#include "workloads/jit/jit_model.hpp"

namespace cimba::workloads {
namespace {

const std::filesystem::path& kModelDir = kJitModelDir;

// The message of the FormatError that parsing `json` throws ("" when it parses).
std::string config_error(const std::string& json) {
  try {
    parse_jit_config(HfConfig::parse(json, "dir/config.json"));
  } catch (const FormatError& e) {
    return e.what();
  }
  return "";
}

void expect_contains(const std::string& text, const std::string& part) {
  EXPECT_NE(text.find(part), std::string::npos) << "'" << part << "' not in: " << text;
}

std::string load_error(const std::filesystem::path& dir) {
  try {
    load_jit(dir);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

bool same_weights(const JitModel& a, const JitModel& b) {
  bool same = a.config == b.config;
  std::vector<std::pair<const float*, std::int64_t>> pa, pb;
  const auto collect = [](const JitModel& m, auto& out) {
    for_each_jit_tensor(
        m, [&](const std::string&, const std::vector<std::int64_t>& shape, const float* d) {
          std::int64_t n = 1;
          for (auto s : shape) n *= s;
          out.emplace_back(d, n);
        });
  };
  collect(a, pa);
  collect(b, pb);
  if (pa.size() != pb.size()) return false;
  for (std::size_t i = 0; i < pa.size(); ++i)
    same = same && pa[i].second == pb[i].second &&
           std::memcmp(pa[i].first, pb[i].first, sizeof(float) * pa[i].second) == 0;
  return same;
}

TEST(JitConfig, RealConfigParses) {
  CIMBA_SKIP_WITHOUT_SHARED_DATA(kModelDir / "config.json");
  const JitConfig c = read_jit_config(kModelDir / "config.json");
  EXPECT_EQ(c, jit_mnist_tiny_config());
  EXPECT_EQ(c.num_patches(), 64);
  EXPECT_EQ(c.head_dim(), 64);
  EXPECT_EQ(c.patch_dim(), 16);
  EXPECT_EQ(c.param_count(), 7315728);  // the README's parameter count
}

TEST(JitConfig, JitBShape) {
  const JitConfig c = jit_b_config();
  EXPECT_EQ(c.head_dim(), 64);
  // per block: norms 2*768 + qkv 3*768^2 + proj 768^2 + w12 2*2048*768 + w3 768*2048
  //            + adaLN 6*768^2 + 6*768 = 1536 + 5898240 (10 x 768^2) + 4718592 + 4608 = 10622976
  // blocks: 12 x 10622976 = 127475712; the rest: x_embed 768*16+768 = 13056, t_embed
  // 768*256+768 + 768^2+768 = 787968, y_embed 11*768 = 8448, final norm 768, final adaLN
  // 2*768^2+2*768 = 1181184, final linear 16*768+16 = 12304; sum 2003728.
  EXPECT_EQ(c.param_count(), 127475712 + 2003728);
}

TEST(JitConfig, JsonRoundTrip) {
  JitConfig c = tiny_jit_config();
  c.rope_base = 50.0;
  c.t_eps = 0.1;
  EXPECT_EQ(parse_jit_config(HfConfig::parse(jit_config_json(c), "x")), c);
}

TEST(JitConfig, ErrorsNameFileAndField) {
  const JitConfig c = tiny_jit_config();
  const std::string good = jit_config_json(c);
  EXPECT_EQ(config_error(good), "");
  const auto without = [&](const std::string& field) {
    nlohmann::json j = nlohmann::json::parse(good);
    j.erase(field);
    return j.dump();
  };
  const auto with = [&](const std::string& field, const nlohmann::json& value) {
    nlohmann::json j = nlohmann::json::parse(good);
    j[field] = value;
    return j.dump();
  };
  for (const char* field : {"image_size", "in_channels", "patch_size", "hidden_size", "depth",
                            "num_heads", "ffn_hidden", "num_classes"}) {
    const std::string msg = config_error(without(field));
    expect_contains(msg, "dir/config.json");
    expect_contains(msg, std::string("'") + field + "'");
  }
  expect_contains(config_error(with("depth", "six")), "'depth' must be an integer");
  expect_contains(config_error(with("norm_eps", "small")), "'norm_eps' must be a number");
  expect_contains(config_error(with("patch_size", 3)), "'patch_size' (3) must divide");
  expect_contains(config_error(with("num_heads", 3)), "'num_heads' (3) must divide");
  expect_contains(config_error(with("num_heads", 16)), "multiple of 4");  // head_dim 32/16 = 2
  expect_contains(config_error(with("head_dim", 8)), "'head_dim' is 8");
  expect_contains(config_error(with("null_class", 0)), "'null_class'");
  expect_contains(config_error(with("param_count", 1)), "'param_count'");
  expect_contains(config_error(with("hidden_size", -32)), "'hidden_size' must be positive");
  expect_contains(config_error(with("t_eps", 0.0)), "'t_eps' must be positive");
  // Optional fields take their defaults.
  const JitConfig d = parse_jit_config(HfConfig::parse(without("rope_base"), "x"));
  EXPECT_EQ(d.rope_base, 100.0);
}

TEST(JitModel, SaveLoadRoundTripBitIdentical) {
  test::TempDir dir;
  for (DType dtype : {DType::F32, DType::F16, DType::BF16}) {
    JitRandomOptions r;
    r.seed = 42;
    JitSaveOptions s;
    s.dtype = dtype;
    const auto sub = dir.path() / dtype_name(dtype);
    const JitModel written = write_random_jit(sub, tiny_jit_config(), r, s);
    const JitModel loaded = load_jit(sub);
    EXPECT_TRUE(same_weights(written, loaded)) << dtype_name(dtype);
    EXPECT_EQ(SafetensorsFile::read(sub / "model.safetensors").at("blocks.1.mlp.w3.weight").dtype,
              dtype);
  }
  // Random models are deterministic in the seed and differ between seeds.
  JitRandomOptions r;
  r.seed = 1;
  EXPECT_TRUE(
      same_weights(make_random_jit(tiny_jit_config(), r), make_random_jit(tiny_jit_config(), r)));
  r.seed = 2;
  EXPECT_FALSE(
      same_weights(make_random_jit(tiny_jit_config()), make_random_jit(tiny_jit_config(), r)));
}

TEST(JitModel, RandomWeightsHaveTheRequestedScale) {
  const JitModel m = make_random_jit(tiny_jit_config());
  EXPECT_EQ(m.blocks[1].norm2, numerics::VectorF::Ones(32));
  // w3 [32, 24]: std 1/sqrt(24) = 0.204; 768 draws, sample std within ~5%.
  const auto& w = m.blocks[0].w3;
  const double std_dev = std::sqrt(w.cwiseAbs2().mean());
  EXPECT_NEAR(std_dev, 1.0 / std::sqrt(24.0), 0.02);
}

TEST(JitModel, JitBLikeRandomModelRuns) {
  // The JiT-B width end to end (generation and one forward of one image) with 2 of its 12
  // blocks to keep the test short (the full model is 130M weights, about 4 s to generate).
  JitConfig c = jit_b_config();
  c.depth = 2;
  const JitModel m = make_random_jit(c);
  ASSERT_EQ(m.blocks.size(), 2u);
  EXPECT_EQ(m.blocks[1].w12.rows(), 4096);
  EXPECT_EQ(m.blocks[1].w12.cols(), 768);
  const numerics::MatrixF x = jit_forward(m, numerics::MatrixF::Zero(1, 1024), {0.5f}, {3});
  EXPECT_TRUE(x.allFinite());
}

class JitLoaderErrors : public ::testing::Test {
 protected:
  void SetUp() override { write_random_jit(dir_.path(), tiny_jit_config()); }
  // Rewrites model.safetensors after `edit` changes its tensor list.
  void edit_weights(const std::function<void(std::vector<Tensor>&)>& edit) {
    const auto path = dir_.path() / "model.safetensors";
    const SafetensorsFile file = SafetensorsFile::read(path);
    std::vector<Tensor> tensors;
    for (const auto& name : file.names()) tensors.push_back(file.at(name));
    edit(tensors);
    write_safetensors(path, tensors);
  }
  test::TempDir dir_;
};

TEST_F(JitLoaderErrors, MissingTensorsAreNamed) {
  edit_weights([](std::vector<Tensor>& t) {
    t.erase(std::remove_if(t.begin(), t.end(),
                           [](const Tensor& x) {
                             return x.name == "blocks.1.attn.qkv.weight" ||
                                    x.name == "final.linear.bias";
                           }),
            t.end());
  });
  const std::string msg = load_error(dir_.path());
  expect_contains(msg, "missing tensor(s)");
  expect_contains(msg, "'blocks.1.attn.qkv.weight'");
  expect_contains(msg, "'final.linear.bias'");
}

TEST_F(JitLoaderErrors, UnknownTensorsAreNamed) {
  edit_weights([](std::vector<Tensor>& t) {
    t.push_back(make_tensor_f32("blocks.2.norm1.weight", {32}, std::vector<float>(32)));
    t.push_back(make_tensor_f32("blocks.0.attn.q_norm.weight", {16}, std::vector<float>(16)));
  });
  const std::string msg = load_error(dir_.path());
  expect_contains(msg, "unknown tensor(s)");
  expect_contains(msg, "'blocks.2.norm1.weight'");
  expect_contains(msg, "'blocks.0.attn.q_norm.weight'");
}

TEST_F(JitLoaderErrors, ShapeMismatchNamesTensorAndShapes) {
  edit_weights([](std::vector<Tensor>& t) {
    for (auto& x : t)
      if (x.name == "blocks.0.mlp.w12.weight")
        x = make_tensor_f32(x.name, {24, 32}, std::vector<float>(768));
  });
  const std::string msg = load_error(dir_.path());
  expect_contains(msg, "'blocks.0.mlp.w12.weight' has shape [24, 32], expected [48, 32]");
}

TEST_F(JitLoaderErrors, IntegerTensorIsRejected) {
  edit_weights([](std::vector<Tensor>& t) {
    for (auto& x : t)
      if (x.name == "x_embed.bias")
        x = make_tensor_i32(x.name, {32}, std::vector<std::int32_t>(32));
  });
  expect_contains(load_error(dir_.path()), "'x_embed.bias' has dtype I32");
}

TEST_F(JitLoaderErrors, ConfigErrorsNameTheFile) {
  {
    std::ofstream out(dir_.path() / "config.json", std::ios::trunc);
    out << R"({"image_size": 8, "in_channels": 1, "patch_size": 2, "hidden_size": 32,
               "num_heads": 2, "ffn_hidden": 24, "num_classes": 10})";
  }
  const std::string msg = load_error(dir_.path());
  expect_contains(msg, (dir_.path() / "config.json").string());
  expect_contains(msg, "'depth'");
  std::filesystem::remove(dir_.path() / "config.json");
  expect_contains(load_error(dir_.path()), "config.json");
}

// Findings of the fuzzers and hostile inputs (issue 15).
TEST(JitConfigHostile, SizesAreBoundedBeforeAnyProduct) {
  const std::string good = jit_config_json(tiny_jit_config());
  const auto with = [&](const std::string& field, const nlohmann::json& value) {
    nlohmann::json j = nlohmann::json::parse(good);
    j.erase("param_count");
    j.erase("num_patches");
    j[field] = value;
    return j.dump();
  };
  expect_contains(config_error(with("depth", 100000000)),
                  "dir/config.json: field 'depth' must be at most 16777216 (found 100000000)");
  // in_channels x patch_size^2 and depth x hidden_size^2 overflowed int64 in param_count().
  nlohmann::json j = nlohmann::json::parse(with("depth", 16777216));
  j["hidden_size"] = 16777216;
  j["num_heads"] = 4;
  expect_contains(config_error(j.dump()), "more than 2^40 weights");
  std::string overflow = with("ffn_hidden", 24);  // 1e999 overflows a double
  overflow.replace(overflow.find("\"ffn_hidden\":24"), 15, "\"ffn_hidden\":1e999");
  expect_contains(config_error(overflow), "dir/config.json: not valid JSON");
}

TEST_F(JitLoaderErrors, SizesBeyondTheWeightFilesFailBeforeAllocating) {
  JitConfig edited = tiny_jit_config();
  edited.depth = 20000;  // 2.4e8 weights: 1 GB of zeros was allocated before reading a tensor
  std::ofstream(dir_.path() / "config.json", std::ios::trunc) << jit_config_json(edited);
  const std::string msg = load_error(dir_.path());
  expect_contains(msg, (dir_.path() / "config.json").string() + ": image_size 8,");
  expect_contains(msg, "depth 20000,");
  expect_contains(msg, "weight files hold");
}

TEST_F(JitLoaderErrors, NonFiniteWeightIsNamed) {
  edit_weights([](std::vector<Tensor>& t) {
    for (auto& x : t)
      if (x.name == "blocks.1.attn.proj.weight") {
        std::vector<float> v = x.to_f32();
        v[0] = INFINITY;
        x = make_tensor_f32(x.name, x.shape, v);
      }
  });
  expect_contains(load_error(dir_.path()),
                  (dir_.path() / "model.safetensors").string() +
                      ": tensor 'blocks.1.attn.proj.weight' holds +inf at element 0");
}

}  // namespace
}  // namespace cimba::workloads
