#include "tools/host/device_usage.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <system_error>

#include "tools/host/pci_facts.hpp"
#include "vfio/text_parse.hpp"

namespace sfs = std::filesystem;

namespace vfiokit::host {
namespace {

bool under(const sfs::path& p, const sfs::path& dir) {
  auto [a, b] = std::mismatch(dir.begin(), dir.end(), p.begin(), p.end());
  return a == dir.end();
}

}  // namespace

std::vector<FramebufferOverlap> framebuffer_overlaps(const HostFs& fs, const std::string& bdf,
                                                     bool* addresses_hidden) {
  static constexpr const char* kFbNames[] = {"efifb", "simplefb", "vesafb", "BOOTFB",
                                             "simple-framebuffer"};
  std::vector<FramebufferOverlap> out;
  const auto bars = read_bars(fs, bdf);
  bool any_nonzero = false;
  for (const auto& line : fs.lines("proc/iomem")) {
    const auto range = parse_iomem_line(line);
    if (!range) continue;
    const uint64_t start = range->start, end = range->end;
    const std::string& name = range->name;
    if (start || end) any_nonzero = true;
    if (std::none_of(std::begin(kFbNames), std::end(kFbNames),
                     [&](const char* n) { return name.find(n) != std::string::npos; }))
      continue;
    for (const auto& b : bars)
      if (!b.io && start <= b.end && end >= b.start) out.push_back({name, start, end, b.index});
  }
  if (addresses_hidden) *addresses_hidden = !any_nonzero && fs.exists("proc/iomem");
  return out;
}

std::vector<std::string> block_devices(const HostFs& fs, const std::string& bdf) {
  std::vector<std::string> out;
  std::error_code ec;
  const sfs::path dev = sfs::canonical(fs.path(device_rel(bdf)), ec);
  if (ec) return out;
  for (const auto& name : fs.list("sys/class/block")) {
    const sfs::path p = sfs::canonical(fs.path(sfs::path("sys/class/block") / name), ec);
    if (!ec && under(p, dev)) out.push_back(name);
  }
  return out;
}

std::vector<std::string> net_interfaces(const HostFs& fs, const std::string& bdf) {
  return fs.list(device_rel(bdf) / "net");
}

std::vector<VfioHolder> vfio_holders(const HostFs& fs, const std::string& bdf) {
  std::vector<VfioHolder> out;
  std::vector<std::string> nodes;
  if (const auto g = fs.sysfs().iommu_group(bdf)) nodes.push_back(fmt::format("/dev/vfio/{}", *g));
  if (const auto c = fs.sysfs().vfio_cdev(bdf)) nodes.push_back("/dev/vfio/devices/" + *c);
  if (nodes.empty()) return out;
  for (const auto& pid : fs.list("proc")) {
    const auto pid_number = parse_u64(pid);
    if (!pid_number || *pid_number > INT32_MAX) continue;
    const sfs::path fd_dir = sfs::path("proc") / pid / "fd";
    for (const auto& fd : fs.list(fd_dir)) {
      std::error_code ec;
      const std::string target = sfs::read_symlink(fs.path(fd_dir / fd), ec).string();
      if (ec || std::find(nodes.begin(), nodes.end(), target) == nodes.end()) continue;
      out.push_back(
          {static_cast<int>(*pid_number), fs.read_line(sfs::path("proc") / pid / "comm").value_or("?"), target});
      break;
    }
  }
  return out;
}

std::vector<DirectRegion> direct_regions(const HostFs& fs, int group) {
  std::vector<DirectRegion> out;
  for (const auto& line :
       fs.lines(fmt::format("sys/kernel/iommu_groups/{}/reserved_regions", group))) {
    const auto r = parse_reserved_region(line);
    if (r && (r->name == "direct" || r->name == "direct-relaxable"))
      out.push_back({r->start, r->end, r->name});
  }
  return out;
}

std::vector<DeviceUse> find_uses(const HostFs& fs, const std::string& bdf) {
  std::vector<DeviceUse> uses;
  for (const auto& ifname : net_interfaces(fs, bdf)) {
    const auto flags = fs.read_line(sfs::path("sys/class/net") / ifname / "flags");
    const uint64_t f = flags ? parse_u64(*flags, 16).value_or(0) : 0;
    if (f & 1)  // IFF_UP
      uses.push_back({"netdev-up", fmt::format("network interface {} is up", ifname),
                      fmt::format("ip link set {} down", ifname)});
  }

  const auto blocks = block_devices(fs, bdf);
  if (!blocks.empty()) {
    // mountinfo: "id parent maj:min root mountpoint ..."; match by device number.
    std::vector<std::pair<std::string, std::string>> mounts;
    for (const auto& line : fs.lines("proc/self/mountinfo")) {
      const auto w = split_ws(line);
      if (w.size() >= 5) mounts.emplace_back(w[2], w[4]);
    }
    const auto swaps = fs.lines("proc/swaps");
    for (const auto& name : blocks) {
      const sfs::path cls = sfs::path("sys/class/block") / name;
      const std::string devno = fs.read_line(cls / "dev").value_or("");
      for (const auto& [mm, where] : mounts)
        if (!devno.empty() && mm == devno)
          uses.push_back({"mounted", fmt::format("/dev/{} is mounted on {}", name, where),
                          fmt::format("umount {}", where)});
      for (size_t i = 1; i < swaps.size(); ++i) {
        const auto w = split_ws(swaps[i]);
        if (!w.empty() && sfs::path(w[0]).filename() == name)
          uses.push_back({"swap", fmt::format("/dev/{} is in use as swap", name),
                          fmt::format("swapoff /dev/{}", name)});
      }
      for (const auto& holder : fs.list(cls / "holders"))
        uses.push_back(
            {"holder",
             fmt::format("/dev/{} is held by {} (md, device-mapper or LVM)", name, holder),
             fmt::format("stop {} (mdadm --stop, dmsetup remove, vgchange -an)", holder)});
    }
  }

  if (fs.sysfs().attr(bdf, "boot_vga") == "1")
    uses.push_back({"boot-vga", "boot VGA device (the firmware console is on it)",
                    "boot from another GPU, or accept losing the console with --force"});
  for (const auto& fb : framebuffer_overlaps(fs, bdf))
    uses.push_back({"framebuffer",
                    fmt::format("{} holds BAR{} [{:#x}-{:#x}]", fb.name, fb.bar, fb.start, fb.end),
                    "boot with video=efifb:off (or initcall_blacklist=sysfb_init)"});
  std::error_code ec;
  const sfs::path dev = sfs::canonical(fs.path(device_rel(bdf)), ec);
  for (const auto& fb : fs.list("sys/class/graphics")) {
    const sfs::path p =
        sfs::canonical(fs.path(sfs::path("sys/class/graphics") / fb / "device"), ec);
    if (!ec && p == dev)
      uses.push_back({"framebuffer", fmt::format("framebuffer console /dev/{} is on it", fb),
                      "unbind the console (echo 0 > /sys/class/vtconsole/vtcon1/bind)"});
  }
  return uses;
}

}  // namespace vfiokit::host
