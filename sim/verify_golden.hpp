#pragma once
// `cimba verify-golden`: golden cases of NUMERICS.md (and, with --model, a model's golden
// activations) through cimba's own code.
#include <string>
#include <vector>

namespace cimba::sim {

/// Entry point after the subcommand name; returns the exit code (0 only if all pass).
int verify_golden_command(const std::vector<std::string>& args);

}  // namespace cimba::sim
