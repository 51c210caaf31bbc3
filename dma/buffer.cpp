#include "vfiokit/dma/buffer.hpp"

#include <linux/memfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <utility>

#include "vfio/format.hpp"
#include "vfiokit/vfio/error.hpp"
#include "vfiokit/vfio/unique_fd.hpp"

namespace vfiokit {

const char* backing_name(PageBacking b) {
  switch (b) {
    case PageBacking::kAuto: return "auto";
    case PageBacking::k4K: return "4k";
    case PageBacking::k2M: return "2m";
    case PageBacking::k1G: return "1g";
  }
  return "?";
}

uint64_t backing_page_size(PageBacking b) {
  switch (b) {
    case PageBacking::k2M: return 2ull << 20;
    case PageBacking::k1G: return 1ull << 30;
    default: return 4096;
  }
}

uint64_t free_hugepages(uint64_t page_size) {
  std::ifstream in(
      detail::format("/sys/kernel/mm/hugepages/hugepages-{}kB/free_hugepages", page_size / 1024));
  uint64_t n = 0;
  in >> n;
  return in ? n : 0;
}

DmaBuffer DmaBuffer::allocate(size_t size, PageBacking backing, bool populate) {
  if (size == 0) throw_error("allocate DMA buffer", "0 bytes", EINVAL, "size must be > 0");
  if (backing == PageBacking::kAuto) {
    const uint64_t huge = backing_page_size(PageBacking::k2M);
    const uint64_t need = (size + huge - 1) / huge;
    backing = size >= huge && free_hugepages(huge) >= need ? PageBacking::k2M : PageBacking::k4K;
  }
  DmaBuffer b;
  b.backing_ = backing;
  b.page_size_ = backing_page_size(backing);
  b.size_ = (size + b.page_size_ - 1) / b.page_size_ * b.page_size_;
  if (backing == PageBacking::k4K) {
    // 4 KiB means 4 KiB: keep transparent hugepages out, so the IOMMU sees what was
    // asked for. Populate after madvise, else the fault may already take a THP.
    void* p = mmap(nullptr, b.size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
      throw_error("mmap anonymous DMA buffer", detail::format("{} bytes", b.size_), errno);
    b.data_ = p;
    madvise(p, b.size_, MADV_NOHUGEPAGE);
    if (populate)
      for (size_t off = 0; off < b.size_; off += b.page_size_) static_cast<volatile uint8_t*>(p)[off] = 0;
    return b;
  }
  const unsigned huge_flag = backing == PageBacking::k2M ? MFD_HUGE_2MB : MFD_HUGE_1GB;
  const std::string pool =
      backing == PageBacking::k2M
          ? "/proc/sys/vm/nr_hugepages (2 MiB pages)"
          : "/sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages (or boot with "
            "hugepagesz=1G hugepages=N)";
  const std::string object = detail::format("{} bytes of {} pages", b.size_, backing_name(backing));
  UniqueFd fd(memfd_create("vfiokit-dma", MFD_CLOEXEC | MFD_HUGETLB | huge_flag));
  if (!fd) throw_error("memfd_create(MFD_HUGETLB)", object, errno, "no hugetlbfs support for this page size");
  if (ftruncate(fd.get(), static_cast<off_t>(b.size_)) < 0)
    throw_error("ftruncate hugetlb memfd", object, errno);
  // MAP_POPULATE always: a hugetlb fault with no page reserved is SIGBUS, not an error.
  void* p = mmap(nullptr, b.size_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd.get(), 0);
  if (p == MAP_FAILED) {
    const int err = errno;
    const uint64_t have = free_hugepages(b.page_size_);
    throw_error("mmap hugetlb DMA buffer", object, err,
                detail::format("{} free hugepages of this size, {} needed: reserve more in {}",
                               have, b.size_ / b.page_size_, pool));
  }
  b.data_ = p;
  return b;
}

DmaBuffer::DmaBuffer(DmaBuffer&& o) noexcept
    : data_(std::exchange(o.data_, nullptr)), size_(std::exchange(o.size_, 0)),
      page_size_(o.page_size_), backing_(o.backing_) {}

DmaBuffer& DmaBuffer::operator=(DmaBuffer&& o) noexcept {
  if (this != &o) {
    if (data_) munmap(data_, size_);
    data_ = std::exchange(o.data_, nullptr);
    size_ = std::exchange(o.size_, 0);
    page_size_ = o.page_size_;
    backing_ = o.backing_;
  }
  return *this;
}

DmaBuffer::~DmaBuffer() {
  if (data_) munmap(data_, size_);
}

}  // namespace vfiokit
