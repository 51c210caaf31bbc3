#include "guest-tests/report.hpp"

#include <fmt/format.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <ctime>

#include "guest-tests/link_budget.hpp"

namespace vfiokit::guest {

nlohmann::json device_json(const DeviceReport& d) {
  const pci::DeviceFacts& f = d.facts;
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
  if (d.nvidia_module) j["nvidia_module_version"] = *d.nvidia_module;
  if (d.smi) {
    j["nvidia_smi"] = {{"ran", d.smi->ran}, {"version", d.smi->version}, {"error", d.smi->error}};
    for (const auto& g : d.smi->gpus)
      if (g.bdf == f.bdf) {
        j["nvidia_smi"]["name"] = g.name;
        j["nvidia_smi"]["driver_version"] = g.driver_version;
        j["nvidia_smi"]["memory_mib"] = g.memory_mib;
      }
  }
  for (const auto& s : d.samples)
    if (!s.device.is_null()) {
      j["cuda_device"] = s.device;
      break;
    }
  return j;
}

nlohmann::json device_benchmarks(const DeviceReport& d, bool prefix_bdf) {
  nlohmann::json out = nlohmann::json::array();
  const std::string pre = prefix_bdf ? d.facts.bdf + "/" : "";
  for (const auto& s : d.samples)
    for (const auto& r : s.results) {
      // bench/gate.py compares real_time (per iteration, lower is better): a latency
      // is its own time; a rate's time is the measured wall time per iteration.
      double real_us = 0;
      if (r.unit == "us" && !r.higher_is_better)
        real_us = r.value;
      else if (r.iterations > 0 && r.seconds > 0)
        real_us = r.seconds / static_cast<double>(r.iterations) * 1e6;
      if (real_us <= 0) continue;  // derived ratios (speedup) stay in the sample's own output
      const std::string name = "cuda/" + pre + s.sample + "/" + r.name;
      out.push_back({{"name", name},
                     {"run_name", name},
                     {"run_type", "iteration"},
                     {"repetitions", 1},
                     {"iterations", r.iterations},
                     {"real_time", real_us},
                     {"cpu_time", real_us},
                     {"time_unit", "us"},
                     {"value", r.value},
                     {"unit", r.unit},
                     {"higher_is_better", r.higher_is_better},
                     {"verified", r.verified},
                     {"device", d.facts.bdf}});
      if (!r.verified) {
        out.back()["error_occurred"] = true;
        out.back()["error_message"] = "result not verified";
      }
    }
  return out;
}

nlohmann::json make_report(const std::vector<DeviceReport>& devices,
                           const std::vector<check::Report>& reports, nlohmann::json context) {
  nlohmann::json ctx = {{"executable", "vfiokit-guest-check"}, {"schema", "vfiokit-bench/1"}};
  char date[64];
  const std::time_t now = std::time(nullptr);
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S%z", std::localtime(&now));
  ctx["date"] = date;
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  ctx["host_name"] = host;
  utsname u{};
  if (uname(&u) == 0) ctx["kernel"] = std::string(u.release);
  ctx["num_cpus"] = sysconf(_SC_NPROCESSORS_ONLN);
  ctx["library_build_type"] =
#ifdef NDEBUG
      "release";
#else
      "debug";
#endif
  ctx["devices"] = nlohmann::json::array();
  for (const auto& d : devices) ctx["devices"].push_back(device_json(d));
  if (context.is_object()) ctx.update(context);

  nlohmann::json benches = nlohmann::json::array();
  for (const auto& d : devices)
    for (auto& b : device_benchmarks(d, devices.size() > 1)) benches.push_back(std::move(b));

  nlohmann::json doc = check::document("guest-check", reports);
  doc["context"] = ctx;
  doc["benchmarks"] = benches;
  return doc;
}

}  // namespace vfiokit::guest
