// The proof's plan and step table (vfiokit/proof/proof.hpp), on a fixture sysfs: no
// device is opened.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "vfiokit/proof/proof.hpp"

namespace vfiokit::proof {
namespace {

class ProofPlanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ =
        std::filesystem::temp_directory_path() / ("proof_plan_test." + std::to_string(::getpid()));
    std::filesystem::remove_all(root_);
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  /// A device in the fixture sysfs with this class code.
  void add_device(const std::string& bdf, const std::string& class_code) {
    const auto dir = root_ / "sys/bus/pci/devices" / bdf;
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "class") << class_code << "\n";
  }
  ProofOptions options() const {
    ProofOptions o;
    o.sysfs_root = root_;
    return o;
  }
  std::filesystem::path root_;
};

TEST(ProofSteps, TableKeepsProbesStepIds) {
  EXPECT_EQ(step_ids(), (std::vector<std::string>{"open", "config", "bars", "dma-map", "interrupts",
                                                  "reset", "driver", "dma-roundtrip", "interrupt",
                                                  "isolation", "driver-remove"}));
}

TEST_F(ProofPlanTest, NonDisplayDeviceIsResetByDefault) {
  add_device("0000:00:03.0", "0x00ff00");
  const ProofPlan p = plan_proof("0000:00:03.0", options());
  EXPECT_TRUE(p.reset);
  EXPECT_EQ(p.text,
            "plan: open, config, bars, dma-map, interrupts, reset, driver, dma-roundtrip, "
            "interrupt, isolation, driver-remove; no storage writes (--allow-write not given)");
}

TEST_F(ProofPlanTest, DisplayDeviceIsNotResetUnasked) {
  add_device("0000:00:02.0", "0x030000");
  ProofOptions o = options();
  ProofPlan p = plan_proof("0000:00:02.0", o);
  EXPECT_FALSE(p.reset);
  EXPECT_NE(p.text.find(", reset (skipped: display device, --reset not given), "),
            std::string::npos)
      << p.text;
  EXPECT_NE(p.reset_skip.find("pass --reset to run it"), std::string::npos);
  o.reset = ResetPolicy::kAlways;
  EXPECT_TRUE(plan_proof("0000:00:02.0", o).reset);
}

TEST_F(ProofPlanTest, NoResetAndAllowWriteShowInThePlan) {
  add_device("0000:00:04.0", "0x010802");
  ProofOptions o = options();
  o.reset = ResetPolicy::kNever;
  o.allow_write = true;
  const ProofPlan p = plan_proof("0000:00:04.0", o);
  EXPECT_FALSE(p.reset);
  EXPECT_TRUE(p.allow_write);
  EXPECT_NE(p.text.find(", reset (skipped: --no-reset), "), std::string::npos) << p.text;
  EXPECT_NE(p.text.find("; storage writes allowed (--allow-write)"), std::string::npos) << p.text;
}

// A device that cannot be opened: open FAILs and every later step SKIPs naming it,
// each reported through the callback in order.
TEST_F(ProofPlanTest, FailedOpenSkipsEveryLaterStep) {
  add_device("ffff:ff:1f.7", "0x00ff00");
  ProofOptions o = options();
  o.backend = Backend::kContainer;
  std::vector<std::string> seen;
  o.on_step = [&](const StepResult& s) { seen.push_back(s.id); };
  const ProofResult r = run_proof("ffff:ff:1f.7", o);
  EXPECT_EQ(seen, step_ids());
  ASSERT_EQ(r.steps.size(), step_ids().size());
  EXPECT_EQ(r.steps[0].verdict, Verdict::kFail);
  for (size_t i = 1; i < r.steps.size(); ++i) {
    EXPECT_EQ(r.steps[i].verdict, Verdict::kSkip) << r.steps[i].id;
    EXPECT_EQ(r.steps[i].summary, "not run: open failed") << r.steps[i].id;
  }
  EXPECT_EQ(r.worst(), Verdict::kFail);
  EXPECT_TRUE(r.context.empty());
}

}  // namespace
}  // namespace vfiokit::proof
