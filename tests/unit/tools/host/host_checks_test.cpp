// Host checks on fixture trees: one verdict per broken thing.
#include "tools/host/host_checks.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "tests/support/fixture_tree.hpp"
#include "tools/host/fleet_facts.hpp"
#include "tools/host/node_labels.hpp"

namespace vfiokit::host {
namespace {

using fixtures::FixtureTree;
using fixtures::HostSpec;

const check::Check& find(const check::Report& g, const std::string& id) {
  for (const auto& c : g.checks)
    if (c.id == id) return c;
  throw std::runtime_error("no check " + id);
}

TEST(HostChecks, CleanPassthroughHostPassesEverything) {
  FixtureTree h;
  fixtures::build_host(h);
  const check::Report g = run_host_checks(HostFs(h.root()));
  for (const auto& c : g.checks)
    EXPECT_EQ(c.verdict, check::Verdict::kPass) << c.id << ": " << c.summary << " / " << c.hint;
  EXPECT_EQ(check::exit_status({g}), 0);
  EXPECT_NE(find(g, "host.iommu").summary.find("intel_iommu=on iommu=pt"), std::string::npos);
  EXPECT_NE(find(g, "host.acpi_iommu_table").summary.find("DMAR"), std::string::npos);
  EXPECT_NE(find(g, "host.cpu_virtualization").summary.find("vmx"), std::string::npos);
}

TEST(HostChecks, IommuOffFailsAndNamesTheCommandLine) {
  FixtureTree h;
  HostSpec s;
  s.iommu = false;
  s.cmdline = "root=/dev/sda1 intel_iommu=on intel_iommu=off";
  fixtures::build_host(h, s);
  const HostFs fs(h.root());
  const check::Check r = check_iommu_enabled(fs);
  EXPECT_EQ(r.verdict, check::Verdict::kFail);
  EXPECT_NE(r.hint.find("intel_iommu=off"), std::string::npos) << r.hint;
  EXPECT_EQ(cmdline_param(fs, "intel_iommu"), "off");  // the last one wins
  EXPECT_EQ(check::exit_status({run_host_checks(fs)}), 2);
}

TEST(HostChecks, IommuOffWithoutParameterAsksForIntelIommuOn) {
  FixtureTree h;
  HostSpec s;
  s.iommu = false;
  s.cmdline = "root=/dev/sda1";
  fixtures::build_host(h, s);
  const check::Check r = check_iommu_enabled(HostFs(h.root()));
  EXPECT_EQ(r.verdict, check::Verdict::kFail);
  EXPECT_NE(r.hint.find("add intel_iommu=on"), std::string::npos) << r.hint;
}

// QEMU's intel-iommu,dma-translation=off: VT-d present, interrupts remapped, no DMA
// translation. The kernel's own record decides, not the command line.
TEST(HostChecks, IommuThatRemapsInterruptsButTranslatesNoDmaIsNamed) {
  FixtureTree h;
  HostSpec s;
  s.iommu = false;
  s.cmdline = "root=/dev/sda1 intel_iommu=on";
  fixtures::build_host(h, s);
  h.file("dev/kmsg",
         "6,337,142317,-;DMAR: dmar0: No supported address widths. Not attempting DMA "
         "translation.\n"
         "6,338,142348,-;DMAR: dmar0: reg_base_addr fed90000 ver 1:0 cap d2008c22260006\n");
  const check::Check r = check_iommu_enabled(HostFs(h.root()));
  EXPECT_EQ(r.verdict, check::Verdict::kFail);
  EXPECT_NE(r.summary.find("remaps interrupts"), std::string::npos) << r.summary;
  EXPECT_NE(r.summary.find("translates no DMA"), std::string::npos) << r.summary;
  EXPECT_NE(r.summary.find("No supported address widths"), std::string::npos) << r.summary;
  EXPECT_NE(r.hint.find("dma-translation=on"), std::string::npos) << r.hint;
  EXPECT_EQ(r.hint.find("add intel_iommu=on"), std::string::npos) << r.hint;
  EXPECT_EQ(r.data.at("dma_translation"), false);
}

// The same line written to /dev/kmsg by a user (facility 1) is no evidence: without an
// explicit intel_iommu=on the check still asks for it.
TEST(HostChecks, ForgedNoTranslationRecordIsNoEvidence) {
  FixtureTree h;
  HostSpec s;
  s.iommu = false;
  s.cmdline = "root=/dev/sda1";
  fixtures::build_host(h, s);
  h.file("dev/kmsg",
         "14,337,142317,-;DMAR: dmar0: No supported address widths. Not attempting DMA "
         "translation.\n");
  const check::Check r = check_iommu_enabled(HostFs(h.root()));
  EXPECT_EQ(r.verdict, check::Verdict::kFail);
  EXPECT_EQ(r.summary.find("translates no DMA"), std::string::npos) << r.summary;
  EXPECT_NE(r.hint.find("add intel_iommu=on"), std::string::npos) << r.hint;
}

// intel_iommu=on already given, interrupts remapped, no group, no record: the hint no
// longer asks for what is there.
TEST(HostChecks, IntelIommuOnWithoutGroupsPointsAtTheKernelLog) {
  FixtureTree h;
  HostSpec s;
  s.iommu = false;
  s.cmdline = "root=/dev/sda1 intel_iommu=on";
  fixtures::build_host(h, s);
  const check::Check r = check_iommu_enabled(HostFs(h.root()));
  EXPECT_EQ(r.verdict, check::Verdict::kFail);
  EXPECT_NE(r.summary.find("translates no DMA"), std::string::npos) << r.summary;
  EXPECT_EQ(r.hint.find("add intel_iommu=on"), std::string::npos) << r.hint;
  EXPECT_NE(r.hint.find("dmesg"), std::string::npos) << r.hint;
}

// The backend contract: which VFIO interfaces the kernel offers (issue #25).
TEST(HostChecks, VfioBackendsOfALegacyHostWithoutCdev) {
  FixtureTree h;
  fixtures::build_host(h);
  // A device bound to vfio-pci whose vfio-dev entry has no "dev": no cdev in this kernel.
  h.file("sys/class/vfio-dev/vfio0/uevent", "");
  const check::Check r = check_vfio_backends(HostFs(h.root()));
  EXPECT_EQ(r.verdict, check::Verdict::kPass);
  EXPECT_EQ(r.data.at("container"), "type1");
  EXPECT_EQ(r.data.at("iommufd"), true);
  EXPECT_EQ(r.data.at("cdev"), "no");
  EXPECT_NE(r.summary.find("container /dev/vfio/vfio (type1, type1v2)"), std::string::npos);
  EXPECT_NE(r.hint.find("CONFIG_VFIO_DEVICE_CDEV=y"), std::string::npos) << r.hint;
}

TEST(HostChecks, VfioBackendsOfAnIommufdCompatKernelFromItsConfig) {
  FixtureTree h;
  fixtures::build_host(h);
  h.file("boot/config-6.12.0-test",
         "CONFIG_IOMMUFD=y\nCONFIG_IOMMUFD_VFIO_CONTAINER=y\nCONFIG_VFIO_DEVICE_CDEV=y\n"
         "# CONFIG_VFIO_CONTAINER is not set\n");
  const check::Check r = check_vfio_backends(HostFs(h.root()));
  EXPECT_EQ(r.verdict, check::Verdict::kPass);
  EXPECT_EQ(r.data.at("container"), "iommufd-compat");
  EXPECT_EQ(r.data.at("cdev"), "yes");
  EXPECT_TRUE(r.hint.empty()) << r.hint;
  const auto labels = node_labels(fleet_facts({run_host_checks(HostFs(h.root()))}), "0.2.0");
  EXPECT_EQ(labels.at("vfiokit.io/vfio-container"), "iommufd-compat");
  EXPECT_EQ(labels.at("vfiokit.io/vfio-cdev"), "true");
}

// The DaemonSet mounts no /dev: the VFIO and iommufd nodes are seen where the kernel
// announces them, /sys/class/misc, and the fleet's labels stay what they were.
TEST(HostChecks, VfioNodesSeenInSysfsWithoutDev) {
  FixtureTree h;
  fixtures::build_host(h);
  const auto with_dev = node_labels(fleet_facts({run_host_checks(HostFs(h.root()))}), "0.2.0");
  std::filesystem::remove_all(h.root() / "dev");
  h.file("sys/class/misc/vfio/dev", "10:196\n");
  h.file("sys/class/misc/iommu/dev", "10:123\n");
  const check::Report g = run_host_checks(HostFs(h.root()));
  for (const char* id : {"host.dev_vfio", "host.dev_iommu"}) {
    const check::Check& c = find(g, id);
    EXPECT_EQ(c.verdict, check::Verdict::kPass) << id << ": " << c.summary;
    EXPECT_NE(c.summary.find("/dev is not visible here"), std::string::npos) << c.summary;
  }
  EXPECT_EQ(find(g, "host.vfio_backends").data.at("container"), "type1");
  EXPECT_EQ(node_labels(fleet_facts({g}), "0.2.0"), with_dev);
  // Without the sysfs entries the nodes are missing, as before.
  std::filesystem::remove_all(h.root() / "sys/class/misc");
  const check::Report none = run_host_checks(HostFs(h.root()));
  EXPECT_EQ(find(none, "host.dev_vfio").verdict, check::Verdict::kFail);
  EXPECT_EQ(find(none, "host.dev_iommu").verdict, check::Verdict::kSkip);
}

TEST(HostChecks, NoFirmwareTableFails) {
  FixtureTree h;
  HostSpec s;
  s.dmar = false;
  fixtures::build_host(h, s);
  EXPECT_EQ(check_acpi_iommu_table(HostFs(h.root())).verdict, check::Verdict::kFail);
}

TEST(HostChecks, NoInterruptRemappingFails) {
  FixtureTree h;
  HostSpec s;
  s.interrupt_remapping = false;
  fixtures::build_host(h, s);
  const check::Check r = check_interrupt_remapping(HostFs(h.root()));
  EXPECT_EQ(r.verdict, check::Verdict::kFail);
  // The fixture's ecap says the hardware could: the hint is about the command line.
  EXPECT_NE(r.hint.find("intremap"), std::string::npos) << r.hint;
}

TEST(HostChecks, NoInterruptRemappingButUnsafeAllowedWarns) {
  FixtureTree h;
  HostSpec s;
  s.interrupt_remapping = false;
  s.allow_unsafe_interrupts = true;
  fixtures::build_host(h, s);
  EXPECT_EQ(check_interrupt_remapping(HostFs(h.root())).verdict, check::Verdict::kWarn);
}

TEST(HostChecks, NoVirtualizationFlagWarns) {
  FixtureTree h;
  HostSpec s;
  s.vmx = false;
  fixtures::build_host(h, s);
  EXPECT_EQ(check_cpu_virtualization(HostFs(h.root())).verdict, check::Verdict::kWarn);
}

TEST(HostChecks, ModulesNotLoadedButInstalledWarnNotLoadableFail) {
  FixtureTree h;
  fixtures::build_host(h);
  for (const char* m : {"vfio", "vfio_pci", "vfio_iommu_type1"})
    h.remove(std::string("sys/module/") + m);
  h.remove("dev/vfio");
  h.remove("dev/iommu");
  const HostFs fs(h.root());
  check::Check r = check_vfio_modules(fs);
  EXPECT_EQ(r.verdict, check::Verdict::kWarn) << r.summary;
  EXPECT_NE(r.hint.find("modprobe vfio-pci"), std::string::npos);
  h.file("lib/modules/6.12.0-test/modules.dep", "kernel/drivers/net/e1000e.ko:\n");
  r = check_vfio_modules(fs);
  EXPECT_EQ(r.verdict, check::Verdict::kFail) << r.summary;
  EXPECT_EQ(check_vfio_devnode(fs).verdict, check::Verdict::kFail);
  EXPECT_EQ(check_iommufd_devnode(fs).verdict, check::Verdict::kSkip);
}

TEST(HostChecks, LowMemlockWarnsUnlessCapIpcLock) {
  FixtureTree h;
  HostSpec s;
  s.memlock = "8388608";
  fixtures::build_host(h, s);
  const check::Check r = check_memlock(HostFs(h.root()));
  EXPECT_EQ(r.verdict, check::Verdict::kWarn);
  EXPECT_NE(r.summary.find("8 MiB"), std::string::npos) << r.summary;
  EXPECT_NE(r.hint.find("ulimit -l"), std::string::npos);

  FixtureTree h2;
  s.cap_ipc_lock = true;
  fixtures::build_host(h2, s);
  EXPECT_EQ(check_memlock(HostFs(h2.root())).verdict, check::Verdict::kPass);
}

TEST(HostChecks, HugepagesReportedPerSize) {
  FixtureTree h;
  fixtures::build_host(h);
  const check::Check r = check_hugepages(HostFs(h.root()));
  EXPECT_EQ(r.verdict, check::Verdict::kPass);
  EXPECT_NE(r.summary.find("2 MiB: 64 reserved, 64 free"), std::string::npos) << r.summary;
  EXPECT_NE(r.summary.find("1 GiB: 0 reserved"), std::string::npos) << r.summary;
}

}  // namespace
}  // namespace vfiokit::host
