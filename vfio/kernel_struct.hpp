// Kernel structs in byte buffers (the ioctls that fill them: vfio/raw/). VFIO's info ioctls fill a
// buffer whose size the kernel decides (argsz) and whose contents a device or driver shapes; a
// struct is copied in and out of it with memcpy, bounds-checked, never cast over it.
#pragma once

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <type_traits>

#include "vfiokit/vfio/error.hpp"

namespace vfiokit {

/// The T at `offset` of `bytes`; throws vfiokit::Error (EINVAL) naming `what` if the
/// buffer ends before it.
template <class T>
T read_struct(std::span<const uint8_t> bytes, size_t offset, const std::string& what,
              const std::string& object) {
  static_assert(std::is_trivially_copyable_v<T>);
  if (offset > bytes.size() || bytes.size() - offset < sizeof(T))
    throw_error(what, object, EINVAL,
                "the kernel's reply is truncated: " + std::to_string(bytes.size()) +
                    " bytes, the field at offset " + std::to_string(offset) + " needs " +
                    std::to_string(sizeof(T)));
  T v;
  std::memcpy(&v, bytes.data() + offset, sizeof(T));
  return v;
}

}  // namespace vfiokit
