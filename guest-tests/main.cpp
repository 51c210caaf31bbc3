// vfiokit-guest-check: validates a device passed through to this guest (or on
// bare metal): identity, driver, BARs, MSI-X, PCIe link and its limits; for an
// NVIDIA GPU also the driver, nvidia-smi and the CUDA samples. Prints one report per
// device (check/check.hpp) and writes its JSON, with the bench schema's context and
// benchmarks for a regression gate. Exit status: docs/cli.md (one table for every program).
#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "check/check.hpp"
#include "guest-tests/checks.hpp"
#include "guest-tests/cuda_samples.hpp"
#include "guest-tests/device_selector.hpp"
#include "pci/link_budget.hpp"
#include "guest-tests/nvidia.hpp"
#include "guest-tests/output_file.hpp"
#include "guest-tests/report.hpp"
#include "guest-tests/subprocess.hpp"
#include "vfio/pci_names.hpp"
#include "vfiokit/version.hpp"
#include "vfiokit/vfio/error.hpp"

namespace fs = std::filesystem;
using namespace vfiokit;
using namespace vfiokit::guest;

namespace {

// Where the samples live when --samples-dir is not given: beside this program
// (an install), or in the build tree's cuda-bin/ next to bin/.
fs::path default_samples_dir() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return ".";
  const fs::path here = exe.parent_path();
  for (const fs::path& d :
       {here, here.parent_path() / "cuda-bin", here.parent_path() / "libexec/vfiokit"})
    if (fs::exists(d / "vfiokit-cuda-bandwidth", ec)) return d;
  return here.parent_path() / "cuda-bin";
}

// After SIGINT/SIGTERM: the running program's group is already killed (ProcessRunner);
// say so and exit like the signal, writing no report (it would be partial).
int stopped_by(int sig) {
  std::fprintf(stderr,
               "vfiokit-guest-check: stopped by signal %d (%s); the program it was running, if "
               "any, was killed with its children; no report written\n",
               sig,
               sig == SIGINT    ? "SIGINT"
               : sig == SIGTERM ? "SIGTERM"
                                : "signal");
  return 128 + sig;
}

// What the command line asked for.
struct Options {
  std::string root = "/";
  std::vector<std::string> selectors;
  std::string expect_driver, expect_link, json_path, samples_dir, samples_from, save_samples,
      nvidia_smi = "nvidia-smi", pci_ids;
  bool no_cuda = false, quick = false;
  int sample_timeout = 600;
  CheckOptions opt;
};

void add_options(CLI::App& app, Options& o) {
  app.set_version_flag("--version", std::string("vfiokit-guest-check ") + vfiokit::kVersion);
  app.add_option("--root", o.root, "directory that plays / (fixture trees, chroots)")
      ->capture_default_str();
  app.add_option("-d,--device", o.selectors,
                 "BDF (01:00.0) or vendor:device (10de:2331); default: every NVIDIA GPU");
  app.add_option("--expect-driver", o.expect_driver, "FAIL unless this driver is bound");
  app.add_option("--expect-link", o.expect_link,
                 "FAIL unless the link trains at least this (gen5x16)");
  app.add_option("--min-h2d-gbs", o.opt.min_h2d_gbs, "FAIL below this pinned H2D bandwidth (GB/s)");
  app.add_option("--min-d2h-gbs", o.opt.min_d2h_gbs, "FAIL below this pinned D2H bandwidth (GB/s)");
  app.add_option("--min-membw-gbs", o.opt.min_membw_gbs,
                 "FAIL below this device-memory triad bandwidth");
  app.add_option("--link-fraction", o.opt.link_fraction,
                 "WARN when pinned copies reach less than this share of the link's practical limit")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--max-launch-us", o.opt.max_launch_us,
                 "WARN above this empty-kernel launch+sync time")
      ->capture_default_str();
  app.add_option("--jobs", o.opt.jobs, "parallel jobs for the concurrency sample")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  app.add_flag("--no-cuda", o.no_cuda,
               "skip nvidia-smi and running the CUDA samples (--samples-from still judges)");
  app.add_flag("--quick", o.quick, "pass --quick to the samples (smaller sizes, fewer iterations)");
  app.add_option("--samples-dir", o.samples_dir, "where the vfiokit-cuda-* programs are");
  app.add_option("--samples-from", o.samples_from,
                 "judge saved sample outputs (<dir>/<sample>.json) instead of running the samples");
  app.add_option("--save-samples", o.save_samples,
                 "save each sample's JSON as <dir>/<sample>.json");
  app.add_option("--sample-timeout", o.sample_timeout, "seconds each sample may run")
      ->capture_default_str();
  app.add_option("--nvidia-smi", o.nvidia_smi, "nvidia-smi program")->capture_default_str();
  app.add_option("--pci-ids", o.pci_ids, "pci.ids file for names (default: libpci's)");
  app.add_option("--json", o.json_path,
                 "write the report JSON (docs/schema/report.schema.json, with the bench "
                 "schema's context and benchmarks) here ('-' = stdout)");
  // Before the one exit contract, WARN exited 0 unless --strict; it exits 1 now, and
  // --strict stays accepted (hidden) so that scripts that pass it keep working.
  app.add_flag("--strict")->description("no effect: a WARN always exits 1")->group("");
  app.footer(
      "Exit status: 0 every check PASS or SKIP; 1 a WARN; 2 a FAIL; 3 could not run (no such "
      "device tree, nothing to check, unwritable --json or --save-samples); 64 usage error; "
      "128+N stopped by signal N (SIGINT, SIGTERM).");
}

// The BDFs to check: those the selectors name, else every NVIDIA GPU.
std::vector<std::string> choose_devices(const Sysfs& sysfs, const Options& o) {
  if (!fs::is_directory(fs::path(o.root) / "sys/bus/pci/devices"))
    throw_error("read PCI devices", (fs::path(o.root) / "sys/bus/pci/devices").string(), ENOENT,
                "mount sysfs, or pass --root with a tree that has sys/bus/pci/devices");
  std::vector<std::string> bdfs;
  for (const auto& s : o.selectors)
    for (auto& b : resolve_selector(sysfs, s)) bdfs.push_back(std::move(b));
  if (bdfs.empty()) bdfs = find_nvidia_gpus(sysfs);
  if (bdfs.empty())
    throw_error("choose devices", o.root, ENODEV,
                "no NVIDIA GPU found and no --device given: name the device to check, e.g. "
                "--device 01:00.0 or --device 1b36:0010");
  return bdfs;
}

// What checking the devices shares: the options, sysfs, the names, the runner, and
// nvidia-smi's report (queried once, for the first GPU).
struct Checker {
  const Options& o;
  const Sysfs& sysfs;
  std::ostream& human;
  const PciNames names;
  ProcessRunner runner;
  std::optional<SmiReport> smi;
  const fs::path sdir;

  Checker(const Options& opts, const Sysfs& s, std::ostream& h)
      : o(opts),
        sysfs(s),
        human(h),
        names(opts.pci_ids),
        sdir(opts.samples_dir.empty() ? default_samples_dir() : fs::path(opts.samples_dir)) {}
};

void save_sample(const std::string& dir, const std::string& name, const SampleOutput& s) {
  if (dir.empty() || s.text.empty()) return;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec)
    throw_error("create directory", dir, ec.value(),
                "--save-samples needs a directory it can create or write");
  write_output_file(fs::path(dir) / (name + ".json"), s.text + "\n");
}

// Loads or runs each CUDA sample into d.samples, saving them when asked. Returns the
// stop signal that ended a run early, or 0.
int collect_samples(Checker& c, const std::string& bdf, DeviceReport& d) {
  const Options& o = c.o;
  for (const auto& name : cuda_sample_names()) {
    SampleOutput s;
    if (!o.samples_from.empty()) {
      s = load_sample(o.samples_from, name);
    } else {
      c.human << fmt::format("running {} on {} ...\n", name, bdf) << std::flush;
      std::vector<std::string> args;
      if (o.quick) args.push_back("--quick");
      if (name == "concurrency") args.insert(args.end(), {"--jobs", std::to_string(o.opt.jobs)});
      s = run_sample(c.runner, c.sdir, name, bdf, args, o.sample_timeout);
      if (const int sig = stop_requested()) return sig;
    }
    save_sample(o.save_samples, name, s);
    d.samples.push_back(std::move(s));
  }
  return 0;
}

// The NVIDIA checks of a GPU: driver and nvidia-smi, then the CUDA samples. Returns
// the stop signal that ended a program early, or 0.
int check_gpu(Checker& c, const std::string& bdf, DeviceReport& d,
              std::vector<check::Check>& checks) {
  const Options& o = c.o;
  const pci::DeviceFacts& f = d.facts;
  if (!o.no_cuda) {
    d.nvidia_module = nvidia_module_version(o.root);
    if (!c.smi) c.smi = query_nvidia_smi(c.runner, o.nvidia_smi);
    if (const int sig = stop_requested()) return sig;
    d.smi = c.smi;
    for (auto& ch : check_nvidia(f, d.nvidia_module, *c.smi)) checks.push_back(std::move(ch));
  }
  // Saved outputs are judged even with --no-cuda: re-judging needs no driver.
  const bool run_live = o.samples_from.empty() && !o.no_cuda && f.driver == "nvidia";
  if (!o.samples_from.empty() || run_live) {
    if (const int sig = collect_samples(c, bdf, d)) return sig;
    for (auto& ch : check_samples(f, d.samples, o.opt)) checks.push_back(std::move(ch));
  } else if (!o.no_cuda) {
    checks.push_back({"cuda", "cuda", check::Verdict::kSkip,
                      "CUDA samples not run: the GPU is not bound to nvidia",
                      "fix the driver check first", nlohmann::json::object()});
  }
  return 0;
}

// Checks one device into d and checks. Returns the stop signal that ended a program
// early, or 0.
int check_one(Checker& c, const std::string& bdf, DeviceReport& d,
              std::vector<check::Check>& checks) {
  d.facts = pci::read_device_facts(c.sysfs, bdf);
  pci::DeviceFacts& f = d.facts;
  if (f.present) {
    f.vendor_name = c.names.vendor(f.vendor).value_or("");
    f.device_name = c.names.device(f.vendor, f.device).value_or("");
    f.class_name = c.names.class_name(f.class_code).value_or("");
  }
  for (auto& ch : check_device(f, c.o.opt)) checks.push_back(std::move(ch));
  if (f.present && f.is_nvidia_gpu()) return check_gpu(c, bdf, d, checks);
  return 0;
}

// The report as text on `human`, and as JSON where --json says.
void write_reports(const Options& o, std::ostream& human, const std::vector<DeviceReport>& devices,
                   const std::vector<check::Report>& reports) {
  human << check::render_text(reports, false);
  if (o.json_path.empty()) return;
  nlohmann::json ctx = {{"root", o.root}};
  if (!o.samples_from.empty()) ctx["samples_from"] = o.samples_from;
  const std::string text = make_report(devices, reports, ctx).dump(2) + "\n";
  if (o.json_path == "-")
    write_stdout(text);
  else
    write_output_file(o.json_path, text);
}

int run(int argc, char** argv) {
  CLI::App app{"Validate a PCI device passed through to this guest (works on bare metal too)",
               "vfiokit-guest-check"};
  Options o;
  add_options(app, o);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version are 0; a bad option is a usage error.
    return app.exit(e) == 0 ? check::kExitOk : check::kExitUsage;
  }

  // Ctrl-C or a pod stop: kill the sample or nvidia-smi that runs, then exit 128+N.
  install_stop_handlers();
  if (!o.expect_driver.empty()) o.opt.expect_driver = o.expect_driver;
  if (!o.expect_link.empty()) o.opt.expect_link = pci::parse_link_spec(o.expect_link);
  const Sysfs sysfs(o.root);
  const std::vector<std::string> bdfs = choose_devices(sysfs, o);

  std::ostream& human = o.json_path == "-" ? std::cerr : std::cout;
  Checker c(o, sysfs, human);
  std::vector<DeviceReport> devices;
  std::vector<check::Report> reports;
  for (const auto& bdf : bdfs) {
    DeviceReport d;
    std::vector<check::Check>& checks = reports.emplace_back(check::Report{bdf, {}}).checks;
    if (const int sig = check_one(c, bdf, d, checks)) return stopped_by(sig);
    devices.push_back(std::move(d));
  }

  // A signal that came while no program ran (reading sysfs) stops the run here.
  if (const int sig = stop_requested()) return stopped_by(sig);
  write_reports(o, human, devices, reports);
  // The report on stdout is an output too: a full disk or a closed pipe is not exit 0.
  if (!std::cout.flush())
    throw_error("write", "stdout", errno ? errno : EIO,
                "stdout must be writable (a full disk? a closed pipe?)");
  return check::exit_status(reports);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const vfiokit::Error& e) {
    std::fprintf(stderr, "vfiokit-guest-check: %s\n", e.what());
    return check::kExitCouldNotRun;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "vfiokit-guest-check: %s\n", e.what());
    return check::kExitCouldNotRun;
  }
}
