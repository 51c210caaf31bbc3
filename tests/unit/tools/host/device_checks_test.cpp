// Device checks on fixture trees: every verdict the issue names.
#include "tools/host/device_checks.hpp"

#include <gtest/gtest.h>

#include "tests/support/fixture_tree.hpp"
#include "tools/host/pci_facts.hpp"
#include "vfiokit/vfio/error.hpp"

namespace vfiokit::host {
namespace {

using fixtures::FixtureTree;
using fixtures::HostSpec;

constexpr const char* kGpu = "0000:01:00.0";
constexpr const char* kNvme = "0000:02:00.0";

// The device's facts as run_device_checks reads them, after the test changed its files.
pci::DeviceFacts facts(const HostFs& fs, const std::string& bdf) {
  return pci::read_device_facts(fs.sysfs(), bdf);
}

TEST(DeviceChecks, CleanGpuPasses) {
  FixtureTree h;
  fixtures::build_host(h);
  const check::Report g = run_device_checks(HostFs(h.root()), kGpu);
  for (const auto& c : g.checks) {
    if (c.id == "device.sriov") {
      EXPECT_EQ(c.verdict, check::Verdict::kSkip);
      continue;
    }
    EXPECT_EQ(c.verdict, check::Verdict::kPass) << c.id << ": " << c.summary << " / " << c.hint;
  }
  EXPECT_EQ(check::exit_status({g}), 0);
}

TEST(DeviceChecks, FactsAreDecoded) {
  FixtureTree h;
  fixtures::build_host(h);
  const HostFs fs(h.root());
  const check::Check bars = check_bars(fs, facts(fs, kGpu));
  EXPECT_EQ(bars.data["bars"].size(), 3u);
  EXPECT_TRUE(bars.data["resizable_bar"].get<bool>());
  EXPECT_TRUE(bars.data["bars"][2]["above_4g"].get<bool>());
  EXPECT_TRUE(bars.data["bars"][1]["prefetchable"].get<bool>());
  EXPECT_TRUE(bars.data["bars"][1]["mem64"].get<bool>());
  EXPECT_NE(bars.summary.find("BAR1 256 MiB 64-bit pref"), std::string::npos) << bars.summary;
  const check::Check irq = check_interrupts(facts(fs, kNvme));
  EXPECT_EQ(irq.data["msix_vectors"], 33);
  EXPECT_EQ(irq.data["msi_vectors"], 32);
  const check::Check link = check_pcie_link(facts(fs, kNvme));
  EXPECT_EQ(link.verdict, check::Verdict::kPass);
  EXPECT_EQ(link.data["cur_width"], 4);
  EXPECT_EQ(check_numa(facts(fs, kGpu)).data["numa_node"], 0);
  EXPECT_EQ(upstream_bridges(fs, kGpu), std::vector<std::string>{"0000:00:01.0"});
  const check::Check grp = check_iommu_group(fs, facts(fs, kGpu));
  EXPECT_EQ(grp.data["group"], 1);
  EXPECT_NE(grp.summary.find("0000:01:00.1 (audio, driver vfio-pci)"), std::string::npos);
}

// Not root: config space stops at 64 bytes, and the link comes from sysfs, as the guest
// check reads it; without those attributes it is a SKIP that says to run as root.
TEST(DeviceChecks, WithoutRootTheLinkComesFromSysfs) {
  FixtureTree h;
  fixtures::build_host(h);
  const HostFs fs(h.root());
  const std::string dev = "sys/bus/pci/devices/" + std::string(kNvme);
  auto cfg = fs.read_bytes(dev + "/config");
  cfg.resize(64);
  h.bytes(dev + "/config", cfg);
  const check::Check skip = check_pcie_link(facts(fs, kNvme));
  EXPECT_EQ(skip.verdict, check::Verdict::kSkip);
  EXPECT_EQ(skip.summary, "link unknown: capabilities not readable and no sysfs link attributes");
  EXPECT_EQ(skip.hint, "run as root to read the PCIe capability");
  h.file(dev + "/current_link_speed", "8.0 GT/s PCIe\n");
  h.file(dev + "/max_link_speed", "16.0 GT/s PCIe\n");
  h.file(dev + "/current_link_width", "4\n");
  h.file(dev + "/max_link_width", "4\n");
  const check::Check link = check_pcie_link(facts(fs, kNvme));
  EXPECT_EQ(link.verdict, check::Verdict::kWarn) << link.summary;
  EXPECT_NE(link.hint.find("Gen3 of Gen4"), std::string::npos) << link.hint;
  EXPECT_EQ(link.data["source"], "sysfs");
  EXPECT_EQ(link.data["max_gts"], 16.0);
}

// A 64-bit BAR the firmware and the kernel could not place (issue #25: a large BAR
// without Above-4G decoding): its config register says 64-bit prefetchable memory,
// sysfs has no resource for it, the kernel logged the size it failed to assign.
TEST(DeviceChecks, BarWithoutAddressFailsWithItsSizeAndTheWindow) {
  FixtureTree h;
  fixtures::build_host(h);
  const HostFs fs(h.root());
  const std::string dev = "sys/bus/pci/devices/" + std::string(kGpu);
  auto cfg = fs.read_bytes(dev + "/config");
  cfg[0x1c] = 0x0c;  // BAR3: 64-bit prefetchable memory, address 0 (upper half 0x20 too)
  h.bytes(dev + "/config", cfg);
  auto res = fs.lines(dev + "/resource");
  res[3] = "0x0000000000000000 0x0000000000000000 0x0000000000000000";
  std::string text;
  for (const auto& l : res) text += l + "\n";
  h.file(dev + "/resource", text);
  h.file("dev/kmsg",
         "3,900,1088953,-;pci 0000:01:00.0: BAR 3 [mem size 0x1000000000 64bit pref]: failed to "
         "assign\n");
  const check::Check r = check_bars(fs, facts(fs, kGpu));
  EXPECT_EQ(r.verdict, check::Verdict::kFail);
  EXPECT_NE(r.summary.find("BAR3 (64-bit pref, 64 GiB) has no address"), std::string::npos)
      << r.summary;
  EXPECT_NE(r.summary.find("window above 4 GiB: none"), std::string::npos) << r.summary;
  EXPECT_NE(r.hint.find("Above 4G Decoding"), std::string::npos) << r.hint;
  EXPECT_EQ(r.data["unplaced"][0]["size"], uint64_t{0x1000000000});
  // The same record written by a user is no evidence of the size.
  h.file("dev/kmsg",
         "11,900,1088953,-;pci 0000:01:00.0: BAR 3 [mem size 0x1000000000 64bit pref]: failed "
         "to assign\n");
  const check::Check forged = check_bars(fs, facts(fs, kGpu));
  EXPECT_EQ(forged.verdict, check::Verdict::kFail);
  EXPECT_NE(forged.summary.find("size unknown"), std::string::npos) << forged.summary;
}

// Placed BARs pass with the MMIO a VM needs and the root bus's window above 4 GiB.
TEST(DeviceChecks, PlacedBarsReportTheirMmioAndTheWindow) {
  FixtureTree h;
  fixtures::build_host(h);
  const HostFs fs(h.root());
  h.file("proc/iomem", fs.read("proc/iomem").value() + "6000000000-7fffffffff : PCI Bus 0000:00\n");
  const check::Check r = check_bars(fs, facts(fs, kGpu));
  EXPECT_EQ(r.verdict, check::Verdict::kPass) << r.summary;
  EXPECT_EQ(r.data["root_window_above_4g"], uint64_t{0x2000000000});
  EXPECT_EQ(r.data["mmio_total"], uint64_t{0x1000000} + 0x10000000 + 0x2000000);
  EXPECT_NE(r.summary.find("a VM needs 304 MiB of MMIO"), std::string::npos) << r.summary;
}

// A resource line that is not three hexadecimal numbers: a FAIL naming the file, never
// a BAR list with that line skipped.
TEST(DeviceChecks, MalformedResourceFileFailsNamingIt) {
  FixtureTree h;
  fixtures::build_host(h);
  const HostFs fs(h.root());
  const std::string dev = "sys/bus/pci/devices/" + std::string(kGpu);
  h.file(dev + "/resource", "0x00000000fb000000 0x00000000fbffffff\n");
  const check::Check r = check_bars(fs, facts(fs, kGpu));
  EXPECT_EQ(r.verdict, check::Verdict::kFail);
  EXPECT_NE(r.summary.find(dev + "/resource"), std::string::npos) << r.summary;
  EXPECT_NE(r.summary.find("line 1"), std::string::npos) << r.summary;
  EXPECT_NE(r.hint.find("lspci -vv -s 0000:01:00.0"), std::string::npos) << r.hint;
}

TEST(DeviceChecks, AudioFunctionOnHostDriverMakesGroupNotViable) {
  FixtureTree h;
  HostSpec s;
  s.audio_driver = "snd_hda_intel";
  fixtures::build_host(h, s);
  const check::Check r = check_iommu_group(HostFs(h.root()), facts(HostFs(h.root()), kGpu));
  EXPECT_EQ(r.verdict, check::Verdict::kFail);
  EXPECT_NE(r.summary.find("0000:01:00.1 (audio, driver snd_hda_intel)"), std::string::npos)
      << r.summary;
  EXPECT_NE(r.hint.find("vfiokit bind 0000:01:00.0 --group"), std::string::npos) << r.hint;
  EXPECT_FALSE(r.data["viable"].get<bool>());
}

TEST(DeviceChecks, NoIommuGroupFails) {
  FixtureTree h;
  HostSpec s;
  s.iommu = false;
  fixtures::build_host(h, s);
  EXPECT_EQ(check_iommu_group(HostFs(h.root()), facts(HostFs(h.root()), kGpu)).verdict, check::Verdict::kFail);
}

TEST(DeviceChecks, RootPortWithoutAcsWarnsAndNamesIt) {
  FixtureTree h;
  HostSpec s;
  s.root_port_acs = false;
  fixtures::build_host(h, s);
  const check::Check r = check_acs(HostFs(h.root()), kGpu);
  EXPECT_EQ(r.verdict, check::Verdict::kWarn);
  EXPECT_NE(r.summary.find("0000:00:01.0 (root port: no ACS capability)"), std::string::npos)
      << r.summary;
}

TEST(DeviceChecks, AcsPresentButRedirectOffWarns) {
  fixtures::ConfigBuilder c(0x8086, 0x7a38, 0x060400, true);
  c.pcie(4, false).acs(0x1d, 0x01);  // only Source Validation on
  const AcsState a = acs_state(ConfigSpace(c.bytes()));
  EXPECT_TRUE(a.has_cap);
  EXPECT_FALSE(a.isolating);
  EXPECT_EQ(a.missing, (std::vector<std::string>{"P2P Request Redirect", "P2P Completion Redirect",
                                                 "Upstream Forwarding"}));
}

TEST(DeviceChecks, EfifbOverBarFails) {
  FixtureTree h;
  HostSpec s;
  s.efifb_on_gpu = true;
  fixtures::build_host(h, s);
  const check::Check r = check_framebuffer(HostFs(h.root()), kGpu);
  EXPECT_EQ(r.verdict, check::Verdict::kFail);
  EXPECT_NE(r.summary.find("efifb holds BAR1"), std::string::npos) << r.summary;
  EXPECT_NE(r.hint.find("video=efifb:off"), std::string::npos);
}

TEST(DeviceChecks, BootVgaWarns) {
  FixtureTree h;
  HostSpec s;
  s.boot_vga = true;
  fixtures::build_host(h, s);
  EXPECT_EQ(check_framebuffer(HostFs(h.root()), kGpu).verdict, check::Verdict::kWarn);
}

TEST(DeviceChecks, NoFlrWarns) {
  FixtureTree h;
  HostSpec s;
  s.gpu_flr = false;
  s.gpu_reset_method = "bus";
  fixtures::build_host(h, s);
  const check::Check r = check_reset(HostFs(h.root()), facts(HostFs(h.root()), kGpu));
  EXPECT_EQ(r.verdict, check::Verdict::kWarn);
  EXPECT_NE(r.summary.find("no FLR"), std::string::npos);
  EXPECT_NE(r.hint.find("siblings"), std::string::npos);
}

TEST(DeviceChecks, LowMemlockFailsForBigBars) {
  FixtureTree h;
  HostSpec s;
  s.memlock = "8388608";
  fixtures::build_host(h, s);
  const check::Check r = check_device_memlock(HostFs(h.root()), facts(HostFs(h.root()), kGpu));
  EXPECT_EQ(r.verdict, check::Verdict::kFail);
  // BAR0 16 MiB + BAR1 256 MiB + BAR3 32 MiB + 2 MiB test buffer.
  EXPECT_EQ(r.data["needed_bytes"], (306ull << 20));
  EXPECT_NE(r.hint.find("ENOMEM"), std::string::npos);
}

TEST(DeviceChecks, MountedNvmeIsInUse) {
  FixtureTree h;
  fixtures::build_host(h);
  h.file("proc/self/mountinfo",
         "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n40 22 259:0 / /data rw - ext4 /dev/nvme0n1 rw\n");
  const check::Check r = check_driver(HostFs(h.root()), facts(HostFs(h.root()), kNvme));
  EXPECT_EQ(r.verdict, check::Verdict::kWarn);
  EXPECT_NE(r.summary.find("/dev/nvme0n1 is mounted on /data"), std::string::npos) << r.summary;
  EXPECT_NE(r.hint.find("umount /data"), std::string::npos);
}

TEST(DeviceChecks, StrictRmrrFailsRelaxableDoesNot) {
  FixtureTree h;
  fixtures::build_host(h);
  const HostFs fs(h.root());
  h.file("sys/kernel/iommu_groups/1/reserved_regions",
         "0x00000000fee00000 0x00000000feefffff msi\n"
         "0x000000007d000000 0x000000007f7fffff direct-relaxable\n");
  EXPECT_EQ(check_rmrr(fs, facts(fs, kGpu)).verdict, check::Verdict::kPass);
  h.file("sys/kernel/iommu_groups/1/reserved_regions",
         "0x00000000fee00000 0x00000000feefffff msi\n"
         "0x00000000e8000000 0x00000000e8000fff direct\n");
  const check::Check r = check_rmrr(fs, facts(fs, kGpu));
  EXPECT_EQ(r.verdict, check::Verdict::kFail);
  EXPECT_NE(r.summary.find("[0xe8000000-0xe8000fff]"), std::string::npos) << r.summary;
}

TEST(DeviceChecks, VfioGroupHeldByAnotherProcessWarns) {
  FixtureTree h;
  fixtures::build_host(h);
  const HostFs fs(h.root());
  EXPECT_EQ(check_driver(fs, facts(fs, kGpu)).verdict, check::Verdict::kPass);
  h.file("proc/4242/comm", "qemu-system-x86\n");
  h.file("proc/4242/fd/3", "");
  std::filesystem::remove(h.root() / "proc/4242/fd/3");
  std::filesystem::create_symlink("/dev/vfio/1", h.root() / "proc/4242/fd/7");
  const check::Check r = check_driver(fs, facts(fs, kGpu));
  EXPECT_EQ(r.verdict, check::Verdict::kWarn);
  EXPECT_NE(r.summary.find("/dev/vfio/1 is open by pid 4242 (qemu-system-x86)"), std::string::npos)
      << r.summary;
}

// SR-IOV relations (issue #26): a PF on vfio-pci lists its VFs and their drivers; a VF
// names its PF and, the PF being on vfio-pci, the VF token it needs.
TEST(DeviceChecks, SriovNamesPfAndVfsAndTheTokenRequirement) {
  FixtureTree h;
  fixtures::build_host(h);
  constexpr const char* kVf = "0000:02:00.1";
  fixtures::FixtureDevice vf;
  vf.bdf = kVf;
  vf.vendor = 0x1b36, vf.device = 0x0010, vf.class_code = 0x010802;
  vf.driver = "vfio-pci";
  vf.group = 9;
  h.add_device(vf);
  const std::string pf_dir = h.device_path(kNvme);
  h.file(pf_dir + "/sriov_totalvfs", "2\n");
  h.file(pf_dir + "/sriov_numvfs", "1\n");
  h.link(pf_dir + "/virtfn0", h.device_path(kVf));
  h.link(h.device_path(kVf) + "/physfn", pf_dir);
  const HostFs fs(h.root());
  const auto pf_driver = fs.sysfs().driver(kNvme).value_or("no driver");

  const check::Check v = check_sriov(fs, kVf);
  EXPECT_EQ(v.verdict, check::Verdict::kPass);
  EXPECT_EQ(v.data["pf"], kNvme);
  EXPECT_EQ(v.data["vf_index"], 0);
  EXPECT_NE(v.summary.find("virtual function 0 of PF 0000:02:00.0 (on " + pf_driver + ")"),
            std::string::npos)
      << v.summary;
  EXPECT_EQ(v.data["vf_token_required"], pf_driver == "vfio-pci");

  const check::Check p = check_sriov(fs, kNvme);
  EXPECT_NE(p.summary.find("1 of 2 virtual functions enabled: 0000:02:00.1 on vfio-pci"),
            std::string::npos)
      << p.summary;
  EXPECT_EQ(p.data["vfs"][0]["bdf"], kVf);

  // The PF on vfio-pci: the VF needs the PF owner's token.
  h.link(pf_dir + "/driver", "sys/bus/pci/drivers/vfio-pci");
  const check::Check t = check_sriov(fs, kVf);
  EXPECT_TRUE(t.data["vf_token_required"].get<bool>());
  EXPECT_NE(t.summary.find("needs the VF token"), std::string::npos) << t.summary;
  EXPECT_NE(t.hint.find("--vf-token"), std::string::npos) << t.hint;
  EXPECT_NE(check_sriov(fs, kNvme).hint.find("VF token"), std::string::npos);
}

TEST(DeviceChecks, BadBdfIsAClearError) {
  FixtureTree h;
  fixtures::build_host(h);
  const HostFs fs(h.root());
  EXPECT_THROW(require_device(fs, "zz:00.0"), Error);
  try {
    require_device(fs, "0000:09:00.0");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.error_code(), ENODEV);
    EXPECT_NE(e.hint().find("vfiokit list"), std::string::npos);
  }
}

}  // namespace
}  // namespace vfiokit::host
