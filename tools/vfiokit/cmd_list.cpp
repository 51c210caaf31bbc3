// `vfiokit list`.
#include <fmt/format.h>

#include "tools/host/inventory.hpp"
#include "tools/vfiokit/commands.hpp"

namespace vfiokit::cli {

int run_list(const GlobalOptions& g) {
  const host::HostFs fs(g.root);
  const PciNames names(g.pci_ids);
  const auto groups = host::inventory(fs, names);
  if (g.json) {
    print_json(host::to_json(groups));
    return check::kExitOk;
  }
  const Painter p(g.color);
  if (groups.empty()) {
    std::printf("no PCI devices under %s\n", (fs.root() / "sys/bus/pci/devices").c_str());
    return check::kExitOk;
  }
  Table t;
  t.add({p.bold("GROUP"), p.bold("BDF"), p.bold("IDS"), p.bold("CLASS"), p.bold("DEVICE"),
         p.bold("DRIVER"), p.bold("VFIO")});
  for (const auto& grp : groups) {
    bool first = true;
    for (const auto& d : grp.devices) {
      std::string name = d.vendor_name.empty() && d.device_name.empty()
                             ? "?"
                             : fmt::format("{} {}", d.vendor_name, d.device_name);
      const std::string group_cell = !first          ? ""
                                     : grp.group < 0 ? p.dim("none")
                                                     : std::to_string(grp.group);
      std::string viable;
      if (first)
        viable = grp.group < 0 ? p.red("no group")
                 : grp.viable  ? p.green("viable")
                               : p.yellow("not viable");
      t.add({group_cell, d.bdf, fmt::format("{:04x}:{:04x}", d.vendor, d.device),
             d.class_name.empty() ? fmt::format("{:06x}", d.class_code) : d.class_name, name,
             d.driver ? (d.allows_vfio ? *d.driver : p.yellow(*d.driver)) : p.dim("-"), viable});
      first = false;
    }
  }
  t.print(stdout);
  return check::kExitOk;
}

}  // namespace vfiokit::cli
