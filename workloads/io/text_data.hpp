#pragma once
// Byte-level evaluation and calibration text: the TinyShakespeare split of the mamba-bytes-4l
// model (train = bytes [0, 1003854), validation = [1003854, 1115394) of input.txt), the texts
// built into the library (workloads/data/README.md), and non-overlapping token windows.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace cimba::workloads {

/// Size of TinyShakespeare `input.txt` and the end of its training split (first 90%).
inline constexpr std::int64_t kTinyShakespeareBytes = 1115394;
inline constexpr std::int64_t kTinyShakespeareTrainEnd = 1003854;
/// Size of the built-in validation text and of the built-in calibration text (training head).
inline constexpr std::int64_t kTinyShakespeareValidationBytes = 111540;
inline constexpr std::int64_t kTinyShakespeareTrainHeadBytes = 65536;

/// The built-in evaluation text: TinyShakespeare's validation split, compiled into the library.
std::string_view builtin_validation_text();
/// The built-in calibration text: the first 64 KiB of TinyShakespeare's training split.
std::string_view builtin_calibration_text();

/// Whole file as bytes. Throws IoError.
std::string read_text_file(const std::filesystem::path& path);

/// The two parts of TinyShakespeare `input.txt`.
struct TextSplit {
  std::string train;       // bytes [0, 1003854)
  std::string validation;  // bytes [1003854, 1115394)
};
/// Splits the content of `input.txt`; throws FormatError (naming `origin`) if it does not have
/// TinyShakespeare's size.
TextSplit split_tinyshakespeare(std::string_view input_txt,
                                const std::string& origin = "input.txt");

/// Non-overlapping windows of a byte text, token id = byte value. Window k feeds bytes
/// [k*w, k*w+w) and is scored on the next byte of each position, bytes [k*w+1, k*w+w+1).
struct TokenWindows {
  std::int64_t window = 0;            // w, tokens per window
  std::int64_t count = 0;             // number of windows
  std::vector<std::int32_t> inputs;   // [count, window] row-major
  std::vector<std::int32_t> targets;  // [count, window] row-major: inputs shifted by one byte

  const std::int32_t* input(std::int64_t k) const { return inputs.data() + k * window; }
  const std::int32_t* target(std::int64_t k) const { return targets.data() + k * window; }
  std::int64_t predicted_tokens() const { return count * window; }
};

/// Windows of `window` bytes that fit in a text of `text_bytes` bytes: floor((text_bytes - 1) /
/// window) (435 for w = 256 on the validation split). Throws InvalidArgument for window <= 0.
std::int64_t windows_that_fit(std::int64_t text_bytes, std::int64_t window);

/// The first `max_windows` windows (0: all that fit). Throws InvalidArgument for window <= 0,
/// max_windows < 0, or max_windows larger than the number of windows that fit.
TokenWindows make_byte_windows(std::string_view text, std::int64_t window,
                               std::int64_t max_windows = 0);

}  // namespace cimba::workloads
