// The bind journal and the in-use refusals, on fixture trees (the binding
// itself needs a kernel: see the VM tests in tests/vm/vfiokit.cmake).
#include <gtest/gtest.h>

#include <fstream>

#include "tests/support/fixture_tree.hpp"
#include "tools/host/binder.hpp"
#include "tools/host/inventory.hpp"
#include "vfiokit/vfio/error.hpp"

namespace vfiokit::host {
namespace {

using fixtures::FixtureTree;
using fixtures::HostSpec;

TEST(Journal, SaveLoadRoundTripAndRemoveWhenEmpty) {
  FixtureTree h;
  const Journal j(h.root() / "state");
  EXPECT_TRUE(j.load().empty());
  j.save({{"0000:02:00.0", "nvme", std::nullopt, "t0"},
          {"0000:01:00.1", std::nullopt, "pci-stub", "t1"}});
  const auto e = j.load();
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].bdf, "0000:02:00.0");
  EXPECT_EQ(e[0].driver, "nvme");
  EXPECT_FALSE(e[0].driver_override);
  EXPECT_FALSE(e[1].driver);
  EXPECT_EQ(e[1].driver_override, "pci-stub");
  EXPECT_FALSE(std::filesystem::exists(j.dir() / "journal.json.tmp"));
  j.save({});
  EXPECT_FALSE(std::filesystem::exists(j.file()));
}

TEST(Journal, DamagedFileIsAClearError) {
  FixtureTree h;
  const Journal j(h.root() / "state");
  h.file("state/journal.json", "{\"schema_version\": 1, \"entries\": [ {\"bdf\": ");
  try {
    j.load();
    FAIL() << "a truncated journal must not load";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("journal.json"), std::string::npos);
    EXPECT_NE(e.hint().find("damaged"), std::string::npos);
  }
}

TEST(Journal, JournalThatIsNotAFileIsAClearError) {
  FixtureTree h;
  const Journal j(h.root() / "state");
  std::filesystem::create_directories(j.file());
  try {
    j.load();
    FAIL() << "a directory loaded as a journal";
  } catch (const Error& e) {
    EXPECT_EQ(e.error_code(), EISDIR) << e.what();
    EXPECT_NE(std::string(e.what()).find("journal.json"), std::string::npos) << e.what();
    EXPECT_NE(e.hint().find("regular file"), std::string::npos) << e.what();
  }
}

TEST(Binder, RefusesBridgesAndWritesNothing) {
  FixtureTree h;
  fixtures::build_host(h);
  Binder b(HostFs(h.root()), Journal(h.root() / "state"));
  for (const BindOptions opts : {BindOptions{}, BindOptions{.force = true}}) {
    try {
      b.bind("00:01.0", opts);  // the GPU's root port
      FAIL() << "bind took a bridge";
    } catch (const Error& e) {
      EXPECT_EQ(e.error_code(), EINVAL);
      EXPECT_NE(e.hint().find("bridge (class 060400)"), std::string::npos) << e.hint();
    }
  }
  EXPECT_FALSE(std::filesystem::exists(h.root() / "state/journal.json"));
}

TEST(Binder, RefusesMountedBlockDeviceAndWritesNothing) {
  FixtureTree h;
  fixtures::build_host(h);
  h.file("proc/self/mountinfo", "40 22 259:0 / /data rw - ext4 /dev/nvme0n1 rw\n");
  Binder b(HostFs(h.root()), Journal(h.root() / "state"));
  try {
    b.bind("02:00.0", {});
    FAIL() << "bind must refuse a mounted device";
  } catch (const Error& e) {
    EXPECT_EQ(e.error_code(), EBUSY);
    EXPECT_NE(e.hint().find("/dev/nvme0n1 is mounted on /data"), std::string::npos) << e.hint();
    EXPECT_NE(e.hint().find("--force"), std::string::npos);
  }
  EXPECT_FALSE(std::filesystem::exists(h.root() / "state/journal.json"));
}

TEST(Binder, RefusesSwapAndHolders) {
  FixtureTree h;
  fixtures::build_host(h);
  h.file("proc/swaps", "Filename Type Size Used Priority\n/dev/nvme0n1 partition 1024 0 -2\n");
  h.file(h.device_path("0000:02:00.0") + "/nvme/nvme0/nvme0n1/holders/dm-0/.keep", "");
  const auto uses = find_uses(HostFs(h.root()), "0000:02:00.0");
  ASSERT_EQ(uses.size(), 2u);
  EXPECT_EQ(uses[0].kind, "swap");
  EXPECT_EQ(uses[1].kind, "holder");
  EXPECT_NE(uses[1].detail.find("dm-0"), std::string::npos);
}

TEST(Binder, RefusesInterfaceThatIsUpButNotOneThatIsDown) {
  FixtureTree h;
  fixtures::build_host(h);
  h.add_netdev("0000:02:00.0", "eth7", 0x1003);
  auto uses = find_uses(HostFs(h.root()), "0000:02:00.0");
  ASSERT_EQ(uses.size(), 1u);
  EXPECT_EQ(uses[0].detail, "network interface eth7 is up");
  EXPECT_EQ(uses[0].fix, "ip link set eth7 down");
  h.file(h.device_path("0000:02:00.0") + "/net/eth7/flags", "0x1002\n");
  EXPECT_TRUE(find_uses(HostFs(h.root()), "0000:02:00.0").empty());
}

TEST(Binder, RefusesBootVgaAndFramebuffer) {
  FixtureTree h;
  HostSpec s;
  s.boot_vga = true;
  s.efifb_on_gpu = true;
  s.audio_driver = "snd_hda_intel";
  fixtures::build_host(h, s);
  // Take the GPU off vfio-pci so bind has work to do.
  h.remove(h.device_path("0000:01:00.0") + "/driver");
  Binder b(HostFs(h.root()), Journal(h.root() / "state"));
  try {
    b.bind("0000:01:00.0", {});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(e.hint().find("boot VGA"), std::string::npos) << e.hint();
    EXPECT_NE(e.hint().find("efifb holds BAR1"), std::string::npos) << e.hint();
  }
}

// `vfiokit bind --json` and the VM tests read these names: they stay as they were.
TEST(Binder, ActionNamesAreTheSerialisedStrings) {
  EXPECT_STREQ(action_name(Action::kBound), "bound");
  EXPECT_STREQ(action_name(Action::kAlreadyBound), "already-bound");
  EXPECT_STREQ(action_name(Action::kRestored), "restored");
  EXPECT_STREQ(action_name(Action::kUnchanged), "unchanged");
  EXPECT_STREQ(action_name(Action::kUnbound), "unbound");
  EXPECT_STREQ(action_name(Action::kFailed), "failed");
}

TEST(Binder, AlreadyBoundDeviceIsReportedNotTouched) {
  FixtureTree h;
  fixtures::build_host(h);
  Binder b(HostFs(h.root()), Journal(h.root() / "state"));
  const BindReport r = b.bind("0000:01:00.0", {true, false});
  ASSERT_EQ(r.devices.size(), 2u);  // the GPU and its audio function; the root port is skipped
  for (const auto& d : r.devices) EXPECT_EQ(d.action, Action::kAlreadyBound);
  EXPECT_FALSE(std::filesystem::exists(h.root() / "state/journal.json"));
}

TEST(Binder, FailedBindPutsTheDeviceBackAndForgetsIt) {
  FixtureTree h;
  fixtures::build_host(h);
  const Journal j(h.root() / "state");
  Binder b(HostFs(h.root()), Journal(h.root() / "state"));
  try {
    b.bind("0000:02:00.0", {});  // a fixture tree has no kernel to move the driver link
    FAIL() << "the bind cannot succeed on a fixture tree";
  } catch (const Error& e) {
    EXPECT_NE(e.hint().find("put back"), std::string::npos) << e.hint();
  }
  EXPECT_TRUE(j.load().empty()) << "the device is back on nvme: nothing left to restore";
}

TEST(Binder, FailedBindWhoseRestoreFailsKeepsTheOriginalDriver) {
  FixtureTree h;
  fixtures::build_host(h);
  const Journal j(h.root() / "state");
  // A killed earlier bind recorded igb as the original driver; now the device is on
  // nvme and igb is not there to take it back, so the restore after the failed
  // bind fails too. Dropping the entry would lose "igb" for good.
  j.save({{"0000:02:00.0", "igb", std::nullopt, "t0"}});
  Binder b(HostFs(h.root()), Journal(h.root() / "state"));
  try {
    b.bind("0000:02:00.0", {});
    FAIL() << "the bind cannot succeed on a fixture tree";
  } catch (const Error& e) {
    EXPECT_NE(e.hint().find("could not put back 0000:02:00.0"), std::string::npos) << e.hint();
    EXPECT_NE(e.hint().find("vfiokit restore"), std::string::npos) << e.hint();
  }
  const auto left = j.load();
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].bdf, "0000:02:00.0");
  EXPECT_EQ(left[0].driver, "igb");
  EXPECT_EQ(left[0].recorded_at, "t0");
}

TEST(Binder, RestoreWithEmptyJournalSaysSo) {
  FixtureTree h;
  fixtures::build_host(h);
  Binder b(HostFs(h.root()), Journal(h.root() / "state"));
  const BindReport r = b.restore();
  EXPECT_TRUE(r.devices.empty());
  ASSERT_EQ(r.notes.size(), 1u);
  EXPECT_NE(r.notes[0].find("nothing to restore"), std::string::npos);
}

TEST(Binder, VfiokitHostHasNoPauseHookInAnyBuild) {
  // vfiokit_host never honours VFIOKIT_TEST_PAUSE_AT, in any build: only the test
  // program vfiokit-testhooks (never installed) compiles it in, for vm.vfiokit.kill.*.
  EXPECT_FALSE(Binder::test_hooks_compiled());
}

TEST(Inventory, GroupsWithViability) {
  FixtureTree h;
  HostSpec s;
  s.audio_driver = "snd_hda_intel";
  fixtures::build_host(h, s);
  const PciNames names;
  const auto groups = inventory(HostFs(h.root()), names);
  ASSERT_EQ(groups.size(), 4u);  // 1 (GPU+audio), 2 (NVMe), 10, 11 (root ports)
  EXPECT_EQ(groups[0].group, 1);
  EXPECT_FALSE(groups[0].viable);
  ASSERT_EQ(groups[0].devices.size(), 2u);
  EXPECT_EQ(groups[0].devices[1].driver, "snd_hda_intel");
  EXPECT_EQ(groups[1].group, 2);
  EXPECT_FALSE(groups[1].viable);  // NVMe on nvme
  EXPECT_TRUE(groups[2].viable);   // a root port on pcieport
  // Names come from pci.ids.
  EXPECT_EQ(groups[0].devices[0].vendor_name, "NVIDIA Corporation");
  EXPECT_EQ(groups[0].devices[0].class_name, "VGA compatible controller");
  const auto j = to_json(groups);
  EXPECT_EQ(j["schema_version"], 1);
  EXPECT_EQ(j["groups"][0]["devices"][1]["driver"], "snd_hda_intel");
}

}  // namespace
}  // namespace vfiokit::host
