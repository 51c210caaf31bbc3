#include "vfiokit/vfio/pci_address.hpp"

#include <gtest/gtest.h>

#include "vfiokit/vfio/error.hpp"

namespace vfiokit {
namespace {

TEST(PciAddress, NormalizesShortAndLongForms) {
  EXPECT_EQ(normalize_bdf("0000:00:02.0"), "0000:00:02.0");
  EXPECT_EQ(normalize_bdf("00:02.0"), "0000:00:02.0");
  EXPECT_EQ(normalize_bdf("0000:3B:00.1"), "0000:3b:00.1");
  EXPECT_EQ(normalize_bdf("1:2:3.4"), "0001:02:03.4");
}

TEST(PciAddress, RejectsNonsenseWithAHint) {
  for (const char* bad : {"", "02.0", "0000:00:20.0", "0000:00:02.8", "00:02.0x", "zz:00.0",
                          "0000:00:02.0 ", "1:2:3:4.0"}) {
    try {
      normalize_bdf(bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("DOMAIN:BUS:DEVICE.FUNCTION"), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace vfiokit
