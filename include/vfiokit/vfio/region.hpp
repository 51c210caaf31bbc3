// Device regions (BARs, config space, ROM, VGA, device-specific) and mapping them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "vfiokit/vfio/indexes.hpp"
#include "vfiokit/vfio/unique_fd.hpp"

namespace vfiokit {

/// A part of a region that may be mmap'ed (VFIO_REGION_INFO_CAP_SPARSE_MMAP).
struct SparseArea {
  uint64_t offset;  ///< from the start of the region
  uint64_t size;
};

/// What VFIO_DEVICE_GET_REGION_INFO says of one region, capabilities decoded.
struct RegionInfo {
  RegionIndex index = RegionIndex::kBar0;
  uint32_t flags = 0;  ///< VFIO_REGION_INFO_FLAG_{READ,WRITE,MMAP,CAPS}
  uint64_t size = 0;
  uint64_t offset = 0;             ///< of the region in the device fd
  bool has_sparse = false;         ///< a sparse-mmap capability was present
  std::vector<SparseArea> sparse;  ///< mmap-able parts when has_sparse
  bool has_type = false;           ///< VFIO_REGION_INFO_CAP_TYPE present
  uint32_t type = 0, subtype = 0;
  bool msix_mappable = false;     ///< VFIO_REGION_INFO_CAP_MSIX_MAPPABLE
  std::vector<uint16_t> cap_ids;  ///< every capability id in the chain

  bool readable() const;
  bool writable() const;
  bool mmappable() const;
  /// A capability chain follows the info (VFIO_REGION_INFO_FLAG_CAPS).
  bool has_caps() const;
  /// The flags by name, in bit order: "read", "write", "mmap", "caps".
  std::vector<std::string> flag_names() const;
  /// The parts that may be mmap'ed: the sparse areas, or the whole region.
  std::vector<SparseArea> mmap_areas() const;
  /// e.g. "BAR0", "ROM", "config", "VGA", "region 9".
  std::string name() const;
};

/// A region mapped into this process: the mmap-able areas are mmap'ed, the
/// rest is reached with pread/pwrite on the device fd, which it shares with its
/// Device (so it stays valid even if the Device is closed first). Move-only; unmaps
/// on destruction.
///
/// Register accesses are inline: when an mmap'ed area starts at offset 0 (every BAR
/// without sparse areas), an access inside it is one bounds and alignment test on a
/// cached base pointer and size, then the volatile load or store. Everything else
/// (other sparse areas, the pread/pwrite fallback, errors) is one cold out-of-line call.
class MappedRegion {
 public:
  MappedRegion() = default;
  /// Maps `info` of the device `fd`; `bdf` names it in errors.
  MappedRegion(SharedFd fd, RegionInfo info, std::string bdf);
  /// A region over `size` bytes of ordinary memory at `base` that the caller owns and
  /// keeps alive (nothing is mapped or unmapped; there is no fd, so every access must
  /// lie inside it). For host unit tests and benchmarks that stand in memory for a
  /// device's BAR: the accessors run the same code as over a real mapping. `name`
  /// names it in errors.
  static MappedRegion over_memory(void* base, uint64_t size, std::string name = "memory");
  MappedRegion(MappedRegion&&) noexcept;
  MappedRegion& operator=(MappedRegion&&) noexcept;
  MappedRegion(const MappedRegion&) = delete;
  MappedRegion& operator=(const MappedRegion&) = delete;
  ~MappedRegion();

  const RegionInfo& info() const { return info_; }
  /// A direct pointer to `offset` when that byte lies in an mmap'ed area, else nullptr.
  volatile uint8_t* ptr(uint64_t offset, uint64_t len = 1) const;

  /// 8/16/32/64-bit register access: through the mapping where there is one,
  /// else pread/pwrite. Throws vfiokit::Error outside the region (ERANGE) or for an
  /// access that is not naturally aligned (EINVAL).
  uint8_t read8(uint64_t off) const { return read<uint8_t>(off); }
  /// See read8.
  uint16_t read16(uint64_t off) const { return read<uint16_t>(off); }
  /// See read8.
  uint32_t read32(uint64_t off) const { return read<uint32_t>(off); }
  /// See read8.
  uint64_t read64(uint64_t off) const { return read<uint64_t>(off); }
  /// See read8.
  void write8(uint64_t off, uint8_t v) const { write(off, v); }
  /// See read8.
  void write16(uint64_t off, uint16_t v) const { write(off, v); }
  /// See read8.
  void write32(uint64_t off, uint32_t v) const { write(off, v); }
  /// See read8.
  void write64(uint64_t off, uint64_t v) const { write(off, v); }

 private:
  // In the area at offset 0 and naturally aligned (fast_size_ is 0 without one).
  template <typename T>
  bool fast(uint64_t off) const {
    return fast_size_ >= sizeof(T) && off <= fast_size_ - sizeof(T) && (off & (sizeof(T) - 1)) == 0;
  }
  template <typename T>
  T read(uint64_t off) const {
    if (fast<T>(off)) [[likely]]
      return *reinterpret_cast<const volatile T*>(fast_base_ + off);
    return static_cast<T>(read_slow(off, sizeof(T)));
  }
  template <typename T>
  void write(uint64_t off, T v) const {
    if (fast<T>(off)) [[likely]] {
      *reinterpret_cast<volatile T*>(fast_base_ + off) = v;
      return;
    }
    write_slow(off, v, sizeof(T));
  }
  [[gnu::cold]] uint64_t read_slow(uint64_t off, unsigned size) const;
  [[gnu::cold]] void write_slow(uint64_t off, uint64_t v, unsigned size) const;
  void check_access(const char* op, uint64_t off, unsigned size) const;
  void unmap_all();
  void cache_fast_path();

  struct Area {
    uint64_t offset, size;
    uint8_t* base;
  };
  uint8_t* fast_base_ = nullptr;  // the area at offset 0, if any
  uint64_t fast_size_ = 0;
  SharedFd fd_;
  RegionInfo info_;
  std::string bdf_;
  std::vector<Area> areas_;
  bool owns_areas_ = true;  // false for over_memory()
};

}  // namespace vfiokit
