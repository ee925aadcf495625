// Built-in TinyShakespeare texts and byte windows (workloads/io/text_data.hpp).
#include <gtest/gtest.h>

#include <filesystem>

#include "models/common/error.hpp"
#include "tests/shared_data.hpp"
#include "workloads/io/text_data.hpp"

namespace cimba::workloads {
namespace {

const std::filesystem::path kShared = CIMBA_SHARED_DATA_DIR;
const std::filesystem::path kSource = CIMBA_SOURCE_DIR;

TEST(TextData, BuiltinTextsEqualTheShippedFiles) {
  EXPECT_EQ(builtin_validation_text().size(), 111540u);
  EXPECT_EQ(builtin_calibration_text().size(), 65536u);
  EXPECT_EQ(builtin_validation_text(),
            read_text_file(kSource / "workloads/data/tinyshakespeare_val.txt"));
  EXPECT_EQ(builtin_calibration_text(),
            read_text_file(kSource / "workloads/data/tinyshakespeare_train_head.txt"));
}

TEST(TextData, BuiltinTextsAreTheSplitOfInputTxt) {
  const auto input = kShared / "tinyshakespeare/input.txt";
  CIMBA_SKIP_WITHOUT_SHARED_DATA(input);
  const TextSplit split = split_tinyshakespeare(read_text_file(input), input.string());
  EXPECT_EQ(split.train.size(), 1003854u);
  EXPECT_EQ(split.validation.size(), 111540u);
  EXPECT_EQ(split.validation, builtin_validation_text());
  EXPECT_EQ(split.train.substr(0, 65536), builtin_calibration_text());
}

TEST(TextData, ADirectoryIsAnIoErrorNamingIt) {
  // An ifstream opens a directory; its first read threw basic_filebuf::underflow from the
  // standard library, reported as "internal error".
  const std::filesystem::path dir = std::filesystem::temp_directory_path();
  try {
    read_text_file(dir);
    FAIL() << "no error";
  } catch (const IoError& e) {
    EXPECT_EQ(std::string(e.what()), dir.string() + ": is a directory, not a text file");
  }
}

TEST(TextData, SplitRejectsAnotherFile) {
  try {
    split_tinyshakespeare("hello", "x.txt");
    FAIL() << "no error";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("x.txt"), std::string::npos) << e.what();
  }
}

TEST(TextData, WindowsFeedOneBlockAndScoreTheNextByte) {
  // 435 = floor((111540 - 1) / 256): the last window needs bytes up to 435 * 256 = 111360 < 111540.
  EXPECT_EQ(windows_that_fit(111540, 256), 435);
  EXPECT_EQ(windows_that_fit(257, 256), 1);
  EXPECT_EQ(windows_that_fit(256, 256), 0);
  const TokenWindows all = make_byte_windows(builtin_validation_text(), 256);
  EXPECT_EQ(all.count, 435);
  EXPECT_EQ(all.predicted_tokens(), 111360);
  const std::string_view text = builtin_validation_text();
  const TokenWindows w = make_byte_windows(text, 4, 3);
  ASSERT_EQ(w.count, 3);
  for (std::int64_t k = 0; k < 3; ++k)
    for (std::int64_t t = 0; t < 4; ++t) {
      EXPECT_EQ(w.input(k)[t], static_cast<unsigned char>(text[k * 4 + t]));
      EXPECT_EQ(w.target(k)[t], static_cast<unsigned char>(text[k * 4 + t + 1]));
    }
  const TokenWindows bytes = make_byte_windows(std::string("\xff\x01\x02", 3), 2);
  EXPECT_EQ(bytes.input(0)[0], 255);  // bytes are unsigned token ids
}

TEST(TextData, WindowArgumentsAreChecked) {
  EXPECT_THROW(make_byte_windows("abcdef", 0), InvalidArgument);
  EXPECT_THROW(make_byte_windows("abcdef", 2, -1), InvalidArgument);
  EXPECT_THROW(make_byte_windows("abcdef", 2, 3), InvalidArgument);  // only 2 fit
  EXPECT_EQ(make_byte_windows("abcdef", 2, 0).count, 2);
}

}  // namespace
}  // namespace cimba::workloads
