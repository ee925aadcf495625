#include "workloads/io/safetensors.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>
#include <system_error>

#include "models/common/error.hpp"
#include "workloads/io/json_text.hpp"

namespace cimba::workloads {
namespace {

// Upper bound on the JSON header, as in the reference implementation (100 MB).
constexpr std::uint64_t kMaxHeaderBytes = 100'000'000;

struct DTypeInfo {
  DType dtype;
  const char* name;
  std::size_t size;
};
constexpr DTypeInfo kDTypes[] = {{DType::F32, "F32", 4},   {DType::F16, "F16", 2},
                                 {DType::BF16, "BF16", 2}, {DType::F64, "F64", 8},
                                 {DType::I8, "I8", 1},     {DType::U8, "U8", 1},
                                 {DType::I16, "I16", 2},   {DType::I32, "I32", 4},
                                 {DType::I64, "I64", 8},   {DType::BOOL, "BOOL", 1}};

[[noreturn]] void fail(const std::filesystem::path& path, const std::string& what) {
  throw FormatError(path.string() + ": not a valid safetensors file: " + what);
}

float half_to_float(std::uint16_t h) {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  std::uint32_t exponent = (h >> 10) & 0x1fu;
  std::uint32_t mantissa = h & 0x3ffu;
  std::uint32_t bits;
  if (exponent == 0) {
    if (mantissa == 0) {
      bits = sign;
    } else {  // subnormal: normalise
      int e = -1;
      do {
        ++e;
        mantissa <<= 1;
      } while ((mantissa & 0x400u) == 0);
      bits = sign | (static_cast<std::uint32_t>(127 - 15 - e) << 23) | ((mantissa & 0x3ffu) << 13);
    }
  } else if (exponent == 0x1f) {
    bits = sign | 0x7f800000u | (mantissa << 13);
  } else {
    bits = sign | ((exponent + 127 - 15) << 23) | (mantissa << 13);
  }
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

float bf16_to_float(std::uint16_t b) {
  const std::uint32_t bits = static_cast<std::uint32_t>(b) << 16;
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

template <typename T>
T load(const std::uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof v);  // little-endian host assumed (x86-64, aarch64)
  return v;
}

}  // namespace

const char* dtype_name(DType dtype) {
  for (const auto& info : kDTypes)
    if (info.dtype == dtype) return info.name;
  return "?";
}

std::size_t dtype_size(DType dtype) {
  for (const auto& info : kDTypes)
    if (info.dtype == dtype) return info.size;
  return 0;
}

std::string shape_string(const std::vector<std::int64_t>& shape) {
  std::ostringstream os;
  os << '[';
  for (std::size_t i = 0; i < shape.size(); ++i) os << (i ? ", " : "") << shape[i];
  os << ']';
  return os.str();
}

std::int64_t Tensor::numel() const {
  std::int64_t n = 1;
  for (const std::int64_t d : shape) {
    if (d < 0)
      throw InvalidArgument("tensor '" + name + "': shape " + shape_string(shape) +
                            " has a negative dimension");
    if (__builtin_mul_overflow(n, d, &n))
      throw InvalidArgument("tensor '" + name + "': shape " + shape_string(shape) +
                            " has more elements than a 64-bit count holds");
  }
  return n;
}

namespace {
// The element count of `t`, checked against its bytes (a Tensor built by hand may disagree).
std::size_t checked_count(const Tensor& t) {
  const auto n = static_cast<std::size_t>(t.numel());
  if (t.bytes.size() / dtype_size(t.dtype) != n || t.bytes.size() % dtype_size(t.dtype) != 0)
    throw InvalidArgument("tensor '" + t.name + "': " + std::to_string(t.bytes.size()) +
                          " bytes for shape " + shape_string(t.shape) + " of " +
                          dtype_name(t.dtype));
  return n;
}
}  // namespace

std::vector<float> Tensor::to_f32() const {
  const std::size_t n = checked_count(*this);
  std::vector<float> out(n);
  const std::uint8_t* p = bytes.data();
  switch (dtype) {
    case DType::F32:
      if (n != 0) std::memcpy(out.data(), p, n * 4);  // an empty vector's data() may be null
      break;
    case DType::F16:
      for (std::size_t i = 0; i < n; ++i) out[i] = half_to_float(load<std::uint16_t>(p + 2 * i));
      break;
    case DType::BF16:
      for (std::size_t i = 0; i < n; ++i) out[i] = bf16_to_float(load<std::uint16_t>(p + 2 * i));
      break;
    case DType::F64:
      for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<float>(load<double>(p + 8 * i));
      break;
    case DType::I8:
      for (std::size_t i = 0; i < n; ++i) out[i] = load<std::int8_t>(p + i);
      break;
    case DType::U8:
    case DType::BOOL:
      for (std::size_t i = 0; i < n; ++i) out[i] = p[i];
      break;
    case DType::I16:
      for (std::size_t i = 0; i < n; ++i) out[i] = load<std::int16_t>(p + 2 * i);
      break;
    case DType::I32:
      for (std::size_t i = 0; i < n; ++i)
        out[i] = static_cast<float>(load<std::int32_t>(p + 4 * i));
      break;
    case DType::I64:
      for (std::size_t i = 0; i < n; ++i)
        out[i] = static_cast<float>(load<std::int64_t>(p + 8 * i));
      break;
  }
  return out;
}

std::vector<std::int64_t> Tensor::to_i64() const {
  const std::size_t n = checked_count(*this);
  std::vector<std::int64_t> out(n);
  const std::uint8_t* p = bytes.data();
  switch (dtype) {
    case DType::I8:
      for (std::size_t i = 0; i < n; ++i) out[i] = load<std::int8_t>(p + i);
      break;
    case DType::U8:
    case DType::BOOL:
      for (std::size_t i = 0; i < n; ++i) out[i] = p[i];
      break;
    case DType::I16:
      for (std::size_t i = 0; i < n; ++i) out[i] = load<std::int16_t>(p + 2 * i);
      break;
    case DType::I32:
      for (std::size_t i = 0; i < n; ++i) out[i] = load<std::int32_t>(p + 4 * i);
      break;
    case DType::I64:
      for (std::size_t i = 0; i < n; ++i) out[i] = load<std::int64_t>(p + 8 * i);
      break;
    default:
      throw FormatError("tensor '" + name + "' has dtype " + dtype_name(dtype) +
                        " where an integer tensor is expected");
  }
  return out;
}

namespace {

// A tensor's byte range in the data section, for the overlap check and the reads.
struct Span {
  std::uint64_t begin, end;
  std::string name;
};

// Reads the 8-byte header length and the JSON header text; `file_size` and `header_len` receive
// the sizes.
std::string read_header(std::ifstream& in, const std::filesystem::path& path,
                        std::uint64_t& file_size, std::uint64_t& header_len) {
  in.seekg(0, std::ios::end);
  file_size = static_cast<std::uint64_t>(in.tellg());
  in.seekg(0);
  if (file_size < 8)
    fail(path,
         "file has " + std::to_string(file_size) + " bytes, shorter than the 8-byte header length");
  std::uint8_t len_bytes[8];
  in.read(reinterpret_cast<char*>(len_bytes), 8);
  header_len = load<std::uint64_t>(len_bytes);
  if (header_len > kMaxHeaderBytes)
    fail(path, "header length " + std::to_string(header_len) + " exceeds 100 MB");
  if (header_len > file_size - 8)
    fail(path, "truncated: header length " + std::to_string(header_len) + " but only " +
                   std::to_string(file_size - 8) + " bytes follow");
  std::string header(header_len, '\0');
  in.read(header.data(), static_cast<std::streamsize>(header_len));
  if (!in) throw IoError(path.string() + ": read error in header");
  return header;
}

// Parses the header text as a JSON object.
nlohmann::json parse_header(const std::filesystem::path& path, const std::string& header) {
  nlohmann::json j;
  std::string duplicate;
  try {
    j = parse_json_text(header, duplicate);
  } catch (const nlohmann::json::exception& e) {  // parse_error, out_of_range (1e999), ...
    fail(path, std::string("header is not JSON: ") + e.what());
  }
  if (!duplicate.empty())
    fail(path, "header names '" + duplicate + "' twice (which one is meant is ambiguous)");
  if (!j.is_object()) fail(path, "header is not a JSON object");
  return j;
}

// Reads the "__metadata__" entry (string values only) into `metadata`.
void read_metadata(const std::filesystem::path& path, const nlohmann::json& v,
                   std::map<std::string, std::string>& metadata) {
  if (!v.is_object()) fail(path, "__metadata__ is not an object");
  for (auto m = v.begin(); m != v.end(); ++m) {
    if (!m.value().is_string()) fail(path, "__metadata__ value '" + m.key() + "' is not a string");
    metadata[m.key()] = m.value().get<std::string>();
  }
}

// The dtype of a tensor entry (known names only).
const DTypeInfo& entry_dtype(const std::filesystem::path& path, const std::string& where,
                             const nlohmann::json& v) {
  if (!v["dtype"].is_string()) fail(path, where + "dtype is not a string");
  const std::string dtype_str = v["dtype"].get<std::string>();
  const DTypeInfo* info = nullptr;
  for (const auto& d : kDTypes)
    if (dtype_str == d.name) info = &d;
  if (!info)
    fail(path, where + "unknown dtype '" + dtype_str +
                   "' (supported: F32 F16 BF16 F64 I8 U8 I16 I32 I64 BOOL)");
  return *info;
}

// The shape of a tensor entry into t.shape; returns its element count. The product of the
// non-zero dimensions must fit in an int64 too, so that no product of dimensions a consumer forms
// overflows, even for an empty tensor such as [0, 2^62, 2^62].
std::uint64_t entry_shape(const std::filesystem::path& path, const std::string& where,
                          const nlohmann::json& v, Tensor& t) {
  if (!v["shape"].is_array()) fail(path, where + "shape is not an array");
  constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  std::uint64_t numel = 1, nonzero_product = 1;
  for (const auto& d : v["shape"]) {
    if (!d.is_number_integer() || (d.is_number_unsigned() && d.get<std::uint64_t>() > kMax) ||
        d.get<std::int64_t>() < 0)
      fail(path, where + "shape has an entry that is not a non-negative 64-bit integer");
    t.shape.push_back(d.get<std::int64_t>());
    const auto dim = static_cast<std::uint64_t>(t.shape.back());
    if (dim == 0) {
      numel = 0;
      continue;
    }
    if (nonzero_product > kMax / dim)
      fail(path, where + "shape has more elements than fit in 64 bits");
    nonzero_product *= dim;
    numel *= dim;
  }
  return numel;
}

// Validates the tensor entry `name` (dtype, shape, offsets inside the data and matching the
// byte size) and returns the tensor without its bytes; `span` receives its byte range.
Tensor parse_tensor_entry(const std::filesystem::path& path, const std::string& name,
                          const nlohmann::json& v, std::uint64_t data_size, Span& span) {
  const std::string where = "tensor '" + name + "': ";
  if (!v.is_object()) fail(path, where + "entry is not an object");
  for (const char* key : {"dtype", "shape", "data_offsets"})
    if (!v.contains(key)) fail(path, where + "missing '" + key + "'");
  const DTypeInfo* info = &entry_dtype(path, where, v);
  Tensor t;
  t.name = name;
  t.dtype = info->dtype;
  const std::uint64_t numel = entry_shape(path, where, v, t);
  const auto& off = v["data_offsets"];
  if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() ||
      !off[1].is_number_unsigned())
    fail(path, where + "data_offsets is not a pair of non-negative integers");
  const auto begin = off[0].get<std::uint64_t>();
  const auto end = off[1].get<std::uint64_t>();
  if (end < begin) fail(path, where + "data_offsets end before begin");
  if (end > data_size)
    fail(path, where + "data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
                   ") past the end of the data (" + std::to_string(data_size) +
                   " bytes): file truncated?");
  // The division first: numel x dtype size can wrap around 2^64 ([2^62, 2] x 4 bytes is 0
  // modulo 2^64) and made an absurd shape match empty data.
  if (numel > (end - begin) / info->size || end - begin != numel * info->size)
    fail(path, where + "byte size " + std::to_string(end - begin) + " does not match shape " +
                   shape_string(t.shape) + " x " + std::to_string(info->size) + " bytes");
  span = {begin, end, name};
  return t;
}

// Sorts the spans by offset and fails when two tensors overlap.
void check_overlaps(const std::filesystem::path& path, std::vector<Span>& spans) {
  std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) {
    return a.begin < b.begin || (a.begin == b.begin && a.end < b.end);
  });
  for (std::size_t i = 1; i < spans.size(); ++i)
    if (spans[i].begin < spans[i - 1].end)
      fail(path, "tensors '" + spans[i - 1].name + "' and '" + spans[i].name + "' overlap");
}

}  // namespace

SafetensorsFile SafetensorsFile::read(const std::filesystem::path& path) {
  std::error_code error;
  if (std::filesystem::is_directory(path, error))
    throw IoError(path.string() + ": is a directory, not a safetensors file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(path.string() + ": cannot open for reading");
  std::uint64_t file_size = 0, header_len = 0;
  const std::string header = read_header(in, path, file_size, header_len);
  const std::uint64_t data_size = file_size - 8 - header_len;
  const nlohmann::json j = parse_header(path, header);

  SafetensorsFile file;
  file.path_ = path;
  std::vector<Span> spans;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& name = it.key();
    const auto& v = it.value();
    if (name == "__metadata__") {
      read_metadata(path, v, file.metadata_);
      continue;
    }
    Span span;
    Tensor t = parse_tensor_entry(path, name, v, data_size, span);
    spans.push_back(span);
    file.tensors_.emplace(name, std::move(t));
  }
  check_overlaps(path, spans);

  for (const auto& s : spans) {
    Tensor& t = file.tensors_.at(s.name);
    t.bytes.resize(s.end - s.begin);
    in.seekg(static_cast<std::streamoff>(8 + header_len + s.begin));
    in.read(reinterpret_cast<char*>(t.bytes.data()), static_cast<std::streamsize>(t.bytes.size()));
    if (!in) throw IoError(path.string() + ": read error in tensor '" + s.name + "'");
    file.names_.push_back(s.name);
  }
  return file;
}

void require_finite(const std::vector<float>& values, const Tensor& tensor,
                    const std::filesystem::path& file) {
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (std::isfinite(values[i])) continue;
    const char* what = std::isnan(values[i]) ? "NaN" : values[i] > 0 ? "+inf" : "-inf";
    throw FormatError(file.string() + ": tensor '" + tensor.name + "' holds " + what +
                      " at element " + std::to_string(i) + " of " + std::to_string(values.size()) +
                      (tensor.dtype == DType::F64 ? " (or a value beyond float32's range)" : "") +
                      "; values must be finite");
  }
}

const Tensor& SafetensorsFile::at(const std::string& name) const {
  auto it = tensors_.find(name);
  if (it == tensors_.end()) throw FormatError(path_.string() + ": no tensor named '" + name + "'");
  return it->second;
}

std::vector<float> SafetensorsFile::f32(const std::string& name,
                                        const std::vector<std::int64_t>& expected_shape) const {
  const Tensor& t = at(name);
  if (!expected_shape.empty() && t.shape != expected_shape)
    throw FormatError(path_.string() + ": tensor '" + name + "' has shape " +
                      shape_string(t.shape) + ", expected " + shape_string(expected_shape));
  return t.to_f32();
}

std::vector<double> SafetensorsFile::f64_values(const std::string& name,
                                                std::vector<std::int64_t>* shape) const {
  const Tensor& t = at(name);
  if (t.dtype != DType::F64)
    throw FormatError(path_.string() + ": tensor '" + name + "' has dtype " + dtype_name(t.dtype) +
                      ", expected F64");
  std::vector<double> v(static_cast<std::size_t>(t.numel()));
  if (!v.empty()) std::memcpy(v.data(), t.bytes.data(), v.size() * sizeof(double));
  if (shape) *shape = t.shape;
  return v;
}

double SafetensorsFile::f64_scalar(const std::string& name) const {
  const std::vector<double> v = f64_values(name);
  if (v.size() != 1)
    throw FormatError(path_.string() + ": tensor '" + name + "' has " + std::to_string(v.size()) +
                      " values, expected 1");
  return v[0];
}

void write_safetensors(const std::filesystem::path& path, const std::vector<Tensor>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::uint64_t offset = 0;
  for (const auto& t : tensors) {
    checked_count(t);  // the byte size matches the shape
    header[t.name] = {{"dtype", dtype_name(t.dtype)},
                      {"shape", t.shape},
                      {"data_offsets", {offset, offset + t.bytes.size()}}};
    offset += t.bytes.size();
  }
  std::string h = header.dump();
  while ((8 + h.size()) % 8 != 0) h.push_back(' ');  // align data to 8 bytes as the reference does
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw IoError(path.string() + ": cannot open for writing");
  const std::uint64_t len = h.size();
  out.write(reinterpret_cast<const char*>(&len), 8);
  out.write(h.data(), static_cast<std::streamsize>(h.size()));
  for (const auto& t : tensors)
    out.write(reinterpret_cast<const char*>(t.bytes.data()),
              static_cast<std::streamsize>(t.bytes.size()));
  if (!out) throw IoError(path.string() + ": write error");
}

namespace {
template <typename T>
Tensor make_tensor(const std::string& name, DType dtype, const std::vector<std::int64_t>& shape,
                   const std::vector<T>& values) {
  Tensor t;
  t.name = name;
  t.dtype = dtype;
  t.shape = shape;
  if (static_cast<std::int64_t>(values.size()) != t.numel())
    throw InvalidArgument("make_tensor: '" + name + "' has " + std::to_string(values.size()) +
                          " values for shape " + shape_string(shape));
  t.bytes.resize(values.size() * sizeof(T));
  if (!values.empty()) std::memcpy(t.bytes.data(), values.data(), t.bytes.size());
  return t;
}
}  // namespace

std::uint16_t float_to_f16(float f) {
  std::uint32_t x;
  std::memcpy(&x, &f, 4);
  const std::uint16_t sign = static_cast<std::uint16_t>((x >> 16) & 0x8000u);
  x &= 0x7fffffffu;
  if (x >= 0x7f800000u) return sign | 0x7c00u | (x > 0x7f800000u ? 0x200u : 0u);
  if (x >= 0x477ff000u) return sign | 0x7c00u;  // >= 65520 rounds to infinity
  if (x < 0x38800000u) {  // below 2^-14: subnormal half, in units of 2^-24 (exact scaling)
    float a;
    std::memcpy(&a, &x, 4);
    return sign | static_cast<std::uint16_t>(std::nearbyint(a * 16777216.0f));
  }
  std::uint32_t h = ((((x >> 23) - 127 + 15) << 10) | ((x & 0x7fffffu) >> 13));
  const std::uint32_t rem = x & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) ++h;  // a carry moves into the exponent
  return static_cast<std::uint16_t>(sign | h);
}

std::uint16_t float_to_bf16(float f) {
  std::uint32_t x;
  std::memcpy(&x, &f, 4);
  if ((x & 0x7fffffffu) > 0x7f800000u) return static_cast<std::uint16_t>((x >> 16) | 0x40u);
  x += 0x7fffu + ((x >> 16) & 1u);
  return static_cast<std::uint16_t>(x >> 16);
}

Tensor encode_tensor(const std::string& name, const std::vector<std::int64_t>& shape,
                     const float* data, DType dtype) {
  Tensor t;
  t.name = name;
  t.dtype = dtype;
  t.shape = shape;
  const auto n = static_cast<std::size_t>(t.numel());
  if (dtype == DType::F32) {
    t.bytes.resize(n * 4);
    if (n) std::memcpy(t.bytes.data(), data, n * 4);
    return t;
  }
  if (dtype != DType::F16 && dtype != DType::BF16)
    throw InvalidArgument(std::string("float values can be stored as F32, F16 or BF16, not ") +
                          dtype_name(dtype) + " (tensor '" + name + "')");
  t.bytes.resize(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint16_t v = dtype == DType::F16 ? float_to_f16(data[i]) : float_to_bf16(data[i]);
    std::memcpy(t.bytes.data() + 2 * i, &v, 2);
  }
  return t;
}

void round_to_storage(std::vector<float>& values, DType dtype) {
  if (dtype == DType::F32) return;
  values = encode_tensor("round", {static_cast<std::int64_t>(values.size())}, values.data(), dtype)
               .to_f32();
}

Tensor make_tensor_f32(const std::string& name, const std::vector<std::int64_t>& shape,
                       const std::vector<float>& values) {
  return make_tensor(name, DType::F32, shape, values);
}
Tensor make_tensor_f64(const std::string& name, const std::vector<std::int64_t>& shape,
                       const std::vector<double>& values) {
  return make_tensor(name, DType::F64, shape, values);
}
Tensor make_tensor_i32(const std::string& name, const std::vector<std::int64_t>& shape,
                       const std::vector<std::int32_t>& values) {
  return make_tensor(name, DType::I32, shape, values);
}
Tensor make_tensor_u8(const std::string& name, const std::vector<std::int64_t>& shape,
                      const std::vector<std::uint8_t>& values) {
  return make_tensor(name, DType::U8, shape, values);
}

}  // namespace cimba::workloads
