#include "workloads/io/hf_config.hpp"

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <system_error>

#include "models/common/error.hpp"
#include "workloads/io/json_text.hpp"

namespace cimba::workloads {

struct HfConfig::Impl {
  std::string origin;
  nlohmann::json json;

  const nlohmann::json& field(const std::string& name) const {
    auto it = json.find(name);
    if (it == json.end()) throw FormatError(origin + ": missing required field '" + name + "'");
    return *it;
  }
  [[noreturn]] void wrong_type(const std::string& name, const char* expected) const {
    throw FormatError(origin + ": field '" + name + "' must be " + expected + " (found " +
                      json.at(name).dump() + ")");
  }
};

namespace {
std::string read_all(const std::filesystem::path& path) {
  std::error_code error;
  if (std::filesystem::is_directory(path, error))
    throw IoError(path.string() + ": is a directory, not a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(path.string() + ": cannot open for reading");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw IoError(path.string() + ": read error");
  return text;
}

// The JSON of a file: FormatError naming `origin` for malformed text, a number that overflows a
// double (1e999) or a key given twice in one object.
nlohmann::json parse_json_file_text(const std::string& text, const std::string& origin) {
  nlohmann::json json;
  std::string duplicate;
  try {
    json = parse_json_text(text, duplicate);
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(origin + ": not valid JSON: " + e.what());
  }
  if (!duplicate.empty())
    throw FormatError(origin + ": field '" + duplicate +
                      "' given twice (which value is meant is ambiguous)");
  return json;
}
}  // namespace

HfConfig HfConfig::read(const std::filesystem::path& path) {
  return parse(read_all(path), path.string());
}

HfConfig HfConfig::parse(const std::string& text, const std::string& origin) {
  auto impl = std::make_shared<Impl>();
  impl->origin = origin;
  impl->json = parse_json_file_text(text, origin);
  if (!impl->json.is_object()) throw FormatError(origin + ": not a JSON object");
  HfConfig config;
  config.impl_ = std::move(impl);
  return config;
}

const std::string& HfConfig::origin() const { return impl_->origin; }
bool HfConfig::has(const std::string& field) const { return impl_->json.contains(field); }
bool HfConfig::is_string(const std::string& field) const {
  return has(field) && impl_->json.at(field).is_string();
}

std::int64_t HfConfig::get_int(const std::string& field) const {
  const auto& v = impl_->field(field);
  if (!v.is_number_integer()) impl_->wrong_type(field, "an integer");
  if (v.is_number_unsigned() && v.get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX))
    impl_->wrong_type(field, "an integer below 2^63");
  return v.get<std::int64_t>();
}
double HfConfig::get_double(const std::string& field) const {
  const auto& v = impl_->field(field);
  if (!v.is_number()) impl_->wrong_type(field, "a number");
  return v.get<double>();
}
bool HfConfig::get_bool(const std::string& field) const {
  const auto& v = impl_->field(field);
  if (!v.is_boolean()) impl_->wrong_type(field, "true or false");
  return v.get<bool>();
}
std::string HfConfig::get_string(const std::string& field) const {
  const auto& v = impl_->field(field);
  if (!v.is_string()) impl_->wrong_type(field, "a string");
  return v.get<std::string>();
}
std::int64_t HfConfig::get_int(const std::string& field, std::int64_t fallback) const {
  return has(field) ? get_int(field) : fallback;
}
double HfConfig::get_double(const std::string& field, double fallback) const {
  return has(field) ? get_double(field) : fallback;
}
bool HfConfig::get_bool(const std::string& field, bool fallback) const {
  return has(field) ? get_bool(field) : fallback;
}
std::string HfConfig::get_string(const std::string& field, const std::string& fallback) const {
  return has(field) ? get_string(field) : fallback;
}

namespace {

constexpr const char* kSingleFile = "model.safetensors";
constexpr const char* kIndexFile = "model.safetensors.index.json";

// weight_map of the index: tensor name -> shard file name.
std::map<std::string, std::string> read_weight_map(const std::filesystem::path& index_path) {
  const std::string origin = index_path.string();
  const nlohmann::json j = parse_json_file_text(read_all(index_path), origin);
  if (!j.is_object() || !j.contains("weight_map") || !j.at("weight_map").is_object())
    throw FormatError(origin + ": missing object 'weight_map'");
  std::map<std::string, std::string> map;
  const nlohmann::json& weight_map = j.at("weight_map");
  for (auto it = weight_map.begin(); it != weight_map.end(); ++it) {
    if (!it.value().is_string())
      throw FormatError(origin + ": weight_map entry '" + it.key() + "' is not a file name");
    const std::string file = it.value().get<std::string>();
    // Shards live beside the index; refuse paths that leave the folder.
    if (file.empty() || file.find('/') != std::string::npos || file.find('\\') != std::string::npos)
      throw FormatError(origin + ": weight_map entry '" + it.key() + "' names file '" + file +
                        "', not a file in the model folder");
    map.emplace(it.key(), file);
  }
  if (map.empty()) throw FormatError(origin + ": weight_map is empty");
  return map;
}

}  // namespace

std::vector<std::filesystem::path> hf_weight_files(const std::filesystem::path& model_dir) {
  if (!std::filesystem::is_directory(model_dir))
    throw IoError(model_dir.string() + ": not a directory");
  if (std::filesystem::exists(model_dir / kSingleFile)) return {model_dir / kSingleFile};
  const auto index = model_dir / kIndexFile;
  if (!std::filesystem::exists(index))
    throw FormatError(model_dir.string() + ": no " + kSingleFile + " or " + kIndexFile +
                      " (only safetensors checkpoints are supported)");
  std::set<std::string> files;
  for (const auto& [name, file] : read_weight_map(index)) files.insert(file);
  std::vector<std::filesystem::path> paths;
  for (const auto& f : files) paths.push_back(model_dir / f);
  return paths;
}

void check_weights_can_hold(const std::filesystem::path& model_dir,
                            const std::filesystem::path& config_path, double parameters,
                            const std::string& sizes) {
  std::uintmax_t bytes = 0;
  for (const auto& file : hf_weight_files(model_dir)) {
    std::error_code error;
    const std::uintmax_t size = std::filesystem::file_size(file, error);
    if (error) throw IoError(file.string() + ": cannot read its size: " + error.message());
    bytes += size;
  }
  if (parameters * 2.0 > static_cast<double>(bytes)) {
    char count[32];
    std::snprintf(count, sizeof count, "%.4g", parameters);
    throw FormatError(config_path.string() + ": " + sizes + " describe " + count +
                      " weights, more than the " + std::to_string(bytes) + " bytes of " +
                      model_dir.string() + "'s weight files hold (2 bytes a weight at least)");
  }
}

void for_each_hf_tensor(
    const std::filesystem::path& model_dir,
    const std::function<void(const Tensor&, const std::filesystem::path&)>& visit) {
  const auto files = hf_weight_files(model_dir);
  const bool sharded = files.size() != 1 || files.front().filename() != kSingleFile;
  std::map<std::string, std::string> weight_map;
  if (sharded) weight_map = read_weight_map(model_dir / kIndexFile);
  std::map<std::string, std::filesystem::path> seen;  // tensor -> file it was read from
  for (const auto& path : files) {
    const SafetensorsFile file = SafetensorsFile::read(path);
    for (const auto& name : file.names()) {
      auto dup = seen.find(name);
      if (dup != seen.end())
        throw FormatError(path.string() + ": tensor '" + name + "' also stored in " +
                          dup->second.string());
      seen.emplace(name, path);
      if (sharded) {
        auto it = weight_map.find(name);
        if (it == weight_map.end())
          throw FormatError(path.string() + ": tensor '" + name + "' is not listed in " +
                            (model_dir / kIndexFile).string());
        if (it->second != path.filename().string())
          throw FormatError(path.string() + ": tensor '" + name + "' is indexed in shard " +
                            it->second + " but stored in " + path.filename().string());
      }
      visit(file.at(name), path);
    }
  }
  for (const auto& [name, shard] : weight_map)
    if (!seen.count(name))
      throw FormatError((model_dir / shard).string() + ": tensor '" + name + "' listed in " +
                        kIndexFile + " is not in the shard");
}

namespace {
std::string join_names(const std::vector<std::string>& names, std::size_t limit = 8) {
  std::string s;
  for (std::size_t i = 0; i < names.size() && i < limit; ++i)
    s += (i ? ", '" : "'") + names[i] + "'";
  if (names.size() > limit) s += " and " + std::to_string(names.size() - limit) + " more";
  return s;
}
}  // namespace

void load_hf_weights(
    const std::filesystem::path& model_dir, const std::vector<WeightSlot>& slots,
    const std::filesystem::path& config_path, const std::string& model_description,
    const std::function<bool(const Tensor& tensor, const std::filesystem::path& file)>& extra) {
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < slots.size(); ++i) index.emplace(slots[i].name, i);
  std::vector<bool> loaded(slots.size(), false);
  std::vector<std::string> unknown;
  for_each_hf_tensor(model_dir, [&](const Tensor& t, const std::filesystem::path& file) {
    auto it = index.find(t.name);
    if (it == index.end()) {
      if (!(extra && extra(t, file))) unknown.push_back(t.name);
      return;
    }
    const WeightSlot& slot = slots[it->second];
    if (t.shape != slot.shape)
      throw FormatError(file.string() + ": tensor '" + t.name + "' has shape " +
                        shape_string(t.shape) + ", expected " + shape_string(slot.shape) + " for " +
                        config_path.string());
    if (t.dtype != DType::F32 && t.dtype != DType::F16 && t.dtype != DType::BF16 &&
        t.dtype != DType::F64)
      throw FormatError(file.string() + ": tensor '" + t.name + "' has dtype " +
                        dtype_name(t.dtype) + "; expected F32, F16 or BF16");
    const std::vector<float> values = t.to_f32();
    require_finite(values, t, file);
    if (!values.empty()) std::memcpy(slot.data, values.data(), values.size() * sizeof(float));
    loaded[it->second] = true;
  });
  const std::string where = model_dir.string() + ": ";
  if (!unknown.empty())
    throw FormatError(where + "unknown tensor(s) " + join_names(unknown) + " " + model_description);
  std::vector<std::string> missing;
  for (std::size_t i = 0; i < slots.size(); ++i)
    if (!loaded[i]) missing.push_back(slots[i].name);
  if (!missing.empty())
    throw FormatError(where + "missing tensor(s) " + join_names(missing) + " required by " +
                      config_path.string());
}

}  // namespace cimba::workloads
