#pragma once
// Reader and writer of the safetensors format (https://huggingface.co/docs/safetensors):
// 8-byte little-endian header length, a JSON header {name: {dtype, shape, data_offsets}, ...,
// "__metadata__": {str: str}}, then the raw little-endian data. The reader validates the header
// fully (dtype known, byte size = shape x dtype size, offsets inside the data and not
// overlapping) and throws cimba::FormatError naming the file and the problem.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace cimba::workloads {

enum class DType { F32, F16, BF16, F64, I8, U8, I16, I32, I64, BOOL };

/// Name as written in safetensors headers ("F32", "BF16", ...).
const char* dtype_name(DType dtype);
/// Bytes per element.
std::size_t dtype_size(DType dtype);

/// One tensor of a file; owns its raw bytes.
struct Tensor {
  std::string name;
  DType dtype = DType::F32;
  std::vector<std::int64_t> shape;
  std::vector<std::uint8_t> bytes;

  std::int64_t numel() const;
  /// Values converted to float32 (F16/BF16/F64 and integer types are converted exactly where
  /// float32 can hold them).
  std::vector<float> to_f32() const;
  /// Values converted to int64; throws FormatError for floating dtypes.
  std::vector<std::int64_t> to_i64() const;
};

class SafetensorsFile {
 public:
  /// Reads and validates the whole file. Throws IoError (unreadable) or FormatError.
  static SafetensorsFile read(const std::filesystem::path& path);

  const std::filesystem::path& path() const { return path_; }
  bool contains(const std::string& name) const { return tensors_.count(name) != 0; }
  /// Throws FormatError naming the file and the missing tensor.
  const Tensor& at(const std::string& name) const;
  /// Tensor names in file order (order of data offsets).
  const std::vector<std::string>& names() const { return names_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

  /// Convenience: `at(name).to_f32()` after checking the shape (when `expected_shape` is not
  /// empty).
  std::vector<float> f32(const std::string& name,
                         const std::vector<std::int64_t>& expected_shape = {}) const;

  /// Values of an F64 tensor (FormatError naming the file and tensor for another dtype);
  /// `shape` (optional) receives its shape.
  std::vector<double> f64_values(const std::string& name,
                                 std::vector<std::int64_t>* shape = nullptr) const;
  /// The single value of a one-element F64 tensor (FormatError otherwise).
  double f64_scalar(const std::string& name) const;

 private:
  std::filesystem::path path_;
  std::map<std::string, Tensor> tensors_;
  std::vector<std::string> names_;
  std::map<std::string, std::string> metadata_;
};

/// Writes tensors (in the given order) and metadata. Throws IoError.
void write_safetensors(const std::filesystem::path& path, const std::vector<Tensor>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

/// Builds an F32 / I32 / U8 tensor from values.
Tensor make_tensor_f32(const std::string& name, const std::vector<std::int64_t>& shape,
                       const std::vector<float>& values);
Tensor make_tensor_f64(const std::string& name, const std::vector<std::int64_t>& shape,
                       const std::vector<double>& values);
Tensor make_tensor_i32(const std::string& name, const std::vector<std::int64_t>& shape,
                       const std::vector<std::int32_t>& values);
Tensor make_tensor_u8(const std::string& name, const std::vector<std::int64_t>& shape,
                      const std::vector<std::uint8_t>& values);

/// Throws FormatError naming `file`, the tensor and the first offending element unless every
/// value is finite: a NaN or infinite weight or activation would otherwise flow through
/// quantization silently (NaN ranges, "null" SQNRs) or fail far from its cause.
void require_finite(const std::vector<float>& values, const Tensor& tensor,
                    const std::filesystem::path& file);

/// IEEE binary16 / bfloat16 of a float, round to nearest even (overflow to infinity, NaN quiet).
std::uint16_t float_to_f16(float f);
std::uint16_t float_to_bf16(float f);

/// Encodes float values as an F32, F16 or BF16 tensor (InvalidArgument for other dtypes).
Tensor encode_tensor(const std::string& name, const std::vector<std::int64_t>& shape,
                     const float* data, DType dtype);

/// Rounds values in place to what `dtype` (F32, F16, BF16) stores, so that saved weights reload
/// bit-identical.
void round_to_storage(std::vector<float>& values, DType dtype);

/// "[2, 3]" for messages.
std::string shape_string(const std::vector<std::int64_t>& shape);

}  // namespace cimba::workloads
