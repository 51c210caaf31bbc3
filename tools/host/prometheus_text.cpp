#include "tools/host/prometheus_text.hpp"

#include <fmt/format.h>

#include <map>
#include <utility>

namespace vfiokit::host {
namespace {

using Labels = std::vector<std::pair<std::string, std::string>>;

// One metric family: HELP and TYPE once, then its samples.
class Family {
 public:
  Family(std::string& out, const char* name, const char* help) : out_(out), name_(name) {
    out_ += fmt::format("# HELP {} {}\n# TYPE {} gauge\n", name, escape_help(help), name);
  }
  void sample(const Labels& labels, double value) {
    out_ += name_;
    if (!labels.empty()) {
      out_ += '{';
      for (size_t i = 0; i < labels.size(); ++i)
        out_ += fmt::format("{}{}=\"{}\"", i ? "," : "", labels[i].first,
                            escape_label_value(labels[i].second));
      out_ += '}';
    }
    out_ += fmt::format(" {}\n", value);
  }

 private:
  std::string& out_;
  const char* name_;
};

std::string lower_verdict(check::Verdict v) {
  std::string s = check::verdict_name(v);
  for (auto& c : s) c = static_cast<char>(c - 'A' + 'a');
  return s;
}

constexpr check::Verdict kVerdicts[] = {check::Verdict::kPass, check::Verdict::kWarn,
                                        check::Verdict::kFail, check::Verdict::kSkip};

// The exposition format's escapes: backslash and newline, and in label values the quote.
std::string escape(std::string_view v, bool quote) {
  std::string o;
  o.reserve(v.size());
  for (const char c : v) {
    if (c == '\\')
      o += "\\\\";
    else if (quote && c == '"')
      o += "\\\"";
    else if (c == '\n')
      o += "\\n";
    else
      o += c;
  }
  return o;
}
}  // namespace

std::string escape_label_value(std::string_view v) { return escape(v, true); }

std::string escape_help(std::string_view v) { return escape(v, false); }

namespace {

// Every check's verdict (host and device checks) and the count per verdict.
void add_check_families(std::string& out, const std::vector<check::Report>& groups,
                        const FleetFacts& facts) {
  // Every verdict of every check as a 0/1 state set, so an alert on
  // verdict="fail" == 1 sees the series before and after a change.
  std::map<std::string, const DeviceReadiness*> by_bdf;
  for (const auto& d : facts.devices) by_bdf[d.bdf] = &d;
  unsigned counts[4] = {};
  Family host(out, "vfiokit_host_check",
              "Verdict of a host check of the last vfiokit check: 1 for its verdict, 0 for the "
              "others (docs/cli.md lists the checks).");
  for (const auto& g : groups) {
    if (g.subject != "host") continue;
    for (const auto& c : g.checks) {
      ++counts[static_cast<int>(c.verdict)];
      for (const check::Verdict v : kVerdicts)
        host.sample({{"check", c.id}, {"verdict", lower_verdict(v)}}, c.verdict == v);
    }
  }
  Family device(out, "vfiokit_device_check",
                "Verdict of a device check of the last vfiokit check: 1 for its verdict, 0 for "
                "the others; device is the PCI address, pci_id vendor:device, class the PCI "
                "class code.");
  for (const auto& g : groups) {
    if (g.subject == "host") continue;
    const DeviceReadiness* d = by_bdf.count(g.subject) ? by_bdf[g.subject] : nullptr;
    for (const auto& c : g.checks) {
      ++counts[static_cast<int>(c.verdict)];
      for (const check::Verdict v : kVerdicts)
        device.sample({{"check", c.id},
                       {"device", g.subject},
                       {"pci_id", d ? pci_id(*d) : ""},
                       {"class", d ? d->class_code : ""},
                       {"verdict", lower_verdict(v)}},
                      c.verdict == v);
    }
  }
  Family checks(out, "vfiokit_checks", "Number of checks per verdict in the last vfiokit check.");
  for (const check::Verdict v : kVerdicts)
    checks.sample({{"verdict", lower_verdict(v)}}, counts[static_cast<int>(v)]);
}

// The host's IOMMU, interrupt remapping and VFIO interfaces.
void add_host_families(std::string& out, const FleetFacts& facts) {
  Family iommu(out, "vfiokit_iommu_enabled",
               "1 when the IOMMU is on (host.iommu PASS), 0 when off; absent when unknown.");
  if (facts.iommu != "unknown") iommu.sample({}, facts.iommu == "on");
  Family ir(out, "vfiokit_interrupt_remapping_enabled",
            "1 when interrupt remapping is on (host.interrupt_remapping PASS), 0 otherwise.");
  ir.sample({}, facts.interrupt_remapping == "on");
  Family iommufd(out, "vfiokit_iommufd_available", "1 when /dev/iommu exists (host.dev_iommu).");
  iommufd.sample({}, facts.iommufd);
  Family backends(out, "vfiokit_vfio_interface_available",
                  "1 when the kernel offers this VFIO interface (host.vfio_backends): "
                  "container_type1, container_iommufd (iommufd's compat /dev/vfio/vfio), "
                  "iommufd, cdev (/dev/vfio/devices); absent when unknown.");
  if (facts.vfio_container != "unknown") {
    backends.sample({{"interface", "container_type1"}}, facts.vfio_container == "type1");
    backends.sample({{"interface", "container_iommufd"}}, facts.vfio_container == "iommufd-compat");
  }
  backends.sample({{"interface", "iommufd"}}, facts.iommufd);
  if (facts.vfio_cdev != "unknown")
    backends.sample({{"interface", "cdev"}}, facts.vfio_cdev == "true");
}

// Each device's passthrough readiness, and the counts per vendor:device.
void add_device_families(std::string& out, const FleetFacts& facts) {
  Family ready(out, "vfiokit_device_passthrough_ready",
               "1 when a checked device is passthrough-ready: its IOMMU group is viable, it has "
               "a reset method, no strict RMRR, no framebuffer on its BARs and every BAR placed "
               "(docs/fleet.md).");
  std::map<std::string, std::pair<unsigned, unsigned>> per_id;  // total, ready
  for (const auto& d : facts.devices) {
    ready.sample({{"device", d.bdf}, {"pci_id", pci_id(d)}, {"class", d.class_code}}, d.ready);
    auto& [total, ok] = per_id[pci_id(d)];
    ++total;
    ok += d.ready;
  }
  Family total(out, "vfiokit_pci_devices", "Number of checked devices per vendor:device.");
  for (const auto& [id, c] : per_id) total.sample({{"pci_id", id}}, c.first);
  Family ready_n(out, "vfiokit_pci_devices_passthrough_ready",
                 "Number of passthrough-ready devices per vendor:device.");
  for (const auto& [id, c] : per_id) ready_n.sample({{"pci_id", id}}, c.second);
}

}  // namespace

std::string prometheus_text(const std::vector<check::Report>& groups, const FleetFacts& facts,
                            std::string_view version, int64_t now_unix) {
  std::string out;
  Family(out, "vfiokit_build_info", "The vfiokit that wrote this file; always 1.")
      .sample({{"version", std::string(version)}}, 1);

  add_check_families(out, groups, facts);
  add_host_families(out, facts);
  add_device_families(out, facts);

  Family(out, "vfiokit_last_check_timestamp_seconds",
         "When vfiokit wrote this file (Unix time); alert when it grows old.")
      .sample({}, static_cast<double>(now_unix));
  return out;
}

}  // namespace vfiokit::host
