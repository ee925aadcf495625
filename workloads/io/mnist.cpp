#include "workloads/io/mnist.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <memory>
#include <string>
#include <system_error>

#include "models/common/error.hpp"

namespace cimba::workloads {

namespace {

constexpr std::int32_t kImagesMagic = 2051;
constexpr std::int32_t kLabelsMagic = 2049;
// Sanity bound on the element count (MNIST train is 47 MB; a corrupt header must not make us
// allocate gigabytes).
constexpr std::int64_t kMaxBytes = std::int64_t{1} << 30;

// A gzip (or plain: zlib reads it transparently) file read sequentially.
class GzReader {
 public:
  explicit GzReader(const std::filesystem::path& path) : path_(path) {
    std::error_code error;
    if (std::filesystem::is_directory(path, error))
      throw IoError(path.string() + ": is a directory, not an MNIST file");
    file_ = gzopen(path.string().c_str(), "rb");
    if (!file_) throw IoError(path.string() + ": cannot open for reading");
  }
  ~GzReader() {
    if (file_) gzclose(file_);
  }
  GzReader(const GzReader&) = delete;
  GzReader& operator=(const GzReader&) = delete;

  // Reads up to n bytes; returns how many were read (< n at the end of the data).
  std::size_t read(std::uint8_t* out, std::size_t n) {
    std::size_t done = 0;
    while (done < n) {
      const unsigned chunk = static_cast<unsigned>(std::min<std::size_t>(n - done, 1u << 30));
      const int got = gzread(file_, out + done, chunk);
      if (got < 0) {
        int code = 0;
        const char* msg = gzerror(file_, &code);
        throw FormatError(path_.string() + ": corrupt gzip data (" + (msg ? msg : "?") + ")");
      }
      if (got == 0) {
        // zlib reports a truncated gzip stream as an error only through gzerror.
        int code = 0;
        const char* msg = gzerror(file_, &code);
        if (code != Z_OK && code != Z_STREAM_END)
          throw FormatError(path_.string() + ": corrupt gzip data (" + (msg ? msg : "?") + ")");
        break;
      }
      done += static_cast<std::size_t>(got);
    }
    return done;
  }
  void read_exact(std::uint8_t* out, std::size_t n, const char* what) {
    const std::size_t got = read(out, n);
    if (got != n)
      throw FormatError(path_.string() + ": truncated " + what + " (" + std::to_string(got) +
                        " of " + std::to_string(n) + " bytes)");
  }
  std::int32_t read_be32(const char* what) {
    std::array<std::uint8_t, 4> b{};
    read_exact(b.data(), 4, what);
    return static_cast<std::int32_t>((std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) |
                                     (std::uint32_t{b[2]} << 8) | std::uint32_t{b[3]});
  }
  void expect_end() {
    std::uint8_t extra = 0;
    if (read(&extra, 1) != 0)
      throw FormatError(path_.string() + ": trailing bytes after the data the header announces");
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  gzFile file_ = nullptr;
};

void check_magic(const GzReader& in, std::int32_t magic, std::int32_t expected, const char* kind) {
  if (magic != expected)
    throw FormatError(in.path().string() + ": magic number " + std::to_string(magic) +
                      ", expected " + std::to_string(expected) + " (IDX " + kind + " file)");
}

void check_size(const GzReader& in, const char* field, std::int32_t value) {
  if (value <= 0)
    throw FormatError(in.path().string() + ": header field '" + field + "' is " +
                      std::to_string(value) + ", must be positive");
}

}  // namespace

MnistImages read_mnist_images(const std::filesystem::path& path) {
  GzReader in(path);
  check_magic(in, in.read_be32("header"), kImagesMagic, "images");
  MnistImages m;
  const std::int32_t count = in.read_be32("header"), rows = in.read_be32("header"),
                     cols = in.read_be32("header");
  check_size(in, "count", count);
  check_size(in, "rows", rows);
  check_size(in, "cols", cols);
  m.count = count;
  m.rows = rows;
  m.cols = cols;
  const std::int64_t bytes = m.count * m.rows * m.cols;
  if (bytes > kMaxBytes)
    throw FormatError(path.string() + ": header announces " + std::to_string(bytes) +
                      " pixel bytes, more than the 1 GiB limit");
  m.pixels.resize(static_cast<std::size_t>(bytes));
  in.read_exact(m.pixels.data(), m.pixels.size(), "pixel data");
  in.expect_end();
  return m;
}

std::vector<std::uint8_t> read_mnist_labels(const std::filesystem::path& path) {
  GzReader in(path);
  check_magic(in, in.read_be32("header"), kLabelsMagic, "labels");
  const std::int32_t count = in.read_be32("header");
  check_size(in, "count", count);
  if (count > kMaxBytes) throw FormatError(path.string() + ": absurd label count");
  std::vector<std::uint8_t> labels(static_cast<std::size_t>(count));
  in.read_exact(labels.data(), labels.size(), "label data");
  in.expect_end();
  for (std::size_t i = 0; i < labels.size(); ++i)
    if (labels[i] > 9)
      throw FormatError(path.string() + ": label " + std::to_string(i) + " is " +
                        std::to_string(labels[i]) + ", outside 0..9");
  return labels;
}

MnistSet read_mnist(const std::filesystem::path& images_path,
                    const std::filesystem::path& labels_path) {
  MnistSet set;
  set.images = read_mnist_images(images_path);
  set.labels = read_mnist_labels(labels_path);
  if (static_cast<std::int64_t>(set.labels.size()) != set.images.count)
    throw FormatError(labels_path.string() + ": " + std::to_string(set.labels.size()) +
                      " labels for the " + std::to_string(set.images.count) + " images of " +
                      images_path.string());
  return set;
}

MnistSet read_mnist_test(const std::filesystem::path& dir) {
  return read_mnist(dir / "t10k-images-idx3-ubyte.gz", dir / "t10k-labels-idx1-ubyte.gz");
}

numerics::MatrixF mnist_to_model_images(const MnistImages& images, std::int64_t first,
                                        std::int64_t count, std::int64_t out_size,
                                        float pad_value) {
  if (first < 0 || count < 0 || first + count > images.count)
    throw InvalidArgument("mnist_to_model_images: images " + std::to_string(first) + ".." +
                          std::to_string(first + count - 1) + " outside the " +
                          std::to_string(images.count) + " of the set");
  const std::int64_t mr = out_size - images.rows, mc = out_size - images.cols;
  if (mr < 0 || mc < 0 || mr % 2 != 0 || mc % 2 != 0)
    throw InvalidArgument("mnist_to_model_images: cannot centre " + std::to_string(images.rows) +
                          "x" + std::to_string(images.cols) + " images in " +
                          std::to_string(out_size) + "x" + std::to_string(out_size));
  numerics::MatrixF out = numerics::MatrixF::Constant(count, out_size * out_size, pad_value);
  const std::int64_t r0 = mr / 2, c0 = mc / 2, n = images.rows * images.cols;
  for (std::int64_t i = 0; i < count; ++i) {
    const std::uint8_t* src = images.pixels.data() + (first + i) * n;
    for (std::int64_t y = 0; y < images.rows; ++y)
      for (std::int64_t x = 0; x < images.cols; ++x)
        out(i, (r0 + y) * out_size + c0 + x) =
            static_cast<float>(src[y * images.cols + x]) / 127.5f - 1.0f;
  }
  return out;
}

std::vector<std::int32_t> mnist_labels_range(const std::vector<std::uint8_t>& labels,
                                             std::int64_t first, std::int64_t count) {
  if (first < 0 || count < 0 || first + count > static_cast<std::int64_t>(labels.size()))
    throw InvalidArgument("mnist_labels_range: labels " + std::to_string(first) + ".." +
                          std::to_string(first + count - 1) + " outside the " +
                          std::to_string(labels.size()) + " of the set");
  return std::vector<std::int32_t>(labels.begin() + first, labels.begin() + first + count);
}

}  // namespace cimba::workloads
