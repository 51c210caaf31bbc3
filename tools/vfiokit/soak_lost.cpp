#include "tools/vfiokit/soak_lost.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <optional>

#include "pci/device_facts.hpp"
#include "vfiokit/vfio/error.hpp"

namespace vfiokit::cli {

std::string not_answering(const ConfigSpace& config) {
  // A read nothing answers completes as all ones: a vendor ID of 0xffff is no device.
  if (config.vendor_id() == 0xffff) return "config space reads 0xffff";
  if (config.device_id() == 0xffff) return "its device ID reads 0xffff";
  return "";
}

std::string not_answering_now(const host::HostFs& fs, const std::string& bdf) {
  if (!fs.sysfs().has_device(bdf)) return "it is no longer in sysfs";
  const ConfigSpace config = pci::read_config(fs.sysfs(), bdf);
  if (config.size() < 4) return "its config space cannot be read";
  return not_answering(config);
}

std::string lost_summary(const std::string& method, unsigned cycle, const std::string& what) {
  return fmt::format(
      "device stopped answering at cycle {} of {}: {}; it was removed or its link is down", cycle,
      method, what);
}

std::string lost_device_hint(const host::HostFs& fs, const host::Journal& journal,
                             const std::string& bdf) {
  std::optional<host::JournalEntry> entry;
  try {
    for (const auto& e : journal.load())
      if (e.bdf == bdf) entry = e;
  } catch (const Error& e) {
    return fmt::format(
        "the journal could not be read ({}); once the device is back, "
        "'vfiokit restore' returns it to its original driver",
        e.what());
  }
  const std::string gone = not_answering_now(fs, bdf);
  if (!entry || !entry->driver || *entry->driver == "vfio-pci")
    return gone.empty() ? "it answers again; the journal records no host driver for it, so "
                          "there is nothing to restore"
                        : fmt::format(
                              "it is still gone ({}); the journal records no host "
                              "driver for it, so there is nothing to restore",
                              gone);
  const std::string& original = *entry->driver;
  if (!gone.empty())
    return fmt::format(
        "it is still gone ({}): the journal keeps its entry (original driver {}); once it is "
        "back (re-plugged; after a link-down, enumerated afresh: echo 1 > "
        "/sys/bus/pci/devices/{}/remove, then echo 1 > /sys/bus/pci/rescan), 'vfiokit restore' "
        "returns it to {}",
        gone, original, bdf, original);
  const auto now = fs.sysfs().driver(bdf);
  if (now == original)
    return fmt::format(
        "it is back on {}, its original driver: 'vfiokit restore' drops its "
        "journal entry",
        original);
  return fmt::format(
      "it answers again, on {}: 'vfiokit restore' returns it to {}, its "
      "original driver",
      now.value_or("no driver"), original);
}

#ifdef VFIOKIT_TEST_HOOKS
void run_soak_at_hook(const std::string& method, unsigned cycle) {
  const char* env = std::getenv("VFIOKIT_TEST_SOAK_AT");
  const std::string at = fmt::format("{}:{}:", method, cycle);
  if (!env || std::string(env).rfind(at, 0) != 0) return;
  const std::string command = std::string(env).substr(at.size());
  // NOLINTNEXTLINE(cert-env33-c): a test-only hook; the command is the test's own.
  const int status = std::system(command.c_str());
  std::fprintf(stderr,
               "vfiokit soak: VFIOKIT_TEST_SOAK_AT ran '%s' as %s cycle %u began: status %d\n",
               command.c_str(), method.c_str(), cycle, status);
}
#endif

}  // namespace vfiokit::cli
