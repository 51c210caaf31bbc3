// vfiokit_bench: VFIO microbenchmarks (Google Benchmark). Every --benchmark_*
// flag works (--benchmark_format=json, --benchmark_out=FILE, --benchmark_filter,
// --benchmark_repetitions, --benchmark_min_time); vfiokit's own flags follow.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sys/prctl.h>
#include <sys/utsname.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bench/bench_env.hpp"
#include "bench/suites.hpp"
#include "vfiokit/drivers/edu/registers.hpp"
#include "vfiokit/vfio/error.hpp"
#include "vfiokit/vfio/pci_address.hpp"
#include "vfiokit/vfio/sysfs.hpp"

namespace vfiokit::bench {
namespace {

// The exit contract of docs/cli.md (check/check.hpp's kExit*, which bench/ may not
// include: docs/architecture.md, "Layers"). vfiokit_bench measures and never judges.
constexpr int kExitDone = 0;
constexpr int kExitCouldNotRun = 3;
constexpr int kExitUsage = 64;

const char* env_or(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    const size_t comma = s.find(',', start);
    const std::string item =
        s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!item.empty()) out.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

// vfiokit's own flags (Google Benchmark takes its --benchmark_* flags first).
struct BenchArgs {
  std::string bdf = env_or("VFIOKIT_BDF", "");
  std::string backends = env_or("VFIOKIT_BACKENDS", "auto");
  std::string max_size, sizes_text;
  int64_t hugepages = -1;
  bool keep_thp = false, allow_write = false;
  std::string nvme_bdf = env_or("VFIOKIT_NVME_BDF", "");
  double inject_percent = 0;
};

// argv with --benchmark_color=false added unless given, and --help/-h taken out
// (`help` says whether it was there), null-terminated.
std::vector<char*> benchmark_args(int argc, char** argv, bool& help) {
  // Colour codes would glue onto the test bed's exit marker line (ci/vm/run reads
  // the guest's serial port, a tty): colour is off unless asked for.
  std::vector<char*> args(argv, argv + argc);
  static char no_color[] = "--benchmark_color=false";
  bool color_given = false;
  help = false;
  for (char* a : args) {
    color_given |= std::string(a).rfind("--benchmark_color", 0) == 0;
    help |= std::string(a) == "--help" || std::string(a) == "-h";
  }
  if (!color_given) args.insert(args.begin() + 1, no_color);
  // Google Benchmark would answer --help with its own flags only and exit: CLI11 answers it.
  std::erase_if(
      args, [](char* a) { return a && (std::string(a) == "--help" || std::string(a) == "-h"); });
  args.push_back(nullptr);
  return args;
}

// Google Benchmark answers a value outside a flag's choices (--benchmark_format=jsn) by
// printing its usage and exiting 0, which a CI job would read as a clean run: such a
// value is refused here first, as a usage error naming the flag and its choices.
std::optional<std::string> bad_benchmark_choice(const std::vector<char*>& args) {
  static const std::pair<const char*, std::vector<std::string>> kChoices[] = {
      {"--benchmark_format=", {"console", "json", "csv"}},
      {"--benchmark_out_format=", {"console", "json", "csv"}},
      {"--benchmark_time_unit=", {"ns", "us", "ms", "s"}},
  };
  for (const char* a : args) {
    const std::string arg = a ? a : "";
    for (const auto& [flag, values] : kChoices) {
      if (arg.rfind(flag, 0) != 0) continue;
      const std::string value = arg.substr(std::strlen(flag));
      if (std::find(values.begin(), values.end(), value) == values.end())
        return fmt::format("{}: '{}' is not one of {}", arg.substr(0, std::strlen(flag) - 1),
                           value, fmt::join(values, ", "));
    }
  }
  return std::nullopt;
}

void add_options(CLI::App& app, BenchArgs& a) {
  app.add_option("--bdf", a.bdf,
                 "device to measure, bound to vfio-pci (env VFIOKIT_BDF; default: the edu device)");
  app.add_option(
         "--backends", a.backends,
         "comma list of type1v2, type1, iommufd, compat, container, auto (env VFIOKIT_BACKENDS)")
      ->capture_default_str();
  app.add_option("--max-size", a.max_size,
                 "largest DMA map size, e.g. 64M (default: the largest of the list that fits half "
                 "of MemAvailable, <= 1G)");
  app.add_option("--sizes", a.sizes_text,
                 "DMA map sizes, comma list (default 4K,64K,1M,2M,8M,32M,128M,512M,1G)");
  app.add_option("--hugepages", a.hugepages,
                 "set /proc/sys/vm/nr_hugepages to N (2 MiB pages) before running; needs root");
  app.add_option("--nvme-bdf", a.nvme_bdf,
                 "NVMe controller bound to vfio-pci for the nvme_* benchmarks (env "
                 "VFIOKIT_NVME_BDF; default: the first class 01:08:02 device on vfio-pci)");
  // Two names: --allow-write is the spelling `vfiokit probe` and the passthrough harness
  // share; --nvme-allow-write says which device it is about (docs/benchmarks.md names both).
  app.add_flag("--allow-write,--nvme-allow-write", a.allow_write,
               "let the nvme_write benchmarks overwrite the first 32 MiB of the namespace "
               "(without it they are skipped and nothing the drive stores is written)");
  app.add_option("--inject-percent", a.inject_percent,
                 "injected regression for the gate's own check: the gated benchmarks (dma_map, "
                 "dma_unmap, mmio_read/mmio_write, overhead/*/mmio_*) spin P % of each measured "
                 "interval more (default 0: the plain timed loops)")
      ->check(CLI::Range(0.0, 1000.0));
  app.add_flag(
      "--keep-thp", a.keep_thp,
      "leave transparent hugepages on: 4k-backed buffers may then get 2 MiB pages behind our back");
  app.footer(
      "Google Benchmark flags: --benchmark_filter=REGEX --benchmark_min_time=SECONDS "
      "--benchmark_repetitions=N --benchmark_format=console|json|csv --benchmark_out=FILE "
      "--benchmark_out_format=json --benchmark_color=true|false --benchmark_list_tests=true "
      "--benchmark_enable_random_interleaving=true. "
      "See docs/benchmarks.md.");
}

// The DMA map sizes: --sizes up to --max-size (by default the largest that fits half
// of MemAvailable, after --hugepages reserved its pages).
void choose_sizes(const BenchArgs& a, Options& o) {
  std::vector<uint64_t> sizes;
  for (const auto& s :
       split(a.sizes_text.empty() ? "4K,64K,1M,2M,8M,32M,128M,512M,1G" : a.sizes_text))
    sizes.push_back(parse_size(s, "--sizes"));
  std::sort(sizes.begin(), sizes.end());
  if (!a.max_size.empty()) o.max_size = parse_size(a.max_size, "--max-size");
  // Reserved hugepages leave MemAvailable, so reserve before sizing by it.
  if (a.hugepages >= 0) {
    const uint64_t free = reserve_hugepages(static_cast<uint64_t>(a.hugepages));
    std::fprintf(stderr, "vfiokit_bench: %llu 2 MiB hugepages free\n",
                 static_cast<unsigned long long>(free));
  }
  if (a.max_size.empty()) {
    const uint64_t half = mem_available() / 2;
    o.max_size = 4096;
    for (uint64_t s : sizes)
      if (s <= half && s <= (1ull << 30)) o.max_size = s;
  }
  for (uint64_t s : sizes)
    if (s <= o.max_size && s >= 4096 && s % 4096 == 0) o.sizes.push_back(s);
  if (o.sizes.empty())
    throw_error("choose sizes",
                fmt::format("--sizes '{}' up to --max-size {}", a.sizes_text, o.max_size), EINVAL,
                "give at least one multiple of 4K that is <= --max-size");
}

// The device measured (--bdf, else the edu device) and the NVMe controller, both on vfio-pci.
void choose_devices(const BenchArgs& a, Options& o) {
  std::string bdf = a.bdf;
  if (bdf.empty()) bdf = find_pci(edu::kVendor, edu::kDevice);
  if (bdf.empty())
    throw_error("find device", "edu (1234:11e8)", ENODEV,
                "no edu device here: pass --bdf (or VFIOKIT_BDF) with a device bound to vfio-pci");
  o.bdf = normalize_bdf(bdf);
  Sysfs sysfs;
  if (!sysfs.has_device(o.bdf))
    throw_error("find device", o.bdf, ENODEV, "no such PCI device (see lspci -D)");
  if (sysfs.driver(o.bdf) != "vfio-pci")
    throw_error(
        "find device", o.bdf, EINVAL,
        fmt::format("bound to '{}', not vfio-pci: bind it first (driver_override + drivers_probe)",
                    sysfs.driver(o.bdf).value_or("no driver")));
  o.is_edu = sysfs.hex_attr(o.bdf, "vendor") == edu::kVendor &&
             sysfs.hex_attr(o.bdf, "device") == edu::kDevice;
  std::string nvme_bdf = a.nvme_bdf;
  if (nvme_bdf.empty()) nvme_bdf = find_vfio_pci_class(0x010802);
  if (!nvme_bdf.empty()) {
    o.nvme_bdf = normalize_bdf(nvme_bdf);
    if (sysfs.driver(o.nvme_bdf) != "vfio-pci")
      throw_error("find NVMe device", o.nvme_bdf, EINVAL,
                  "bind it to vfio-pci first (or leave --nvme-bdf out)");
  }
}

// What the run measured on, in the benchmark output's context.
void add_context(const Options& o, const BenchArgs& a) {
  utsname u{};
  uname(&u);
  std::string labels;
  for (const auto& t : o.targets) labels += (labels.empty() ? "" : ",") + t.label;
  benchmark::AddCustomContext("vfiokit_bdf", o.bdf);
  benchmark::AddCustomContext("vfiokit_targets", labels);
  benchmark::AddCustomContext("vfiokit_nvme_bdf", o.nvme_bdf.empty() ? "none" : o.nvme_bdf);
  benchmark::AddCustomContext("vfiokit_max_size", std::to_string(o.max_size));
  benchmark::AddCustomContext("vfiokit_kernel", std::string(u.release) + " " + u.version);
  benchmark::AddCustomContext("vfiokit_free_2m_hugepages",
                              std::to_string(free_hugepages(2ull << 20)));
  benchmark::AddCustomContext("vfiokit_free_1g_hugepages",
                              std::to_string(free_hugepages(1ull << 30)));
  benchmark::AddCustomContext("vfiokit_thp_disabled", a.keep_thp ? "0" : "1");
  benchmark::AddCustomContext("vfiokit_mem_available", std::to_string(mem_available()));
  if (a.inject_percent > 0)
    benchmark::AddCustomContext("vfiokit_inject_percent", fmt::format("{}", a.inject_percent));
}

int run(int argc, char** argv) {
  bool help = false;
  std::vector<char*> args = benchmark_args(argc, argv, help);
  argc = static_cast<int>(args.size()) - 1;
  argv = args.data();
  if (const auto bad = bad_benchmark_choice(args)) {
    std::fprintf(stderr, "vfiokit_bench: %s\nRun with --help for more information.\n",
                 bad->c_str());
    return kExitUsage;
  }
  benchmark::Initialize(&argc, argv);  // takes the --benchmark_* flags out of argv

  CLI::App app{"vfiokit VFIO microbenchmarks (plus every --benchmark_* flag of Google Benchmark)",
               "vfiokit_bench"};
  BenchArgs a;
  add_options(app, a);
  try {
    if (help) throw CLI::CallForHelp();
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help is CLI11's "error" with status 0; every other parse error (unknown option,
    // missing value, a value CLI11 rejects) is a usage error in the exit contract.
    return app.exit(e) == 0 ? kExitDone : kExitUsage;
  }

  auto& o = options();
  // "4k" must mean 4 KiB pages: with THP an anonymous buffer may silently get
  // 2 MiB pages (and map like one), which would hide what hugepages buy.
  if (!a.keep_thp && prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) != 0)
    throw_error("prctl(PR_SET_THP_DISABLE)", "vfiokit_bench", errno,
                "pass --keep-thp to run with THP");
  choose_sizes(a, o);
  choose_devices(a, o);
  o.allow_write = a.allow_write;
  o.inject_percent = a.inject_percent;
  o.targets = resolve_targets(o.bdf, split(a.backends));
  if (o.targets.empty())
    throw_error("choose backends", a.backends, ENODEV,
                "this kernel offers no VFIO backend (/dev/vfio/vfio, /dev/iommu)");
  add_context(o, a);

  for (const Target& t : o.targets) {
    register_dma_benchmarks(t);
    register_device_benchmarks(t);
    register_overhead_benchmarks(t);
    register_nvme_benchmarks(t);
  }
  register_open_benchmarks();
  benchmark::RunSpecifiedBenchmarks();
  Session::close();
  benchmark::Shutdown();
  return 0;
}

}  // namespace
}  // namespace vfiokit::bench

int main(int argc, char** argv) {
  try {
    return vfiokit::bench::run(argc, argv);
  } catch (const std::exception& e) {
    // Measures, never judges: anything that stops it before a result (no such device,
    // device not on vfio-pci, a --sizes or --backends it cannot use) is "could not run".
    std::fprintf(stderr, "vfiokit_bench: %s\n", e.what());
    return vfiokit::bench::kExitCouldNotRun;
  }
}
