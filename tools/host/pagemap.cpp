#include "tools/host/pagemap.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "vfiokit/vfio/error.hpp"
#include "vfiokit/vfio/unique_fd.hpp"

namespace vfiokit::host {

std::optional<uint64_t> physical_address(const void* vaddr) {
  // Documentation/admin-guide/mm/pagemap.rst: one 64-bit entry per virtual page; bit 63
  // present, bits 0-54 the page frame number.
  constexpr uint64_t kPresent = 1ULL << 63, kPfnMask = (1ULL << 55) - 1;
  const long page = ::sysconf(_SC_PAGESIZE);
  const auto va = reinterpret_cast<uintptr_t>(vaddr);
  const UniqueFd fd(::open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC));
  if (!fd) throw_error("open", "/proc/self/pagemap", errno);
  uint64_t entry = 0;
  const off_t at = static_cast<off_t>(va / static_cast<uintptr_t>(page) * sizeof entry);
  const ssize_t n = ::pread(fd.get(), &entry, sizeof entry, at);
  if (n != static_cast<ssize_t>(sizeof entry))
    throw_error("read", "/proc/self/pagemap", n < 0 ? errno : EIO);
  const uint64_t pfn = entry & kPfnMask;
  if (!(entry & kPresent) || pfn == 0) return std::nullopt;
  return pfn * static_cast<uint64_t>(page) + va % static_cast<uintptr_t>(page);
}

}  // namespace vfiokit::host
