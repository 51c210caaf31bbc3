// Physical Region Page entries and lists: how an NVMe command names the memory
// it transfers (NVM Express Base Specification 1.4, 4.3 "Physical Region Page
// Entry and List"). Pure logic, unit-tested in drivers/nvme/nvme_prp_test.cpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace vfiokit::nvme {

/// The data pointer of one command.
struct PrpPlan {
  uint64_t prp1 = 0;  ///< the first data page, with the buffer's offset into it
  /// 0 (one page), the second data page (two pages), or the PRP list's IOVA.
  uint64_t prp2 = 0;
  /// The PRP list to write at the list IOVA, page after page; empty unless the
  /// transfer spans more than two pages. A list page holds page_size/8 entries;
  /// when more follow, its last entry points to the next list page (4.3).
  std::vector<uint64_t> list;
};

/// PRP Entry 1 and 2 of a command.
struct PrpPair {
  uint64_t prp1 = 0;
  uint64_t prp2 = 0;
};

/// As plan_prps, without a vector: the list (when the transfer spans more than two
/// pages) is written in place at `list`, the host address of the `list_pages` pages at
/// `list_iova` (the command's own PRP pages), and `*list_len` (if given) says how many
/// entries. The I/O path's version; same checks and errors, nothing written on error.
PrpPair write_prps(uint64_t iova, uint64_t len, uint64_t page_size, uint64_t list_iova,
                   uint64_t* list, size_t list_pages, size_t* list_len = nullptr);

/// The PRP list pages a transfer of up to `max_len` bytes needs in the worst
/// case (its start at the last dword of a page). 0 when PRP1/PRP2 suffice.
size_t prp_list_pages(uint64_t max_len, uint64_t page_size);

/// Plans the PRPs of the IOVA-contiguous buffer [iova, iova+len) for a
/// controller with memory page size `page_size`; the list (if any) will live in
/// `list_pages` contiguous pages at `list_iova`. Throws vfiokit::Error (EINVAL)
/// for len 0, an IOVA not dword-aligned (4.3: bits 1:0 must be 0), a page size
/// that is not a power of two >= 4096, an unaligned list, or a list longer than
/// `list_pages`.
PrpPlan plan_prps(uint64_t iova, uint64_t len, uint64_t page_size, uint64_t list_iova,
                  size_t list_pages);

}  // namespace vfiokit::nvme
