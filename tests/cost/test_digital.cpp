// Digital unit tests: Horowitz figures at their own node, scaling, monotonicity, bad input.
#include <gtest/gtest.h>

#include "models/common/error.hpp"
#include "models/cost/digital.hpp"

namespace cimba::cost {
namespace {

const TechPoint k45{45, 0.9, 1.0};

TEST(CostDigital, HorowitzFiguresAt45nm) {
  // Horowitz ISSCC 2014, 45 nm, 0.9 V.
  EXPECT_NEAR(fp32_multiplier(k45).energy_pJ, 3.7, 1e-12);
  EXPECT_NEAR(fp32_adder(k45).energy_pJ, 0.9, 1e-12);
  EXPECT_NEAR(fp16_multiplier(k45).energy_pJ, 1.1, 1e-12);
  EXPECT_NEAR(fp16_adder(k45).energy_pJ, 0.4, 1e-12);
  EXPECT_NEAR(int_adder(8, k45).energy_pJ, 0.03, 1e-12);
  EXPECT_NEAR(int_adder(16, k45).energy_pJ, 0.05, 1e-12);
  EXPECT_NEAR(int_adder(32, k45).energy_pJ, 0.1, 1e-12);
  EXPECT_NEAR(int_multiplier(8, k45).energy_pJ, 0.2, 1e-12);
  EXPECT_NEAR(int_multiplier(32, k45).energy_pJ, 3.1, 1e-12);
  EXPECT_NEAR(fp32_multiplier(k45).area_um2, 7700.0, 1e-9);
  EXPECT_NEAR(fp32_adder(k45).area_um2, 4184.0, 1e-9);
  EXPECT_NEAR(int_adder(8, k45).area_um2, 36.0, 1e-9);
  EXPECT_NEAR(int_multiplier(32, k45).area_um2, 3495.0, 1e-9);
}

TEST(CostDigital, InterpolatedWidths) {
  // 24-bit adder: halfway between 16 b (0.05) and 32 b (0.1): 0.075 pJ.
  EXPECT_NEAR(int_adder(24, k45).energy_pJ, 0.075, 1e-12);
  // 16-bit multiplier: 0.2 * 2^k, k = ln(3.1/0.2)/ln 4 = 1.97712 -> 0.2 * 3.9372 = 0.78744 pJ.
  EXPECT_NEAR(int_multiplier(16, k45).energy_pJ, 0.78744, 1e-4);
}

TEST(CostDigital, MoreBitsNeverCheaper) {
  for (int b = 1; b < 64; ++b) {
    EXPECT_LT(int_adder(b, k45).energy_pJ, int_adder(b + 1, k45).energy_pJ) << b;
    EXPECT_LT(int_adder(b, k45).area_um2, int_adder(b + 1, k45).area_um2) << b;
    EXPECT_LT(int_multiplier(b, k45).energy_pJ, int_multiplier(b + 1, k45).energy_pJ) << b;
    EXPECT_LT(int_multiplier(b, k45).area_um2, int_multiplier(b + 1, k45).area_um2) << b;
    EXPECT_LT(comparator(b, k45).energy_pJ, comparator(b + 1, k45).energy_pJ) << b;
    EXPECT_LT(register_bits(b, k45).area_um2, register_bits(b + 1, k45).area_um2) << b;
  }
  EXPECT_LT(mux(8, 2, k45).area_um2, mux(8, 4, k45).area_um2);
  EXPECT_LT(mux(8, 4, k45).energy_pJ, mux(8, 8, k45).energy_pJ);
}

TEST(CostDigital, SmallerNodeMeansLessEnergyAndArea) {
  const auto& nodes = supported_nodes_nm();
  for (std::size_t i = 0; i + 1 < nodes.size(); ++i) {
    const TechPoint a{nodes[i], 0.8, 1.0}, b{nodes[i + 1], 0.8, 1.0};
    EXPECT_LT(fp32_multiplier(a).energy_pJ, fp32_multiplier(b).energy_pJ) << nodes[i];
    EXPECT_LT(fp32_multiplier(a).area_um2, fp32_multiplier(b).area_um2) << nodes[i];
    EXPECT_LT(int_adder(16, a).energy_pJ, int_adder(16, b).energy_pJ) << nodes[i];
  }
  // Scaling rule, worked: FP32 mul at 7 nm / 0.8 V = 3.7 pJ * F_HP7(0.8) / F_HP45(0.9);
  // F_HP7(0.8) = 0.1776*0.64 - 0.09097*0.8 + 0.02447 = 0.113664 - 0.072776 + 0.02447 = 0.065358;
  // F_HP45(0.9) = 0.69885; 3.7 * 0.065358 / 0.69885 = 0.346027 pJ.
  EXPECT_NEAR(fp32_multiplier(TechPoint{7, 0.8, 1.0}).energy_pJ, 0.346027, 1e-5);
  // Area: 7700 um^2 / 17 = 452.94 um^2.
  EXPECT_NEAR(fp32_multiplier(TechPoint{7, 0.8, 1.0}).area_um2, 452.941, 1e-3);
}

TEST(CostDigital, TranscendentalUnits) {
  const TechPoint t{7, 0.8, 1.0};
  const auto exact = exp_unit(FunctionImpl::kExactFp32, t);
  const auto pwl = exp_unit(FunctionImpl::kPwlInt16, t, 32);
  // Exact exp = 6 FP32 mul + 6 FP32 add + INT8 add.
  const double expect =
      6 * fp32_multiplier(t).energy_pJ + 6 * fp32_adder(t).energy_pJ + int_adder(8, t).energy_pJ;
  EXPECT_NEAR(exact.energy_pJ, expect, 1e-12);
  EXPECT_NEAR(exact.latency_ns, 13.0, 1e-12);
  EXPECT_LT(pwl.energy_pJ, exact.energy_pJ);
  EXPECT_LT(pwl.area_um2, exact.area_um2);
  EXPECT_GT(softplus_unit(FunctionImpl::kExactFp32, t).energy_pJ, exact.energy_pJ);
  // More PWL segments: bigger LUT.
  EXPECT_GT(exp_unit(FunctionImpl::kPwlInt16, t, 64).area_um2, pwl.area_um2);
}

TEST(CostDigital, LatencyAndLeakage) {
  const TechPoint t{16, 0.8, 2.0};
  const auto m = fp32_multiplier(t);
  EXPECT_NEAR(m.latency_ns, 0.5, 1e-12);  // one cycle at 2 GHz
  // 10 % of E * f: E (pJ) * 2 GHz = 2E mW -> 0.1 * 2E * 1e3 uW.
  EXPECT_NEAR(m.leakage_uW, 0.1 * m.energy_pJ * 2.0 * 1e3, 1e-9);
}

TEST(CostDigital, BadInputThrowsTypedError) {
  EXPECT_THROW(int_adder(0, k45), InvalidArgument);
  EXPECT_THROW(int_multiplier(65, k45), InvalidArgument);
  EXPECT_THROW(mux(8, 1, k45), InvalidArgument);
  EXPECT_THROW(register_bits(0, k45), InvalidArgument);
  EXPECT_THROW(exp_unit(FunctionImpl::kPwlInt16, k45, 24), InvalidArgument);  // not 2^k
  EXPECT_THROW(fp32_adder(TechPoint{12, 0.9, 1.0}), InvalidArgument);
  EXPECT_THROW(fp32_adder(TechPoint{45, 2.0, 1.0}), InvalidArgument);
}

}  // namespace
}  // namespace cimba::cost
