#pragma once
// Hugging Face model folders: `config.json` fields with typed, named errors, and the weights of
// `model.safetensors` or of the shards listed in `model.safetensors.index.json` (weight_map).
// Errors are cimba::FormatError / IoError naming the file and the field or tensor.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "workloads/io/safetensors.hpp"

namespace cimba::workloads {

/// A parsed `config.json` (a JSON object). Accessors throw FormatError naming the file and the
/// field when a required field is missing or has the wrong type.
class HfConfig {
 public:
  /// Reads and parses the file. Throws IoError (unreadable) or FormatError (not a JSON object).
  static HfConfig read(const std::filesystem::path& path);
  /// Parses `text`; `origin` names the source in messages.
  static HfConfig parse(const std::string& text, const std::string& origin);

  const std::string& origin() const;
  bool has(const std::string& field) const;
  /// True when the field is present and is a JSON string.
  bool is_string(const std::string& field) const;

  /// Required fields. Integers must be JSON integers; doubles accept any JSON number.
  std::int64_t get_int(const std::string& field) const;
  double get_double(const std::string& field) const;
  bool get_bool(const std::string& field) const;
  std::string get_string(const std::string& field) const;
  /// Optional fields: `fallback` when absent (a present field of the wrong type still throws).
  std::int64_t get_int(const std::string& field, std::int64_t fallback) const;
  double get_double(const std::string& field, double fallback) const;
  bool get_bool(const std::string& field, bool fallback) const;
  std::string get_string(const std::string& field, const std::string& fallback) const;

 private:
  struct Impl;
  std::shared_ptr<const Impl> impl_;
};

/// The safetensors files holding a model folder's weights: `model.safetensors` when present
/// (what transformers loads first), otherwise the shards named by `model.safetensors.index.json`
/// in sorted order. Throws FormatError when the folder has neither, or the index is malformed.
std::vector<std::filesystem::path> hf_weight_files(const std::filesystem::path& model_dir);

/// The largest size field (hidden size, layer count, vocabulary...) and the most parameters a
/// config.json may describe: beyond any real model, and small enough that every product of
/// sizes the loaders form fits in an int64.
inline constexpr std::int64_t kMaxModelDimension = std::int64_t{1} << 24;
inline constexpr double kMaxModelParameters = 1099511627776.0;  // 2^40

/// Before a loader allocates the `parameters` weights that `config_path` describes: throws
/// FormatError naming the config file unless the folder's weight files (hf_weight_files) are
/// large enough to hold them at 2 bytes a weight (F16 / BF16, the narrowest float type loaded).
/// A config whose sizes were edited (hidden_size: 10000000) then fails in milliseconds instead
/// of allocating gigabytes. `sizes` describes the sizes for the message.
void check_weights_can_hold(const std::filesystem::path& model_dir,
                            const std::filesystem::path& config_path, double parameters,
                            const std::string& sizes);

/// Calls `visit(tensor, file)` for every tensor of the folder's weights, one file at a time (a
/// shard's memory is released before the next is read). For a sharded folder, checks that every
/// tensor is in the shard the index names, that every indexed tensor exists, and that no
/// tensor appears twice; throws FormatError naming the tensor and the files otherwise.
void for_each_hf_tensor(
    const std::filesystem::path& model_dir,
    const std::function<void(const Tensor& tensor, const std::filesystem::path& file)>& visit);

/// Where one named weight of a model goes: its expected shape and its FP32 storage.
struct WeightSlot {
  std::string name;
  std::vector<std::int64_t> shape;
  float* data = nullptr;
};

/// Loads the folder's weights (for_each_hf_tensor) into `slots`, upcasting F16/BF16/F64 to FP32.
/// A tensor without a slot goes to `extra` (when given), which returns true to skip it (and may
/// throw); otherwise it is unknown. Throws FormatError naming the file and tensor for a wrong
/// shape or a non-float dtype, then one listing the unknown tensors (followed by
/// `model_description`), then one listing the missing ones (required by `config_path`).
void load_hf_weights(
    const std::filesystem::path& model_dir, const std::vector<WeightSlot>& slots,
    const std::filesystem::path& config_path, const std::string& model_description,
    const std::function<bool(const Tensor& tensor, const std::filesystem::path& file)>& extra = {});

}  // namespace cimba::workloads
