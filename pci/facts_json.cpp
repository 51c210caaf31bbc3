#include "pci/facts_json.hpp"

#include <fmt/format.h>

#include "pci/link_budget.hpp"

namespace vfiokit::pci {

nlohmann::json facts_json(const DeviceFacts& f) {
  nlohmann::json j = {{"bdf", f.bdf}, {"present", f.present}};
  if (!f.present) return j;
  j["vendor_id"] = fmt::format("{:04x}", f.vendor);
  j["device_id"] = fmt::format("{:04x}", f.device);
  j["class"] = fmt::format("{:06x}", f.class_code);
  j["vendor"] = f.vendor_name;
  j["device"] = f.device_name;
  j["class_name"] = f.class_name;
  j["driver"] = f.driver ? nlohmann::json(*f.driver) : nlohmann::json(nullptr);
  j["iommu_group"] = f.iommu_group ? nlohmann::json(*f.iommu_group) : nlohmann::json(nullptr);
  j["numa_node"] = f.numa_node ? nlohmann::json(*f.numa_node) : nlohmann::json(nullptr);
  nlohmann::json bars = nlohmann::json::array();
  for (const auto& b : f.bars)
    bars.push_back({{"index", b.index},
                    {"start", fmt::format("{:#x}", b.start)},
                    {"size", b.size},
                    {"io", b.io},
                    {"64bit", b.mem64},
                    {"prefetchable", b.prefetchable},
                    {"assigned", b.assigned}});
  j["bars"] = bars;
  j["config_bytes"] = f.config_bytes;
  if (f.msix_table_size)
    j["msix"] = {{"table_size", *f.msix_table_size},
                 {"enabled", f.msix_enabled},
                 {"masked", f.msix_masked},
                 {"vectors_allocated", f.irq_vectors}};
  if (f.msi_vectors) j["msi"] = {{"vectors", *f.msi_vectors}, {"enabled", f.msi_enabled}};
  if (f.link) {
    const PcieLink& l = *f.link;
    const LinkBudget cur = link_budget(l.cur_gts, l.cur_width, f.mps);
    const LinkBudget max = link_budget(l.max_gts, l.max_width, f.mps);
    j["link"] = {{"source", f.link_source},
                 {"current", {{"gen", l.cur_gen}, {"gts", l.cur_gts}, {"width", l.cur_width}}},
                 {"max", {{"gen", l.max_gen}, {"gts", l.max_gts}, {"width", l.max_width}}},
                 {"mps", f.mps},
                 {"mrrs", f.mrrs},
                 {"theoretical_gbs", cur.theoretical_gbs},
                 {"practical_gbs", cur.practical_gbs},
                 {"max_theoretical_gbs", max.theoretical_gbs},
                 {"max_practical_gbs", max.practical_gbs}};
  }
  if (f.aer)
    j["aer"] = {{"correctable", f.aer->correctable},
                {"nonfatal", f.aer->nonfatal},
                {"fatal", f.aer->fatal}};
  return j;
}

}  // namespace vfiokit::pci
