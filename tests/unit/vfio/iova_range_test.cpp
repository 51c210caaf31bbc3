// The checks every map and unmap passes before its ioctl (vfio/iommu_context.hpp).
#include <gtest/gtest.h>

#include <cerrno>

#include "vfiokit/vfio/error.hpp"
#include "vfiokit/vfio/iommu_context.hpp"

namespace vfiokit {
namespace {

TEST(IovaRange, NamesTheRange) {
  EXPECT_EQ(iova_range_name(0x1000, 4096), "IOVA [0x1000, 0x1fff] (4096 bytes)");
  EXPECT_EQ(iova_range_name(0x1000, 0), "IOVA 0x1000 (0 bytes)");
  EXPECT_EQ(iova_range_name(~0ull - 4095, 4096), "IOVA [0xfffffffffffff000, 0xffffffffffffffff] (4096 bytes)");
}

TEST(IovaRange, ZeroSizeAndWrapAroundAreRefusedBeforeTheKernel) {
  EXPECT_NO_THROW(check_iova_range("VFIO_IOMMU_MAP_DMA", ~0ull - 4095, 4096));
  try {
    check_iova_range("VFIO_IOMMU_MAP_DMA", 0x1000, 0);
    FAIL() << "zero size accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.error_code(), EINVAL);
    EXPECT_NE(std::string(e.what()).find("give a size > 0"), std::string::npos) << e.what();
  }
  try {
    check_iova_range("IOMMU_IOAS_MAP", ~0ull - 4095, 8192);
    FAIL() << "wrap-around accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.error_code(), EINVAL);
    EXPECT_NE(std::string(e.what()).find("past the end of the 64-bit IOVA space"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace vfiokit
