#pragma once
// The `cimba` command line: a dispatcher over subcommands (run, verify-golden, bench, config-docs).
// This is the only place that catches errors, prints them (`cimba: error: ...` on stderr) and turns
// them into exit codes: 0 success, 2 usage or configuration error (cimba::ConfigError), 1 any other
// failure.

namespace cimba::sim {

/// The whole program; main() returns its result.
int cimba_main(int argc, char** argv);

}  // namespace cimba::sim
