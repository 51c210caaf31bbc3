#include "vfio/iommu_hw_info.hpp"

#include <cstring>
#include <utility>

namespace vfiokit {
namespace {
// enum iommu_hw_info_type and struct iommu_hw_info_vtd (include/uapi/linux/iommufd.h),
// spelled out so that the decoder builds (and is tested) with any UAPI headers.
constexpr uint32_t kTypeIntelVtd = 1;
constexpr uint32_t kTypeArmSmmuv3 = 2;  // 6.13+
struct HwInfoVtd {
  uint32_t flags;
  uint32_t reserved;
  uint64_t cap_reg;
  uint64_t ecap_reg;
};
}  // namespace

IommuHwInfo decode_iommu_hw_info(uint32_t data_type, uint64_t capabilities,
                                 std::vector<uint8_t> data) {
  IommuHwInfo out;
  out.data_type = data_type;
  out.capabilities = capabilities;
  out.data = std::move(data);
  switch (data_type) {
    case kTypeIntelVtd:
      out.data_type_name = "intel-vtd";
      if (out.data.size() >= sizeof(HwInfoVtd)) {
        HwInfoVtd v;
        std::memcpy(&v, out.data.data(), sizeof(v));
        out.vtd_cap_reg = v.cap_reg;
        out.vtd_ecap_reg = v.ecap_reg;
      }
      break;
    case kTypeArmSmmuv3:
      out.data_type_name = "arm-smmuv3";
      break;
    default:
      out.data_type_name = "none";
      break;
  }
  return out;
}

}  // namespace vfiokit
