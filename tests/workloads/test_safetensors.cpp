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

// Findings of the fuzzers and hostile inputs (issue 15): each of these was accepted, crashed or
// escaped as an untyped error before.
TEST(SafetensorsHostile, ShapeWhoseByteSizeWrapsAround2To64IsRejected) {
  // [2^62, 2] x 4 bytes = 2^65 = 0 modulo 2^64: the byte-size check matched empty data, and
  // Tensor::numel() overflowed int64 on its 2^63 elements.
  const fs::path p = tmp("wrap.safetensors");
  raw_file(p, R"({"a":{"dtype":"F32","shape":[4611686018427387904,2],"data_offsets":[0,0]}})", 0);
  EXPECT_NE(error_of(p).find("tensor 'a': shape has more elements than fit in 64 bits"),
            std::string::npos)
      << error_of(p);
  // [2^61, 2]: 2^62 elements fit an int64, but x 4 bytes is 0 modulo 2^64 again.
  raw_file(p, R"({"a":{"dtype":"F32","shape":[2305843009213693952,2],"data_offsets":[0,0]}})", 0);
  EXPECT_NE(error_of(p).find("tensor 'a': byte size 0 does not match shape "
                             "[2305843009213693952, 2] x 4 bytes"),
            std::string::npos)
      << error_of(p);
  // A dimension of 2^63 does not fit the int64 shape.
  raw_file(p, R"({"a":{"dtype":"U8","shape":[9223372036854775808],"data_offsets":[0,0]}})", 0);
  EXPECT_NE(error_of(p).find("not a non-negative 64-bit integer"), std::string::npos)
      << error_of(p);
  // Empty, but its other dimensions multiply past 2^63: any consumer's product would overflow.
  raw_file(p, R"({"a":{"dtype":"U8","shape":[0,4294967296,4294967296],"data_offsets":[0,0]}})", 0);
  EXPECT_NE(error_of(p).find("more elements than fit in 64 bits"), std::string::npos)
      << error_of(p);
}

TEST(SafetensorsHostile, NumberThatOverflowsADoubleNamesTheFile) {
  // nlohmann::json throws out_of_range (not parse_error) here; it escaped as "internal error".
  const fs::path p = tmp("overflow.safetensors");
  raw_file(p, R"({"a":{"dtype":"U8","shape":[1e999],"data_offsets":[0,1]}})", 1);
  const std::string message = error_of(p);
  EXPECT_NE(message.find(p.string() + ": not a valid safetensors file: header is not JSON"),
            std::string::npos)
      << message;
}

TEST(SafetensorsHostile, DuplicateTensorNamesAreRejected) {
  const fs::path p = tmp("dup.safetensors");
  raw_file(p,
           R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},)"
           R"("a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}})",
           2);
  EXPECT_NE(error_of(p).find("header names 'a' twice"), std::string::npos) << error_of(p);
}

TEST(SafetensorsHostile, DirectoryIsAnIoErrorNamingIt) {
  const fs::path d = tmp("a-directory.safetensors");
  fs::create_directories(d);
  try {
    SafetensorsFile::read(d);
    ADD_FAILURE() << "no exception";
  } catch (const cimba::IoError& e) {
    EXPECT_NE(std::string(e.what()).find(d.string() + ": is a directory"), std::string::npos)
        << e.what();
  }
}

TEST(SafetensorsHostile, EmptyTensorsReadAndConvert) {
  // to_f32 of an empty F32 tensor memcpy'd from a null pointer (undefined; UBSan reports it).
  const fs::path p = tmp("empty.safetensors");
  write_safetensors(p, {make_tensor_f32("e", {0, 3}, {}), make_tensor_f32("x", {1}, {2.0f})});
  const SafetensorsFile f = SafetensorsFile::read(p);
  EXPECT_TRUE(f.at("e").to_f32().empty());
  EXPECT_EQ(f.at("e").numel(), 0);
  EXPECT_EQ(f.f32("x"), std::vector<float>{2.0f});
}

TEST(SafetensorsHostile, NumelChecksOverflowAndNegativeDimensions) {
  // The product of the dimensions was a signed overflow (undefined) for a hand-built shape.
  Tensor t;
  t.name = "big";
  t.shape = {std::int64_t{1} << 62, 4};
  EXPECT_THROW(t.numel(), cimba::InvalidArgument);
  t.shape = {3, -1};
  EXPECT_THROW(t.numel(), cimba::InvalidArgument);
  t.shape = {2, 3};
  EXPECT_EQ(t.numel(), 6);
  EXPECT_THROW(t.to_f32(), cimba::InvalidArgument);  // 6 values and no bytes
}

TEST(SafetensorsHostile, NonFiniteValuesAreNamedWithFileAndTensor) {
  const Tensor ok = make_tensor_f32("w", {2}, {1.0f, -2.0f});
  EXPECT_NO_THROW(require_finite(ok.to_f32(), ok, "m.safetensors"));
  const Tensor nan = make_tensor_f32("w", {3}, {1.0f, 0.0f, std::nanf("")});
  try {
    require_finite(nan.to_f32(), nan, "m.safetensors");
    ADD_FAILURE() << "no exception";
  } catch (const cimba::FormatError& e) {
    EXPECT_STREQ(e.what(),
                 "m.safetensors: tensor 'w' holds NaN at element 2 of 3; values must be finite");
  }
  // An F64 value beyond float32's range becomes infinite on conversion.
  const Tensor big = make_tensor_f64("d", {1}, {1e300});
  EXPECT_THROW(require_finite(big.to_f32(), big, "m.safetensors"), cimba::FormatError);
}
