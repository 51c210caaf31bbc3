// What every vfiokit CUDA sample shares: command-line options, the result
// report (one JSON document with --json, a table otherwise), device selection
// by PCI address, CUDA error handling and host-side helpers. Host C++ only, so
// .cu files and plain .cpp files both include it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace vfiokit::cuda {

/// Command-line options of a sample. Register every option, then parse();
/// an unknown option or a bad value exits with status 2 and a message naming it.
class Args {
 public:
  Args(std::string program, std::string description);
  /// A boolean flag ("--quick").
  void flag(const std::string& name, bool* out, const std::string& help);
  /// A count or size; accepts K/M/G suffixes (powers of 1024).
  void number(const std::string& name, uint64_t* out, const std::string& help);
  /// A string value.
  void text(const std::string& name, std::string* out, const std::string& help);
  /// Parses argv; prints help and exits 0 on --help.
  void parse(int argc, char** argv);

 private:
  struct Opt {
    std::string name, help;
    bool* flag = nullptr;
    uint64_t* number = nullptr;
    std::string* text = nullptr;
  };
  std::string program_, description_;
  std::vector<Opt> opts_;
};

/// Options every sample has.
struct CommonOptions {
  bool json = false;   ///< print one JSON document instead of a table
  bool quick = false;  ///< smaller sizes and fewer repetitions
  std::string device;  ///< PCI address ("0000:01:00.0") or CUDA ordinal; empty = device 0
};

/// Registers --json, --quick and --device.
void add_common(Args& args, CommonOptions& o);

/// One measured value.
struct Result {
  std::string name;
  double value = 0;
  std::string unit;
  bool higher_is_better = true;
  bool verified = false;
  uint64_t iterations = 0;
  double seconds = 0;
  uint64_t bytes = 0;  ///< bytes moved per iteration, 0 when not a transfer
  std::vector<std::pair<std::string, std::string>> tags;  ///< e.g. {"direction","h2d"}
  std::vector<std::pair<std::string, double>> numbers;    ///< e.g. {"p99_us", 4.1}
};

/// One job of the concurrency sample.
struct Job {
  int id = 0;
  std::string mode;
  bool verified = false;
  double seconds = 0;
  std::string error;
};

/// The sample's report; one per process (report()).
class Report {
 public:
  /// Starts the report of sample `name` with the common options.
  void begin(const std::string& name, const CommonOptions& o);
  /// Records the device's description (see select_device).
  void set_device(std::vector<std::pair<std::string, std::string>> fields);
  /// Adds a result.
  void add(Result r);
  /// Adds a job (concurrency sample).
  void add_job(Job j);
  /// Records a verification failure or error; the sample then exits 1.
  void error(const std::string& message);
  /// True while no error was recorded.
  bool ok() const { return errors_.empty(); }
  /// Prints the report (JSON or table) and returns the exit status: 0 ok, 1 errors.
  int finish();
  /// Prints the report with `message` as a fatal error and exits 1.
  [[noreturn]] void fatal(const std::string& message);

 private:
  std::string name_;
  CommonOptions opts_;
  std::vector<std::pair<std::string, std::string>> device_;
  std::vector<Result> results_;
  std::vector<Job> jobs_;
  std::vector<std::string> errors_;
};

/// The process's report.
Report& report();

/// "4KiB", "1GiB", "1536B".
std::string size_label(uint64_t bytes);

/// Seconds on the monotonic clock (shared by every process of the machine).
inline double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

/// Runs fn(begin, end) over [0, n) on up to 16 threads.
void parallel_for(uint64_t n, const std::function<void(uint64_t, uint64_t)>& fn);

/// A 32-bit hash of (index, seed): the data pattern samples write and check.
#if defined(__CUDACC__)
__host__ __device__
#endif
    inline uint32_t
    pattern(uint64_t i, uint32_t seed) {
  uint64_t x = i * 0x9E3779B97F4A7C15ull ^ (static_cast<uint64_t>(seed) << 32 | seed);
  x ^= x >> 31;
  x *= 0xBF58476D1CE4E5B9ull;
  x ^= x >> 27;
  return static_cast<uint32_t>(x ^ (x >> 33));
}

}  // namespace vfiokit::cuda
