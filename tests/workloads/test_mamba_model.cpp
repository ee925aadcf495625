// Mamba config parsing, loader errors, random generator and save/load round trips
// (workloads/mamba1/mamba_model.hpp, workloads/io/hf_config.hpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>

#include "models/common/error.hpp"
#include "models/numerics/activations.hpp"
#include "test_mamba_test_util.hpp"
#include "tests/shared_data.hpp"
#include "workloads/io/hf_config.hpp"
#include "workloads/io/safetensors.hpp"
#include "workloads/mamba1/mamba_forward.hpp"
#include "workloads/mamba1/mamba_model.hpp"

namespace cimba::workloads {
namespace {

using test::TempDir;
using test::tiny_mamba_config;

const std::filesystem::path kShared = CIMBA_SHARED_DATA_DIR;

// Expects `f` to throw E whose message contains every string of `parts`.
template <typename E>
void expect_error(const std::function<void()>& f, const std::vector<std::string>& parts) {
  try {
    f();
    ADD_FAILURE() << "no exception";
  } catch (const E& e) {
    const std::string msg = e.what();
    for (const auto& p : parts)
      EXPECT_NE(msg.find(p), std::string::npos) << msg << "\n lacks: " << p;
  }
}

const char* kMamba130mConfig = R"({
  "architectures": ["MambaForCausalLM"], "bos_token_id": 0, "conv_kernel": 4, "eos_token_id": 0,
  "expand": 2, "fused_add_norm": true, "hidden_act": "silu", "hidden_size": 768,
  "initializer_range": 0.1, "intermediate_size": 1536, "layer_norm_epsilon": 1e-05,
  "model_type": "mamba", "n_layer": 24, "num_hidden_layers": 24, "pad_token_id": 0,
  "pad_vocab_size_multiple": 8, "rescale_prenorm_residual": false, "residual_in_fp32": true,
  "rms_norm": true, "state_size": 16, "time_step_floor": 0.0001, "time_step_init_scheme": "random",
  "time_step_max": 0.1, "time_step_min": 0.001, "time_step_rank": 48, "time_step_scale": 1.0,
  "torch_dtype": "float32", "transformers_version": "4.39.0.dev0", "use_bias": false,
  "use_cache": true, "use_conv_bias": true, "vocab_size": 50280})";

TEST(MambaConfig, ParsesMamba130mHfConfig) {
  const MambaConfig c = parse_mamba_config(HfConfig::parse(kMamba130mConfig, "config.json"));
  EXPECT_EQ(c, mamba_130m_config());
  EXPECT_TRUE(c.tie_word_embeddings);  // absent -> transformers' default
  EXPECT_EQ(c.x_proj_size(), 80);
}

TEST(MambaConfig, ParsesTheSharedModelConfig) {
  const auto path = kShared / "mamba-bytes-4l/config.json";
  CIMBA_SKIP_WITHOUT_SHARED_DATA(path);
  const MambaConfig c = read_mamba_config(path);
  EXPECT_EQ(c.num_hidden_layers, 4);
  EXPECT_EQ(c.vocab_size, 256);
  EXPECT_EQ(c.hidden_size, 768);
  EXPECT_EQ(c.intermediate_size, 1536);
  EXPECT_EQ(c.time_step_rank, 48);
  EXPECT_FALSE(c.use_bias);
  EXPECT_TRUE(c.use_conv_bias);
  EXPECT_TRUE(c.tie_word_embeddings);
  EXPECT_DOUBLE_EQ(c.layer_norm_epsilon, 1e-5);
}

TEST(MambaConfig, MissingOrMistypedFieldNamesFileAndField) {
  expect_error<FormatError>(
      [] { parse_mamba_config(HfConfig::parse(R"({"hidden_size": 8})", "my/config.json")); },
      {"my/config.json", "state_size"});
  expect_error<FormatError>(
      [] {
        std::string text = kMamba130mConfig;
        text.replace(text.find("\"hidden_size\": 768"), 18, "\"hidden_size\": \"768\"");
        parse_mamba_config(HfConfig::parse(text, "c.json"));
      },
      {"c.json", "hidden_size", "integer"});
  expect_error<FormatError>(
      [] {
        std::string text = kMamba130mConfig;
        text.replace(text.find("\"use_bias\": false"), 17, "\"use_bias\": 0");
        parse_mamba_config(HfConfig::parse(text, "c.json"));
      },
      {"c.json", "use_bias"});
  expect_error<FormatError>(
      [] {
        std::string text = kMamba130mConfig;
        text.replace(text.find("\"layer_norm_epsilon\": 1e-05"), 27,
                     "\"layer_norm_epsilon\": \"x\"");
        parse_mamba_config(HfConfig::parse(text, "c.json"));
      },
      {"c.json", "layer_norm_epsilon"});
  expect_error<FormatError>(
      [] {
        std::string text = kMamba130mConfig;
        text.replace(text.find("\"model_type\": \"mamba\""), 21, "\"model_type\": \"mamba2\"");
        parse_mamba_config(HfConfig::parse(text, "c.json"));
      },
      {"c.json", "model_type", "mamba2"});
  expect_error<FormatError>([] { HfConfig::parse("[1, 2]", "c.json"); }, {"c.json", "object"});
  expect_error<FormatError>([] { HfConfig::parse("{", "c.json"); }, {"c.json", "JSON"});
  expect_error<IoError>([] { read_mamba_config("/nonexistent/config.json"); },
                        {"/nonexistent/config.json"});
}

TEST(MambaConfig, TimeStepRankAutoAndDefaults) {
  const MambaConfig c = parse_mamba_config(HfConfig::parse(
      R"({"hidden_size": 40, "state_size": 4, "num_hidden_layers": 1, "vocab_size": 7,
          "conv_kernel": 4, "time_step_rank": "auto"})",
      "c.json"));
  EXPECT_EQ(c.time_step_rank, 3);      // ceil(40 / 16)
  EXPECT_EQ(c.intermediate_size, 80);  // expand 2 x hidden
  EXPECT_FALSE(c.use_bias);
  EXPECT_TRUE(c.use_conv_bias);
  EXPECT_TRUE(c.tie_word_embeddings);
}

TEST(MambaConfig, JsonRoundTrip) {
  MambaConfig c = tiny_mamba_config();
  c.use_bias = true;
  c.use_conv_bias = false;
  c.tie_word_embeddings = false;
  c.layer_norm_epsilon = 1e-6;
  c.rescale_prenorm_residual = true;
  EXPECT_EQ(parse_mamba_config(HfConfig::parse(mamba_config_json(c), "c.json")), c);
}

// Bitwise equality of every stored tensor.
void expect_models_equal(const MambaModel& a, const MambaModel& b) {
  ASSERT_EQ(a.config, b.config);
  std::vector<std::vector<float>> values_a;
  for_each_mamba_tensor(
      a, [&](const std::string&, const std::vector<std::int64_t>& shape, const float* d) {
        std::int64_t n = 1;
        for (auto s : shape) n *= s;
        values_a.emplace_back(d, d + n);
      });
  std::size_t i = 0;
  for_each_mamba_tensor(
      b, [&](const std::string& name, const std::vector<std::int64_t>&, const float* d) {
        ASSERT_LT(i, values_a.size());
        const auto& va = values_a[i++];
        EXPECT_EQ(0, std::memcmp(va.data(), d, va.size() * sizeof(float))) << name;
      });
  EXPECT_EQ(i, values_a.size());
}

TEST(MambaRandom, DeterministicFromSeedWithTheDocumentedInit) {
  const MambaConfig c = tiny_mamba_config();
  MambaRandomOptions o;
  o.seed = 7;
  const MambaModel a = make_random_mamba(c, o), b = make_random_mamba(c, o);
  expect_models_equal(a, b);
  o.seed = 8;
  EXPECT_NE(make_random_mamba(c, o).embeddings(0, 0), a.embeddings(0, 0));
  const MambaLayerWeights& l = a.layers[1];
  for (int d = 0; d < c.intermediate_size; ++d) {
    for (int n = 0; n < c.state_size; ++n) EXPECT_FLOAT_EQ(l.A_log(d, n), std::log(n + 1.0f));
    EXPECT_EQ(l.D[d], 1.0f);
    const float dt = numerics::softplus(l.dt_proj_bias[d]);
    EXPECT_GE(dt, 0.001f * 0.999f);
    EXPECT_LE(dt, 0.1f * 1.001f);
  }
  EXPECT_EQ(l.norm[3], 1.0f);
  // N(0, 0.02): the sample standard deviation of in_proj (32 x 16 x 2 = 1024 values).
  const double sd = std::sqrt(l.in_proj_weight.squaredNorm() / l.in_proj_weight.size());
  EXPECT_NEAR(sd, 0.02, 0.002);
}

TEST(MambaRandom, GeneratesMamba130mShapes) {
  MambaConfig c = mamba_130m_config();
  c.num_hidden_layers = 1;  // the 24 layers have the same shapes; keep the test fast
  const MambaModel m = make_random_mamba(c);
  EXPECT_EQ(m.embeddings.rows(), 50280);
  EXPECT_EQ(m.layers[0].in_proj_weight.rows(), 3072);
  EXPECT_EQ(m.layers[0].x_proj_weight.rows(), 80);
  EXPECT_EQ(m.layers[0].dt_proj_weight.cols(), 48);
  EXPECT_EQ(&m.lm_head_weight(), &m.embeddings);
}

TEST(MambaSaveLoad, RoundTripsF32F16Bf16AndShards) {
  for (const DType dtype : {DType::F32, DType::F16, DType::BF16}) {
    for (const std::int64_t shard : {std::int64_t{0}, std::int64_t{6000}}) {
      SCOPED_TRACE(std::string(dtype_name(dtype)) + " shard " + std::to_string(shard));
      MambaConfig c = tiny_mamba_config();
      c.use_bias = true;
      c.tie_word_embeddings = false;
      MambaRandomOptions o;
      o.seed = 3;
      o.storage = dtype;
      const MambaModel m = make_random_mamba(c, o);
      TempDir dir;
      save_mamba(m, dir.path(), {dtype, shard});
      if (shard) {
        EXPECT_TRUE(std::filesystem::exists(dir.path() / "model.safetensors.index.json"));
        EXPECT_FALSE(std::filesystem::exists(dir.path() / "model.safetensors"));
      }
      const MambaModel back = load_mamba(dir.path());
      expect_models_equal(m, back);
      EXPECT_EQ(back.lm_head.rows(), c.vocab_size);
      EXPECT_EQ(back.layers[0].in_proj_bias.size(), 2 * c.intermediate_size);
    }
  }
}

TEST(MambaSaveLoad, LoadsAFolderLaidOutAsMamba130mHf) {
  // state-spaces/mamba-130m-hf: its config.json (n_layer and num_hidden_layers, no
  // tie_word_embeddings), one F32 model.safetensors without lm_head.weight. Two of its 24 layers
  // keep the test small (the layers all have the same shapes).
  MambaConfig c = mamba_130m_config();
  c.num_hidden_layers = 2;
  MambaRandomOptions o;
  o.seed = 130;
  const MambaModel m = make_random_mamba(c, o);
  TempDir dir;
  save_mamba(m, dir.path());
  std::string text = kMamba130mConfig;
  for (const char* field : {"\"n_layer\": 24", "\"num_hidden_layers\": 24"}) {
    const auto pos = text.find(field);
    text.replace(pos + std::strlen(field) - 2, 2, "2");
  }
  std::ofstream(dir.path() / "config.json") << text;
  const MambaModel back = load_mamba(dir.path());
  expect_models_equal(m, back);
  const numerics::MatrixF logits =
      mamba_forward(back, std::vector<std::int32_t>{50279, 0, 1234}, 1, 3);
  EXPECT_EQ(logits.cols(), 50280);
  EXPECT_TRUE(logits.allFinite());
}

TEST(MambaSaveLoad, WriteRandomMambaRoundsToTheFileDtype) {
  TempDir dir;
  MambaRandomOptions o;
  o.seed = 5;
  const MambaModel m = write_random_mamba(dir.path(), tiny_mamba_config(), o, {DType::F16, 0});
  expect_models_equal(m, load_mamba(dir.path()));
  const auto file = SafetensorsFile::read(dir.path() / "model.safetensors");
  EXPECT_EQ(file.at("backbone.embeddings.weight").dtype, DType::F16);
}

TEST(MambaSaveLoad, LoadsTheSharedShardedF16Model) {
  const auto dir = kShared / "mamba-bytes-4l";
  CIMBA_SKIP_WITHOUT_SHARED_DATA(dir / "config.json");
  EXPECT_EQ(hf_weight_files(dir).size(), 3u);
  const MambaModel m = load_mamba(dir);
  EXPECT_EQ(m.layers.size(), 4u);
  EXPECT_EQ(m.layers[3].conv1d_bias.size(), 1536);
  EXPECT_EQ(m.lm_head.size(), 0);
  std::int64_t params = 0;
  for_each_mamba_tensor(m,
                        [&](const std::string&, const std::vector<std::int64_t>& s, const float*) {
                          std::int64_t n = 1;
                          for (auto d : s) n *= d;
                          params += n;
                        });
  EXPECT_EQ(params, 15283968);  // README: parameters (unique)
  // config.json sets rescale_prenorm_residual: transformers 5 divides the loaded out_proj by
  // sqrt(4) = 2 (see MambaLoadOptions); as stored they are twice that.
  EXPECT_TRUE(m.config.rescale_prenorm_residual);
  MambaLoadOptions as_stored;
  as_stored.transformers_out_proj_rescale = false;
  const MambaModel stored = load_mamba(dir, as_stored);
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ((stored.layers[i].out_proj_weight - 2.0f * m.layers[i].out_proj_weight)
                  .cwiseAbs()
                  .maxCoeff(),
              0.0f);
  EXPECT_EQ((stored.layers[0].in_proj_weight - m.layers[0].in_proj_weight).cwiseAbs().maxCoeff(),
            0.0f);
}

// Writes the tensors of `m` as one model.safetensors, after `edit` changed the list.
void write_edited(const MambaModel& m, const std::filesystem::path& dir,
                  const std::function<void(std::vector<Tensor>&)>& edit) {
  save_mamba(m, dir);
  std::vector<Tensor> tensors;
  for_each_mamba_tensor(
      m, [&](const std::string& name, const std::vector<std::int64_t>& shape, const float* d) {
        std::int64_t n = 1;
        for (auto s : shape) n *= s;
        tensors.push_back(make_tensor_f32(name, shape, std::vector<float>(d, d + n)));
      });
  edit(tensors);
  write_safetensors(dir / "model.safetensors", tensors);
}

TEST(MambaLoader, MissingTensorIsNamed) {
  const MambaModel m = make_random_mamba(tiny_mamba_config());
  TempDir dir;
  write_edited(m, dir.path(), [](std::vector<Tensor>& t) {
    t.erase(std::find_if(t.begin(), t.end(), [](const Tensor& x) {
      return x.name == "backbone.layers.1.mixer.dt_proj.bias";
    }));
  });
  expect_error<FormatError>([&] { load_mamba(dir.path()); },
                            {"missing", "backbone.layers.1.mixer.dt_proj.bias"});
}

TEST(MambaLoader, WrongShapeNamesTensorAndShapes) {
  const MambaModel m = make_random_mamba(tiny_mamba_config());
  TempDir dir;
  write_edited(m, dir.path(), [](std::vector<Tensor>& t) {
    for (auto& x : t)
      if (x.name == "backbone.layers.0.mixer.x_proj.weight")
        x = make_tensor_f32(x.name, {32, 10}, std::vector<float>(320, 0.0f));
  });
  expect_error<FormatError>([&] { load_mamba(dir.path()); },
                            {"backbone.layers.0.mixer.x_proj.weight", "[32, 10]", "[10, 32]"});
}

TEST(MambaLoader, UnknownTensorIsNamed) {
  const MambaModel m = make_random_mamba(tiny_mamba_config());
  TempDir dir;
  write_edited(m, dir.path(), [](std::vector<Tensor>& t) {
    t.push_back(make_tensor_f32("backbone.layers.2.mixer.D", {32}, std::vector<float>(32, 1.0f)));
    t.push_back(
        make_tensor_f32("backbone.layers.0.mixer.in_proj.bias", {64}, std::vector<float>(64)));
  });
  expect_error<FormatError>(
      [&] { load_mamba(dir.path()); },
      {"unknown", "backbone.layers.2.mixer.D", "backbone.layers.0.mixer.in_proj.bias"});
}

TEST(MambaLoader, NonFloatTensorIsRejected) {
  const MambaModel m = make_random_mamba(tiny_mamba_config());
  TempDir dir;
  write_edited(m, dir.path(), [](std::vector<Tensor>& t) {
    for (auto& x : t)
      if (x.name == "backbone.norm_f.weight")
        x = make_tensor_i32(x.name, {16}, std::vector<std::int32_t>(16, 1));
  });
  expect_error<FormatError>([&] { load_mamba(dir.path()); }, {"backbone.norm_f.weight", "I32"});
}

TEST(MambaLoader, TiedEmbeddingsAcceptAStoredLmHeadUntiedRequireIt) {
  const MambaModel tied = make_random_mamba(tiny_mamba_config());
  {
    TempDir dir;
    write_edited(tied, dir.path(), [&](std::vector<Tensor>& t) {
      t.push_back(make_tensor_f32("lm_head.weight", {20, 16}, std::vector<float>(320, 0.5f)));
    });
    const MambaModel back = load_mamba(dir.path());
    EXPECT_EQ(back.lm_head.size(), 0);
    EXPECT_EQ(back.lm_head_weight()(0, 0), tied.embeddings(0, 0));
  }
  MambaConfig c = tiny_mamba_config();
  c.tie_word_embeddings = false;
  const MambaModel untied = make_random_mamba(c);
  TempDir dir;
  write_edited(untied, dir.path(), [](std::vector<Tensor>& t) { t.pop_back(); });
  expect_error<FormatError>([&] { load_mamba(dir.path()); }, {"missing", "lm_head.weight"});
}

TEST(MambaLoader, BiasFlagsDecideWhichTensorsExist) {
  MambaConfig c = tiny_mamba_config();
  c.use_conv_bias = false;
  const MambaModel m = make_random_mamba(c);
  EXPECT_EQ(m.layers[0].conv1d_bias.size(), 0);
  TempDir dir;
  save_mamba(m, dir.path());
  EXPECT_EQ(load_mamba(dir.path()).layers[0].conv1d_bias.size(), 0);
  // The same weights with a conv bias added: now an unknown tensor.
  write_edited(m, dir.path(), [](std::vector<Tensor>& t) {
    t.push_back(
        make_tensor_f32("backbone.layers.0.mixer.conv1d.bias", {32}, std::vector<float>(32)));
  });
  expect_error<FormatError>(
      [&] { load_mamba(dir.path()); },
      {"unknown", "backbone.layers.0.mixer.conv1d.bias", "use_conv_bias false"});
}

TEST(MambaLoader, ShardIndexErrors) {
  const MambaModel m = make_random_mamba(tiny_mamba_config());
  TempDir dir;
  save_mamba(m, dir.path(), {DType::F16, 4000});
  const auto index_path = dir.path() / "model.safetensors.index.json";
  std::ifstream in(index_path);
  std::string index((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  in.close();
  // Claim the embeddings live in the second shard.
  const std::string key = "\"backbone.embeddings.weight\": \"model-00001-of-";
  const auto pos = index.find(key);
  ASSERT_NE(pos, std::string::npos) << index;
  std::string wrong = index;
  wrong.replace(pos + key.size() - 5, 1, "2");  // model-00002-of-...
  std::ofstream(index_path) << wrong;
  expect_error<FormatError>([&] { load_mamba(dir.path()); }, {"backbone.embeddings.weight"});
  std::filesystem::remove(index_path);
  expect_error<FormatError>([&] { load_mamba(dir.path()); }, {"model.safetensors.index.json"});
}

// Findings of the fuzzers and hostile inputs (issue 15).
std::string mamba_config_error(const std::string& field, const std::string& value) {
  std::string text = kMamba130mConfig;
  const std::string key = "\"" + field + "\": ";
  const auto at = text.find(key);
  if (at == std::string::npos) {
    text.insert(1, key + value + ", ");
  } else {
    const auto end = text.find_first_of(",}", at);
    text.replace(at + key.size(), end - at - key.size(), value);
  }
  try {
    parse_mamba_config(HfConfig::parse(text, "c.json"));
  } catch (const FormatError& e) {
    return e.what();
  }
  return "no error";
}

TEST(MambaConfigHostile, HugeExpandIsAnErrorNamingExpand) {
  // expand x hidden_size was cast from double to int64 unchecked (undefined for 1e300), and the
  // error named intermediate_size, which the file does not have.
  std::string text = kMamba130mConfig;
  text.replace(text.find("\"intermediate_size\": 1536, "), 27, "");
  text.replace(text.find("\"expand\": 2"), 11, "\"expand\": 1e300");
  expect_error<FormatError>([&] { parse_mamba_config(HfConfig::parse(text, "c.json")); },
                            {"c.json: field 'expand' (1e+300) times 'hidden_size' "
                             "(768) must give an intermediate size from 1 to 16777216"});
  text.replace(text.find("1e300"), 5, "0.001");  // 0.768: no channel
  expect_error<FormatError>([&] { parse_mamba_config(HfConfig::parse(text, "c.json")); },
                            {"field 'expand' (0.001) times"});
  text.replace(text.find("0.001"), 5, "2.5");
  EXPECT_EQ(parse_mamba_config(HfConfig::parse(text, "c.json")).intermediate_size, 1920);
}

TEST(MambaConfigHostile, SizesAreBoundedAndNamed) {
  EXPECT_NE(mamba_config_error("hidden_size", "100000000")
                .find("c.json: field 'hidden_size' must be positive and at most 16777216 (found "
                      "100000000)"),
            std::string::npos);
  std::string only_n_layer = kMamba130mConfig;  // the message names the field the file has
  only_n_layer.replace(only_n_layer.find("\"num_hidden_layers\": 24, "), 25, "");
  only_n_layer.replace(only_n_layer.find("\"n_layer\": 24"), 13, "\"n_layer\": 0");
  expect_error<FormatError>([&] { parse_mamba_config(HfConfig::parse(only_n_layer, "c.json")); },
                            {"field 'n_layer' must be positive"});
  EXPECT_NE(mamba_config_error("hidden_size", "9223372036854775808")
                .find("field 'hidden_size' must be an integer below 2^63"),
            std::string::npos);
  // Every size within bounds, but 2^24 layers of 2^24-wide linears: beyond 2^40 weights.
  std::string text = kMamba130mConfig;
  text.replace(text.find("\"num_hidden_layers\": 24"), 23, "\"num_hidden_layers\": 16777216");
  expect_error<FormatError>([&] { parse_mamba_config(HfConfig::parse(text, "c.json")); },
                            {"c.json: the sizes describe", "more than 2^40 weights"});
}

TEST(MambaConfigHostile, NumberBeyondADoubleOrARepeatedFieldNamesTheFile) {
  // 1e999 made nlohmann::json throw out_of_range, which escaped as "internal error".
  EXPECT_NE(mamba_config_error("layer_norm_epsilon", "1e999").find("c.json: not valid JSON"),
            std::string::npos);
  expect_error<FormatError>(
      [] { HfConfig::parse(R"({"hidden_size": 8, "hidden_size": 9000000})", "c.json"); },
      {"c.json: field 'hidden_size' given twice"});
}

TEST(MambaLoaderHostile, SizesBeyondTheWeightFilesFailBeforeAllocating) {
  // num_hidden_layers: 100000 (or hidden_size: 10000000) made the loader allocate and zero
  // gigabytes before reading a tensor, then die in bad_alloc.
  const MambaModel m = make_random_mamba(tiny_mamba_config());
  TempDir dir;
  save_mamba(m, dir.path());
  MambaConfig edited = tiny_mamba_config();
  edited.num_hidden_layers = 10000;
  std::ofstream(dir.path() / "config.json", std::ios::trunc) << mamba_config_json(edited);
  expect_error<FormatError>(
      [&] { load_mamba(dir.path()); },
      {(dir.path() / "config.json").string() + ": hidden_size 16, ", "num_hidden_layers 10000,",
       "weights, more than the", "bytes of " + dir.path().string() + "'s weight files hold"});
  // The shard index and shards count too.
  TempDir sharded;
  save_mamba(m, sharded.path(), {DType::F16, 4000});
  EXPECT_EQ(load_mamba(sharded.path()).config, m.config);
  std::ofstream(sharded.path() / "config.json", std::ios::trunc) << mamba_config_json(edited);
  expect_error<FormatError>([&] { load_mamba(sharded.path()); }, {"weight files hold"});
}

TEST(MambaLoaderHostile, NonFiniteWeightIsNamedWithFileAndTensor) {
  // A NaN out_proj was accepted in silence (a plausible quantized loss, SQNR null).
  const MambaModel m = make_random_mamba(tiny_mamba_config());
  for (const float bad : {std::nanf(""), -INFINITY}) {
    TempDir dir;
    write_edited(m, dir.path(), [&](std::vector<Tensor>& t) {
      for (auto& x : t)
        if (x.name == "backbone.layers.1.mixer.out_proj.weight") {
          std::vector<float> v = x.to_f32();
          v[5] = bad;
          x = make_tensor_f32(x.name, x.shape, v);
        }
    });
    expect_error<FormatError>(
        [&] { load_mamba(dir.path()); },
        {(dir.path() / "model.safetensors").string() +
             ": tensor 'backbone.layers.1.mixer.out_proj.weight' holds ",
         std::isnan(bad) ? "NaN at element 5 of 512" : "-inf at element 5 of 512"});
  }
}

TEST(MambaLoaderHostile, IndexWithANumberBeyondADoubleNamesTheIndex) {
  const MambaModel m = make_random_mamba(tiny_mamba_config());
  TempDir dir;
  save_mamba(m, dir.path(), {DType::F16, 4000});
  const auto index_path = dir.path() / "model.safetensors.index.json";
  std::ofstream(index_path, std::ios::trunc) << R"({"metadata": {"total_size": 1e999}})";
  expect_error<FormatError>([&] { load_mamba(dir.path()); },
                            {index_path.string() + ": not valid JSON"});
}

}  // namespace
}  // namespace cimba::workloads
