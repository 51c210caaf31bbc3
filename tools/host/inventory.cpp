#include "tools/host/inventory.hpp"

#include <fmt/format.h>

#include <map>

#include "tools/host/pci_facts.hpp"

namespace vfiokit::host {

std::vector<InventoryGroup> inventory(const HostFs& fs, const PciNames& names) {
  const Sysfs& s = fs.sysfs();
  std::map<int, InventoryGroup> by_group;
  InventoryGroup none;
  for (const auto& bdf : s.devices()) {
    InventoryDevice d;
    d.bdf = bdf;
    d.vendor = static_cast<uint16_t>(s.hex_attr(bdf, "vendor").value_or(0));
    d.device = static_cast<uint16_t>(s.hex_attr(bdf, "device").value_or(0));
    d.class_code = s.hex_attr(bdf, "class").value_or(0);
    d.vendor_name = names.vendor(d.vendor).value_or("");
    d.device_name = names.device(d.vendor, d.device).value_or("");
    d.class_name = names.class_name(d.class_code).value_or("");
    d.driver = s.driver(bdf);
    d.allows_vfio = driver_allows_vfio(d.driver);
    const auto g = s.iommu_group(bdf);
    InventoryGroup& grp = g ? by_group[*g] : none;
    if (g) grp.group = *g;
    grp.devices.push_back(std::move(d));
  }
  std::vector<InventoryGroup> out;
  for (auto& [n, g] : by_group) {
    g.viable = true;
    for (const auto& d : g.devices) g.viable = g.viable && d.allows_vfio;
    out.push_back(std::move(g));
  }
  if (!none.devices.empty()) out.push_back(std::move(none));
  return out;
}

nlohmann::json to_json(const std::vector<InventoryGroup>& groups) {
  nlohmann::json jg = nlohmann::json::array();
  for (const auto& g : groups) {
    nlohmann::json devs = nlohmann::json::array();
    for (const auto& d : g.devices)
      devs.push_back({{"bdf", d.bdf},
                      {"vendor_id", fmt::format("{:04x}", d.vendor)},
                      {"device_id", fmt::format("{:04x}", d.device)},
                      {"class", fmt::format("{:06x}", d.class_code)},
                      {"vendor_name", d.vendor_name},
                      {"device_name", d.device_name},
                      {"class_name", d.class_name},
                      {"driver", d.driver ? nlohmann::json(*d.driver) : nlohmann::json(nullptr)},
                      {"allows_vfio", d.allows_vfio}});
    jg.push_back({{"group", g.group < 0 ? nlohmann::json(nullptr) : nlohmann::json(g.group)},
                  {"viable", g.viable},
                  {"devices", devs}});
  }
  return {{"schema_version", 1}, {"command", "list"}, {"groups", jg}};
}

}  // namespace vfiokit::host
