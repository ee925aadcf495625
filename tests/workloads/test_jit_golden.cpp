// The FP32 JiT reference against the reference export's activations of the real jit-mnist-tiny
// model (shared/data/jit-mnist-tiny/golden_dit.safetensors), and golden-file errors.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>

#include "models/common/error.hpp"
#include "test_jit_util.hpp"
#include "test_mamba_test_util.hpp"
#include "tests/shared_data.hpp"
#include "workloads/io/safetensors.hpp"
#include "workloads/jit/jit_eval.hpp"

namespace cimba::workloads {
namespace {

JitRandomOptions seeded(std::uint64_t seed) {
  JitRandomOptions o;
  o.seed = seed;
  return o;
}

const std::filesystem::path& kModelDir = kJitModelDir;

// The kind of a golden name: "blocks.3.mlp.w12.out" -> "mlp.w12.out", "pred_x" -> "pred_x".
std::string kind_of(const std::string& name) {
  if (name.rfind("blocks.", 0) != 0) return name;
  return name.substr(name.find('.', 7) + 1);
}

TEST(JitGolden, EveryTensorOfTheRealModelWithin1e4Relative) {
  const auto golden = kModelDir / "golden_dit.safetensors";
  CIMBA_SKIP_WITHOUT_SHARED_DATA(golden);
  const std::vector<GoldenRow> rows = verify_jit_golden(kModelDir, golden, 1e-4);
  // Every tensor of the file except the five inputs: 7 model-level + 6 blocks x 10.
  ASSERT_EQ(rows.size(), 7u + 6u * 10u);
  std::map<std::string, std::pair<double, double>> worst;  // kind -> (rel, abs)
  for (const auto& r : rows) {
    EXPECT_TRUE(r.pass) << r.name << " rel " << r.rel_error << " max abs " << r.max_abs_error;
    auto& w = worst[kind_of(r.name)];
    w.first = std::max(w.first, r.rel_error);
    w.second = std::max(w.second, r.max_abs_error);
  }
  EXPECT_EQ(rows.front().name, "patches");
  EXPECT_EQ(rows[4].name, "blocks.0.adaLN.out");
  EXPECT_EQ(rows.back().name, "pred_v");
  EXPECT_EQ(rows.back().shape, (std::vector<std::int64_t>{1, 1, 32, 32}));
  for (const auto& [kind, w] : worst)
    std::printf("[jit golden] %-14s worst rel %.3e  worst max abs %.3e\n", kind.c_str(), w.first,
                w.second);
}

TEST(JitGolden, UnknownGoldenNamesAreListed) {
  const JitModel m = make_random_jit(tiny_jit_config());
  test::TempDir dir;
  const auto path = dir.path() / "golden.safetensors";
  const std::int64_t D = m.config.image_numel();
  write_safetensors(path,
                    {make_tensor_f32("input.z", {1, 1, 8, 8}, std::vector<float>(D)),
                     make_tensor_f32("input.t", {1}, {0.5f}), make_tensor_i32("input.y", {1}, {3}),
                     make_tensor_f32("blocks.0.mlp.w13.out", {1, 16, 8}, std::vector<float>(128)),
                     make_tensor_f32("blocks.9.out", {1, 16, 32}, std::vector<float>(512)),
                     make_tensor_f32("input.mask", {1}, {0.0f})});
  try {
    verify_jit_golden(m, path);
    FAIL() << "no error";
  } catch (const FormatError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("blocks.0.mlp.w13.out"), std::string::npos) << msg;
    EXPECT_NE(msg.find("blocks.9.out"), std::string::npos) << msg;
    EXPECT_NE(msg.find("input.mask"), std::string::npos) << msg;
  }
}

TEST(JitGolden, SubsetComparesInForwardOrderAndFailsOutsideTolerance) {
  const JitModel m = make_random_jit(tiny_jit_config(), seeded(5));
  const std::int64_t D = m.config.image_numel();
  const numerics::MatrixF z = jit_gaussian_noise(3, 2, D);
  const std::vector<float> t{0.25f, 0.75f};
  const std::vector<std::int32_t> y{1, 10};
  std::map<std::string, numerics::MatrixF> acts;
  JitForwardOptions o;
  o.observer = [&](int block, const std::string& p, const numerics::MatrixF& v) {
    acts[jit_activation_name(block, p)] = v;
  };
  jit_forward(m, z, t, y, o);
  auto golden_tensor = [&](const std::string& name, std::vector<std::int64_t> shape, float scale) {
    const auto& v = acts.at(name);
    std::vector<float> values(v.data(), v.data() + v.size());
    for (auto& x : values) x *= scale;
    return make_tensor_f32(name, shape, values);
  };
  test::TempDir dir;
  const auto path = dir.path() / "golden.safetensors";
  write_safetensors(path,
                    {golden_tensor("pred_x", {2, 1, 8, 8}, 1.0f),
                     make_tensor_f32("input.z", {2, 1, 8, 8}, {z.data(), z.data() + z.size()}),
                     make_tensor_f32("input.t", {2}, t), make_tensor_i32("input.y", {2}, y),
                     golden_tensor("blocks.1.mlp.w3.in", {2, 16, 24}, 1.001f),
                     golden_tensor("c", {2, 32}, 1.0f)});
  const auto rows = verify_jit_golden(m, path);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].name, "c");
  EXPECT_TRUE(rows[0].pass);
  EXPECT_EQ(rows[1].name, "blocks.1.mlp.w3.in");
  EXPECT_FALSE(rows[1].pass);
  EXPECT_NEAR(rows[1].rel_error, 0.001 / 1.001, 1e-6);  // y = g / 1.001
  EXPECT_EQ(rows[2].name, "pred_x");
  EXPECT_EQ(rows[2].rel_error, 0.0);

  // A golden tensor of the wrong shape names itself.
  write_safetensors(path,
                    {make_tensor_f32("input.z", {2, 1, 8, 8}, {z.data(), z.data() + z.size()}),
                     make_tensor_f32("input.t", {2}, t), make_tensor_i32("input.y", {2}, y),
                     golden_tensor("x_embed.out", {2, 32, 16}, 1.0f)});
  try {
    verify_jit_golden(m, path);
    FAIL() << "no error";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("'x_embed.out' has shape [2, 32, 16]"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace cimba::workloads
