#pragma once
// MNIST in the IDX format (gzip-compressed or plain; shared/data/mnist/README.md): images
// (magic 2051, count, rows, cols, big-endian int32, then uint8 pixels) and labels (magic 2049,
// count, then uint8 labels), with the preprocessing of the JiT model (v / 127.5 - 1, padded to
// 32x32 with -1).
#include <cstdint>
#include <filesystem>
#include <vector>

#include "models/numerics/types.hpp"

namespace cimba::workloads {

struct MnistImages {
  std::int64_t count = 0, rows = 0, cols = 0;
  std::vector<std::uint8_t> pixels;  // [count, rows, cols] row-major
};

/// Reads an IDX3 image file (gzip or plain). Throws IoError (unreadable) or FormatError naming
/// the file: corrupt gzip stream, wrong magic, non-positive or absurd sizes, truncated data,
/// trailing bytes.
MnistImages read_mnist_images(const std::filesystem::path& path);
/// Reads an IDX1 label file (gzip or plain); labels must be 0..9. Same errors.
std::vector<std::uint8_t> read_mnist_labels(const std::filesystem::path& path);

struct MnistSet {
  MnistImages images;
  std::vector<std::uint8_t> labels;  // [images.count]
};
/// Images and labels of one split; throws FormatError when their counts differ.
MnistSet read_mnist(const std::filesystem::path& images_path,
                    const std::filesystem::path& labels_path);
/// The test split in `dir`: t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz.
MnistSet read_mnist_test(const std::filesystem::path& dir);

/// Images first..first+count-1 as model inputs [count, out_size * out_size]: v / 127.5 - 1,
/// centred in an out_size x out_size canvas filled with pad_value (MNIST 28x28 -> 32x32 with
/// 2 pixels of -1 on each side). Throws InvalidArgument for a range outside the set or an
/// out_size smaller than the images (or leaving an odd margin).
numerics::MatrixF mnist_to_model_images(const MnistImages& images, std::int64_t first,
                                        std::int64_t count, std::int64_t out_size = 32,
                                        float pad_value = -1.0f);
/// Labels first..first+count-1 as int32 class ids.
std::vector<std::int32_t> mnist_labels_range(const std::vector<std::uint8_t>& labels,
                                             std::int64_t first, std::int64_t count);

}  // namespace cimba::workloads
