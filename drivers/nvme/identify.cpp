#include "vfiokit/drivers/nvme/identify.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "vfio/format.hpp"
#include "vfiokit/vfio/error.hpp"

namespace vfiokit::nvme {

namespace {

template <typename T>
T le(std::span<const uint8_t> p, size_t off) {
  T v = 0;
  for (size_t i = 0; i < sizeof(T); ++i) v |= static_cast<T>(static_cast<T>(p[off + i]) << (8 * i));
  return v;
}

std::string ascii(std::span<const uint8_t> p, size_t off, size_t len) {
  std::string s(reinterpret_cast<const char*>(p.data() + off), len);
  const auto end = s.find_last_not_of(std::string(" \0", 2));
  s.erase(end == std::string::npos ? 0 : end + 1);
  for (char& c : s)
    if (c < 0x20 || c > 0x7e) c = '?';
  return s;
}

void check_size(std::span<const uint8_t> page, const char* what) {
  if (page.size() != kIdentifySize)
    throw_error(what, detail::format("{} bytes", page.size()), EINVAL,
                detail::format("an Identify data structure is {} bytes", kIdentifySize));
}

}  // namespace

ControllerInfo parse_identify_controller(std::span<const uint8_t> page) {
  check_size(page, "parse Identify Controller");
  ControllerInfo c;
  c.vid = le<uint16_t>(page, 0);
  c.ssvid = le<uint16_t>(page, 2);
  c.serial = ascii(page, 4, 20);
  c.model = ascii(page, 24, 40);
  c.firmware = ascii(page, 64, 8);
  c.mdts = page[77];
  c.cntlid = le<uint16_t>(page, 78);
  c.ver = le<uint32_t>(page, 80);
  c.oacs = le<uint16_t>(page, 256);
  c.sqes = page[512];
  c.cqes = page[513];
  c.maxcmd = le<uint16_t>(page, 514);
  c.nn = le<uint32_t>(page, 516);
  c.oncs = le<uint16_t>(page, 520);
  c.vwc = page[525];
  return c;
}

uint64_t ControllerInfo::max_transfer_bytes(uint32_t mps_min) const {
  if (mdts == 0 || mps_min == 0) return UINT64_MAX;
  // mps_min << mdts fits while mps_min's top bit stays below bit 64 - mdts.
  if (mdts >= 64 || (uint64_t{mps_min} >> (64 - mdts)) != 0) return UINT64_MAX;
  return uint64_t{mps_min} << mdts;
}

NamespaceInfo parse_identify_namespace(std::span<const uint8_t> page, uint32_t nsid) {
  check_size(page, "parse Identify Namespace");
  NamespaceInfo n;
  n.nsid = nsid;
  n.nsze = le<uint64_t>(page, 0);
  n.ncap = le<uint64_t>(page, 8);
  n.nuse = le<uint64_t>(page, 16);
  n.nlbaf = page[25];
  n.flbas = page[26];
  const std::string object = detail::format("namespace {}", nsid);
  if (n.nsze == 0)
    throw_error("Identify Namespace", object, ENODEV,
                "the namespace is inactive (NSZE 0): attach it or pick an active NSID");
  // LBAF0..LBAF63 from byte 128, 4 bytes each (up to 16 before NVMe 2.0).
  const unsigned count = std::min<unsigned>(n.nlbaf + 1u, 64u);
  for (unsigned i = 0; i < count; ++i) {
    const uint32_t f = le<uint32_t>(page, 128 + 4 * i);
    n.formats.push_back({static_cast<uint16_t>(f & 0xffff), static_cast<uint8_t>((f >> 16) & 0xff),
                         static_cast<uint8_t>((f >> 24) & 3)});
  }
  // FLBAS 3:0 is the format index; NVMe 2.0 adds its upper bits in 6:5 (only with NLBAF > 16).
  n.format_index = static_cast<uint8_t>(n.flbas & 0xf);
  if (n.nlbaf >= 16) n.format_index |= static_cast<uint8_t>(((n.flbas >> 5) & 3) << 4);
  if (n.format_index >= n.formats.size())
    throw_error("Identify Namespace", object, EINVAL,
                detail::format("FLBAS selects LBA format {} but NLBAF lists {}", n.format_index,
                               n.formats.size()));
  const LbaFormat& f = n.formats[n.format_index];
  if (f.lba_shift < 9 || f.lba_shift > 24)
    throw_error("Identify Namespace", object, EINVAL,
                detail::format("LBA format {} has LBADS {} (block size must be 512 B .. 16 MiB)",
                               n.format_index, f.lba_shift));
  n.lba_size = 1u << f.lba_shift;
  n.metadata_size = f.metadata_size;
  return n;
}

std::vector<uint32_t> parse_namespace_list(std::span<const uint8_t> page) {
  check_size(page, "parse Active Namespace ID list");
  std::vector<uint32_t> out;
  for (size_t off = 0; off + 4 <= page.size(); off += 4) {
    const uint32_t id = le<uint32_t>(page, off);
    if (id == 0) break;
    out.push_back(id);
  }
  return out;
}

}  // namespace vfiokit::nvme
