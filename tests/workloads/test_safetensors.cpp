#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "models/common/error.hpp"
#include "workloads/io/safetensors.hpp"

namespace fs = std::filesystem;
using namespace cimba::workloads;

namespace {
fs::path tmp(const std::string& name) {
  fs::path d = fs::temp_directory_path() / "cimba_test_safetensors";
  fs::create_directories(d);
  return d / name;
}
// Writes a file with a hand-made header and `data_bytes` bytes of data.
void raw_file(const fs::path& p, const std::string& header, std::size_t data_bytes) {
  std::ofstream out(p, std::ios::binary);
  const std::uint64_t n = header.size();
  out.write(reinterpret_cast<const char*>(&n), 8);
  out << header << std::string(data_bytes, '\0');
}
std::string error_of(const fs::path& p) {
  try {
    SafetensorsFile::read(p);
  } catch (const cimba::FormatError& e) {
    return e.what();
  }
  return "no error";
}
}  // namespace

TEST(Safetensors, RoundTripsEveryIntegerAndFloatType) {
  const fs::path p = tmp("rt.safetensors");
  write_safetensors(
      p,
      {make_tensor_f32("a", {2, 2}, {1.5f, -2.0f, 3.0f, 0.0f}),
       make_tensor_i32("b", {3}, {-7, 0, 2147483647}), make_tensor_u8("c", {2}, {0, 255})},
      {{"kind", "\"x\""}});
  const SafetensorsFile f = SafetensorsFile::read(p);
  EXPECT_EQ(f.names(), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(f.f32("a", {2, 2}), (std::vector<float>{1.5f, -2.0f, 3.0f, 0.0f}));
  EXPECT_EQ(f.at("b").to_i64(), (std::vector<std::int64_t>{-7, 0, 2147483647}));
  EXPECT_EQ(f.at("c").to_f32(), (std::vector<float>{0.0f, 255.0f}));
  EXPECT_EQ(f.metadata().at("kind"), "\"x\"");
  EXPECT_THROW(f.f32("a", {4}), cimba::FormatError);
  EXPECT_THROW(f.at("zz"), cimba::FormatError);
  EXPECT_THROW(f.at("a").to_i64(), cimba::FormatError);
}

TEST(Safetensors, ConvertsHalfAndBfloat16) {
  // F16: 0x3c00 = 1.0, 0xc000 = -2.0, 0x0001 = 2^-24 (subnormal), 0x7c00 = +inf.
  // BF16: 0x3f80 = 1.0, 0xc040 = -3.0.
  Tensor h;
  h.name = "h";
  h.dtype = DType::F16;
  h.shape = {4};
  const std::uint16_t hv[4] = {0x3c00, 0xc000, 0x0001, 0x7c00};
  h.bytes.resize(8);
  std::memcpy(h.bytes.data(), hv, 8);
  const auto f = h.to_f32();
  EXPECT_EQ(f[0], 1.0f);
  EXPECT_EQ(f[1], -2.0f);
  EXPECT_EQ(f[2], std::ldexp(1.0f, -24));
  EXPECT_TRUE(std::isinf(f[3]));
  Tensor b;
  b.dtype = DType::BF16;
  b.shape = {2};
  const std::uint16_t bv[2] = {0x3f80, 0xc040};
  b.bytes.resize(4);
  std::memcpy(b.bytes.data(), bv, 4);
  EXPECT_EQ(b.to_f32(), (std::vector<float>{1.0f, -3.0f}));
}

TEST(Safetensors, RejectsMalformedFilesWithTheReason) {
  const fs::path p = tmp("bad.safetensors");
  raw_file(p, R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", 4);
  EXPECT_NE(error_of(p).find("truncated"), std::string::npos) << error_of(p);
  raw_file(p, R"({"a":{"dtype":"Q7","shape":[2],"data_offsets":[0,8]}})", 8);
  EXPECT_NE(error_of(p).find("unknown dtype 'Q7'"), std::string::npos);
  raw_file(p, R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8);
  EXPECT_NE(error_of(p).find("does not match shape"), std::string::npos);
  raw_file(
      p,
      R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
      8);
  EXPECT_NE(error_of(p).find("overlap"), std::string::npos);
  raw_file(p, R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", 8);
  EXPECT_NE(error_of(p).find("end before begin"), std::string::npos);
  raw_file(p, R"({"a":{"dtype":"F32","shape":[2]}})", 8);
  EXPECT_NE(error_of(p).find("missing 'data_offsets'"), std::string::npos);
  raw_file(p, "{not json", 0);
  EXPECT_NE(error_of(p).find("not JSON"), std::string::npos);
  std::ofstream(p, std::ios::binary | std::ios::trunc) << "abc";
  EXPECT_NE(error_of(p).find("shorter than the 8-byte header"), std::string::npos);
  {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    const std::uint64_t n = 1000;
    out.write(reinterpret_cast<const char*>(&n), 8);
    out << "{}";
  }
  EXPECT_NE(error_of(p).find("header length 1000"), std::string::npos);
  EXPECT_NE(error_of(p).find(p.string()), std::string::npos);  // every message names the file
  EXPECT_THROW(SafetensorsFile::read(tmp("does-not-exist")), cimba::IoError);
}
