// Technology scaling (Stillmaker & Baas 2017) tests.
#include <gtest/gtest.h>

#include "models/common/error.hpp"
#include "models/cost/tech.hpp"

namespace cimba::cost {
namespace {

TEST(CostTech, SupportedNodesIncludeTheRequiredSet) {
  for (int n : {7, 16, 22, 28, 45, 65}) EXPECT_NO_THROW(check_node(n)) << n;
}

TEST(CostTech, EnergyFactorReproducesPublishedCorrigendum) {
  // The authors' corrigendum: EnergyFactor_y = 3.755(1.3)^2 - 4.398(1.3) + 1.975 = 2.604 (65 nm).
  // 3.755 * 1.69 = 6.34595; 4.398 * 1.3 = 5.7174; 6.34595 - 5.7174 + 1.975 = 2.60355.
  EXPECT_NEAR(energy_factor(65, 1.3), 2.60355, 1e-9);
  // 65 nm at 0.85 V: 3.755 * 0.7225 - 4.398 * 0.85 + 1.975 = 2.7129875 - 3.7383 + 1.975.
  EXPECT_NEAR(energy_factor(65, 0.85), 0.9496875, 1e-9);
  // HP45 at 0.9 V (Horowitz reference): 1.018 * 0.81 - 0.3107 * 0.9 + 0.1539
  // = 0.82458 - 0.27963 + 0.1539 = 0.69885.
  EXPECT_NEAR(energy_factor(45, 0.9), 0.69885, 1e-9);
}

TEST(CostTech, TwentyEightNanometreIsInterpolatedBetween32And20) {
  // HP32(0.9) = 0.8367*0.81 - 0.4341*0.9 + 0.1701 = 0.457137 (the corrigendum's 0.4571);
  // HP20(0.9) = 0.373*0.81 - 0.1582*0.9 + 0.04104 = 0.20079;
  // 28 nm is 1/3 of the way from 32 to 20: 0.457137 + (0.20079 - 0.457137)/3 = 0.3716880.
  EXPECT_NEAR(energy_factor(28, 0.9), 0.371688, 1e-6);
}

TEST(CostTech, SmallerNodeMeansLessEnergyAndArea) {
  const auto& nodes = supported_nodes_nm();  // ascending: 7 ... 65
  for (double v : {0.6, 0.8, 0.9, 1.1, 1.3}) {
    for (std::size_t i = 0; i + 1 < nodes.size(); ++i) {
      EXPECT_LT(energy_factor(nodes[i], v), energy_factor(nodes[i + 1], v))
          << nodes[i] << " nm vs " << nodes[i + 1] << " nm at " << v << " V";
      EXPECT_LT(area_scale(45, nodes[i]), area_scale(45, nodes[i + 1]));
    }
  }
}

TEST(CostTech, ScalesAreIdentityAtTheSamePointAndInvertible) {
  EXPECT_DOUBLE_EQ(energy_scale(45, 0.9, 45, 0.9), 1.0);
  EXPECT_DOUBLE_EQ(area_scale(16, 16), 1.0);
  EXPECT_NEAR(area_scale(45, 7) * area_scale(7, 45), 1.0, 1e-12);
  // Paper's area table, 45 nm -> 7 nm: divide by 17.
  EXPECT_NEAR(area_scale(45, 7), 1.0 / 17.0, 1e-12);
  EXPECT_NEAR(delay_scale(45, 0.9, 45, 0.9), 1.0, 1e-12);
  EXPECT_LT(delay_scale(45, 0.9, 7, 0.9), 1.0);  // 7 nm gates are faster
}

TEST(CostTech, HigherSupplyCostsMoreEnergy) {
  for (int n : supported_nodes_nm()) EXPECT_GT(energy_factor(n, 1.0), energy_factor(n, 0.7)) << n;
}

TEST(CostTech, BadInputThrowsTypedError) {
  EXPECT_THROW(check_node(5), InvalidArgument);
  EXPECT_THROW(check_node(32), InvalidArgument);  // not in the supported set
  EXPECT_THROW(energy_factor(45, 0.3), InvalidArgument);
  EXPECT_THROW(energy_factor(45, 1.5), InvalidArgument);
  EXPECT_THROW(delay_scale(45, 1.25, 7, 0.9), InvalidArgument);
  EXPECT_THROW(check_tech(TechPoint{7, 0.8, 0.0}), InvalidArgument);
}

}  // namespace
}  // namespace cimba::cost
