#include "guest-tests/cuda_samples.hpp"

#include <cstdint>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace vfiokit::guest {

const std::vector<std::string>& cuda_sample_names() {
  static const std::vector<std::string> names = {"bandwidth", "membw", "gemm", "launch",
                                                 "concurrency"};
  return names;
}

const SampleResult* SampleOutput::find(const std::string& name) const {
  for (const auto& r : results)
    if (r.name == name) return &r;
  return nullptr;
}

namespace {

// An integer field, or `fallback` when absent. nlohmann's get<integer>() of a float
// outside the type's range is undefined behaviour (found by fuzz_cuda_sample_output),
// so the range is checked first; anything else is the wrong shape.
template <typename T>
T integer_field(const nlohmann::json& j, const char* key, T fallback) {
  if (!j.contains(key)) return fallback;
  const nlohmann::json& v = j.at(key);
  if (v.is_number_unsigned()) {
    if (const auto u = v.get<uint64_t>(); std::in_range<T>(u)) return static_cast<T>(u);
  } else if (v.is_number_integer()) {
    if (const auto i = v.get<int64_t>(); std::in_range<T>(i)) return static_cast<T>(i);
  }
  throw std::invalid_argument(std::string("\"") + key + "\" is " + v.dump() +
                              ", not an integer a " +
                              (std::is_signed_v<T> ? "signed" : "unsigned") + " " +
                              std::to_string(sizeof(T) * 8) + "-bit field holds");
}

}  // namespace

SampleOutput parse_sample_output(const std::string& sample, const std::string& text) {
  SampleOutput o;
  o.sample = sample;
  // The document is the last line that starts with '{' (CUDA may warn before it).
  const auto start = text.find('{');
  if (start == std::string::npos) {
    o.problem = "printed no JSON document";
    return o;
  }
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text.substr(start));
    o.text = text.substr(start);
  } catch (const std::exception& e) {
    o.problem = std::string("printed malformed JSON: ") + e.what();
    return o;
  }
  if (!j.is_object() || !j.contains("results") || !j["results"].is_array() || !j.contains("ok")) {
    o.problem = "printed JSON without \"ok\" and \"results\": not a vfiokit CUDA sample's output";
    return o;
  }
  try {
    o.ran = true;
    o.ok = j.at("ok").get<bool>();
    if (j.contains("sample") && j["sample"].get<std::string>() != sample)
      o.problem = "output belongs to sample '" + j["sample"].get<std::string>() + "'";
    if (j.contains("errors"))
      for (const auto& e : j["errors"]) o.errors.push_back(e.get<std::string>());
    if (j.contains("device")) o.device = j["device"];
    for (const auto& r : j["results"]) {
      SampleResult s;
      s.name = r.at("name").get<std::string>();
      s.value = r.at("value").get<double>();
      s.unit = r.value("unit", "");
      s.higher_is_better = r.value("higher_is_better", true);
      s.verified = r.value("verified", false);
      s.iterations = integer_field(r, "iterations", uint64_t{0});
      s.seconds = r.value("seconds", 0.0);
      s.raw = r;
      o.results.push_back(std::move(s));
    }
    if (j.contains("jobs"))
      for (const auto& r : j["jobs"]) {
        SampleJob job;
        if (!r.contains("id")) throw std::invalid_argument("a job without \"id\"");
        job.id = integer_field(r, "id", 0);
        job.mode = r.value("mode", "");
        job.verified = r.value("verified", false);
        job.seconds = r.value("seconds", 0.0);
        job.error = r.value("error", "");
        o.jobs.push_back(std::move(job));
      }
  } catch (const std::exception& e) {
    o.ran = false;
    o.problem = std::string("printed JSON of the wrong shape: ") + e.what();
  }
  return o;
}

namespace {
std::string tail(const std::string& s, size_t n) {
  return s.size() <= n ? s : s.substr(s.size() - n);
}
}  // namespace

SampleOutput run_sample(CommandRunner& runner, const std::filesystem::path& dir,
                        const std::string& sample, const std::string& bdf,
                        const std::vector<std::string>& args, int timeout_s) {
  const std::string program = (dir / ("vfiokit-cuda-" + sample)).string();
  std::vector<std::string> argv = {program, "--json", "--device", bdf};
  argv.insert(argv.end(), args.begin(), args.end());
  const RunResult r = runner.run(argv, timeout_s);
  SampleOutput o;
  if (!r.started) {
    o.sample = sample;
    o.problem = "could not run " + program + ": " + r.err;
  } else if (r.timed_out || r.interrupted_by != 0 || r.did_not_exit) {
    o.sample = sample;
    o.problem = "did not finish: " + r.problem();
  } else {
    o = parse_sample_output(sample, r.out);
    // Its JSON was cut at the front: say so rather than leave a bare parse error.
    if (r.out_dropped > 0 && !o.problem.empty()) o.problem += " (" + r.problem() + ")";
  }
  o.exit_code = r.exit_code;
  o.timed_out = r.timed_out;
  o.stderr_tail = tail(r.err, 2000);
  // A sample exits non-zero on a wrong result; trust that even if its JSON says ok.
  if (o.ran && r.exit_code != 0 && o.ok) {
    o.ok = false;
    o.errors.push_back("exited with status " + std::to_string(r.exit_code));
  }
  return o;
}

SampleOutput load_sample(const std::filesystem::path& dir, const std::string& sample) {
  const auto path = dir / (sample + ".json");
  std::ifstream in(path);
  if (!in) {
    SampleOutput o;
    o.sample = sample;
    o.problem = "no saved output " + path.string();
    return o;
  }
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  SampleOutput o = parse_sample_output(sample, text);
  o.exit_code = o.ran ? (o.ok ? 0 : 1) : -1;
  return o;
}

}  // namespace vfiokit::guest
