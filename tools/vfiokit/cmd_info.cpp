// `vfiokit info`: what VFIO and the IOMMU say about an open device.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <linux/vfio.h>

#include "tools/host/host_fs.hpp"
#include "tools/host/pci_facts.hpp"
#include "tools/vfiokit/commands.hpp"
#include "vfiokit/vfio/device.hpp"
#include "vfiokit/vfio/error.hpp"

namespace vfiokit::cli {
namespace {

std::vector<std::string> region_flags(uint32_t f) {
  std::vector<std::string> out;
  if (f & VFIO_REGION_INFO_FLAG_READ) out.push_back("read");
  if (f & VFIO_REGION_INFO_FLAG_WRITE) out.push_back("write");
  if (f & VFIO_REGION_INFO_FLAG_MMAP) out.push_back("mmap");
  if (f & VFIO_REGION_INFO_FLAG_CAPS) out.push_back("caps");
  return out;
}

std::vector<std::string> irq_flags(const IrqInfo& i) {
  std::vector<std::string> out;
  if (i.eventfd()) out.push_back("eventfd");
  if (i.maskable()) out.push_back("maskable");
  if (i.automasked()) out.push_back("automasked");
  if (i.noresize()) out.push_back("noresize");
  return out;
}

std::vector<std::string> device_flags(uint32_t f) {
  std::vector<std::string> out;
  if (f & VFIO_DEVICE_FLAGS_RESET) out.push_back("reset");
  if (f & VFIO_DEVICE_FLAGS_PCI) out.push_back("pci");
  if (f & VFIO_DEVICE_FLAGS_CAPS) out.push_back("caps");
  return out;
}

// The facts vfiokit decodes for a capability, as JSON.
nlohmann::json decode_cap(const ConfigSpace& cfg, const PciCapability& c) {
  nlohmann::json j = {{"name", c.name},
                      {"id", fmt::format("{:#04x}", c.id)},
                      {"offset", fmt::format("{:#05x}", c.offset)},
                      {"extended", c.extended}};
  if (!c.extended && c.id == 0x05) j["msi_vectors"] = *cfg.msi_vectors();
  if (!c.extended && c.id == 0x11) j["msix_table_size"] = *cfg.msix_table_size();
  if (!c.extended && c.id == 0x10) {
    if (auto t = host::pcie_port_type(cfg)) j["port_type"] = host::pcie_port_type_name(*t);
    j["flr"] = cfg.has_flr();
    if (auto l = cfg.pcie_link())
      j["link"] = {{"cur_gts", l->cur_gts},
                   {"cur_width", l->cur_width},
                   {"max_gts", l->max_gts},
                   {"max_width", l->max_width}};
  }
  if (!c.extended && c.id == 0x01) j["pm_reset"] = cfg.pm_reset().value_or(false);
  if (c.extended && c.id == 0x0d) {
    const host::AcsState a = host::acs_state(cfg);
    j["acs"] = {{"capability", fmt::format("{:#06x}", a.capability)},
                {"control", fmt::format("{:#06x}", a.control)},
                {"isolating", a.isolating}};
  }
  if (c.extended) j["version"] = c.version;
  return j;
}

std::string cap_line(const nlohmann::json& j) {
  std::vector<std::string> facts;
  for (const auto& [k, v] : j.items())
    if (k != "name" && k != "id" && k != "offset" && k != "extended" && k != "version")
      facts.push_back(fmt::format("{}={}", k, v.dump()));
  return fmt::format("{} {:<22} {}", j["offset"].get<std::string>(), j["name"].get<std::string>(),
                     fmt::join(facts, " "));
}

}  // namespace

int run_info(const GlobalOptions& g, const std::string& text, const std::string& backend_text) {
  const host::HostFs fs(g.root);
  const std::string bdf = host::require_device(fs, text);
  const Backend backend = parse_backend(backend_text);
  Device dev = Device::open(bdf, backend);
  const auto& ctx = dev.context();

  nlohmann::json regions = nlohmann::json::array();
  for (uint32_t i = 0; i < dev.num_regions(); ++i) {
    RegionInfo r;
    try {
      r = dev.region_info(i);
    } catch (const Error&) {
      continue;
    }
    if (r.size == 0 && r.flags == 0) continue;
    nlohmann::json sparse = nlohmann::json::array();
    for (const auto& a : r.sparse) sparse.push_back({{"offset", a.offset}, {"size", a.size}});
    nlohmann::json jr = {{"index", i},
                         {"name", r.name()},
                         {"size", r.size},
                         {"offset", r.offset},
                         {"flags", region_flags(r.flags)},
                         {"cap_ids", r.cap_ids},
                         {"msix_mappable", r.msix_mappable}};
    if (r.has_sparse) jr["sparse_mmap"] = sparse;
    if (r.has_type) jr["type"] = {{"type", r.type}, {"subtype", r.subtype}};
    regions.push_back(jr);
  }
  nlohmann::json irqs = nlohmann::json::array();
  for (const auto& q : dev.irqs())
    irqs.push_back(
        {{"index", q.index}, {"name", q.name()}, {"count", q.count}, {"flags", irq_flags(q)}});
  nlohmann::json ranges = nlohmann::json::array();
  for (const auto& r : ctx->iova_ranges()) ranges.push_back({{"start", r.start}, {"last", r.last}});
  const auto avail = ctx->dma_avail();
  nlohmann::json hw = nullptr;
  try {
    if (const std::optional<IommuHwInfo> h = ctx->hw_info(bdf)) {
      hw = {{"type", h->data_type},
            {"type_name", h->data_type_name},
            {"capabilities", fmt::format("{:#x}", h->capabilities)}};
      if (h->vtd_cap_reg) hw["vtd_cap_reg"] = fmt::format("{:#018x}", *h->vtd_cap_reg);
      if (h->vtd_ecap_reg) hw["vtd_ecap_reg"] = fmt::format("{:#018x}", *h->vtd_ecap_reg);
    }
  } catch (const Error& e) {
    hw = {{"error", e.what()}};
  }
  nlohmann::json hot = nullptr;
  try {
    hot = nlohmann::json::array();
    for (const auto& h : dev.hot_reset_info())
      hot.push_back(
          {{"bdf", h.bdf}, {"group", h.group_id}, {"dev_id", h.dev_id}, {"owned", h.owned}});
  } catch (const Error& e) {
    hot = {{"error", e.what()}};
  }
  const ConfigSpace cfg = dev.config();
  nlohmann::json caps = nlohmann::json::array();
  for (const auto& c : cfg.capabilities()) caps.push_back(decode_cap(cfg, c));

  nlohmann::json j = {{"schema_version", 1},
                      {"command", "info"},
                      {"bdf", bdf},
                      {"context", ctx->name()},
                      {"device_flags", device_flags(dev.flags())},
                      {"regions", regions},
                      {"irqs", irqs},
                      {"iova_ranges", ranges},
                      {"iova_alignment", ctx->iova_alignment()},
                      {"dma_avail", avail ? nlohmann::json(*avail) : nlohmann::json(nullptr)},
                      {"iommu_hw_info", hw},
                      {"reset",
                       {{"can_reset", dev.can_reset()},
                        {"methods", dev.reset_methods()},
                        {"hot_reset_devices", hot}}},
                      {"config",
                       {{"vendor_id", fmt::format("{:04x}", cfg.vendor_id())},
                        {"device_id", fmt::format("{:04x}", cfg.device_id())},
                        {"class", fmt::format("{:06x}", cfg.class_code())},
                        {"size", cfg.size()},
                        {"capabilities", caps},
                        {"walk_errors", cfg.walk_errors()}}}};
  if (g.json) {
    print_json(j);
    return check::kExitOk;
  }

  const Painter p(g.color);
  std::printf("%s\n", p.bold(fmt::format("{} via {} (flags: {})", bdf, ctx->name(),
                                         fmt::join(device_flags(dev.flags()), " ")))
                          .c_str());
  std::printf("%s\n", p.bold("regions").c_str());
  Table tr;
  for (const auto& r : regions) {
    std::string extra;
    if (r.contains("sparse_mmap")) {
      std::vector<std::string> a;
      for (const auto& s : r["sparse_mmap"])
        a.push_back(
            fmt::format("[{:#x}+{:#x}]", s["offset"].get<uint64_t>(), s["size"].get<uint64_t>()));
      extra += fmt::format("sparse mmap {}", fmt::join(a, " "));
    }
    if (r["msix_mappable"].get<bool>()) extra += " msix-mappable";
    if (r.contains("type"))
      extra += fmt::format(" type {}/{}", r["type"]["type"].dump(), r["type"]["subtype"].dump());
    tr.add({std::to_string(r["index"].get<uint32_t>()), r["name"].get<std::string>(),
            host::human_bytes(r["size"].get<uint64_t>()),
            fmt::format("{}", fmt::join(r["flags"].get<std::vector<std::string>>(), ",")), extra});
  }
  tr.print(stdout, "  ");
  std::printf("%s\n", p.bold("interrupts").c_str());
  Table ti;
  for (const auto& q : irqs)
    ti.add({q["name"].get<std::string>(), fmt::format("{} vector(s)", q["count"].get<uint32_t>()),
            fmt::format("{}", fmt::join(q["flags"].get<std::vector<std::string>>(), ","))});
  ti.print(stdout, "  ");
  std::printf("%s\n", p.bold("IOMMU").c_str());
  for (const auto& r : ranges)
    std::printf("  IOVA range [%#llx, %#llx]\n",
                static_cast<unsigned long long>(r["start"].get<uint64_t>()),
                static_cast<unsigned long long>(r["last"].get<uint64_t>()));
  std::printf("  page size %s, DMA mappings available: %s\n",
              host::human_bytes(ctx->iova_alignment()).c_str(),
              avail ? std::to_string(*avail).c_str() : "not reported");
  if (!hw.is_null()) std::printf("  hw info: %s\n", hw.dump().c_str());
  std::printf("%s\n", p.bold("reset").c_str());
  std::printf("  VFIO reset: %s; methods: %s\n", dev.can_reset() ? "yes" : "no",
              dev.reset_methods().empty()
                  ? "none listed"
                  : fmt::format("{}", fmt::join(dev.reset_methods(), " ")).c_str());
  if (hot.is_array()) {
    for (const auto& h : hot)
      std::printf("  hot reset also resets %s (%s)\n", h["bdf"].get<std::string>().c_str(),
                  h["owned"].get<bool>() ? "owned" : "not owned");
  } else {
    std::printf("  hot reset: unavailable: %s\n", hot["error"].get<std::string>().c_str());
  }
  std::printf("%s\n",
              p.bold(fmt::format("config space ({} bytes, {:04x}:{:04x} class {:06x})", cfg.size(),
                                 cfg.vendor_id(), cfg.device_id(), cfg.class_code()))
                  .c_str());
  for (const auto& c : caps) std::printf("  %s\n", cap_line(c).c_str());
  for (const auto& e : cfg.walk_errors()) std::printf("  %s\n", p.red("walk error: " + e).c_str());
  return check::kExitOk;
}

}  // namespace vfiokit::cli
