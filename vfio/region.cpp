#include "vfiokit/vfio/region.hpp"

#include <linux/vfio.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <cstring>

#include "vfio/cap_chain.hpp"
#include "vfio/format.hpp"
#include "vfio/info_decode.hpp"
#include "vfio/raw/vfio_ops.hpp"
#include "vfiokit/vfio/error.hpp"

namespace vfiokit {

bool RegionInfo::readable() const { return flags & VFIO_REGION_INFO_FLAG_READ; }
bool RegionInfo::writable() const { return flags & VFIO_REGION_INFO_FLAG_WRITE; }
bool RegionInfo::mmappable() const { return flags & VFIO_REGION_INFO_FLAG_MMAP; }
bool RegionInfo::has_caps() const { return flags & VFIO_REGION_INFO_FLAG_CAPS; }

std::vector<std::string> RegionInfo::flag_names() const {
  std::vector<std::string> out;
  if (readable()) out.emplace_back("read");
  if (writable()) out.emplace_back("write");
  if (mmappable()) out.emplace_back("mmap");
  if (has_caps()) out.emplace_back("caps");
  return out;
}

std::vector<SparseArea> RegionInfo::mmap_areas() const {
  if (!mmappable() || size == 0) return {};
  if (has_sparse) return sparse;
  return {{0, size}};
}

std::string RegionInfo::name() const { return to_string(index); }

RegionInfo parse_region_info(std::span<const uint8_t> reply) {
  if (reply.size() < sizeof(vfio_region_info))
    throw_error("parse VFIO_DEVICE_GET_REGION_INFO", "reply", EINVAL, "reply too short");
  vfio_region_info raw;
  std::memcpy(&raw, reply.data(), sizeof(raw));
  RegionInfo r;
  r.index = region_at(raw.index);
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
            throw_error(
                "parse sparse-mmap capability", r.name(), EINVAL,
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
      case VFIO_REGION_INFO_CAP_MSIX_MAPPABLE:
        r.msix_mappable = true;
        break;
      default:
        break;
    }
  }
  return r;
}

MappedRegion::MappedRegion(SharedFd fd, RegionInfo info, std::string bdf)
    : fd_(std::move(fd)), info_(std::move(info)), bdf_(std::move(bdf)) {
  for (const auto& a : info_.mmap_areas()) {
    const int prot = (info_.readable() ? PROT_READ : 0) | (info_.writable() ? PROT_WRITE : 0);
    void* p =
        raw::vfio_ops().mmap(a.size, prot, fd_->get(), static_cast<off_t>(info_.offset + a.offset));
    if (p == MAP_FAILED) {
      const int err = errno;
      unmap_all();
      throw_error("mmap " + info_.name(),
                  detail::format("{} [{:#x}, +{:#x})", bdf_, a.offset, a.size), err);
    }
    areas_.push_back({a.offset, a.size, static_cast<uint8_t*>(p)});
  }
  cache_fast_path();
}

MappedRegion MappedRegion::over_memory(void* base, uint64_t size, std::string name) {
  if (base == nullptr || size == 0)
    throw_error("MappedRegion::over_memory", name, EINVAL, "needs a non-null base and a size");
  MappedRegion r;
  r.info_.flags =
      VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE | VFIO_REGION_INFO_FLAG_MMAP;
  r.info_.size = size;
  r.info_.index = region_at(UINT32_MAX);
  r.bdf_ = std::move(name);
  r.owns_areas_ = false;
  r.areas_.push_back({0, size, static_cast<uint8_t*>(base)});
  r.cache_fast_path();
  return r;
}

void MappedRegion::cache_fast_path() {
  fast_base_ = nullptr;
  fast_size_ = 0;
  for (const auto& a : areas_)
    if (a.offset == 0) {
      fast_base_ = a.base;
      fast_size_ = a.size;
    }
}

MappedRegion::MappedRegion(MappedRegion&& o) noexcept
    : fd_(std::move(o.fd_)),
      info_(std::move(o.info_)),
      bdf_(std::move(o.bdf_)),
      areas_(std::move(o.areas_)),
      owns_areas_(o.owns_areas_) {
  o.areas_.clear();
  o.cache_fast_path();
  cache_fast_path();
}

MappedRegion& MappedRegion::operator=(MappedRegion&& o) noexcept {
  if (this != &o) {
    unmap_all();
    fd_ = std::move(o.fd_);
    info_ = std::move(o.info_);
    bdf_ = std::move(o.bdf_);
    areas_ = std::move(o.areas_);
    owns_areas_ = o.owns_areas_;
    o.areas_.clear();
    o.cache_fast_path();
    cache_fast_path();
  }
  return *this;
}

MappedRegion::~MappedRegion() { unmap_all(); }

void MappedRegion::unmap_all() {
  if (owns_areas_)
    for (const auto& a : areas_) raw::vfio_ops().munmap(a.base, a.size);
  areas_.clear();
  cache_fast_path();
}

volatile uint8_t* MappedRegion::ptr(uint64_t offset, uint64_t len) const {
  for (const auto& a : areas_)
    if (offset >= a.offset && len <= a.size && offset - a.offset <= a.size - len)
      return a.base + (offset - a.offset);
  return nullptr;
}

void MappedRegion::check_access(const char* op, uint64_t off, unsigned size) const {
  if (off > info_.size || info_.size - off < size)
    throw_error(detail::format("{} {}", op, info_.name()),
                detail::format("{} offset {:#x}", bdf_, off), ERANGE,
                detail::format("the region is {:#x} bytes", info_.size));
  // Devices decode naturally aligned accesses only; a split one may hit two registers.
  if (off % size)
    throw_error(detail::format("{} {}", op, info_.name()),
                detail::format("{} offset {:#x}", bdf_, off), EINVAL,
                detail::format("a {}-byte MMIO access must be {}-byte aligned", size, size));
}

namespace {

template <typename T>
uint64_t load(volatile uint8_t* p) {
  return *reinterpret_cast<volatile T*>(p);
}

template <typename T>
void store(volatile uint8_t* p, uint64_t v) {
  *reinterpret_cast<volatile T*>(p) = static_cast<T>(v);
}

}  // namespace

static_assert(std::endian::native == std::endian::little,
              "read_slow/write_slow pass the low bytes");

uint64_t MappedRegion::read_slow(uint64_t off, unsigned size) const {
  check_access("read", off, size);
  if (auto* p = ptr(off, size)) {
    switch (size) {
      case 1:
        return load<uint8_t>(p);
      case 2:
        return load<uint16_t>(p);
      case 4:
        return load<uint32_t>(p);
      default:
        return load<uint64_t>(p);
    }
  }
  if (!fd_)
    throw_error("read " + info_.name(), detail::format("{} offset {:#x}", bdf_, off), ENXIO,
                "outside the memory this region stands for");
  uint64_t v = 0;  // little-endian: the low `size` bytes
  if (raw::vfio_ops().pread(fd_->get(), &v, size, static_cast<off_t>(info_.offset + off)) !=
      static_cast<ssize_t>(size))
    throw_error("pread " + info_.name(), detail::format("{} offset {:#x}", bdf_, off), errno);
  return v;
}

void MappedRegion::write_slow(uint64_t off, uint64_t v, unsigned size) const {
  check_access("write", off, size);
  if (auto* p = ptr(off, size)) {
    switch (size) {
      case 1:
        store<uint8_t>(p, v);
        return;
      case 2:
        store<uint16_t>(p, v);
        return;
      case 4:
        store<uint32_t>(p, v);
        return;
      default:
        store<uint64_t>(p, v);
        return;
    }
  }
  if (!fd_)
    throw_error("write " + info_.name(), detail::format("{} offset {:#x}", bdf_, off), ENXIO,
                "outside the memory this region stands for");
  if (raw::vfio_ops().pwrite(fd_->get(), &v, size, static_cast<off_t>(info_.offset + off)) !=
      static_cast<ssize_t>(size))
    throw_error("pwrite " + info_.name(), detail::format("{} offset {:#x}", bdf_, off), errno);
}

}  // namespace vfiokit
