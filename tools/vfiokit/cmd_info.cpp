// `vfiokit info`: what VFIO and the IOMMU say about an open device.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "vfio/pci_port_type.hpp"
#include "tools/host/host_fs.hpp"
#include "tools/host/pci_facts.hpp"
#include "tools/vfiokit/commands.hpp"
#include "vfiokit/vfio/device.hpp"
#include "vfiokit/vfio/error.hpp"

namespace vfiokit::cli {
namespace {

// The facts vfiokit decodes for a capability, as JSON.
nlohmann::json decode_cap(const ConfigSpace& cfg, const PciCapability& c) {
  nlohmann::json j = {{"name", c.name},
                      {"id", fmt::format("{:#04x}", c.id)},
                      {"offset", fmt::format("{:#05x}", c.offset)},
                      {"extended", c.extended}};
  if (!c.extended && c.id == 0x05) j["msi_vectors"] = *cfg.msi_vectors();
  if (!c.extended && c.id == 0x11) j["msix_table_size"] = *cfg.msix_table_size();
  if (!c.extended && c.id == 0x10) {
    if (auto t = pci::pcie_port_type(cfg)) j["port_type"] = pci::pcie_port_type_name(*t);
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

// What `vfiokit info` reports, read from the device once; the text and the JSON
// are both rendered from it.
struct InfoFacts {
  std::string bdf;
  std::string context;  ///< the IOMMU context's name
  uint32_t device_flags = 0;
  std::vector<RegionInfo> regions;  ///< those VFIO answered for with a size or flags
  std::vector<IrqInfo> irqs;
  std::vector<IovaRange> iova_ranges;
  uint64_t iova_alignment = 0;
  std::optional<uint32_t> dma_avail;
  nlohmann::json hw;  ///< IOMMU_GET_HW_INFO's facts, {"error": ...}, or null (none)
  bool can_reset = false;
  std::vector<std::string> reset_methods;
  std::vector<HotResetDevice> hot_reset;
  std::optional<std::string> hot_reset_error;  ///< why the hot-reset info could not be read
  ConfigSpace cfg;
  std::vector<nlohmann::json> caps;  ///< each capability's decoded facts (decode_cap)
};

std::vector<RegionInfo> read_regions(const Device& dev) {
  std::vector<RegionInfo> out;
  for (uint32_t i = 0; i < dev.num_regions(); ++i) {
    RegionInfo r;
    try {
      r = dev.region_info(region_at(i));
    } catch (const Error&) {
      continue;
    }
    if (r.size == 0 && r.flags == 0) continue;
    r.index = region_at(i);  // the index asked for is the one reported
    out.push_back(std::move(r));
  }
  return out;
}

nlohmann::json read_hw_info(IommuContext& ctx, const std::string& bdf) {
  try {
    const std::optional<IommuHwInfo> h = ctx.hw_info(bdf);
    if (!h) return nullptr;
    nlohmann::json hw = {{"type", h->data_type},
                         {"type_name", h->data_type_name},
                         {"capabilities", fmt::format("{:#x}", h->capabilities)}};
    if (h->vtd_cap_reg) hw["vtd_cap_reg"] = fmt::format("{:#018x}", *h->vtd_cap_reg);
    if (h->vtd_ecap_reg) hw["vtd_ecap_reg"] = fmt::format("{:#018x}", *h->vtd_ecap_reg);
    return hw;
  } catch (const Error& e) {
    return {{"error", e.what()}};
  }
}

InfoFacts read_facts(const Device& dev, const std::string& bdf) {
  const auto& ctx = dev.context();
  std::vector<RegionInfo> regions = read_regions(dev);
  std::vector<IrqInfo> irqs = dev.irqs();
  std::vector<IovaRange> ranges = ctx->iova_ranges();
  const std::optional<uint32_t> avail = ctx->dma_avail();
  nlohmann::json hw = read_hw_info(*ctx, bdf);
  std::vector<HotResetDevice> hot;
  std::optional<std::string> hot_error;
  try {
    hot = dev.hot_reset_info();
  } catch (const Error& e) {
    hot_error = e.what();
  }
  ConfigSpace cfg = dev.config();
  std::vector<nlohmann::json> caps;
  for (const auto& c : cfg.capabilities()) caps.push_back(decode_cap(cfg, c));
  return {bdf,
          ctx->name(),
          dev.flags(),
          std::move(regions),
          std::move(irqs),
          std::move(ranges),
          ctx->iova_alignment(),
          avail,
          std::move(hw),
          dev.can_reset(),
          dev.reset_methods(),
          std::move(hot),
          std::move(hot_error),
          std::move(cfg),
          std::move(caps)};
}

nlohmann::json region_json(const RegionInfo& r) {
  nlohmann::json sparse = nlohmann::json::array();
  for (const auto& a : r.sparse) sparse.push_back({{"offset", a.offset}, {"size", a.size}});
  nlohmann::json jr = {{"index", index_number(r.index)},
                       {"name", r.name()},
                       {"size", r.size},
                       {"offset", r.offset},
                       {"flags", r.flag_names()},
                       {"cap_ids", r.cap_ids},
                       {"msix_mappable", r.msix_mappable}};
  if (r.has_sparse) jr["sparse_mmap"] = sparse;
  if (r.has_type) jr["type"] = {{"type", r.type}, {"subtype", r.subtype}};
  return jr;
}

nlohmann::json hot_reset_json(const InfoFacts& f) {
  if (f.hot_reset_error) return {{"error", *f.hot_reset_error}};
  nlohmann::json hot = nlohmann::json::array();
  for (const auto& h : f.hot_reset)
    hot.push_back(
        {{"bdf", h.bdf}, {"group", h.group_id}, {"dev_id", h.dev_id}, {"owned", h.owned}});
  return hot;
}

nlohmann::json config_json(const InfoFacts& f) {
  return {{"vendor_id", fmt::format("{:04x}", f.cfg.vendor_id())},
          {"device_id", fmt::format("{:04x}", f.cfg.device_id())},
          {"class", fmt::format("{:06x}", f.cfg.class_code())},
          {"size", f.cfg.size()},
          {"capabilities", f.caps},
          {"walk_errors", f.cfg.walk_errors()}};
}

nlohmann::json info_json(const InfoFacts& f) {
  nlohmann::json regions = nlohmann::json::array();
  for (const auto& r : f.regions) regions.push_back(region_json(r));
  nlohmann::json irqs = nlohmann::json::array();
  for (const auto& q : f.irqs)
    irqs.push_back({{"index", index_number(q.index)},
                    {"name", q.name()},
                    {"count", q.count},
                    {"flags", q.flag_names()}});
  nlohmann::json ranges = nlohmann::json::array();
  for (const auto& r : f.iova_ranges) ranges.push_back({{"start", r.start}, {"last", r.last}});
  return {{"schema_version", 1},
          {"command", "info"},
          {"bdf", f.bdf},
          {"context", f.context},
          {"device_flags", device_flag_names(f.device_flags)},
          {"regions", regions},
          {"irqs", irqs},
          {"iova_ranges", ranges},
          {"iova_alignment", f.iova_alignment},
          {"dma_avail", f.dma_avail ? nlohmann::json(*f.dma_avail) : nlohmann::json(nullptr)},
          {"iommu_hw_info", f.hw},
          {"reset",
           {{"can_reset", f.can_reset},
            {"methods", f.reset_methods},
            {"hot_reset_devices", hot_reset_json(f)}}},
          {"config", config_json(f)}};
}

// The last column of a region's row: its sparse areas, MSI-X mappability and type.
std::string region_extra(const RegionInfo& r) {
  std::string extra;
  if (r.has_sparse) {
    std::vector<std::string> a;
    for (const auto& s : r.sparse) a.push_back(fmt::format("[{:#x}+{:#x}]", s.offset, s.size));
    extra += fmt::format("sparse mmap {}", fmt::join(a, " "));
  }
  if (r.msix_mappable) extra += " msix-mappable";
  if (r.has_type) extra += fmt::format(" type {}/{}", r.type, r.subtype);
  return extra;
}

void print_regions_and_irqs(const InfoFacts& f, const Painter& p) {
  std::printf("%s\n", p.bold("regions").c_str());
  Table tr;
  for (const auto& r : f.regions)
    tr.add({std::to_string(index_number(r.index)), r.name(), host::human_bytes(r.size),
            fmt::format("{}", fmt::join(r.flag_names(), ",")), region_extra(r)});
  tr.print(stdout, "  ");
  std::printf("%s\n", p.bold("interrupts").c_str());
  Table ti;
  for (const auto& q : f.irqs)
    ti.add({q.name(), fmt::format("{} vector(s)", q.count),
            fmt::format("{}", fmt::join(q.flag_names(), ","))});
  ti.print(stdout, "  ");
}

void print_iommu(const InfoFacts& f, const Painter& p) {
  std::printf("%s\n", p.bold("IOMMU").c_str());
  for (const auto& r : f.iova_ranges)
    std::printf("  IOVA range [%#llx, %#llx]\n", static_cast<unsigned long long>(r.start),
                static_cast<unsigned long long>(r.last));
  std::printf("  page size %s, DMA mappings available: %s\n",
              host::human_bytes(f.iova_alignment).c_str(),
              f.dma_avail ? std::to_string(*f.dma_avail).c_str() : "not reported");
  // The hardware facts have no fixed shape (they depend on the IOMMU): shown as JSON.
  if (!f.hw.is_null()) std::printf("  hw info: %s\n", f.hw.dump().c_str());
}

void print_reset(const InfoFacts& f, const Painter& p) {
  std::printf("%s\n", p.bold("reset").c_str());
  std::printf("  VFIO reset: %s; methods: %s\n", f.can_reset ? "yes" : "no",
              f.reset_methods.empty() ? "none listed"
                                      : fmt::format("{}", fmt::join(f.reset_methods, " ")).c_str());
  if (f.hot_reset_error) {
    std::printf("  hot reset: unavailable: %s\n", f.hot_reset_error->c_str());
    return;
  }
  for (const auto& h : f.hot_reset)
    std::printf("  hot reset also resets %s (%s)\n", h.bdf.c_str(),
                h.owned ? "owned" : "not owned");
}

void print_info_text(const InfoFacts& f, const Painter& p) {
  std::printf("%s\n", p.bold(fmt::format("{} via {} (flags: {})", f.bdf, f.context,
                                         fmt::join(device_flag_names(f.device_flags), " ")))
                          .c_str());
  print_regions_and_irqs(f, p);
  print_iommu(f, p);
  print_reset(f, p);
  const ConfigSpace& cfg = f.cfg;
  std::printf("%s\n",
              p.bold(fmt::format("config space ({} bytes, {:04x}:{:04x} class {:06x})", cfg.size(),
                                 cfg.vendor_id(), cfg.device_id(), cfg.class_code()))
                  .c_str());
  for (const auto& c : f.caps) std::printf("  %s\n", cap_line(c).c_str());
  for (const auto& e : cfg.walk_errors()) std::printf("  %s\n", p.red("walk error: " + e).c_str());
}

}  // namespace

int run_info(const GlobalOptions& g, const std::string& text, const std::string& backend_text) {
  const host::HostFs fs(g.root);
  const std::string bdf = host::require_device(fs, text);
  const Backend backend = parse_backend(backend_text);
  const Device dev = Device::open(bdf, backend);
  const InfoFacts facts = read_facts(dev, bdf);
  if (g.json)
    print_json(info_json(facts));
  else
    print_info_text(facts, Painter(g.color));
  return check::kExitOk;
}

}  // namespace vfiokit::cli
