// The guest check's JSON: the report document every vfiokit program that judges
// prints (check/check.hpp, docs/schema/report.schema.json) with the bench schema's
// "context" and "benchmarks" beside it, which the regression gate (bench/gate.py) reads.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "guest-tests/checks.hpp"
#include "guest-tests/cuda_samples.hpp"
#include "guest-tests/nvidia.hpp"
#include "pci/device_facts.hpp"

namespace vfiokit::guest {

/// Everything one run of the guest check found about one device.
struct DeviceReport {
  pci::DeviceFacts facts;
  std::optional<std::string> nvidia_module;
  std::optional<SmiReport> smi;
  std::vector<SampleOutput> samples;
};

/// The facts of a device as JSON (context.devices[] entries).
nlohmann::json device_json(const DeviceReport& d);

/// Benchmarks of one device: every timed sample result as cuda/<sample>/<result>
/// (cuda/<bdf>/... when `prefix_bdf`), with Google Benchmark's real_time (us per
/// iteration) for bench/gate.py plus value/unit; an unverified result is marked
/// error_occurred. The link budget lives in context.devices[].link.
nlohmann::json device_benchmarks(const DeviceReport& d, bool prefix_bdf);

/// The whole document: check::document("guest-check", reports) plus "context"
/// (`context` merged into the generated one: date, host, kernel, devices) and
/// "benchmarks".
nlohmann::json make_report(const std::vector<DeviceReport>& devices,
                           const std::vector<check::Report>& reports, nlohmann::json context);

}  // namespace vfiokit::guest
