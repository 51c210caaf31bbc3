#include "tools/host/device_usage.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

#include "pci/bar.hpp"
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
  const auto bars = pci::read_bars(fs.sysfs(), bdf);
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
      if (!b.io && !b.is_rom() && start <= b.end && end >= b.start)
        out.push_back({name, start, end, b.index});
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

std::string NodeHolder::who() const { return fmt::format("{} (pid {})", comm, pid); }

std::vector<NodeHolder> node_holders(const HostFs& fs, const std::vector<std::string>& nodes) {
  std::vector<NodeHolder> out;
  if (nodes.empty()) return out;
  for (const auto& pid : fs.list("proc")) {
    const auto pid_number = parse_u64(pid);
    if (!pid_number || *pid_number > INT32_MAX) continue;
    const sfs::path fd_dir = sfs::path("proc") / pid / "fd";
    std::vector<std::string> seen;
    for (const auto& fd : fs.list(fd_dir)) {
      std::error_code ec;
      const std::string target = sfs::read_symlink(fs.path(fd_dir / fd), ec).string();
      if (ec || std::find(nodes.begin(), nodes.end(), target) == nodes.end() ||
          std::find(seen.begin(), seen.end(), target) != seen.end())
        continue;
      seen.push_back(target);
      out.push_back({static_cast<int>(*pid_number),
                     fs.read_line(sfs::path("proc") / pid / "comm").value_or("?"), target});
    }
  }
  return out;
}

std::vector<std::string> vfio_nodes(const HostFs& fs, const std::string& bdf) {
  std::vector<std::string> nodes;
  if (const auto g = fs.sysfs().iommu_group(bdf)) nodes.push_back(fmt::format("/dev/vfio/{}", *g));
  if (const auto c = fs.sysfs().vfio_cdev(bdf)) nodes.push_back("/dev/vfio/devices/" + *c);
  return nodes;
}

std::vector<VfioHolder> vfio_holders(const HostFs& fs, const std::string& bdf) {
  return node_holders(fs, vfio_nodes(fs, bdf));
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

namespace {

/// One line of mountinfo: "id parent maj:min root mountpoint opts... - fstype source super".
struct Mount {
  std::string devno, where, fstype, source;
};

/// The mounts of PID 1's namespace (the host's) and of our own, without repeats.
std::vector<Mount> host_mounts(const HostFs& fs) {
  std::vector<Mount> out;
  for (const char* file : {"proc/1/mountinfo", "proc/self/mountinfo"}) {
    for (const auto& line : fs.lines(file)) {
      const auto w = split_ws(line);
      if (w.size() < 5) continue;
      Mount m{w[2], w[4], "", ""};
      const auto dash = std::find(w.begin() + 5, w.end(), "-");
      if (dash != w.end() && dash + 1 != w.end()) m.fstype = *(dash + 1);
      if (dash != w.end() && dash + 1 != w.end() && dash + 2 != w.end()) m.source = *(dash + 2);
      if (std::none_of(out.begin(), out.end(), [&](const Mount& o) {
            return o.devno == m.devno && o.where == m.where && o.source == m.source;
          }))
        out.push_back(std::move(m));
    }
  }
  return out;
}

/// Whether opening /dev/<name> with O_EXCL fails with EBUSY: the kernel has it
/// claimed (mounted, swap, md/dm, or a process such as QEMU or a Ceph OSD).
bool held_exclusively(const std::string& name) {
  const int fd = ::open(("/dev/" + name).c_str(), O_RDONLY | O_EXCL | O_CLOEXEC | O_NONBLOCK);
  if (fd >= 0) {
    ::close(fd);
    return false;
  }
  return errno == EBUSY;
}

/// "comm (pid N), ..." of the holders of `node`.
std::string who_list(const std::vector<NodeHolder>& holders, const std::string& node) {
  std::vector<std::string> who;
  for (const auto& h : holders)
    if (h.node == node) who.push_back(h.who());
  return fmt::format("{}", fmt::join(who, ", "));
}

/// (block device, uuid) for every member of each mounted btrfs. btrfs (and ZFS)
/// mounts show an anonymous 0:NN device number, and only one member of a
/// multi-device btrfs as the source: sys/fs/btrfs/<uuid>/devices lists them all.
std::vector<std::pair<std::string, std::string>> btrfs_members(const HostFs& fs) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& uuid : fs.list("sys/fs/btrfs"))
    for (const auto& member : fs.list(sfs::path("sys/fs/btrfs") / uuid / "devices"))
      out.emplace_back(member, uuid);
  return out;
}

/// What the kernel says holds data on the block devices: mounts, btrfs
/// membership, swap and md/dm/LVM holders. Read once for all of a device's disks.
struct BlockDataFacts {
  std::vector<Mount> mounts;
  std::vector<std::pair<std::string, std::string>> btrfs_members;  ///< (block, uuid)
  std::vector<std::string> swaps;                                  ///< proc/swaps lines
};

/// Adds the mounts (directly or as a btrfs member) of block device `name`;
/// returns whether it is mounted.
bool add_mount_uses(const HostFs& fs, const std::string& name, const BlockDataFacts& facts,
                    std::vector<DeviceUse>& uses) {
  const std::string node = "/dev/" + name;
  const std::string devno = fs.read_line(sfs::path("sys/class/block") / name / "dev").value_or("");
  bool mounted = false;
  for (const auto& m : facts.mounts)
    if ((!devno.empty() && m.devno == devno) || m.source == node) {
      mounted = true;
      uses.push_back({"mounted",
                      m.fstype.empty()
                          ? fmt::format("{} is mounted on {}", node, m.where)
                          : fmt::format("{} is mounted on {} ({})", node, m.where, m.fstype),
                      fmt::format("umount {}", m.where), true});
    }
  for (const auto& [member, uuid] : facts.btrfs_members)
    if (member == name && !mounted) {
      mounted = true;
      uses.push_back({"btrfs-member",
                      fmt::format("{} is a member of the mounted btrfs filesystem {}", node, uuid),
                      fmt::format("umount it (findmnt -S UUID={})", uuid), true});
    }
  return mounted;
}

/// Adds the data-bearing uses of block device `name` (mounted, swap, held by
/// md/dm/LVM), and records it in `explained` for each.
void add_data_uses(const HostFs& fs, const std::string& name, const BlockDataFacts& facts,
                   std::vector<DeviceUse>& uses, std::vector<std::string>& explained) {
  const std::string node = "/dev/" + name;
  if (add_mount_uses(fs, name, facts, uses)) explained.push_back(name);
  for (size_t i = 1; i < facts.swaps.size(); ++i) {
    const auto w = split_ws(facts.swaps[i]);
    if (!w.empty() && sfs::path(w[0]).filename() == name) {
      explained.push_back(name);
      uses.push_back({"swap", fmt::format("{} is in use as swap", node),
                      fmt::format("swapoff {}", node), true});
    }
  }
  for (const auto& holder : fs.list(sfs::path("sys/class/block") / name / "holders")) {
    explained.push_back(name);
    uses.push_back(
        {"holder", fmt::format("{} is held by {} (md, device-mapper or LVM)", node, holder),
         fmt::format("stop {} (mdadm --stop, dmsetup remove, vgchange -an)", holder), true});
  }
}

/// Whether a data-bearing use of `name`, or of a partition of it, is already
/// reported: a claimed partition makes its whole disk refuse O_EXCL too, and the
/// partition's use explains the disk's EBUSY.
bool use_explained(const HostFs& fs, const std::string& name,
                   const std::vector<std::string>& explained) {
  std::error_code ec;
  const sfs::path disk = sfs::canonical(fs.path(sfs::path("sys/class/block") / name), ec);
  return std::any_of(explained.begin(), explained.end(), [&](const std::string& e) {
    std::error_code ec2;
    return e == name ||
           (!ec && under(sfs::canonical(fs.path(sfs::path("sys/class/block") / e), ec2), disk));
  });
}

/// Adds block device `name` held open: exclusively (EBUSY on an O_EXCL open, on
/// the real host, when no reported use explains it) or by a process (`who`).
void add_open_uses(const HostFs& fs, const std::string& name, const std::string& who,
                   bool explained, std::vector<DeviceUse>& uses) {
  const std::string node = "/dev/" + name;
  if (!explained && fs.is_real_root() && held_exclusively(name)) {
    uses.push_back(
        {"exclusive",
         who.empty()
             ? fmt::format("{} is held open exclusively (EBUSY on O_EXCL open)", node)
             : fmt::format("{} is held open exclusively (EBUSY on O_EXCL open) by {}", node, who),
         who.empty() ? fmt::format("stop what holds {} (a VM, a Ceph OSD, a mount in another "
                                   "namespace; fuser -v {})",
                                   node, node)
                     : fmt::format("stop {}", who),
         true});
    return;
  }
  // A process with the disk open may be writing to it (a VM's disk, dd, a backup).
  if (!who.empty())
    uses.push_back(
        {"open", fmt::format("{} is open by {}", node, who), fmt::format("stop {}", who), true});
}

void add_block_uses(const HostFs& fs, const std::string& bdf, std::vector<DeviceUse>& uses) {
  const auto blocks = block_devices(fs, bdf);
  if (blocks.empty()) return;
  BlockDataFacts facts;
  facts.mounts = host_mounts(fs);
  facts.swaps = fs.lines("proc/swaps");
  std::vector<std::string> nodes;
  for (const auto& name : blocks) nodes.push_back("/dev/" + name);
  const auto holders = node_holders(fs, nodes);
  facts.btrfs_members = btrfs_members(fs);

  std::vector<std::string> explained;  // block devices with a data-bearing use
  for (const auto& name : blocks) add_data_uses(fs, name, facts, uses, explained);
  for (const auto& name : blocks)
    add_open_uses(fs, name, who_list(holders, "/dev/" + name), use_explained(fs, name, explained),
                  uses);
}

/// Open DRM nodes (card*, renderD* under the device's drm/) and, for an NVIDIA
/// device, its /dev/nvidia* node: a compositor or a compute job on it.
void add_gpu_node_uses(const HostFs& fs, const std::string& bdf, std::vector<DeviceUse>& uses) {
  std::vector<std::string> nodes;
  for (const auto& n : fs.list(device_rel(bdf) / "drm"))
    if (n.rfind("card", 0) == 0 || n.rfind("renderD", 0) == 0) nodes.push_back("/dev/dri/" + n);
  if (fs.sysfs().hex_attr(bdf, "vendor") == 0x10de) {
    // The proprietary driver names the device's minor here; without it, any node.
    std::optional<std::string> minor;
    for (const auto& line : fs.lines(sfs::path("proc/driver/nvidia/gpus") / bdf / "information"))
      if (line.rfind("Device Minor:", 0) == 0) {
        const auto w = split_ws(line);
        if (w.size() > 2) minor = w.back();
      }
    if (minor)
      nodes.push_back("/dev/nvidia" + *minor);
    else
      for (const auto& n : fs.list("dev"))
        if (n.rfind("nvidia", 0) == 0) nodes.push_back("/dev/" + n);
  }
  const auto holders = node_holders(fs, nodes);
  for (const auto& node : nodes) {
    const std::string who = who_list(holders, node);
    if (!who.empty())
      uses.push_back({"gpu-open", fmt::format("{} is open by {}", node, who),
                      fmt::format("stop {} (a desktop session, a compute job)", who)});
  }
}

}  // namespace

std::vector<DeviceUse> find_uses(const HostFs& fs, const std::string& bdf) {
  std::vector<DeviceUse> uses;
  for (const auto& ifname : net_interfaces(fs, bdf)) {
    const auto flags = fs.read_line(sfs::path("sys/class/net") / ifname / "flags");
    const uint64_t f = flags ? parse_u64(*flags, 16).value_or(0) : 0;
    if (f & 1)  // IFF_UP
      uses.push_back({"netdev-up", fmt::format("network interface {} is up", ifname),
                      fmt::format("ip link set {} down", ifname)});
  }
  add_block_uses(fs, bdf, uses);
  add_gpu_node_uses(fs, bdf, uses);

  const auto numvfs = fs.sysfs().attr(bdf, "sriov_numvfs");
  if (const uint64_t n = numvfs ? parse_u64(*numvfs).value_or(0) : 0)
    uses.push_back({"sriov-vfs", fmt::format("{} VFs enabled: unbinding the PF removes them", n),
                    fmt::format("move the VFs' users off them, then echo 0 > "
                                "/sys/bus/pci/devices/{}/sriov_numvfs",
                                bdf)});

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
