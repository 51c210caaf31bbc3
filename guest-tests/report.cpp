#include "guest-tests/report.hpp"

#include <fmt/format.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <ctime>

#include "pci/facts_json.hpp"

namespace vfiokit::guest {

nlohmann::json device_json(const DeviceReport& d) {
  const pci::DeviceFacts& f = d.facts;
  nlohmann::json j = pci::facts_json(f);
  if (!f.present) return j;
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
