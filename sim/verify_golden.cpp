// `cimba verify-golden DIR`: the golden cases of NUMERICS.md through the numerics library.
#include <boost/program_options.hpp>
#include <cstdio>
#include <iostream>

#include "models/common/error.hpp"
#include "sim/verify_golden.hpp"
#include "workloads/io/golden_numerics.hpp"
#include "workloads/io/hf_config.hpp"
#include "workloads/jit/jit_eval.hpp"
#include "workloads/mamba1/mamba_eval.hpp"
#include "workloads/io/safetensors.hpp"

namespace cimba::sim {
namespace po = boost::program_options;

int verify_golden_command(const std::vector<std::string>& args) {
  po::options_description opts(
      "cimba verify-golden DIR\n"
      "cimba verify-golden --model MODEL_DIR GOLDEN.safetensors [--tolerance REL]\n\n"
      "Runs every golden case listed in DIR/INDEX.json (safetensors cases computed by an\n"
      "independent implementation of NUMERICS.md, e.g. ../shared/data/golden-numerics) through\n"
      "cimba's numerics and prints one row per case: name, kind, the check with the worst\n"
      "error relative to its tolerance, and pass/fail. Exit code 0 only if every case passes;\n"
      "1 if a case fails or is malformed (the message names the file and the problem).\n\n"
      "With --model: runs cimba's FP32 reference of the model in MODEL_DIR (a Hugging Face\n"
      "Mamba, config.json model_type \"mamba\", on the golden's input_ids; otherwise a JiT, on\n"
      "input.z, input.t, input.y) and compares every activation the golden file holds (names as\n"
      "in the models' READMEs, any subset), one row per tensor. Default tolerance: 1e-5 for\n"
      "Mamba, 1e-4 for JiT.\n\nOptions");
  double tolerance = 0.0;
  std::string model_dir;
  opts.add_options()("help,h", "show this help")(
      "model", po::value<std::string>(&model_dir),
      "Hugging Face model folder (config.json + weights)")(
      "tolerance", po::value<double>(&tolerance),
      "with --model: largest relative L2 error ||y - g|| / ||g|| per tensor");
  po::options_description hidden;
  hidden.add_options()("dir", po::value<std::vector<std::string>>(), "");
  po::options_description all;
  all.add(opts).add(hidden);
  po::positional_options_description pos;
  pos.add("dir", -1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(args).options(all).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw ConfigError(std::string("verify-golden: ") + e.what() +
                      " (see cimba verify-golden --help)");
  }
  if (vm.count("help")) {
    std::cout << opts;
    return 0;
  }
  if (!vm.count("dir") || vm["dir"].as<std::vector<std::string>>().size() != 1)
    throw ConfigError(
        "verify-golden: expected exactly one directory (see cimba verify-golden --help)");
  const std::string dir = vm["dir"].as<std::vector<std::string>>()[0];
  if (vm.count("model")) {
    if (vm.count("tolerance") && !(tolerance > 0.0))
      throw ConfigError("verify-golden: --tolerance must be > 0");
    // Mamba checkpoints say model_type "mamba" in config.json; the JiT format has none.
    const workloads::HfConfig hf =
        workloads::HfConfig::read(std::filesystem::path(model_dir) / "config.json");
    const bool is_mamba = hf.has("model_type") && hf.is_string("model_type") &&
                          hf.get_string("model_type") == "mamba";
    if (!vm.count("tolerance")) tolerance = is_mamba ? 1e-5 : 1e-4;
    const auto rows = is_mamba ? workloads::verify_mamba_golden(model_dir, dir, tolerance)
                               : workloads::verify_jit_golden(model_dir, dir, tolerance);
    std::printf("%-26s %-16s %12s %12s %12s  %s\n", "tensor", "shape", "rel error", "max |err|",
                "tolerance", "result");
    int ok = 0;
    for (const auto& r : rows) {
      std::printf("%-26s %-16s %12.3e %12.3e %12.3e  %s\n", r.name.c_str(),
                  workloads::shape_string(r.shape).c_str(), r.rel_error, r.max_abs_error, tolerance,
                  r.pass ? "pass" : "FAIL");
      ok += r.pass;
    }
    const int failed = static_cast<int>(rows.size()) - ok;
    std::printf("%zu golden tensors: %d passed, %d failed\n", rows.size(), ok, failed);
    return failed == 0 ? 0 : 1;
  }
  const auto results = workloads::run_golden_dir(dir);
  std::printf("%-16s %-18s %-30s %12s %12s  %s\n", "case", "kind", "worst check", "error",
              "tolerance", "result");
  int passed = 0;
  for (const auto& r : results) {
    const auto& w = r.worst();
    std::printf("%-16s %-18s %-30s %12.3e %12.3e  %s\n", r.name.c_str(), r.kind.c_str(),
                w.what.c_str(), w.error, w.tolerance, r.pass() ? "pass" : "FAIL");
    passed += r.pass();
  }
  const int failed = static_cast<int>(results.size()) - passed;
  std::printf("%zu golden cases: %d passed, %d failed\n", results.size(), passed, failed);
  return failed == 0 ? 0 : 1;
}

}  // namespace cimba::sim
