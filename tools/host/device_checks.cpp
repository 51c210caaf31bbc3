#include "tools/host/device_checks.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>
#include <optional>

#include "pci/bar.hpp"
#include "pci/device_facts.hpp"
#include "pci/link_judgement.hpp"
#include "tools/host/bar_placement.hpp"
#include "tools/host/device_usage.hpp"
#include "tools/host/host_checks.hpp"
#include "tools/host/pci_facts.hpp"
#include "vfio/pci_capability_id.hpp"
#include "vfio/pci_port_type.hpp"
#include "vfio/text_parse.hpp"
#include "vfiokit/vfio/error.hpp"

namespace vfiokit::host {
namespace {

constexpr const char* kRootHint =
    "run as root: sysfs shows only 64 bytes of config space otherwise";

bool full_config(const ConfigSpace& cfg) { return cfg.size() >= 256; }

}  // namespace

check::Check check_driver(const HostFs& fs, const pci::DeviceFacts& f) {
  check::Check r{"device.driver", "driver", check::Verdict::kPass, "", "", {}};
  const std::string& bdf = f.bdf;
  const auto& drv = f.driver;
  const auto override_value = fs.sysfs().attr(bdf, "driver_override");
  const uint32_t cls = f.class_code;
  r.data = {{"driver", drv ? nlohmann::json(*drv) : nlohmann::json(nullptr)},
            {"driver_override", override_value && *override_value != "(null)"
                                    ? nlohmann::json(*override_value)
                                    : nlohmann::json(nullptr)},
            {"vendor", fmt::format("{:04x}", f.vendor)},
            {"device", fmt::format("{:04x}", f.device)},
            {"class", fmt::format("{:06x}", cls)}};
  if (drv && drv->rfind("vfio", 0) == 0) {
    r.summary = fmt::format("bound to {}", *drv);
    const auto holders = vfio_holders(fs, bdf);
    nlohmann::json jh = nlohmann::json::array();
    for (const auto& h : holders)
      jh.push_back({{"pid", h.pid}, {"comm", h.comm}, {"node", h.node}});
    r.data["vfio_holders"] = jh;
    if (!holders.empty()) {
      r.verdict = check::Verdict::kWarn;
      r.summary += fmt::format("; {} is open by pid {} ({}): another open gets EBUSY",
                               holders[0].node, holders[0].pid, holders[0].comm);
      r.hint =
          fmt::format("stop pid {} (e.g. the VM using it) before using the device", holders[0].pid);
    }
    return r;
  }
  r.summary = fmt::format("{} {}; not on vfio-pci yet", class_short_name(cls),
                          drv ? "bound to " + *drv : "has no driver");
  const auto uses = find_uses(fs, bdf);
  nlohmann::json ju = nlohmann::json::array();
  for (const auto& u : uses)
    ju.push_back(
        {{"kind", u.kind}, {"detail", u.detail}, {"fix", u.fix}, {"data_bearing", u.data_bearing}});
  r.data["in_use"] = ju;
  if (!uses.empty()) {
    r.verdict = check::Verdict::kWarn;
    r.summary += fmt::format("; in use: {}", uses[0].detail);
    r.hint = fmt::format("{} before 'vfiokit bind {}'", uses[0].fix, bdf);
  } else {
    r.hint = fmt::format("vfiokit bind {}", bdf);
  }
  return r;
}

check::Check check_iommu_group(const HostFs& fs, const pci::DeviceFacts& f) {
  check::Check r{"device.iommu_group", "IOMMU group", check::Verdict::kPass, "", "", {}};
  const std::string& bdf = f.bdf;
  const auto& group = f.iommu_group;
  if (!group) {
    r.verdict = check::Verdict::kFail;
    r.summary = "no IOMMU group: the IOMMU is off or does not cover this device";
    r.hint = "enable the IOMMU (see host.iommu); VFIO cannot take a device without a group";
    r.data = {{"group", nullptr}};
    return r;
  }
  const auto members = group_members(fs, *group);
  nlohmann::json jm = nlohmann::json::array();
  std::vector<std::string> blockers, companions;
  for (const auto& m : members) {
    const bool ok = m.bdf == bdf || driver_allows_vfio(m.driver);
    jm.push_back({{"bdf", m.bdf},
                  {"driver", m.driver ? nlohmann::json(*m.driver) : nlohmann::json(nullptr)},
                  {"class", fmt::format("{:06x}", m.class_code)},
                  {"allows_vfio", ok}});
    if (m.bdf == bdf) continue;
    companions.push_back(describe_member(m));
    if (!ok) blockers.push_back(describe_member(m));
  }
  r.data = {{"group", *group}, {"members", jm}, {"viable", blockers.empty()}};
  if (!blockers.empty()) {
    r.verdict = check::Verdict::kFail;
    r.summary = fmt::format("group {} is not viable: {} still on a host driver", *group,
                            fmt::join(blockers, ", "));
    r.hint = fmt::format("bind the whole group: vfiokit bind {} --group", bdf);
    return r;
  }
  r.summary = companions.empty()
                  ? fmt::format("group {}, the device alone", *group)
                  : fmt::format("group {}, viable; with {}", *group, fmt::join(companions, ", "));
  return r;
}

check::Check check_rmrr(const HostFs& fs, const pci::DeviceFacts& f) {
  check::Check r{"device.rmrr", "RMRR", check::Verdict::kPass, "", "", {}};
  const auto& group = f.iommu_group;
  if (!group) {
    r.verdict = check::Verdict::kSkip;
    r.summary = "no IOMMU group";
    return r;
  }
  const auto regions = direct_regions(fs, *group);
  nlohmann::json jr = nlohmann::json::array();
  std::vector<std::string> strict;
  for (const auto& d : regions) {
    jr.push_back({{"start", d.start}, {"end", d.end}, {"type", d.type}});
    if (d.type == "direct") strict.push_back(fmt::format("[{:#x}-{:#x}]", d.start, d.end));
  }
  r.data = {{"direct_regions", jr}};
  if (!strict.empty()) {
    r.verdict = check::Verdict::kFail;
    r.summary = fmt::format(
        "firmware RMRR {} on group {}: the kernel refuses VFIO (ineligible "
        "for IOMMU domain attach due to platform RMRR)",
        fmt::join(strict, " "), *group);
    r.hint =
        "use another slot or device, or a firmware setting/update that drops the RMRR "
        "(e.g. disable the vendor's shared-memory/management feature)";
    return r;
  }
  r.summary = regions.empty() ? "no direct-mapped (RMRR) region"
                              : "only relaxable RMRRs (USB/graphics), which VFIO accepts";
  return r;
}

check::Check check_acs(const HostFs& fs, const std::string& bdf) {
  check::Check r{"device.acs", "ACS upstream", check::Verdict::kPass, "", "", {}};
  const auto bridges = upstream_bridges(fs, bdf);
  nlohmann::json jb = nlohmann::json::array();
  std::vector<std::string> bad, unknown;
  for (const auto& br : bridges) {
    const ConfigSpace cfg = pci::read_config(fs.sysfs(), br);
    const auto type = pci::pcie_port_type(cfg);
    nlohmann::json e = {
        {"bdf", br},
        {"port_type", type ? nlohmann::json(pci::pcie_port_type_name(*type)) : nullptr}};
    // Only root and switch downstream ports route peer-to-peer traffic that
    // ACS must redirect; upstream ports and PCI bridges are not judged.
    const bool judged = type && (*type == 4 || *type == 6);
    e["judged"] = judged;
    if (judged && cfg.size() < 0x104) {
      unknown.push_back(br);
      e["acs"] = nullptr;
    } else if (judged) {
      const AcsState a = acs_state(cfg);
      e["acs"] = {{"present", a.has_cap},
                  {"capability", fmt::format("{:#06x}", a.capability)},
                  {"control", fmt::format("{:#06x}", a.control)},
                  {"isolating", a.isolating},
                  {"missing", a.missing}};
      if (!a.isolating)
        bad.push_back(fmt::format(
            "{} ({}: {})", br, pci::pcie_port_type_name(*type),
            a.has_cap ? fmt::format("{} off", fmt::join(a.missing, ", ")) : "no ACS capability"));
    }
    jb.push_back(e);
  }
  r.data = {{"bridges", jb}};
  if (bridges.empty()) {
    r.summary = "on a root bus: no bridge between it and the root complex";
    return r;
  }
  if (!bad.empty()) {
    r.verdict = check::Verdict::kWarn;
    r.summary = fmt::format("no ACS isolation at {}", fmt::join(bad, "; "));
    r.hint =
        "devices below that port can reach each other and share an IOMMU group: use a slot "
        "on a port with ACS, or pass the whole group";
    return r;
  }
  if (!unknown.empty()) {
    r.verdict = check::Verdict::kSkip;
    r.summary =
        fmt::format("cannot read the extended config space of {}", fmt::join(unknown, ", "));
    r.hint = kRootHint;
    return r;
  }
  size_t judged = 0;
  for (const auto& e : jb) judged += e["judged"].get<bool>();
  if (judged == 0) {
    r.summary =
        fmt::format("no root or downstream port above it to judge ({} bridge(s))", bridges.size());
    return r;
  }
  r.summary = fmt::format("{} bridge(s) up to the root; every root/downstream port isolates (ACS)",
                          bridges.size());
  return r;
}

check::Check check_reset(const HostFs& fs, const pci::DeviceFacts& f) {
  check::Check r{"device.reset", "reset", check::Verdict::kPass, "", "", {}};
  const auto methods = split_ws(fs.sysfs().attr(f.bdf, "reset_method").value_or(""));
  const ConfigSpace& cfg = f.config;
  const bool flr = cfg.has_flr();
  const auto pm = cfg.pm_reset();
  r.data = {{"reset_method", methods},
            {"flr", flr},
            {"pm_reset", pm ? nlohmann::json(*pm) : nlohmann::json(nullptr)}};
  const bool has_flr = flr || std::find(methods.begin(), methods.end(), "flr") != methods.end();
  if (has_flr) {
    r.summary = fmt::format("function level reset; methods: {}",
                            methods.empty() ? "flr" : fmt::format("{}", fmt::join(methods, " ")));
    return r;
  }
  if (!methods.empty()) {
    r.verdict = check::Verdict::kWarn;
    r.summary = fmt::format("no FLR; reset methods: {}", fmt::join(methods, " "));
    r.hint = std::find(methods.begin(), methods.end(), "bus") != methods.end()
                 ? "a bus reset also resets the device's siblings; 'vfiokit info' lists them"
                 : "the device may keep state between VMs";
    return r;
  }
  r.verdict = check::Verdict::kWarn;
  r.summary = "no reset method: VFIO cannot reset the device";
  r.hint = "state leaks from one user to the next; prefer a device with FLR";
  return r;
}

namespace {

// device.bars when a BAR the device implements has no address (bar_placement.hpp).
void fail_unplaced(check::Check& r, const std::vector<UnplacedBar>& unplaced,
                   const std::optional<uint64_t>& window) {
  nlohmann::json ju = nlohmann::json::array();
  std::vector<std::string> parts;
  for (const auto& u : unplaced) {
    ju.push_back({{"index", u.index},
                  {"io", u.io},
                  {"mem64", u.mem64},
                  {"prefetchable", u.prefetchable},
                  {"size", u.size ? nlohmann::json(*u.size) : nlohmann::json()},
                  {"kernel_record", u.kernel_record}});
    std::string what = u.io ? "I/O" : u.mem64 ? "64-bit" : "32-bit";
    if (u.prefetchable) what += " pref";
    parts.push_back(fmt::format("BAR{} ({}, {})", u.index, what,
                                u.size ? human_bytes(*u.size) : "size unknown"));
  }
  r.data["unplaced"] = ju;
  r.verdict = check::Verdict::kFail;
  r.summary = fmt::format(
      "{} has no address: the firmware and the kernel could not place it{}; host bridge "
      "window above 4 GiB: {}",
      fmt::join(parts, ", "), unplaced[0].kernel_record.empty() ? "" : " (failed to assign)",
      !window   ? "unknown (/proc/iomem needs root)"
      : *window ? human_bytes(*window)
                : "none");
  r.hint =
      "enable \"Above 4G Decoding\" in the firmware setup (a large MMIO window for 64-bit "
      "BARs), or boot with pci=realloc; in a VM: a 64-bit PCI hole that holds the BAR (QEMU "
      "-global q35-pcihost.pci-hole64-size=SIZE) and CPU phys-bits large enough";
}

}  // namespace

check::Check check_bars(const HostFs& fs, const pci::DeviceFacts& f) {
  check::Check r{"device.bars", "BARs", check::Verdict::kPass, "", "", {}};
  const std::string& bdf = f.bdf;
  if (!f.bars_error.empty()) {
    r.verdict = check::Verdict::kFail;
    r.summary = f.bars_error;
    r.hint =
        fmt::format("the BARs cannot be judged from this file; 'lspci -vv -s {}' shows them", bdf);
    return r;
  }
  std::vector<pci::Bar> bars = f.bars;
  std::erase_if(bars, [](const pci::Bar& b) { return b.is_rom(); });  // firmware, not MMIO
  const bool rebar = f.config.find(true, pci::kExtCapResizableBar).has_value();
  nlohmann::json jb = nlohmann::json::array();
  std::vector<std::string> parts;
  uint64_t total = 0;
  for (const auto& b : bars) {
    jb.push_back({{"index", b.index},
                  {"start", b.start},
                  {"size", b.size},
                  {"io", b.io},
                  {"mem64", b.mem64},
                  {"prefetchable", b.prefetchable},
                  {"above_4g", b.above_4g()}});
    std::string flags = b.io ? "I/O" : b.mem64 ? "64-bit" : "32-bit";
    if (b.prefetchable) flags += " pref";
    if (b.above_4g()) flags += " >4G";
    parts.push_back(fmt::format("BAR{} {} {}", b.index, human_bytes(b.size), flags));
    if (!b.io) total += b.size;
  }
  const auto window = root_window_above_4g(fs, bdf);
  r.data = {{"bars", jb},
            {"resizable_bar", rebar},
            {"mmio_total", total},
            {"root_window_above_4g", window ? nlohmann::json(*window) : nlohmann::json()}};
  if (const auto unplaced = unplaced_bars(fs, f); !unplaced.empty()) {
    fail_unplaced(r, unplaced, window);
    return r;
  }
  if (bars.empty()) {
    r.verdict = check::Verdict::kWarn;
    r.summary = "no BAR has an address (resource file empty)";
    r.hint = "the device has no MMIO to map; check 'lspci -vv' for disabled BARs";
    return r;
  }
  r.summary = fmt::format("{}{}; a VM needs {} of MMIO for them", fmt::join(parts, ", "),
                          rebar ? "; Resizable BAR" : "", human_bytes(total));
  return r;
}

check::Check check_framebuffer(const HostFs& fs, const std::string& bdf) {
  check::Check r{"device.framebuffer", "framebuffer", check::Verdict::kPass, "", "", {}};
  bool hidden = false;
  const auto fbs = framebuffer_overlaps(fs, bdf, &hidden);
  const bool boot_vga = fs.sysfs().attr(bdf, "boot_vga") == "1";
  nlohmann::json jf = nlohmann::json::array();
  for (const auto& f : fbs)
    jf.push_back({{"name", f.name}, {"start", f.start}, {"end", f.end}, {"bar", f.bar}});
  r.data = {{"boot_vga", boot_vga}, {"overlaps", jf}, {"iomem_hidden", hidden}};
  if (!fbs.empty()) {
    const auto& f = fbs[0];
    r.verdict = check::Verdict::kFail;
    r.summary =
        fmt::format("{} holds BAR{} ([{:#x}-{:#x}] in /proc/iomem)", f.name, f.bar, f.start, f.end);
    r.hint =
        "boot with video=efifb:off (or initcall_blacklist=sysfb_init) so vfio-pci can "
        "claim the BAR";
    return r;
  }
  if (boot_vga) {
    r.verdict = check::Verdict::kWarn;
    r.summary = "boot VGA device: the firmware console may be on it";
    r.hint = "boot from another GPU, or expect the host console to go dark";
    return r;
  }
  if (hidden) {
    r.verdict = check::Verdict::kSkip;
    r.summary = "/proc/iomem shows no addresses";
    r.hint = "run as root to compare framebuffers with the BARs";
    return r;
  }
  r.summary = "no framebuffer on its BARs, not the boot VGA";
  return r;
}

check::Check check_interrupts(const pci::DeviceFacts& f) {
  check::Check r{"device.interrupts", "MSI/MSI-X", check::Verdict::kPass, "", "", {}};
  const ConfigSpace& cfg = f.config;
  const auto msi = f.msi_vectors;
  const auto msix = f.msix_table_size;
  const uint8_t pin = cfg.read8(0x3d);
  r.data = {{"msi_vectors", msi ? nlohmann::json(*msi) : nlohmann::json(nullptr)},
            {"msix_vectors", msix ? nlohmann::json(*msix) : nlohmann::json(nullptr)},
            {"intx_pin", pin == 0xff ? 0 : pin}};
  if (!full_config(cfg)) {
    r.verdict = check::Verdict::kSkip;
    r.summary = "capabilities not readable";
    r.hint = kRootHint;
    return r;
  }
  std::vector<std::string> parts;
  if (msix) parts.push_back(fmt::format("MSI-X {} vectors", *msix));
  if (msi) parts.push_back(fmt::format("MSI {} vector(s)", *msi));
  if (pin && pin != 0xff)
    parts.push_back(fmt::format("INTx pin {}", static_cast<char>('A' + pin - 1)));
  if (!msi && !msix) {
    r.verdict = check::Verdict::kWarn;
    r.summary = pin ? "INTx only (no MSI/MSI-X)" : "no interrupts at all";
    r.hint = "INTx may be shared and is slower; VFIO masks it per interrupt";
    return r;
  }
  r.summary = fmt::format("{}", fmt::join(parts, ", "));
  return r;
}

check::Check check_pcie_link(const pci::DeviceFacts& f) {
  // The guest check's judgement of the same facts (pci/link_judgement.hpp).
  const pci::LinkJudgement j = pci::judge_link(f);
  check::Check r{"device.pcie_link", "PCIe link", j.verdict, j.summary, j.hint, {}};
  if (f.link && f.link->max_width)
    r.data = {{"max_gts", f.link->max_gts},
              {"cur_gts", f.link->cur_gts},
              {"max_width", f.link->max_width},
              {"cur_width", f.link->cur_width},
              {"source", f.link_source}};
  return r;
}

check::Check check_numa(const pci::DeviceFacts& f) {
  check::Check r{"device.numa", "NUMA node", check::Verdict::kPass, "", "", {}};
  const int n = f.numa_node && *f.numa_node >= 0 ? *f.numa_node : -1;
  r.data = {{"numa_node", n}};
  r.summary = n < 0 ? "no NUMA affinity reported" : fmt::format("node {}", n);
  if (n >= 0) r.hint = fmt::format("pin the VM's vCPUs and memory to node {}", n);
  return r;
}

namespace {

/// The virtual functions of PF `bdf`: (index, BDF), from its virtfnN links.
std::vector<std::pair<unsigned, std::string>> virtual_functions(const HostFs& fs,
                                                                const std::string& bdf) {
  std::vector<std::pair<unsigned, std::string>> out;
  for (const auto& name : fs.list(device_rel(bdf))) {
    if (name.rfind("virtfn", 0) != 0) continue;
    const auto index = parse_u64(name.substr(6));
    std::error_code ec;
    const auto target = std::filesystem::read_symlink(fs.path(device_rel(bdf) / name), ec);
    if (index && !ec) out.emplace_back(static_cast<unsigned>(*index), target.filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// A VF: its PF and, when the PF is on vfio-pci, the VF token its owner sets and a VF's
// user must present (the group path's "BDF vf_token=UUID").
check::Check check_vf(const HostFs& fs, const std::string& bdf, check::Check r) {
  std::error_code ec;
  const std::string pf =
      std::filesystem::read_symlink(fs.path(device_rel(bdf) / "physfn"), ec).filename().string();
  const auto pf_driver = ec ? std::nullopt : fs.sysfs().driver(pf);
  std::optional<unsigned> index;
  if (!ec)
    for (const auto& [i, vf] : virtual_functions(fs, pf))
      if (vf == bdf) index = i;
  const bool token = pf_driver == "vfio-pci";
  r.data = {{"is_vf", true},
            {"pf", ec ? nlohmann::json(nullptr) : nlohmann::json(pf)},
            {"pf_driver", pf_driver ? nlohmann::json(*pf_driver) : nlohmann::json(nullptr)},
            {"vf_index", index ? nlohmann::json(*index) : nlohmann::json(nullptr)},
            {"vf_token_required", token}};
  r.summary =
      fmt::format("virtual function {} of PF {} (on {})", index ? std::to_string(*index) : "?",
                  ec ? "?" : pf, pf_driver.value_or("no driver"));
  if (token) {
    r.summary += ": opening it needs the VF token the PF's owner set";
    r.hint =
        "vfiokit probe BDF --vf-token UUID (the UUID the PF's owner set with "
        "VFIO_DEVICE_FEATURE_PCI_VF_TOKEN)";
  }
  return r;
}

}  // namespace

check::Check check_sriov(const HostFs& fs, const std::string& bdf) {
  check::Check r{"device.sriov", "SR-IOV", check::Verdict::kPass, "", "", {}};
  if (fs.exists(device_rel(bdf) / "physfn")) return check_vf(fs, bdf, r);
  const auto total = fs.sysfs().attr(bdf, "sriov_totalvfs");
  if (!total) {
    r.verdict = check::Verdict::kSkip;
    r.summary = "not SR-IOV capable";
    r.data = {{"is_vf", false}};
    return r;
  }
  const std::string num = fs.sysfs().attr(bdf, "sriov_numvfs").value_or("0");
  nlohmann::json vfs = nlohmann::json::array();
  std::vector<std::string> named;
  for (const auto& [i, vf] : virtual_functions(fs, bdf)) {
    const auto drv = fs.sysfs().driver(vf);
    vfs.push_back({{"index", i}, {"bdf", vf}, {"driver", drv ? nlohmann::json(*drv) : nullptr}});
    named.push_back(fmt::format("{} on {}", vf, drv.value_or("no driver")));
  }
  r.data = {{"is_vf", false},
            {"totalvfs", parse_u64(*total).value_or(0)},
            {"numvfs", parse_u64(num).value_or(0)},
            {"vfs", vfs},
            {"vf_token_required", fs.sysfs().driver(bdf) == "vfio-pci" && num != "0"}};
  r.summary = fmt::format("{} of {} virtual functions enabled", num, *total);
  if (!named.empty()) r.summary += fmt::format(": {}", fmt::join(named, ", "));
  if (num != "0")
    r.hint = fs.sysfs().driver(bdf) == "vfio-pci"
                 ? "on vfio-pci: its VFs open only with the VF token its owner sets "
                   "(VFIO_DEVICE_FEATURE_PCI_VF_TOKEN)"
                 : "its VFs depend on the PF driver: pass VFs, or set sriov_numvfs to 0 "
                   "before binding the PF";
  return r;
}

check::Check check_device_memlock(const HostFs& fs, const pci::DeviceFacts& f) {
  check::Check r{"device.memlock", "memlock needed", check::Verdict::kPass, "", "", {}};
  uint64_t bars = 0;
  for (const auto& b : f.bars)
    if (!b.io && !b.is_rom()) bars += b.size;
  const uint64_t need = bars + kProbeDmaBytes;
  const MemlockLimit m = memlock_limit(fs);
  r.data = {{"needed_bytes", need},
            {"bar_bytes", bars},
            {"dma_test_bytes", kProbeDmaBytes},
            {"limit_bytes", m.soft ? nlohmann::json(*m.soft) : nlohmann::json(nullptr)},
            {"cap_ipc_lock", m.cap_ipc_lock}};
  const std::string need_s = fmt::format("{} (BARs {} + DMA test buffer {})", human_bytes(need),
                                         human_bytes(bars), human_bytes(kProbeDmaBytes));
  if (m.cap_ipc_lock) {
    r.summary = need_s + "; limit not enforced (CAP_IPC_LOCK)";
    return r;
  }
  if (!m.known) {
    r.verdict = check::Verdict::kSkip;
    r.summary = need_s + "; limit unknown (proc/self/limits unreadable)";
    return r;
  }
  if (!m.soft) {
    r.summary = need_s + "; RLIMIT_MEMLOCK unlimited";
    return r;
  }
  r.summary = fmt::format("{}; RLIMIT_MEMLOCK {}", need_s, human_bytes(*m.soft));
  if (*m.soft < need) {
    r.verdict = check::Verdict::kFail;
    r.hint = fmt::format(
        "VFIO_MAP_DMA will fail with ENOMEM: raise RLIMIT_MEMLOCK to at least {} "
        "(ulimit -l {}, LimitMEMLOCK=, limits.conf memlock) or run as root",
        human_bytes(need), (need + 1023) / 1024);
  }
  return r;
}

check::Report run_device_checks(const HostFs& fs, const std::string& bdf) {
  // The device's facts (IDs, driver, group, config space, BARs, link, NUMA node) read once
  // for every check that judges them; what else a check reads is the host around it.
  const pci::DeviceFacts f = pci::read_device_facts(fs.sysfs(), bdf);
  return {
      bdf,
      {check_driver(fs, f), check_iommu_group(fs, f), check_rmrr(fs, f), check_acs(fs, bdf),
       check_reset(fs, f), check_bars(fs, f), check_framebuffer(fs, bdf), check_interrupts(f),
       check_pcie_link(f), check_numa(f), check_sriov(fs, bdf), check_device_memlock(fs, f)}};
}

}  // namespace vfiokit::host
