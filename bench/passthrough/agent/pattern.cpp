#include "pattern.hpp"

#include <cinttypes>
#include <cstdio>
#include <cstring>

namespace vfiokit::passthrough {
namespace {

constexpr std::uint64_t kMagic = 0x56464b5041545431ULL;  // "VFKPATT1"

std::uint64_t mix(std::uint64_t seed, std::uint64_t index) {
  // splitmix64 of (seed, index): distinct, non-zero start per unit.
  std::uint64_t z = seed ^ (index * 0x9e3779b97f4a7c15ULL) ^ 0xd1b54a32d192ed03ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  return z ? z : 1;
}

std::uint64_t word_at(std::uint64_t* state) {
  std::uint64_t x = *state;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  *state = x;
  return x;
}

}  // namespace

void fill_unit(void* buf, std::size_t size, std::uint64_t seed, std::uint64_t index) {
  auto* w = static_cast<std::uint64_t*>(buf);
  std::size_t n = size / 8;
  const std::uint64_t head[4] = {kMagic, index, seed, ~index};
  std::size_t i = 0;
  for (; i < n && i < 4; ++i) w[i] = head[i];
  std::uint64_t state = mix(seed, index);
  for (; i < n; ++i) w[i] = word_at(&state);
}

std::optional<std::string> verify_unit(const void* buf, std::size_t size, std::uint64_t seed,
                                       std::uint64_t index) {
  const auto* w = static_cast<const std::uint64_t*>(buf);
  std::size_t n = size / 8;
  char msg[256];
  if (n >= 2 && w[0] == kMagic && w[1] != index) {
    std::snprintf(msg, sizeof msg,
                  "unit %" PRIu64 " holds the stamp of unit %" PRIu64
                  " (data from the wrong place)",
                  index, w[1]);
    return std::string(msg);
  }
  const std::uint64_t head[4] = {kMagic, index, seed, ~index};
  std::uint64_t state = mix(seed, index);
  for (std::size_t i = 0; i < n; ++i) {
    std::uint64_t want = i < 4 ? head[i] : word_at(&state);
    if (w[i] != want) {
      std::snprintf(msg, sizeof msg,
                    "unit %" PRIu64 " differs at byte %zu: expected 0x%016" PRIx64
                    ", found 0x%016" PRIx64 "%s",
                    index, i * 8, want, w[i], i == 0 ? " (no stamp: never written?)" : "");
      return std::string(msg);
    }
  }
  return std::nullopt;
}

}  // namespace vfiokit::passthrough
