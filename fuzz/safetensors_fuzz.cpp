// libFuzzer target: the safetensors reader (workloads/io/safetensors.*) on arbitrary bytes, then
// every accessor a loader uses on what it accepted. A typed cimba::Error is the expected
// outcome for malformed input; anything else (another exception, a sanitizer report, a hang or
// an allocation beyond the fuzzer's limit) is a finding.
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_util.hpp"
#include "models/common/error.hpp"
#include "workloads/io/safetensors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace wl = cimba::workloads;
  const auto path = cimba::fuzz::scratch_dir() / "input.safetensors";
  cimba::fuzz::write_file(path, data, size);
  try {
    const wl::SafetensorsFile file = wl::SafetensorsFile::read(path);
    for (const auto& name : file.names()) {
      const wl::Tensor& t = file.at(name);
      try {
        const auto values = t.to_f32();
        wl::require_finite(values, t, path);
      } catch (const cimba::Error&) {
      }
      try {
        t.to_i64();
      } catch (const cimba::Error&) {
      }
      try {
        file.f64_values(name);
        file.f64_scalar(name);
      } catch (const cimba::Error&) {
      }
    }
  } catch (const cimba::Error&) {
  }
  return 0;
}
