// vfiokit: passthrough readiness, safe binding and the VFIO ownership proof.
// See docs/cli.md and docs/vfiokit.1.
//
// The CLI is a table of subcommands (kSubcommands): each entry adds its options to CLI11
// and runs; main builds the app, adds each entry in table order (the order --help lists
// them), parses, and runs the one entry that was given.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "check/stdout_guard.hpp"
#include "tools/vfiokit/commands.hpp"
#include "vfiokit/version.hpp"
#include "vfiokit/vfio/error.hpp"

namespace {

using namespace vfiokit::cli;

constexpr const char* kBackends =
    "auto, container, container-type1, iommufd, iommufd-compat or iommufd-compat-type1";

/// Where the subcommands' options land: one field set per subcommand (only one runs).
struct Invocation {
  std::string bdf;
  CheckOptions check;
  bool bind_group = false, force = false;
  std::string backend = "auto";  ///< probe and info
  ProbeOptions probe;
  bool probe_reset = false, probe_no_reset = false;
  bool iommu_tables = false;
  SoakOptions soak;
  std::vector<std::string> trace_command;
};

/// One subcommand: its name and help, the options it adds, and what it runs.
struct Subcommand {
  const char* name;
  const char* help;
  void (*add_options)(CLI::App& sub, Invocation& in);
  int (*run)(const GlobalOptions& g, Invocation& in);
};

std::string backend_help() { return std::string("IOMMU backend: ") + kBackends; }

void add_no_options(CLI::App& /*sub*/, Invocation& /*in*/) {}

void add_check_options(CLI::App& sub, Invocation& in) {
  sub.add_option("BDF", in.check.bdfs, "Devices to check (e.g. 0000:01:00.0 or 01:00.0)");
  sub.add_flag("--all", in.check.all, "Also check every PCI device that is not a bridge");
  sub.add_option("--nfd", in.check.nfd,
                 "Write node labels as a Node Feature Discovery feature file (e.g. "
                 "/etc/kubernetes/node-feature-discovery/features.d/vfiokit), atomically");
  sub.add_option("--nfd-ttl", in.check.nfd_ttl,
                 "Seconds until NFD drops the labels unless vfiokit rewrites the file")
      ->check(CLI::Range(60L, 31L * 24 * 3600))
      ->capture_default_str();
  sub.add_option("--prometheus", in.check.prometheus,
                 "Write metrics for node_exporter's textfile collector (a *.prom file), "
                 "atomically");
}

void add_bind_options(CLI::App& sub, Invocation& in) {
  sub.add_option("BDF", in.bdf, "Device to bind")->required();
  sub.add_flag("--group", in.bind_group, "Also bind its IOMMU group companions (bridges excepted)");
  sub.add_flag("--force", in.force,
               "Bind even if in use by something that holds no data (interface up, open GPU node, "
               "VFs, boot VGA, framebuffer); a mounted, swap, RAID/LVM or held-open disk is "
               "refused regardless");
}

void add_unbind_options(CLI::App& sub, Invocation& in) {
  sub.add_option("BDF", in.bdf, "Device to unbind")->required();
}

void add_probe_options(CLI::App& sub, Invocation& in) {
  sub.add_option("BDF", in.bdf, "Device (bound to vfio-pci)")->required();
  sub.add_option("--backend", in.backend, backend_help())->capture_default_str();
  sub.add_flag("--allow-write", in.probe.allow_write,
               "Also run steps that write the device's storage (NVMe: the DMA round trip "
               "through the last LBAs of the namespace, whose data it destroys)");
  sub.add_option("--isolation-bytes", in.probe.isolation_bytes)->group("");
  auto* reset_flag = sub.add_flag(
      "--reset", in.probe_reset,
      "Also reset display devices (class 03), whose reset bugs can wedge a GPU until reboot");
  sub.add_flag("--no-reset", in.probe_no_reset, "Skip the reset step on every device")
      ->excludes(reset_flag);
  sub.add_option("--vf-token", in.probe.vf_token,
                 "An SR-IOV VF's token (UUID), set by the owner of its PF on vfio-pci");
}

void add_info_options(CLI::App& sub, Invocation& in) {
  sub.add_option("BDF", in.bdf, "Device (bound to vfio-pci)")->required();
  sub.add_flag("--iommu-tables", in.iommu_tables,
               "Map buffers and check the IOMMU's own page table of the device against them "
               "(Intel VT-d debugfs)");
  sub.add_option("--backend", in.backend, backend_help())->capture_default_str();
}

void add_soak_options(CLI::App& sub, Invocation& in) {
  sub.add_option("BDF", in.bdf, "Device (bound to vfio-pci)")->required();
  sub.add_option("--cycles", in.soak.cycles, "Resets per method (overnight: 1000)")
      ->check(CLI::Range(1u, 1000000u))
      ->capture_default_str();
  sub.add_option("--methods", in.soak.methods,
                 "Only these methods (flr, pm, bus, device_specific, hot-reset, rebind, ...)")
      ->delimiter(',');
  sub.add_option("--backend", in.soak.backend, backend_help())->capture_default_str();
  sub.add_flag("--allow-write", in.soak.allow_write,
               "NVMe: prove DMA with the copy through the namespace's last LBAs (destroys them)");
  sub.add_flag("--rebind", in.soak.rebind,
               "Also hand it to its host driver (the journal's) and take it back, N times");
  sub.add_flag("--force", in.soak.force,
               "Soak a display device (class 03) too, whose reset bugs can need a reboot");
}

void add_trace_options(CLI::App& sub, Invocation& in) {
  sub.add_option("COMMAND", in.trace_command, "The command and its arguments, after --")
      ->required()
      ->expected(1, -1);
}

int run_probe_command(const GlobalOptions& g, Invocation& in) {
  in.probe.backend = in.backend;
  if (in.probe_reset) in.probe.reset = vfiokit::proof::ResetPolicy::kAlways;
  if (in.probe_no_reset) in.probe.reset = vfiokit::proof::ResetPolicy::kNever;
  return run_probe(g, in.bdf, in.probe);
}

int run_info_command(const GlobalOptions& g, Invocation& in) {
  return in.iommu_tables ? run_iommu_tables(g, in.bdf, in.backend)
                         : run_info(g, in.bdf, in.backend);
}

// In --help's order.
const Subcommand kSubcommands[] = {
    {"list",
     "Every PCI device by IOMMU group, with names, driver and whether the group is viable for "
     "VFIO",
     add_no_options, [](const GlobalOptions& g, Invocation&) { return run_list(g); }},
    {"check",
     "Host checks, then per-device checks: PASS/WARN/FAIL/SKIP with a hint each. Exit 0 all "
     "pass, 1 a WARN, 2 a FAIL",
     add_check_options,
     [](const GlobalOptions& g, Invocation& in) { return run_check(g, in.check); }},
    {"bind",
     "Bind a device to vfio-pci (driver_override + drivers_probe), journaling its original "
     "driver first; refuses a device in use unless --force",
     add_bind_options,
     [](const GlobalOptions& g, Invocation& in) {
       return run_bind(g, in.bdf, in.bind_group, in.force);
     }},
    {"unbind", "Give a device back: to its journaled original driver, else to the kernel",
     add_unbind_options,
     [](const GlobalOptions& g, Invocation& in) { return run_unbind(g, in.bdf); }},
    {"restore",
     "Put every journaled device back to its original driver and driver_override (also after "
     "a killed bind)",
     add_no_options, [](const GlobalOptions& g, Invocation&) { return run_restore(g); }},
    {"probe",
     "Ownership proof: open through VFIO, map and read BARs, read config space, map DMA, "
     "enable interrupts, reset; with a vfiokit driver also a DMA round trip, an interrupt and "
     "the IOMMU isolation check",
     add_probe_options, run_probe_command},
    {"info",
     "Regions, IRQs, IOVA ranges, IOMMU hw info, resets and decoded config capabilities of a "
     "device opened through VFIO",
     add_info_options, run_info_command},
    {"soak",
     "Cycle a device through each reset method it offers (and a hot reset), N times each; "
     "after every reset check config space and prove DMA and an interrupt again",
     add_soak_options,
     [](const GlobalOptions& g, Invocation& in) { return run_soak(g, in.bdf, in.soak); }},
    {"trace",
     "Run COMMAND and show what the IOMMU was asked to map and unmap, which devices were "
     "attached and the faults it reported (kernel iommu trace events, a private tracefs "
     "instance); exits with COMMAND's status",
     add_trace_options,
     [](const GlobalOptions& g, Invocation& in) { return run_trace(g, in.trace_command); }},
};

/// The app with its description and global options (before any subcommand, which inherits
/// fallthrough when added).
void add_global_options(CLI::App& app, GlobalOptions& g, bool& no_color) {
  app.set_version_flag("--version", std::string("vfiokit ") + vfiokit::kVersion);
  app.require_subcommand(1);
  // Global options are accepted after the subcommand too (`vfiokit check --json BDF`),
  // where users put them (kubectl get -o json, lspci -s BDF -vvv).
  app.fallthrough();
  app.add_flag("--json", g.json, "Print JSON (schemas in docs/schema/, each with schema_version)");
  app.add_flag("--no-color", no_color, "No colour even on a terminal (NO_COLOR also works)");
  app.add_option("--state-dir", g.state_dir,
                 "Directory of the bind journal (default $VFIOKIT_STATE_DIR or /var/lib/vfiokit)");
  // Hidden (empty group): tests and chroot inspection.
  app.add_option("--root", g.root, "Directory that plays / (fixture trees)")->group("");
  app.add_option("--pci-ids", g.pci_ids, "pci.ids file for names")->group("");
}

/// Parses argv; the exit status when it asked for help/version (0) or was wrong (64).
std::optional<int> parse(CLI::App& app, int argc, char** argv) {
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
  return std::nullopt;
}

/// Runs `sub`; an error it throws is reported (stderr, and JSON on stdout with --json) as
/// exit status 3.
int run_reporting_errors(const Subcommand& sub, const GlobalOptions& g, Invocation& in) {
  try {
    return sub.run(g, in);
  } catch (const vfiokit::Error& e) {
    if (g.json)
      print_json({{"schema_version", 1},
                  {"command", sub.name},
                  {"error",
                   {{"operation", e.operation()},
                    {"object", e.object()},
                    {"errno", e.error_code()},
                    {"hint", e.hint()},
                    {"message", e.what()}}}});
    std::fprintf(stderr, "vfiokit %s: %s\n", sub.name, e.what());
    return vfiokit::check::kExitCouldNotRun;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vfiokit %s: %s\n", sub.name, e.what());
    return vfiokit::check::kExitCouldNotRun;
  }
}

}  // namespace

int main(int argc, char** argv) {
  vfiokit::check::exit_could_not_run_when_stdout_is_lost("vfiokit");
  CLI::App app{
      "vfiokit: check a host for VFIO passthrough, bind devices to vfio-pci safely, and prove "
      "userspace ownership of a device (BARs, DMA, interrupts, isolation).\n"
      "Exit status: 0 ok; 1 a check or probe step WARNed; 2 a check or probe step FAILed, or a "
      "device was not bound/restored; 3 the command could not run (bad device, device in use, "
      "permission); 64 usage error.",
      "vfiokit"};
  GlobalOptions g;
  bool no_color = false;
  add_global_options(app, g, no_color);
  Invocation in;
  std::vector<std::pair<const Subcommand*, CLI::App*>> added;
  for (const Subcommand& sub : kSubcommands) {
    CLI::App* cli = app.add_subcommand(sub.name, sub.help);
    sub.add_options(*cli, in);
    added.emplace_back(&sub, cli);
  }
  if (const std::optional<int> status = parse(app, argc, argv)) return *status;
  g.color = !g.json && !no_color && !std::getenv("NO_COLOR") && isatty(STDOUT_FILENO);
  for (const auto& [sub, cli] : added)
    if (cli->parsed()) return run_reporting_errors(*sub, g, in);
  return vfiokit::check::kExitUsage;  // unreachable: require_subcommand(1)
}
