// Kubernetes node labels from a node's fleet facts, and the Node Feature
// Discovery local feature file that carries them (nfd-worker reads
// /etc/kubernetes/node-feature-discovery/features.d/; docs/fleet.md).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "tools/host/fleet_facts.hpp"

namespace vfiokit::host {

/// The label namespace of every label vfiokit emits.
inline constexpr std::string_view kLabelPrefix = "vfiokit.io/";

/// Why `key` is not a valid Kubernetes label key, or nullopt when it is:
/// `[prefix/]name`, prefix a DNS subdomain (RFC 1123, at most 253 characters),
/// name 1-63 characters of `[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?`.
std::optional<std::string> label_key_error(std::string_view key);
/// Why `value` is not a valid label value, or nullopt: empty, or at most 63
/// characters of the name syntax.
std::optional<std::string> label_value_error(std::string_view value);
/// label_key_error, and what nfd-master adds: a prefix is required (unprefixed
/// names get feature.node.kubernetes.io/ or, with DisableAutoPrefix, are dropped)
/// and kubernetes.io / k8s.io namespaces other than feature.node.kubernetes.io and
/// profile.node.kubernetes.io are always denied.
std::optional<std::string> nfd_label_key_error(std::string_view key);

/// Every label vfiokit emits for `facts` (docs/fleet.md lists them):
/// vfiokit.io/{iommu,iommu-mode,interrupt-remapping,iommufd,vfio,version,
/// passthrough-ready} and per vendor:device vfiokit.io/pci-VVVV_DDDD.{devices,ready,vfio-pci}.
std::map<std::string, std::string> node_labels(const FleetFacts& facts, std::string_view version);

/// An NFD feature file: a comment naming vfiokit, `# +expiry-time=` (RFC 3339,
/// UTC) `ttl_seconds` after `now_unix`, then `key=value` lines. Throws
/// vfiokit::Error if a label is invalid or the file exceeds NFD's 64 KiB limit.
std::string nfd_feature_file(const std::map<std::string, std::string>& labels, int64_t now_unix,
                             int64_t ttl_seconds, std::string_view version);

/// `unix` as RFC 3339 UTC, "2026-12-01T00:10:00Z".
std::string rfc3339_utc(int64_t unix);

}  // namespace vfiokit::host
