// The physical address behind a virtual page of this process (/proc/self/pagemap), to
// compare with what an IOMMU maps. Needs CAP_SYS_ADMIN: without it the kernel reports
// page frame 0 for every page.
#pragma once

#include <cstdint>
#include <optional>

namespace vfiokit::host {

/// The physical address of the byte at `vaddr` (its page must be present: touch it
/// first), or nullopt when the page is not present or the kernel hides frame numbers.
/// Throws vfiokit::Error when pagemap cannot be read.
std::optional<uint64_t> physical_address(const void* vaddr);

}  // namespace vfiokit::host
