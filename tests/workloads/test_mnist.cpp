// The MNIST IDX reader on the real test set and on corrupted copies, and the JiT preprocessing.
#include <gtest/gtest.h>
#include <zlib.h>

#include <array>
#include <fstream>
#include <functional>
#include <iterator>

#include "models/common/error.hpp"
#include "test_mamba_test_util.hpp"
#include "tests/shared_data.hpp"
#include "workloads/io/mnist.hpp"
#include "workloads/io/safetensors.hpp"

namespace cimba::workloads {
namespace {

const std::filesystem::path kMnistDir = std::filesystem::path(CIMBA_SHARED_DATA_DIR) / "mnist";
const std::filesystem::path kImages = kMnistDir / "t10k-images-idx3-ubyte.gz";
const std::filesystem::path kLabels = kMnistDir / "t10k-labels-idx1-ubyte.gz";

std::vector<std::uint8_t> be32(std::uint32_t v) {
  return {static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16),
          static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
}

std::vector<std::uint8_t> concat(std::initializer_list<std::vector<std::uint8_t>> parts) {
  std::vector<std::uint8_t> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

void write_gz(const std::filesystem::path& path, const std::vector<std::uint8_t>& bytes) {
  gzFile f = gzopen(path.string().c_str(), "wb");
  ASSERT_NE(f, nullptr);
  if (!bytes.empty()) gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(f);
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const FormatError& e) {
    return e.what();
  }
  return "";
}

void expect_contains(const std::string& text, const std::string& part) {
  EXPECT_NE(text.find(part), std::string::npos) << "'" << part << "' not in: " << text;
}

TEST(Mnist, RealTestSet) {
  CIMBA_SKIP_WITHOUT_SHARED_DATA(kImages);
  const MnistSet set = read_mnist_test(kMnistDir);
  EXPECT_EQ(set.images.count, 10000);
  EXPECT_EQ(set.images.rows, 28);
  EXPECT_EQ(set.images.cols, 28);
  ASSERT_EQ(set.labels.size(), 10000u);
  EXPECT_EQ(set.labels[0], 7);  // the first MNIST test digit is a 7
  // README of jit-mnist-tiny: test image #18 is the first with label 3.
  int first3 = -1;
  for (int i = 0; i < 10000 && first3 < 0; ++i)
    if (set.labels[i] == 3) first3 = i;
  EXPECT_EQ(first3, 18);
  std::array<int, 10> counts{};
  for (auto l : set.labels) ++counts[l];
  EXPECT_EQ(counts[0], 980);  // the well-known class sizes of t10k
  EXPECT_EQ(counts[1], 1135);
}

TEST(Mnist, PreprocessingMatchesTheGoldenCleanImage) {
  const auto golden =
      std::filesystem::path(CIMBA_SHARED_DATA_DIR) / "jit-mnist-tiny" / "golden_dit.safetensors";
  CIMBA_SKIP_WITHOUT_SHARED_DATA(kImages);
  CIMBA_SKIP_WITHOUT_SHARED_DATA(golden);
  const MnistSet set = read_mnist_test(kMnistDir);
  const numerics::MatrixF x = mnist_to_model_images(set.images, 18, 1);
  ASSERT_EQ(x.cols(), 1024);
  const std::vector<float> ref = SafetensorsFile::read(golden).f32("input.x_clean", {1, 1, 32, 32});
  for (int i = 0; i < 1024; ++i) ASSERT_EQ(x(0, i), ref[i]) << i;  // bit-exact
  EXPECT_EQ(x(0, 0), -1.0f);                                       // padding
  EXPECT_EQ(x(0, 2 * 32 + 2), -1.0f);                              // MNIST background 0 -> -1
  EXPECT_EQ(mnist_labels_range(set.labels, 18, 2), (std::vector<std::int32_t>{3, 4}));
}

TEST(Mnist, SmallFilesAndPadding) {
  test::TempDir dir;
  // two 2x2 images: [0, 255, 51, 127.5] ...
  write_gz(dir.path() / "img.gz",
           concat({be32(2051), be32(2), be32(2), be32(2), {0, 255, 51, 204, 1, 2, 3, 4}}));
  write_gz(dir.path() / "lab.gz", concat({be32(2049), be32(2), {9, 0}}));
  const MnistSet set = read_mnist(dir.path() / "img.gz", dir.path() / "lab.gz");
  const numerics::MatrixF x = mnist_to_model_images(set.images, 0, 1, 4);
  // 2x2 centred in 4x4: rows/cols 1..2; v / 127.5 - 1: 0 -> -1, 255 -> 1, 51 -> -0.6
  EXPECT_EQ(x(0, 0), -1.0f);
  EXPECT_EQ(x(0, 1 * 4 + 1), -1.0f);
  EXPECT_EQ(x(0, 1 * 4 + 2), 1.0f);
  EXPECT_NEAR(x(0, 2 * 4 + 1), -0.6f, 1e-7f);
  EXPECT_EQ(x(0, 3 * 4 + 3), -1.0f);
  EXPECT_THROW(mnist_to_model_images(set.images, 1, 2), InvalidArgument);
  EXPECT_THROW(mnist_to_model_images(set.images, 0, 1, 3), InvalidArgument);  // odd margin
  EXPECT_THROW(mnist_to_model_images(set.images, 0, 1, 1), InvalidArgument);
}

TEST(Mnist, CorruptedFilesNameTheFileAndTheProblem) {
  test::TempDir dir;
  const auto img = dir.path() / "img.gz";
  const auto lab = dir.path() / "lab.gz";
  const std::vector<std::uint8_t> pixels(2 * 3 * 3, 7);

  write_gz(img, concat({be32(2049), be32(2), be32(3), be32(3), pixels}));
  std::string msg = error_of([&] { read_mnist_images(img); });
  expect_contains(msg, img.string());
  expect_contains(msg, "magic number 2049, expected 2051");

  write_gz(img, concat({be32(2051), be32(3), be32(3), be32(3), pixels}));  // 18 of 27 bytes
  expect_contains(error_of([&] { read_mnist_images(img); }), "truncated pixel data (18 of 27");

  write_gz(img, concat({be32(2051), be32(1), be32(3), be32(3), pixels}));  // 9 bytes too many
  expect_contains(error_of([&] { read_mnist_images(img); }), "trailing bytes");

  write_gz(img, concat({be32(2051), be32(2), be32(0), be32(3), pixels}));
  expect_contains(error_of([&] { read_mnist_images(img); }), "'rows' is 0");

  write_gz(img, concat({be32(2051), be32(2)}));
  expect_contains(error_of([&] { read_mnist_images(img); }), "truncated header");

  write_gz(img, concat({be32(2051), be32(0x40000000), be32(0x100), be32(0x100)}));
  expect_contains(error_of([&] { read_mnist_images(img); }), "1 GiB limit");

  write_gz(lab, concat({be32(2051), be32(2), {1, 2}}));
  expect_contains(error_of([&] { read_mnist_labels(lab); }), "magic number 2051, expected 2049");
  write_gz(lab, concat({be32(2049), be32(2), {1, 10}}));
  expect_contains(error_of([&] { read_mnist_labels(lab); }), "label 1 is 10");

  // Image and label counts must agree.
  write_gz(img, concat({be32(2051), be32(2), be32(3), be32(3), pixels}));
  write_gz(lab, concat({be32(2049), be32(3), {1, 2, 3}}));
  msg = error_of([&] { read_mnist(img, lab); });
  expect_contains(msg, "3 labels for the 2 images");

  EXPECT_THROW(read_mnist_images(dir.path() / "absent.gz"), IoError);
}

TEST(Mnist, CorruptedGzipOfTheRealFile) {
  CIMBA_SKIP_WITHOUT_SHARED_DATA(kLabels);
  test::TempDir dir;
  std::ifstream in(kLabels, std::ios::binary);
  std::vector<char> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  ASSERT_GT(bytes.size(), 1000u);
  const auto path = dir.path() / "labels.gz";
  const auto write = [&](const std::vector<char>& b) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(b.data(), static_cast<std::streamsize>(b.size()));
  };
  // Cut in half: the gzip stream ends early.
  write(std::vector<char>(bytes.begin(), bytes.begin() + bytes.size() / 2));
  std::string msg = error_of([&] { read_mnist_labels(path); });
  expect_contains(msg, path.string());
  EXPECT_FALSE(msg.empty());
  // Flipped bytes in the deflate data: a data or CRC error.
  std::vector<char> flipped = bytes;
  for (std::size_t i = 100; i < 140; ++i) flipped[i] = static_cast<char>(flipped[i] ^ 0x5a);
  write(flipped);
  msg = error_of([&] { read_mnist_labels(path); });
  expect_contains(msg, path.string());
}

}  // namespace
}  // namespace cimba::workloads
