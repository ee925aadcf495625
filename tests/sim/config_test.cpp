// Config loading: defaults, overrides, every class of error, rendering and the generated docs.
#include "sim/config.hpp"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "models/common/error.hpp"
#include "sim/config_schema.hpp"
#include "sim/run_config.hpp"
#include "test_helpers.hpp"

namespace cimba::sim {
namespace {

using testing::error_message;
using testing::read_text;
using testing::ScratchDir;

// workload.kind mamba is the default; these tests are about the linear workload's keys.
const std::string kFile = "workload:\n  kind: linear\n  linear: {file: layer.safetensors}\n";

/// Loads YAML text as if it were the file "config.yaml", then the --set overrides.
RunConfig load_text(const std::string& yaml, const std::vector<std::string>& sets = {}) {
  RawConfig raw = parse_yaml_text(yaml, "config.yaml");
  for (const std::string& set : sets) raw.override_with(parse_set_override(set));
  return build_run_config(raw);
}

std::string config_error(const std::string& yaml, const std::vector<std::string>& sets = {}) {
  return error_message<ConfigError>([&] { load_text(yaml, sets); });
}

// ---- Values ---------------------------------------------------------------------------------

TEST(ConfigLoad, AbsentKeysTakeTheDefaultsOfRunConfig) {
  const RunConfig config = load_text(kFile);
  const RunConfig defaults;
  EXPECT_EQ(config.workload.linear.file, "layer.safetensors");
  EXPECT_EQ(config.seed, defaults.seed);
  EXPECT_EQ(config.workload.linear.weight, "W");
  EXPECT_EQ(config.quant.w_bits, 8);
  EXPECT_EQ(config.quant.a_bits, 12);
  EXPECT_EQ(config.quant.a_range, RangeMode::Static);  // the default Mamba run calibrates
  EXPECT_EQ(config.hw.cim.adc.bits, 10);
  EXPECT_EQ(config.hw.cim.adc.range, AdcRangeMode::Static);
  EXPECT_EQ(config.hw.cim.rows_per_adc, 0);
  EXPECT_EQ(config.calib.observer, ObserverKind::Absmax);
  EXPECT_DOUBLE_EQ(config.calib.percentile_alpha, 0.9995);

  RunConfig expected;
  expected.workload.kind = WorkloadKind::Linear;
  expected.workload.linear.file = "layer.safetensors";
  EXPECT_EQ(config_to_json(config), config_to_json(expected));
}

TEST(ConfigLoad, FileValuesReachTheirFields) {
  const RunConfig config =
      load_text(kFile +
                "seed: 42\n"
                "quant:\n  w_bits: 7\n  w_clip_pct: 99.99\n  a_range: static\n"
                "hw:\n  cim:\n    rows_per_adc: 128\n"
                "    adc: {bits: 6, range: bypass, noise_lsb: 0.5, enob: 5.5}\n"
                "calib:\n  observer: percentile_ema\n  batch_rows: 64\n");
  EXPECT_EQ(config.seed, 42u);
  EXPECT_EQ(config.quant.w_bits, 7);
  EXPECT_DOUBLE_EQ(config.quant.w_clip_pct, 99.99);
  EXPECT_EQ(config.quant.a_range, RangeMode::Static);
  EXPECT_EQ(config.hw.cim.rows_per_adc, 128);
  EXPECT_EQ(config.hw.cim.adc.bits, 6);
  EXPECT_EQ(config.hw.cim.adc.range, AdcRangeMode::Bypass);
  EXPECT_DOUBLE_EQ(config.hw.cim.adc.noise_lsb, 0.5);
  EXPECT_DOUBLE_EQ(config.hw.cim.adc.enob, 5.5);
  EXPECT_EQ(config.calib.observer, ObserverKind::PercentileEma);
  EXPECT_EQ(config.calib.batch_rows, 64);
}

TEST(ConfigLoad, DottedYamlKeysEqualNestedOnes) {
  const RunConfig config = load_text(kFile + "hw.cim.adc.bits: 5\n");
  EXPECT_EQ(config.hw.cim.adc.bits, 5);
}

TEST(ConfigLoad, SetOverridesTheFileAndTheLastSetWins) {
  const RunConfig config =
      load_text(kFile + "hw:\n  cim:\n    adc:\n      bits: 6\n      range: static\n",
                {"hw.cim.adc.bits=4", "quant.a_bits=16", "quant.a_bits=14"});
  EXPECT_EQ(config.hw.cim.adc.bits, 4);
  EXPECT_EQ(config.hw.cim.adc.range, AdcRangeMode::Static);  // untouched by --set
  EXPECT_EQ(config.quant.a_bits, 14);
}

TEST(ConfigLoad, SetAloneNeedsNoFileAndKeepsEverythingAfterTheFirstEquals) {
  const RunConfig config = load_run_config(
      std::nullopt, {"workload.linear.file=dir/a=b.safetensors", "workload.linear.bias="});
  EXPECT_EQ(config.workload.linear.file, "dir/a=b.safetensors");
  EXPECT_EQ(config.workload.linear.bias, "");
}

TEST(ConfigLoad, SetValuesOfNumbersAndEnumsIgnoreSurroundingBlanks) {
  const RunConfig config = load_text(
      kFile, {"hw.cim.adc.bits= 4", "hw.cim.adc.range=static ", "workload.linear.name= a"});
  EXPECT_EQ(config.hw.cim.adc.bits, 4);
  EXPECT_EQ(config.hw.cim.adc.range, AdcRangeMode::Static);
  EXPECT_EQ(config.workload.linear.name, " a");  // strings are taken verbatim
}

TEST(ConfigLoad, ReadsAFileFromDisk) {
  ScratchDir dir;
  const auto file = dir.write("run.yaml", kFile + "hw:\n  cim:\n    adc:\n      bits: 9\n");
  const RunConfig config = load_run_config(file, {"quant.w_bits=4"});
  EXPECT_EQ(config.hw.cim.adc.bits, 9);
  EXPECT_EQ(config.quant.w_bits, 4);
}

TEST(ConfigLoad, EmptyFileMeansAllDefaults) {
  const RunConfig config = load_text("", {"workload.linear.file=x"});
  EXPECT_EQ(config.hw.cim.adc.bits, RunConfig{}.hw.cim.adc.bits);
}

// ---- Unknown keys ---------------------------------------------------------------------------

TEST(ConfigErrors, UnknownKeyNamesPathLineColumnSuggestionAndValidKeys) {
  const std::string yaml = kFile +             // lines 1-3
                           "hw:\n"             // line 4
                           "  cim:\n"          // line 5
                           "    adc:\n"        // line 6
                           "      bitz: 4\n";  // line 7, key at column 7
  EXPECT_EQ(config_error(yaml),
            "config.yaml:7:7: hw.cim.adc.bitz: unknown key; did you mean 'bits'? "
            "(valid keys here: bits, conversion_ns, enob, model, noise_lsb, range)");
}

TEST(ConfigErrors, UnknownKeyThroughSetShowsSetAsTheSource) {
  EXPECT_EQ(config_error(kFile, {"hw.cim.adc.bitz=4"}),
            "--set: hw.cim.adc.bitz: unknown key; did you mean 'bits'? "
            "(valid keys here: bits, conversion_ns, enob, model, noise_lsb, range)");
}

TEST(ConfigErrors, UnknownSectionIsReportedOnceAtItsOwnLevel) {
  const std::string message = config_error(kFile + "hardware:\n  cim:\n    adc:\n      bits: 4\n");
  EXPECT_EQ(
      message,
      "config.yaml:4:1: hardware: unknown key (valid keys at the top level: calib, hw, quant, "
      "seed, slice_kernel, ssm, threads, workload)");
}

TEST(ConfigErrors, KeyInTheWrongSectionSuggestsItsFullPath) {
  const std::string message = config_error(kFile + "quant:\n  rows_per_adc: 64\n");
  EXPECT_NE(message.find("config.yaml:5:3: quant.rows_per_adc: unknown key; did you mean "
                         "'hw.cim.rows_per_adc'?"),
            std::string::npos)
      << message;
}

TEST(ConfigErrors, HostileYamlFailsFastWithAMessage) {
  // A stray ',' made yaml-cpp's LoadAll yield empty documents forever (a hang growing memory).
  EXPECT_EQ(config_error(","),
            "config.yaml: expected one YAML document, found more (a line '---' starts another; "
            "so does a stray ',' or ']' at the top level)");
  EXPECT_NE(config_error(kFile + ",\n").find("config.yaml"), std::string::npos);
  EXPECT_NE(config_error("a: 1\n---\nb: 2\n").find("expected one YAML document"),
            std::string::npos);
  // A self-referencing alias overflowed the stack while flattening.
  EXPECT_NE(config_error("hw: &x\n  cim: *x\n").find("a YAML alias that refers to itself?"),
            std::string::npos);
  EXPECT_NO_THROW(load_text(""));  // empty: every default
}

TEST(ConfigErrors, InvalidUtf8ValueIsRejectedAtValidationNamingTheKey) {
  // It passed validation, the whole run was computed, then writing result.json (UTF-8 JSON)
  // failed with "internal error".
  EXPECT_EQ(config_error("workload:\n  kind: linear\n  linear: {file: \"a\xff.safetensors\"}\n"),
            "config.yaml:3:18: workload.linear.file: the value is not valid UTF-8 (byte 2 of 14)");
  EXPECT_NE(config_error(kFile, {"workload.linear.weight=w\xc3"})
                .find("--set: workload.linear.weight: the value is not valid UTF-8 (byte 2 of 2)"),
            std::string::npos);
  // Overlong forms and surrogates are not UTF-8 either; real multi-byte text is.
  EXPECT_NE(config_error(kFile, {"workload.linear.weight=\xc0\xaf"}).find("not valid UTF-8"),
            std::string::npos);
  EXPECT_NE(config_error(kFile, {"workload.linear.weight=\xed\xa0\x80"}).find("not valid UTF-8"),
            std::string::npos);
  EXPECT_EQ(load_text(kFile, {"workload.linear.weight=gewicht_\xc3\xa4_\xf0\x9f\x99\x82"})
                .workload.linear.weight,
            "gewicht_\xc3\xa4_\xf0\x9f\x99\x82");
}

TEST(ConfigErrors, SeveralProblemsAreReportedTogether) {
  const std::string message = config_error(kFile + "seeed: 3\nquant:\n  w_bits: 9\n");
  EXPECT_NE(message.find("config.yaml:4:1: seeed: unknown key; did you mean 'seed'?"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("\nconfig.yaml:6:11: quant.w_bits: 9 is out of range"), std::string::npos)
      << message;
}

// ---- Wrong types, ranges and shapes ---------------------------------------------------------

TEST(ConfigErrors, WrongTypeNamesKeyValueAndExpectation) {
  EXPECT_EQ(config_error(kFile + "quant:\n  w_bits: eight\n"),
            "config.yaml:5:11: quant.w_bits: 'eight' is not an integer (expected int in 2..8)");
  EXPECT_EQ(config_error(kFile, {"hw.cim.adc.bits=4.5"}),
            "--set: hw.cim.adc.bits: '4.5' is not an integer (expected int in 1..16)");
  EXPECT_EQ(config_error(kFile, {"hw.cim.adc.noise_lsb=lots"}),
            "--set: hw.cim.adc.noise_lsb: 'lots' is not a finite number (expected float >= 0)");
  EXPECT_EQ(config_error(kFile, {"calib.ema_sigma=.nan"}),
            "--set: calib.ema_sigma: '.nan' is not a finite number (expected float in (0, 1])");
}

TEST(ConfigErrors, AdcBitsOutsideOneToSixteen) {
  EXPECT_EQ(config_error(kFile + "hw:\n  cim:\n    adc:\n      bits: 0\n"),
            "config.yaml:7:13: hw.cim.adc.bits: 0 is out of range (expected int in 1..16)");
  EXPECT_EQ(config_error(kFile, {"hw.cim.adc.bits=17"}),
            "--set: hw.cim.adc.bits: 17 is out of range (expected int in 1..16)");
  EXPECT_EQ(load_text(kFile, {"hw.cim.adc.bits=1"}).hw.cim.adc.bits, 1);
  EXPECT_EQ(load_text(kFile, {"hw.cim.adc.bits=16"}).hw.cim.adc.bits, 16);
}

TEST(ConfigErrors, CimEncodingCombinationsNameTheirKeys) {
  // NUMERICS.md 2.7: sign-magnitude inputs are plain digits.
  EXPECT_EQ(config_error(kFile, {"quant.slice_bits=8", "quant.overlap_bits=4",
                                 "quant.input_encoding=sign_magnitude"}),
            "--set: quant.input_encoding: sign_magnitude needs quant.overlap_bits 0 (plain digits "
            "of |x_q|), but quant.overlap_bits is 4");
  EXPECT_EQ(load_text(kFile, {"quant.input_encoding=sign_magnitude", "quant.overlap_bits=0"})
                .quant.input_encoding,
            InputEncodingMode::SignMagnitude);
  // 2.8: a digit column is no wider than the weights, globally or per linear type.
  EXPECT_EQ(config_error(kFile, {"quant.weight_slice_bits=8", "quant.w_bits=7"}),
            "--set: quant.weight_slice_bits: 8 must be <= quant.w_bits (which is 7)");
  EXPECT_EQ(config_error(kFile, {"quant.weight_slice_bits=4", "quant.layers.x_proj.w_bits=3"}),
            "--set: quant.weight_slice_bits: 4 must be <= quant.layers.x_proj.w_bits (which is 3)");
  EXPECT_EQ(config_error(kFile, {"quant.weight_slice_bits=9"}),
            "--set: quant.weight_slice_bits: 9 is out of range (expected int in 0..8)");
  EXPECT_EQ(config_error(kFile, {"quant.weight_encoding=ternary"})
                .find("--set: quant.weight_encoding: 'ternary'"),
            0u);
  const RunConfig ok =
      load_text(kFile, {"quant.weight_slice_bits=2", "quant.weight_encoding=differential"});
  EXPECT_EQ(ok.quant.weight_slice_bits, 2);
  EXPECT_EQ(ok.quant.weight_encoding, WeightEncodingMode::Differential);
}

TEST(ConfigErrors, OpenIntervalEndsAreExcluded) {
  // calib.percentile_alpha is in (0, 1]: 0 is out, 1 is in.
  EXPECT_NE(config_error(kFile, {"calib.percentile_alpha=0"}).find("out of range"),
            std::string::npos);
  EXPECT_DOUBLE_EQ(load_text(kFile, {"calib.percentile_alpha=1"}).calib.percentile_alpha, 1.0);
}

TEST(ConfigErrors, IntegerThatDoesNotFitTheField) {
  EXPECT_NE(config_error(kFile, {"hw.cim.rows_per_adc=99999999999"}).find("out of range"),
            std::string::npos);
  EXPECT_NE(config_error(kFile, {"seed=-1"}).find("seed: -1 is out of range (expected int >= 0)"),
            std::string::npos);
}

TEST(ConfigErrors, BadEnumListsTheValuesAndSuggestsOne) {
  EXPECT_EQ(config_error(kFile + "hw:\n  cim:\n    adc:\n      range: dynamc\n"),
            "config.yaml:7:14: hw.cim.adc.range: 'dynamc' is not one of dynamic, static, bypass; "
            "did you mean 'dynamic'?");
  EXPECT_EQ(config_error(kFile, {"calib.observer=entropy"}),
            "--set: calib.observer: 'entropy' is not one of absmax, percentile_ema, kl, mse");
}

TEST(ConfigErrors, MappingOrSequenceWhereAValueBelongs) {
  EXPECT_EQ(config_error(kFile + "hw:\n  cim:\n    adc:\n      bits: {x: 1}\n"),
            "config.yaml:7:13: hw.cim.adc.bits: expected int in 1..16, got a mapping");
  EXPECT_EQ(config_error(kFile + "quant:\n  a_bits: [8, 12]\n"),
            "config.yaml:5:11: quant.a_bits: expected int in 8..16, got a sequence");
}

TEST(ConfigErrors, ValueWhereASectionBelongs) {
  EXPECT_EQ(config_error(kFile + "hw:\n  cim:\n    adc: 8\n"),
            "config.yaml:6:10: hw.cim.adc: expected a mapping (a section with keys bits, "
            "conversion_ns, enob, model, noise_lsb, range), got a scalar '8'");
  EXPECT_EQ(
      config_error(kFile, {"hw.cim=8"}),
      "--set: hw.cim: expected a mapping (a section with keys adc, cell_bits, cell_type, cols, "
      "cols_per_adc, dac, input_cycles_per_slice, macros, pulse_ns, rows, rows_per_adc, "
      "shift_add_latency, weights, write_cycles_per_row), got a "
      "scalar '8'");
  EXPECT_EQ(config_error(kFile, {"hw.cim.adc.bits.msb=8"}),
            "--set: hw.cim.adc.bits: is a key of type int, not a section; it has no key 'msb'");
}

TEST(ConfigErrors, MissingValue) {
  EXPECT_EQ(config_error(kFile + "quant:\n  w_bits:\n"),
            "config.yaml:5:3: quant.w_bits: no value given (expected int in 2..8)");
}

TEST(ConfigErrors, MalformedSetArgument) {
  EXPECT_NE(error_message<ConfigError>([] {
              parse_set_override("hw.cim.adc.bits");
            }).find("--set expects key.path=value"),
            std::string::npos);
  EXPECT_NE(error_message<ConfigError>([] {
              parse_set_override("=4");
            }).find("--set expects key.path=value"),
            std::string::npos);
  EXPECT_NE(error_message<ConfigError>([] {
              parse_set_override("hw..bits=4");
            }).find("not a valid key path"),
            std::string::npos);
}

// ---- Cross-field rules ----------------------------------------------------------------------

TEST(ConfigRules, OverlapBitsBelowSliceBits) {
  EXPECT_EQ(config_error(kFile + "quant:\n  slice_bits: 4\n  overlap_bits: 4\n"),
            "config.yaml:6:17: quant.overlap_bits: 4 must be < quant.slice_bits (which is 4)");
  EXPECT_EQ(load_text(kFile, {"quant.slice_bits=4", "quant.overlap_bits=3"}).quant.overlap_bits, 3);
}

TEST(ConfigRules, SliceBitsAtMostActivationBits) {
  EXPECT_EQ(config_error(kFile, {"quant.slice_bits=13"}),
            "--set: quant.slice_bits: 13 must be <= quant.a_bits (which is 12)");
  // slice_bits = a_bits is the single-pass mode.
  EXPECT_EQ(load_text(kFile, {"quant.slice_bits=12"}).quant.slice_bits, 12);
}

TEST(ConfigRules, EnobAtMostAdcBitsUnlessIdeal) {
  EXPECT_EQ(config_error(kFile, {"hw.cim.adc.bits=6", "hw.cim.adc.enob=6.5"}),
            "--set: hw.cim.adc.enob: 6.5 must be <= hw.cim.adc.bits (which is 6)");
  EXPECT_DOUBLE_EQ(load_text(kFile, {"hw.cim.adc.bits=6", "hw.cim.adc.enob=6"}).hw.cim.adc.enob,
                   6.0);
  EXPECT_DOUBLE_EQ(load_text(kFile, {"hw.cim.adc.bits=1", "hw.cim.adc.enob=0"}).hw.cim.adc.enob,
                   0.0);
}

TEST(ConfigRules, LinearWorkloadNeedsItsFile) {
  // Absent: the built-in example layer; explicitly empty: an error naming the key.
  EXPECT_EQ(load_text("quant:\n  w_bits: 4\n").workload.linear.file, "builtin:linear_example");
  EXPECT_EQ(config_error("workload:\n  kind: linear\n  linear:\n    file: \"\"\n"),
            "config.yaml:4:11: workload.linear.file: required when workload.kind is linear (set it "
            "in the config "
            "file or with --set workload.linear.file=PATH)");
  EXPECT_EQ(
      config_error(kFile, {"workload.linear.file="}).rfind("--set: workload.linear.file: ", 0), 0u);
}

// ---- Files and YAML syntax ------------------------------------------------------------------

TEST(ConfigFiles, MalformedYamlGivesFileLineColumn) {
  const std::string message = config_error(kFile + "quant:\n  w_bits: [4, 5\n");
  EXPECT_EQ(message.rfind("config.yaml:", 0), 0u) << message;
  EXPECT_NE(message.find(": malformed YAML: "), std::string::npos) << message;
  const std::string tabs = config_error("quant:\n\tw_bits: 4\n");
  EXPECT_NE(tabs.find("malformed YAML"), std::string::npos) << tabs;
  EXPECT_NE(tabs.find("tabs for indentation"), std::string::npos) << tabs;
}

TEST(ConfigFiles, DuplicateKeysAreErrors) {
  EXPECT_EQ(config_error(kFile + "seed: 1\nseed: 2\n"),
            "config.yaml:5:1: seed: duplicate key (first given at config.yaml:4:1)");
}

TEST(ConfigFiles, TopLevelMustBeAMapping) {
  EXPECT_NE(config_error("- 1\n- 2\n").find("the top level must be a mapping"), std::string::npos);
}

TEST(ConfigFiles, MissingFileIsAConfigError) {
  ScratchDir dir;
  const auto missing = dir.path() / "nope.yaml";
  EXPECT_EQ(error_message<ConfigError>([&] { load_run_config(missing, {}); }),
            "config file not found: " + missing.string());
}

TEST(ConfigFiles, AnEndlessFileIsRefusedAtABound) {
  // /dev/zero as a config (or as a sweep's base:) was read whole: memory grew without end.
  EXPECT_EQ(error_message<ConfigError>([&] { load_run_config("/dev/zero", {}); }),
            "/dev/zero: larger than 16 MiB; not a config file");
}

TEST(ConfigFiles, ErrorsNameTheFileAsGiven) {
  ScratchDir dir;
  const auto file = dir.write("bad.yaml", kFile + "seed: x\n");
  EXPECT_EQ(error_message<ConfigError>([&] {
              load_run_config(file, {});
            }).rfind(file.string() + ":4:7: seed: ", 0),
            0u);
}

// ---- Renderings -----------------------------------------------------------------------------

double numeric_default(const schema::KeySpec& key, const RunConfig& defaults) {
  return static_cast<double>(std::get<std::int64_t>(key.get(defaults)));
}

/// A value of each key that differs from its default and together satisfies the cross-field rules.
std::vector<std::string> non_default_overrides() {
  std::vector<std::string> sets;
  const RunConfig defaults;
  for (const schema::KeySpec& key : schema::config_schema().keys) {
    std::string text;
    switch (key.type) {
      case schema::ValueType::Int:
        // The largest allowed value (a_bits 16 >= slice_bits 16 > overlap_bits 15), or the
        // smallest where the largest is the default (w_bits).
        if (!key.range.max) {
          text = std::to_string(std::get<std::int64_t>(key.get(defaults)) + 3);
        } else if (key.range.max->value != numeric_default(key, defaults)) {
          text = std::to_string(static_cast<long long>(key.range.max->value));
        } else {
          text = std::to_string(static_cast<long long>(key.range.min->value));
        }
        break;
      case schema::ValueType::Float:
        text = key.range.max ? "0.75" : "2.5";
        if (key.path == "hw.cim.adc.enob") text = "15.5";
        break;
      case schema::ValueType::Bool:
        text = std::get<bool>(key.get(defaults)) ? "false" : "true";
        break;
      case schema::ValueType::String:
        text = "odd \"name\" #1: with\\ escapes";
        break;
      case schema::ValueType::Enum:
        text = key.enum_values.back();
        if (text == std::get<std::string>(key.get(defaults))) text = key.enum_values.front();
        break;
    }
    // Cross-field rules of the accelerator: cell bits <= quant.w_bits (2 here), and in a mamba
    // run (workload.kind is mamba here) rows_per_adc is 0 or hw.cim.rows (8192 here).
    if (key.path == "hw.cim.cell_bits") text = "1";
    if (key.path == "hw.cim.rows_per_adc") text = "8192";
    // Sign-magnitude inputs (the last enum value) need plain digits (quant.overlap_bits 0, its
    // default, the one key left at its default); weight digit columns are at most quant.w_bits
    // (2 here) wide.
    if (key.path == "quant.overlap_bits") text = "0";
    if (key.path == "quant.weight_slice_bits") text = "1";
    sets.push_back(key.path + "=" + text);
  }
  return sets;
}

TEST(ConfigRender, PrintedYamlLoadsBackToAnEqualConfig) {
  for (const auto& sets :
       {std::vector<std::string>{"workload.linear.file=a.safetensors"}, non_default_overrides()}) {
    const RunConfig original = load_text("", sets);
    const std::string yaml = render_config_yaml(original);
    const RunConfig reloaded = load_text(yaml);
    EXPECT_EQ(config_to_json(reloaded), config_to_json(original)) << yaml;
    EXPECT_EQ(render_config_yaml(reloaded), yaml);
  }
}

TEST(ConfigRender, NonDefaultOverridesReallyDifferFromTheDefaults) {
  // Guards the round-trip test above: it must exercise a value other than the default everywhere
  // an alternative exists.
  const RunConfig config = load_text("", non_default_overrides());
  const RunConfig defaults;
  for (const schema::KeySpec& key : schema::config_schema().keys) {
    if (key.type == schema::ValueType::Enum && key.enum_values.size() == 1) continue;
    if (key.path == "quant.overlap_bits") continue;  // 0 for sign-magnitude inputs (see above)
    EXPECT_NE(key.get(config), key.get(defaults)) << key.path;
  }
}

TEST(ConfigRender, PrintedYamlHasEveryKeyNested) {
  RunConfig config;
  config.workload.linear.file = "a.safetensors";
  const YAML::Node node = YAML::Load(render_config_yaml(config));
  EXPECT_EQ(node["hw"]["cim"]["adc"]["bits"].as<int>(), 10);
  EXPECT_EQ(node["calib"]["observer"].as<std::string>(), "absmax");
  for (const schema::KeySpec& key : schema::config_schema().keys) {
    YAML::Node cursor = YAML::Clone(node);
    std::string path = key.path;
    std::size_t dot;
    while ((dot = path.find('.')) != std::string::npos) {
      cursor = cursor[path.substr(0, dot)];
      path = path.substr(dot + 1);
    }
    EXPECT_TRUE(cursor[path].IsScalar()) << key.path;
  }
}

TEST(ConfigRender, JsonIsNestedInSchemaOrder) {
  RunConfig config;
  config.hw.cim.adc.range = AdcRangeMode::Bypass;
  config.quant.w_clip_pct = 99.5;
  const nlohmann::ordered_json json = config_to_json(config);
  std::vector<std::string> top;
  for (const auto& [name, value] : json.items()) top.push_back(name);
  EXPECT_EQ(top, (std::vector<std::string>{"seed", "threads", "slice_kernel", "workload", "quant",
                                           "hw", "ssm", "calib"}));
  EXPECT_EQ(json["hw"]["cim"]["adc"]["bits"], 10);
  EXPECT_EQ(json["hw"]["cim"]["adc"]["range"], "bypass");
  EXPECT_EQ(json["quant"]["w_clip_pct"], 99.5);
  EXPECT_EQ(json["seed"], 1);
  EXPECT_EQ(json["workload"]["linear"]["bias"], "");
}

// ---- Schema and docs ------------------------------------------------------------------------

TEST(ConfigSchema, TableIsConsistent) {
  const schema::Schema& s = schema::config_schema();
  const RunConfig defaults;
  for (const schema::KeySpec& key : s.keys) {
    EXPECT_NE(schema::find_section(key.section()), nullptr) << key.path << ": section not listed";
    EXPECT_FALSE(key.meaning.empty()) << key.path;
    EXPECT_EQ(schema::find_section(key.path), nullptr) << key.path << ": both key and section";
    // Every default lies in its own range (format -> parse gives it back).
    const schema::Value value = key.get(defaults);
    const auto parsed = schema::parse_value(key, schema::format_value(key, value));
    ASSERT_TRUE(std::holds_alternative<schema::Value>(parsed))
        << key.path << ": " << std::get<std::string>(parsed);
    EXPECT_EQ(std::get<schema::Value>(parsed), value) << key.path;
  }
  for (const schema::SectionSpec& section : s.sections) {
    if (section.path.empty()) continue;
    const auto dot = section.path.rfind('.');
    const std::string parent = dot == std::string::npos ? "" : section.path.substr(0, dot);
    EXPECT_NE(schema::find_section(parent), nullptr) << section.path << ": parent not listed";
  }
  for (const schema::CrossRule& rule : s.rules) {
    for (const std::string& key : rule.keys) EXPECT_NE(schema::find_key(key), nullptr) << key;
  }
}

TEST(ConfigSchema, EditDistanceCountsTranspositionsOnce) {
  EXPECT_EQ(schema::edit_distance("bits", "bits"), 0u);
  EXPECT_EQ(schema::edit_distance("bitz", "bits"), 1u);
  EXPECT_EQ(schema::edit_distance("bist", "bits"), 1u);
  EXPECT_EQ(schema::edit_distance("", "abc"), 3u);
  EXPECT_EQ(schema::closest_match("nosie_lsb", {"bits", "noise_lsb"}), "noise_lsb");
  EXPECT_EQ(schema::closest_match("xyz", {"bits", "enob"}), std::nullopt);
}

TEST(ConfigDocs, CheckedInDocsMatchTheSchema) {
  const std::string checked_in =
      read_text(std::filesystem::path(CIMBA_SOURCE_DIR) / "docs/config.md");
  EXPECT_TRUE(checked_in == render_config_docs())
      << "docs/config.md is out of date with sim/config_schema.cpp. Regenerate it from the "
         "repository root with:\n  build/cimba config-docs > docs/config.md";
}

TEST(ConfigDocs, EveryKeyHasARow) {
  const std::string docs = render_config_docs();
  for (const schema::KeySpec& key : schema::config_schema().keys) {
    EXPECT_NE(docs.find("| `" + key.path + "` | " + schema::type_name(key.type) + " | "),
              std::string::npos)
        << key.path;
  }
  EXPECT_NE(docs.find("| `hw.cim.adc.bits` | int | `10` | 1..16 | "), std::string::npos);
  EXPECT_NE(docs.find("- quant.overlap_bits < quant.slice_bits\n"), std::string::npos);
}

}  // namespace
}  // namespace cimba::sim
