#include "vfiokit/vfio/region.hpp"

#include <linux/vfio.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "vfio/format.hpp"

#include "vfio/cap_chain.hpp"
#include "vfiokit/vfio/error.hpp"

namespace vfiokit {

bool RegionInfo::readable() const { return flags & VFIO_REGION_INFO_FLAG_READ; }
bool RegionInfo::writable() const { return flags & VFIO_REGION_INFO_FLAG_WRITE; }
bool RegionInfo::mmappable() const { return flags & VFIO_REGION_INFO_FLAG_MMAP; }

std::vector<SparseArea> RegionInfo::mmap_areas() const {
  if (!mmappable() || size == 0) return {};
  if (has_sparse) return sparse;
  return {{0, size}};
}

std::string RegionInfo::name() const {
  if (index <= VFIO_PCI_BAR5_REGION_INDEX) return detail::format("BAR{}", index);
  if (index == VFIO_PCI_ROM_REGION_INDEX) return "ROM";
  if (index == VFIO_PCI_CONFIG_REGION_INDEX) return "config";
  if (index == VFIO_PCI_VGA_REGION_INDEX) return "VGA";
  return detail::format("region {}", index);
}

RegionInfo parse_region_info(std::span<const uint8_t> reply) {
  if (reply.size() < sizeof(vfio_region_info))
    throw_error("parse VFIO_DEVICE_GET_REGION_INFO", "reply", EINVAL, "reply too short");
  vfio_region_info raw;
  std::memcpy(&raw, reply.data(), sizeof(raw));
  RegionInfo r;
  r.index = raw.index;
  r.flags = raw.flags;
  r.size = raw.size;
  r.offset = raw.offset;
  if (!(raw.flags & VFIO_REGION_INFO_FLAG_CAPS) || raw.cap_offset == 0) return r;
  const auto caps = parse_info_caps(reply, raw.cap_offset, "region info");
  for (const auto& c : caps) {
    r.cap_ids.push_back(c.id);
    switch (c.id) {
      case VFIO_REGION_INFO_CAP_SPARSE_MMAP: {
        if (c.bytes.size() < sizeof(vfio_region_info_cap_sparse_mmap))
          throw_error("parse sparse-mmap capability", r.name(), EINVAL, "truncated");
        vfio_region_info_cap_sparse_mmap sm;
        std::memcpy(&sm, c.bytes.data(), sizeof(sm));
        const size_t room = (c.bytes.size() - sizeof(sm)) / sizeof(vfio_region_sparse_mmap_area);
        if (sm.nr_areas > room)
          throw_error("parse sparse-mmap capability", r.name(), EINVAL,
                      detail::format("{} areas claimed, room for {}", sm.nr_areas, room));
        r.has_sparse = true;
        for (uint32_t i = 0; i < sm.nr_areas; ++i) {
          vfio_region_sparse_mmap_area a;
          std::memcpy(&a, c.bytes.data() + sizeof(sm) + i * sizeof(a), sizeof(a));
          if (a.size == 0) continue;
          if (a.offset > r.size || a.size > r.size - a.offset)
            throw_error("parse sparse-mmap capability", r.name(), EINVAL,
                        detail::format("area [{:#x}, +{:#x}) outside the region", a.offset, a.size));
          r.sparse.push_back({a.offset, a.size});
        }
        break;
      }
      case VFIO_REGION_INFO_CAP_TYPE: {
        if (c.bytes.size() >= sizeof(vfio_region_info_cap_type)) {
          vfio_region_info_cap_type t;
          std::memcpy(&t, c.bytes.data(), sizeof(t));
          r.has_type = true;
          r.type = t.type;
          r.subtype = t.subtype;
        }
        break;
      }
      case VFIO_REGION_INFO_CAP_MSIX_MAPPABLE: r.msix_mappable = true; break;
      default: break;
    }
  }
  return r;
}

MappedRegion::MappedRegion(SharedFd fd, RegionInfo info, std::string bdf)
    : fd_(std::move(fd)), info_(std::move(info)), bdf_(std::move(bdf)) {
  for (const auto& a : info_.mmap_areas()) {
    const int prot = (info_.readable() ? PROT_READ : 0) | (info_.writable() ? PROT_WRITE : 0);
    void* p = mmap(nullptr, a.size, prot, MAP_SHARED, fd_->get(), static_cast<off_t>(info_.offset + a.offset));
    if (p == MAP_FAILED) {
      const int err = errno;
      unmap_all();
      throw_error("mmap " + info_.name(),
                  detail::format("{} [{:#x}, +{:#x})", bdf_, a.offset, a.size), err);
    }
    areas_.push_back({a.offset, a.size, static_cast<uint8_t*>(p)});
  }
}

MappedRegion::MappedRegion(MappedRegion&& o) noexcept
    : fd_(std::move(o.fd_)), info_(std::move(o.info_)), bdf_(std::move(o.bdf_)), areas_(std::move(o.areas_)) {
  o.areas_.clear();
}

MappedRegion& MappedRegion::operator=(MappedRegion&& o) noexcept {
  if (this != &o) {
    unmap_all();
    fd_ = std::move(o.fd_);
    info_ = std::move(o.info_);
    bdf_ = std::move(o.bdf_);
    areas_ = std::move(o.areas_);
    o.areas_.clear();
  }
  return *this;
}

MappedRegion::~MappedRegion() { unmap_all(); }

void MappedRegion::unmap_all() {
  for (const auto& a : areas_) munmap(a.base, a.size);
  areas_.clear();
}

volatile uint8_t* MappedRegion::ptr(uint64_t offset, uint64_t len) const {
  for (const auto& a : areas_)
    if (offset >= a.offset && len <= a.size && offset - a.offset <= a.size - len)
      return a.base + (offset - a.offset);
  return nullptr;
}

template <typename T>
T MappedRegion::read(uint64_t off) const {
  if (off > info_.size || info_.size - off < sizeof(T))
    throw_error("read " + info_.name(), detail::format("{} offset {:#x}", bdf_, off), ERANGE,
                detail::format("the region is {:#x} bytes", info_.size));
  // Devices decode naturally aligned accesses only; a split one may hit two registers.
  if (off % sizeof(T))
    throw_error("read " + info_.name(), detail::format("{} offset {:#x}", bdf_, off), EINVAL,
                detail::format("a {}-byte MMIO access must be {}-byte aligned", sizeof(T), sizeof(T)));
  if (auto* p = ptr(off, sizeof(T))) return *reinterpret_cast<volatile T*>(p);
  T v{};
  if (pread(fd_->get(), &v, sizeof(T), static_cast<off_t>(info_.offset + off)) != sizeof(T))
    throw_error("pread " + info_.name(), detail::format("{} offset {:#x}", bdf_, off), errno);
  return v;
}

template <typename T>
void MappedRegion::write(uint64_t off, T v) const {
  if (off > info_.size || info_.size - off < sizeof(T))
    throw_error("write " + info_.name(), detail::format("{} offset {:#x}", bdf_, off), ERANGE,
                detail::format("the region is {:#x} bytes", info_.size));
  if (off % sizeof(T))
    throw_error("write " + info_.name(), detail::format("{} offset {:#x}", bdf_, off), EINVAL,
                detail::format("a {}-byte MMIO access must be {}-byte aligned", sizeof(T), sizeof(T)));
  if (auto* p = ptr(off, sizeof(T))) {
    *reinterpret_cast<volatile T*>(p) = v;
    return;
  }
  if (pwrite(fd_->get(), &v, sizeof(T), static_cast<off_t>(info_.offset + off)) != sizeof(T))
    throw_error("pwrite " + info_.name(), detail::format("{} offset {:#x}", bdf_, off), errno);
}

uint8_t MappedRegion::read8(uint64_t off) const { return read<uint8_t>(off); }
uint16_t MappedRegion::read16(uint64_t off) const { return read<uint16_t>(off); }
uint32_t MappedRegion::read32(uint64_t off) const { return read<uint32_t>(off); }
uint64_t MappedRegion::read64(uint64_t off) const { return read<uint64_t>(off); }
void MappedRegion::write8(uint64_t off, uint8_t v) const { write(off, v); }
void MappedRegion::write16(uint64_t off, uint16_t v) const { write(off, v); }
void MappedRegion::write32(uint64_t off, uint32_t v) const { write(off, v); }
void MappedRegion::write64(uint64_t off, uint64_t v) const { write(off, v); }

}  // namespace vfiokit
