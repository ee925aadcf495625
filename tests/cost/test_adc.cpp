// ADC model tests: source figures, monotonicity in bits and node, bad input.
#include <gtest/gtest.h>

#include <cmath>

#include "models/common/error.hpp"
#include "models/cost/adc.hpp"
#include "models/cost/tech.hpp"

namespace cimba::cost {
namespace {

constexpr AdcModel kAllModels[] = {AdcModel::kMurmannSurvey, AdcModel::kNeuroSimSar,
                                   AdcModel::kFlash};

AdcParams params(int bits, int node, double rate = 1e7) {
  AdcParams p;
  p.bits = bits;
  p.node_nm = node;
  p.sample_rate_Hz = rate;
  return p;
}

TEST(CostAdc, MurmannSurveyEnergyBound) {
  // f_s = 1e8: FOMS = 302.7387 - 6.460791 * ln(1e8) = 302.7387 - 119.0123 = 183.73 dB, capped at
  // the 95th percentile 180.1416 dB. SNDR(8 b) = 6.0206 * 8 + 1.7609 = 49.9257 dB.
  // E = 1 / (2 * 10^((180.1416 - 49.9257) / 10)) = 1 / (2 * 1.05098e13) J = 0.047575 pJ.
  EXPECT_NEAR(murmann_foms_bound_dB(1e8), 180.14159, 1e-4);
  EXPECT_NEAR(ideal_sndr_dB(8), 49.9257, 1e-4);
  const auto c = adc_cost(AdcModel::kMurmannSurvey, params(8, 65, 1e8));
  EXPECT_NEAR(c.energy_pJ, 0.047575, 1e-5);
  EXPECT_NEAR(c.latency_ns, 10.0, 1e-12);  // one conversion per 1/f_s
  // Above the cap the bound falls with rate: 1e10 Hz -> FOMS = 302.7387 - 6.460791*23.02585
  // = 153.9769 dB, E = 1/(2*10^((153.9769-49.9257)/10)) = 1.95e-11 J ... i.e. costlier per op.
  EXPECT_GT(adc_cost(AdcModel::kMurmannSurvey, params(8, 65, 1e10)).energy_pJ, c.energy_pJ);
}

TEST(CostAdc, NeuroSimSarReproducesItsFitAt65nm) {
  // NeuroSim V1.3 SarADC, HP 65 nm: P = 2.9503 * 8 + 22.047 = 45.6494 uW; E = P * (8 + 1) * 1 ns
  // = 410.845 fJ.
  const auto c = adc_cost(AdcModel::kNeuroSimSar, params(8, 65));
  EXPECT_NEAR(c.energy_pJ, 0.410845, 1e-6);
  EXPECT_NEAR(c.latency_ns, 9.0, 1e-12);  // N + 1 cycles at 1 GHz
  // Area: (269 + 7*109) + (209 + 7*73) = 1752 transistors x (36/224 um^2 at 45 nm) x (1/0.66)
  // = 1752 * 0.1607143 * 1.5151515 = 426.623 um^2.
  EXPECT_NEAR(c.area_um2, 426.623, 1e-2);
}

TEST(CostAdc, FlashComparatorCountIsExponential) {
  // NeuroSim V1.3 MultilevelSenseAmp, HP 7 nm: 0.5614 uW per comparator, 1 ns:
  // 4 b -> 15 comparators -> 8.421 fJ (+ a small encoder term).
  const auto c4 = adc_cost(AdcModel::kFlash, params(4, 7));
  EXPECT_GT(c4.energy_pJ, 0.008421);
  EXPECT_LT(c4.energy_pJ, 0.008421 * 1.5);
  const auto c5 = adc_cost(AdcModel::kFlash, params(5, 7));
  // 31 vs 15 comparators: roughly 2x per extra bit.
  EXPECT_NEAR(c5.area_um2 / c4.area_um2, 2.0, 0.25);
}

TEST(CostAdc, MoreBitsNeverCheaperForEveryModel) {
  for (AdcModel m : kAllModels) {
    for (int node : supported_nodes_nm()) {
      for (int b = 1; b < 16; ++b) {
        const auto lo = adc_cost(m, params(b, node));
        const auto hi = adc_cost(m, params(b + 1, node));
        EXPECT_GT(hi.energy_pJ, lo.energy_pJ) << adc_model_name(m) << " " << node << " nm " << b;
        EXPECT_GT(hi.area_um2, lo.area_um2) << adc_model_name(m) << " " << node << " nm " << b;
      }
    }
  }
}

TEST(CostAdc, SmallerNodeNeverCostlier) {
  const auto& nodes = supported_nodes_nm();
  for (AdcModel m : kAllModels) {
    for (std::size_t i = 0; i + 1 < nodes.size(); ++i) {
      const auto small = adc_cost(m, params(8, nodes[i]));
      const auto big = adc_cost(m, params(8, nodes[i + 1]));
      EXPECT_LT(small.area_um2, big.area_um2) << adc_model_name(m) << " " << nodes[i];
      if (m == AdcModel::kMurmannSurvey) {
        // The survey energy bound does not depend on the node (CiMLoop's form): equal.
        EXPECT_DOUBLE_EQ(small.energy_pJ, big.energy_pJ);
      } else {
        EXPECT_LT(small.energy_pJ, big.energy_pJ) << adc_model_name(m) << " " << nodes[i];
      }
    }
  }
}

TEST(CostAdc, LeakageIsTheStatedFractionOfActivePower) {
  // 10 % of E * f_s: 0.410845 pJ * 1e7 /s = 4.10845 uW -> 0.410845 uW.
  const auto c = adc_cost(AdcModel::kNeuroSimSar, params(8, 65, 1e7));
  EXPECT_NEAR(c.leakage_uW, 0.410845, 1e-6);
}

TEST(CostAdc, ParseModelNames) {
  EXPECT_EQ(parse_adc_model("murmann"), AdcModel::kMurmannSurvey);
  EXPECT_EQ(parse_adc_model("sar"), AdcModel::kNeuroSimSar);
  EXPECT_EQ(parse_adc_model("flash"), AdcModel::kFlash);
  for (AdcModel m : kAllModels) EXPECT_EQ(parse_adc_model(adc_model_name(m)), m);
  EXPECT_THROW(parse_adc_model("pipeline"), ConfigError);
}

TEST(CostAdc, BadInputThrowsTypedError) {
  for (AdcModel m : kAllModels) {
    EXPECT_THROW(adc_cost(m, params(0, 65)), InvalidArgument);
    EXPECT_THROW(adc_cost(m, params(17, 65)), InvalidArgument);
    EXPECT_THROW(adc_cost(m, params(8, 90)), InvalidArgument);
    EXPECT_THROW(adc_cost(m, params(8, 65, 0.0)), InvalidArgument);
    EXPECT_THROW(adc_cost(m, params(8, 65, -1.0)), InvalidArgument);
  }
  // SAR: 8 b needs 9 cycles of 1 ns -> at most 111 MS/s.
  EXPECT_THROW(adc_cost(AdcModel::kNeuroSimSar, params(8, 65, 2e8)), InvalidArgument);
  EXPECT_THROW(adc_cost(AdcModel::kFlash, params(4, 7, 2e9)), InvalidArgument);
  EXPECT_THROW(adc_cost(AdcModel::kMurmannSurvey, params(4, 7, 1e11)), InvalidArgument);
}

}  // namespace
}  // namespace cimba::cost
