#include "tools/host/node_labels.hpp"

#include <fmt/format.h>

#include <ctime>

#include "vfiokit/vfio/error.hpp"

namespace vfiokit::host {
namespace {

constexpr size_t kNameMax = 63;
constexpr size_t kPrefixMax = 253;
constexpr size_t kNfdFileMax = 64 * 1024;  // nfd-worker ignores a larger feature file

bool alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// The name / value syntax: [A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?, 1-63 characters.
std::optional<std::string> name_error(std::string_view s, const char* what) {
  if (s.empty()) return fmt::format("the {} is empty", what);
  if (s.size() > kNameMax)
    return fmt::format("the {} '{}' has {} characters, more than {}", what, s, s.size(), kNameMax);
  if (!alnum(s.front()) || !alnum(s.back()))
    return fmt::format("the {} '{}' must begin and end with [A-Za-z0-9]", what, s);
  for (const char c : s)
    if (!alnum(c) && c != '-' && c != '_' && c != '.')
      return fmt::format("the {} '{}' has '{}': only [-A-Za-z0-9_.] are allowed", what, s, c);
  return std::nullopt;
}

// RFC 1123 subdomain: [a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*
std::optional<std::string> prefix_error(std::string_view p) {
  if (p.empty()) return "the prefix before '/' is empty";
  if (p.size() > kPrefixMax)
    return fmt::format("the prefix has {} characters, more than {}", p.size(), kPrefixMax);
  size_t start = 0;
  while (true) {
    const size_t dot = p.find('.', start);
    const std::string_view part =
        p.substr(start, dot == std::string_view::npos ? p.npos : dot - start);
    const auto low_alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
    if (part.empty() || !low_alnum(part.front()) || !low_alnum(part.back()))
      return fmt::format(
          "the prefix '{}' is not a DNS subdomain (each dot-separated part "
          "begins and ends with [a-z0-9])",
          p);
    for (const char c : part)
      if (!low_alnum(c) && c != '-')
        return fmt::format("the prefix '{}' has '{}': only [-a-z0-9.] are allowed", p, c);
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return std::nullopt;
}

bool in_namespace(std::string_view prefix, std::string_view ns) {
  return prefix == ns ||
         (prefix.size() > ns.size() && prefix.substr(prefix.size() - ns.size()) == ns &&
          prefix[prefix.size() - ns.size() - 1] == '.');
}

}  // namespace

std::optional<std::string> label_key_error(std::string_view key) {
  const size_t slash = key.find('/');
  if (slash == std::string_view::npos) return name_error(key, "name");
  if (key.find('/', slash + 1) != std::string_view::npos)
    return fmt::format("the key '{}' has more than one '/'", key);
  if (auto e = prefix_error(key.substr(0, slash))) return e;
  return name_error(key.substr(slash + 1), "name");
}

std::optional<std::string> label_value_error(std::string_view value) {
  if (value.empty()) return std::nullopt;
  return name_error(value, "value");
}

std::optional<std::string> nfd_label_key_error(std::string_view key) {
  if (auto e = label_key_error(key)) return e;
  const size_t slash = key.find('/');
  if (slash == std::string_view::npos)
    return fmt::format(
        "the key '{}' has no prefix: NFD would move it into "
        "feature.node.kubernetes.io/ (or drop it)",
        key);
  const std::string_view prefix = key.substr(0, slash);
  const bool allowed = in_namespace(prefix, "feature.node.kubernetes.io") ||
                       in_namespace(prefix, "profile.node.kubernetes.io");
  if (!allowed && (in_namespace(prefix, "kubernetes.io") || in_namespace(prefix, "k8s.io")))
    return fmt::format("the prefix '{}' is in a namespace nfd-master always denies", prefix);
  return std::nullopt;
}

std::map<std::string, std::string> node_labels(const FleetFacts& facts, std::string_view version) {
  const std::string p(kLabelPrefix);
  std::map<std::string, std::string> l;
  l[p + "iommu"] = facts.iommu;
  l[p + "iommu-mode"] = facts.iommu_mode;
  l[p + "interrupt-remapping"] = facts.interrupt_remapping;
  l[p + "iommufd"] = facts.iommufd ? "true" : "false";
  l[p + "vfio"] = facts.vfio ? "true" : "false";
  l[p + "vfio-container"] = facts.vfio_container;
  l[p + "vfio-cdev"] = facts.vfio_cdev;
  l[p + "version"] = std::string(version);
  struct Count {
    unsigned devices = 0, ready = 0, vfio = 0;
  };
  std::map<std::string, Count> per_id;
  unsigned ready = 0;
  for (const auto& d : facts.devices) {
    if (d.vendor.empty() || d.device.empty()) continue;
    Count& c = per_id[d.vendor + "_" + d.device];
    ++c.devices;
    c.ready += d.ready;
    c.vfio += d.on_vfio;
    ready += d.ready;
  }
  l[p + "passthrough-ready"] = std::to_string(ready);
  for (const auto& [id, c] : per_id) {
    l[p + "pci-" + id + ".devices"] = std::to_string(c.devices);
    l[p + "pci-" + id + ".ready"] = std::to_string(c.ready);
    l[p + "pci-" + id + ".vfio-pci"] = std::to_string(c.vfio);
  }
  return l;
}

std::string rfc3339_utc(int64_t unix) {
  const std::time_t t = static_cast<std::time_t>(unix);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string nfd_feature_file(const std::map<std::string, std::string>& labels, int64_t now_unix,
                             int64_t ttl_seconds, std::string_view version) {
  std::string out = fmt::format(
      "# vfiokit {} check at {}: node labels for Node Feature Discovery (docs/fleet.md).\n"
      "# nfd-worker ignores this file's labels after the expiry time, so a node whose\n"
      "# vfiokit stopped running loses them.\n"
      "# +expiry-time={}\n",
      version, rfc3339_utc(now_unix), rfc3339_utc(now_unix + ttl_seconds));
  for (const auto& [k, v] : labels) {
    if (auto e = nfd_label_key_error(k)) throw Error("write NFD label", k, 0, *e);
    if (auto e = label_value_error(v)) throw Error("write NFD label", k + "=" + v, 0, *e);
    out += k + "=" + v + "\n";
  }
  if (out.size() > kNfdFileMax)
    throw Error("write NFD feature file", fmt::format("{} bytes", out.size()), 0,
                "nfd-worker ignores feature files over 64 KiB: check fewer devices");
  return out;
}

}  // namespace vfiokit::host
