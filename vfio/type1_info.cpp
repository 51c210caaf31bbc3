#include "vfio/type1_info.hpp"

#include <linux/vfio.h>

#include <cstddef>
#include <string>

#include "vfio/cap_chain.hpp"
#include "vfio/kernel_struct.hpp"

namespace vfiokit {

Type1Info decode_type1_info(std::span<const uint8_t> reply) {
  const std::string op = "VFIO_IOMMU_GET_INFO";
  const auto info = read_struct<vfio_iommu_type1_info>(reply, 0, op, "container");
  Type1Info out;
  out.pgsizes = (info.flags & VFIO_IOMMU_INFO_PGSIZES) ? info.iova_pgsizes : 4096;
  if (info.flags & VFIO_IOMMU_INFO_CAPS) {
    const auto caps = parse_info_caps(reply, info.cap_offset, op.c_str());
    if (const auto* c = find_info_cap(caps, VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE)) {
      const std::string what = "parse VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE";
      const auto r =
          read_struct<vfio_iommu_type1_info_cap_iova_range>(c->bytes, 0, what, "container");
      // Each range is read with a bounds check, so a count larger than the
      // capability stops at the first range that is not there.
      const size_t first = offsetof(vfio_iommu_type1_info_cap_iova_range, iova_ranges);
      for (uint32_t i = 0; i < r.nr_iovas; ++i) {
        const auto range = read_struct<vfio_iova_range>(
            c->bytes, first + i * sizeof(vfio_iova_range), what,
            "container, range " + std::to_string(i) + " of " + std::to_string(r.nr_iovas));
        out.ranges.push_back({range.start, range.end});
      }
    }
    if (const auto* c = find_info_cap(caps, VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL)) {
      out.dma_avail = read_struct<vfio_iommu_type1_info_dma_avail>(
                          c->bytes, 0, "parse VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL", "container")
                          .avail;
    }
  }
  if (out.ranges.empty()) out.ranges.push_back({0, UINT64_MAX});
  return out;
}

}  // namespace vfiokit
