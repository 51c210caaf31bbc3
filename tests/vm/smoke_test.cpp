// The test bed's smoke test: vfiokit's own code opens edu through VFIO (each
// backend asked for), maps BAR0 and reads the identification register.

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "tests/vm/vm_support.hpp"
#include "vfiokit/drivers/edu/registers.hpp"
#include "vfiokit/vfio/device.hpp"

namespace vfiokit {
namespace {

uint32_t expected_id() {
  const char* env = std::getenv("VFIOKIT_EDU_EXPECTED_ID");
  return env ? static_cast<uint32_t>(std::stoul(env, nullptr, 0)) : 0x010000edu;
}

TEST(Smoke, EduBar0IdentificationOverEveryBackend) {
  const auto edus = test::find_pci(edu::kVendor, edu::kDevice);
  ASSERT_EQ(edus.size(), 1u) << "the VM should have exactly one edu device";
  const auto backends = test::test_backends();
  ASSERT_FALSE(backends.empty());
  for (Backend b : backends) {
    SCOPED_TRACE(backend_name(b));
    Device dev = Device::open(edus[0], b);
    const MappedRegion bar0 = dev.map_region(RegionIndex::kBar0);
    ASSERT_NE(bar0.ptr(0, 4), nullptr) << "BAR0 should be mmap'ed";
    EXPECT_EQ(bar0.read32(edu::kRegId), expected_id());
    std::printf("%s: %s BAR0[0] = %#x\n", dev.context()->name().c_str(), dev.bdf().c_str(),
                bar0.read32(edu::kRegId));
  }
}

}  // namespace
}  // namespace vfiokit
