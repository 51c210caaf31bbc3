#include "report.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

namespace vfiokit::passthrough {
namespace {

using nlohmann::json;

Run parse_run(const std::string& config, const std::string& path) {
  std::ifstream f(path);
  if (!f) {
    Run r;
    r.config = config;
    r.failure = "no agent output file " + path;
    return r;
  }
  return parse_agent_output(config, f);
}

}  // namespace

Run parse_agent_output(const std::string& config, std::istream& in) {
  Run r;
  r.config = config;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto pos = line.find("@@VFKPT-");
    if (pos == std::string::npos) continue;
    line = line.substr(pos);
    try {
      if (line.rfind("@@VFKPT-RESULT ", 0) == 0) {
        json j = json::parse(line.substr(15));
        std::string name = j.at("name");
        if (!r.results.count(name)) r.order.push_back(name);
        r.results[name] = j;
      } else if (line.rfind("@@VFKPT-INFO ", 0) == 0) {
        r.info = json::parse(line.substr(13));
      } else if (line == "@@VFKPT-DONE") {
        r.done = true;
      } else if (line.rfind("@@VFKPT-FAIL", 0) == 0 && r.failure.empty()) {
        r.failure = line.size() > 13 ? line.substr(13) : "agent failed";
      }
    } catch (const json::exception& e) {
      if (r.failure.empty()) r.failure = "unreadable agent line (" + std::string(e.what()) + ")";
    }
  }
  if (r.failure.empty() && !r.done) r.failure = "the agent did not finish (no @@VFKPT-DONE)";
  return r;
}

namespace {

// Throughput a ratio compares: bytes/s for sequential and stream workloads, ops/s otherwise.
bool by_bytes(const std::string& workload) {
  return workload.rfind("seq_", 0) == 0 || workload.rfind("tcp_stream", 0) == 0;
}

double metric(const json& r, const std::string& workload) {
  return r.value(by_bytes(workload) ? "bytes_per_second" : "items_per_second", 0.0);
}

json benchmark_entry(const std::string& kind, const Run& run, const json& r, int family,
                     int instance) {
  const std::string name = kind + "/" + run.config + "/" + r.at("name").get<std::string>();
  double ops = r.value("ops", 0.0);
  json e = {{"name", name},
            {"family_index", family},
            {"per_family_instance_index", instance},
            {"run_name", name},
            {"run_type", "iteration"},
            {"repetitions", 1},
            {"repetition_index", 0},
            {"threads", 1},
            {"iterations", r.value("ops", 0)},
            {"real_time", ops > 0 ? r.value("seconds", 0.0) * 1e9 / ops : 0.0},
            {"cpu_time", ops > 0 ? r.value("cpu_seconds", 0.0) * 1e9 / ops : 0.0},
            {"time_unit", "ns"}};
  for (auto& [k, v] : r.items())
    if (k != "name" && k != "ops") e[k] = v;
  if (run.info.contains("bdf"))
    e["label"] = run.info.value("driver", std::string("?")) + " " +
                 run.info.value("pci_id", std::string("?")) + " at guest " +
                 run.info["bdf"].get<std::string>();
  return e;
}

std::string fmt_rate(const std::string& w, const json& r) {
  char b[64];
  if (by_bytes(w))
    std::snprintf(b, sizeof b, "%9.1f MiB/s", r.value("bytes_per_second", 0.0) / 1048576.0);
  else
    std::snprintf(b, sizeof b, "%9.0f op/s ", r.value("items_per_second", 0.0));
  return b;
}

std::map<std::string, std::string> read_context(const std::string& path) {
  std::map<std::string, std::string> kv;
  if (path.empty()) return kv;
  std::ifstream f(path);
  if (!f) throw std::runtime_error("context file " + path + " cannot be read");
  std::string line;
  while (std::getline(f, line)) {
    auto eq = line.find('=');
    if (eq != std::string::npos) kv[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return kv;
}

// What keeps the report from passing: failed runs, missing results, failed data checks.
std::vector<std::string> find_problems(const std::vector<Run>& runs,
                                       const std::vector<std::string>& expect) {
  std::vector<std::string> problems;
  for (const Run& r : runs) {
    if (!r.failure.empty()) problems.push_back(r.config + ": " + r.failure);
    for (const std::string& w : expect) {
      auto it = r.results.find(w);
      if (it == r.results.end())
        problems.push_back(r.config + ": no result for " + w);
      else if (it->second.value("data_check", std::string("missing")) != "passed")
        problems.push_back(r.config + "/" + w + ": data check failed: " +
                           it->second.value("data_check", std::string("missing")));
    }
  }
  return problems;
}

// The current UTC time as the report's "date".
std::string utc_date() {
  char date[64];
  std::time_t t = std::time(nullptr);
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S+00:00", std::gmtime(&t));
  return date;
}

json report_context(const ReportRequest& q, const std::vector<Run>& runs, bool all_passed,
                    const std::string& date) {
  json context = json::object();
  char host[256] = "";
  gethostname(host, sizeof host - 1);
  context["date"] = date;
  context["host_name"] = host;
  context["executable"] = "bench/passthrough/run";
  context["num_cpus"] = sysconf(_SC_NPROCESSORS_ONLN);
  context["mhz_per_cpu"] = 0;
  context["cpu_scaling_enabled"] = false;
  context["caches"] = json::array();
  context["library_build_type"] = "release";
  context["device_kind"] = q.kind;
  for (auto& [k, v] : read_context(q.context_file)) context[k] = v;
  json guests = json::object();
  for (const Run& r : runs) guests[r.config] = r.info;
  context["guest_devices"] = guests;
  context["data_checks"] = all_passed ? "all passed" : "FAILED";
  return context;
}

// The workloads in the order the passthrough run reported them, then any expected one it missed.
std::vector<std::string> workload_order(const std::vector<Run>& runs,
                                        const std::vector<std::string>& expect) {
  std::vector<std::string> workloads = runs[0].order;
  for (const std::string& w : expect)
    if (std::find(workloads.begin(), workloads.end(), w) == workloads.end()) workloads.push_back(w);
  return workloads;
}

// The passthrough/emulated ratio of workload `w` (pt: passthrough's result, em: `config`'s).
json ratio_entry(const std::string& kind, const std::string& config, const std::string& w,
                 const json& pt, const json& em, int family, int instance) {
  double a = metric(pt, w), b = metric(em, w);
  double la = pt.value("latency_p50_ns", 0.0), lb = em.value("latency_p50_ns", 0.0);
  const std::string name = kind + "/passthrough_vs_" + config + "/" + w;
  return {{"name", name},
          {"family_index", family},
          {"per_family_instance_index", instance},
          {"run_name", name},
          {"run_type", "aggregate"},
          {"aggregate_name", "ratio"},
          {"repetitions", 1},
          {"threads", 1},
          {"iterations", 1},
          {"real_time", 0},
          {"cpu_time", 0},
          {"time_unit", "ns"},
          {"throughput_ratio", b > 0 ? a / b : 0.0},
          {"throughput_metric", by_bytes(w) ? "bytes_per_second" : "items_per_second"},
          {"latency_p50_ratio", lb > 0 ? la / lb : 0.0},
          {"data_check", pt.value("data_check", std::string()) == "passed" &&
                                 em.value("data_check", std::string()) == "passed"
                             ? "passed"
                             : "failed"}};
}

// Each workload is a family: every run's result, then passthrough's ratio to each other run.
json benchmarks_json(const std::string& kind, const std::vector<Run>& runs,
                     const std::vector<std::string>& workloads) {
  json benchmarks = json::array();
  int family = 0;
  for (const std::string& w : workloads) {
    int instance = 0;
    for (const Run& r : runs)
      if (auto it = r.results.find(w); it != r.results.end())
        benchmarks.push_back(benchmark_entry(kind, r, it->second, family, instance++));
    auto pt = runs[0].results.find(w);
    for (std::size_t i = 1; i < runs.size() && pt != runs[0].results.end(); ++i) {
      auto em = runs[i].results.find(w);
      if (em == runs[i].results.end()) continue;
      benchmarks.push_back(
          ratio_entry(kind, runs[i].config, w, pt->second, em->second, family, instance++));
    }
    family++;
  }
  return benchmarks;
}

// One row of the table: run `r`'s result for workload `w`, with passthrough's ratio to it.
std::string table_row(const std::vector<Run>& runs, const Run& r, const std::string& w) {
  char line[256];
  auto it = r.results.find(w);
  if (it == r.results.end()) {
    std::snprintf(line, sizeof line, "%-18s %-14s %15s\n", w.c_str(), r.config.c_str(), "MISSING");
    return line;
  }
  auto pt = runs[0].results.find(w);
  const json& j = it->second;
  std::string ratio = "-";
  if (&r != &runs[0] && pt != runs[0].results.end() && metric(j, w) > 0) {
    char b[32];
    std::snprintf(b, sizeof b, "%.2fx", metric(pt->second, w) / metric(j, w));
    ratio = b;
  }
  std::string check = j.value("data_check", std::string("?"));
  std::snprintf(line, sizeof line, "%-18s %-14s %15s %10.1f %10.1f %8s  %s\n", w.c_str(),
                r.config.c_str(), fmt_rate(w, j).c_str(), j.value("latency_p50_ns", 0.0) / 1e3,
                j.value("latency_p99_ns", 0.0) / 1e3, ratio.c_str(),
                check == "passed" ? "ok" : ("FAILED: " + check).c_str());
  return line;
}

// The one-screen table.
std::string report_table(const std::string& kind, const std::string& accel, const std::string& date,
                         const std::vector<Run>& runs, const std::vector<std::string>& workloads,
                         const std::vector<std::string>& problems) {
  std::ostringstream tab;
  char line[256];
  tab << kind << ": passthrough vs emulated (accel " << accel << ", " << date << ")\n";
  std::snprintf(line, sizeof line, "%-18s %-14s %15s %10s %10s %8s  %s\n", "workload", "config",
                "throughput", "p50 us", "p99 us", "pt/this", "data");
  tab << line;
  for (const std::string& w : workloads)
    for (const Run& r : runs) tab << table_row(runs, r, w);
  for (const std::string& p : problems) tab << "FAILED: " << p << "\n";
  return tab.str();
}

// gnuplot data: passthrough/emulated throughput ratio per workload and emulated config.
void write_plot_data(const std::string& path, const std::vector<Run>& runs,
                     const std::vector<std::string>& workloads) {
  std::ofstream dat(path);
  dat << "workload";
  for (std::size_t i = 1; i < runs.size(); ++i) dat << " " << runs[i].config;
  dat << "\n";
  for (const std::string& w : workloads) {
    auto pt = runs[0].results.find(w);
    dat << w;
    for (std::size_t i = 1; i < runs.size(); ++i) {
      auto em = runs[i].results.find(w);
      double v =
          (pt != runs[0].results.end() && em != runs[i].results.end() && metric(em->second, w) > 0)
              ? metric(pt->second, w) / metric(em->second, w)
              : 0.0;
      dat << " " << v;
    }
    dat << "\n";
  }
}

// The gnuplot script drawing write_plot_data's file as a histogram.
void write_plot_script(const ReportRequest& q, std::size_t runs, const std::string& accel,
                       const std::string& date) {
  // The script names its files relative to its own folder: run gnuplot there.
  const std::string base = q.plot_prefix.substr(q.plot_prefix.rfind('/') + 1);
  std::ofstream gp(q.plot_prefix + ".gp");
  gp << "set terminal pngcairo size 900,480 noenhanced\n"
     << "set output '" << base << ".png'\n"
     << "set title '" << q.kind << ": passthrough throughput / emulated throughput (accel " << accel
     << ", " << date << ")'\n"
     << "set style data histogram\nset style histogram cluster gap 1\nset style fill solid 0.8 "
        "border -1\n"
     << "set key top left autotitle columnheader\nset ylabel 'passthrough / emulated (>1: "
        "passthrough faster)'\n"
     << "set yrange [0:*]\nset offsets graph 0, graph 0, graph 0.15, 0\nset grid ytics\nset xtics "
        "rotate by -20\n"
     << "plot ";
  for (std::size_t i = 1; i < runs; ++i)
    gp << (i > 1 ? ", " : "") << "'" << base << ".dat' using " << i + 1 << ":xtic(1)";
  gp << ", 1 with lines lc rgb 'black' dt 2 notitle\n";
}

}  // namespace

int write_report(const ReportRequest& q) {
  if (q.runs.empty()) throw std::runtime_error("report: no --run CONFIG=FILE given");
  std::vector<Run> runs;
  for (auto& [config, path] : q.runs) runs.push_back(parse_run(config, path));
  const std::vector<std::string> problems = find_problems(runs, q.expect);
  const std::string date = utc_date();
  const json context = report_context(q, runs, problems.empty(), date);
  const std::vector<std::string> workloads = workload_order(runs, q.expect);
  json out = {{"context", context}, {"benchmarks", benchmarks_json(q.kind, runs, workloads)}};
  if (!q.json_out.empty()) {
    std::ofstream f(q.json_out);
    f << out.dump(2) << "\n";
    if (!f) throw std::runtime_error("cannot write " + q.json_out);
  }
  const std::string accel = context.value("accel", std::string("?"));
  const std::string tab = report_table(q.kind, accel, date, runs, workloads, problems);
  std::fputs(tab.c_str(), stdout);
  if (!q.table_out.empty()) std::ofstream(q.table_out) << tab;
  if (!q.plot_prefix.empty() && runs.size() > 1) {
    write_plot_data(q.plot_prefix + ".dat", runs, workloads);
    write_plot_script(q, runs.size(), accel, date);
  }
  return problems.empty() ? 0 : 1;
}

}  // namespace vfiokit::passthrough
