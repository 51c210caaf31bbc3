// DMA mappings as owning objects, and the IOVA space they are placed in.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>

#include "vfiokit/dma/buffer.hpp"
#include "vfiokit/dma/iova_allocator.hpp"
#include "vfiokit/vfio/iommu_context.hpp"

namespace vfiokit {

class DmaSpace;

/// [vaddr, vaddr+size) mapped at [iova, iova+size) in an IommuContext; unmapped
/// (and its IOVA returned) on destruction. Move-only.
/// Safety: the memory must outlive the mapping — the device may write it until then.
class DmaMapping {
 public:
  DmaMapping() = default;
  /// Maps at a caller-chosen IOVA (no allocator involved).
  DmaMapping(std::shared_ptr<IommuContext> ctx, const void* vaddr, uint64_t size, uint64_t iova,
             DmaAccess access = DmaAccess::kReadWrite);
  DmaMapping(DmaMapping&&) noexcept;
  DmaMapping& operator=(DmaMapping&&) noexcept;
  DmaMapping(const DmaMapping&) = delete;
  DmaMapping& operator=(const DmaMapping&) = delete;
  ~DmaMapping();

  /// Device address of the first byte.
  uint64_t iova() const { return iova_; }
  /// Mapped bytes (0 once unmapped).
  uint64_t size() const { return size_; }
  /// Process address of the first byte.
  void* vaddr() const { return const_cast<void*>(vaddr_); }
  /// The IOVA of a byte inside the mapping; throws (ERANGE) outside it.
  uint64_t to_iova(const void* p) const;
  /// The address of an IOVA inside the mapping; throws (ERANGE) outside it.
  void* to_vaddr(uint64_t iova) const;
  /// Unmaps now (the destructor then does nothing). Throws on failure.
  void unmap();

 private:
  friend class DmaSpace;
  void release() noexcept;
  std::shared_ptr<IommuContext> ctx_;
  std::shared_ptr<DmaSpace> space_;  // returns the IOVA when set
  const void* vaddr_ = nullptr;
  uint64_t size_ = 0, iova_ = 0;
};

/// An IommuContext with an IOVA allocator over its usable ranges: map buffers
/// without choosing IOVAs. Create with DmaSpace::create (shared, mappings keep it).
class DmaSpace : public std::enable_shared_from_this<DmaSpace> {
 public:
  /// Reads the context's IOVA ranges and alignment (attach a device first).
  /// `iova_limit` caps the IOVAs handed out (a device's DMA mask, e.g. 2^28-1 for edu).
  static std::shared_ptr<DmaSpace> create(std::shared_ptr<IommuContext> ctx,
                                          uint64_t iova_limit = UINT64_MAX);

  /// Maps a whole buffer at an allocated IOVA aligned to its page size.
  DmaMapping map(const DmaBuffer& buf, DmaAccess access = DmaAccess::kReadWrite);
  /// Maps [vaddr, vaddr+size) at an allocated IOVA.
  DmaMapping map(const void* vaddr, uint64_t size, DmaAccess access = DmaAccess::kReadWrite,
                 uint64_t align = 0);

  /// The context mappings are made in.
  const std::shared_ptr<IommuContext>& context() const { return ctx_; }
  /// The usable ranges read at creation.
  const std::vector<IovaRange>& ranges() const { return ranges_; }
  /// Free IOVA bytes left.
  uint64_t free_bytes() const;

 private:
  friend class DmaMapping;
  DmaSpace(std::shared_ptr<IommuContext> ctx, std::vector<IovaRange> ranges, uint64_t align);
  void release_iova(uint64_t iova) noexcept;

  std::shared_ptr<IommuContext> ctx_;
  std::vector<IovaRange> ranges_;
  mutable std::mutex mu_;
  IovaAllocator alloc_;
};

}  // namespace vfiokit
