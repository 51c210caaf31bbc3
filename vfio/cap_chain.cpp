#include "vfio/cap_chain.hpp"

#include <cerrno>
#include <set>

#include "vfio/format.hpp"
#include "vfiokit/vfio/error.hpp"

namespace vfiokit {

std::vector<InfoCap> parse_info_caps(std::span<const uint8_t> info, uint32_t first_offset,
                                     const char* what) {
  constexpr size_t kHeader = 8;  // sizeof(struct vfio_info_cap_header)
  std::vector<InfoCap> caps;
  std::set<uint32_t> seen;
  for (uint32_t off = first_offset; off != 0;) {
    if (off < kHeader || off > info.size() || info.size() - off < kHeader)
      throw_error(detail::format("parse {} capability chain", what),
                  detail::format("offset {:#x} (buffer {} bytes)", off, info.size()), EINVAL,
                  "the kernel returned a malformed capability chain");
    if (!seen.insert(off).second)
      throw_error(detail::format("parse {} capability chain", what),
                  detail::format("offset {:#x}", off), ELOOP,
                  "the capability chain loops back on itself");
    const uint8_t* p = info.data() + off;
    InfoCap cap{};
    cap.id = static_cast<uint16_t>(p[0] | p[1] << 8);
    cap.version = static_cast<uint16_t>(p[2] | p[3] << 8);
    const uint32_t next = static_cast<uint32_t>(p[4]) | static_cast<uint32_t>(p[5]) << 8 |
                          static_cast<uint32_t>(p[6]) << 16 | static_cast<uint32_t>(p[7]) << 24;
    cap.offset = off;
    const size_t end = (next > off && next <= info.size()) ? next : info.size();
    cap.bytes = info.subspan(off, end - off);
    caps.push_back(cap);
    off = next;
  }
  return caps;
}

const InfoCap* find_info_cap(const std::vector<InfoCap>& caps, uint16_t id) {
  for (const auto& c : caps)
    if (c.id == id) return &c;
  return nullptr;
}

}  // namespace vfiokit
