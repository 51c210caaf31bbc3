#include "drivers/nvme/prp.hpp"

#include "vfio/format.hpp"

#include <cerrno>

#include "vfiokit/vfio/error.hpp"

namespace vfiokit::nvme {

namespace {

bool valid_page_size(uint64_t ps) { return ps >= 4096 && (ps & (ps - 1)) == 0; }

// List pages needed for `entries` entries when each page holds `per_page`, the last slot of a
// non-final page being the pointer to the next one.
size_t list_pages_for(uint64_t entries, uint64_t per_page) {
  if (entries <= 1) return entries;
  return static_cast<size_t>((entries - 1 + per_page - 2) / (per_page - 1));
}

}  // namespace

size_t prp_list_pages(uint64_t max_len, uint64_t page_size) {
  if (!valid_page_size(page_size))
    throw_error("NVMe PRP sizing", detail::format("page size {}", page_size), EINVAL,
                "the memory page size must be a power of two >= 4096");
  if (max_len == 0) return 0;
  const uint64_t pages = (page_size - 4 + max_len + page_size - 1) / page_size;
  return pages <= 2 ? 0 : list_pages_for(pages - 1, page_size / 8);
}

PrpPlan plan_prps(uint64_t iova, uint64_t len, uint64_t page_size, uint64_t list_iova,
                  size_t list_pages) {
  auto object = [&] { return detail::format("IOVA {:#x} + {} bytes", iova, len); };
  if (!valid_page_size(page_size))
    throw_error("NVMe PRP", object(), EINVAL,
                "the memory page size must be a power of two >= 4096");
  if (len == 0) throw_error("NVMe PRP", object(), EINVAL, "a transfer needs at least one byte");
  if (iova & 3)
    throw_error("NVMe PRP", object(), EINVAL, "data buffers must be dword (4-byte) aligned");
  if (iova + len < iova)
    throw_error("NVMe PRP", object(), EINVAL, "the buffer wraps around the IOVA space");
  const uint64_t mask = page_size - 1;
  PrpPlan p;
  p.prp1 = iova;
  const uint64_t first_page = iova & ~mask;
  const uint64_t pages = ((iova & mask) + len + mask) / page_size;
  if (pages == 1) return p;
  if (pages == 2) {
    p.prp2 = first_page + page_size;
    return p;
  }
  const uint64_t entries = pages - 1;
  const uint64_t per_page = page_size / 8;
  const size_t need = list_pages_for(entries, per_page);
  if (list_iova & mask)
    throw_error("NVMe PRP", object(), EINVAL,
                detail::format("the PRP list at {:#x} must be page-aligned", list_iova));
  if (need > list_pages)
    throw_error(
        "NVMe PRP", object(), EINVAL,
        detail::format("needs {} PRP list pages, {} available: split the transfer", need, list_pages));
  p.prp2 = list_iova;
  p.list.reserve(entries + need);
  uint64_t list_page = 0;
  for (uint64_t i = 0; i < entries; ++i) {
    const uint64_t remaining = entries - i;
    if (p.list.size() % per_page == per_page - 1 && remaining > 1)
      p.list.push_back(list_iova + ++list_page * page_size);  // chain to the next list page
    p.list.push_back(first_page + (i + 1) * page_size);
  }
  return p;
}

}  // namespace vfiokit::nvme
