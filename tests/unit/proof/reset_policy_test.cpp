// The proof's reset policy (issue #23): display devices are not reset unasked.
#include "vfiokit/proof/reset_policy.hpp"

#include <gtest/gtest.h>

using vfiokit::proof::reset_plan;
using vfiokit::proof::reset_skip_reason;
using vfiokit::proof::ResetPolicy;

namespace {
constexpr uint32_t kVga = 0x030000;
constexpr uint32_t k3d = 0x030200;
constexpr uint32_t kEdu = 0x00ff00;
constexpr uint32_t kNvme = 0x010802;
}  // namespace

TEST(ResetPolicy, DefaultResetsNonDisplayDevices) {
  EXPECT_EQ(reset_skip_reason(ResetPolicy::kUnlessDisplay, kEdu), "");
  EXPECT_EQ(reset_skip_reason(ResetPolicy::kUnlessDisplay, kNvme), "");
  EXPECT_EQ(reset_plan(ResetPolicy::kUnlessDisplay, kNvme), "reset");
}

TEST(ResetPolicy, DefaultSkipsDisplayDevicesNamingTheFlag) {
  for (uint32_t c : {kVga, k3d}) {
    EXPECT_EQ(reset_skip_reason(ResetPolicy::kUnlessDisplay, c),
              "display device: reset not run (reset bugs can wedge GPUs until reboot); pass "
              "--reset to run it");
    EXPECT_EQ(reset_plan(ResetPolicy::kUnlessDisplay, c),
              "reset (skipped: display device, --reset not given)");
  }
}

TEST(ResetPolicy, ResetRunsOnDisplayDevicesToo) {
  EXPECT_EQ(reset_skip_reason(ResetPolicy::kAlways, kVga), "");
  EXPECT_EQ(reset_plan(ResetPolicy::kAlways, kVga), "reset");
}

TEST(ResetPolicy, NoResetSkipsEveryDevice) {
  for (uint32_t c : {kVga, kEdu, kNvme}) {
    EXPECT_EQ(reset_skip_reason(ResetPolicy::kNever, c), "reset not run: --no-reset given");
    EXPECT_EQ(reset_plan(ResetPolicy::kNever, c), "reset (skipped: --no-reset)");
  }
}
