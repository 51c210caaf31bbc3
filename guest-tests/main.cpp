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
#include "guest-tests/device_facts.hpp"
#include "guest-tests/link_budget.hpp"
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

int run(int argc, char** argv) {
  CLI::App app{"Validate a PCI device passed through to this guest (works on bare metal too)",
               "vfiokit-guest-check"};
  app.set_version_flag("--version", std::string("vfiokit-guest-check ") + vfiokit::kVersion);
  std::string root = "/";
  std::vector<std::string> selectors;
  std::string expect_driver, expect_link, json_path, samples_dir, samples_from, save_samples,
      nvidia_smi = "nvidia-smi", pci_ids;
  bool no_cuda = false, quick = false;
  int sample_timeout = 600;
  CheckOptions opt;
  app.add_option("--root", root, "directory that plays / (fixture trees, chroots)")
      ->capture_default_str();
  app.add_option("-d,--device", selectors,
                 "BDF (01:00.0) or vendor:device (10de:2331); default: every NVIDIA GPU");
  app.add_option("--expect-driver", expect_driver, "FAIL unless this driver is bound");
  app.add_option("--expect-link", expect_link,
                 "FAIL unless the link trains at least this (gen5x16)");
  app.add_option("--min-h2d-gbs", opt.min_h2d_gbs, "FAIL below this pinned H2D bandwidth (GB/s)");
  app.add_option("--min-d2h-gbs", opt.min_d2h_gbs, "FAIL below this pinned D2H bandwidth (GB/s)");
  app.add_option("--min-membw-gbs", opt.min_membw_gbs,
                 "FAIL below this device-memory triad bandwidth");
  app.add_option("--link-fraction", opt.link_fraction,
                 "WARN when pinned copies reach less than this share of the link's practical limit")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--max-launch-us", opt.max_launch_us,
                 "WARN above this empty-kernel launch+sync time")
      ->capture_default_str();
  app.add_option("--jobs", opt.jobs, "parallel jobs for the concurrency sample")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  app.add_flag("--no-cuda", no_cuda,
               "skip nvidia-smi and running the CUDA samples (--samples-from still judges)");
  app.add_flag("--quick", quick, "pass --quick to the samples (smaller sizes, fewer iterations)");
  app.add_option("--samples-dir", samples_dir, "where the vfiokit-cuda-* programs are");
  app.add_option("--samples-from", samples_from,
                 "judge saved sample outputs (<dir>/<sample>.json) instead of running the samples");
  app.add_option("--save-samples", save_samples, "save each sample's JSON as <dir>/<sample>.json");
  app.add_option("--sample-timeout", sample_timeout, "seconds each sample may run")
      ->capture_default_str();
  app.add_option("--nvidia-smi", nvidia_smi, "nvidia-smi program")->capture_default_str();
  app.add_option("--pci-ids", pci_ids, "pci.ids file for names (default: libpci's)");
  app.add_option("--json", json_path,
                 "write the report JSON (docs/schema/report.schema.json, with the bench "
                 "schema's context and benchmarks) here ('-' = stdout)");
  // Before the one exit contract, WARN exited 0 unless --strict; it exits 1 now, and
  // --strict stays accepted (hidden) so that scripts that pass it keep working.
  app.add_flag("--strict")->description("no effect: a WARN always exits 1")->group("");
  app.footer(
      "Exit status: 0 every check PASS or SKIP; 1 a WARN; 2 a FAIL; 3 could not run (no such "
      "device tree, nothing to check, unwritable --json or --save-samples); 64 usage error; "
      "128+N stopped by signal N (SIGINT, SIGTERM).");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version are 0; a bad option is a usage error.
    return app.exit(e) == 0 ? check::kExitOk : check::kExitUsage;
  }

  // Ctrl-C or a pod stop: kill the sample or nvidia-smi that runs, then exit 128+N.
  install_stop_handlers();
  if (!expect_driver.empty()) opt.expect_driver = expect_driver;
  if (!expect_link.empty()) opt.expect_link = parse_link_spec(expect_link);
  const Sysfs sysfs(root);
  if (!fs::is_directory(fs::path(root) / "sys/bus/pci/devices"))
    throw_error("read PCI devices", (fs::path(root) / "sys/bus/pci/devices").string(), ENOENT,
                "mount sysfs, or pass --root with a tree that has sys/bus/pci/devices");

  std::vector<std::string> bdfs;
  for (const auto& s : selectors)
    for (auto& b : resolve_selector(sysfs, s)) bdfs.push_back(std::move(b));
  if (bdfs.empty()) bdfs = find_nvidia_gpus(sysfs);
  if (bdfs.empty())
    throw_error("choose devices", root, ENODEV,
                "no NVIDIA GPU found and no --device given: name the device to check, e.g. "
                "--device 01:00.0 or --device 1b36:0010");

  std::ostream& human = json_path == "-" ? std::cerr : std::cout;
  const PciNames names(pci_ids);
  ProcessRunner runner;
  std::optional<SmiReport> smi;
  const fs::path sdir = samples_dir.empty() ? default_samples_dir() : fs::path(samples_dir);

  std::vector<DeviceReport> devices;
  std::vector<check::Report> reports;
  for (const auto& bdf : bdfs) {
    DeviceReport d;
    std::vector<check::Check>& checks = reports.emplace_back(check::Report{bdf, {}}).checks;
    d.facts = read_device_facts(sysfs, bdf);
    DeviceFacts& f = d.facts;
    if (f.present) {
      f.vendor_name = names.vendor(f.vendor).value_or("");
      f.device_name = names.device(f.vendor, f.device).value_or("");
      f.class_name = names.class_name(f.class_code).value_or("");
    }
    for (auto& c : check_device(f, opt)) checks.push_back(std::move(c));
    if (f.present && f.is_nvidia_gpu()) {
      if (!no_cuda) {
        d.nvidia_module = nvidia_module_version(root);
        if (!smi) smi = query_nvidia_smi(runner, nvidia_smi);
        if (const int sig = stop_requested()) return stopped_by(sig);
        d.smi = smi;
        for (auto& c : check_nvidia(f, d.nvidia_module, *smi)) checks.push_back(std::move(c));
      }
      // Saved outputs are judged even with --no-cuda: re-judging needs no driver.
      const bool run_live = samples_from.empty() && !no_cuda && f.driver == "nvidia";
      if (!samples_from.empty() || run_live) {
        for (const auto& name : cuda_sample_names()) {
          SampleOutput s;
          if (!samples_from.empty()) {
            s = load_sample(samples_from, name);
          } else {
            human << fmt::format("running {} on {} ...\n", name, bdf) << std::flush;
            std::vector<std::string> args;
            if (quick) args.push_back("--quick");
            if (name == "concurrency")
              args.insert(args.end(), {"--jobs", std::to_string(opt.jobs)});
            s = run_sample(runner, sdir, name, bdf, args, sample_timeout);
            if (const int sig = stop_requested()) return stopped_by(sig);
          }
          if (!save_samples.empty() && !s.text.empty()) {
            std::error_code ec;
            fs::create_directories(save_samples, ec);
            if (ec)
              throw_error("create directory", save_samples, ec.value(),
                          "--save-samples needs a directory it can create or write");
            write_output_file(fs::path(save_samples) / (name + ".json"), s.text + "\n");
          }
          d.samples.push_back(std::move(s));
        }
        for (auto& c : check_samples(f, d.samples, opt)) checks.push_back(std::move(c));
      } else if (!no_cuda) {
        checks.push_back({"cuda", "cuda", check::Verdict::kSkip,
                          "CUDA samples not run: the GPU is not bound to nvidia",
                          "fix the driver check first", nlohmann::json::object()});
      }
    }
    devices.push_back(std::move(d));
  }

  // A signal that came while no program ran (reading sysfs) stops the run here.
  if (const int sig = stop_requested()) return stopped_by(sig);
  human << check::render_text(reports, false);
  if (!json_path.empty()) {
    nlohmann::json ctx = {{"root", root}};
    if (!samples_from.empty()) ctx["samples_from"] = samples_from;
    const std::string text = make_report(devices, reports, ctx).dump(2) + "\n";
    if (json_path == "-")
      write_stdout(text);
    else
      write_output_file(json_path, text);
  }
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
