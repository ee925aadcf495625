#pragma once
// `cimba cost` and `cimba validate`: the cost-model library (models/cost) on the command line.
//
//   cimba cost [--node N --adc-bits B --adc-model M --rows R --cols C --macros K ...]
//     Prints the per-component area / per-action energy table of one accelerator
//     (cimba::cost::AcceleratorDesc built from the options; every option has a documented
//     default). Exit 0; a bad value throws cimba::ConfigError (exit 2) naming the option and the
//     allowed range.
//   cimba validate
//     Prints cimba's figures next to the published figures of two silicon CIM macros, with the
//     error, whether each figure was fitted or predicted, and which macro the calibration was
//     fitted on. Exit 0 when every gated figure is within 25 %, else 1.
#include <string>
#include <vector>

#include "models/cost/report.hpp"

namespace cimba::sim {

/// Parses the `cimba cost` options into an accelerator description (no printing); throws
/// cimba::ConfigError on unknown options or out-of-range values. Exposed for tests.
cost::AcceleratorDesc parse_cost_options(const std::vector<std::string>& args);

/// Entry points of the two subcommands (arguments after the command name); return the exit code.
int cost_command(const std::vector<std::string>& args);
int validate_command(const std::vector<std::string>& args);

}  // namespace cimba::sim
