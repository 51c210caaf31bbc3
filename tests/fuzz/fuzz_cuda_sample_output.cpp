// What a CUDA sample printed, as the guest check reads it (guest-tests/cuda_samples.hpp):
// any bytes give a SampleOutput, ran or with a problem said, and never throw.
#include <cstddef>
#include <cstdint>
#include <string>

#include "guest-tests/cuda_samples.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const auto out = vfiokit::guest::parse_sample_output("bandwidth", text);
  // A sample that did not run says why.
  if (!out.ran && out.problem.empty()) __builtin_trap();
  return 0;
}
