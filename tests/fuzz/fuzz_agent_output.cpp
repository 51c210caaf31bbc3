// The passthrough harness's guest console as the report reads it
// (bench/passthrough/agent/report.hpp): tagged JSON lines among anything else; a
// malformed line or a missing end marks the run failed, and nothing throws.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "bench/passthrough/agent/report.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  const auto run = vfiokit::passthrough::parse_agent_output("passthrough", in);
  // A run counts only if the agent said it was done.
  if (run.failure.empty() && !run.done) __builtin_trap();
  if (run.results.size() != run.order.size()) __builtin_trap();
  return 0;
}
