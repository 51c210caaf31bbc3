// find_uses on fixture trees: the uses a maj:min match misses (btrfs, other mount
// namespaces, open nodes, VFs), which of them --force may override, and unbind /
// restore refusing a device a process holds through VFIO.
#include "tools/host/device_usage.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "tests/support/fixture_tree.hpp"
#include "tools/host/binder.hpp"
#include "vfiokit/vfio/error.hpp"

namespace vfiokit::host {
namespace {

using fixtures::FixtureTree;

constexpr const char* kNvme = "0000:02:00.0";
constexpr const char* kGpu = "0000:01:00.0";

/// A process `pid` named `comm` with fd `fd` open on `node` (an absolute /dev path).
void add_process_fd(FixtureTree& h, int pid, const std::string& comm, int fd,
                    const std::string& node) {
  const std::string dir = "proc/" + std::to_string(pid);
  h.file(dir + "/comm", comm + "\n");
  std::filesystem::create_directories(h.root() / dir / "fd");
  std::filesystem::create_symlink(node, h.root() / dir / "fd" / std::to_string(fd));
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(DeviceUsage, BtrfsMountIsFoundBySourceThoughItsDeviceNumberIsAnonymous) {
  FixtureTree h;
  fixtures::build_host(h);
  h.file("proc/self/mountinfo", "40 22 0:45 / /pool rw,relatime - btrfs /dev/nvme0n1 rw\n");
  const auto uses = find_uses(HostFs(h.root()), kNvme);
  ASSERT_EQ(uses.size(), 1u);
  EXPECT_EQ(uses[0].kind, "mounted");
  EXPECT_EQ(uses[0].detail, "/dev/nvme0n1 is mounted on /pool (btrfs)");
  EXPECT_EQ(uses[0].fix, "umount /pool");
  EXPECT_TRUE(uses[0].data_bearing);
}

TEST(DeviceUsage, SecondMemberOfAMountedBtrfsIsInUse) {
  FixtureTree h;
  fixtures::build_host(h);
  h.add_block(kNvme, "nvme0n2", "259:1");
  // The mount names the other member (on another disk); sysfs lists both.
  h.file("proc/self/mountinfo", "40 22 0:45 / /pool rw - btrfs /dev/sda2 rw\n");
  h.file("sys/fs/btrfs/0c1d2e3f-aaaa-bbbb-cccc-112233445566/devices/sda2", "");
  h.file("sys/fs/btrfs/0c1d2e3f-aaaa-bbbb-cccc-112233445566/devices/nvme0n2", "");
  const auto uses = find_uses(HostFs(h.root()), kNvme);
  ASSERT_EQ(uses.size(), 1u);
  EXPECT_EQ(uses[0].kind, "btrfs-member");
  EXPECT_NE(uses[0].detail.find("/dev/nvme0n2 is a member of the mounted btrfs filesystem "
                                "0c1d2e3f-aaaa-bbbb-cccc-112233445566"),
            std::string::npos)
      << uses[0].detail;
  EXPECT_TRUE(uses[0].data_bearing);
}

TEST(DeviceUsage, MountInPid1NamespaceIsFoundWhenOursLacksIt) {
  FixtureTree h;
  fixtures::build_host(h);
  h.file("proc/self/mountinfo", "1 0 0:20 / / rw - overlay overlay rw\n");  // a container's view
  h.file("proc/1/mountinfo", "40 22 259:0 / /srv rw - xfs /dev/nvme0n1 rw\n");
  const auto uses = find_uses(HostFs(h.root()), kNvme);
  ASSERT_EQ(uses.size(), 1u);
  EXPECT_EQ(uses[0].detail, "/dev/nvme0n1 is mounted on /srv (xfs)");
}

TEST(DeviceUsage, ProcessWithTheDiskOpenIsNamed) {
  FixtureTree h;
  fixtures::build_host(h);
  add_process_fd(h, 4242, "qemu-system-x86", 17, "/dev/nvme0n1");
  add_process_fd(h, 4243, "bash", 0, "/dev/pts/0");
  const auto uses = find_uses(HostFs(h.root()), kNvme);
  ASSERT_EQ(uses.size(), 1u);
  EXPECT_EQ(uses[0].kind, "open");
  EXPECT_EQ(uses[0].detail, "/dev/nvme0n1 is open by qemu-system-x86 (pid 4242)");
  EXPECT_TRUE(uses[0].data_bearing);
}

TEST(DeviceUsage, OpenDrmAndNvidiaNodesAreUsesForceMayOverride) {
  FixtureTree h;
  fixtures::build_host(h);
  h.file(h.device_path(kGpu) + "/drm/card0/dev", "226:0\n");
  h.file(h.device_path(kGpu) + "/drm/renderD128/dev", "226:128\n");
  h.file(std::string("proc/driver/nvidia/gpus/") + kGpu + "/information",
         "Model: \t\t NVIDIA Test\nDevice Minor: \t 0\n");
  add_process_fd(h, 77, "Xorg", 5, "/dev/dri/card0");
  add_process_fd(h, 78, "python3", 9, "/dev/nvidia0");
  add_process_fd(h, 79, "other-gpu", 9, "/dev/nvidia1");  // the minor of another GPU
  const auto uses = find_uses(HostFs(h.root()), kGpu);
  ASSERT_EQ(uses.size(), 2u);
  EXPECT_EQ(uses[0].kind, "gpu-open");
  EXPECT_EQ(uses[0].detail, "/dev/dri/card0 is open by Xorg (pid 77)");
  EXPECT_EQ(uses[1].detail, "/dev/nvidia0 is open by python3 (pid 78)");
  EXPECT_FALSE(uses[0].data_bearing);
  EXPECT_FALSE(uses[1].data_bearing);
}

TEST(DeviceUsage, PhysicalFunctionWithVfsEnabledIsInUse) {
  FixtureTree h;
  fixtures::build_host(h);
  h.file(h.device_path(kNvme) + "/sriov_totalvfs", "8\n");
  h.file(h.device_path(kNvme) + "/sriov_numvfs", "4\n");
  auto uses = find_uses(HostFs(h.root()), kNvme);
  ASSERT_EQ(uses.size(), 1u);
  EXPECT_EQ(uses[0].kind, "sriov-vfs");
  EXPECT_EQ(uses[0].detail, "4 VFs enabled: unbinding the PF removes them");
  EXPECT_NE(uses[0].fix.find("echo 0 > /sys/bus/pci/devices/0000:02:00.0/sriov_numvfs"),
            std::string::npos);
  EXPECT_FALSE(uses[0].data_bearing);
  h.file(h.device_path(kNvme) + "/sriov_numvfs", "0\n");
  EXPECT_TRUE(find_uses(HostFs(h.root()), kNvme).empty());
}

TEST(DeviceUsage, VfioHoldersComeFromTheSameFdScan) {
  FixtureTree h;
  fixtures::build_host(h);
  add_process_fd(h, 500, "qemu-system-x86", 30, "/dev/vfio/1");
  add_process_fd(h, 500, "qemu-system-x86", 31, "/dev/vfio/1");  // twice: one entry
  const auto holders = vfio_holders(HostFs(h.root()), kGpu);
  ASSERT_EQ(holders.size(), 1u);
  EXPECT_EQ(holders[0].who(), "qemu-system-x86 (pid 500)");
  EXPECT_EQ(holders[0].node, "/dev/vfio/1");
}

TEST(BinderForce, ForceDoesNotOverrideADataBearingUse) {
  FixtureTree h;
  fixtures::build_host(h);
  h.file("proc/swaps", "Filename Type Size Used Priority\n/dev/nvme0n1 partition 1024 0 -2\n");
  Binder b(HostFs(h.root()), Journal(h.root() / "state"));
  for (const BindOptions opts : {BindOptions{}, BindOptions{.force = true}}) {
    try {
      b.bind(kNvme, opts);
      FAIL() << "bind took a device in use as swap (force " << opts.force << ")";
    } catch (const Error& e) {
      EXPECT_EQ(e.error_code(), EBUSY);
      EXPECT_NE(e.hint().find("/dev/nvme0n1 is in use as swap"), std::string::npos) << e.hint();
      EXPECT_NE(e.hint().find("--force does not override"), std::string::npos) << e.hint();
      EXPECT_NE(e.hint().find("swapoff /dev/nvme0n1"), std::string::npos) << e.hint();
    }
  }
  EXPECT_FALSE(std::filesystem::exists(h.root() / "state/journal.json"));
}

TEST(BinderForce, ForceOverridesAUseThatHoldsNoData) {
  FixtureTree h;
  fixtures::build_host(h);
  h.file(h.device_path(kNvme) + "/sriov_totalvfs", "8\n");
  h.file(h.device_path(kNvme) + "/sriov_numvfs", "2\n");
  Binder b(HostFs(h.root()), Journal(h.root() / "state"));
  try {
    b.bind(kNvme, {});
    FAIL() << "bind took a PF with VFs without --force";
  } catch (const Error& e) {
    EXPECT_NE(e.hint().find("2 VFs enabled"), std::string::npos) << e.hint();
    EXPECT_NE(e.hint().find("or pass --force"), std::string::npos) << e.hint();
  }
  try {
    b.bind(kNvme, {.force = true});
    FAIL() << "the bind cannot succeed on a fixture tree";
  } catch (const Error& e) {
    // Past the in-use check: it got as far as moving the driver.
    EXPECT_NE(e.hint().find("put back"), std::string::npos) << e.hint();
  }
}

TEST(BinderVfioHeld, UnbindRefusesWhileAProcessHoldsTheGroupAndWritesNothing) {
  FixtureTree h;
  fixtures::build_host(h);
  const Journal j(h.root() / "state");
  j.save({{kGpu, "nouveau", std::nullopt, "t0"}});
  const std::string journal_before = slurp(j.file());
  add_process_fd(h, 500, "qemu-system-x86", 30, "/dev/vfio/1");
  h.file(h.device_path(kGpu) + "/driver_override", "vfio-pci\n");
  Binder b(HostFs(h.root()), Journal(h.root() / "state"));
  try {
    b.unbind(kGpu);
    FAIL() << "unbind pulled a device out of a running VM";
  } catch (const Error& e) {
    EXPECT_EQ(e.error_code(), EBUSY);
    EXPECT_NE(e.hint().find("qemu-system-x86 (pid 500) through /dev/vfio/1"), std::string::npos)
        << e.hint();
    EXPECT_NE(e.hint().find("kill 500"), std::string::npos) << e.hint();
    EXPECT_NE(e.hint().find("--force does not override"), std::string::npos) << e.hint();
  }
  EXPECT_EQ(slurp(j.file()), journal_before);
  EXPECT_EQ(HostFs(h.root()).sysfs().driver(kGpu), "vfio-pci");
  EXPECT_EQ(slurp(h.root() / h.device_path(kGpu) / "driver_override"), "vfio-pci\n");
}

TEST(BinderVfioHeld, RestoreOfOnlyHeldDevicesRefusesAndWritesNothing) {
  FixtureTree h;
  fixtures::build_host(h);
  const Journal j(h.root() / "state");
  j.save({{kGpu, "nouveau", std::nullopt, "t0"}});
  const std::string journal_before = slurp(j.file());
  add_process_fd(h, 501, "qemu-kvm", 4, "/dev/vfio/1");
  Binder b(HostFs(h.root()), Journal(h.root() / "state"));
  try {
    b.restore();
    FAIL() << "restore pulled a device out of a running VM";
  } catch (const Error& e) {
    EXPECT_EQ(e.error_code(), EBUSY);
    EXPECT_NE(e.hint().find("qemu-kvm (pid 501) through /dev/vfio/1"), std::string::npos)
        << e.hint();
  }
  EXPECT_EQ(slurp(j.file()), journal_before);
  EXPECT_EQ(HostFs(h.root()).sysfs().driver(kGpu), "vfio-pci");
}

TEST(BinderVfioHeld, RestoreKeepsTheHeldEntryAndRestoresTheOthers) {
  FixtureTree h;
  fixtures::build_host(h);
  const Journal j(h.root() / "state");
  // The NVMe is already back on nvme (restore has only to forget it); the GPU is held.
  j.save({{kGpu, "nouveau", std::nullopt, "t0"}, {kNvme, "nvme", std::nullopt, "t1"}});
  add_process_fd(h, 501, "qemu-kvm", 4, "/dev/vfio/1");
  Binder b(HostFs(h.root()), Journal(h.root() / "state"));
  const BindReport r = b.restore();
  EXPECT_FALSE(r.ok());
  ASSERT_EQ(r.devices.size(), 2u);
  EXPECT_EQ(r.devices[0].bdf, kGpu);
  EXPECT_EQ(r.devices[0].action, Action::kFailed);
  EXPECT_NE(r.devices[0].detail.find("qemu-kvm (pid 501)"), std::string::npos);
  EXPECT_EQ(r.devices[1].bdf, kNvme);
  EXPECT_NE(r.devices[1].action, Action::kFailed) << r.devices[1].detail;
  const auto left = j.load();
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].bdf, kGpu);
  EXPECT_EQ(left[0].driver, "nouveau");
  EXPECT_EQ(HostFs(h.root()).sysfs().driver(kGpu), "vfio-pci");
}

}  // namespace
}  // namespace vfiokit::host
