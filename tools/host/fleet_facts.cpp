#include "tools/host/fleet_facts.hpp"

#include <algorithm>
#include <cctype>

namespace vfiokit::host {
namespace {

const check::Check* find(const check::Report& g, const std::string& id) {
  for (const auto& c : g.checks)
    if (c.id == id) return &c;
  return nullptr;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string data_string(const check::Check* c, const char* key) {
  if (!c || !c->data.contains(key) || !c->data[key].is_string()) return "";
  return c->data[key].get<std::string>();
}

DeviceReadiness readiness(const check::Report& g) {
  DeviceReadiness d;
  d.bdf = g.subject;
  const check::Check* drv = find(g, "device.driver");
  d.vendor = data_string(drv, "vendor");
  d.device = data_string(drv, "device");
  d.class_code = data_string(drv, "class");
  const std::string driver = data_string(drv, "driver");
  d.on_vfio = driver.rfind("vfio", 0) == 0;

  const check::Check* group = find(g, "device.iommu_group");
  if (!group || group->verdict != check::Verdict::kPass)
    d.blockers.emplace_back("device.iommu_group");
  for (const char* id : {"device.rmrr", "device.framebuffer", "device.bars"}) {
    const check::Check* c = find(g, id);
    if (!c || c->verdict == check::Verdict::kFail) d.blockers.emplace_back(id);
  }
  const check::Check* reset = find(g, "device.reset");
  const bool resettable =
      reset && (reset->verdict == check::Verdict::kPass ||
                (reset->data.contains("reset_method") && reset->data["reset_method"].is_array() &&
                 !reset->data["reset_method"].empty()));
  if (!resettable) d.blockers.emplace_back("device.reset");
  d.ready = d.blockers.empty();
  return d;
}

}  // namespace

FleetFacts fleet_facts(const std::vector<check::Report>& groups) {
  FleetFacts f;
  for (const auto& g : groups) {
    if (g.subject != "host") {
      f.devices.push_back(readiness(g));
      continue;
    }
    if (const check::Check* c = find(g, "host.iommu")) {
      f.iommu = c->verdict == check::Verdict::kPass   ? "on"
                : c->verdict == check::Verdict::kFail ? "off"
                                                      : "unknown";
      if (c->data.contains("domain_types") && c->data["domain_types"].is_object()) {
        const auto& types = c->data["domain_types"];
        if (types.size() > 1) {
          f.iommu_mode = "mixed";
        } else if (types.size() == 1) {
          // The kernel's names (iommu_group_show_type); anything else is "other".
          const std::string t = lower(types.begin().key());
          f.iommu_mode =
              t == "dma" || t == "dma-fq" || t == "identity" || t == "blocked" || t == "unmanaged"
                  ? t
                  : "other";
        }
      }
    }
    if (const check::Check* c = find(g, "host.interrupt_remapping"))
      f.interrupt_remapping = c->verdict == check::Verdict::kPass   ? "on"
                              : c->verdict == check::Verdict::kWarn ? "unsafe"
                              : c->verdict == check::Verdict::kFail ? "off"
                                                                    : "unknown";
    if (const check::Check* c = find(g, "host.dev_iommu"))
      f.iommufd = c->verdict == check::Verdict::kPass || c->verdict == check::Verdict::kWarn;
    if (const check::Check* c = find(g, "host.vfio_modules"))
      f.vfio = c->verdict != check::Verdict::kFail;
    if (const check::Check* c = find(g, "host.vfio_backends")) {
      const std::string container = data_string(c, "container");
      if (container == "type1" || container == "iommufd-compat" || container == "none")
        f.vfio_container = container;
      const std::string cdev = data_string(c, "cdev");
      f.vfio_cdev = cdev == "yes" ? "true" : cdev == "no" ? "false" : "unknown";
    }
  }
  return f;
}

}  // namespace vfiokit::host
