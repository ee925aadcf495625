// The FP32 reference against transformers' activations of the real mamba-bytes-4l model
// (shared/data/mamba-bytes-4l/golden_mamba.safetensors), and golden-file errors.
#include <gtest/gtest.h>

#include <cstdio>
#include <map>

#include "models/common/error.hpp"
#include "test_mamba_test_util.hpp"
#include "tests/shared_data.hpp"
#include "workloads/io/safetensors.hpp"
#include "workloads/mamba1/mamba_eval.hpp"

namespace cimba::workloads {
namespace {

const std::filesystem::path kModelDir =
    std::filesystem::path(CIMBA_SHARED_DATA_DIR) / "mamba-bytes-4l";

TEST(MambaGolden, EveryActivationOfTheRealModelWithin1e5Relative) {
  const auto golden = kModelDir / "golden_mamba.safetensors";
  CIMBA_SKIP_WITHOUT_SHARED_DATA(golden);
  const std::vector<GoldenRow> rows = verify_mamba_golden(kModelDir, golden, 1e-5);
  ASSERT_EQ(rows.size(), 4u * 10u + 2u);  // every tensor of the file except input_ids
  std::map<std::string, std::pair<double, double>> worst;  // point -> (rel, abs)
  for (const auto& r : rows) {
    EXPECT_TRUE(r.pass) << r.name << " rel " << r.rel_error << " max abs " << r.max_abs_error;
    const auto dot = r.name.rfind('.', r.name.rfind('.') - 1);
    const std::string kind = r.name.rfind("layers.", 0) == 0 ? r.name.substr(dot + 1) : r.name;
    auto& w = worst[kind];
    w.first = std::max(w.first, r.rel_error);
    w.second = std::max(w.second, r.max_abs_error);
  }
  EXPECT_EQ(rows.front().name, "layers.0.block.in");
  EXPECT_EQ(rows.back().name, "logits");
  EXPECT_EQ(rows.back().shape, (std::vector<std::int64_t>{1, 64, 256}));
  for (const auto& [kind, w] : worst)
    std::printf("[golden] %-12s worst rel %.3e  worst max abs %.3e\n", kind.c_str(), w.first,
                w.second);
}

TEST(MambaGolden, UnknownGoldenNamesAreListed) {
  MambaConfig c = test::tiny_mamba_config();
  const MambaModel m = make_random_mamba(c);
  test::TempDir dir;
  const auto path = dir.path() / "golden.safetensors";
  const Tensor ids = make_tensor_i32("input_ids", {1, 3}, {1, 2, 3});
  write_safetensors(path,
                    {ids, make_tensor_f32("layers.0.ssm.z", {1, 3, 32}, std::vector<float>(96)),
                     make_tensor_f32("layers.7.ssm.y", {1, 3, 32}, std::vector<float>(96))});
  try {
    verify_mamba_golden(m, path);
    FAIL() << "no error";
  } catch (const FormatError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("layers.0.ssm.z"), std::string::npos) << msg;
    EXPECT_NE(msg.find("layers.7.ssm.y"), std::string::npos) << msg;
  }
}

TEST(MambaGolden, SubsetComparesAndFailsOutsideTolerance) {
  const MambaModel m = make_random_mamba(test::tiny_mamba_config());
  const std::vector<std::int32_t> ids{4, 5, 6};
  std::map<std::string, numerics::MatrixF> acts;
  MambaForwardOptions o;
  o.observer = [&](int layer, const std::string& p, const numerics::MatrixF& v) {
    acts[mamba_activation_name(layer, p)] = v;
  };
  mamba_forward(m, ids, 1, 3, o);
  auto golden_tensor = [&](const std::string& name, float scale) {
    const auto& v = acts.at(name);
    std::vector<float> values(v.data(), v.data() + v.size());
    for (auto& x : values) x *= scale;
    return make_tensor_f32(name, {1, 3, v.cols()}, values);
  };
  test::TempDir dir;
  const auto path = dir.path() / "golden.safetensors";
  write_safetensors(path,
                    {make_tensor_i32("input_ids", {1, 3}, {4, 5, 6}), golden_tensor("logits", 1.0f),
                     golden_tensor("layers.1.x_proj.out", 1.001f)});
  const auto rows = verify_mamba_golden(m, path);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].name, "layers.1.x_proj.out");  // forward order
  EXPECT_FALSE(rows[0].pass);
  EXPECT_NEAR(rows[0].rel_error, 0.001 / 1.001, 1e-6);  // y = g / 1.001
  EXPECT_EQ(rows[1].name, "logits");
  EXPECT_TRUE(rows[1].pass);
  EXPECT_EQ(rows[1].rel_error, 0.0);
}

}  // namespace
}  // namespace cimba::workloads
