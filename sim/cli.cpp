// Subcommand dispatcher of the `cimba` executable.
#include "sim/cli.hpp"

#include <boost/program_options.hpp>

#include <filesystem>
#include <functional>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "models/common/error.hpp"
#include "sim/bench.hpp"
#include "sim/config.hpp"
#include "sim/config_schema.hpp"
#include "sim/cost_command.hpp"
#include "sim/run.hpp"
#include "sim/run_config.hpp"
#include "sim/sweep.hpp"
#include "sim/verify_golden.hpp"
#include "sim/version.hpp"

// sweep, verify-golden, bench, cost and validate get their arguments untouched and parse their own
// options (including --help).
namespace cimba::sim {

namespace {

namespace po = boost::program_options;

constexpr unsigned kHelpWidth = 100;  // columns of --help text

struct Command {
  std::string name;
  std::string summary;
  bool maintenance;  // listed apart in `cimba --help`
  std::function<int(const std::vector<std::string>&)> handler;
};

std::string usage_hint(const std::string& command) {
  return "run 'cimba " + (command.empty() ? std::string() : command + " ") + "--help' for usage";
}

/// Parses `args` with `options`; Boost's errors become ConfigError with a usage hint.
po::variables_map parse_options(const std::vector<std::string>& args,
                                const po::options_description& options,
                                const po::positional_options_description& positional,
                                const std::string& command) {
  po::variables_map values;
  try {
    po::store(po::command_line_parser(args).options(options).positional(positional).run(), values);
    po::notify(values);
  } catch (const po::error& e) {
    throw ConfigError(std::string(e.what()) + "; " + usage_hint(command));
  }
  return values;
}

int run_main(const std::vector<std::string>& args) {
  po::options_description visible("Options", kHelpWidth, kHelpWidth / 2);
  visible.add_options()  //
      ("set", po::value<std::vector<std::string>>()->value_name("KEY=VALUE")->composing(),
       "override one config key, e.g. --set hw.cim.adc.bits=8 (repeatable; the last one wins; "
       "validated like the file)")  //
      ("out", po::value<std::string>()->value_name("DIR")->default_value("cimba-out"),
       "directory the results are written to")  //
      ("print-config", po::bool_switch(),
       "print the resolved config (YAML, every key) to stdout and exit without running")  //
      ("quiet,q", po::bool_switch(), "print nothing but errors")                          //
      ("help,h", "show this help");
  po::options_description hidden;
  hidden.add_options()("config", po::value<std::vector<std::string>>(), "config file");
  po::options_description all;
  all.add(visible).add(hidden);
  po::positional_options_description positional;
  positional.add("config", -1);
  const po::variables_map values = parse_options(args, all, positional, "run");

  if (values.count("help") != 0) {
    std::cout
        << "Usage: cimba run [CONFIG.yaml] [--set KEY=VALUE ...] [--out DIR] [--print-config] "
           "[--quiet]\n\n"
           "Simulates one configuration: loads the workload, calibrates it, runs it on the "
           "modelled\naccelerator and writes the results (with the resolved config) into "
           "DIR.\nKeys missing from CONFIG.yaml keep their defaults; every key, its default "
           "and range are\nlisted in docs/config.md (also printed by 'cimba config-docs').\n\n"
        << visible
        << "\nExamples:\n"
           "  cimba run                                  (the built-in Mamba workload)\n"
           "  cimba run configs/default-mamba.yaml --set hw.cim.adc.bits=8 --out out/adc8\n"
           "  cimba run --set workload.kind=linear --set "
           "workload.linear.file=layer.safetensors --print-config > my.yaml\n"
           "\nExit status: 0 success, 2 invalid configuration or usage, 1 any other "
           "failure.\n";
    return 0;
  }

  std::optional<std::filesystem::path> config_file;
  if (values.count("config") != 0) {
    const auto& files = values["config"].as<std::vector<std::string>>();
    if (files.size() > 1) {
      throw ConfigError("expected at most one config file, got " + std::to_string(files.size()) +
                        " ('" + files[0] + "', '" + files[1] + "', ...); " + usage_hint("run"));
    }
    config_file = files.front();
    std::error_code error;
    if (files.front().find('=') != std::string::npos &&
        !std::filesystem::exists(*config_file, error)) {
      throw ConfigError("config file not found: " + files.front() +
                        " (to override a key, write --set " + files.front() + ")");
    }
  }
  const std::vector<std::string> overrides = values.count("set") != 0
                                                 ? values["set"].as<std::vector<std::string>>()
                                                 : std::vector<std::string>{};

  const RunConfig config = load_run_config(config_file, overrides);
  // An empty or comment-only file is valid (every key takes its default), but rarely meant.
  if (config_file && !values["quiet"].as<bool>() && read_yaml_file(*config_file).entries().empty())
    std::cerr << "cimba: note: " << config_file->string()
              << " has no keys (empty or only comments): every key takes its default "
                 "(docs/config.md)\n";
  if (values["print-config"].as<bool>()) {
    std::cout << render_config_yaml(config);
    return 0;
  }
  return run_command(config, values["out"].as<std::string>(), values["quiet"].as<bool>());
}

int config_docs_main(const std::vector<std::string>& args) {
  po::options_description visible("Options");
  visible.add_options()("help,h", "show this help");
  const po::variables_map values =
      parse_options(args, visible, po::positional_options_description{}, "config-docs");
  if (values.count("help") != 0) {
    std::cout << "Usage: cimba config-docs\n\n"
                 "Prints the Markdown reference of every config key, generated from the schema.\n"
                 "Maintenance command: regenerate the checked-in page after changing the schema "
                 "with\n  cimba config-docs > docs/config.md\n\n"
              << visible;
    return 0;
  }
  std::cout << render_config_docs();
  return 0;
}

const std::vector<Command>& commands() {
  static const std::vector<Command> table = {
      {"run", "simulate one configuration and write its results", false, run_main},
      {"sweep", "run many configurations (grid / zip over config keys) in parallel", false,
       sweep_command},
      {"verify-golden", "compare the simulator with the golden reference cases", false,
       verify_golden_command},
      {"bench", "run the performance micro-benchmarks", false, bench_command},
      {"cost", "print the area and per-action energy table of an accelerator", false, cost_command},
      {"validate", "compare the cost models with published silicon CIM macros", false,
       validate_command},
      {"config-docs", "print the config reference (docs/config.md) generated from the schema", true,
       config_docs_main},
  };
  return table;
}

void print_usage(std::ostream& out, const po::options_description& options) {
  out << "cimba " << kVersion
      << ": accuracy, area, energy and latency of quantized Mamba / DiT layers on a\n"
         "compute-in-memory accelerator.\n\n"
         "Usage: cimba [--help] [--version] <command> [<args>]\n\nCommands:\n";
  auto list = [&](bool maintenance) {
    for (const Command& command : commands()) {
      if (command.maintenance != maintenance) continue;
      out << "  " << command.name << std::string(16 - command.name.size(), ' ') << command.summary
          << "\n";
    }
  };
  list(false);
  out << "\nMaintenance:\n";
  list(true);
  out << "\n"
      << options
      << "\nRun 'cimba <command> --help' for the options of a command, e.g. 'cimba run --help'.\n";
}

int dispatch(int argc, char** argv) {
  // Options before the command are cimba's own; everything after it belongs to the command.
  std::vector<std::string> global_args;
  int command_index = 1;
  while (command_index < argc && argv[command_index][0] == '-') {
    global_args.emplace_back(argv[command_index++]);
  }

  po::options_description options("Options");
  options.add_options()("help,h", "show this help")("version", "print the version");
  const po::variables_map values =
      parse_options(global_args, options, po::positional_options_description{}, "");
  if (values.count("help") != 0) {
    print_usage(std::cout, options);
    return 0;
  }
  if (values.count("version") != 0) {
    std::cout << "cimba " << kVersion << "\n";
    return 0;
  }
  if (command_index >= argc) {
    print_usage(std::cerr, options);
    return 2;
  }

  const std::string name = argv[command_index];
  const std::vector<std::string> command_args(argv + command_index + 1, argv + argc);
  std::vector<std::string> names;
  for (const Command& command : commands()) {
    if (command.name == name) return command.handler(command_args);
    names.push_back(command.name);
  }
  std::string message = "unknown command '" + name + "'";
  if (auto guess = schema::closest_match(name, names))
    message += "; did you mean '" + *guess + "'?";
  std::string listed;
  for (const std::string& known : names) listed += (listed.empty() ? "" : ", ") + known;
  throw ConfigError(message + " (commands: " + listed + "); " + usage_hint(""));
}

}  // namespace

namespace {

/// Prints an error; every line of a multi-line message gets the prefix.
void print_error(const std::string& prefix, const std::string& message) {
  std::string text = prefix + message;
  for (std::size_t at = text.find('\n'); at != std::string::npos; at = text.find('\n', at + 1)) {
    text.insert(at + 1, prefix);
  }
  std::cerr << text << "\n";
}

}  // namespace

int cimba_main(int argc, char** argv) {
  try {
    return dispatch(argc, argv);
  } catch (const ConfigError& e) {
    print_error("cimba: error: ", e.what());
    return 2;
  } catch (const Error& e) {
    print_error("cimba: error: ", e.what());
    return 1;
  } catch (const std::exception& e) {
    print_error("cimba: internal error: ", e.what());
    return 1;
  }
}

}  // namespace cimba::sim
