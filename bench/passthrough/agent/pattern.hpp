#pragma once
// Data-integrity pattern shared by the guest agent and its peer: every 4 KiB unit
// carries a stamp (magic, unit index, seed) and a body derived from (seed, index),
// so a read that returns stale, misplaced or corrupted data is detected.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace vfiokit::passthrough {

/// Size of one stamped unit: a disk block (LBA in 4 KiB units) or a stream chunk.
inline constexpr std::size_t kUnitSize = 4096;

/// Fills `size` bytes (a multiple of 8) at `buf` with the unit for (`seed`, `index`):
/// words 0..3 are magic, index, seed and ~index; the rest is a xorshift stream.
void fill_unit(void* buf, std::size_t size, std::uint64_t seed, std::uint64_t index);

/// Checks `size` bytes at `buf` against fill_unit(seed, index). Returns nothing when
/// they match, else a description of the first difference (byte offset, what was
/// expected, what was found), naming a wrong index when the stamp shows one.
std::optional<std::string> verify_unit(const void* buf, std::size_t size, std::uint64_t seed,
                                       std::uint64_t index);

}  // namespace vfiokit::passthrough
