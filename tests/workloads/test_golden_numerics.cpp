// Every golden case of shared/data/golden-numerics (an independent float64 implementation of
// NUMERICS.md) must pass through the numerics library within the README's tolerances.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "models/common/error.hpp"
#include "workloads/io/golden_numerics.hpp"
#include "workloads/io/safetensors.hpp"

namespace fs = std::filesystem;
using namespace cimba::workloads;

namespace {
const fs::path kGoldenDir = fs::path(CIMBA_SHARED_DATA_DIR) / "golden-numerics";

// The golden cases come with the shared data (../shared/data), which a clone of the repository
// alone does not have: skip, saying what is missing.
#define REQUIRE_GOLDEN()                                             \
  if (!fs::exists(kGoldenDir / "INDEX.json"))                        \
  GTEST_SKIP() << "needs " << kGoldenDir.string()                    \
               << " (golden cases of an independent implementation " \
                  "of NUMERICS.md: shared data, not in the repository)"

fs::path temp_dir(const std::string& name) {
  fs::path d = fs::temp_directory_path() / ("cimba_test_" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}
}  // namespace

TEST(GoldenNumerics, EveryCaseInTheSharedDirectoryPasses) {
  REQUIRE_GOLDEN();
  const auto results = run_golden_dir(kGoldenDir);
  ASSERT_EQ(results.size(), 34u);  // INDEX.json lists 34 cases today
  for (const auto& r : results) {
    EXPECT_TRUE(r.pass()) << r.name << " (" << r.kind << "): worst " << r.worst().what << " = "
                          << r.worst().error << " > " << r.worst().tolerance;
    for (const auto& c : r.checks)
      EXPECT_TRUE(c.pass()) << r.name << ": " << c.what << " = " << c.error;
  }
}

TEST(GoldenNumerics, EachKindIsCovered) {
  REQUIRE_GOLDEN();
  std::set<std::string> kinds;
  for (const auto& r : run_golden_dir(kGoldenDir)) kinds.insert(r.kind);
  EXPECT_EQ(kinds,
            (std::set<std::string>{"quantize", "slice", "bitserial_linear", "dual_scale",
                                   "group_lookup", "observers", "selective_scan", "ssd_scan"}));
}

TEST(GoldenNumerics, ATamperedExpectationFails) {
  REQUIRE_GOLDEN();
  // Copy quant_0 with one q value moved by 2 steps: the check must fail, not pass silently.
  const fs::path dir = temp_dir("tampered");
  SafetensorsFile f = SafetensorsFile::read(kGoldenDir / "quant_0.safetensors");
  std::vector<Tensor> tensors;
  for (const auto& name : f.names()) tensors.push_back(f.at(name));
  for (auto& t : tensors)
    if (t.name == "q") {
      std::vector<float> q = t.to_f32();
      q[3] += 2.0f;
      t = make_tensor_f32("q", t.shape, q);
    }
  write_safetensors(dir / "quant_0.safetensors", tensors, f.metadata());
  std::ofstream(dir / "INDEX.json") << R"({"cases": ["quant_0"]})";
  const auto results = run_golden_dir(dir);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_FALSE(results[0].pass());
  EXPECT_EQ(results[0].worst().what, "q mismatch fraction");
}

TEST(GoldenNumerics, MalformedCasesNameTheFileAndProblem) {
  REQUIRE_GOLDEN();
  const fs::path dir = temp_dir("malformed");
  SafetensorsFile f = SafetensorsFile::read(kGoldenDir / "quant_0.safetensors");
  // Missing tensor.
  write_safetensors(dir / "a.safetensors", {f.at("x"), f.at("q")}, f.metadata());
  try {
    run_golden_case(dir / "a.safetensors", "a");
    FAIL() << "expected FormatError";
  } catch (const cimba::FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("a.safetensors"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("missing tensor 'x_hat'"), std::string::npos) << e.what();
  }
  // Unknown kind.
  auto meta = f.metadata();
  meta["kind"] = "\"teleport\"";
  write_safetensors(dir / "b.safetensors", {f.at("x"), f.at("q"), f.at("x_hat")}, meta);
  EXPECT_THROW(run_golden_case(dir / "b.safetensors", "b"), cimba::FormatError);
  // Missing parameter.
  meta = f.metadata();
  meta.erase("bits");
  write_safetensors(dir / "c.safetensors", {f.at("x"), f.at("q"), f.at("x_hat")}, meta);
  try {
    run_golden_case(dir / "c.safetensors", "c");
    FAIL() << "expected FormatError";
  } catch (const cimba::FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("missing parameter 'bits'"), std::string::npos)
        << e.what();
  }
  // Index naming a case that is not there.
  std::ofstream(dir / "INDEX.json") << R"({"cases": ["nope"]})";
  EXPECT_THROW(run_golden_dir(dir), cimba::IoError);
  std::ofstream(dir / "INDEX.json", std::ios::trunc) << R"({"cases": 3})";
  EXPECT_THROW(run_golden_dir(dir), cimba::FormatError);
}

TEST(GoldenNumerics, MalformedNewKindsNameTheFileAndProblem) {
  REQUIRE_GOLDEN();
  const fs::path dir = temp_dir("malformed_new");
  auto expect_format_error = [&](const fs::path& file, const std::string& needle) {
    try {
      run_golden_case(file, file.stem().string());
      ADD_FAILURE() << "expected FormatError for " << file;
    } catch (const cimba::FormatError& e) {
      EXPECT_NE(std::string(e.what()).find(file.filename().string()), std::string::npos);
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  auto without = [](const SafetensorsFile& f, const std::string& drop) {
    std::vector<Tensor> out;
    for (const auto& n : f.names())
      if (n != drop) out.push_back(f.at(n));
    return out;
  };
  const SafetensorsFile ssd = SafetensorsFile::read(kGoldenDir / "ssd_1.safetensors");
  write_safetensors(dir / "ssd_a.safetensors", without(ssd, "state_final"), ssd.metadata());
  expect_format_error(dir / "ssd_a.safetensors", "missing tensor 'state_final'");
  auto meta = ssd.metadata();
  meta["n_groups"] = "3";
  write_safetensors(dir / "ssd_b.safetensors", without(ssd, ""), meta);
  expect_format_error(dir / "ssd_b.safetensors", "n_groups");

  const SafetensorsFile scan = SafetensorsFile::read(kGoldenDir / "sscan_1.safetensors");
  meta = scan.metadata();
  meta["chunk_split"] = "37";
  write_safetensors(dir / "scan_a.safetensors", without(scan, ""), meta);
  expect_format_error(dir / "scan_a.safetensors", "chunk_split");

  const SafetensorsFile ws = SafetensorsFile::read(kGoldenDir / "wslice_1.safetensors");
  meta = ws.metadata();
  meta["weight_encoding"] = "\"ternary\"";
  write_safetensors(dir / "ws_a.safetensors", without(ws, ""), meta);
  expect_format_error(dir / "ws_a.safetensors", "unknown weight_encoding 'ternary'");
  meta = ws.metadata();
  meta["weight_slice_bits"] = "9";
  write_safetensors(dir / "ws_b.safetensors", without(ws, ""), meta);
  expect_format_error(dir / "ws_b.safetensors", "weight_slice_bits");
}

TEST(GoldenNumerics, ATamperedFinalStateFails) {
  REQUIRE_GOLDEN();
  // The carried-state checks must be able to fail: nudge one element of h_final.
  const fs::path dir = temp_dir("tampered_state");
  const SafetensorsFile f = SafetensorsFile::read(kGoldenDir / "sscan_1.safetensors");
  std::vector<Tensor> tensors;
  for (const auto& name : f.names()) tensors.push_back(f.at(name));
  for (auto& t : tensors)
    if (t.name == "h_final") {
      std::vector<float> h = t.to_f32();
      for (float& v : h) v *= 1.001f;
      t = make_tensor_f32("h_final", t.shape, h);
    }
  write_safetensors(dir / "sscan_1.safetensors", tensors, f.metadata());
  const GoldenCaseResult r = run_golden_case(dir / "sscan_1.safetensors", "sscan_1");
  EXPECT_FALSE(r.pass());
  EXPECT_NE(r.worst().what.find("h_final"), std::string::npos) << r.worst().what;
}
