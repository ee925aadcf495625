// The `threads` and `slice_kernel` keys: they reach the bit-serial linears, and a run's results do
// not depend on either.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "models/common/error.hpp"
#include "models/numerics/parallel.hpp"
#include "models/numerics/slice_kernels.hpp"
#include "sim/config.hpp"
#include "sim/numerics_config.hpp"
#include "sim/run.hpp"

namespace cimba::sim {
namespace {

std::vector<std::string> linear(std::vector<std::string> sets) {
  sets.insert(sets.begin(),
              {"workload.kind=linear", "quant.a_range=dynamic", "hw.cim.adc.range=dynamic"});
  return sets;
}

// The run's result without the two keys that may differ (they are recorded in the config).
std::string result_without_threads_and_kernel(nlohmann::json result) {
  result["config"].erase("threads");
  result["config"].erase("slice_kernel");
  return result.dump();
}

TEST(Threads, KeysReachTheBitSerialSettings) {
  const RunConfig defaults = load_run_config(std::nullopt, linear({}));
  EXPECT_EQ(defaults.threads, 0);
  EXPECT_EQ(defaults.slice_kernel, numerics::SliceKernel::Auto);
  // threads 0: every CPU the process may use.
  EXPECT_EQ(cim_linear_config(defaults, {}, 0).threads, numerics::available_cpus());
  EXPECT_GE(numerics::available_cpus(), 1);
  const RunConfig set =
      load_run_config(std::nullopt, linear({"threads=3", "slice_kernel=reference"}));
  const numerics::BitSerialConfig bs = cim_linear_config(set, {}, 0);
  EXPECT_EQ(bs.threads, 3);
  EXPECT_EQ(bs.kernel, numerics::SliceKernel::Reference);
  EXPECT_THROW(load_run_config(std::nullopt, linear({"threads=-1"})), ConfigError);
  EXPECT_THROW(load_run_config(std::nullopt, linear({"slice_kernel=avx512"})), ConfigError);
}

TEST(Threads, RunResultsAreByteIdenticalForAnyThreadCountAndKernel) {
  // Noise on, so that the noise streams' keys are checked too.
  const std::vector<std::string> base = linear({"hw.cim.adc.noise_lsb=0.7", "seed=5"});
  auto run = [&](const std::string& threads, const std::string& kernel) {
    std::vector<std::string> sets = base;
    sets.push_back("threads=" + threads);
    sets.push_back("slice_kernel=" + kernel);
    return execute_run(load_run_config(std::nullopt, sets));
  };
  const RunOutput one = run("1", "reference");
  for (const std::string kernel : {"auto", "reference"})
    for (const std::string threads : {"1", "2", "3"}) {
      const RunOutput out = run(threads, kernel);
      EXPECT_EQ(result_without_threads_and_kernel(out.result),
                result_without_threads_and_kernel(one.result))
          << kernel << ", threads " << threads;
      EXPECT_EQ(out.layers_csv, one.layers_csv) << kernel << ", threads " << threads;
    }
}

}  // namespace
}  // namespace cimba::sim
