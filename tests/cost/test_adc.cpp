// ADC model tests: source figures, monotonicity in bits and node, bad input.
#include <gtest/gtest.h>

#include <cmath>

#include "models/common/error.hpp"
#include "models/cost/adc.hpp"
#include "models/cost/tech.hpp"

namespace cimba::cost {
namespace {

constexpr AdcModel kAllModels[] = {AdcModel::kSurvey, AdcModel::kNeuroSimSar, AdcModel::kFlash};

AdcParams params(int bits, int node, double rate = 1e7) {
  AdcParams p;
  p.bits = bits;
  p.node_nm = node;
  p.sample_rate_Hz = rate;
  return p;
}

// The full energy E of the published model: hwcomponents-adc books 0.8 E per conversion and
// 0.2 E x rate as leakage.
double survey_total_pJ(const ComponentCost& c, double rate) {
  return c.energy_pJ + c.leakage_uW / rate * 1e6;
}

TEST(CostAdc, SurveyModelReproducesThePublishedFormula) {
  // 28 nm, 8 bits, 200 MS/s, by hand: FOMS_f = 213.78067 - 2.871903 ln(2e8) = 158.85 dB; the
  // 8-bit ceiling 128.30683 + 3.220512 x 8 = 154.0709 dB is lower. SNDR = 49.9257 dB.
  // E_base = 1 / (2 x 10^(104.1452 / 10)) = 1.92616e-11; x exp(26.04962 + 1.880037 ln 28
  // - 2.829126 ln 8 - 1.470202) = x 6.92156e10 -> 1.33324 pJ. Area: exp(1.346192 + 0.993279 ln 28
  // + 0.180715 ln 2e8 + 0.299124 ln 1.33324) = 3627.1 um^2.
  EXPECT_NEAR(survey_foms_dB(2e8, 8), 154.07093, 1e-4);
  EXPECT_NEAR(survey_sndr_dB(8), 49.9257, 1e-4);
  // The check values of docs/notes/adc-survey-model.md (28 nm): flat to ~8 bits, then steep.
  struct Check {
    int bits;
    double rate, e_pJ, a_um2;
  };
  for (const Check& k : {Check{4, 2e8, 0.71867, 3015.0}, Check{6, 2e8, 0.82863, 3146.2},
                         Check{8, 2e8, 1.3332, 3627.1}, Check{10, 2e8, 3.7428, 4939.2},
                         Check{12, 2e8, 35.752, 9701.3}, Check{10, 1e9, 10.849, 9083.0},
                         Check{12, 1e9, 103.64, 17840.0}}) {
    const auto c = adc_cost(AdcModel::kSurvey, params(k.bits, 28, k.rate));
    EXPECT_NEAR(survey_total_pJ(c, k.rate), k.e_pJ, 1e-3 * k.e_pJ) << k.bits << " " << k.rate;
    EXPECT_NEAR(c.area_um2, k.a_um2, 1e-3 * k.a_um2) << k.bits << " " << k.rate;
    EXPECT_NEAR(c.energy_pJ, 0.8 * survey_total_pJ(c, k.rate), 1e-9);
    EXPECT_NEAR(c.latency_ns, 1e9 / k.rate, 1e-9);
  }
  // 32 nm, 200 MS/s, 8 bits: 1.7137 pJ; 65 nm: 6.4945 pJ, 13445 um^2 (the node slope).
  EXPECT_NEAR(survey_total_pJ(adc_cost(AdcModel::kSurvey, params(8, 32, 2e8)), 2e8), 1.7137, 2e-3);
  const auto c65 = adc_cost(AdcModel::kSurvey, params(8, 65, 2e8));
  EXPECT_NEAR(survey_total_pJ(c65, 2e8), 6.4945, 5e-3);
  EXPECT_NEAR(c65.area_um2, 13445.0, 15.0);
}

TEST(CostAdc, NeuroSimSarReproducesItsFitAt65nmWithItsCapacitorDac) {
  // NeuroSim V1.3 SarADC, HP 65 nm: P = 2.9503 * 8 + 22.047 = 45.6494 uW; E = P * (8 + 1) * 1 ns
  // = 410.845 fJ.
  const auto c = adc_cost(AdcModel::kNeuroSimSar, params(8, 65));
  EXPECT_NEAR(c.energy_pJ, 0.410845, 1e-6);
  EXPECT_NEAR(c.latency_ns, 100.0, 1e-9);  // the slot at 1e7 S/s
  EXPECT_DOUBLE_EQ(adc_conversion_ns(AdcModel::kNeuroSimSar, 8), 9.0);  // N + 1 cycles at 1 GHz
  EXPECT_DOUBLE_EQ(adc_conversion_ns(AdcModel::kSurvey, 10), 11.0);
  EXPECT_DOUBLE_EQ(adc_conversion_ns(AdcModel::kFlash, 4), 1.0);
  // Area: (269 + 7*109) + (209 + 7*73) = 1752 transistors x (36/224 um^2 at 45 nm) x (1/0.66)
  // = 426.623 um^2, plus Kull's 8-bit capacitor DAC 728.2 um^2, doubling per bit.
  EXPECT_NEAR(c.area_um2, 426.623 + 728.2, 1e-2);
  EXPECT_DOUBLE_EQ(sar_cap_dac_area_um2(10), 4 * 728.2);
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
      for (int b = m == AdcModel::kSurvey ? 4 : 1; b < 16; ++b) {
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
      EXPECT_LT(small.energy_pJ, big.energy_pJ) << adc_model_name(m) << " " << nodes[i];
    }
  }
}

TEST(CostAdc, LeakageIsWhatEachSourceBooks) {
  // survey (hwcomponents-adc): 0.2 E x rate; NeuroSim's SAR and flash: no ADC leakage.
  const auto s = adc_cost(AdcModel::kSurvey, params(8, 28, 2e8));
  EXPECT_NEAR(s.leakage_uW, 0.2 * 1.3332 * 2e8 * 1e-6, 1e-2);
  EXPECT_EQ(adc_cost(AdcModel::kNeuroSimSar, params(8, 65, 1e7)).leakage_uW, 0.0);
  EXPECT_EQ(adc_cost(AdcModel::kFlash, params(4, 7, 1e7)).leakage_uW, 0.0);
}

TEST(CostAdc, ParseModelNames) {
  EXPECT_EQ(parse_adc_model("survey"), AdcModel::kSurvey);
  try {
    parse_adc_model("murmann");
    ADD_FAILURE() << "murmann accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("replaced by 'survey'"), std::string::npos) << e.what();
  }
  EXPECT_EQ(parse_adc_model("sar"), AdcModel::kNeuroSimSar);
  EXPECT_EQ(parse_adc_model("flash"), AdcModel::kFlash);
  for (AdcModel m : kAllModels) EXPECT_EQ(parse_adc_model(adc_model_name(m)), m);
  EXPECT_THROW(parse_adc_model("pipeline"), ConfigError);
}

TEST(CostAdc, BadInputThrowsTypedError) {
  for (AdcModel m : kAllModels) {
    EXPECT_THROW(adc_cost(m, params(0, 65)), InvalidArgument);
    EXPECT_THROW(adc_cost(m, params(17, 65)), InvalidArgument);
    EXPECT_THROW(adc_cost(m, params(8, m == AdcModel::kSurvey ? 300 : 90)), InvalidArgument);
    EXPECT_THROW(adc_cost(m, params(8, 65, 0.0)), InvalidArgument);
    EXPECT_THROW(adc_cost(m, params(8, 65, -1.0)), InvalidArgument);
  }
  // SAR: 8 b needs 9 cycles of 1 ns -> at most 111 MS/s.
  EXPECT_THROW(adc_cost(AdcModel::kNeuroSimSar, params(8, 65, 2e8)), InvalidArgument);
  EXPECT_THROW(adc_cost(AdcModel::kFlash, params(4, 7, 2e9)), InvalidArgument);
  EXPECT_THROW(adc_cost(AdcModel::kSurvey, params(4, 7, 1e11)), InvalidArgument);
  EXPECT_THROW(adc_cost(AdcModel::kSurvey, params(3, 28)), InvalidArgument);  // fitted >= 4 b
}

}  // namespace
}  // namespace cimba::cost
