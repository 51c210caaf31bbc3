#include "tools/host/pci_facts.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <regex>
#include <system_error>

#include "vfio/pci_capability_id.hpp"
#include "vfio/text_parse.hpp"
#include "vfiokit/vfio/error.hpp"
#include "vfiokit/vfio/pci_address.hpp"

namespace sfs = std::filesystem;

namespace vfiokit::host {
std::vector<std::string> upstream_bridges(const HostFs& fs, const std::string& bdf) {
  static const std::regex kBdf("[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\\.[0-7]");
  std::vector<std::string> out;
  std::error_code ec;
  const sfs::path dev = sfs::canonical(fs.sysfs().device_dir(bdf), ec);
  if (ec) return out;
  for (sfs::path p = dev.parent_path(); p.has_filename(); p = p.parent_path()) {
    const std::string name = p.filename();
    if (!std::regex_match(name, kBdf)) break;
    out.push_back(name);
  }
  return out;
}

AcsState acs_state(const ConfigSpace& cfg) {
  AcsState s;
  auto c = cfg.find(true, pci::kExtCapAcs);
  if (!c) {
    s.missing = {"ACS capability"};
    return s;
  }
  s.has_cap = true;
  s.capability = cfg.read16(c->offset + 4);
  s.control = cfg.read16(c->offset + 6);
  // Linux's REQ_ACS_FLAGS (SV, RR, CR, UF). pci_acs_flags_enabled() masks the
  // request with what the port implements, so an unimplemented control passes.
  static constexpr struct {
    uint16_t bit;
    const char* name;
  } kNeeded[] = {{0x01, "Source Validation"},
                 {0x04, "P2P Request Redirect"},
                 {0x08, "P2P Completion Redirect"},
                 {0x10, "Upstream Forwarding"}};
  for (const auto& n : kNeeded)
    if ((s.capability & n.bit) && !(s.control & n.bit)) s.missing.push_back(n.name);
  s.isolating = s.missing.empty();
  return s;
}

std::vector<GroupMember> group_members(const HostFs& fs, int group) {
  std::vector<GroupMember> out;
  const Sysfs& s = fs.sysfs();
  for (const auto& bdf : s.group_devices(group)) {
    GroupMember m;
    m.bdf = bdf;
    m.driver = s.driver(bdf);
    m.class_code = s.hex_attr(bdf, "class").value_or(0);
    m.vendor = static_cast<uint16_t>(s.hex_attr(bdf, "vendor").value_or(0));
    m.device = static_cast<uint16_t>(s.hex_attr(bdf, "device").value_or(0));
    out.push_back(std::move(m));
  }
  return out;
}

std::string class_short_name(uint32_t cls) {
  const uint32_t base = cls >> 16, sub = (cls >> 8) & 0xff;
  switch (base) {
    case 0x01:
      return sub == 0x08 ? "NVMe" : "storage";
    case 0x02:
      return "network";
    case 0x03:
      return "display";
    case 0x04:
      return sub == 0x03 ? "audio" : "multimedia";
    case 0x05:
      return "memory";
    case 0x06:
      return sub == 0x04 ? "PCI bridge" : "bridge";
    case 0x0c:
      return sub == 0x03 ? "USB" : "serial bus";
    case 0x12:
      return "accelerator";
    default:
      return fmt::format("class {:06x}", cls);
  }
}

std::string describe_member(const GroupMember& m) {
  return fmt::format("{} ({}, driver {})", m.bdf, class_short_name(m.class_code),
                     m.driver.value_or("none"));
}

std::string require_device(const HostFs& fs, const std::string& text) {
  const std::string bdf = normalize_bdf(text);
  if (!fs.sysfs().has_device(bdf))
    throw_error("find PCI device", bdf, ENODEV,
                fmt::format("no such device under {}; 'vfiokit list' shows the devices there",
                            (fs.root() / "sys/bus/pci/devices").string()));
  return bdf;
}

}  // namespace vfiokit::host
