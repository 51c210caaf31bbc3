// vfiokit: passthrough readiness, safe binding and the VFIO ownership proof.
// See docs/cli.md and docs/vfiokit.1.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>

#include "check/stdout_guard.hpp"
#include "tools/vfiokit/commands.hpp"
#include "vfiokit/version.hpp"
#include "vfiokit/vfio/error.hpp"

namespace {

constexpr const char* kBackends = "auto, container, container-type1 or iommufd";

}  // namespace

int main(int argc, char** argv) {
  vfiokit::check::exit_could_not_run_when_stdout_is_lost("vfiokit");
  using namespace vfiokit::cli;
  CLI::App app{
      "vfiokit: check a host for VFIO passthrough, bind devices to vfio-pci safely, and prove "
      "userspace ownership of a device (BARs, DMA, interrupts, isolation).\n"
      "Exit status: 0 ok; 1 a check or probe step WARNed; 2 a check or probe step FAILed, or a "
      "device was not bound/restored; 3 the command could not run (bad device, device in use, "
      "permission); 64 usage error.",
      "vfiokit"};
  app.set_version_flag("--version", std::string("vfiokit ") + vfiokit::kVersion);
  app.require_subcommand(1);
  // Global options are accepted after the subcommand too (`vfiokit check --json BDF`),
  // where users put them (kubectl get -o json, lspci -s BDF -vvv).
  app.fallthrough();

  GlobalOptions g;
  bool no_color = false;
  app.add_flag("--json", g.json, "Print JSON (schemas in docs/schema/, each with schema_version)");
  app.add_flag("--no-color", no_color, "No colour even on a terminal (NO_COLOR also works)");
  app.add_option("--state-dir", g.state_dir,
                 "Directory of the bind journal (default $VFIOKIT_STATE_DIR or /var/lib/vfiokit)");
  // Hidden (empty group): tests and chroot inspection.
  app.add_option("--root", g.root, "Directory that plays / (fixture trees)")->group("");
  app.add_option("--pci-ids", g.pci_ids, "pci.ids file for names")->group("");

  auto* list = app.add_subcommand("list",
                                  "Every PCI device by IOMMU group, with names, driver and "
                                  "whether the group is viable for VFIO");

  CheckOptions check_opts;
  auto* check = app.add_subcommand(
      "check",
      "Host checks, then per-device checks: PASS/WARN/FAIL/SKIP with a hint each. "
      "Exit 0 all pass, 1 a WARN, 2 a FAIL");
  check->add_option("BDF", check_opts.bdfs, "Devices to check (e.g. 0000:01:00.0 or 01:00.0)");
  check->add_flag("--all", check_opts.all, "Also check every PCI device that is not a bridge");
  check->add_option("--nfd", check_opts.nfd,
                    "Write node labels as a Node Feature Discovery feature file (e.g. "
                    "/etc/kubernetes/node-feature-discovery/features.d/vfiokit), atomically");
  check
      ->add_option("--nfd-ttl", check_opts.nfd_ttl,
                   "Seconds until NFD drops the labels unless vfiokit rewrites the file")
      ->check(CLI::Range(60L, 31L * 24 * 3600))
      ->capture_default_str();
  check->add_option("--prometheus", check_opts.prometheus,
                    "Write metrics for node_exporter's textfile collector (a *.prom file), "
                    "atomically");

  std::string bdf;
  bool bind_group = false, force = false;
  auto* bind = app.add_subcommand(
      "bind",
      "Bind a device to vfio-pci (driver_override + drivers_probe), journaling its "
      "original driver first; refuses a device in use unless --force");
  bind->add_option("BDF", bdf, "Device to bind")->required();
  bind->add_flag("--group", bind_group, "Also bind its IOMMU group companions (bridges excepted)");
  bind->add_flag(
      "--force", force,
      "Bind even if in use by something that holds no data (interface up, open GPU node, "
      "VFs, boot VGA, framebuffer); a mounted, swap, RAID/LVM or held-open disk is refused "
      "regardless");

  auto* unbind = app.add_subcommand(
      "unbind", "Give a device back: to its journaled original driver, else to the kernel");
  unbind->add_option("BDF", bdf, "Device to unbind")->required();

  app.add_subcommand("restore",
                     "Put every journaled device back to its original driver and "
                     "driver_override (also after a killed bind)");

  std::string backend = "auto";
  auto* probe = app.add_subcommand(
      "probe",
      "Ownership proof: open through VFIO, map and read BARs, read config space, map "
      "DMA, enable interrupts, reset; with a vfiokit driver also a DMA round trip, an "
      "interrupt and the IOMMU isolation check");
  probe->add_option("BDF", bdf, "Device (bound to vfio-pci)")->required();
  probe->add_option("--backend", backend, std::string("IOMMU backend: ") + kBackends)
      ->capture_default_str();
  ProbeOptions probe_opts;
  probe->add_flag("--allow-write", probe_opts.allow_write,
                  "Also run steps that write the device's storage (NVMe: the DMA round trip "
                  "through the last LBAs of the namespace, whose data it destroys)");
  probe->add_option("--isolation-bytes", probe_opts.isolation_bytes)->group("");
  bool probe_reset = false, probe_no_reset = false;
  auto* reset_flag = probe->add_flag(
      "--reset", probe_reset,
      "Also reset display devices (class 03), whose reset bugs can wedge a GPU until reboot");
  probe->add_flag("--no-reset", probe_no_reset, "Skip the reset step on every device")
      ->excludes(reset_flag);

  auto* info = app.add_subcommand(
      "info",
      "Regions, IRQs, IOVA ranges, IOMMU hw info, resets and decoded config capabilities "
      "of a device opened through VFIO");
  info->add_option("BDF", bdf, "Device (bound to vfio-pci)")->required();
  bool iommu_tables = false;
  info->add_flag("--iommu-tables", iommu_tables,
                 "Map buffers and check the IOMMU's own page table of the device against them "
                 "(Intel VT-d debugfs)");
  info->add_option("--backend", backend, std::string("IOMMU backend: ") + kBackends)
      ->capture_default_str();

  SoakOptions soak_opts;
  auto* soak = app.add_subcommand(
      "soak",
      "Cycle a device through each reset method it offers (and a hot reset), N times each; "
      "after every reset check config space and prove DMA and an interrupt again");
  soak->add_option("BDF", bdf, "Device (bound to vfio-pci)")->required();
  soak->add_option("--cycles", soak_opts.cycles, "Resets per method (overnight: 1000)")
      ->check(CLI::Range(1u, 1000000u))
      ->capture_default_str();
  soak->add_option("--methods", soak_opts.methods,
                   "Only these methods (flr, pm, bus, device_specific, hot-reset, rebind, ...)")
      ->delimiter(',');
  soak->add_option("--backend", soak_opts.backend, std::string("IOMMU backend: ") + kBackends)
      ->capture_default_str();
  soak->add_flag("--allow-write", soak_opts.allow_write,
                 "NVMe: prove DMA with the copy through the namespace's last LBAs (destroys them)");
  soak->add_flag("--rebind", soak_opts.rebind,
                 "Also hand it to its host driver (the journal's) and take it back, N times");
  soak->add_flag("--force", soak_opts.force,
                 "Soak a display device (class 03) too, whose reset bugs can need a reboot");

  std::vector<std::string> trace_command;
  auto* trace = app.add_subcommand(
      "trace",
      "Run COMMAND and show what the IOMMU was asked to map and unmap, which devices were "
      "attached and the faults it reported (kernel iommu trace events, a private tracefs "
      "instance); exits with COMMAND's status");
  trace->add_option("COMMAND", trace_command, "The command and its arguments, after --")
      ->required()
      ->expected(1, -1);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return vfiokit::check::kExitUsage;
  }
  g.color = !g.json && !no_color && !std::getenv("NO_COLOR") && isatty(STDOUT_FILENO);

  const std::string command = app.get_subcommands().front()->get_name();
  try {
    if (list->parsed()) return run_list(g);
    if (check->parsed()) return run_check(g, check_opts);
    if (bind->parsed()) return run_bind(g, bdf, bind_group, force);
    if (unbind->parsed()) return run_unbind(g, bdf);
    if (probe->parsed()) {
      probe_opts.backend = backend;
      if (probe_reset) probe_opts.reset = vfiokit::proof::ResetPolicy::kAlways;
      if (probe_no_reset) probe_opts.reset = vfiokit::proof::ResetPolicy::kNever;
      return run_probe(g, bdf, probe_opts);
    }
    if (info->parsed())
      return iommu_tables ? run_iommu_tables(g, bdf, backend) : run_info(g, bdf, backend);
    if (trace->parsed()) return run_trace(g, trace_command);
    if (soak->parsed()) return run_soak(g, bdf, soak_opts);
    return run_restore(g);
  } catch (const vfiokit::Error& e) {
    if (g.json)
      print_json({{"schema_version", 1},
                  {"command", command},
                  {"error",
                   {{"operation", e.operation()},
                    {"object", e.object()},
                    {"errno", e.error_code()},
                    {"hint", e.hint()},
                    {"message", e.what()}}}});
    std::fprintf(stderr, "vfiokit %s: %s\n", command.c_str(), e.what());
    return vfiokit::check::kExitCouldNotRun;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vfiokit %s: %s\n", command.c_str(), e.what());
    return vfiokit::check::kExitCouldNotRun;
  }
}
