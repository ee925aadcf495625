// The real `cimba` binary: help, version, exit codes and the config-only paths of `run`.
#include <gtest/gtest.h>

#include <string>

#include "sim/config.hpp"
#include "sim/version.hpp"
#include "test_helpers.hpp"

namespace cimba::sim {
namespace {

using testing::Outcome;
using testing::read_text;
using testing::run_cimba;
using testing::ScratchDir;

TEST(CimbaBinary, HelpListsTheCommandsAndExitsZero) {
  ScratchDir dir;
  const Outcome help = run_cimba(dir, "--help");
  EXPECT_EQ(help.exit_code, 0) << help.err;
  for (const char* command : {"run", "verify-golden", "bench", "config-docs"}) {
    EXPECT_NE(help.out.find("\n  " + std::string(command) + " "), std::string::npos) << command;
  }
  EXPECT_EQ(help.err, "");
}

TEST(CimbaBinary, BenchListNamesTheSpeedAndMemoryBenchmarks) {
  ScratchDir dir;
  const Outcome list = run_cimba(dir, "bench --list");
  EXPECT_EQ(list.exit_code, 0) << list.err;
  for (const char* name : {"bitserial\t", "hw\t", "replay-rss\t"})
    EXPECT_NE(list.out.find(name), std::string::npos) << name;
  const Outcome unknown = run_cimba(dir, "bench no-such-bench");
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("replay-rss"), std::string::npos) << unknown.err;
}

TEST(CimbaBinary, VersionPrintsTheVersion) {
  ScratchDir dir;
  const Outcome version = run_cimba(dir, "--version");
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.out, "cimba " + std::string(kVersion) + "\n");
}

TEST(CimbaBinary, RunHelpExplainsOptionsAndExamples) {
  ScratchDir dir;
  const Outcome help = run_cimba(dir, "run --help");
  EXPECT_EQ(help.exit_code, 0) << help.err;
  for (const char* word : {"--set", "--out", "--print-config", "--quiet", "Examples:"}) {
    EXPECT_NE(help.out.find(word), std::string::npos) << word;
  }
}

// An empty or comment-only config runs all defaults, and says so (on stderr; --quiet silences it).
TEST(CimbaBinary, EmptyConfigIsAcceptedWithANote) {
  ScratchDir dir;
  const auto empty = dir.write("empty.yaml", "# nothing but a comment\n");
  const auto one = dir.write("one.yaml", "seed: 3\n");
  const Outcome printed = run_cimba(dir, "run '" + empty.string() + "' --print-config");
  EXPECT_EQ(printed.exit_code, 0) << printed.err;
  EXPECT_NE(printed.err.find("empty.yaml has no keys (empty or only comments): every key takes "
                             "its default"),
            std::string::npos)
      << printed.err;
  EXPECT_NE(printed.out.find("seed: 1"), std::string::npos);
  const Outcome quiet = run_cimba(dir, "run '" + empty.string() + "' --print-config --quiet");
  EXPECT_EQ(quiet.err, "");
  EXPECT_EQ(run_cimba(dir, "run '" + one.string() + "' --print-config").err, "");
}

TEST(CimbaBinary, NoCommandIsAUsageError) {
  ScratchDir dir;
  const Outcome none = run_cimba(dir, "");
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("Usage: cimba"), std::string::npos);
}

TEST(CimbaBinary, UnknownCommandOrOptionExitsTwoWithAHint) {
  ScratchDir dir;
  const Outcome command = run_cimba(dir, "rn");
  EXPECT_EQ(command.exit_code, 2);
  EXPECT_NE(command.err.find("cimba: error: unknown command 'rn'; did you mean 'run'?"),
            std::string::npos)
      << command.err;
  const Outcome option = run_cimba(dir, "run --frobnicate");
  EXPECT_EQ(option.exit_code, 2);
  EXPECT_NE(option.err.find("--frobnicate"), std::string::npos) << option.err;
  EXPECT_NE(option.err.find("cimba run --help"), std::string::npos) << option.err;
  const Outcome global = run_cimba(dir, "--frobnicate");
  EXPECT_EQ(global.exit_code, 2);
}

TEST(CimbaBinary, BadKeyExitsTwoAndNamesIt) {
  ScratchDir dir;
  const auto config = dir.write("bad.yaml", "hw:\n  cim:\n    adc:\n      bitz: 4\n");
  const Outcome bad = run_cimba(dir, "run '" + config.string() + "' --print-config");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(bad.out, "");
  EXPECT_NE(bad.err.find("cimba: error: " + config.string() +
                         ":4:7: hw.cim.adc.bitz: unknown key; did you mean 'bits'?"),
            std::string::npos)
      << bad.err;
}

TEST(CimbaBinary, EveryLineOfSeveralErrorsIsPrefixed) {
  ScratchDir dir;
  const Outcome bad = run_cimba(dir, "run --set hw.cim.adc.bits=0 --set quant.w_bits=1");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(bad.err,
            "cimba: error: --set: hw.cim.adc.bits: 0 is out of range (expected int in 1..16)\n"
            "cimba: error: --set: quant.w_bits: 1 is out of range (expected int in 2..8)\n");
}

TEST(CimbaBinary, MissingConfigExitsTwo) {
  ScratchDir dir;
  const Outcome missing = run_cimba(dir, "run '" + (dir.path() / "missing.yaml").string() + "'");
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("cimba: error: config file not found: "), std::string::npos)
      << missing.err;
}

TEST(CimbaBinary, ForgottenSetIsPointedOut) {
  ScratchDir dir;
  const Outcome forgotten = run_cimba(dir, "run hw.cim.adc.bits=4");
  EXPECT_EQ(forgotten.exit_code, 2);
  EXPECT_NE(forgotten.err.find("write --set hw.cim.adc.bits=4"), std::string::npos)
      << forgotten.err;
}

TEST(CimbaBinary, PrintConfigPrintsTheResolvedYamlWithoutRunning) {
  ScratchDir dir;
  const auto config = dir.write("ok.yaml", "workload:\n  linear:\n    file: a.safetensors\n");
  const auto out_dir = dir.path() / "out";
  const Outcome printed = run_cimba(dir, "run '" + config.string() +
                                             "' --set hw.cim.adc.bits=6 --print-config --out '" +
                                             out_dir.string() + "'");
  ASSERT_EQ(printed.exit_code, 0) << printed.err;
  EXPECT_FALSE(std::filesystem::exists(out_dir)) << "--print-config must not run";
  const auto reprinted = dir.write("printed.yaml", printed.out);
  const RunConfig loaded = load_run_config(reprinted, {});
  EXPECT_EQ(loaded.hw.cim.adc.bits, 6);
  EXPECT_EQ(loaded.workload.linear.file, "a.safetensors");
  EXPECT_EQ(render_config_yaml(loaded), printed.out);
}

TEST(CimbaBinary, ConfigDocsPrintsTheRenderedReference) {
  ScratchDir dir;
  const Outcome docs = run_cimba(dir, "config-docs");
  EXPECT_EQ(docs.exit_code, 0) << docs.err;
  EXPECT_EQ(docs.out, render_config_docs());
}

}  // namespace
}  // namespace cimba::sim
