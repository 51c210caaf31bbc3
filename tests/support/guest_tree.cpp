#include "tests/support/guest_tree.hpp"

#include <fmt/format.h>

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <stdexcept>

namespace vfiokit::fixtures {
namespace {

// sysfs `resource` flags (include/linux/ioport.h).
constexpr uint64_t kMem32 = 0x00040200;
constexpr uint64_t kMem64Pref = 0x0014220c;
constexpr uint64_t kUnset = 0x20000000;  // IORESOURCE_UNSET: sized, not placed
constexpr uint64_t kRomDisabled = 0;

/// One line of sysfs `resource`: a BAR of `size` bytes at `start` (no BAR: size 0).
std::string bar(uint64_t start, uint64_t size, uint64_t flags) {
  return fmt::format("0x{:016x} 0x{:016x} 0x{:016x}", start, size ? start + size - 1 : 0, flags);
}
// A constant, not bar(0, 0, 0): trees are built from other files' static initializers too.
constexpr const char* kNoBar = "0x0000000000000000 0x0000000000000000 0x0000000000000000";

std::string link_speed(unsigned gen) {
  static const std::array<const char*, 6> kSpeeds = {
      "", "2.5 GT/s PCIe", "5.0 GT/s PCIe", "8.0 GT/s PCIe", "16.0 GT/s PCIe", "32.0 GT/s PCIe"};
  return std::string(kSpeeds.at(gen)) + "\n";
}

void link_attributes(FixtureDevice& d, unsigned cur_gen, unsigned cur_width, unsigned max_gen,
                     unsigned max_width) {
  d.attributes["current_link_speed"] = link_speed(cur_gen);
  d.attributes["max_link_speed"] = link_speed(max_gen);
  d.attributes["current_link_width"] = fmt::format("{}\n", cur_width);
  d.attributes["max_link_width"] = fmt::format("{}\n", max_width);
}

/// `count` MSI-X vectors the kernel allocated (msi_irqs/100...).
void msix_irqs(FixtureDevice& d, unsigned count) {
  for (unsigned i = 0; i < count; ++i) d.attributes[fmt::format("msi_irqs/{}", 100 + i)] = "msix\n";
}

/// The AER counters the kernel exports, `correctable` of them BadTLP.
void aer_counters(FixtureDevice& d, unsigned correctable) {
  d.attributes["aer_dev_correctable"] = fmt::format(
      "RxErr 0\nBadTLP {0}\nBadDLLP 0\nRollover 0\nTimeout 0\nNonFatalErr 0\n"
      "CorrIntErr 0\nHeaderOF 0\nTOTAL_ERR_COR {0}\n",
      correctable);
  d.attributes["aer_dev_nonfatal"] =
      "Undefined 0\nDLP 0\nSDES 0\nTLP 0\nFCP 0\nCmpltTO 0\nTOTAL_ERR_NONFATAL 0\n";
  d.attributes["aer_dev_fatal"] =
      "Undefined 0\nDLP 0\nSDES 0\nTLP 0\nFCP 0\nCmpltTO 0\nTOTAL_ERR_FATAL 0\n";
}

/// A device as a guest's kernel lists it (no bind attributes), on NUMA node 0.
FixtureDevice guest_device(const std::string& bdf, uint16_t vendor, uint16_t device,
                           uint32_t class_code, std::vector<uint8_t> config) {
  FixtureDevice d;
  d.bdf = bdf;
  d.vendor = vendor;
  d.device = device;
  d.class_code = class_code;
  d.config = std::move(config);
  d.numa_node = 0;
  d.bind_attributes = false;
  return d;
}

/// A config space as the guest trees have it: memory + bus master on, revision a1.
ConfigBuilder guest_config(uint16_t vendor, uint16_t device, uint32_t class_code) {
  ConfigBuilder c(vendor, device, class_code);
  c.command(0x0006).revision(0xa1);
  return c;
}

constexpr const char* kNvrm =
    "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.95.05  Release Build  "
    "(dvs-builder@U16-I3-B13-4-1)  Thu Sep 25 19:50:25 UTC 2025\n"
    "GCC version:  gcc version 12.2.0 (Debian 12.2.0-14+deb12u1)\n";

/// The H100 behind root port 00:01.0 on nvidia, its link trained at Gen`cur_gen`
/// x`cur_width`; AER counters when `correctable` is set; 64 bytes of config space
/// unless `full_config` (what a user without root reads).
void h100(FixtureTree& tree, unsigned cur_gen, unsigned cur_width,
          std::optional<unsigned> correctable, bool full_config) {
  ConfigBuilder c = guest_config(0x10de, 0x2331, 0x030200);
  c.at(0x60).pm(true).at(0x68).msi(1).at(0x78).pcie(0, true, 5, 16, cur_gen, cur_width);
  c.payload(256, 512).at(0xc8).msix(9, true, 0x800).aer();
  std::vector<uint8_t> config = c.bytes();
  if (!full_config) config.resize(64);
  FixtureDevice gpu = guest_device("0000:01:00.0", 0x10de, 0x2331, 0x030200, std::move(config));
  gpu.parent_dir = "sys/devices/pci0000:00/0000:00:01.0";
  gpu.driver = "nvidia";
  gpu.group = 13;
  gpu.resource = {bar(0xfa000000, 16u << 20, kMem32),
                  bar(0x380000000000, 128ull << 30, kMem64Pref),
                  kNoBar,
                  bar(0x382000000000, 32u << 20, kMem64Pref),
                  kNoBar,
                  kNoBar,
                  bar(0xfb000000, 512u << 10, kRomDisabled)};
  link_attributes(gpu, cur_gen, cur_width, 5, 16);
  msix_irqs(gpu, 9);
  if (correctable) aer_counters(gpu, *correctable);
  tree.add_device(gpu);
  tree.file("proc/driver/nvidia/version", kNvrm);
}

void qemu(FixtureTree& tree) {
  // nvme on q35's pcie.0: a root-complex integrated endpoint (port type 9), so no link.
  ConfigBuilder c = guest_config(0x1b36, 0x0010, 0x010802);
  c.at(0x40).pm(true).at(0x48).msix(65, true, 0x800).at(0x60).pcie(9, true, 0, 0, 0, 0);
  c.payload(128, 512);
  FixtureDevice nvme = guest_device("0000:00:03.0", 0x1b36, 0x0010, 0x010802, c.bytes());
  nvme.driver = "nvme";
  nvme.group = 3;
  nvme.resource = {bar(0xfebf0000, 16u << 10, 0x00140204)};
  msix_irqs(nvme, 3);
  tree.add_device(nvme);

  // e1000e behind a pcie-root-port, no driver: MSI-X disabled.
  c = guest_config(0x8086, 0x10d3, 0x020000);
  c.at(0xc8).pm(true).at(0xd0).msi(1).at(0xe0).pcie(0, true, 1, 1, 1, 1).payload(256, 512);
  c.at(0xa0).msix(5, false, 0x800);
  FixtureDevice nic = guest_device("0000:01:00.0", 0x8086, 0x10d3, 0x020000, c.bytes());
  nic.parent_dir = "sys/devices/pci0000:00/0000:00:02.0";
  nic.group = 4;
  nic.resource = {bar(0xfea00000, 128u << 10, kMem32), bar(0xfea20000, 128u << 10, kMem32),
                  bar(0xc000, 32, 0x40101), bar(0xfea40000, 16u << 10, kMem32)};
  link_attributes(nic, 1, 1, 1, 1);
  tree.add_device(nic);

  // A device whose 64-bit BAR found no room (IORESOURCE_UNSET, start 0).
  c = guest_config(0x1234, 0x11e8, 0x00ff00);
  c.at(0x40).msi(1);
  std::vector<uint8_t> config = c.bytes();
  config.resize(256);
  FixtureDevice edu = guest_device("0000:00:04.0", 0x1234, 0x11e8, 0x00ff00, std::move(config));
  edu.driver = "edu_drv";
  edu.resource = {bar(0xfe000000, 1u << 20, kMem32), kNoBar,
                  bar(0, 64ull << 30, kMem64Pref | kUnset)};
  tree.add_device(edu);
}

}  // namespace

void build_guest_tree(FixtureTree& tree, GuestTree which) {
  switch (which) {
    case GuestTree::kGpuOk:
      return h100(tree, 5, 16, 0, true);
    case GuestTree::kGpuDegraded:
      return h100(tree, 3, 8, 12, true);
    case GuestTree::kUser:
      return h100(tree, 4, 16, std::nullopt, false);
    case GuestTree::kQemu:
      return qemu(tree);
  }
}

std::optional<GuestTree> guest_tree_named(std::string_view name) {
  static const std::map<std::string_view, GuestTree> kNames = {
      {"gpu-ok", GuestTree::kGpuOk},
      {"gpu-degraded", GuestTree::kGpuDegraded},
      {"qemu", GuestTree::kQemu},
      {"user", GuestTree::kUser}};
  const auto it = kNames.find(name);
  if (it == kNames.end()) return std::nullopt;
  return it->second;
}

std::string guest_tree_root(GuestTree which) {
  static std::map<GuestTree, std::unique_ptr<FixtureTree>> built;
  auto& tree = built[which];
  if (!tree) {
    tree = std::make_unique<FixtureTree>();
    build_guest_tree(*tree, which);
  }
  return tree->root().string();
}

std::string guest_tree_root(std::string_view name) {
  const auto which = guest_tree_named(name);
  if (!which) throw std::invalid_argument("no guest fixture tree called " + std::string(name));
  return guest_tree_root(*which);
}

}  // namespace vfiokit::fixtures
