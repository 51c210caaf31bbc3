// Memory a device can DMA to: anonymous 4 KiB pages or hugetlb pages.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace vfiokit {

/// The pages behind a DmaBuffer.
enum class PageBacking {
  kAuto,  ///< 2 MiB hugepages when the buffer is >= 2 MiB and enough are free, else 4 KiB
  k4K,    ///< anonymous memory, transparent hugepages kept out (MADV_NOHUGEPAGE)
  k2M,    ///< hugetlb 2 MiB pages (memfd MFD_HUGETLB)
  k1G,    ///< hugetlb 1 GiB pages
};

/// "auto", "4k", "2m", "1g".
const char* backing_name(PageBacking b);
/// Bytes per page of a concrete backing (4096, 2 MiB, 1 GiB).
uint64_t backing_page_size(PageBacking b);
/// Free hugetlb pages of `page_size` bytes (from sysfs), 0 when none or unknown.
uint64_t free_hugepages(uint64_t page_size);

/// A page-aligned, zero-filled buffer, unmapped on destruction. Move-only.
class DmaBuffer {
 public:
  DmaBuffer() = default;
  /// Allocates `size` bytes (rounded up to the page size). With `populate`,
  /// pages are faulted in now (MAP_POPULATE) so later pinning does not pay for it.
  /// Throws vfiokit::Error; for hugepages with none reserved, the hint names
  /// /proc/sys/vm/nr_hugepages (or the 1 GiB pool's sysfs file).
  static DmaBuffer allocate(size_t size, PageBacking backing = PageBacking::kAuto,
                            bool populate = false);

  DmaBuffer(DmaBuffer&&) noexcept;
  DmaBuffer& operator=(DmaBuffer&&) noexcept;
  DmaBuffer(const DmaBuffer&) = delete;
  DmaBuffer& operator=(const DmaBuffer&) = delete;
  ~DmaBuffer();

  /// The first byte.
  void* data() const { return data_; }
  /// The first byte, as bytes.
  uint8_t* bytes() const { return static_cast<uint8_t*>(data_); }
  /// Mapped size (a multiple of page_size()).
  size_t size() const { return size_; }
  /// Bytes per backing page.
  uint64_t page_size() const { return page_size_; }
  /// The backing actually used (never kAuto).
  PageBacking backing() const { return backing_; }

 private:
  void* data_ = nullptr;
  size_t size_ = 0;
  uint64_t page_size_ = 0;
  PageBacking backing_ = PageBacking::k4K;
};

}  // namespace vfiokit
