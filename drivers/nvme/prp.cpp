#include "drivers/nvme/prp.hpp"

#include <algorithm>
#include <cerrno>

#include "vfio/format.hpp"
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

namespace {

// Throws the first of write_prps' input errors (the checks the fast path folds together).
[[noreturn, gnu::cold]] void reject(uint64_t iova, uint64_t len, uint64_t page_size,
                                    uint64_t list_iova, size_t need, size_t list_pages) {
  const auto object = detail::format("IOVA {:#x} + {} bytes", iova, len);
  if (!valid_page_size(page_size))
    throw_error("NVMe PRP", object, EINVAL, "the memory page size must be a power of two >= 4096");
  if (len == 0) throw_error("NVMe PRP", object, EINVAL, "a transfer needs at least one byte");
  if (iova & 3)
    throw_error("NVMe PRP", object, EINVAL, "data buffers must be dword (4-byte) aligned");
  if (iova + len < iova)
    throw_error("NVMe PRP", object, EINVAL, "the buffer wraps around the IOVA space");
  if (list_iova & (page_size - 1))
    throw_error("NVMe PRP", object, EINVAL,
                detail::format("the PRP list at {:#x} must be page-aligned", list_iova));
  throw_error("NVMe PRP", object, EINVAL,
              detail::format("needs {} PRP list pages, {} available: split the transfer", need,
                             list_pages));
}

}  // namespace

PrpPair write_prps(uint64_t iova, uint64_t len, uint64_t page_size, uint64_t list_iova,
                   uint64_t* list, size_t list_pages, size_t* list_len) {
  if (list_len) *list_len = 0;
  if (!valid_page_size(page_size) || len == 0 || (iova & 3) || iova + len < iova) [[unlikely]]
    reject(iova, len, page_size, list_iova, 0, list_pages);
  const uint64_t mask = page_size - 1;
  const uint64_t first_page = iova & ~mask;
  const uint64_t pages = ((iova & mask) + len + mask) / page_size;
  if (pages == 1) return {iova, 0};
  if (pages == 2) return {iova, first_page + page_size};
  const uint64_t entries = pages - 1;
  const uint64_t per_page = page_size / 8;
  const size_t need = list_pages_for(entries, per_page);
  if ((list_iova & mask) || need > list_pages) [[unlikely]]
    reject(iova, len, page_size, list_iova, need, list_pages);
  size_t n = 0;
  uint64_t list_page = 0;
  for (uint64_t i = 0; i < entries; ++i) {
    if (n % per_page == per_page - 1 && entries - i > 1)
      list[n++] = list_iova + ++list_page * page_size;  // chain to the next list page
    list[n++] = first_page + (i + 1) * page_size;
  }
  if (list_len) *list_len = n;
  return {iova, list_iova};
}

PrpPlan plan_prps(uint64_t iova, uint64_t len, uint64_t page_size, uint64_t list_iova,
                  size_t list_pages) {
  PrpPlan p;
  // Room for the list: at most the entries the list pages hold, and at most two per data
  // page; write_prps checks its input (and that the list fits list_pages) before writing.
  const uint64_t room =
      valid_page_size(page_size)
          ? std::min<uint64_t>(uint64_t{list_pages} * (page_size / 8), (len / page_size + 2) * 2)
          : 0;
  p.list.resize(room);
  size_t n = 0;
  const PrpPair pair = write_prps(iova, len, page_size, list_iova, p.list.data(), list_pages, &n);
  p.prp1 = pair.prp1;
  p.prp2 = pair.prp2;
  p.list.resize(n);
  return p;
}

}  // namespace vfiokit::nvme
